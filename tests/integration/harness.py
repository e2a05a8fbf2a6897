"""A small harness for integration tests: each test prints PASS or FAIL lines
that tests/run.sh counts. Tests run the real bin/sohoa."""
import os
import subprocess
import sys
import traceback
import unicodedata

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOHOA = os.path.abspath(os.environ.get("SOHOA", os.path.join(ROOT, "bin", "sohoa")))
_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def sohoa(*args, env=None, timeout=600):
    """Runs sohoa; returns (exit status, stdout, stderr) as text."""
    full_env = dict(os.environ)
    full_env.pop("SOHOA_CONFIG", None)  # a developer's own config must not leak in
    full_env.update(env or {})
    p = subprocess.run([SOHOA, *args], capture_output=True, timeout=timeout,
                       env=full_env, cwd=ROOT)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def levenshtein(a, b):
    """Edit distance over code points (Myers/Hyyrö bit-parallel, global)."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    m = len(a)
    peq = {}
    for i, c in enumerate(a):
        peq[c] = peq.get(c, 0) | (1 << i)
    mask = (1 << m) - 1
    hibit = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for c in b:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & hibit:
            score += 1
        elif mh & hibit:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
    return score


def normalise(text):
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(ocr, truth):
    """Character error rate of ocr against truth, whitespace folded."""
    o, t = normalise(ocr), normalise(truth)
    return levenshtein(t, o) / max(1, len(t))


def main():
    failed = 0
    for fn in _tests:
        try:
            fn()
            print(f"PASS {fn.__name__}", flush=True)
        except Exception as exc:  # a failed assertion or a crash of the test
            failed += 1
            detail = str(exc) or traceback.format_exc(limit=2)
            print(f"FAIL {fn.__name__}: {detail}", flush=True)
    sys.exit(1 if failed else 0)
