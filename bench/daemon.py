"""make bench: the daemon (`sohoa run`) on a temp setup from `sohoa init`.

- latency: one 300 dpi page dropped (renamed in) until its result is in the
  archive, against the same page through `tesseract` alone (same languages,
  one thread), for each single-page 300 dpi sample;
- throughput: 50 pages dropped at once with 2 workers, against `tesseract`
  run 2-way parallel on the same 50 pages;
- memory: the supervisor's RSS with 1000 scans waiting in the spool.
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SOHOA = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "bin", "sohoa"))
LANGS = "vie+eng"


def archived(db):
    """Scans filed, read straight from the index: polling with a `sohoa
    stats` process every 50 ms would itself eat a core's fifth."""
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
    try:
        return con.execute("SELECT count(*) FROM intakes").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def pages():
    truth = [json.loads(l) for l in open(os.path.join(ROOT, "samples", "truth.jsonl"),
                                         encoding="utf-8") if l.strip()]
    return [os.path.join(ROOT, "samples", e["file"]) for e in truth
            if e["pages"] == 1 and e["dpi"] == 300]


class Daemon:
    def __init__(self, tmp, workers=2, env=None):
        self.dir = os.path.join(tmp, "setup")
        subprocess.run([SOHOA, "init", self.dir], check=True, stdout=subprocess.DEVNULL)
        self.conf = os.path.join(self.dir, "sohoa.conf")
        with open(self.conf, "a") as f:
            f.write("\n[daemon]\nworkers = %d\n" % workers)
        self.inbox = os.path.join(self.dir, "inbox")
        self.stage = os.path.join(tmp, "stage")
        os.makedirs(self.stage)
        env = dict(os.environ, **(env or {}))
        env.pop("SOHOA_CONFIG", None)
        self.log = open(os.path.join(tmp, "daemon.log"), "wb")
        self.proc = subprocess.Popen([SOHOA, "-c", self.conf, "run"], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        while self.status() is None or any(w["state"] == "starting"
                                           for w in self.status()["workers"]):
            time.sleep(0.1)

    def status(self):
        p = subprocess.run([SOHOA, "-c", self.conf, "--json", "status"], capture_output=True)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def results(self):
        return archived(os.path.join(self.dir, "archive", "index.sqlite"))

    def drop(self, src, name):
        staged = os.path.join(self.stage, name)
        shutil.copy(src, staged)
        os.rename(staged, os.path.join(self.inbox, name))

    def wait(self, n):
        while self.results() < n:
            time.sleep(0.05)

    def rss_mib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        self.log.close()


def tesseract_seconds(files, parallel, tmp):
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    start = time.monotonic()
    running = []
    for k, f in enumerate(files):
        running.append(subprocess.Popen(["tesseract", f, os.path.join(tmp, "t%d" % k), "-l",
                                         LANGS], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, env=env))
        while len([p for p in running if p.poll() is None]) >= parallel:
            time.sleep(0.01)
    for p in running:
        p.wait()
    return time.monotonic() - start


def latency(tmp):
    d = Daemon(os.path.join(tmp, "lat"))
    print("latency, drop to archived (one page, 2 workers idle):")
    done = 0
    for k, f in enumerate(pages()):
        start = time.monotonic()
        d.drop(f, "page-%d%s" % (k, os.path.splitext(f)[1]))
        done += 1
        d.wait(done)
        seconds = time.monotonic() - start
        ocr = tesseract_seconds([f], 1, tmp)
        print(f"  {os.path.basename(f):36s} {seconds:6.2f} s  (tesseract alone {ocr:5.2f} s,"
              f" {seconds / ocr:4.2f}x)")
    d.stop()


def throughput(tmp):
    files = (pages() * 50)[:50]  # the same bytes again are still OCR'd and signed
    d = Daemon(os.path.join(tmp, "thr"))
    start = time.monotonic()
    for k, f in enumerate(files):
        d.drop(f, "p%02d%s" % (k, os.path.splitext(f)[1]))
    d.wait(50)
    seconds = time.monotonic() - start
    d.stop()
    tess = tesseract_seconds(files, 2, tmp)
    print(f"throughput, 50 pages, 2 workers: {seconds:6.1f} s ({50 / seconds:.2f} pages/s); "
          f"tesseract 2-way parallel: {tess:6.1f} s ({50 / tess:.2f} pages/s); "
          f"ratio {seconds / tess:.3f}")


def memory(tmp):
    # The one worker hangs on its first job (the test hook), so all the others wait.
    d = Daemon(os.path.join(tmp, "mem"), workers=1, env={"SOHOA_TEST_HANG_ON": "quay-1"})
    small = os.path.join(tmp, "small.pgm")
    with open(small, "wb") as f:
        f.write(b"P5\n64 64\n255\n" + bytes(64 * 64))
    before = d.rss_mib()
    for k in range(1000):
        d.drop(small, "w%04d.pgm" % k)
    while (d.status() or {}).get("queue", 0) < 999:
        time.sleep(0.2)
    time.sleep(1)
    st = d.status()
    print(f"memory: supervisor RSS {before:.1f} MiB idle, {d.rss_mib():.1f} MiB with "
          f"{st['queue']} scans waiting ({len(st['jobs'])} jobs known)")
    d.stop()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        latency(tmp)
        throughput(tmp)
        memory(tmp)


if __name__ == "__main__":
    main()
