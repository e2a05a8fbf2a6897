"""Disk full: the archive (then the spool) on a 24 MiB tmpfs, filled up by a
filler file while scans arrive. Intake and commits must fail as temporary
(logged so, nothing quarantined, nothing lost: the scans wait in their drop
folder or the spool), nothing half-written may show in the archive; once the
filler is gone every scan is archived exactly once and fsck is clean.
Runs as root (it mounts the tmpfs); otherwise it FAILs saying so."""
import errno
import hashlib
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_kit as ck  # noqa: E402
from harness import main, test  # noqa: E402

SLOW = "asan" in os.path.basename(ck.kit.SOHOA)
FULL_S = 10 * (2 if SLOW else 1)  # how long the disk stays full
NOSPACE = ("No space left on device", "disk is full")


class Tmpfs:
    def __init__(self, path, size="24m"):
        self.path, self.size = path, size

    def __enter__(self):
        assert os.geteuid() == 0, ("this test mounts a tmpfs and must run as root "
                                   "(make check runs it as root)")
        os.makedirs(self.path)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % self.size, "tmpfs",
                        self.path], check=True, capture_output=True)
        return self

    def __exit__(self, *exc):
        if subprocess.run(["umount", self.path], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", self.path], capture_output=True)


class Filler(threading.Thread):
    """A file that takes every byte left on the filesystem, and keeps taking
    what frees up (a job leaving the spool) until stopped, then goes."""

    def __init__(self, fs):
        super().__init__(daemon=True)
        self.path = os.path.join(fs.path, "filler")
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.stopping = threading.Event()
        self.top_up()
        self.start()

    def top_up(self):
        chunk = b"\0" * (1 << 20)
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(self.fd, chunk[:size])
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc

    def run(self):
        while not self.stopping.wait(0.02):
            self.top_up()

    def stop(self):
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.join()
        os.close(self.fd)
        os.unlink(self.path)


class Scans:
    """Distinct scans dropped by rename, their mtime in the past so that a
    failure called permanent would quarantine them at once."""

    def __init__(self, d):
        self.d, self.shas, self.paths, self.n = d, [], [], 0
        os.makedirs(os.path.join(d.tmp, "stage"), exist_ok=True)

    def drop(self, count):
        for _ in range(count):
            # every other one from below the receipt's dossier code: no result code
            # to reserve, so its worker finishes and the commit meets the full disk
            data = ck.scan_bytes(self.d.tmp, (7 if self.n % 2 == 0 else 600) + 5 * self.n)
            folder = ck.FOLDERS[self.n % 3]
            stage = os.path.join(self.d.tmp, "stage", "full-%02d.pgm" % self.n)
            with open(stage, "wb") as f:
                f.write(data)
            old = time.time() - 120
            os.utime(stage, (old, old))
            dest = os.path.join(self.d.inbox[folder], "full-%02d.pgm" % self.n)
            os.rename(stage, dest)
            self.shas.append(ck.sha256(data))
            self.paths.append(dest)
            self.n += 1

    def waiting(self):
        """The scans not yet archived, each still in its folder or in the spool."""
        archived = {r["id"] for r in ck.results(self.d)}
        spooled = set()
        queue = os.path.join(self.d.spool, "queue")
        for job in os.listdir(queue):
            orig = os.path.join(queue, job, "original")
            if os.path.isfile(orig):
                with open(orig, "rb") as f:
                    spooled.add(ck.sha256(f.read()))
        lost = [p for p, s in zip(self.paths, self.shas)
                if s not in archived and s not in spooled and not os.path.exists(p)]
        return len([s for s in self.shas if s not in archived]), lost


def blobs_whole(d):
    """Blob files whose bytes do not hash to their name (half-written)."""
    bad = []
    for root, dirs, files in os.walk(os.path.join(d.archive, "blobs")):
        dirs[:] = [x for x in dirs if x != ".incoming"]
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != name:
                    bad.append(name)
    return bad


def run_full(where, taken_first):
    """`where` ("archive" or "spool") on a tmpfs that is filled while scans arrive."""
    with ck.temp_dir() as tmp, Tmpfs(os.path.join(tmp, "small")) as fs:
        d = ck.ChaosDaemon(tmp, paths={where: fs.path}, signer={"retry_max": "4"})
        filler = None
        try:
            s = Scans(d)
            s.drop(2)
            d.until(lambda: len(ck.results(d)) == 2, 180, "the first two scans")
            log_from = len(d.logtext())
            s.drop(3)
            if taken_first:  # jobs in the queue when the disk fills: the worker's writes fail
                d.until(lambda: len((d.fast_status() or {}).get("jobs", [])) >= 2, 60,
                        "two jobs taken")
            filler = Filler(fs)
            s.drop(3)
            time.sleep(FULL_S)
            during = d.logtext()[log_from:]
            left, lost = s.waiting()
            quarantined = (d.fast_status() or {}).get("quarantined", [])
            half = blobs_whole(d)
            temporary = [line for line in during.splitlines()
                         if any(x in line for x in NOSPACE) and
                         any(x in line for x in ("retrying in", "not taken yet", "(will retry)"))]
            assert not lost, "lost while the disk was full: %s" % lost
            assert not quarantined, "quarantined while the disk was full: %s" % quarantined
            assert not half, "half-written blobs: %s" % half
            assert left >= 3, "only %d scans waiting: was the disk full?" % left
            assert temporary, "no temporary failure logged:\n%s" % during[-3000:]
            assert "quarantin" not in during, during[-3000:]
            filler.stop()
            d.until(lambda: not ck.drop_leftovers(d) and not ck.spool_leftovers(d) and
                    not (d.fast_status() or {"jobs": [1]})["jobs"], 240 * (3 if SLOW else 1),
                    "every scan once the filler is gone")
            d.stop()
            check_after(d, s)
            print("disk full (%s): %d scans, %d waited, %d temporary failures logged"
                  % (where, len(s.shas), left, len(temporary)), flush=True)
        finally:
            if filler is not None:
                filler.stop()
            if d.proc is not None:
                d.kill()


def check_after(d, s):
    res = ck.results(d)
    ids = sorted(r["id"] for r in res)
    assert ids == sorted(s.shas), "archived %d of %d scans (or others)" % (len(ids), len(s.shas))
    links, intakes = ck.links_per_result(d)
    twice = [i[:12] for i in ids if links.get(i, 0) > 1 or intakes.get(i, 0) != 1]
    assert not twice, "filed more than once: %s" % twice
    assert d.stats()["reuses"] == 0, d.stats()
    assert not ck.quarantined(d), ck.quarantined(d)
    for what, left in (("archive", ck.archive_leftovers(d)), ("spool", ck.spool_leftovers(d))):
        assert not left, "left in the %s: %s" % (what, left)
    ck.fsck_clean(d)
    bad = ck.verify_all(d, ids[-3:])
    assert not bad, bad


@test
def the_archive_full_then_freed_files_every_scan_once():
    run_full("archive", taken_first=False)


@test
def the_spool_full_then_freed_files_every_scan_once():
    run_full("spool", taken_first=True)


if __name__ == "__main__":
    main()
