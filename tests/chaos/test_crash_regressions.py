"""What the crash loop found, each made to happen on purpose: workers left
running by a supervisor killed -9, a drop written again while its job ran
(left in its folder for good), a scan cut short when taken quarantined for a
truncation only OCR saw (docs/internals/chaos.md)."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_kit as ck  # noqa: E402
from harness import main, test  # noqa: E402


def with_daemon(fn, **kw):
    with ck.temp_dir() as tmp:
        os.makedirs(os.path.join(tmp, "stage"))
        d = ck.ChaosDaemon(tmp, **kw)
        try:
            fn(d)
        finally:
            if d.proc is not None:
                d.kill()
            for pid in ck.processes_naming(d.conf):
                os.kill(pid, signal.SIGKILL)


def put(d, name, data, folder="quay-1"):
    stage = os.path.join(d.tmp, "stage", name)
    with open(stage, "wb") as f:
        f.write(data)
    dest = os.path.join(d.inbox[folder], name)
    os.rename(stage, dest)
    return dest


def busy(d):
    return [w for w in (d.fast_status() or {}).get("workers", []) if w.get("state") == "busy"]


@test
def workers_and_the_api_die_with_a_supervisor_killed_9():
    """A busy worker left running would go on with a job the next supervisor
    runs again, in the same work folder."""
    def run(d):
        d.until(lambda: d.status()["api"]["pid"], 120, "the API")
        with open(os.path.join(ck.ROOT, "samples", "receipt-a5-hungyen-200dpi-grey.pgm"),
                  "rb") as f:
            put(d, "whole-page.pgm", f.read())  # a few seconds of OCR
        d.until(lambda: [w for w in busy(d) if w.get("stage") == "ocr"], 60, "OCR to run")
        kids = d.children()
        assert len(kids) == 3, kids
        d.kill()
        left = ck.wait_gone(kids, 1)
        assert not left, "still running after the supervisor's kill -9: %s" % left
    with_daemon(run)


@test
def a_drop_written_again_while_its_job_runs_is_taken_again():
    def run(d):
        first, second = ck.scan_bytes(d.tmp, 11), ck.scan_bytes(d.tmp, 12)
        path = put(d, "same-name.pgm", first)
        d.until(lambda: busy(d), 60, "the job to run")
        put(d, "same-name.pgm", second)  # a new scan under the same name
        d.until(lambda: len(ck.results(d)) == 2 and not ck.drop_leftovers(d), 120,
                "both scans archived")
        assert sorted(r["id"] for r in ck.results(d)) == sorted(map(ck.sha256, (first, second)))
        assert not os.path.exists(path) and not ck.quarantined(d)
    with_daemon(run)


@test
def a_scan_cut_short_when_taken_waits_for_the_rest_instead_of_quarantine():
    def run(d):
        data = ck.scan_bytes(d.tmp, 13)
        path = put(d, "cut.pgm", data[:len(data) // 2])  # the header whole, half the rows
        d.until(lambda: "fails while it may still be being written" in d.logtext(), 60,
                "the truncated scan to fail")
        with open(path, "ab") as f:
            f.write(data[len(data) // 2:])
        d.until(lambda: len(ck.results(d)) == 1 and not ck.drop_leftovers(d), 120,
                "the whole scan archived")
        assert [r["id"] for r in ck.results(d)] == [ck.sha256(data)]
        assert not ck.quarantined(d), ck.quarantined(d)
    with_daemon(run, stable_s=5)


if __name__ == "__main__":
    main()
