"""The daemon (`sohoa run`) started for real on a setup from `sohoa init`, for the
tests that drive it: test_daemon.py and test_webhook.py subclass RunningDaemon."""
import json
import os
import signal
import subprocess
import time

from harness import ROOT, SOHOA, sohoa
import signing_kit as kit


class RunningDaemon:
    """`sohoa init` + [daemon] tuned for tests + `extra` config, running."""

    def __init__(self, tmp, extra="", env=None, stable_s=2):
        self.tmp = tmp
        self.dir = os.path.join(tmp, "s")
        self.conf = kit.init_setup(self.dir)
        self.spool = os.path.join(self.dir, "spool")
        self.setup()
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("\n[daemon]\nworkers = 2\nsettle_ms = 300\nstable = %d\npage_timeout = 60\n"
                    % stable_s + extra + self.more_config())
        self.env = dict(os.environ, **(env or {}))
        self.env.pop("SOHOA_CONFIG", None)
        self.proc = None
        self.scans = 0
        self.start()

    def setup(self):
        """Files the subclass needs before its config is written."""

    def more_config(self):
        return ""

    def start(self):
        self.log = open(os.path.join(self.tmp, "daemon.log"), "ab")
        self.proc = subprocess.Popen([SOHOA, "-c", self.conf, "run"], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
        self.until(lambda: self.status() is not None, 60, "the daemon to answer")

    def status(self):
        code, out, _ = sohoa("-c", self.conf, "--json", "status")
        return json.loads(out) if code == 0 else None

    def stats(self):
        code, out, err = sohoa("-c", self.conf, "stats", "--json")
        assert code == 0, err
        return json.loads(out)

    def until(self, predicate, seconds, what):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError("the daemon exited (%s) while waiting for %s:\n%s"
                                     % (self.proc.returncode, what, self.logtext()[-3000:]))
            if predicate():
                return
            time.sleep(0.3)
        raise AssertionError("timed out waiting for %s:\n%s" % (what, self.logtext()[-3000:]))

    def logtext(self):
        with open(os.path.join(self.tmp, "daemon.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def new_scan(self, folder, name=None, shift=None):
        """A new distinct scan written into `folder` atomically (by rename)."""
        self.scans += 1
        name = name or "scan-%03d.pgm" % self.scans
        tmp = os.path.join(self.tmp, "build-%d.pgm" % self.scans)
        kit.small_scan(tmp, shift=self.scans * 3 if shift is None else shift)
        dest = os.path.join(folder, name)
        os.rename(tmp, dest)
        return dest

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self.proc = None
        self.log.close()
        assert code == 0, "the daemon exited %d on SIGTERM:\n%s" % (code, self.logtext())

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self.log.close()
