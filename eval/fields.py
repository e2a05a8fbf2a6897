#!/usr/bin/python3
"""make eval: how well sohoa extracts the fields of documents, receipts and forms.

Runs `sohoa process --json --no-archive -l vie+eng FILE` on every file of the field set
(made by `samples/generate.py --fields`, ground truth in its truth.jsonl), one OCR thread
per sohoa (OMP_THREAD_LIMIT=1), without a configuration. Compares the result's fields,
kind, review flag and confidences with the truth, part by part, and prints precision,
recall and exact match per field and per kind, the kind accuracy, review precision and
recall, the calibration of the confidences and the extraction time; writes report.json
beside the set.

It measures and does not judge: the exit status is 0 whatever the numbers, 1 only when
sohoa could not run (missing, crashed, timed out, printed no JSON, or failed on every
file). See eval/README.md, "Fields".
"""
import argparse
import concurrent.futures
import json
import os
import sys
import time
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from eval import print_goals, run_sohoa, shown  # noqa: E402  (eval/eval.py: shared parts)

FIELDS = ("type", "number", "issuer", "issuer_parent", "place", "date", "subject", "signer",
          "signer_role", "dossier_code", "citizen_id", "tax_code", "applicant", "procedure",
          "received", "due", "address")
KINDS = ("document", "receipt", "form")
# confidence bins, highest first: (label, low, high)
BINS = (("≥ 0.9", 0.9, None), ("0.7–0.9", 0.7, 0.9), ("0.5–0.7", 0.5, 0.7), ("< 0.5", None, 0.5))
CALIBRATION_GOAL = 0.99        # share right of the fields given at confidence >= 0.9
EXTRACT_GOAL = 0.05            # extraction time / OCR time, per page


def norm(v):
    """A field value as compared: NFC, runs of white space as one space, trimmed; null,
    an empty string and a missing key are all null."""
    if v is None:
        return None
    if not isinstance(v, str):
        v = json.dumps(v, ensure_ascii=False)
    v = " ".join(unicodedata.normalize("NFC", v).split())
    return v or None


def conf_of(confidence, field):
    """confidence[field] as a number; missing or not a number counts as 0."""
    v = (confidence or {}).get(field)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


def corpus_numbers():
    """{corpus file name: document number} of the real documents (samples/corpus)."""
    for d in (os.environ.get("SOHOA_CORPUS"), os.path.join(ROOT, "samples", "corpus")):
        p = d and os.path.join(d, "truth.jsonl")
        if p and os.path.isfile(p):
            with open(p, encoding="utf-8") as fh:
                return {t["file"]: norm(t["number"])
                        for t in (json.loads(line) for line in fh if line.strip())}
    return {}


def truth_parts(t):
    if t.get("parts"):
        return t["parts"]
    return [{"kind": t["kind"], "first_page": 1, "pages": t["pages"], "fields": t["fields"],
             "source": t.get("source"), "review": t.get("review", False)}]


def result_parts(res, n):
    """The result's parts lined up with the n truth parts (None where sohoa gave none), and
    the result parts left over. Without parts[] in the result, its top-level fields stand
    for part 1."""
    if res is None:
        return [None] * n, []
    rp = res.get("parts")
    if not isinstance(rp, list) or not rp:
        top = {"kind": res.get("kind"), "fields": res.get("fields") or {},
               "confidence": res.get("confidence") or {}}
        return [top] + [None] * (n - 1), []
    rp = [p for p in rp if isinstance(p, dict)]
    for k, p in enumerate(rp):
        if "confidence" not in p and k == 0:
            p = dict(p, confidence=res.get("confidence") or {})
            rp[k] = p
    return (rp + [None] * n)[:n], rp[n:]


def score_file(t, run, corpus):
    """Per-part comparison of one file with its truth."""
    res = run.get("result")
    tps = truth_parts(t)
    rps, extra = result_parts(res, len(tps))
    f = {"file": t["file"], "pages": t["pages"], "seconds": round(run["seconds"], 3),
         "error": run.get("error"), "review_truth": bool(t.get("review")),
         "review_given": bool(res.get("review")) if res else False,
         "result_parts": len(res["parts"]) if res and isinstance(res.get("parts"), list) else None,
         "extra_parts": len(extra), "parts": []}
    dossier = norm((tps[0].get("fields") or {}).get("dossier_code")) if len(tps) > 1 else None
    for k, (tp, rp) in enumerate(zip(tps, rps)):
        tf = tp.get("fields") or {}
        rf = (rp or {}).get("fields") or {}
        conf = (rp or {}).get("confidence") or {}
        src = tp.get("source")
        p = {"part": k + 1, "kind": tp["kind"], "kind_given": (rp or {}).get("kind"),
             "returned": rp is not None,
             "corpus": bool(src in corpus and norm(tf.get("number")) == corpus[src]),
             "values": {}}
        for fld in FIELDS:
            tv, gv = norm(tf.get(fld)), norm(rf.get(fld))
            if fld == "dossier_code" and k > 0 and tv is None and gv is not None and gv == dossier:
                tv = gv          # the dossier's code propagated to a later part: right too
            p["values"][fld] = {"truth": tv, "given": gv,
                                "confidence": conf_of(conf, fld) if gv is not None else None}
        f["parts"].append(p)
    for rp in extra:             # parts sohoa saw that the truth has not: all they give is wrong
        rf = rp.get("fields") or {}
        p = {"part": None, "kind": None, "kind_given": rp.get("kind"), "returned": True,
             "corpus": False, "values": {}}
        for fld in FIELDS:
            gv = norm(rf.get(fld))
            p["values"][fld] = {"truth": None, "given": gv,
                                "confidence": conf_of(rp.get("confidence"), fld)
                                if gv is not None else None}
        f["parts"].append(p)
    ms = []
    if res:
        for pg in (res.get("ocr") or {}).get("pages") or []:
            m = pg.get("ms") if isinstance(pg, dict) else None
            if isinstance(m, dict) and isinstance(m.get("extract"), (int, float)) \
                    and isinstance(m.get("ocr"), (int, float)):
                ms.append((m["extract"], m["ocr"]))
    f["ms"] = ms
    return f


def field_table(parts):
    """Per field: truth values, values given, right, precision, recall, exact match."""
    out = {}
    for fld in FIELDS:
        vals = [p["values"][fld] for p in parts]
        given = [v for v in vals if v["given"] is not None]
        truth = [v for v in vals if v["truth"] is not None]
        right = sum(1 for v in given if v["given"] == v["truth"])
        got = sum(1 for v in truth if v["given"] == v["truth"])
        exact = sum(1 for v in vals if v["given"] == v["truth"])
        out[fld] = {"parts": len(vals), "truth": len(truth), "given": len(given), "right": right,
                    "precision": right / len(given) if given else None,
                    "recall": got / len(truth) if truth else None,
                    "exact": exact / len(vals) if vals else None}
    return out


def pct(v):
    return "n/a" if v is None else "%.1f%%" % (100 * v)


def print_table(title, parts):
    tab = field_table(parts)
    print()
    print("%s (%d parts)" % (title, len(parts)))
    print("  %-14s %6s %6s %6s %8s %8s %8s" % ("field", "truth", "given", "right", "prec",
                                               "recall", "exact"))
    for fld, s in tab.items():
        if not s["truth"] and not s["given"]:
            continue             # null in the truth and never given: nothing to show
        print("  %-14s %6d %6d %6d %8s %8s %8s" % (fld, s["truth"], s["given"], s["right"],
                                                   pct(s["precision"]), pct(s["recall"]),
                                                   pct(s["exact"])))
    tg = sum(s["given"] for s in tab.values())
    tr = sum(s["right"] for s in tab.values())
    tt = sum(s["truth"] for s in tab.values())
    got = sum(1 for p in parts for v in p["values"].values()
              if v["truth"] is not None and v["given"] == v["truth"])
    ex = sum(1 for p in parts for v in p["values"].values() if v["given"] == v["truth"])
    n = len(parts) * len(FIELDS)
    print("  %-14s %6d %6d %6d %8s %8s %8s" % ("all fields", tt, tg, tr,
                                               pct(tr / tg if tg else None),
                                               pct(got / tt if tt else None),
                                               pct(ex / n if n else None)))
    return tab


def slim(f):
    """A file for report.json: the values that are non-null on either side only."""
    f = {k: v for k, v in f.items() if k != "ms"}
    f["parts"] = [dict(p, values={k: v for k, v in p["values"].items()
                                  if v["truth"] is not None or v["given"] is not None})
                  for p in f["parts"]]
    return f


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sohoa", default=os.path.join(ROOT, "bin", "sohoa"))
    ap.add_argument("--set", default=os.path.join(ROOT, "eval", "fields-out"),
                    help="folder with the field-set files and truth.jsonl")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="sohoa processes at once (each with one OCR thread)")
    a = ap.parse_args()
    sohoa = os.path.abspath(a.sohoa)
    if not os.access(sohoa, os.X_OK):
        sys.exit("fields: %s is not there; run make eval" % sohoa)
    tpath = os.path.join(a.set, "truth.jsonl")
    if not os.path.isfile(tpath):
        sys.exit("fields: no %s; generate it: samples/generate.py --fields --out %s"
                 % (tpath, a.set))
    with open(tpath, encoding="utf-8") as fh:
        truth = [json.loads(line) for line in fh if line.strip()]
    if not all("review" in t for t in truth):
        sys.exit("fields: %s is not a field set (no review keys); make it with --fields" % tpath)
    corpus = corpus_numbers()

    npages = sum(t["pages"] for t in truth)
    nparts = sum(len(truth_parts(t)) for t in truth)
    print("fields: %d files, %d pages, %d parts, %s, %d jobs, OMP_THREAD_LIMIT=1"
          % (len(truth), npages, nparts, shown(sohoa), a.jobs), flush=True)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        runs = list(pool.map(lambda t: run_sohoa(sohoa, os.path.join(a.set, t["file"])), truth))
    wall = time.monotonic() - start
    files = [score_file(t, r, corpus) for t, r in zip(truth, runs)]

    parts = [p for f in files for p in f["parts"] if p["kind"] is not None]
    extra = [p for f in files for p in f["parts"] if p["kind"] is None]
    groups = {"all": parts + extra}
    for k in KINDS:
        groups[k] = [p for p in parts if p["kind"] == k]
    groups["corpus"] = [p for p in parts if p["corpus"]]
    titles = {"all": "all parts", "document": "documents", "receipt": "receipts",
              "form": "forms", "corpus": "the three real corpus documents"}
    tables = {}
    for g, ps in groups.items():
        if ps:
            tables[g] = print_table(titles[g], ps)

    # kind
    kinds = {}
    print()
    print("kind            parts  right")
    for k in KINDS:
        ps = groups[k]
        if ps:
            r = sum(1 for p in ps if p["kind_given"] == k)
            kinds[k] = {"parts": len(ps), "right": r, "accuracy": r / len(ps)}
            print("  %-12s %6d %6d  %s" % (k, len(ps), r, pct(r / len(ps))))
    r = sum(v["right"] for v in kinds.values())
    kinds["all"] = {"parts": len(parts), "right": r, "accuracy": r / len(parts) if parts else None}
    print("  %-12s %6d %6d  %s" % ("all", len(parts), r, pct(kinds["all"]["accuracy"])))
    given_kinds = {}
    for p in parts:
        said = "(no part)" if p["kind_given"] is None else str(p["kind_given"])
        given_kinds[said] = given_kinds.get(said, 0) + 1
    kinds["given"] = given_kinds
    print("  sohoa said: %s" % ", ".join("%s %d" % kv for kv in sorted(given_kinds.items())))

    # review (per file)
    tp = sum(1 for f in files if f["review_truth"] and f["review_given"])
    fp = sum(1 for f in files if not f["review_truth"] and f["review_given"])
    fn = sum(1 for f in files if f["review_truth"] and not f["review_given"])
    review = {"files": len(files), "truth": tp + fn, "given": tp + fp, "tp": tp, "fp": fp,
              "fn": fn, "precision": tp / (tp + fp) if tp + fp else None,
              "recall": tp / (tp + fn) if tp + fn else None}
    print()
    print("review: the truth flags %d of %d files, sohoa flagged %d; precision %s, recall %s"
          % (review["truth"], len(files), review["given"], pct(review["precision"]),
             pct(review["recall"])))
    # The truth flags only what must be flagged (a bad MST, a QR typo); sohoa also flags
    # what it doubts. A flag is justified when some field of the file is wrong or missing.
    def has_miss(f):
        return any(norm(v["given"]) != norm(v["truth"]) for p in f["parts"]
                   for v in p["values"].values())
    flagged = [f for f in files if f["review_given"]]
    review["justified"] = sum(1 for f in flagged if f["review_truth"] or has_miss(f))
    review["missed_doubt"] = sum(1 for f in files if not f["review_given"] and has_miss(f))
    print("        %d of the %d flagged files have a field wrong or missing, or must be flagged;"
          " %d files with a field wrong or missing were not flagged"
          % (review["justified"], len(flagged), review["missed_doubt"]))

    # calibration: every non-null value sohoa gave, by its confidence
    given = [v for p in parts + extra for v in p["values"].values() if v["given"] is not None]
    calib = []
    print()
    print("confidence   fields  right")
    for label, lo, hi in BINS:
        vs = [v for v in given if (lo is None or v["confidence"] >= lo)
              and (hi is None or v["confidence"] < hi)]
        r = sum(1 for v in vs if v["given"] == v["truth"])
        calib.append({"bin": label, "low": lo, "high": hi, "fields": len(vs), "right": r,
                      "share_right": r / len(vs) if vs else None})
        print("  %-9s %7d %6s" % (label, len(vs), "—" if not vs else pct(r / len(vs))))

    # time
    ms = [m for f in files for m in f["ms"]]
    ext_share = sum(e for e, _ in ms) / sum(o for _, o in ms) if ms and sum(o for _, o in ms) else None
    timing = {"pages": len(ms), "extract_ms": sum(e for e, _ in ms) / len(ms) if ms else None,
              "ocr_ms": sum(o for _, o in ms) / len(ms) if ms else None, "share": ext_share}

    hi = calib[0]
    gl = [{"goal": "fields at confidence ≥ 0.9 right", "target": "≥ %.0f%%" % (100 * CALIBRATION_GOAL),
           "value": hi["share_right"], "shown": pct(hi["share_right"]),
           "met": None if hi["share_right"] is None else hi["share_right"] >= CALIBRATION_GOAL},
          {"goal": "extraction / OCR time", "target": "< %.0f%%" % (100 * EXTRACT_GOAL),
           "value": ext_share, "shown": pct(ext_share),
           "met": None if ext_share is None else ext_share < EXTRACT_GOAL}]
    print_goals(gl, 34)

    notes = []
    for f in files:
        if f["error"]:
            notes.append("failed: %s: %s (its fields count as null)" % (f["file"], f["error"]))
    multi = [f for f in files if len(f["parts"]) > 1 or f["extra_parts"]]
    flat = [f for f in multi if f["result_parts"] is None and not f["error"]]
    if flat:
        notes.append("%d multi-part file(s) without parts[] in the result: their top-level fields "
                     "were compared with part 1, the other parts count as all null" % len(flat))
    if extra:
        notes.append("%d result part(s) beyond the truth's parts: their values count as wrong"
                     % len(extra))
    if not corpus:
        notes.append("samples/corpus/truth.jsonl not found: no row group for the corpus documents")
    if not ms:
        notes.append("n/a: sohoa's ocr.pages[].ms has no extract")
    print()
    for n in notes:
        print("note: " + n)
    secs = sum(f["seconds"] for f in files)
    print("time: %.0f s wall for %d pages (%.2f pages/s with %d jobs); sohoa runs %.0f s in all"
          % (wall, npages, npages / wall if wall else 0, a.jobs, secs))
    if ms:
        print("per page: extraction %.1f ms, OCR %.0f ms" % (timing["extract_ms"], timing["ocr_ms"]))

    report = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sohoa": sohoa, "set": os.path.abspath(a.set), "jobs": a.jobs,
        "wall_seconds": round(wall, 1),
        "conventions": {
            "compare": "values compared after NFC and white-space folding; null, \"\" and a "
                       "missing key are null",
            "precision": "of the non-null values sohoa gave, the share equal to the truth",
            "recall": "of the non-null truth values, the share sohoa gave exactly",
            "exact": "share of parts whose value, null or not, equals the truth",
            "parts": "result parts[] are compared with truth parts by order; without parts[], "
                     "the top-level fields stand for part 1 and the other parts count as null",
            "dossier_code": "on the later parts of a dossier the truth is null; the dossier's "
                            "code propagated there counts as right too",
            "review": "per file: the result's review against the truth's review",
            "calibration": "non-null values sohoa gave, by confidence[field] (missing = 0)",
        },
        "goals": gl, "fields": tables, "kind": kinds, "review": review,
        "calibration": calib, "time": timing, "notes": notes,
        "files": [slim(f) for f in files],
    }
    with open(os.path.join(a.set, "report.json"), "w", encoding="utf-8") as fh:
        json.dump(report, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print("report: %s" % shown(os.path.join(a.set, "report.json")))
    fatal = [f for f, r in zip(files, runs) if r.get("fatal")]
    if all(f["error"] for f in files):
        fatal = files            # rejected everything: sohoa itself does not work
    if fatal:
        print("fields: sohoa did not run on %d file(s): %s" % (
            len(fatal), "; ".join("%s: %s" % (f["file"], f["error"]) for f in fatal[:5])),
            file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
