"""The peer-benchmark set (generate.py --bench, bench/peers.py): one-page scans as a counter
makes them, in the formats scanners write (TIFF G4/LZW/JPEG, JPEG, PNG) at 200 and 300 dpi,
with the usual small skew, some pages skewed more and some turned 90 or 180 degrees. Every
file depends only on the seed and its number, so --jobs does not change the output."""

import random

from .content import corpus_document, receipt
from .render import make_sample, render_all
from .sets import base_spec, invented_one
from .vocab import ascii_slug

# (format, colours) in turn: 3 of 8 TIFF, 3 JPEG, 2 PNG.
FORMATS = [("g4", ["bilevel"]), ("jpeg", ["colour", "grey"]), ("png", ["grey", "bilevel"]),
           ("lzw", ["grey", "bilevel"]), ("jpeg", ["colour"]), ("jpeg-tiff", ["colour", "grey"]),
           ("png", ["colour", "grey"]), ("jpeg", ["grey", "colour"])]

_CTX = {}


def _init(outdir, corpus, seed):
    _CTX["out"], _CTX["corpus"], _CTX["seed"] = outdir, corpus, seed


def plan(count):
    """Page i: format and dpi in turn; of every ten, one skewed 4-6 degrees, one turned 90
    and one 180 degrees; one in four a receipt."""
    jobs = []
    for i in range(count):
        fmt, colours = FORMATS[i % len(FORMATS)]
        jobs.append({"i": i, "fmt": fmt, "colours": colours, "dpi": 200 if i % 3 == 2 else 300,
                     "rotation": {4: 90, 7: 180}.get(i % 10, 0), "big_skew": i % 10 == 1,
                     "receipt": i % 4 == 3})
    return jobs


def build(job):
    rng = random.Random("bench-%d-%d" % (_CTX["seed"], job["i"]))
    corpus = _CTX["corpus"]
    if job["receipt"]:
        parts = [receipt(rng)]
        stem = "receipt-" + ascii_slug(parts[0]["place"])
    elif rng.random() < 0.2:
        parts = [corpus_document(rng.choice(corpus), rng)]
        stem = parts[0]["slug"]
    else:
        parts, stem = invented_one(rng, corpus)
    colour = rng.choice(job["colours"])
    spec = base_spec(rng, job["fmt"], job["dpi"], colour, clean=rng.random() < 0.25)
    if job["fmt"] not in ("jpeg", "jpeg-tiff") or colour == "bilevel":
        spec["grain"] = 0.0                # grain makes lossless files balloon
        spec["shade"] = 0.0
    spec["seal"] = colour == "colour" and rng.random() < 0.8
    spec["signature"] = rng.random() < 0.7
    tag = ""
    if job["big_skew"]:
        spec["skew"] = rng.choice([-1, 1]) * rng.uniform(4.0, 6.0)
        spec["skew_expand"] = True
        tag = "-skew"
    if job["rotation"]:
        spec["rotation"] = job["rotation"]
        tag = "-rot%d" % job["rotation"]
    name = "%03d-%s-%ddpi-%s%s" % (job["i"] + 1, stem, job["dpi"], job["fmt"], tag)
    return make_sample(_CTX["out"], name, parts, spec, rng)


def bench_set(outdir, corpus, seed, count, jobs):
    return render_all(build, plan(count), jobs, _init, (outdir, corpus, seed))
