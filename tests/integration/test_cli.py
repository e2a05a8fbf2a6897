"""The sohoa command: version, subcommands, init, config check."""
import os
import stat
import tempfile

from harness import main, sohoa, test


@test
def version_names_every_library():
    code, out, _ = sohoa("--version")
    assert code == 0, code
    for name in ("sohoa 0.1.0", "tesseract 5.", "leptonica-1.", "OpenSSL 3.", "xmlsec 1.",
                 "sqlite 3.", "LIBTIFF"):
        assert name in out, f"{name!r} missing from --version: {out!r}"


@test
def daemon_commands_need_a_configuration():
    for cmd in ("run", "status", "serve"):
        code, _, err = sohoa(cmd)
        assert code == 2 and "no configuration file" in err, (cmd, code, err)


@test
def archive_commands_need_a_configuration():
    if os.path.exists("/etc/sohoa/sohoa.conf"):
        return  # this machine has a system-wide configuration
    for args in (["search"], ["show", "x"], ["get", "x", "--original"], ["fsck"],
                 ["export", "--bagit", "/tmp/never"], ["stats"], ["dispose", "x", "--reason", "r"]):
        code, _, err = sohoa(*args, env={"SOHOA_CONFIG": ""})
        assert code == 2 and "no configuration file" in err, (args, err)


@test
def unknown_command_and_option_are_usage_errors():
    code, _, err = sohoa("frobnicate")
    assert code == 2 and "not a sohoa command" in err, (code, err)
    code, _, err = sohoa("--bogus", "process")
    assert code == 2 and "unknown option" in err, (code, err)
    code, _, err = sohoa("process")
    assert code == 2 and "usage" in err, (code, err)
    code, _, err = sohoa("process", "--frob", "x.tif")
    assert code == 2 and "unknown option" in err, (code, err)


def init_demo(tmp):
    d = os.path.join(tmp, "demo")
    code, out, err = sohoa("init", d)
    assert code == 0, (code, err)
    return d


@test
def init_makes_a_setup_that_checks_ok():
    with tempfile.TemporaryDirectory() as tmp:
        d = init_demo(tmp)
        for sub in ("inbox", "archive", "spool", "quarantine", "keys"):
            assert os.path.isdir(os.path.join(d, sub)), sub
        for key in ("ca.pem", "signer.p12", "signer.pin"):
            mode = stat.S_IMODE(os.stat(os.path.join(d, "keys", key)).st_mode)
            assert mode == 0o600, (key, oct(mode))
        code, out, err = sohoa("-c", os.path.join(d, "sohoa.conf"), "config", "check")
        assert code == 0 and out.strip() == "configuration OK", (code, out, err)
        # the config file is found through $SOHOA_CONFIG too
        code, out, err = sohoa("config", "check",
                               env={"SOHOA_CONFIG": os.path.join(d, "sohoa.conf")})
        assert code == 0 and out.strip() == "configuration OK", (code, out, err)


@test
def init_says_its_keys_are_for_development():
    with tempfile.TemporaryDirectory() as tmp:
        code, out, _ = sohoa("init", os.path.join(tmp, "d"))
        assert code == 0 and "DEVELOPMENT keys" in out and "before real use" in out, out


@test
def init_refuses_to_overwrite():
    with tempfile.TemporaryDirectory() as tmp:
        d = init_demo(tmp)
        conf = os.path.join(d, "sohoa.conf")
        before = open(conf, "rb").read()
        code, _, err = sohoa("init", d)
        assert code == 2 and "never overwrites" in err, (code, err)
        assert open(conf, "rb").read() == before


@test
def config_check_names_file_and_line():
    with tempfile.TemporaryDirectory() as tmp:
        d = init_demo(tmp)
        conf = os.path.join(d, "sohoa.conf")
        lines = open(conf, encoding="utf-8").read().splitlines()
        ocr_at = lines.index("[ocr]")
        lines.insert(ocr_at + 1, "frobnicate = 1")
        open(conf, "w", encoding="utf-8").write("\n".join(lines) + "\n")
        code, out, err = sohoa("-c", conf, "config", "check")
        assert code == 2, (code, out, err)
        assert f"{conf}:{ocr_at + 2}:" in err and "frobnicate" in err, err


@test
def config_check_refuses_a_pin_others_can_read():
    with tempfile.TemporaryDirectory() as tmp:
        d = init_demo(tmp)
        os.chmod(os.path.join(d, "keys", "signer.pin"), 0o644)
        code, _, err = sohoa("-c", os.path.join(d, "sohoa.conf"), "config", "check")
        assert code == 2 and "readable by others" in err, (code, err)


@test
def config_check_reports_a_missing_folder():
    with tempfile.TemporaryDirectory() as tmp:
        d = init_demo(tmp)
        os.rmdir(os.path.join(d, "inbox"))
        code, _, err = sohoa("-c", os.path.join(d, "sohoa.conf"), "config", "check")
        assert code == 2 and "inbox" in err and "sohoa.conf:" in err, (code, err)


@test
def config_check_without_any_file_is_an_error():
    if os.path.exists("/etc/sohoa/sohoa.conf"):
        return  # this machine has a system-wide configuration
    code, _, err = sohoa("config", "check", env={"SOHOA_CONFIG": ""})
    assert code == 2 and "no configuration file" in err, (code, err)


if __name__ == "__main__":
    main()
