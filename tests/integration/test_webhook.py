"""Webhooks from the daemon to a real HTTPS receiver: every archived result is
delivered exactly once, signed, without its text, across a restart while the
receiver fails and a kill -9 in the middle of a run."""
import hashlib
import hmac
import http.server
import json
import os
import ssl
import subprocess
import tempfile
import threading
import time

from daemon_kit import RunningDaemon
from harness import main, sohoa, test

SECRET = "s3cret-for-the-test"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certs(d):
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=webhook test CA", cwd=d)
    openssl("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n"
                "extendedKeyUsage = serverAuth\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    return [os.path.join(d, n) for n in ("ca.pem", "srv.pem", "srv.key")]


class Receiver:
    """HTTPS on 127.0.0.1: 503 to the first `fail_first` POSTs and while `hold`
    is set, 200 after; every POST recorded with its headers and raw body."""

    def __init__(self, tmp, fail_first=3, hold=False):
        d = os.path.join(tmp, "receiver")
        os.makedirs(d)
        self.ca, cert, key = make_certs(d)
        self.lock = threading.Lock()
        self.posts = []
        self.fail_first, self.hold = fail_first, hold
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    ok = not receiver.hold and len(receiver.posts) >= receiver.fail_first
                    receiver.posts.append({"headers": {k.lower(): v for k, v in
                                                       self.headers.items()},
                                           "body": body, "status": 200 if ok else 503,
                                           "at": time.time()})
                self.send_response(200 if ok else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.url = "https://127.0.0.1:%d/hook" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def accepted(self):
        with self.lock:
            return [p for p in self.posts if p["status"] == 200]

    def all(self):
        with self.lock:
            return list(self.posts)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Daemon(RunningDaemon):
    """`sohoa init` + [daemon] tuned for tests + [webhook] to the receiver, running."""

    def __init__(self, tmp, receiver, ca=True):
        self.inbox = None
        super().__init__(tmp, extra="\n[webhook]\nurl = %s\nsecret_file = webhook.secret\n"
                         "timeout = 5\nretry_max = 2\n" % receiver.url +
                         ("ca = %s\n" % receiver.ca if ca else ""))

    def setup(self):
        self.inbox = os.path.join(self.dir, "inbox")
        secret = os.path.join(self.dir, "webhook.secret")
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (" %s \nnot the key\n" % SECRET).encode())
        os.close(fd)

    def hook(self):
        st = self.status()
        return st["webhook"] if st else None

    def results(self):
        code, out, err = sohoa("-c", self.conf, "search", "--json")
        assert code in (0, 1), err
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def scan(self, name=None, shift=None):
        self.new_scan(self.inbox, name, shift)

    def queued(self, which):
        d = os.path.join(self.spool, "webhooks", which)
        return sorted(n for n in os.listdir(d) if n.endswith(".json")) if os.path.isdir(d) else []

    def pending_files(self):
        d = os.path.join(self.spool, "webhooks", "pending")
        out = []
        for name in self.queued("pending"):
            with open(os.path.join(d, name), encoding="utf-8") as f:
                out.append(json.load(f))
        return out


def with_daemon(fn, ca=True, **receiver_args):
    with tempfile.TemporaryDirectory() as tmp:
        r = Receiver(tmp, **receiver_args)
        d = Daemon(tmp, r, ca=ca)
        try:
            fn(d, r)
            d.stop()
        finally:
            if d.proc is not None:
                d.kill()
            r.close()


def check_signed(post):
    """The HMAC-SHA256 over "<timestamp>.<body>" with the secret's first line."""
    h = post["headers"]
    ts = h["x-sohoa-timestamp"]
    assert ts.isdigit() and abs(int(ts) - post["at"]) < 60, ts
    want = hmac.new(SECRET.encode(), ts.encode() + b"." + post["body"], hashlib.sha256)
    assert h["x-sohoa-signature"] == "sha256=" + want.hexdigest(), h
    assert h["content-type"] == "application/json", h


def check_exactly_once(d, r):
    """Every archived result has one accepted delivery, nothing else was accepted."""
    ids = sorted(res["id"] for res in d.results())
    got = {}
    for p in r.accepted():
        check_signed(p)
        body = json.loads(p["body"])
        assert "text" not in body, sorted(body)
        assert p["headers"]["x-sohoa-event"] == "result.archived", p["headers"]
        assert p["headers"]["x-sohoa-delivery"] == body["id"] + "-v1", p["headers"]
        got[body["id"]] = got.get(body["id"], 0) + 1
    assert sorted(got) == ids, (sorted(got), ids)
    assert all(n == 1 for n in got.values()), got
    for p in r.all():
        check_signed(p)
    return ids


@test
def deliveries_wait_out_a_failing_receiver_and_a_restart_then_arrive_once():
    def run(d, r):
        for _ in range(3):
            d.scan()
        d.until(lambda: len(d.results()) == 3, 240, "3 results")
        d.until(lambda: d.hook()["pending"] == 3 and all(
            q["attempts"] >= 1 for q in d.pending_files()), 60,
                "3 deliveries pending after failed attempts")
        hook = d.hook()
        assert hook["delivered"] == 0 and "503" in (hook["last_error"] or ""), hook
        assert hook["oldest_pending"] and hook["next_attempt"], hook
        assert hook["url"] == r.url, hook
        code, out, _ = sohoa("-c", d.conf, "status")
        assert code == 0 and "webhook: 3 pending" in out and "503" in out, out
        assert "recent scans (3 of 3)" in out and "archived" in out, out
        for name, q in zip(d.queued("pending"), d.pending_files()):
            assert q["attempts"] >= 1 and "503" in q["last_error"], q
            assert q["event"] == "result.archived" and "text" not in q["body"], q
            assert name == q["delivery"] + ".json" and q["next_at"] > 0, q
        d.stop()
        d.start()
        d.until(lambda: d.hook()["pending"] == 3, 30, "3 pending after the restart")
        r.hold = False
        d.until(lambda: d.queued("pending") == [] and len(d.queued("sent")) == 3, 60,
                "the deliveries")
        time.sleep(3)  # a second delivery would show up now
        ids = check_exactly_once(d, r)
        assert len(ids) == 3 and len(r.all()) >= 6, len(r.all())
        hook = d.hook()
        assert hook["pending"] == 0 and hook["delivered"] == 3, hook
        assert hook["last_error"] is None and hook["next_attempt"] is None, hook
    with_daemon(run, hold=True)


@test
def the_same_scan_twice_is_one_delivery():
    """The reused result has the same (id, version): queued once, sent once."""
    def run(d, r):
        d.scan(name="a.pgm", shift=7)
        d.until(lambda: len(d.queued("sent")) == 1, 120, "the first delivery")
        d.scan(name="b.pgm", shift=7)
        d.until(lambda: d.stats()["reuses"] == 1, 120, "the reuse")
        time.sleep(3)
        assert d.queued("pending") == [] and len(d.queued("sent")) == 1
        assert len(d.results()) == 1
        check_exactly_once(d, r)
        assert len(r.all()) == 1, len(r.all())
    with_daemon(run, fail_first=0)


@test
def kill_9_mid_run_then_restart_delivers_each_result():
    """A kill -9 can land between the receiver's 2xx and the move to sent/: that one
    delivery is sent again, with the same X-Sohoa-Delivery, so the receiver can
    drop it. Every other result arrives exactly once."""
    def run(d, r):
        for _ in range(10):
            d.scan()
        d.until(lambda: len(d.results()) >= 3, 240, "3 results")
        killed = time.time()
        d.kill()
        d.start()
        d.until(lambda: len(d.results()) == 10, 240, "10 results")
        d.until(lambda: d.queued("pending") == [] and len(d.queued("sent")) == 10, 60,
                "10 deliveries")
        time.sleep(3)
        ids = sorted(res["id"] for res in d.results())
        first, twice = {}, []
        for p in r.accepted():
            check_signed(p)
            body = json.loads(p["body"])
            assert "text" not in body and p["headers"]["x-sohoa-delivery"] == body["id"] + "-v1"
            if body["id"] in first:
                twice.append((first[body["id"]], p))
            else:
                first[body["id"]] = p
        assert sorted(first) == ids, (sorted(first), ids)
        assert len(twice) <= 1, [json.loads(p["body"])["id"] for _, p in twice]
        for a, b in twice:
            assert killed - 6 <= a["at"] <= killed + 1, (a["at"], killed)
            assert json.loads(a["body"]) == json.loads(b["body"])
        total = d.status()["stages"]["total"]  # jobs from the spool: timed from received_at
        assert total["count"] >= 1 and total["le"][0] == 0 and total["sum_s"] > 0, total
    with_daemon(run, fail_first=2)


@test
def a_receiver_the_ca_does_not_vouch_for_gets_nothing():
    """Without [webhook] ca the system's trust is used: the test CA is not in it."""
    def run(d, r):
        d.scan()
        d.until(lambda: (d.hook()["last_error"] or "").find("could not be reached") >= 0, 240,
                "a refused handshake")
        hook = d.hook()
        assert hook["pending"] == 1 and hook["delivered"] == 0, hook
        assert "certificate" in hook["last_error"].lower(), hook
        assert r.all() == [], "the receiver got a POST over an unverified connection"
    with_daemon(run, ca=False, fail_first=0)


@test
def status_shows_recent_scans_and_stage_latencies():
    def run(d, r):
        d.scan()
        d.until(lambda: len(d.queued("sent")) == 1, 120, "the delivery")
        st = d.status()
        recent = st["recent"]
        assert len(recent) == 1, recent
        x = recent[0]
        res = d.results()[0]
        assert x["state"] == "archived" and x["result_id"] == res["id"], x
        assert x["watch"] == "quay-1" and x["source"].endswith("scan-001.pgm"), x
        assert x["reason"] is None and isinstance(x["review"], bool), x
        assert x["at"].endswith("+07:00"), x
        stages = st["stages"]
        assert stages["buckets_s"][0] == 0.05 and stages["buckets_s"][-1] == 120, stages
        for name in ("decode", "preprocess", "ocr", "extract", "package", "sign", "archive",
                     "total"):
            h = stages[name]
            assert h["count"] == 1 and len(h["le"]) == 11, (name, h)
            assert h["le"] == sorted(h["le"]) and h["le"][-1] <= 1, (name, h)
        assert stages["total"]["sum_s"] >= stages["ocr"]["sum_s"] > 0, stages
        assert stages["sign"]["sum_s"] > 0 and stages["package"]["sum_s"] > 0, stages
        assert st["totals"]["signing_failures"] == 0, st["totals"]
        assert st["api"] is None or set(st["api"]) == {"pid", "restarts"}, st["api"]
    with_daemon(run, fail_first=0)


if __name__ == "__main__":
    main()
