"""The eval set (generate.py --eval): every scan degradation the preprocessing must handle,
each at least three times, at 200 and 300 dpi (and 150 dpi for faxes). See eval/README.md."""

import random
import sys

from .content import corpus_document, invented_document, receipt
from .corpus import corpus_by_slug
from .render import make_sample
from .sets import base_spec
from .vocab import ascii_slug

# (degradation, dpi, format, colour, content). Content: "doc" (invented, 1 page), "doc2"
# (invented, 2 pages), "receipt" (A4), "corpus:<slug>", or parts joined by "+" (one file).
PLAN = [
    ("clean", 300, "g4", "bilevel", "corpus:hungyen-2684"),
    ("clean", 200, "png", "grey", "receipt"),
    ("clean", 300, "jpeg", "colour", "doc"),
    ("rot90", 300, "g4", "bilevel", "corpus:gialai-949"),
    ("rot90", 200, "jpeg", "colour", "doc"),
    ("rot90", 300, "lzw", "grey", "receipt"),
    ("rot180", 200, "png", "grey", "doc"),
    ("rot180", 300, "g4", "bilevel", "doc"),
    ("rot180", 200, "jpeg", "colour", "receipt"),
    ("rot270", 300, "jpeg-tiff", "colour", "doc"),
    ("rot270", 200, "g4", "bilevel", "corpus:dongnai-5755"),
    ("rot270", 300, "png", "grey", "doc"),
    ("skew", 300, "g4", "bilevel", "doc"),
    ("skew", 200, "jpeg", "colour", "doc"),
    ("skew", 300, "lzw", "grey", "receipt"),
    ("duplex-blank", 300, "multipage-lzw", "grey", "doc"),
    ("duplex-blank", 200, "jpeg-tiff", "colour", "doc2"),
    ("separator", 200, "jpeg-tiff", "colour", "doc+receipt+doc"),
    ("separator", 300, "multipage-lzw", "grey", "receipt+doc"),
    ("seal", 200, "jpeg", "colour", "doc"),
    ("seal", 200, "jpeg", "colour", "doc"),
    ("seal", 200, "jpeg", "colour", "doc"),
    ("yellowed", 200, "jpeg", "colour", "doc"),
    ("yellowed", 300, "jpeg", "colour", "receipt"),
    ("yellowed", 300, "png", "grey", "doc"),
    ("punch-holes", 300, "g4", "bilevel", "doc"),
    ("punch-holes", 200, "png", "grey", "doc"),
    ("punch-holes", 300, "jpeg", "colour", "receipt"),
    ("borders", 300, "g4", "bilevel", "doc"),
    ("borders", 200, "lzw", "grey", "receipt"),
    ("borders", 300, "jpeg", "colour", "doc"),
    ("fax", 150, "fax-g3", "bilevel", "doc"),
    ("fax", 150, "fax-g3", "bilevel", "receipt"),
    ("fax", 150, "fax-g3", "bilevel", "doc"),
    ("pdf", 300, "pdf", "bilevel", "doc"),
    ("pdf", 200, "pdf", "colour", "doc2"),
]

# |skew| of the three "skew" files, one from each band (up to 8 degrees); signs +, -, random
SKEW_BANDS = [(6.5, 8.0), (3.5, 6.0), (1.5, 3.5)]


def make_parts(content, rng, corpus):
    parts = []
    for c in content.split("+"):
        if c.startswith("corpus:"):
            parts.append(corpus_document(corpus_by_slug(corpus, c[7:]), rng, pages=1))
        elif c == "receipt":
            parts.append(receipt(rng))
        else:
            parts.append(invented_document(rng, corpus, 2 if c == "doc2" else 1))
    p = parts[0]
    if p["kind"] == "receipt":
        stem = "receipt-" + ascii_slug(p["place"])
    elif content.startswith("corpus:"):
        stem = p["slug"]
    else:
        stem = "%s-%s" % (p["slug"], ascii_slug(p["type"]) if p["type"] else "congvan")
    return parts, stem


def eval_spec(rng, deg, fmt, dpi, colour, nth):
    """The scan settings of one file: a mild scan, plus its one degradation."""
    s = base_spec(rng, fmt, dpi, colour, clean=(deg == "clean"))
    if deg != "clean":
        s["skew"] = rng.choice([-1, 1]) * rng.uniform(0.2, 1.0)
        s["blur"] = rng.uniform(0.4, 0.8)
    if fmt not in ("jpeg", "jpeg-tiff", "pdf") or colour == "bilevel":
        s["grain"] = 0.0                   # grain makes lossless files balloon
        s["shade"] = 0.0
    s["signature"] = rng.random() < 0.8
    s["degradations"] = [deg]
    if deg.startswith("rot"):
        s["rotation"] = int(deg[3:])
    elif deg == "skew":
        lo, hi = SKEW_BANDS[nth]
        sign = [1, -1, rng.choice([-1, 1])][nth]
        s["skew"] = sign * rng.uniform(lo, hi)
        s["skew_expand"] = True            # the corners stay on the scan
    elif deg == "duplex-blank":
        s["duplex"] = True
    elif deg == "separator":
        s["separator"] = True
    elif deg == "seal":
        s.update(seal=True, signature=True, quality=rng.choice([70, 80]))
    elif deg == "yellowed":
        s["yellowed"] = True
        r = rng.randrange(226, 238)
        g = r - rng.randrange(8, 16)
        s["paper"] = (r, g, g - rng.randrange(28, 45))
        s["ink_rgb"] = (62, 52, 44)        # faded ink
        s["paper_grey"] = rng.randrange(196, 210)
        s["ink_grey"] = 45.0
    elif deg == "punch-holes":
        s["punch"] = True
    elif deg == "borders":
        s.update(borders=True, skew_expand=True, skew_fill=rng.randrange(10, 36))
        s["skew"] = rng.choice([-1, 1]) * rng.uniform(0.5, 2.0)
    elif deg == "fax":
        s.update(fax=True, blur=rng.uniform(0.6, 1.0), threshold=rng.randrange(140, 160))
    return s


def eval_set(outdir, corpus, seed):
    rng = random.Random(seed)
    recs, seen = [], {}
    for i, (deg, dpi, fmt, colour, content) in enumerate(PLAN):
        nth = seen.get(deg, 0)
        seen[deg] = nth + 1
        parts, stem = make_parts(content, rng, corpus)
        spec = eval_spec(rng, deg, fmt, dpi, colour, nth)
        name = "%02d-%s-%s-%ddpi-%s" % (i + 1, deg, stem, dpi, fmt)
        recs.append(make_sample(outdir, name, parts, spec, rng))
        print("  %s" % recs[-1]["file"], file=sys.stderr)
    return recs
