"""Crash loop: scans arrive in three drop folders (renamed in, copied, written
slowly in chunks or in several opens, a few twice) while the daemon or one of
its workers is killed with SIGKILL, at random and at nasty moments (during a
blob write of a commit, right after an intake, while a copy is in the spool's
incoming/, while a job is signed). At the end every scan must be archived
exactly once or quarantined with a reason its kills explain, and the archive,
spool and folders clean (docs/internals/chaos.md).

CHAOS_SCANS (30), CHAOS_KILLS (10), CHAOS_SEED (random, printed)."""
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_kit as ck  # noqa: E402
from harness import main, test  # noqa: E402

SCANS = int(os.environ.get("CHAOS_SCANS", "30"))
KILLS = int(os.environ.get("CHAOS_KILLS", "10"))
SEED = int(os.environ.get("CHAOS_SEED", str(random.SystemRandom().randrange(1 << 31))))
SLOW = "asan" in os.path.basename(ck.kit.SOHOA)

# kind: weight. "daemon" kinds kill the supervisor, "worker" kinds a worker.
KINDS = {"daemon": 3, "worker": 2, "daemon@commit": 2, "daemon@intake": 1.5,
         "daemon@copy": 1, "worker@sign": 1.5, "daemon@sign": 1}
MOMENT_WAIT_S = 8
STRAY_S = 1.5  # PR_SET_PDEATHSIG is at once; an orphan finishing its job takes longer


def plan(rng, tmp):
    """[(gap s, mode, folder, name, scan index)] and the scans' bytes."""
    datas = [ck.scan_bytes(tmp, 1 + i) for i in range(SCANS)]
    assert len({ck.sha256(x) for x in datas}) == SCANS, "the generator repeated a scan"
    drops = []
    for i in range(SCANS):
        mode = rng.choices(("rename", "copy", "chunks", "reopen"), (40, 25, 25, 10))[0]
        drops.append([rng.expovariate(1 / 0.35), mode, rng.choice(ck.FOLDERS),
                      "scan-%03d.pgm" % i, i])
        if rng.random() < 1 / 12:  # the same bytes again, later, elsewhere
            drops.append([rng.expovariate(1 / 0.35), rng.choice(("rename", "copy")),
                          rng.choice(ck.FOLDERS), "again-%03d.pgm" % i, i])
    # a second drop must not land before its first: move it to the end
    firsts = [x for x in drops if x[3].startswith("scan")]
    again = [x for x in drops if x[3].startswith("again")]
    return firsts + again, datas


class Feeder(threading.Thread):
    def __init__(self, d, drops, datas, rng):
        super().__init__(daemon=True)
        self.d, self.drops, self.datas, self.rng = d, drops, datas, rng
        self.writers = []
        self.error = None

    def run(self):
        try:
            for gap, mode, folder, name, i in self.drops:
                time.sleep(gap)
                self.deliver(mode, os.path.join(self.d.inbox[folder], name), self.datas[i])
            for w in self.writers:
                w.join()
        except Exception as exc:  # reported by the test
            self.error = exc

    def deliver(self, mode, dest, data):
        if mode == "rename":
            tmp = os.path.join(self.d.tmp, "stage", os.path.basename(dest))
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, dest)
        elif mode == "copy":
            with open(dest, "wb") as f:
                f.write(data)
        else:
            pauses = [self.rng.uniform(0.05, 0.25) if mode == "chunks" else
                      self.rng.uniform(0.4, 0.9) for _ in range(self.rng.randint(2, 5))]
            w = threading.Thread(target=slow_write, args=(dest, data, mode, pauses),
                                 daemon=True)
            w.start()
            self.writers.append(w)


def slow_write(dest, data, mode, pauses):
    """chunks: one open, pauses between chunks; reopen: one open a chunk, the
    pauses longer than settle_ms (a scanner that writes in several opens)."""
    step = len(data) // (len(pauses) + 1) + 1
    parts = [data[k * step:(k + 1) * step] for k in range(len(pauses) + 1)]
    f = open(dest, "wb")
    try:
        for k, part in enumerate(parts):
            f.write(part)
            f.flush()
            if k < len(pauses):
                if mode == "reopen":
                    f.close()
                time.sleep(pauses[k])
                if mode == "reopen":
                    f = open(dest, "ab")
    finally:
        f.close()


class Chaos:
    def __init__(self, d, rng, feeder):
        self.d, self.rng, self.feeder = d, rng, feeder
        self.counts = dict.fromkeys(KINDS, 0)      # kills by kind (and moment)
        self.targets = {"daemon": 0, "worker": 0}  # kills by what was killed
        self.worker_kills = {}   # job id -> kills of its worker
        self.strays = []
        self.problems = []

    def wait_for(self, moment):
        """Polls until `moment` (a kind's moment) comes; the worker's pid for
        worker@sign, True for the others; None when it did not come."""
        d = self.d
        inc = os.path.join(d.archive, "blobs", ".incoming")
        queue, incoming = (os.path.join(d.spool, x) for x in ("queue", "incoming"))
        seen = set(os.listdir(queue))
        # the commit's k-th blob being written: original, PDF, XML or ALTO
        puts, k = set(), self.rng.randint(1, 4)
        deadline = time.time() + MOMENT_WAIT_S
        next_status = 0
        while time.time() < deadline and d.proc.poll() is None:
            if moment == "commit" and os.path.isdir(inc):
                puts.update(os.listdir(inc))
                if len(puts) >= k:
                    return True
            if moment == "intake" and set(os.listdir(queue)) - seen:
                return True
            if moment == "copy" and [n for n in os.listdir(incoming) if n[0] != "."]:
                return True
            if moment == "sign" and time.time() >= next_status:
                next_status = time.time() + 0.02
                for w in (d.fast_status() or {}).get("workers", []):
                    if w.get("stage") == "sign":
                        return w
            time.sleep(0.001)
        return None

    def kill_daemon(self):
        d = self.d
        kids = d.children()
        d.kill()
        self.targets["daemon"] += 1
        left = ck.wait_gone(kids, STRAY_S)
        if left:
            self.strays += list(left)
            for pid in left:  # they would write into the jobs the next daemon runs
                os.kill(pid, signal.SIGKILL)
        time.sleep(self.rng.uniform(0, 1.5))
        d.start()

    def kill_worker(self, w=None):
        if w is None:
            st = self.d.fast_status() or {}
            ws = st.get("workers", [])
            busy = [x for x in ws if x.get("state") == "busy"]
            w = self.rng.choice(busy or ws) if ws else None
        if w is None or ck.proc_stat(w["pid"]) is None or \
                ck.proc_stat(w["pid"])[1] != self.d.proc.pid:
            return False
        os.kill(w["pid"], signal.SIGKILL)
        if w.get("job"):
            self.worker_kills[w["job"]] = self.worker_kills.get(w["job"], 0) + 1
        self.targets["worker"] += 1
        return True

    def one(self):
        kind = self.rng.choices(list(KINDS), list(KINDS.values()))[0]
        if self.d.proc.poll() is not None:
            self.problems.append("the daemon exited by itself (%d)" % self.d.proc.returncode)
            self.d.kill()
            self.d.start()
        moment = kind.split("@")[1] if "@" in kind else None
        got = self.wait_for(moment) if moment else True
        if got is None:
            kind = kind.split("@")[0]  # the moment did not come: any moment
        self.counts[kind] += 1
        if kind.startswith("worker"):
            if not self.kill_worker(got if isinstance(got, dict) else None):
                self.counts[kind] -= 1
                return False
        else:
            self.kill_daemon()
        return True

    def run(self, kills):
        n = 0
        while n < kills:
            time.sleep(self.rng.uniform(0.3, 2.5))
            n += self.one()


def quiet(d, feeder):
    if feeder.is_alive():
        return False
    st = d.fast_status()
    return (st is not None and not st["jobs"] and not ck.drop_leftovers(d) and
            not ck.spool_leftovers(d))


@test
def crash_loop_archives_every_scan_exactly_once():
    print("chaos: CHAOS_SEED=%d CHAOS_SCANS=%d CHAOS_KILLS=%d (re-run with the same values)"
          % (SEED, SCANS, KILLS), flush=True)
    t0 = time.time()
    rng = random.Random(SEED)
    with ck.temp_dir() as tmp:
        os.makedirs(os.path.join(tmp, "stage"))
        drops, datas = plan(random.Random(rng.random()), tmp)
        d = ck.ChaosDaemon(tmp)
        try:
            feeder = Feeder(d, drops, datas, random.Random(rng.random()))
            chaos = Chaos(d, random.Random(rng.random()), feeder)
            feeder.start()
            chaos.run(KILLS)
            feeder.join()
            assert feeder.error is None, "feeding the scans: %r" % feeder.error
            d.until(lambda: quiet(d, feeder), (120 + 6 * len(drops)) * (4 if SLOW else 1),
                    "every scan to be archived or quarantined")
            d.stop()
            check(d, drops, datas, chaos, time.time() - t0)
        finally:
            if d.proc is not None:
                d.kill()
            for pid in ck.processes_naming(d.conf):
                os.kill(pid, signal.SIGKILL)


def check(d, drops, datas, chaos, elapsed):
    problems = list(chaos.problems)
    left = ck.processes_naming(d.conf)
    if left:
        problems.append("processes left after the daemon stopped: %s" % left)
    if chaos.strays:
        problems.append("%d worker/API process(es) outlived a kill -9 of the daemon: %s"
                        % (len(chaos.strays), chaos.strays))
    shas = [ck.sha256(x) for x in datas]
    drops_of = {}
    for _, _, _, _, i in drops:
        drops_of[shas[i]] = drops_of.get(shas[i], 0) + 1
    res = ck.results(d)
    ids = [r["id"] for r in res]
    foreign = [i for i in ids if i not in drops_of]
    quar = ck.quarantined(d)
    quar_of = {}
    wrong = []
    for sha, meta in quar:
        quar_of[sha] = quar_of.get(sha, 0) + 1
        if not meta.get("reason"):
            wrong.append("%s: no reason" % meta["id"])
        elif chaos.worker_kills.get(meta["id"], 0) < 2:
            wrong.append("%s (%s): %s: %s" % (meta["id"], meta.get("source"), meta.get("stage"),
                                              meta["reason"]))
    links, intakes = ck.links_per_result(d)
    lost = [s for s in shas if s not in ids and s not in quar_of]
    dup = len(ids) - len(set(ids))
    expect_reuses = 0
    for sha in set(ids):
        filed = drops_of.get(sha, 0) - quar_of.get(sha, 0)
        expect_reuses += max(0, filed - 1)
        if links.get(sha, 0) > filed or intakes.get(sha, 0) > filed:
            dup += 1
            problems.append("%s filed %d times (links), %d (intakes) for %d drop(s)"
                            % (sha[:12], links.get(sha, 0), intakes.get(sha, 0), filed))
    stats = d.stats()
    print("chaos: %d scans (%d drops), %d kills (daemon %d, worker %d; at commit %d, after "
          "intake %d, mid-copy %d, while signing %d), archived %d, quarantined %d, lost %d, "
          "duplicated %d, reuses %d, stray processes %d, %.0f s"
          % (len(shas), len(drops), chaos.targets["daemon"] + chaos.targets["worker"],
             chaos.targets["daemon"], chaos.targets["worker"], chaos.counts["daemon@commit"],
             chaos.counts["daemon@intake"], chaos.counts["daemon@copy"],
             chaos.counts["daemon@sign"] + chaos.counts["worker@sign"], len(set(ids)),
             len(quar), len(lost), dup, stats["reuses"], len(chaos.strays), elapsed),
          flush=True)
    if lost:
        problems.append("%d scan(s) lost: %s" % (len(lost), [s[:12] for s in lost]))
    if foreign:
        problems.append("results that are no scan fed: %s" % [s[:12] for s in foreign])
    if wrong:
        problems.append("quarantined without two kills of its worker: %s" % wrong)
    if stats["reuses"] != expect_reuses:
        problems.append("reuses %d, expected %d" % (stats["reuses"], expect_reuses))
    for what, left in (("drop folders", ck.drop_leftovers(d)),
                       ("spool", ck.spool_leftovers(d)),
                       ("archive", ck.archive_leftovers(d))):
        if left:
            problems.append("left in the %s: %s" % (what, left[:10]))
    try:
        ck.fsck_clean(d)
    except AssertionError as exc:
        problems.append(str(exc))
    bad = ck.verify_all(d, sorted(set(ids)))
    if bad:
        problems.append("sohoa verify failed for %d result(s): %s" % (len(bad), bad[:3]))
    problems += ck.verify_independently(d, sorted(set(ids))[:3])
    assert not problems, "CHAOS_SEED=%d: %s" % (SEED, "; ".join(problems))


if __name__ == "__main__":
    main()
