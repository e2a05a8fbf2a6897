"""The fuzz targets' inputs, run again without libFuzzer: every input that once
crashed a target (fuzz/regress/<target>/) and every seed (fuzz/corpus/<target>/)
goes through the target's replay binary, built by the normal build with the
flavour of the sohoa binary under test (bin/sohoa: build/release, bin/sohoa-asan:
build/asan, where a crash, a leak or undefined behaviour aborts). One line per
target. See docs/internals/fuzz.md."""
import os
import subprocess

from harness import ROOT, SOHOA, main, test

TARGETS = ("decode", "extract", "config", "api", "xml")
FLAVOUR = "asan" if os.path.basename(SOHOA).endswith("-asan") else "release"


def inputs(target):
    n = 0
    for kind in ("regress", "corpus"):
        d = os.path.join(ROOT, "fuzz", kind, target)
        if os.path.isdir(d):
            n += sum(1 for f in os.listdir(d) if not f.startswith(".")
                     and os.path.isfile(os.path.join(d, f)))
    return n


def replay(target):
    binary = os.path.join(ROOT, "build", FLAVOUR, "fuzz", "replay_" + target)
    assert os.path.exists(binary), f"{binary} is missing (make tests / make asan build it)"
    dirs = [os.path.join(ROOT, "fuzz", kind, target) for kind in ("regress", "corpus")]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    env.pop("SOHOA_DATA", None)
    p = subprocess.run([binary, *[d for d in dirs if os.path.isdir(d)]], capture_output=True,
                       timeout=900, env=env, cwd=ROOT)
    err = p.stderr.decode("utf-8", "replace")
    last = err.strip().splitlines()[-1] if err.strip() else ""
    assert p.returncode == 0, f"replay_{target} exited {p.returncode} at {last}\n{err[-3000:]}"
    want = inputs(target)
    assert p.stdout.decode().strip() == f"{want} inputs", \
        f"replay_{target} ran {p.stdout.decode().strip()!r}, expected {want} inputs"
    assert want > 0, "no inputs"


for _t in TARGETS:
    def _case(t=_t):
        replay(t)
    _case.__name__ = f"fuzz_regress_{_t}"
    test(_case)

if __name__ == "__main__":
    main()
