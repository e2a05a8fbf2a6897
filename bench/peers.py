"""make bench, peers part: sohoa against the tesseract CLI and OCRmyPDF on the same
generated pages, all cores busy (bench/README.md says how to read it).

    /usr/bin/python3 bench/peers.py [bin/sohoa] [--pages N] [--rounds R] [--only NAME,...]

The set (samples/generate.py --bench) is made once into bench/out/, keyed on the
generator's hash. Every run reads the same pages with the same language (vie), one
OpenMP thread per process and N = os.cpu_count() processes at a time:

  tesseract-pdf   `tesseract PAGE OUT -l vie pdf`, one process a page, N at a time:
                  the physical limit, the reference (1.00) of every ratio
  tesseract-txt   the same to text only
  ocrmypdf        `ocrmypdf -j 1 --output-type pdfa -l vie`, one process a page, N at a time
  sohoa-shards    `sohoa process -l vie` on a `sohoa init` setup (OCR, extraction, PDF/A,
                  PAdES, XML e-result, XMLDSig, archive commit), N processes, each on
                  every N-th page (one process is single-threaded)
  sohoa-single    the same, one process on every page
  daemon          `sohoa run` with workers = N: every page dropped at once, until all
                  are archived
  daemon-1w       the same with 1 worker (scaling)

Wall time is the best of R rounds; CPU (user+sys) and peak RSS are those of that round.
"""
import argparse
import glob
import hashlib
import json
import os
import shutil
import signal
from daemon import archived  # bench/daemon.py: the index polled read-only
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "bench", "out")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
N = os.cpu_count() or 1
LANG = "vie"
STAGES = ("decode", "preprocess", "ocr", "extract", "package", "sign", "archive")
RUNS = ("tesseract-pdf", "tesseract-txt", "ocrmypdf", "sohoa-shards", "sohoa-single",
        "daemon", "daemon-1w")
TARGET_TESS, TARGET_OCRMYPDF = 1.10, 4.0


def say(*a):
    print(*a, flush=True)


# ---- the page set ---------------------------------------------------------

def generator_hash():
    h = hashlib.sha256()
    files = [os.path.join(ROOT, "samples", "generate.py")]
    files += sorted(glob.glob(os.path.join(ROOT, "samples", "gen", "*.py")))
    files += sorted(glob.glob(os.path.join(ROOT, "samples", "corpus", "*")))
    for f in files:
        h.update(os.path.relpath(f, ROOT).encode() + b"\0")
        with open(f, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


def page_set(count):
    """The first `count` pages of the bench set: each page depends only on its number,
    so a bigger cached set serves a smaller count."""
    d = os.path.join(OUT, "set-" + generator_hash())
    truth = os.path.join(d, "truth.jsonl")
    have = sum(1 for _ in open(truth, encoding="utf-8")) if os.path.exists(truth) else 0
    if have < count:
        for old in glob.glob(os.path.join(OUT, "set-*")):
            shutil.rmtree(old)
        tmp = d + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        say(f"peers: generating {count} pages into {os.path.relpath(d, ROOT)} (once)")
        subprocess.run(["nice", PYTHON, os.path.join(ROOT, "samples", "generate.py"),
                        "--bench", "--count", str(count), "--jobs", str(N), "--out", tmp],
                       check=True, stderr=subprocess.DEVNULL)
        os.rename(tmp, d)
    recs = [json.loads(l) for l in open(truth, encoding="utf-8") if l.strip()][:count]
    return [os.path.join(d, r["file"]) for r in recs], recs


def describe(recs):
    ext = {}
    for r in recs:
        k = os.path.splitext(r["file"])[1].lstrip(".").upper().replace("JPG", "JPEG")
        ext[k] = ext.get(k, 0) + 1
    dpi = {d: sum(r["dpi"] == d for r in recs) for d in (200, 300)}
    rot = sum("-rot" in r["file"] for r in recs)
    skew = sum(abs(r["skew_deg"]) >= 4 for r in recs)
    return (", ".join(f"{v} {k}" for k, v in sorted(ext.items())) +
            f"; {dpi[200]} at 200 dpi, {dpi[300]} at 300; {rot} turned 90/180, "
            f"{skew} skewed 4-6 deg, the rest 0.3-3 deg")


# ---- measuring ------------------------------------------------------------

class Run:
    """One measurement: wall seconds, CPU seconds (user+sys), peak RSS (MiB, max over
    processes), and what the sohoa runs printed."""

    def __init__(self, wall, cpu, rss, out=None, stages=None, page_cpu=None):
        self.wall, self.cpu, self.rss = wall, cpu, rss
        self.out = out or []
        self.stages = stages
        self.page_cpu = page_cpu  # one process a page: each page's CPU seconds


def parallel(argvs, env, limit, tmp):
    """Runs the commands, `limit` at a time; CPU and RSS from wait4, which counts each
    child's own reaped children (tesseract and gs under ocrmypdf)."""
    todo = list(enumerate(argvs))
    running, outs, page_cpu = {}, [None] * len(argvs), [0.0] * len(argvs)
    cpu, rss = 0.0, 0.0
    start = time.monotonic()
    while todo or running:
        while todo and len(running) < limit:
            k, argv = todo.pop(0)
            so = open(os.path.join(tmp, f"out-{k}"), "w+b")
            se = open(os.path.join(tmp, f"err-{k}"), "w+b")
            p = subprocess.Popen(argv, stdout=so, stderr=se, env=env)
            running[p.pid] = (k, argv, so, se, p)
        pid, status, ru = os.wait4(-1, 0)
        if pid not in running:
            continue
        k, argv, so, se, p = running.pop(pid)
        p.returncode = os.waitstatus_to_exitcode(status)
        page_cpu[k] = ru.ru_utime + ru.ru_stime
        cpu += page_cpu[k]
        rss = max(rss, ru.ru_maxrss / 1024)
        so.seek(0)
        se.seek(0)
        outs[k] = so.read().decode("utf-8", "replace")
        err = se.read().decode("utf-8", "replace")
        so.close()
        se.close()
        if p.returncode != 0:
            sys.exit(f"peers: {' '.join(argv)}: exit {p.returncode}: {err[-2000:]}")
    return Run(time.monotonic() - start, cpu, rss, outs, page_cpu=page_cpu)


def sohoa_setup(sohoa, d, workers=None):
    """A `sohoa init` setup that reads with -l vie like its peers, without the API."""
    subprocess.run([sohoa, "init", d], check=True, stdout=subprocess.DEVNULL)
    conf = os.path.join(d, "sohoa.conf")
    with open(conf, encoding="utf-8") as f:
        lines = [l for l in f if not l.startswith("listen =")]
    text = "".join(lines).replace("languages = vie+eng", "languages = " + LANG)
    if workers:
        text += "\n[daemon]\nworkers = %d\n" % workers
    with open(conf, "w", encoding="utf-8") as f:
        f.write(text)
    return conf


def stage_split(outputs):
    """Totals (s) of every stage over the results the sohoa processes printed, and each
    page's total (s) by its file name."""
    tot = dict.fromkeys(STAGES + ("total",), 0.0)
    n, per_page = 0, {}
    for out in outputs:
        for line in out.splitlines():
            r = json.loads(line)
            t = r.get("timings", {})
            n += 1
            per_page[os.path.basename(r["source"])] = t.get("total", 0) / 1000
            for k in tot:
                tot[k] += max(t.get(k, 0), 0) / 1000
    return tot, n, per_page


def run_tesseract(files, tmp, pdf):
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    argvs = [["tesseract", f, os.path.join(tmp, "t%03d" % k), "-l", LANG] + (["pdf"] if pdf
             else []) for k, f in enumerate(files)]
    return parallel(argvs, env, N, tmp)


def run_ocrmypdf(files, tmp):
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    argvs = [["ocrmypdf", "-q", "-j", "1", "--output-type", "pdfa", "-l", LANG, f,
              os.path.join(tmp, "o%03d.pdf" % k)] for k, f in enumerate(files)]
    return parallel(argvs, env, N, tmp)


def run_sohoa(sohoa, files, tmp, shards):
    conf = sohoa_setup(sohoa, os.path.join(tmp, "setup"))
    env = dict(os.environ)
    env.pop("SOHOA_CONFIG", None)
    argvs = [[sohoa, "-c", conf, "--json", "process", "-l", LANG] + files[s::shards]
             for s in range(shards)]
    r = parallel(argvs, env, shards, tmp)
    tot, count, per_page = stage_split(r.out)
    r.stages = (tot, count)
    r.page_cpu = [per_page.get(os.path.basename(f), 0) for f in files] if shards == 1 else None
    if count != len(files):
        sys.exit(f"peers: sohoa printed {r.stages[1]} results for {len(files)} pages")
    return r


# ---- the daemon -----------------------------------------------------------

def proc_tree(root):
    """{pid: (utime+stime s, cutime+cstime s, VmHWM MiB)} of root and its descendants."""
    hz = os.sysconf("SC_CLK_TCK")
    kids, info = {}, {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{p}/status") as f:
                hwm = next((int(l.split()[1]) / 1024 for l in f if l.startswith("VmHWM:")), 0)
        except OSError:
            continue
        kids.setdefault(int(st[1]), []).append(int(p))
        info[int(p)] = ((int(st[11]) + int(st[12])) / hz, (int(st[13]) + int(st[14])) / hz,
                        hwm)
    tree, todo = {}, [root]
    while todo:
        p = todo.pop()
        if p in info:
            tree[p] = info[p]
            todo += kids.get(p, [])
    return tree


def tree_cpu(tree, root):
    """CPU of the live processes plus what the root has reaped."""
    return sum(v[0] for v in tree.values()) + tree.get(root, (0, 0, 0))[1]


def run_daemon(sohoa, files, tmp, workers):
    d = os.path.join(tmp, "setup")
    conf = sohoa_setup(sohoa, d, workers)
    stage = os.path.join(tmp, "stage")
    os.makedirs(stage)
    for k, f in enumerate(files):
        shutil.copy(f, os.path.join(stage, "p%03d%s" % (k, os.path.splitext(f)[1])))
    env = dict(os.environ)
    env.pop("SOHOA_CONFIG", None)
    log = open(os.path.join(tmp, "daemon.log"), "wb")
    proc = subprocess.Popen([sohoa, "-c", conf, "run"], stdout=log, stderr=subprocess.STDOUT,
                            env=env)
    try:
        status = lambda: daemon_status(sohoa, conf)
        deadline = time.monotonic() + 120
        while not ready(status(), workers):
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("peers: the daemon did not start; see " + log.name)
            time.sleep(0.1)
        before = proc_tree(proc.pid)
        start = time.monotonic()
        for name in sorted(os.listdir(stage)):
            os.rename(os.path.join(stage, name), os.path.join(d, "inbox", name))
        db = os.path.join(d, "archive", "index.sqlite")
        while archived(db) < len(files):
            if proc.poll() is not None:
                sys.exit("peers: the daemon stopped; see " + log.name)
            time.sleep(0.05)
        wall = time.monotonic() - start
        after = proc_tree(proc.pid)
        st = status()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        log.close()
    cpu = tree_cpu(after, proc.pid) - tree_cpu(before, proc.pid)
    rss = max(v[2] for v in after.values())
    if st["totals"].get("quarantined"):
        sys.exit(f"peers: the daemon quarantined {st['totals']['quarantined']} pages")
    split = {k: st["stages"][k]["sum_s"] for k in STAGES + ("total",)}
    return Run(wall, cpu, rss, stages=(split, st["stages"]["total"]["count"]))


def daemon_status(sohoa, conf):
    p = subprocess.run([sohoa, "-c", conf, "--json", "status"], capture_output=True)
    return json.loads(p.stdout) if p.returncode == 0 else None


def ready(st, workers):
    return st is not None and len(st["workers"]) == workers and \
        all(w["state"] != "starting" for w in st["workers"])




# ---- the report -----------------------------------------------------------

def measure(name, sohoa, files, rounds):
    best = None
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
            r = {"tesseract-pdf": lambda: run_tesseract(files, tmp, True),
                 "tesseract-txt": lambda: run_tesseract(files, tmp, False),
                 "ocrmypdf": lambda: run_ocrmypdf(files, tmp),
                 "sohoa-shards": lambda: run_sohoa(sohoa, files, tmp, N),
                 "sohoa-single": lambda: run_sohoa(sohoa, files, tmp, 1),
                 "daemon": lambda: run_daemon(sohoa, files, tmp, N),
                 "daemon-1w": lambda: run_daemon(sohoa, files, tmp, 1)}[name]()
        if best is None or r.wall < best.wall:
            best = r
    return best


LABELS = {
    "tesseract-pdf": f"tesseract -l {LANG} pdf, {N}-way (1)",
    "tesseract-txt": f"tesseract -l {LANG} txt, {N}-way",
    "ocrmypdf": f"ocrmypdf --output-type pdfa, {N}-way",
    "sohoa-shards": f"sohoa process, {N} shards, all stages",
    "sohoa-single": "sohoa process, 1 process, all stages",
    "daemon": f"sohoa run, {N} workers, drop->archived",
    "daemon-1w": "sohoa run, 1 worker, drop->archived",
}


def report(res, recs, path):
    n = len(recs)
    ref = res.get("tesseract-pdf")
    say(f"\n{'run':42s} {'wall s':>7s} {'pages/s':>7s} {'CPU s':>7s} {'CPU/pg':>6s}"
        f" {'peakMiB':>7s} {'wall/(1)':>8s} {'CPU/(1)':>7s}")
    for name, r in res.items():
        ratio = f"{r.wall / ref.wall:8.2f} {r.cpu / ref.cpu:7.2f}" if ref else ""
        say(f"{LABELS[name]:42s} {r.wall:7.1f} {n / r.wall:7.3f} {r.cpu:7.1f} "
            f"{r.cpu / n:6.2f} {r.rss:7.0f} {ratio}")
    for name in ("sohoa-shards", "sohoa-single", "daemon"):
        if name in res and res[name].stages:
            split(LABELS[name], *res[name].stages, daemon=name == "daemon")
    by_kind(res, recs)
    verdicts(res)
    scaling(res, n)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"pages": n, "cores": N, "lang": LANG, "load": os.getloadavg(),
                   "files": [r["file"] for r in recs],
                   "runs": {k: {"wall_s": r.wall, "cpu_s": r.cpu, "peak_rss_mib": r.rss,
                                "stages_s": r.stages[0] if r.stages else None,
                                "page_s": r.page_cpu}
                            for k, r in res.items()}}, f, indent=1)
    say(f"\n(written to {os.path.relpath(path, ROOT)})")


def split(label, tot, count, daemon):
    total = sum(tot[k] for k in STAGES)
    say(f"\nwhere sohoa's time goes ({label}; {count} results; summed over processes):")
    for k in STAGES:
        say(f"  {k:10s} {tot[k]:8.2f} s  {100 * tot[k] / total:5.1f}%")
    if daemon:
        say(f"  {'stages':10s} {total:8.2f} s; intake to archived {tot['total']:.2f} s in all,"
            f" the wait in the queue included")
    else:
        say(f"  {'stages':10s} {total:8.2f} s  of {tot['total']:.2f} s from start to printed"
            f" (the rest: the work folder, reserving the result code, ALTO and PDF writing)")


def kind_of(rec):
    if "-rot" in rec["file"]:
        return "turned 90/180"
    return "skewed 4-6 deg" if abs(rec["skew_deg"]) >= 4 else "upright, <= 3 deg"


def by_kind(res, recs):
    """Seconds a page, by kind of page: the tesseract CLI's CPU against sohoa's time in
    one process (its wall time, which is its CPU time on a quiet machine)."""
    cols = [k for k in ("tesseract-pdf", "ocrmypdf", "sohoa-single") if k in res and
            res[k].page_cpu]
    if len(cols) < 2:
        return
    say(f"\nseconds a page by kind ({', '.join(cols)}; CPU, sohoa-single: its own timings):")
    groups = {}
    for k, rec in enumerate(recs):
        for g in (kind_of(rec), f"{rec['dpi']} dpi", rec["colour"]):
            groups.setdefault(g, []).append(k)
    for g, idx in groups.items():
        vals = [sum(res[c].page_cpu[k] for k in idx) / len(idx) for c in cols]
        say(f"  {g:20s} {len(idx):3d} pages " + " ".join(f"{v:6.2f}" for v in vals) +
            f"   sohoa/tesseract {vals[-1] / vals[0]:.2f}")


def verdicts(res):
    say("\nverdict (wall-time ratios; the CPU ratio in brackets, steadier under load):")
    ref = res.get("tesseract-pdf")
    for name in ("sohoa-shards", "sohoa-single", "daemon"):
        if name not in res:
            continue
        r = res[name]
        if ref:
            x = r.wall / ref.wall
            say(f"  {LABELS[name]}: {x:.2f}x ({r.cpu / ref.cpu:.2f}x) the tesseract CLI -> "
                f"{'MET' if x <= TARGET_TESS else 'MISSED'} (goal <= {TARGET_TESS:.2f}x)")
        if "ocrmypdf" in res:
            o = res["ocrmypdf"]
            x = o.wall / r.wall
            say(f"  {LABELS[name]}: {x:.2f}x ({o.cpu / r.cpu:.2f}x) faster than OCRmyPDF -> "
                f"{'MET' if x >= TARGET_OCRMYPDF else 'MISSED'} (goal >= {TARGET_OCRMYPDF:.0f}x)")


def scaling(res, n):
    if "daemon" in res and "daemon-1w" in res and N > 1:
        one, many = n / res["daemon-1w"].wall, n / res["daemon"].wall
        say(f"\nscaling: the daemon does {one:.3f} pages/s with 1 worker, {many:.3f} with {N}:"
            f" {many / one:.2f}x ({many / one / N:.0%} of linear)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sohoa", nargs="?", default=os.path.join(ROOT, "bin", "sohoa"))
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--only", help="comma-separated runs: " + ",".join(RUNS))
    a = ap.parse_args()
    sohoa = os.path.abspath(a.sohoa)
    names = a.only.split(",") if a.only else list(RUNS)
    unknown = set(names) - set(RUNS)
    if unknown:
        ap.error("unknown runs: " + ", ".join(sorted(unknown)))
    files, recs = page_set(a.pages)
    say(f"peers: {len(files)} pages ({describe(recs)}), {N} cores, -l {LANG}, "
        f"best of {a.rounds}; load average {os.getloadavg()[0]:.2f} at the start")
    res = {}
    for name in RUNS:
        if name in names:
            say(f"  {LABELS[name]} ...")
            res[name] = measure(name, sohoa, files, a.rounds)
    report(res, recs, os.path.join(OUT, "peers.json"))


if __name__ == "__main__":
    main()
