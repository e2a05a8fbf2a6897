"""Signed e-results through the real command, checked by independent verifiers:
xmlsec1, pdfsig, qpdf, openssl cms and openssl ts. Keys: the PKCS#12 file of
`sohoa init` (RSA and EC), a SoftHSM2 token, a local RFC 3161 TSA."""
import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import ROOT, SOHOA, main, sohoa, test
import signing_kit as kit
from tsa_server import TsaServer

XSD = os.path.join(ROOT, "docs", "eresult-1.0.xsd")
EXACT_SIGNED = {"contentType", "messageDigest", "id-smime-aa-signingCertificateV2"}


class Filed:
    """`sohoa init` + one small scan processed and filed, its files fetched."""

    def __init__(self, tmp, *init_args, env=None):
        self.tmp = tmp
        self.dir = os.path.join(tmp, "s")
        self.conf = kit.init_setup(self.dir, *init_args)
        self.keys = os.path.join(self.dir, "keys")
        self.ca = os.path.join(self.keys, "ca.pem")
        self.scan = kit.small_scan(os.path.join(tmp, "scan.pgm"))
        self.env = env

    def process(self):
        code, out, err = self.run("process", "--json", self.scan)
        assert code == 0, "process: exit %d: %s" % (code, err)
        self.result = json.loads(out)
        self.id = self.result["id"]
        self.pdf = self.get("--pdf", "e-copy.pdf")
        self.xml = self.get("--xml", "e-result.xml")
        return self

    def run(self, *args):
        return sohoa("-c", self.conf, *args, env=self.env)

    def get(self, flag, name):
        path = os.path.join(self.tmp, name)
        code, _, err = self.run("get", self.id, flag, "-o", path)
        assert code == 0, err
        return path

    def verify(self, target, *extra):
        return self.run("verify", *extra, target)


def assert_pdf_verifies(pdf, ca, tmp):
    db = kit.nss_db(ca, os.path.join(tmp, "nss-" + os.path.basename(pdf)))
    text = kit.pdfsig(pdf, db)
    assert kit.pdfsig_valid(text), "pdfsig: " + text
    code, out = kit.run("qpdf", "--check", pdf, check=False)
    assert code == 0, "qpdf --check: " + out
    code, out = kit.cms_verify(pdf, ca, tmp)
    assert code == 0 and "Verification successful" in out, "openssl cms: " + out
    attrs = kit.cms_parts(pdf, tmp)
    signed = {a.split(" ", 1)[1] for a in attrs if a.startswith("signed ")}
    assert signed == EXACT_SIGNED, "signed attributes: %s" % sorted(signed)
    return attrs


def assert_xml_verifies(xml, ca):
    code, out = kit.run("xmlsec1", "--verify", "--trusted-pem", ca, xml, check=False)
    assert code == 0 and "OK" in out, "xmlsec1: " + out
    code, out = kit.run("xmllint", "--noout", "--schema", XSD, xml, check=False)
    assert code == 0, "xmllint --schema: " + out


@test
def pkcs12_round_trip_every_verifier_agrees():
    with tempfile.TemporaryDirectory() as tmp:
        f = Filed(tmp).process()
        assert f.result["signed"] is True
        assert f.result["files"]["pdf"] and f.result["files"]["xml"]
        code, out, _ = f.run("stats", "--json")
        assert json.loads(out)["signed"] == 1, out
        assert_pdf_verifies(f.pdf, f.ca, tmp)
        assert_xml_verifies(f.xml, f.ca)
        code, out, err = f.verify(f.id)
        assert code == 0 and "verified: all" in out, out + err
        for check in ("pdf-signature", "pdf-certificate", "xml-signature", "fixity-original"):
            assert check in out, out
        # The e-copy mark is real text on page 1.
        _, text = kit.run("pdftotext", "-f", "1", "-l", "1", f.pdf, "-")
        assert "SAO Y" in text, text


@test
def process_prints_where_the_time_went_but_files_and_signs_none_of_it():
    with tempfile.TemporaryDirectory() as tmp:
        f = Filed(tmp).process()
        t = f.result["timings"]
        stages = ("decode", "preprocess", "ocr", "extract", "package", "sign", "archive")
        assert set(t) == set(stages) | {"total"}, t
        assert all(t[s] >= 0 for s in stages) and t["ocr"] > 0 and t["sign"] > 0, t
        assert t["total"] >= sum(t[s] for s in stages), t
        code, out, err = f.run("show", "--json", f.id)
        assert code == 0 and "timings" not in json.loads(out), err
        with open(f.xml, encoding="utf-8") as x:
            assert "timings" not in x.read()
        code, out, _ = sohoa("process", "--json", "--no-archive", f.scan)
        t = json.loads(out)["timings"]
        assert code == 0 and t["ocr"] > 0 and t["package"] == t["sign"] == t["archive"] == -1, t


@test
def ec_p256_key_signs_both_files():
    with tempfile.TemporaryDirectory() as tmp:
        f = Filed(tmp, "--ec").process()
        assert_pdf_verifies(f.pdf, f.ca, tmp)
        assert_xml_verifies(f.xml, f.ca)
        _, out = kit.run("xmlsec1", "--verify", "--trusted-pem", f.ca, f.xml, check=False)
        with open(f.xml, encoding="utf-8") as x:
            assert "ecdsa-sha256" in x.read()
        code, out, err = f.verify(f.id)
        assert code == 0, out + err


def flip(path, offset):
    with open(path, "r+b") as fh:
        fh.seek(offset)
        b = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([b[0] ^ 0x01]))


@test
def tampering_is_caught_and_named():
    with tempfile.TemporaryDirectory() as tmp:
        f = Filed(tmp).process()
        # One byte inside the PDF's first signed range.
        bad_pdf = os.path.join(tmp, "bad.pdf")
        shutil.copy(f.pdf, bad_pdf)
        _, _, (a, b, c, d), size = kit.byte_ranges(bad_pdf)
        flip(bad_pdf, a + b // 2)
        code, out, _ = f.verify(bad_pdf)
        assert code == 1 and "digest mismatch" in out, out
        db = kit.nss_db(f.ca, os.path.join(tmp, "nss"))
        assert not kit.pdfsig_valid(kit.pdfsig(bad_pdf, db))
        # Bytes appended after the signature: no longer the whole document.
        longer = os.path.join(tmp, "longer.pdf")
        shutil.copy(f.pdf, longer)
        with open(longer, "ab") as fh:
            fh.write(b"\n% appended\n")
        code, out, _ = f.verify(longer)
        assert code == 1 and "pdf-byte-range" in out, out
        # One character of the OCR text in the XML.
        with open(f.xml, encoding="utf-8") as x:
            xml = x.read()
        i = xml.index("<Page ")
        j = xml.index(">", i) + 1
        k = next(n for n in range(j, len(xml)) if xml[n].isalpha())
        bad_xml = os.path.join(tmp, "bad.xml")
        with open(bad_xml, "w", encoding="utf-8") as x:
            x.write(xml[:k] + ("X" if xml[k] != "X" else "Y") + xml[k + 1:])
        code, out, _ = f.verify(bad_xml)
        assert code == 1 and "xml-signature" in out and "changed" in out, out
        code, out = kit.run("xmlsec1", "--verify", "--trusted-pem", f.ca, bad_xml, check=False)
        assert code != 0, "xmlsec1 accepted a changed XML: " + out


@test
def archived_file_changed_fails_fixity():
    with tempfile.TemporaryDirectory() as tmp:
        f = Filed(tmp).process()
        blob = os.path.join(f.dir, "archive", f.result["files"]["xml"])
        os.chmod(blob, 0o640)
        with open(blob, "ab") as fh:
            fh.write(b"\n")
        code, out, _ = f.verify(f.id)
        assert code == 1 and "FAIL  fixity-xml" in out, out


@test
def certificate_from_another_ca_is_untrusted():
    with tempfile.TemporaryDirectory() as tmp:
        f = Filed(tmp).process()
        other = kit.init_setup(os.path.join(tmp, "other"))
        other_ca = os.path.join(os.path.dirname(other), "keys", "ca.pem")
        for target in (f.pdf, f.xml):
            code, out, _ = f.verify(target, "--trust", other_ca)
            assert code == 1 and "untrusted" in out, out
        code, out = kit.run("xmlsec1", "--verify", "--trusted-pem", other_ca, f.xml, check=False)
        assert code != 0, out


@test
def expired_certificate_is_refused_before_any_work():
    with tempfile.TemporaryDirectory() as tmp:
        f = Filed(tmp)
        p12, pin = kit.expired_signer(f.keys, tmp)
        kit.set_signer(f.conf, pkcs12=p12, pin_file=pin)
        code, out, err = f.run("process", f.scan)
        assert code == 2 and "expired" in err, err
        code, out, _ = f.run("stats", "--json")
        assert json.loads(out)["results"] == 0, out


@test
def no_signing_key_means_nothing_is_filed():
    with tempfile.TemporaryDirectory() as tmp:
        f = Filed(tmp)
        kit.set_signer(f.conf, pkcs12=None, pin_file=None)
        code, _, err = f.run("process", f.scan)
        assert code == 2 and "never files an unsigned result" in err, err
        code, out, err = f.run("process", "--no-archive", "--json", f.scan)
        assert code == 0 and json.loads(out)["signed"] is False, err


def token_setup(tmp):
    f = Filed(tmp)
    env, uri, pin, tokens = kit.softhsm_token(os.path.join(tmp, "hsm"),
                                              os.path.join(f.keys, "signer.p12"),
                                              kit.pin_of(f.keys))
    kit.set_signer(f.conf, pkcs12=None, pin_file=pin, pkcs11_uri=uri,
                   pkcs11_module=kit.SOFTHSM_MODULE)
    f.env = env
    return f, tokens


@test
def softhsm_token_signs_and_every_verifier_agrees():
    with tempfile.TemporaryDirectory() as tmp:
        f, _ = token_setup(tmp)
        f.process()
        assert_pdf_verifies(f.pdf, f.ca, tmp)
        assert_xml_verifies(f.xml, f.ca)
        code, out, err = f.verify(f.id)
        assert code == 0, out + err


def wait_for(proc, text, seconds=120):
    """Reads proc's stderr until `text` shows; returns what was read."""
    seen = ""
    deadline = time.time() + seconds
    os.set_blocking(proc.stderr.fileno(), False)
    while time.time() < deadline and text not in seen:
        chunk = proc.stderr.read()
        if chunk:
            seen += chunk.decode("utf-8", "replace")
        elif proc.poll() is not None:
            break
        time.sleep(0.2)
    assert text in seen, "never saw %r: %s" % (text, seen)
    return seen


def start(f, *args):
    env = dict(os.environ)
    env.pop("SOHOA_CONFIG", None)
    env.update(f.env or {})
    return subprocess.Popen([SOHOA, "-c", f.conf, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)


@test
def token_unplugged_the_job_waits_then_finishes():
    with tempfile.TemporaryDirectory() as tmp:
        f, tokens = token_setup(tmp)
        os.rename(tokens, tokens + ".unplugged")
        p = start(f, "process", "--json", f.scan)
        wait_for(p, "not signed yet")
        assert p.poll() is None, "process gave up instead of waiting"
        os.rename(tokens + ".unplugged", tokens)
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        res = json.loads(out)
        assert res["signed"] is True
        f.id = res["id"]
        code, out, err = f.verify(f.id)
        assert code == 0, out + err


@test
def timestamp_b_t_verifies_with_openssl_ts():
    with tempfile.TemporaryDirectory() as tmp, TsaServer(os.path.join(tmp, "tsa")) as tsa:
        f = Filed(tmp)
        kit.set_signer(f.conf, tsa_url=tsa.url)
        f.process()
        attrs = assert_pdf_verifies(f.pdf, f.ca, tmp)
        assert "unsigned id-smime-aa-timeStampToken" in attrs, attrs
        code, out = kit.run("openssl", "ts", "-verify", "-data",
                            os.path.join(tmp, "signature.bin"), "-in",
                            os.path.join(tmp, "token.der"), "-token_in", "-CAfile",
                            tsa.ca_pem, check=False)
        assert code == 0 and "Verification: OK" in out, out
        # The timestamp counts only when its TSA is trusted too.
        code, out, err = f.verify(f.id)
        assert code == 1 and "pdf-timestamp" in out and "untrusted" in out, out + err
        both = os.path.join(tmp, "trust.pem")
        with open(both, "w") as t:
            t.write(open(f.ca).read() + open(tsa.ca_pem).read())
        code, out, err = f.verify(f.id, "--trust", both)
        assert code == 0 and "pdf-timestamp" in out, out + err


@test
def tsa_down_the_job_waits_then_finishes():
    with tempfile.TemporaryDirectory() as tmp, TsaServer(os.path.join(tmp, "tsa")) as tsa:
        f = Filed(tmp)
        kit.set_signer(f.conf, tsa_url=tsa.url)
        tsa.set_down(True)
        p = start(f, "process", "--json", f.scan)
        wait_for(p, "not signed yet")
        assert p.poll() is None, "process gave up instead of waiting"
        tsa.set_down(False)
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        assert json.loads(out)["signed"] is True


if __name__ == "__main__":
    main()
