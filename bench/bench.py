"""make bench: sohoa process against the tesseract CLI on the same pages.

Both read the same committed 300 dpi sample pages on the same machine, one
after the other. The tesseract CLI runs once a page, as a script around it
would, with its default OpenMP threads and with one thread. sohoa runs once a
page (like for like) and once over all pages (its engine initialised once, as
in the daemon's workers). Each measurement is the best of ROUNDS. The target
is sohoa within 1.1x of the faster tesseract run.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TARGET_RATIO = 1.1


def pages():
    truth = [json.loads(l) for l in open(os.path.join(ROOT, "samples", "truth.jsonl"),
                                         encoding="utf-8") if l.strip()]
    chosen = [os.path.join(ROOT, "samples", e["file"]) for e in truth
              if e["pages"] == 1 and e["dpi"] == 300]
    if not chosen:
        sys.exit("bench: no single-page 300 dpi samples in samples/truth.jsonl")
    return chosen


def run(argv, env):
    """Runs one command; returns (seconds, peak RSS in MiB)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(argv)} failed: {proc.stderr.read().decode()}")
    proc.stderr.close()
    return elapsed, usage.ru_maxrss / 1024


def best_of(commands, env, rounds=ROUNDS):
    """commands: list of argv run in sequence as one measurement."""
    best_time, peak = None, 0.0
    for _ in range(rounds):
        total = 0.0
        for argv in commands:
            seconds, rss = run(argv, env)
            total += seconds
            peak = max(peak, rss)
        best_time = total if best_time is None else min(best_time, total)
    return best_time, peak


def filing_setup(sohoa, tmp):
    """A setup from `sohoa init`: processing there OCRs, signs and files."""
    d = os.path.join(tmp, "setup")
    subprocess.run([sohoa, "init", d], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(d, "sohoa.conf")


def main():
    sohoa = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "bin/sohoa")
    tmp = tempfile.TemporaryDirectory()
    conf = filing_setup(sohoa, tmp.name)
    files = pages()
    n = len(files)
    base = dict(os.environ)
    base.pop("OMP_THREAD_LIMIT", None)
    one_thread = dict(base, OMP_THREAD_LIMIT="1")
    print(f"bench: {n} pages (300 dpi samples), {os.cpu_count()} cores, best of {ROUNDS}")
    print("  (the gate compares sohoa with the faster of the two tesseract runs)")
    tess = [["tesseract", f, "-", "-l", "vie"] for f in files]
    runs = {
        # OpenMP's threads spin against each other on a small VM: measured
        # once, it is the slow case and only informs.
        "tesseract -l vie (CLI default threads)": best_of(tess, base, rounds=1),
        "tesseract -l vie (OMP_THREAD_LIMIT=1)": best_of(tess, one_thread),
        "sohoa process -l vie, one process a page":
            best_of([[sohoa, "process", "--json", "-l", "vie", f] for f in files], base),
        "sohoa process -l vie, one process": best_of(
            [[sohoa, "process", "--json", "-l", "vie", *files]], base),
        "sohoa process (default vie+eng), one process": best_of(
            [[sohoa, "process", "--json", *files]], base),
        # End to end: OCR, PDF/A, PAdES, XML e-result, XMLDSig, archive commit.
        "tesseract -l vie pdf (OMP_THREAD_LIMIT=1)": best_of(
            [["tesseract", f, os.path.join(tmp.name, "t"), "-l", "vie", "pdf"] for f in files],
            one_thread),
        "sohoa process -l vie, signed and filed": best_of(
            [[sohoa, "-c", conf, "process", "--json", "-l", "vie", *files]], base),
    }
    for name, (seconds, rss) in runs.items():
        print(f"  {name:46s} {n / seconds:6.3f} pages/s  {seconds / n:6.3f} s/page"
              f"  peak RSS {rss:6.1f} MiB")
    fastest = min(runs["tesseract -l vie (CLI default threads)"][0],
                  runs["tesseract -l vie (OMP_THREAD_LIMIT=1)"][0])
    for name in ("sohoa process -l vie, one process a page", "sohoa process -l vie, one process"):
        ratio = runs[name][0] / fastest
        verdict = "within" if ratio <= TARGET_RATIO else "OVER"
        print(f"ratio {name} / fastest tesseract: {ratio:.3f} "
              f"({verdict} the {TARGET_RATIO}x target)")
    e2e = runs["sohoa process -l vie, signed and filed"][0]
    for name in ("tesseract -l vie (OMP_THREAD_LIMIT=1)",
                 "tesseract -l vie pdf (OMP_THREAD_LIMIT=1)"):
        ratio = e2e / runs[name][0]
        verdict = "within" if ratio <= TARGET_RATIO else "OVER"
        print(f"ratio end to end (signed, filed) / {name}: {ratio:.3f} "
              f"({verdict} the {TARGET_RATIO}x target)")
    mixed = runs["sohoa process (default vie+eng), one process"][0] / fastest
    print(f"ratio sohoa vie+eng / fastest tesseract vie: {mixed:.3f}")

if __name__ == "__main__":
    main()
