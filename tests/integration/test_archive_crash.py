"""kill -9 while results are being committed: nothing half there afterwards."""
import json
import os
import random
import signal
import subprocess
import tempfile

from harness import ROOT, main, sohoa, test

TOOLS = os.environ.get("SOHOA_TOOLS", os.path.join(ROOT, "build", "release", "tools"))
LOAD = os.path.join(TOOLS, "archive_load")
COUNT = 60
KILLS = 6


def kill_after(archive, lines):
    """Starts a load and kills it -9 once `lines` results were filed."""
    proc = subprocess.Popen([LOAD, archive, str(COUNT), "7"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    for _ in range(lines):
        if not proc.stdout.readline():
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()


@test
def kill_9_mid_batch_leaves_a_clean_archive():
    rng = random.Random(2684)
    with tempfile.TemporaryDirectory() as tmp:
        setup = os.path.join(tmp, "s")
        assert sohoa("init", setup)[0] == 0
        conf = os.path.join(setup, "sohoa.conf")
        archive = os.path.join(setup, "archive")
        for _ in range(KILLS):
            kill_after(archive, rng.randint(1, COUNT - 1))
        done = subprocess.run([LOAD, archive, str(COUNT), "7"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.split()) == COUNT
        code, out, err = sohoa("-c", conf, "fsck", "--json")
        report = json.loads(out)
        assert code == 0 and report["clean"], report
        assert report["audit"]["ok"], report["audit"]
        code, out, _ = sohoa("-c", conf, "stats", "--json")
        assert json.loads(out)["results"] == COUNT, out
        print(f"  {KILLS} kills -9 mid-batch, then a full run: {COUNT} results, fsck clean")


if __name__ == "__main__":
    main()
