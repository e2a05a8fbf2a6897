"""valgrind --leak-check=full on the real commands: no memory error and no definite
leak, on the signed-and-filed path and on the error paths. Under the ASan build
(LeakSanitizer checks leaks there, and valgrind cannot run an ASan binary) it says
so and counts nothing."""
import json
import os
import re
import subprocess
import sys
import tempfile

from harness import ROOT, SOHOA, main, test
import signing_kit as kit

VALGRIND_ERROR = 99
SAMPLE = os.path.join(ROOT, "samples", "hungyen-2684-300dpi-g4.tif")


def valgrind(*args):
    """Runs sohoa under memcheck; returns (status, stdout, the valgrind log)."""
    with tempfile.NamedTemporaryFile("r", suffix=".vg") as log:
        env = dict(os.environ, OMP_THREAD_LIMIT="1")  # else sohoa re-execs /proc/self/exe
        env.pop("SOHOA_CONFIG", None)
        p = subprocess.run(["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite",
                            "--error-exitcode=%d" % VALGRIND_ERROR, "--num-callers=30",
                            "--log-file=" + log.name, SOHOA, *args],
                           capture_output=True, env=env, cwd=ROOT, timeout=1800)
        return p.returncode, p.stdout.decode("utf-8", "replace"), log.read()


def assert_clean(status, vglog, what):
    assert status != VALGRIND_ERROR, "%s: valgrind found errors:\n%s" % (what, vglog[-6000:])
    m = re.search(r"definitely lost: ([\d,]+) bytes", vglog)
    assert m is None or m.group(1) == "0", "%s: definite leak:\n%s" % (what, vglog[-6000:])
    assert "ERROR SUMMARY: 0 errors" in vglog, "%s:\n%s" % (what, vglog[-3000:])


@test
def process_signed_and_filed_has_no_leak():
    with tempfile.TemporaryDirectory() as tmp:
        conf = kit.init_setup(os.path.join(tmp, "s"))
        status, out, vglog = valgrind("-c", conf, "--json", "process", SAMPLE)
        assert_clean(status, vglog, "process")
        assert status == 0, out
        result = json.loads(out)
        assert result["signed"] is True and result["files"]["pdf"].startswith("blobs/"), out[:2000]
        for args in (("verify", SAMPLE), ("fsck",), ("search", "--number", "2684/QĐ-UBND"),
                     ("show", "2684/QĐ-UBND")):
            status, out, vglog = valgrind("-c", conf, "--json", *args)
            assert_clean(status, vglog, " ".join(args))


@test
def the_error_paths_have_no_leak():
    with tempfile.TemporaryDirectory() as tmp:
        conf = kit.init_setup(os.path.join(tmp, "s"))
        truncated = os.path.join(tmp, "truncated.tif")
        with open(SAMPLE, "rb") as src, open(truncated, "wb") as dst:
            dst.write(src.read()[:3000])
        text = os.path.join(tmp, "letter.tif")
        with open(text, "w", encoding="utf-8") as f:
            f.write("not an image\n")
        for path in (truncated, text, os.path.join(tmp, "missing.tif")):
            status, out, vglog = valgrind("-c", conf, "process", path)
            assert_clean(status, vglog, "process " + os.path.basename(path))
            assert status in (1, 2, 3), "process %s exited %d" % (path, status)
        status, _, vglog = valgrind("-c", conf, "show", "no-such-result")
        assert_clean(status, vglog, "show no-such-result")
        status, _, vglog = valgrind("-c", os.path.join(tmp, "nope.conf"), "status")
        assert_clean(status, vglog, "a missing config")


if __name__ == "__main__":
    if "asan" in os.path.basename(SOHOA):
        print("test_valgrind: not run on the ASan build (LeakSanitizer covers it there)")
        sys.exit(0)
    main()
