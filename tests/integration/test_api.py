"""The HTTPS API (`sohoa serve`) through the curl command line, against the real binary.

One setup for the whole file: `sohoa init`, a receipt that belongs to a dossier (so it has a
result code) and a letter (a JPEG, no dossier) filed with `sohoa process`, and the server
on a free port with `timeout = 3`. A second server on the same setup checks client
certificates (mTLS). Tests that need the setup fail, all with the same reason, when it
could not be made.

Files, Range, ETag; credentials, scopes, the tokens file re-read while running, the limit on
failed attempts (from an address of its own, and last); hostile input and slow
connections; corrections through POST; the access journal in the audit chain; /metrics;
and every route docs/openapi.yaml lists, whose answers must match its schemas."""
import atexit
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import time

import yaml

from harness import ROOT, SOHOA, main, sohoa, test

RECEIPT = "samples/receipt-a5-hungyen-200dpi-grey.pgm"  # dossier 000.00.17.H10-210317-0376
LETTER = "samples/kontum-congvan-200dpi-colour.jpg"      # a JPEG; no dossier
OPENAPI = os.path.join(ROOT, "docs", "openapi.yaml")
TIMEOUT_S = 3            # [api] timeout of the servers started here
NAME = "Nguyễn Văn An"
HOST = "127.0.0.1"


class Server:
    """One `sohoa -c CONF serve`, stopped at exit."""

    def __init__(self, conf, log):
        self.conf, self.log_path = conf, log
        self.port = None
        self.proc = None

    def start(self):
        self.port = int(re.search(r"^listen = [\d.]+:(\d+)$", open(self.conf).read(),
                                  re.M).group(1))
        self.base = "https://%s:%d" % (HOST, self.port)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([SOHOA, "-c", self.conf, "serve"], stdout=log,
                                     stderr=log, cwd=ROOT)
        log.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("sohoa serve exited (%s): %s" % (self.proc.returncode,
                                                                      self.log()))
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("sohoa serve does not listen on %d: %s" % (self.port, self.log()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class State:
    tmp = None
    dir = None
    conf = None
    init_conf = None     # sohoa.conf as init wrote it
    ca = None
    srv = None           # the main server
    mtls = None          # the server with client_ca
    read = None          # tokens
    admin = None
    clerk = None         # scope review, made with `token add` while the server runs
    receipt = None       # results as `process --json` printed them
    letter = None
    error = None         # why the setup failed


S = State()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run(*args):
    return sohoa("-c", S.conf, *args)


def run_json(*args):
    code, out, err = run(*args)
    assert code == 0, "sohoa %s: exit %d: %s" % (" ".join(args), code, err)
    return json.loads(out)


def write_conf(path, port, extra=""):
    """The conf `init` wrote, on `port`, with TIMEOUT_S and `extra` in [api]."""
    if S.init_conf is None:
        S.init_conf = open(os.path.join(S.dir, "sohoa.conf"), encoding="utf-8").read()
    text = S.init_conf
    text, n = re.subn(r"^listen = .*$", "listen = %s:%d\ntimeout = %d%s" % (
        HOST, port, TIMEOUT_S, extra), text, flags=re.M)
    assert n == 1, "no listen line in the [api] section that init wrote"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def setup():
    """Makes the setup once; every test calls it."""
    if S.error is not None:
        raise AssertionError("cannot run: the setup failed: " + S.error)
    if S.srv is not None:
        return
    try:
        S.tmp = tempfile.mkdtemp(prefix="sohoa-api-")
        S.dir = os.path.join(S.tmp, "s")
        code, _, err = sohoa("init", S.dir)
        assert code == 0, "sohoa init: " + err
        S.conf = os.path.join(S.dir, "sohoa.conf")
        S.ca = os.path.join(S.dir, "keys", "ca.pem")
        write_conf(S.conf, free_port())
        S.read = open(os.path.join(S.dir, "keys", "api-token")).read().strip()
        S.admin = open(os.path.join(S.dir, "keys", "admin-token")).read().strip()
        S.receipt = run_json("process", "--json", RECEIPT)
        S.letter = run_json("process", "--json", LETTER)
        assert S.receipt.get("result_code") and S.receipt["fields"].get("dossier_code"), \
            "the receipt has no result code: %s" % S.receipt.get("fields")
        srv = Server(S.conf, os.path.join(S.tmp, "serve.log"))
        srv.start()
        S.srv = srv
    except Exception as exc:
        S.error = str(exc) or repr(exc)
        raise


def cleanup():
    for s in (S.srv, S.mtls):
        if s is not None:
            s.stop()
    if S.tmp is not None:
        shutil.rmtree(S.tmp, ignore_errors=True)


atexit.register(cleanup)

# ---- HTTP through the curl command line ----------------------------------------------


class Resp:
    def __init__(self, status, headers, body, exit_code, err):
        self.status, self.headers, self.body = status, headers, body
        self.exit, self.err = exit_code, err

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise AssertionError("HTTP %d: not JSON: %r" % (self.status, self.body[:300]))

    def __repr__(self):
        return "HTTP %d %r %r" % (self.status, self.body[:300], self.err[-300:])


def curl(path, token=None, method=None, headers=(), data=None, server=None, as_is=False,
         cert=None, interface=None, timeout=30):
    """One request; the status, the last response's headers (lower-case names), the body."""
    server = server or S.srv
    fd, body_file = tempfile.mkstemp(dir=S.tmp)
    os.close(fd)
    hdr_file = body_file + ".h"
    args = ["curl", "-sS", "--cacert", S.ca, "-o", body_file, "-D", hdr_file,
            "-w", "%{http_code}", "--max-time", str(timeout)]
    if method:
        args += ["-X", method]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    for h in headers:
        args += ["-H", h]
    if data is not None:
        data_file = body_file + ".in"
        with open(data_file, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        args += ["--data-binary", "@" + data_file, "-H", "Content-Type: application/json"]
    if as_is:
        args.append("--path-as-is")
    if cert:
        args += ["--cert", cert[0], "--key", cert[1]]
    if interface:
        args += ["--interface", interface]
    args.append(server.base + path)
    p = subprocess.run(args, capture_output=True, timeout=timeout + 10)
    status = int(p.stdout.decode() or 0)
    body = open(body_file, "rb").read() if os.path.exists(body_file) else b""
    heads = {}
    if os.path.exists(hdr_file):
        blocks = open(hdr_file, "rb").read().decode("latin-1").split("\r\n\r\n")
        blocks = [b for b in blocks if b.strip()]
        for line in (blocks[-1].split("\r\n")[1:] if blocks else []):
            if ":" in line:
                k, v = line.split(":", 1)
                heads[k.strip().lower()] = v.strip()
    for f in (body_file, hdr_file, body_file + ".in"):
        if os.path.exists(f):
            os.unlink(f)
    return Resp(status, heads, body, p.returncode, p.stderr.decode("utf-8", "replace"))


def expect(r, status, what=""):
    assert r.status == status, "%s: expected %d, got %r" % (what, status, r)
    return r


def expect_error(r, status, what=""):
    """A JSON error {"error", "status"} with this status."""
    expect(r, status, what)
    assert r.headers.get("content-type", "").startswith("application/json"), (what, r.headers)
    e = r.json()
    assert isinstance(e.get("error"), str) and e["error"] and e.get("status") == status, \
        (what, e)
    return e


def healthy(server=None):
    r = curl("/healthz", server=server, timeout=10)
    assert r.status == 200 and r.json()["status"] == "ok", "the server does not answer: %r" % r
    assert (server or S.srv).alive(), "the server died: " + (server or S.srv).log()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def archived(result, kind):
    shown = run_json("show", "--json", result["id"])
    return open(os.path.join(S.dir, "archive", shown["files"][kind]), "rb").read()


def tls_socket(server=None):
    ctx = ssl.create_default_context(cafile=S.ca)
    ctx.check_hostname = False
    raw = socket.create_connection((HOST, (server or S.srv).port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=HOST)


def raw_request(request):
    """Sends bytes curl cannot (a NUL) over TLS; the status line's code."""
    s = tls_socket()
    s.sendall(request)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else 0


def audit_rows():
    db = sqlite3.connect(os.path.join(S.dir, "archive", "index.sqlite"), timeout=10)
    try:
        return db.execute("SELECT actor, action, result_id, detail FROM audit ORDER BY seq"
                          ).fetchall()
    finally:
        db.close()


def add_token(name, scope):
    code, out, err = run("token", "add", name, "--scope", scope)
    assert code == 0, "token add: " + err
    token = out.strip()
    assert re.fullmatch(r"sohoa_[A-Za-z0-9_-]{43}", token), "not a token: %r" % token
    return token


# ---- files ---------------------------------------------------------------------------


@test
def files_are_the_archived_bytes_with_type_name_and_etag():
    setup()
    rec, let = S.receipt, S.letter
    code, dossier = rec["result_code"], rec["fields"]["dossier_code"]
    kinds = {"pdf": ("application/pdf", "inline", "pdf"),
             "xml": ("application/xml; charset=utf-8", "inline", "xml")}
    for kind, (ctype, disp, ext) in kinds.items():
        want = archived(rec, kind)
        for key in (rec["id"], code, dossier):
            r = expect(curl("/v1/results/%s/%s" % (key, kind), S.read), 200, kind + " " + key)
            assert r.body == want, "%s by %s: not the archived bytes" % (kind, key)
            assert r.headers.get("content-type") == ctype, r.headers
            assert r.headers.get("content-disposition") == '%s; filename="%s.%s"' % (
                disp, code, ext), r.headers
            assert r.headers.get("etag") == '"%s"' % sha256(want), r.headers
            assert r.headers.get("accept-ranges") == "bytes", r.headers
        r = curl("/v1/results/%s/%s" % (code, kind), S.read,
                 headers=["If-None-Match: " + '"%s"' % sha256(want)])
        assert r.status == 304 and r.body == b"", "If-None-Match: %r" % r
        assert r.headers.get("etag") == '"%s"' % sha256(want), r.headers
        r = curl("/v1/results/%s/%s" % (code, kind), S.read,
                 headers=['If-None-Match: "%s"' % ("0" * 64)])
        assert r.status == 200 and r.body == want, "a stale ETag must get the file: %r" % r
    # The originals: the receipt's PGM, the letter's JPEG (sniffed), as attachments.
    want = archived(rec, "original")
    r = expect(curl("/v1/results/%s/original" % dossier, S.read), 200, "original")
    assert r.body == want and r.headers.get("etag") == '"%s"' % sha256(want), r.headers
    assert r.headers.get("content-type") in ("image/x-portable-graymap",
                                             "application/octet-stream"), r.headers
    assert r.headers.get("content-disposition", "").startswith(
        'attachment; filename="%s.' % code), r.headers
    want = archived(let, "original")
    assert want == open(os.path.join(ROOT, LETTER), "rb").read()
    r = expect(curl("/v1/results/%s/original" % let["id"], S.read), 200, "letter original")
    assert r.body == want and r.headers.get("content-type") == "image/jpeg", r.headers
    assert r.headers.get("content-disposition") == 'attachment; filename="%s.jpg"' % (
        let["id"][:16]), r.headers
    assert r.headers.get("etag") == '"%s"' % let["id"], r.headers
    # The result object itself, by each key.
    for key in (rec["id"], code, dossier):
        got = expect(curl("/v1/results/" + key, S.read), 200, key).json()
        assert got["id"] == rec["id"] and got["result_code"] == code, got.get("id")
        assert got["fields"] == rec["fields"] and "text" in got, key
    got = expect(curl("/v1/dossiers/%s/results" % dossier, S.read), 200).json()
    assert got["dossier_code"] == dossier and [x["id"] for x in got["results"]] == [rec["id"]]
    assert "text" not in got["results"][0], "lists leave out the text"
    expect_error(curl("/v1/results/%s/pdf" % ("0" * 64), S.read), 404, "unknown id")
    expect_error(curl("/v1/dossiers/000.00.00.X00-000000-0000/results", S.read), 404)


@test
def ranges_give_206_exact_bytes_and_416_past_the_end():
    setup()
    path = "/v1/results/%s/pdf" % S.receipt["result_code"]
    whole = archived(S.receipt, "pdf")
    size = len(whole)
    r = expect(curl(path, S.read, headers=["Range: bytes=100-199"]), 206, "bytes=100-199")
    assert r.body == whole[100:200], "not bytes 100-199"
    assert r.headers.get("content-range") == "bytes 100-199/%d" % size, r.headers
    assert r.headers.get("content-length") == "100", r.headers
    assert r.headers.get("content-type") == "application/pdf", r.headers
    assert r.headers.get("etag") == '"%s"' % sha256(whole), r.headers
    r = expect(curl(path, S.read, headers=["Range: bytes=-50"]), 206, "bytes=-50")
    assert r.body == whole[-50:], "not the last 50 bytes"
    assert r.headers.get("content-range") == "bytes %d-%d/%d" % (size - 50, size - 1, size)
    r = expect(curl(path, S.read, headers=["Range: bytes=%d-" % (size - 10)]), 206, "open")
    assert r.body == whole[-10:], "not the last 10 bytes"
    r = expect(curl(path, S.read, headers=["Range: bytes=%d-%d" % (size - 5, size + 1000)]),
               206, "clipped")
    assert r.body == whole[-5:], "a range past the end is clipped to it"
    for past in ("bytes=%d-" % size, "bytes=%d-%d" % (size + 10, size + 20)):
        e = expect_error(curl(path, S.read, headers=["Range: " + past]), 416, past)
        r = curl(path, S.read, headers=["Range: " + past])
        assert r.headers.get("content-range") == "bytes */%d" % size, (past, r.headers, e)
    # Malformed or several ranges: ignored, the whole file.
    for odd in ("bytes=abc", "bytes=0-1,5-9", "items=0-5"):
        r = expect(curl(path, S.read, headers=["Range: " + odd]), 200, odd)
        assert r.body == whole, odd
    # The original and the XML take ranges too.
    xml = archived(S.receipt, "xml")
    r = expect(curl("/v1/results/%s/xml" % S.receipt["id"], S.read,
                    headers=["Range: bytes=0-4"]), 206, "xml range")
    assert r.body == xml[:5] == b"<?xml", r.body
    jpeg = open(os.path.join(ROOT, LETTER), "rb").read()
    r = expect(curl("/v1/results/%s/original" % S.letter["id"], S.read,
                    headers=["Range: bytes=2-"]), 206, "original range")
    assert r.body == jpeg[2:] and r.headers.get("content-type") == "image/jpeg", r.headers
    assert r.headers.get("content-range") == "bytes 2-%d/%d" % (len(jpeg) - 1, len(jpeg))


# ---- credentials and scopes ------------------------------------------------------------


@test
def credentials_and_scopes_are_enforced():
    setup()
    key = S.receipt["result_code"]
    r = curl("/v1/results/" + key)
    e = expect_error(r, 401, "no token")
    assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
    assert S.receipt["id"] not in r.body.decode("utf-8", "replace")
    r = curl("/v1/results/" + key, "sohoa_" + "A" * 43)
    expect_error(r, 401, "a wrong token")
    assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
    assert e["error"] != r.json()["error"], "the two 401s should say what is wrong"
    who = expect(curl("/v1/whoami", S.read), 200).json()
    assert who == {"name": "demo-read", "scope": "read"}, who
    body = json.dumps({"fields": {"applicant": NAME}})
    for method, path, data in (("GET", "/v1/review", None), ("GET", "/v1/recent", None),
                               ("POST", "/v1/results/%s/review" % S.letter["id"], body),
                               ("GET", "/v1/status", None)):
        e = expect_error(curl(path, S.read, method=method, data=data), 403, "read: " + path)
        need = "admin" if path == "/v1/status" else "review"
        assert "needs scope " + need in e["error"], e
    assert run_json("show", "--json", S.letter["id"]).get("version", 1) == 1, \
        "a refused correction was filed"
    who = expect(curl("/v1/whoami", S.admin), 200).json()
    assert who == {"name": "demo-admin", "scope": "admin"}, who
    r = curl("/v1/status", S.admin)
    assert r.status in (200, 503), r
    if r.status == 503:  # `serve` alone: no daemon to ask
        assert "not running" in expect_error(r, 503)["error"]
    expect(curl("/v1/review", S.admin), 200, "admin: review queue").json()["results"]
    recent = expect(curl("/v1/recent", S.admin), 200, "admin: recent").json()
    assert recent["daemon"] is False and recent["scans"] == [], recent


@test
def a_token_added_while_running_works_without_a_restart():
    setup()
    S.clerk = add_token("clerk", "review")
    started = time.time()
    while True:  # refusals count as failures: from an address of its own, and not often
        r = curl("/v1/whoami", S.clerk, interface="127.0.0.4")
        if r.status == 200 or time.time() - started > 2.5:
            break
        time.sleep(0.5)
    assert r.status == 200, "the new token is refused %.1f s after token add: %r" % (
        time.time() - started, r)
    assert r.json() == {"name": "clerk", "scope": "review"}, r.json()
    assert time.time() - started < 2.5, "the tokens file was re-read only after %.1f s" % (
        time.time() - started)
    expect(curl("/v1/review", S.clerk), 200, "review scope: the queue")
    expect_error(curl("/v1/status", S.clerk), 403, "review scope: status")
    expect(curl("/v1/whoami", S.read), 200, "the old tokens still work")
    assert os.stat(os.path.join(S.dir, "keys", "api-tokens")).st_mode & 0o077 == 0
    assert S.clerk not in open(os.path.join(S.dir, "keys", "api-tokens")).read(), \
        "the tokens file must keep only hashes"


# ---- corrections ---------------------------------------------------------------------


@test
def a_correction_through_post_is_a_new_version():
    setup()
    if S.clerk is None:
        S.clerk = add_token("clerk", "review")
        time.sleep(1.1)
    rid = S.letter["id"]
    path = "/v1/results/%s/review" % rid
    old_xml = expect(curl("/v1/results/%s/xml" % rid, S.read), 200).body
    new = expect(curl(path, S.clerk, method="POST",
                      data=json.dumps({"fields": {"applicant": NAME}}, ensure_ascii=False)),
                 200, "a correction").json()
    assert new["id"] == rid and new["version"] == 2, new.get("version")
    assert new["fields"]["applicant"] == NAME, new["fields"]
    last = new["corrections"][-1]
    assert (last["field"], last["to"], last["by"]) == ("applicant", NAME, "clerk"), last
    got = expect(curl("/v1/results/" + rid, S.read), 200).json()
    assert got["version"] == 2 and got["fields"]["applicant"] == NAME, got.get("version")
    xml = expect(curl("/v1/results/%s/xml" % rid, S.read), 200).body
    assert xml != old_xml and NAME.encode("utf-8") in xml, "the XML was not re-issued"
    assert expect(curl("/v1/results/%s/verify" % rid, S.read), 200).json()["ok"] is True
    # Refused: nothing filed.
    e = expect_error(curl(path, S.clerk, method="POST",
                          data='{"fields": {"date": "2024-13-45"}}'), 422, "a bad date")
    assert "date" in e["error"], e
    expect_error(curl(path, S.clerk, method="POST", data='{"fields": {"colour": "red"}}'),
                 422, "an unknown field")
    for bad in ("not json", '{"fields": {"applicant": 5}}', '{"fields": {}}', "[]", ""):
        expect_error(curl(path, S.clerk, method="POST", data=bad), 400, "body %r" % bad)
    expect_error(curl("/v1/results/%s/review" % ("0" * 64), S.clerk, method="POST",
                      data='{"fields": {"applicant": "A"}}'), 404, "no such result")
    assert expect(curl("/v1/results/" + rid, S.read), 200).json()["version"] == 2, \
        "a refused correction was filed"
    reviews = [row for row in audit_rows() if row[1] == "review" and row[2] == rid]
    assert len(reviews) == 1 and reviews[0][0] == "api:clerk", reviews


# ---- the access journal --------------------------------------------------------------


@test
def every_access_is_in_the_audit_chain():
    setup()
    token = add_token("auditor", "read")
    time.sleep(1.1)  # the tokens file is looked at once a second
    rid, code = S.receipt["id"], S.receipt["result_code"]
    reads = {"result": "/v1/results/" + code, "pdf": "/v1/results/%s/pdf" % rid,
             "xml": "/v1/results/%s/xml" % code, "original": "/v1/results/%s/original" % rid,
             "verify": "/v1/results/%s/verify" % rid,
             "dossier": "/v1/dossiers/%s/results" % S.receipt["fields"]["dossier_code"]}
    for what, path in reads.items():
        expect(curl(path, token), 200, what)
    expect(curl("/v1/search?dossier=" + S.receipt["fields"]["dossier_code"], token), 200)
    deadline = time.time() + 2.5
    while True:
        mine = [r for r in audit_rows() if r[0] == "api:auditor"]
        seen = {r[3] for r in mine if r[1] == "access" and r[2] == rid}
        searched = any(r[2] is None and rid in r[3] for r in mine)
        # the search's record may come in the journal's next batch
        if (seen >= set(reads) and searched) or time.time() > deadline:
            break
        time.sleep(0.1)
    assert seen >= set(reads), "access records of api:auditor: %s" % mine
    searches = [r for r in mine if r[2] is None]
    assert searches and rid in searches[-1][3], "the search is not journalled: %s" % mine
    fsck = run_json("fsck", "--json")
    assert fsck["clean"] is True and fsck["audit"]["ok"] is True, fsck


# ---- /metrics --------------------------------------------------------------------------

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)'
                    r'(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})?'
                    r' (-?[0-9.]+(?:[eE][-+]?[0-9]+)?|NaN|[+-]Inf)( -?[0-9]+)?$')


@test
def metrics_are_prometheus_text():
    setup()
    expect(curl("/healthz"), 200)
    r = expect(curl("/metrics"), 200, "/metrics needs no token")
    assert r.headers.get("content-type", "").startswith("text/plain; version=0.0.4"), r.headers
    values, types = {}, {}
    for line in r.body.decode("utf-8").splitlines():
        if line.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$", line)
            assert m, "a bad comment line: %r" % line
            if m.group(1) == "TYPE":
                assert m.group(2) not in types, "TYPE twice for " + m.group(2)
                assert m.group(3) in ("counter", "gauge", "histogram", "summary", "untyped")
                types[m.group(2)] = m.group(3)
            continue
        m = SAMPLE.match(line)
        assert m, "not `name{labels} value`: %r" % line
        values[m.group(1) + (m.group(2) or "")] = float(m.group(5))
    assert values.get("sohoa_daemon_up") == 0, "serve alone: no daemon"
    assert values.get("sohoa_archive_results") == 2, values.get("sohoa_archive_results")
    assert values.get('sohoa_http_requests_total{code="2xx"}', 0) >= 1, values
    assert "sohoa_http_request_seconds_count" in values, sorted(values)
    for name in values:
        family = re.sub(r"(_bucket|_sum|_count)$", "", name.split("{")[0])
        assert name.split("{")[0] in types or family in types, "no TYPE for " + name


# ---- hostile input ---------------------------------------------------------------------


@test
def hostile_input_gets_4xx_and_the_server_stays_up():
    setup()
    rid, code = S.receipt["id"], S.receipt["result_code"]
    cases = [
        ("/v1/results/../../../etc/passwd", 400, True),
        ("/v1/results/%s/../../status" % rid, 400, True),
        ("/v1/results/%2e%2e/pdf", 400, True),
        ("/v1/results/..%2f..%2fetc%2fpasswd/pdf", 400, True),
        ("/v1/results/a..b/pdf", 400, False),
        ("/v1/results/abc%00def/pdf", 400, False),
        ("/v1/results/%s%%00/pdf" % code, 400, False),
        ("/v1/results/" + "a" * 10000, 400, False),   # a 10 kB URI: no such key
        ("/v1/search?q=a%00b", 400, False),
        ("/v1/search?number=59%00", 400, False),
        ("/v1/search?limit=abc", 400, False),
        ("/v1/search?limit=0", 400, False),
        ("/v1/search?limit=99999", 400, False),
        ("/v1/search?limit=-1", 400, False),
        ("/v1/search?limit=", 400, False),
        ("/v1/search?from=2024-02-30", 400, False),
        ("/v1/search?to=2023-13-01", 400, False),
        ("/v1/search?from=yesterday", 400, False),
        ("/v1/search?from=2024-02-01&to=2024-01-01", 400, False),
        ("/v1/search?colour=red", 400, False),
        ("/v1/review?limit=abc", 400, False),
        ("/v1/no-such-route", 404, False),
        ("/no-such-file", 404, False),
        ("/v1/results/%s/thumbnail" % rid, 404, False),
    ]
    for path, status, as_is in cases:
        expect_error(curl(path, S.admin, as_is=as_is), status, path[:80])
    for method, path in (("DELETE", "/v1/results/" + rid), ("PUT", "/v1/results/" + rid),
                         ("PATCH", "/v1/search"), ("POST", "/v1/search"),
                         ("DELETE", "/v1/results/%s/pdf" % rid)):
        expect_error(curl(path, S.admin, method=method), 405, method + " " + path)
    r = curl("/v1/results/%s/review" % rid, S.admin, method="POST",
             data=b'{"fields": {"subject": "' + b"a" * 70000 + b'"}}')
    expect_error(r, 413, "a 70 kB body")
    r = curl("/v1/search?q=" + "a" * 40000, S.admin)
    assert r.status in (414, 431), "a 40 kB URI: %r" % r
    r = curl("/v1/whoami", S.admin, headers=["X-Padding: " + "b" * 40000])
    assert r.status in (413, 414, 431), "a 40 kB header: %r" % r
    deep = "[" * 5000 + "]" * 5000
    expect_error(curl("/v1/results/%s/review" % rid, S.admin, method="POST", data=deep), 400,
                 "deeply nested JSON")
    for q in ('"', "AND ( OR", "NEAR(a", "*", "a:b", "%FF%FE"):
        r = curl("/v1/search?q=" + q.replace(" ", "%20").replace('"', "%22"), S.admin)
        assert r.status in (200, 400), "q=%r: %r" % (q, r)
    healthy()
    assert run_json("show", "--json", rid).get("version", 1) == 1


@test
def a_raw_nul_or_an_encoded_slash_in_the_path_is_400():
    # The contract: a key with "/" or NUL is 400, "checked before any lookup". curl cannot
    # send a raw NUL; a raw socket can.
    setup()
    auth = b"Authorization: Bearer " + S.admin.encode()
    code = S.receipt["result_code"].encode()
    wrong = []
    for target in (b"/v1/results/" + code + b"\x00/../../etc/passwd",
                   b"/v1/results/ab\x00cd/pdf", b"/v1/search?q=a\x00b",
                   b"/v1/results/" + code + b"%2fpdf", b"/v1/results/" + code + b"%2Fxml"):
        status = raw_request(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + auth +
                             b"\r\nConnection: close\r\n\r\n")
        if status != 400:
            wrong.append("GET %r: %d" % (target, status))
    healthy()
    assert not wrong, "expected 400: " + "; ".join(wrong)


@test
def other_methods_on_the_public_routes_are_405():
    # Only GET (and HEAD) are documented for them; with a token so that a refusal cannot
    # count as a failed attempt.
    setup()
    wrong = []
    for method, path in (("DELETE", "/healthz"), ("POST", "/metrics"), ("PUT", "/"),
                         ("DELETE", "/app.js")):
        r = curl(path, S.admin, method=method)
        if r.status != 405:
            wrong.append("%s %s: %d" % (method, path, r.status))
    assert not wrong, "expected 405: " + "; ".join(wrong)


# ---- slow connections ----------------------------------------------------------------


def closed_within(sock, seconds):
    """Seconds until the server closed sock (EOF, reset or a TLS alert), or None."""
    started = time.time()
    sock.settimeout(0.2)
    while time.time() - started < seconds:
        try:
            if sock.recv(4096) == b"":
                return time.time() - started
        except socket.timeout:
            continue
        except (ssl.SSLError, OSError):
            return time.time() - started
    return None


@test
def idle_and_half_sent_connections_are_closed_after_the_timeout():
    setup()
    half = []
    for _ in range(5):
        s = tls_socket()
        s.sendall(b"GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bea")
        half.append(s)
    silent = socket.create_connection((HOST, S.srv.port), timeout=10)  # never says hello
    started = time.time()
    r = curl("/healthz", timeout=5)
    assert r.status == 200 and time.time() - started < 2, "others wait meanwhile: %r" % r
    r = curl("/healthz", interface="127.0.0.2", timeout=5)
    assert r.status == 200, "another address waits meanwhile: %r" % r
    for s in half + [silent]:
        took = closed_within(s, TIMEOUT_S + 3 - (time.time() - started))
        assert took is not None, "a connection is still open %.1f s after its last byte " \
            "(timeout = %d)" % (time.time() - started, TIMEOUT_S)
        s.close()
    assert time.time() - started >= TIMEOUT_S - 0.5, "closed before the timeout"
    healthy()


@test
def a_header_sent_byte_by_byte_is_cut_off_slowloris():
    # [api] timeout is for "an idle or slow connection (slowloris)": a header that never
    # ends, one byte a second, must not hold a connection for ever.
    setup()
    s = tls_socket()
    started = time.time()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    s.settimeout(0.2)
    closed = None
    while time.time() - started < 2 * TIMEOUT_S + 2:
        try:
            s.sendall(b"X")
            if s.recv(4096) == b"":
                closed = time.time() - started
                break
        except socket.timeout:
            pass
        except (ssl.SSLError, OSError):
            closed = time.time() - started
            break
        time.sleep(0.8)
    s.close()
    healthy()
    assert closed is not None, "a header dripped a byte a second was still accepted after " \
        "%.1f s (timeout = %d s)" % (time.time() - started, TIMEOUT_S)


# ---- client certificates ---------------------------------------------------------------


def openssl(*args):
    p = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=S.tmp)
    assert p.returncode == 0, "openssl %s: %s" % (" ".join(args[:2]), p.stderr)


def client_cert(name, ca_pem, ca_key):
    """A clientAuth certificate for CN=name issued by ca_pem: (cert path, key path)."""
    key, csr, pem = (os.path.join(S.tmp, name + x) for x in (".key", ".csr", ".pem"))
    ext = os.path.join(S.tmp, "client.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                "extendedKeyUsage=clientAuth\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-subj", "/CN=" + name, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-set_serial",
            str(int(time.time() * 1000)), "-days", "2", "-extfile", ext, "-out", pem)
    return pem, key


@test
def client_certificates_from_the_ca_are_accepted_others_refused():
    setup()
    conf = os.path.join(S.dir, "mtls.conf")
    write_conf(conf, free_port(), "\nclient_ca = keys/ca.pem")
    S.mtls = Server(conf, os.path.join(S.tmp, "mtls.log"))
    S.mtls.start()
    keys = os.path.join(S.dir, "keys")
    good = client_cert("quay-1-scanner", os.path.join(keys, "ca.pem"),
                       os.path.join(keys, "ca.key"))
    other_ca, other_key = os.path.join(S.tmp, "other-ca.pem"), os.path.join(S.tmp, "other-ca.key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", other_key, "-subj", "/CN=not the sohoa CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign",
            "-out", other_ca)
    bad = client_cert("intruder", other_ca, other_key)
    code = S.receipt["result_code"]
    m = S.mtls
    who = expect(curl("/v1/whoami", server=m, cert=good), 200, "a cert of the CA").json()
    assert who == {"name": "cert:quay-1-scanner", "scope": "read"}, who
    r = expect(curl("/v1/results/" + code, server=m, cert=good), 200, "a cert of the CA")
    assert r.json()["id"] == S.receipt["id"]
    for token in (None, S.read, S.admin):
        r = curl("/v1/results/" + code, token, server=m, cert=bad)
        assert r.status in (0, 401), "another CA's cert (token %s): %r" % (bool(token), r)
        assert S.receipt["id"].encode() not in r.body, "another CA's cert got the data"
        if r.status == 401:
            expect_error(r, 401)
    who = expect(curl("/v1/whoami", S.read, server=m), 200, "no cert + a token").json()
    assert who == {"name": "demo-read", "scope": "read"}, who
    r = curl("/v1/whoami", server=m)
    assert "client certificate" in expect_error(r, 401, "nothing")["error"]
    healthy(m)
    # The certificate's accesses are journalled under its name.
    deadline = time.time() + 2.5
    while not any(r[0] == "api:cert:quay-1-scanner" and r[1] == "access"
                  for r in audit_rows()):
        assert time.time() < deadline, "no access record for api:cert:quay-1-scanner"
        time.sleep(0.1)
    m.stop()


# ---- docs/openapi.yaml ---------------------------------------------------------------


def deref(spec, node):
    """Follows a local $ref ("#/a/b") to what it names."""
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def conforms(spec, schema, value, where="$"):
    """The OpenAPI 3.0 schema keywords docs/openapi.yaml uses; raises on a mismatch."""
    schema = deref(spec, schema)
    if value is None:
        assert schema.get("nullable") or not schema.get("type"), where + ": null"
        return
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool,
             "integer": int, "number": (int, float)}
    t = schema.get("type")
    if t:
        ok = isinstance(value, kinds[t]) and not (t in ("integer", "number") and
                                                  isinstance(value, bool))
        assert ok, "%s: %r is not a %s" % (where, value, t)
    if "enum" in schema:
        assert value in schema["enum"], "%s: %r not in %s" % (where, value, schema["enum"])
    if "pattern" in schema and isinstance(value, str):
        assert re.search(schema["pattern"], value), "%s: %r !~ %s" % (
            where, value, schema["pattern"])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value) and value <= schema.get("maximum", value)
    if isinstance(value, dict):
        for k in schema.get("required", []):
            assert k in value, "%s: no %r" % (where, k)
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for k, v in value.items():
            if k in props:
                conforms(spec, props[k], v, where + "." + k)
            elif extra is False:
                raise AssertionError("%s: %r is not documented" % (where, k))
            elif isinstance(extra, dict):
                conforms(spec, extra, v, where + "." + k)
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            conforms(spec, schema["items"], v, "%s[%d]" % (where, i))


@test
def every_route_in_openapi_yaml_answers_as_documented():
    setup()
    spec = yaml.safe_load(open(OPENAPI, encoding="utf-8"))
    assert spec["openapi"].startswith("3.0"), spec["openapi"]
    try:
        from openapi_spec_validator import validate
    except ImportError:
        validate = None
    if validate is not None:
        validate(spec)
    paths = spec["paths"]
    wanted = {"/healthz", "/metrics", "/", "/v1/whoami", "/v1/results/{key}",
              "/v1/results/{key}/pdf", "/v1/results/{key}/xml", "/v1/results/{key}/original",
              "/v1/results/{key}/verify", "/v1/results/{key}/review",
              "/v1/dossiers/{code}/results", "/v1/search", "/v1/review", "/v1/recent",
              "/v1/status"}
    assert wanted <= set(paths), "not documented: %s" % (wanted - set(paths))
    search = {deref(spec, p)["name"] for p in paths["/v1/search"]["get"]["parameters"]}
    assert {"number", "issuer", "type", "dossier", "citizen_id", "from", "to", "q",
            "limit"} <= search, search
    for name in ("bearer",):
        assert name in spec["components"]["securitySchemes"], name
    for name in ("Result", "Error", "Verification"):
        assert name in spec["components"]["schemas"], name
    done = 0
    for template, item in paths.items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "delete", "patch", "head"):
                continue
            key = S.letter["id"] if method == "post" else S.receipt["result_code"]
            path = template.replace("{key}", key).replace(
                "{code}", S.receipt["fields"]["dossier_code"])
            data = None
            if method == "post":
                data = json.dumps({"fields": {"place": "Kon Tum"}})
            public = op.get("security", spec.get("security")) == []
            r = curl(path, None if public else S.admin, method=method.upper(), data=data)
            where = "%s %s" % (method.upper(), template)
            assert r.status not in (0, 404, 405, 500), "%s: %r" % (where, r)
            assert r.status < 300 or (template == "/v1/status" and r.status == 503), \
                "%s: %r" % (where, r)
            responses = op["responses"]
            assert str(r.status) in responses, "%s answered %d, not documented: %r" % (
                where, r.status, r)
            resp = deref(spec, responses[str(r.status)])
            ctype = r.headers.get("content-type", "")
            if ctype.startswith("application/json"):
                media = resp.get("content", {}).get("application/json")
                assert media is not None, "%s: JSON answer %d not documented" % (where, r.status)
                conforms(spec, media["schema"], r.json(), where)
            elif r.status == 200:
                assert any(ctype.split(";")[0] == m.split(";")[0] or m == "*/*"
                           for m in resp.get("content", {})), "%s: %s not documented" % (
                    where, ctype)
            done += 1
            if not public:  # from an address of its own: failures count per address
                r = curl(path, method=method.upper(), data=data, interface="127.0.1.%d" % done)
                assert r.status == 401, "%s without a token: %r" % (where, r)
    assert done >= len(wanted), done
    healthy()


# ---- last: it locks its address out for a minute ---------------------------------------


@test
def ten_failed_attempts_lock_the_address_out():
    setup()
    addr = "127.0.0.9"   # an address of its own: the other tests' address stays usable
    for i in range(10):
        r = curl("/v1/whoami", "sohoa_wrong%02d" % i, interface=addr)
        expect_error(r, 401, "wrong token %d" % (i + 1))
    r = curl("/v1/whoami", S.read, interface=addr)
    e = expect_error(r, 429, "a good token after 10 failures")
    assert "too many" in e["error"], e
    expect_error(curl("/v1/results/" + S.receipt["id"], S.admin, interface=addr), 429)
    expect(curl("/v1/whoami", S.read), 200, "another address is not locked out")
    r = curl("/healthz", interface=addr)
    assert r.status == 200, "the public routes stay open: %r" % r
    r = curl("/metrics")
    m = re.search(r"^sohoa_http_rate_limited_total (\d+)", r.body.decode(), re.M)
    assert m and int(m.group(1)) >= 2, "rate-limited requests are not counted"


if __name__ == "__main__":
    main()
