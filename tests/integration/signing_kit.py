"""What the signing tests need around sohoa: independent verifiers (pdfsig,
openssl cms, xmlsec1, qpdf), a SoftHSM2 token, an expired certificate, and a
small scan. Every tool here is the real one from Debian."""
import os
import re
import shutil
import subprocess

from harness import ROOT, SOHOA

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOOLS = os.environ.get("SOHOA_TOOLS", os.path.join(ROOT, "build", "release", "tools"))


def run(*args, env=None, check=True, input=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.run(list(args), capture_output=True, env=full_env, input=input, timeout=600)
    out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(args), p.returncode, out))
    return p.returncode, out


def small_scan(dest, shift=0):
    """The top third of the receipt sample (a grey PGM): real text, fast OCR.
    Another shift (rows) gives another scan: other bytes, other result."""
    with open(os.path.join(ROOT, "samples", "receipt-a5-hungyen-200dpi-grey.pgm"), "rb") as f:
        data = f.read()
    m = re.match(rb"P5\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s", data)
    width, height, maxval = int(m.group(1)), int(m.group(2)), int(m.group(3))
    assert maxval < 256
    rows = height // 3
    body = data[m.end() + width * shift:m.end() + width * (shift + rows)]
    with open(dest, "wb") as f:
        f.write(b"P5\n# dpi=200\n%d %d\n255\n" % (width, rows) + body)
    return dest


def init_setup(d, *extra):
    rc, out, err = sohoa_init(d, *extra)
    assert rc == 0, err
    return os.path.join(d, "sohoa.conf")


def sohoa_init(d, *extra):
    p = subprocess.run([SOHOA, "init", *extra, d], capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def set_signer(conf, **keys):
    """Rewrites the [signer] section with `keys` (None removes a key)."""
    with open(conf, encoding="utf-8") as f:
        text = f.read()
    head, rest = text.split("[signer]\n", 1)
    body, tail = rest.split("\n[", 1)
    kv = dict(line.split(" = ", 1) for line in body.splitlines() if " = " in line)
    for k, v in keys.items():
        if v is None:
            kv.pop(k, None)
        else:
            kv[k] = v
    section = "".join("%s = %s\n" % item for item in kv.items())
    with open(conf, "w", encoding="utf-8") as f:
        f.write(head + "[signer]\n" + section + "\n[" + tail)


def nss_db(ca_pem, d):
    db = os.path.join(d, "nssdb")
    os.makedirs(db, exist_ok=True)
    run("certutil", "-N", "--empty-password", "-d", "sql:" + db)
    run("certutil", "-A", "-n", "sohoa-ca", "-t", "C,C,C", "-i", ca_pem, "-d", "sql:" + db)
    return db


def pdfsig(pdf, db):
    return run("pdfsig", "-nssdir", "sql:" + db, pdf, check=False)[1]


def pdfsig_valid(text):
    return ("Signature Validation: Signature is Valid." in text and
            "Total document signed" in text)


def byte_ranges(pdf):
    """(the signed bytes, the CMS DER) of the last signature in the file."""
    with open(pdf, "rb") as f:
        data = f.read()
    m = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data))[-1]
    a, b, c, d = (int(x) for x in m.groups())
    signed = data[a:a + b] + data[c:c + d]
    hexstr = data[a + b:c].strip(b"<>")
    der = bytes.fromhex(hexstr.decode())
    # The placeholder is zero-padded: keep the DER's own length.
    if der[1] & 0x80:
        n = der[1] & 0x7F
        length = 2 + n + int.from_bytes(der[2:2 + n], "big")
    else:
        length = 2 + der[1]
    return signed, der[:length], (a, b, c, d), len(data)


def cms_verify(pdf, ca_pem, d):
    signed, der, _, _ = byte_ranges(pdf)
    content, sig = os.path.join(d, "content.bin"), os.path.join(d, "sig.der")
    with open(content, "wb") as f:
        f.write(signed)
    with open(sig, "wb") as f:
        f.write(der)
    return run("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
               "-content", content, "-CAfile", ca_pem, "-purpose", "any", "-out", "/dev/null",
               check=False)


def cms_parts(pdf, d):
    """Signed/unsigned attribute names; writes d/signature.bin and d/token.der."""
    _, der, _, _ = byte_ranges(pdf)
    sig = os.path.join(d, "parts.der")
    with open(sig, "wb") as f:
        f.write(der)
    _, out = run(os.path.join(TOOLS, "cms_parts"), sig, d)
    return out.split("\n")


def softhsm_token(d, p12, p12_pin):
    """A SoftHSM2 token holding the signer key and certificate of `p12`.
    Returns (env, uri, pin file, token dir)."""
    tokens = os.path.join(d, "tokens")
    os.makedirs(tokens)
    conf = os.path.join(d, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write("directories.tokendir = %s\nobjectstore.backend = file\n" % tokens)
    env = {"SOFTHSM2_CONF": conf}
    run("softhsm2-util", "--init-token", "--free", "--label", "sohoa-test", "--pin", "4321",
        "--so-pin", "87654321", env=env)
    key_pem, key_der, cert_der = (os.path.join(d, n) for n in ("k.pem", "k.der", "c.der"))
    run("openssl", "pkcs12", "-in", p12, "-passin", "pass:" + p12_pin, "-nocerts", "-nodes",
        "-out", key_pem)
    run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", key_pem, "-outform", "DER", "-out", key_der)
    run("openssl", "pkcs12", "-in", p12, "-passin", "pass:" + p12_pin, "-clcerts", "-nokeys",
        "-out", key_pem)
    run("openssl", "x509", "-in", key_pem, "-outform", "DER", "-out", cert_der)
    for obj, typ in ((key_der, "privkey"), (cert_der, "cert")):
        run("pkcs11-tool", "--module", SOFTHSM_MODULE, "--login", "--pin", "4321",
            "--token-label", "sohoa-test", "--write-object", obj, "--type", typ,
            "--id", "01", "--label", "signer", env=env)
    os.unlink(key_pem)
    os.unlink(key_der)
    pin = os.path.join(d, "token.pin")
    with open(pin, "w") as f:
        f.write("4321\n")
    os.chmod(pin, 0o600)
    return env, "pkcs11:token=sohoa-test;object=signer;type=private", pin, tokens


def expired_signer(keys, d):
    """A PKCS#12 whose certificate, from the same dev CA, expired in 2021."""
    cnf = os.path.join(d, "ca.cnf")
    db = os.path.join(d, "index.txt")
    open(db, "w").close()
    with open(cnf, "w") as f:
        f.write("[ca]\ndefault_ca = dev\n[dev]\ndatabase = %s\nnew_certs_dir = %s\n"
                "serial = %s/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n"
                "[any]\ncommonName = supplied\n[ext]\nkeyUsage = critical,digitalSignature,"
                "nonRepudiation\n" % (db, d, d))
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    key, csr, crt = (os.path.join(d, n) for n in ("old.key", "old.csr", "old.pem"))
    run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=Expired signer")
    run("openssl", "ca", "-batch", "-config", cnf, "-cert", os.path.join(keys, "ca.pem"),
        "-keyfile", os.path.join(keys, "ca.key"), "-in", csr, "-out", crt, "-extensions", "ext",
        "-startdate", "20200101000000Z", "-enddate", "20210101000000Z", "-notext")
    p12 = os.path.join(d, "old.p12")
    run("openssl", "pkcs12", "-export", "-inkey", key, "-in", crt, "-out", p12,
        "-passout", "pass:old")
    os.chmod(p12, 0o600)
    pin = os.path.join(d, "old.pin")
    with open(pin, "w") as f:
        f.write("old\n")
    os.chmod(pin, 0o600)
    return p12, pin


def pin_of(keys):
    with open(os.path.join(keys, "signer.pin")) as f:
        return f.read().strip()


def have(*tools):
    return all(shutil.which(t) for t in tools)
