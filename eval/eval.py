#!/usr/bin/python3
"""make eval: how well sohoa reads scans as scanners really make them.

Runs `sohoa process --json -l vie+eng FILE` on every file of the eval set (made by
`samples/generate.py --eval`, ground truth in its truth.jsonl), one thread per sohoa
(OMP_THREAD_LIMIT=1), without a configuration (nothing is archived). Prints one row per
degradation and the totals next to the goals, and writes report.json beside the set.

It measures and does not judge: the exit status is 0 whatever the numbers, 1 only when
sohoa could not run (missing, crashed, timed out, printed no JSON, or failed on every
file). A file that sohoa rejects with an error (e.g. "PDF input is not supported yet")
is listed as failed and its pages count as unread (CER 100%). See eval/README.md.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from harness import levenshtein, normalise  # noqa: E402

TIMEOUT = 600
CER_GOALS = {300: 0.015, 200: 0.03}      # the goals, per dpi
SKEW_GOAL = 0.3                          # mean |measured - truth|, degrees
ORIENTATION_GOAL = 1.0                   # share of pages upright after sohoa
PREPROCESS_GOAL = 0.10                   # preprocessing time per page / OCR time per page


def preprocess_config(binarise):
    """A configuration whose only point is [preprocess] binarise; nothing is filed."""
    home = tempfile.mkdtemp(prefix="sohoa-eval-")
    for d in ("spool", "archive", "quarantine"):
        os.mkdir(os.path.join(home, d))
    path = os.path.join(home, "sohoa.ini")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[preprocess]\nbinarise = %s\n" % binarise)
    return path


def run_sohoa(sohoa, path, config=None):
    """One sohoa run. Returns a dict: seconds, and result, or error (+ fatal)."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    env.pop("SOHOA_CONFIG", None)        # no configuration: nothing is filed
    if config:
        env["SOHOA_CONFIG"] = config
    argv = [sohoa, "process", "--json", "--no-archive", "-l", "vie+eng", path]
    start = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"seconds": TIMEOUT, "error": "timed out after %d s" % TIMEOUT, "fatal": True}
    seconds = time.monotonic() - start
    err = p.stderr.decode("utf-8", "replace").strip().splitlines()
    if p.returncode < 0:
        return {"seconds": seconds, "fatal": True, "error": "killed by signal %d" % -p.returncode}
    if p.returncode != 0:
        return {"seconds": seconds, "error": err[-1] if err else "exit status %d" % p.returncode}
    try:
        return {"seconds": seconds, "result": json.loads(p.stdout.decode("utf-8"))}
    except ValueError:
        return {"seconds": seconds, "fatal": True, "error": "no JSON on stdout"}


def page_texts(result, n, facts):
    """The OCR text of each of the n pages, or None when the pages cannot be told apart.

    Pages are split by form feeds. A blank page that sohoa dropped may have no entry."""
    segs = result.get("text", "").split("\f")
    if len(segs) == n:
        return segs
    if facts and all("blank" in f for f in facts):
        kept = [i for i, f in enumerate(facts) if not f["blank"]]
        if len(segs) == len(kept):
            out = [""] * n
            for i, s in zip(kept, segs):
                out[i] = s
            return out
    return None


def score(truth, run):
    """Per-page comparison of one file with its truth."""
    n = truth["pages"]
    blanks = set(truth.get("blank_pages", []))
    rot = truth.get("rotation", 0)
    res = run.get("result")
    facts = (res or {}).get("ocr", {}).get("pages")
    if facts is not None and len(facts) != n:
        facts = None                     # cannot line the pages up: no per-page facts
    texts = page_texts(res, n, facts) if res else [""] * n
    f = {"file": truth["file"], "dpi": truth["dpi"], "degradations": truth["degradations"],
         "pages": n, "seconds": round(run["seconds"], 3), "error": run.get("error"),
         "cer_errors": 0, "cer_chars": 0, "page": []}
    if res is not None:
        f["blank_pages_reported"] = res.get("blank_pages")
    for i in range(n):
        blank = (i + 1) in blanks
        facts_i = facts[i] if facts else {}
        p = {"page": i + 1, "blank": blank}
        if not blank and texts is not None:
            t = normalise(truth["text"][i])
            p["cer_errors"] = levenshtein(t, normalise(texts[i]))
            p["cer_chars"] = len(t)
            p["cer"] = round(p["cer_errors"] / max(1, len(t)), 4)
            f["cer_errors"] += p["cer_errors"]
            f["cer_chars"] += p["cer_chars"]
        if "rotation" in facts_i and not blank:
            p["rotation"] = facts_i["rotation"]
            p["upright"] = (rot + facts_i["rotation"]) % 360 == 0
        if "skew_deg" in facts_i and not blank and facts_i["skew_deg"] is not None:
            p["skew_measured"] = facts_i["skew_deg"]
            p["skew_truth"] = truth["skew_deg"]
            p["skew_error"] = round(abs(facts_i["skew_deg"] - truth["skew_deg"]), 3)
        if "blank" in facts_i:
            p["blank_found"] = bool(facts_i["blank"])
        for k in ("ink", "dpi_source", "ms"):
            if k in facts_i:
                p[k] = facts_i[k]
        f["page"].append(p)
    if texts is None:                    # whole-file CER: OCR text against the text pages
        t = normalise(" ".join(x for i, x in enumerate(truth["text"]) if (i + 1) not in blanks))
        f["cer_errors"] = levenshtein(t, normalise(res.get("text", "")))
        f["cer_chars"] = len(t)
        f["cer_whole_file"] = True
    return f


def aggregate(files):
    """Sums over files: CER, upright share, skew error, blank precision/recall, speed."""
    a = {"files": len(files), "pages": sum(f["pages"] for f in files),
         "failed": sum(1 for f in files if f["error"])}
    chars = sum(f["cer_chars"] for f in files)
    a["cer"] = sum(f["cer_errors"] for f in files) / chars if chars else None
    pages = [p for f in files for p in f["page"]]
    text_pages = [p for p in pages if not p["blank"]]
    a["text_pages"] = len(text_pages)
    up = [p["upright"] for p in text_pages if "upright" in p]
    a["upright"] = sum(up) / len(up) if up else None
    a["upright_measured"] = len(up)
    sk = [p["skew_error"] for p in text_pages if "skew_error" in p]
    a["skew_error"] = sum(sk) / len(sk) if sk else None
    a["skew_measured"] = len(sk)
    bl = [(p["blank"], p["blank_found"]) for p in pages if "blank_found" in p]
    tp = sum(1 for t, found in bl if t and found)
    fp = sum(1 for t, found in bl if not t and found)
    fn = sum(1 for t, found in bl if t and not found)
    a["blank_measured"] = len(bl)
    a["blank_truth"] = sum(1 for p in pages if p["blank"])
    a["blank_tp"], a["blank_fp"], a["blank_fn"] = tp, fp, fn
    a["blank_precision"] = tp / (tp + fp) if bl and tp + fp else None
    a["blank_recall"] = tp / (tp + fn) if bl and tp + fn else None
    ok = [f for f in files if not f["error"]]
    secs = sum(f["seconds"] for f in ok)
    a["pages_per_s"] = sum(f["pages"] for f in ok) / secs if secs else None
    read = [p["ms"] for p in text_pages if p.get("ms", {}).get("ocr")]
    a["preprocess_ms"] = sum(m["preprocess"] for m in read) / len(read) if read else None
    a["ocr_ms"] = sum(m["ocr"] for m in read) / len(read) if read else None
    a["preprocess_share"] = (sum(m["preprocess"] for m in read) / sum(m["ocr"] for m in read)
                             if read else None)
    return a


def pct(v, measured=True):
    if not measured:
        return "n/a"
    return "—" if v is None else "%.1f%%" % (100 * v)


def row(name, a):
    skew = "n/a" if not a["skew_measured"] else "%.2f°" % a["skew_error"]
    return "%-13s %5d %5d %7s %8s %9s %7s %7s %7s %6d" % (
        name, a["files"], a["pages"], pct(a["cer"]), pct(a["upright"], a["upright_measured"]),
        skew, pct(a["blank_precision"], a["blank_measured"]),
        pct(a["blank_recall"], a["blank_measured"]),
        "—" if a["pages_per_s"] is None else "%.2f" % a["pages_per_s"], a["failed"])


def goals(total, by_dpi):
    out = []
    for dpi, target in sorted(CER_GOALS.items(), reverse=True):
        a = by_dpi.get(dpi)
        v = a["cer"] if a else None
        out.append({"goal": "CER, %d dpi pages (%d)" % (dpi, a["text_pages"] if a else 0),
                    "target": "≤ %.1f%%" % (100 * target), "value": v,
                    "shown": pct(v), "met": None if v is None else v <= target})
    v = total["upright"] if total["upright_measured"] else None
    out.append({"goal": "pages upright", "target": "100%", "value": v,
                "shown": pct(v, total["upright_measured"]),
                "met": None if v is None else v >= ORIENTATION_GOAL})
    v = total["skew_error"] if total["skew_measured"] else None
    out.append({"goal": "mean |skew error|", "target": "< %.1f°" % SKEW_GOAL, "value": v,
                "shown": "n/a" if v is None else "%.2f°" % v,
                "met": None if v is None else v < SKEW_GOAL})
    v = total["preprocess_share"]
    out.append({"goal": "preprocessing / OCR time", "target": "< %.0f%%" % (100 * PREPROCESS_GOAL),
                "value": v, "shown": pct(v),
                "met": None if v is None else v < PREPROCESS_GOAL})
    return out


def print_goals(gl, width):
    """The goals table: goal, target, measured, verdict (eval.py and fields.py)."""
    print()
    print("%-*s %8s %9s" % (width, "goal", "target", "measured"))
    for g in gl:
        verdict = "n/a" if g["met"] is None else ("met" if g["met"] else "missed")
        print("%-*s %8s %9s  %s" % (width, g["goal"], g["target"], g["shown"], verdict))


def skew_sign_note(files):
    """A hint when sohoa's skew looks like the opposite sign convention."""
    pairs = [(p["skew_measured"], p["skew_truth"]) for f in files for p in f["page"]
             if "skew_measured" in p and abs(p["skew_truth"]) >= 1]
    if len(pairs) >= 3:
        same = sum(abs(m - t) for m, t in pairs)
        flipped = sum(abs(m + t) for m, t in pairs)
        if flipped < same / 2:
            return ("measured skew looks like the opposite sign convention (error %.2f° "
                    "as is, %.2f° flipped): the truth is counter-clockwise positive"
                    % (same / len(pairs), flipped / len(pairs)))
    return None


def shown(path):
    """A path as the user would type it: relative inside the repository."""
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sohoa", default=os.path.join(ROOT, "bin", "sohoa"))
    ap.add_argument("--set", default=os.path.join(ROOT, "eval", "out"),
                    help="folder with the eval files and truth.jsonl")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="sohoa processes at once (each with one OCR thread)")
    ap.add_argument("--binarise", choices=("none", "otsu", "sauvola", "background"),
                    help="run with [preprocess] binarise set so (default: sohoa's default)")
    a = ap.parse_args()
    config = preprocess_config(a.binarise) if a.binarise else None
    sohoa = os.path.abspath(a.sohoa)
    if not os.access(sohoa, os.X_OK):
        sys.exit("eval: %s is not there; run make eval" % sohoa)
    tpath = os.path.join(a.set, "truth.jsonl")
    if not os.path.isfile(tpath):
        sys.exit("eval: no %s; generate it: samples/generate.py --eval --out %s" % (tpath, a.set))
    with open(tpath, encoding="utf-8") as fh:
        truth = [json.loads(line) for line in fh if line.strip()]
    if not all("degradations" in t for t in truth):
        sys.exit("eval: %s is not an eval set (no degradations)" % tpath)

    npages = sum(t["pages"] for t in truth)
    nblank = sum(len(t["blank_pages"]) for t in truth)
    print("eval: %d files, %d pages (%d blank), %s, %d jobs, OMP_THREAD_LIMIT=1"
          % (len(truth), npages, nblank, shown(sohoa), a.jobs), flush=True)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        runs = list(pool.map(lambda t: run_sohoa(sohoa, os.path.join(a.set, t["file"]), config), truth))
    wall = time.monotonic() - start
    files = [score(t, r) for t, r in zip(truth, runs)]

    degs = []
    for f in files:
        for d in f["degradations"]:
            if d not in degs:
                degs.append(d)
    by_deg = {d: aggregate([f for f in files if d in f["degradations"]]) for d in degs}
    by_dpi = {dpi: aggregate([f for f in files if f["dpi"] == dpi])
              for dpi in sorted({f["dpi"] for f in files}, reverse=True)}
    total = aggregate(files)

    print()
    print("%-13s %5s %5s %7s %8s %9s %7s %7s %7s %6s" % (
        "degradation", "files", "pages", "CER", "upright", "skew err", "blank P", "blank R",
        "pages/s", "failed"))
    for d in degs:
        print(row(d, by_deg[d]))
    print("-" * 84)
    for dpi, agg in by_dpi.items():
        print(row("%d dpi" % dpi, agg))
    print(row("all", total))

    gl = goals(total, by_dpi)
    print_goals(gl, 28)

    notes = []
    for f in files:
        if f["error"]:
            notes.append("failed: %s: %s (its pages count as unread)" % (f["file"], f["error"]))
        elif f.get("cer_whole_file"):
            notes.append("%s: the text has no per-page split that fits; CER over the whole file"
                         % f["file"])
    sign = skew_sign_note(files)
    if sign:
        notes.append(sign)
    absent = [k for k, n in (("rotation", total["upright_measured"]),
                             ("skew_deg", total["skew_measured"]),
                             ("blank", total["blank_measured"])) if not n]
    if absent:
        notes.append("n/a: sohoa's ocr.pages[] has no %s" % ", ".join(absent))
    print()
    for n in notes:
        print("note: " + n)
    secs = sum(f["seconds"] for f in files)
    print("time: %.0f s wall for %d pages (%.2f pages/s with %d jobs); sohoa runs %.0f s in all"
          % (wall, npages, npages / wall if wall else 0, a.jobs, secs))
    if total["ocr_ms"]:
        print("per read page: preprocessing %.0f ms, OCR %.0f ms"
              % (total["preprocess_ms"], total["ocr_ms"]))

    report = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sohoa": sohoa, "set": os.path.abspath(a.set), "jobs": a.jobs,
        "wall_seconds": round(wall, 1),
        "conventions": {
            "rotation": "truth: degrees clockwise the page was turned; sohoa: degrees clockwise "
                        "applied; upright when (truth + applied) % 360 == 0",
            "skew_deg": "counter-clockwise positive, as the page appears (the sign of "
                        "leptonica's pixFindSkew); error = |measured - truth|",
            "cer": "sum of edit distances / sum of truth characters, whitespace folded, "
                   "blank pages excluded, failed files count as unread",
        },
        "goals": gl, "total": total,
        "by_dpi": {str(k): v for k, v in by_dpi.items()},
        "by_degradation": by_deg, "notes": notes, "files": files,
    }
    with open(os.path.join(a.set, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(report, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print("report: %s" % shown(os.path.join(a.set, "report.json")))
    fatal = [f for f, r in zip(files, runs) if r.get("fatal")]
    if all(f["error"] for f in files):
        fatal = files                    # rejected everything: sohoa itself does not work
    if fatal:
        print("eval: sohoa did not run on %d file(s): %s" % (
            len(fatal), "; ".join("%s: %s" % (f["file"], f["error"]) for f in fatal)),
            file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
