"""The daemon, started for real on a temp dir: every scan dropped is archived
exactly once or quarantined with a reason, whatever happens to the daemon,
its workers, its folders or the names of the files."""
import json
import os
import shutil
import signal
import tempfile
import time

from harness import ROOT, main, sohoa, test
import signing_kit as kit
from daemon_kit import RunningDaemon

STABLE_S = 2


class Daemon(RunningDaemon):
    """`sohoa init` + three drop folders + [daemon] tuned for tests, running."""

    def __init__(self, tmp, env=None, folders=("quay-2", "quay-3")):
        self.folders = folders
        super().__init__(tmp, env=env, stable_s=STABLE_S)

    def setup(self):
        self.inbox = {"quay-1": os.path.join(self.dir, "inbox")}
        for name in self.folders:
            self.inbox[name] = os.path.join(self.dir, name)
            os.makedirs(self.inbox[name])

    def more_config(self):
        return "".join("\n[watch %s]\npath = %s\noperator = %s\n" % (n, n, n)
                       for n in self.folders)

    def archived(self, n, seconds=240):
        self.until(lambda: self.stats()["results"] >= n, seconds, "%d results" % n)

    def quarantined(self):
        q = self.status()
        return q["quarantined"] if q else []

    def scan(self, folder="quay-1", name=None):
        """A new distinct scan written into a folder (atomically, by rename)."""
        return self.new_scan(self.inbox[folder], name)

    def empty(self, folder="quay-1"):
        return [n for n in os.listdir(self.inbox[folder]) if n != "done"] == []


def with_daemon(fn, env=None, folders=("quay-2", "quay-3")):
    with tempfile.TemporaryDirectory() as tmp:
        d = Daemon(tmp, env=env, folders=folders)
        try:
            fn(d)
            d.stop()
        finally:
            if d.proc is not None:
                d.kill()


@test
def slow_writes_renames_and_fifty_at_once_are_each_archived_once():
    def run(d):
        slow = os.path.join(d.inbox["quay-1"], "slow.pgm")
        src = os.path.join(d.tmp, "slow-src.pgm")
        kit.small_scan(src, shift=1)
        data = open(src, "rb").read()
        step = len(data) // 10 + 1
        with open(slow, "wb") as f:  # 10 chunks over 3 s, one open
            for k in range(10):
                f.write(data[k * step:(k + 1) * step])
                f.flush()
                time.sleep(0.3)
        d.scan()  # moved in by rename
        d.archived(2)
        for k in range(50):
            d.scan(("quay-1", "quay-2", "quay-3")[k % 3])
        d.archived(52)
        time.sleep(1)
        st = d.stats()
        assert st["results"] == 52 and st["reuses"] == 0 and st["signed"] == 52, st
        assert all(d.empty(f) for f in d.inbox), "scans left in the drop folders"
        assert d.quarantined() == [], d.quarantined()
    with_daemon(run)


@test
def the_same_bytes_twice_is_one_result_reused():
    def run(d):
        a = d.scan(name="a.pgm")
        d.archived(1)
        shutil.copy(kit.small_scan(os.path.join(d.tmp, "x.pgm"), shift=3),
                    os.path.join(d.tmp, "copy.pgm"))
        os.rename(os.path.join(d.tmp, "copy.pgm"), os.path.join(d.inbox["quay-2"], "b.pgm"))
        d.until(lambda: d.stats()["reuses"] == 1, 120, "the reuse")
        assert d.stats()["results"] == 1 and not os.path.exists(a)
    with_daemon(run)


@test
def a_subfolder_of_three_pages_is_one_dossier():
    def run(d):
        sub = os.path.join(d.tmp, "dossier-42")
        os.makedirs(sub)
        for k in range(3):
            kit.small_scan(os.path.join(sub, "page-%d.pgm" % (k + 1)), shift=40 + k * 5)
        os.rename(sub, os.path.join(d.inbox["quay-1"], "dossier-42"))
        d.archived(1)
        code, out, _ = sohoa("-c", d.conf, "search", "--json")
        res = json.loads(out.splitlines()[0])
        assert res["pages"] == 3, res
        assert res["text"].count("\f") == 2
    with_daemon(run)


@test
def a_receipt_and_its_documents_get_the_dossiers_result_code():
    """The worker reserves <dossier>-KQ<n> before signing: the signed XML names it."""
    def run(d):
        src = os.path.join(ROOT, "samples", "dossier-hungyen-300dpi-g4-3pages.tif")
        tmp = os.path.join(d.tmp, "dossier.tif")
        shutil.copy(src, tmp)
        os.rename(tmp, os.path.join(d.inbox["quay-1"], "dossier.tif"))
        d.archived(1)
        dossier = "000.00.14.H10-240117-0332"
        code, out, err = sohoa("-c", d.conf, "show", "--json", dossier + "-KQ1")
        assert code == 0, err
        res = json.loads(out)
        assert res["fields"]["dossier_code"] == dossier and res["kind"] == "receipt", res
        xml = os.path.join(d.tmp, "r.xml")
        assert sohoa("-c", d.conf, "get", res["id"], "--xml", "-o", xml)[0] == 0
        assert "<ResultCode>%s-KQ1</ResultCode>" % dossier in open(xml, encoding="utf-8").read()
        code, out, err = sohoa("-c", d.conf, "verify", res["id"])
        assert code == 0, out + err
    with_daemon(run, folders=())


@test
def kill_9_mid_run_then_restart_archives_all_forty_once():
    def run(d):
        for k in range(40):
            d.scan(("quay-1", "quay-2")[k % 2])
        d.until(lambda: d.stats()["results"] >= 5, 240, "5 results")
        d.kill()
        d.start()
        d.archived(40)
        time.sleep(2)
        st = d.stats()
        assert st["results"] == 40 and st["reuses"] == 0, st
        assert d.empty("quay-1") and d.empty("quay-2")
    with_daemon(run)


def busy_worker(d):
    st = d.status()
    for w in st["workers"] if st else []:
        if w.get("state") == "busy":
            return w
    return None


@test
def a_worker_killed_during_ocr_is_replaced_and_its_job_archived():
    def run(d):
        d.scan()
        d.until(lambda: busy_worker(d) is not None, 60, "a busy worker")
        os.kill(busy_worker(d)["pid"], signal.SIGKILL)
        d.archived(1)
        st = d.status()
        assert st["totals"]["retried"] >= 1, st["totals"]
        assert len(st["workers"]) == 2
    with_daemon(run)


@test
def a_scan_that_crashes_its_worker_is_quarantined_after_two_tries():
    def run(d):
        d.scan("quay-3", name="crashme.pgm")
        d.until(lambda: len(d.quarantined()) == 1, 120, "the quarantine")
        q = d.quarantined()[0]
        assert q["stage"] == "worker" and "twice" in q["reason"], q
        reason = open(os.path.join(d.dir, "quarantine", q["id"], "reason.txt"),
                      encoding="utf-8").read()
        assert "crashme.pgm" in reason, reason
        d.scan(name="next.pgm")
        d.archived(1)
    with_daemon(run, env={"SOHOA_TEST_ABORT_ON": "quay-3"})


@test
def a_folder_removed_and_back_and_one_added_by_sighup():
    def run(d):
        inbox = d.inbox["quay-1"]
        shutil.rmtree(inbox)
        d.until(lambda: any(f["state"] == "missing" for f in d.status()["folders"]), 30,
                "the folder to be missing")
        os.makedirs(inbox)
        d.until(lambda: all(f["state"] == "watching" for f in d.status()["folders"]), 30,
                "the folder to be watched again")
        d.scan()
        d.archived(1)
        extra = os.path.join(d.dir, "quay-9")
        os.makedirs(extra)
        with open(d.conf, "a", encoding="utf-8") as f:
            f.write("\n[watch quay-9]\npath = quay-9\n")
        d.inbox["quay-9"] = extra
        d.proc.send_signal(signal.SIGHUP)
        d.until(lambda: any(f["name"] == "quay-9" for f in d.status()["folders"]), 30,
                "quay-9 to be watched")
        d.scan("quay-9")
        d.archived(2)
    with_daemon(run)


@test
def odd_names_bad_files_and_symlinks():
    def run(d):
        names = ["with space.pgm", "Quyết định.pgm",
                 "Quye\u0302\u0301t.pgm", "new\nline.pgm"]
        for n in names:
            d.scan(name=n)
        raw = os.path.join(os.fsencode(d.inbox["quay-1"]), b"bad-\xff.pgm")
        tmp = kit.small_scan(os.path.join(d.tmp, "raw.pgm"), shift=77)
        os.rename(tmp, raw)
        outside = kit.small_scan(os.path.join(d.tmp, "outside.pgm"), shift=88)
        os.symlink(outside, os.path.join(d.inbox["quay-1"], "link.pgm"))
        open(os.path.join(d.inbox["quay-1"], "empty.pgm"), "wb").close()
        with open(os.path.join(d.inbox["quay-1"], "notes.pgm"), "w") as f:
            f.write("this is not an image\n")
        d.archived(5)
        d.until(lambda: len(d.quarantined()) == 2, 60, "two quarantined")
        reasons = {os.path.basename(q["source"]): q for q in d.quarantined()}
        assert set(reasons) == {"empty.pgm", "notes.pgm"}, reasons
        assert all(q["stage"] == "decode" for q in reasons.values()), reasons
        assert os.path.islink(os.path.join(d.inbox["quay-1"], "link.pgm"))
        assert os.path.exists(outside), "the symlink's target was touched"
        time.sleep(2)
        assert d.stats()["results"] == 5
    with_daemon(run, folders=())


if __name__ == "__main__":
    main()
