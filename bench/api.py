"""make bench: the HTTP API under load, with wrk on loopback.

On a setup from `sohoa init` with one archived scan, `sohoa serve` answers:
- GET /v1/results/{id} (metadata: an index lookup, JSON, an access record);
- GET /v1/results/{id}/pdf (the signed PDF, ~0.5 MB, streamed from its blob);
each over TLS (the configuration a province runs) and over plain HTTP on
loopback (behind a TLS-terminating proxy). Each is run 3 times: prints the
median run's requests/s, p99 latency and bytes/s, the spread of bytes/s, and
the server's peak RSS. wrk runs on the same cores as the server, so over TLS
both ends encrypt on the same 2 cores. Goals: >= 5000 req/s for metadata,
>= 1 GB/s of PDF bytes.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SOHOA = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "bin", "sohoa"))
SAMPLE = os.path.join(ROOT, "samples", "kontum-congvan-200dpi-colour.jpg")
SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))
RUNS = 3  # wrk shares the 2 cores with the server: the median of 3, and the spread


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(tmp):
    d = os.path.join(tmp, "setup")
    subprocess.run([SOHOA, "init", d], check=True, stdout=subprocess.DEVNULL)
    conf = os.path.join(d, "sohoa.conf")
    out = subprocess.run([SOHOA, "-c", conf, "process", "--json", SAMPLE], check=True,
                         capture_output=True).stdout
    return d, conf, json.loads(out)["id"]


def serve(d, conf, plain):
    port = free_port()
    text = open(conf, encoding="utf-8").read()
    text = re.sub(r"^listen = .*$", "listen = 127.0.0.1:%d%s" % (
        port, "\nplain_http = yes" if plain else ""), text, flags=re.M)
    path = os.path.join(d, "plain.conf" if plain else "tls.conf")
    open(path, "w", encoding="utf-8").write(text)
    p = subprocess.Popen([SOHOA, "-c", path, "serve"], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p, "%s://127.0.0.1:%d" % ("http" if plain else "https", port)
        except OSError:
            time.sleep(0.05)
    raise SystemExit("sohoa serve did not start")


def unit(v, s):
    return float(v) * {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "B": 1,
                       "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3,
                       "us": 1e-3, "ms": 1, "s": 1e3}[s]


def wrk(url, token, connections):
    out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % SECONDS, "--latency",
                          "-H", "Authorization: Bearer " + token, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    tr = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, unit(*p99.groups()), unit(*tr.groups()), int(bad.group(1)) if bad else 0


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    if shutil.which("wrk") is None:
        raise SystemExit("bench/api.py: wrk is missing (Debian package wrk; make deps)")
    tmp = tempfile.mkdtemp(prefix="sohoa-bench-api-")
    try:
        d, conf, rid = setup(tmp)
        token = open(os.path.join(d, "keys", "api-token")).read().strip()
        print("== API under wrk (2 threads, loopback, %d s each, %d cores)" % (
            SECONDS, os.cpu_count()))
        print("%-6s %-10s %11s %10s %12s %9s" % ("", "route", "req/s", "p99 ms", "MB/s",
                                                 "RSS MB"))
        for plain in (False, True):
            p, base = serve(d, conf, plain)
            try:
                for name, path, conns in (("metadata", "/v1/results/" + rid, 32),
                                          ("pdf", "/v1/results/%s/pdf" % rid, 8)):
                    runs = sorted((wrk(base + path, token, conns) for _ in range(RUNS)),
                                  key=lambda run: run[2])
                    rps, p99, bps, bad = runs[len(runs) // 2]
                    print("%-6s %-10s %11.0f %10.2f %12.0f %9.1f   (MB/s %.0f-%.0f)%s" % (
                        "http" if plain else "https", name, rps, p99, bps / 1e6,
                        rss_kb(p.pid) / 1024, runs[0][2] / 1e6, runs[-1][2] / 1e6,
                        "  (%d non-2xx!)" % sum(r[3] for r in runs) if any(r[3] for r in runs)
                        else ""))
            finally:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=20)
        print("goals: metadata >= 5000 req/s; PDF >= 1000 MB/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
