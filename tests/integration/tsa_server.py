#!/usr/bin/python3
"""A local RFC 3161 timestamp server for tests, made with the openssl CLI.

    with TsaServer(tmpdir) as tsa:
        tsa.url, tsa.ca_pem      # give tsa.url to sohoa, trust tsa.ca_pem
        tsa.set_down(True)       # the TSA is "down": every request gets 503
        tsa.set_down(False)      # answers again (also: tsa.fail(status), tsa.recover())
        tsa.requests             # how many requests it has seen

In tmpdir it makes a TSA CA and a TSA certificate (extendedKeyUsage critical
timeStamping), an `openssl ts` configuration, and serves HTTP on 127.0.0.1
at a free port: the POST body goes to `openssl ts -reply`, the answer comes
back as application/timestamp-reply.

As a script, for trying things by hand:
    python3 tests/integration/tsa_server.py [--dir DIR] [--port N] [--fail 503]
prints "url <URL>" and "ca <PEM>" lines, then serves until interrupted.
"""
import argparse
import http.server
import os
import subprocess
import sys
import tempfile
import threading

CA_SUBJECT = "/C=VN/O=sohoa tests/CN=sohoa test TSA CA"
TSA_SUBJECT = "/C=VN/O=sohoa tests/CN=sohoa test TSA"
POLICY = "1.3.6.1.4.1.99999.1.1"  # an OID under a placeholder arc, for tests only

TS_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

TSA_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(args, cwd):
    r = subprocess.run(["openssl"] + args, cwd=cwd, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], r.stderr.decode(errors="replace")))
    return r.stdout


def make_tsa_pki(d):
    """Writes ca.pem, ca.key, tsa.pem, tsa.key, tsa.cnf into d (EC P-256 keys)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
              "-subj", CA_SUBJECT,
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    _openssl(["req", "-new"] + ec + ["-keyout", "tsa.key", "-out", "tsa.csr",
              "-subj", TSA_SUBJECT], d)
    with open(os.path.join(d, "tsa.ext"), "w") as f:
        f.write(TSA_EXT)
    _openssl(["x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
              "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", "tsa.ext",
              "-out", "tsa.pem"], d)
    with open(os.path.join(d, "tsaserial"), "w") as f:
        f.write("01\n")
    with open(os.path.join(d, "tsa.cnf"), "w") as f:
        f.write(TS_CONFIG.format(dir=d, policy=POLICY))


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        tsa = self.server.tsa
        n = int(self.headers.get("Content-Length", "0"))
        query = self.rfile.read(n)
        with tsa.lock:
            tsa.requests += 1
            status = tsa.status
        if status != 200:
            self._answer(status, b"timestamp service unavailable\n", "text/plain")
            return
        try:
            reply = tsa.reply(query)
        except RuntimeError as e:
            self._answer(400, str(e).encode(), "text/plain")
            return
        self._answer(200, reply, "application/timestamp-reply")

    def _answer(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass  # tests read their own output


class TsaServer:
    def __init__(self, tmpdir, port=0):
        self.dir = os.path.abspath(tmpdir)
        self.port = port
        self.status = 200
        self.requests = 0
        self.lock = threading.Lock()
        self._httpd = None
        self._thread = None
        self._serial = threading.Lock()  # openssl ts -reply rewrites the serial file

    @property
    def ca_pem(self):
        return os.path.join(self.dir, "ca.pem")

    @property
    def tsa_pem(self):
        return os.path.join(self.dir, "tsa.pem")

    @property
    def url(self):
        return "http://127.0.0.1:%d/tsa" % self.port

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        make_tsa_pki(self.dir)
        self._httpd = http.server.HTTPServer(("127.0.0.1", self.port), _Handler)
        self._httpd.tsa = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = None

    def fail(self, status=503):
        """Every request from now on gets this HTTP status and no token."""
        with self.lock:
            self.status = status

    def recover(self):
        self.fail(200)

    def set_down(self, down):
        """True: answer 503 (the TSA is down); False: answer again."""
        self.fail(503 if down else 200)

    def reply(self, query):
        """The DER TimeStampResp for a DER TimeStampReq, from openssl ts."""
        with self._serial, tempfile.TemporaryDirectory(dir=self.dir) as work:
            q = os.path.join(work, "query.tsq")
            with open(q, "wb") as f:
                f.write(query)
            r = subprocess.run(["openssl", "ts", "-reply", "-queryfile", q,
                                "-config", os.path.join(self.dir, "tsa.cnf"),
                                "-out", os.path.join(work, "reply.tsr")],
                               capture_output=True)
            if r.returncode != 0:
                raise RuntimeError("openssl ts -reply: " + r.stderr.decode(errors="replace"))
            with open(os.path.join(work, "reply.tsr"), "rb") as f:
                return f.read()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    ap = argparse.ArgumentParser(description="local RFC 3161 TSA for tests")
    ap.add_argument("--dir", help="where the keys go (default: a new temp dir)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--fail", type=int, default=0, help="answer every request with this status")
    a = ap.parse_args()
    d = a.dir or tempfile.mkdtemp(prefix="tsa_server.")
    with TsaServer(d, a.port) as tsa:
        if a.fail:
            tsa.fail(a.fail)
        print("url", tsa.url)
        print("ca", tsa.ca_pem, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
