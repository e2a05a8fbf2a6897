#!/usr/bin/python3
"""Scan-sample generator for sohoa.

Renders Vietnamese administrative documents (Nghị định 30/2020 layout) and one-stop
dossier receipts ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", with a QR code) into
scan-like raster files, and writes the ground truth as DIR/truth.jsonl.

    /usr/bin/python3 samples/generate.py --out DIR [--count N] [--seed S] [--corpus DIR]
                                         [--small | --eval | --fields | --fields-small | --bench]

--small writes the fixed, committed sample set (about ten files, < 5 MB) instead of
--count random ones.  --eval writes the preprocessing eval set (make eval; see
eval/README.md): rotations, large skew, blank backs, separator sheets, stamps, yellowed
paper, punch holes, black borders, faxes and image-only PDFs.  --fields writes the
field-extraction set (eval/fields.py; --count files, default 180, over 200 pages; --jobs
processes) and --fields-small the committed samples/fields/: documents, receipts whose QR and
printed code may disagree, citizens' forms (some with an invalid tax code) and dossiers.
--bench writes the peer-benchmark set (bench/peers.py; --count one-page files, default 60,
--jobs processes): TIFF/JPEG/PNG at 200 and 300 dpi, some skewed, some turned 90 or 180.
Output is deterministic for a given seed.

Runs with Debian's python3 and only python3-pil, python3-qrcode, python3-numpy and
fonts-liberation2 (1.x has no Vietnamese glyphs).  Body text comes from the corpus in samples/corpus
(truth.jsonl + three .txt files); see samples/README.md.  The code is in samples/gen/.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gen.corpus import find_corpus, load_corpus  # noqa: E402
from gen.layout import check_fonts  # noqa: E402
from gen.evalset import eval_set  # noqa: E402
from gen.benchset import bench_set  # noqa: E402
from gen.fieldset import fields_set, fields_small  # noqa: E402
from gen.sets import random_set, small_set  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--count", type=int,
                    help="number of files of the random set (20), of --fields (180) or --bench (60)")
    ap.add_argument("--seed", type=int, default=2684, help="random seed (deterministic output)")
    ap.add_argument("--small", action="store_true", help="write the fixed committed sample set")
    ap.add_argument("--eval", action="store_true", help="write the eval set (make eval)")
    ap.add_argument("--fields", action="store_true",
                    help="write the field-extraction set (eval/fields.py)")
    ap.add_argument("--fields-small", action="store_true",
                    help="write the committed field samples (samples/fields)")
    ap.add_argument("--bench", action="store_true",
                    help="write the peer-benchmark set (bench/peers.py)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="processes rendering the --fields or --bench set (the output does not "
                         "depend on it)")
    ap.add_argument("--corpus", help="corpus directory (truth.jsonl + .txt files)")
    a = ap.parse_args()
    if sum(map(bool, (a.small, a.eval, a.fields, a.fields_small, a.bench))) > 1:
        ap.error("--small, --eval, --fields, --fields-small and --bench are different sets: "
                 "give one")
    check_fonts()
    corpus = load_corpus(find_corpus(a.corpus))
    os.makedirs(a.out, exist_ok=True)
    if a.small:
        recs = small_set(a.out, corpus, a.seed)
    elif a.eval:
        recs = eval_set(a.out, corpus, a.seed)
    elif a.fields:
        recs = fields_set(a.out, corpus, a.seed, 180 if a.count is None else a.count, a.jobs)
    elif a.fields_small:
        recs = fields_small(a.out, corpus, a.seed)
    elif a.bench:
        recs = bench_set(a.out, corpus, a.seed, 60 if a.count is None else a.count, a.jobs)
    else:
        recs = random_set(a.out, corpus, a.seed, 20 if a.count is None else a.count)
    with open(os.path.join(a.out, "truth.jsonl"), "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("wrote %d files (%d pages) and truth.jsonl to %s"
          % (len(recs), sum(r["pages"] for r in recs), a.out), file=sys.stderr)


if __name__ == "__main__":
    main()
