"""The committed small set and the random set: which parts, formats and scan settings."""

import random
import sys

from .content import corpus_document, invented_document, receipt
from .corpus import corpus_by_slug
from .render import make_sample
from .vocab import PROVINCES, ascii_slug


def warm_paper(rng):
    """Off-white paper: R >= G >= B, slightly yellow."""
    r = rng.randrange(244, 254)
    g = r - rng.randrange(0, 5)
    return (r, g, g - rng.randrange(4, 14))


def invented_one(rng, corpus):
    """One invented one-page document and its file stem (slug and type)."""
    part = invented_document(rng, corpus, 1)
    t = part["type"]
    return [part], "%s-%s" % (part["slug"], ascii_slug(t) if t else "congvan")


def base_spec(rng, fmt, dpi, colour, clean=False):
    skew = rng.uniform(0.3, 0.6) if clean else rng.uniform(0.3, 3.0)
    skew *= rng.choice([-1, 1])
    return {
        "fmt": fmt, "dpi": dpi, "colour": colour, "skew": skew,
        "blur": rng.uniform(0.3, 0.5) if clean else rng.uniform(0.4, 1.1),
        "grain": 0.0 if clean else rng.choice([0.0, 2.0, 4.0, 6.0]),
        "speckle": rng.uniform(2e-6, 6e-6) if clean else rng.uniform(5e-6, 4e-5),
        "threshold": rng.randrange(135, 165),
        "paper": warm_paper(rng),
        "paper_grey": rng.randrange(238, 252),
        "shade": 0.0 if clean else rng.choice([0.0, 0.0, 0.03, 0.06]),
        "seal": False, "signature": False, "quality": rng.choice([70, 80, 88]),
        "palette_colors": 32,
    }


def small_set(outdir, corpus, seed):
    """The committed set: every format once, < 5 MB in all (see samples/README.md)."""
    rng = random.Random(seed)
    recs = []
    prov = {p[0]: p for p in PROVINCES}
    order = ["hungyen-2684", "gialai-949", "dongnai-5755"]

    # 1-3: the three corpus documents, clean single-page G4 at 300 dpi
    for slug in order:
        part = corpus_document(corpus_by_slug(corpus, slug), rng, pages=1)
        part["body_pt"] = 13
        spec = base_spec(rng, "g4", 300, "bilevel", clean=True)
        spec["threshold"] = 150
        recs.append(make_sample(outdir, "%s-300dpi-g4" % slug, [part], spec, rng))

    # 4: receipt on A5 (NĐ 30 allows A5 for receipts), 200 dpi greyscale PGM
    part = receipt(rng, prov["Hưng Yên"], small=True)
    spec = base_spec(rng, "pgm", 200, "grey", clean=True)
    spec.update(signature=True, skew=0.7)
    recs.append(make_sample(outdir, "receipt-a5-hungyen-200dpi-grey", [part], spec, rng))

    # 5: công văn, colour JPEG at 200 dpi, red seal and blue signature
    part = invented_document(rng, corpus, 1, None, prov["Kon Tum"])
    spec = base_spec(rng, "jpeg", 200, "colour")
    spec.update(seal=True, signature=True, grain=2.0, skew=1.4, blur=0.6, quality=75, shade=0.03)
    recs.append(make_sample(outdir, "kontum-congvan-200dpi-colour", [part], spec, rng))

    # 6: THÔNG BÁO, JPEG-in-TIFF (YCbCr), colour 200 dpi, seal
    part = invented_document(rng, corpus, 1, "THÔNG BÁO", prov["Nghệ An"])
    spec = base_spec(rng, "jpeg-tiff", 200, "colour")
    spec.update(seal=True, signature=True, grain=0.0, skew=-0.8, blur=0.5, quality=75, shade=0.0)
    recs.append(make_sample(outdir, "nghean-thongbao-200dpi-jpegtiff", [part], spec, rng))

    # 7: BÁO CÁO, 16-bit greyscale TIFF (Deflate), 200 dpi, the largest skew of the set
    part = invented_document(rng, corpus, 1, "BÁO CÁO", prov["Quảng Ninh"])
    spec = base_spec(rng, "grey16", 200, "grey")
    spec.update(grain=0.0, skew=2.6, blur=0.6, shade=0.0, signature=True)
    recs.append(make_sample(outdir, "quangninh-baocao-200dpi-grey16", [part], spec, rng))

    # 8: QUYẾT ĐỊNH, colour scan reduced to a 24-colour palette, LZW TIFF, 200 dpi, seal
    part = invented_document(rng, corpus, 1, "QUYẾT ĐỊNH", prov["Thanh Hóa"])
    spec = base_spec(rng, "palette-tiff", 200, "colour")
    spec.update(seal=True, signature=True, grain=0.0, skew=-1.9, blur=0.5, shade=0.0,
                palette_colors=24)
    recs.append(make_sample(outdir, "thanhhoa-quyetdinh-200dpi-palette-lzw", [part], spec, rng))

    # 9: KẾ HOẠCH, bilevel PNG at 300 dpi (a "black and white" scan saved as PNG)
    part = invented_document(rng, corpus, 1, "KẾ HOẠCH", prov["Lâm Đồng"])
    spec = base_spec(rng, "png", 300, "bilevel")
    spec.update(grain=0.0, skew=-0.9, blur=0.7, shade=0.0, signature=True, threshold=145)
    recs.append(make_sample(outdir, "lamdong-kehoach-300dpi-bilevel", [part], spec, rng))

    # 10: one dossier: receipt + the 2-page decision of Hưng Yên, multi-page G4 TIFF
    rc = receipt(rng, prov["Hưng Yên"])
    doc = corpus_document(corpus_by_slug(corpus, "hungyen-2684"), rng, pages=2)
    doc["body_pt"] = 13
    spec = base_spec(rng, "multipage-g4", 300, "bilevel", clean=True)
    spec.update(skew=1.1, signature=True, threshold=150)
    recs.append(make_sample(outdir, "dossier-hungyen-300dpi-g4-3pages", [rc, doc], spec, rng))
    return recs


RANDOM_FORMATS = ["g4", "lzw", "jpeg-tiff", "grey16", "palette", "png", "jpeg", "pgm",
                  "multipage-g4", "palette-tiff", "multipage-lzw"]


def random_set(outdir, corpus, seed, count):
    rng = random.Random(seed)
    recs = []
    for i in range(count):
        fmt = RANDOM_FORMATS[i % len(RANDOM_FORMATS)]
        dpi = rng.choice([200, 300])
        colour = {
            "g4": "bilevel", "multipage-g4": "bilevel", "grey16": "grey", "pgm": "grey",
            "palette": "colour", "palette-tiff": "colour",
            "lzw": rng.choice(["grey", "bilevel", "colour"]),
            "multipage-lzw": rng.choice(["grey", "bilevel"]),
            "jpeg-tiff": rng.choice(["colour", "grey"]), "png": rng.choice(["grey", "colour"]),
            "jpeg": rng.choice(["colour", "colour", "grey"]),
        }[fmt]
        spec = base_spec(rng, fmt, dpi, colour, clean=rng.random() < 0.25)
        if fmt not in ("jpeg", "jpeg-tiff", "pgm") and colour != "bilevel":
            # paper grain makes lossless files balloon (10-20 MB a page): none there
            spec["grain"] = 0.0
            spec["shade"] = 0.0
        spec["seal"] = colour == "colour" and rng.random() < 0.8
        spec["signature"] = rng.random() < 0.7
        if fmt.startswith("multipage"):
            if rng.random() < 0.5:
                province = rng.choice(PROVINCES)
                parts = [receipt(rng, province), invented_document(rng, corpus, rng.choice([1, 2]),
                                                                    province=province)]
                stem = "dossier-%s" % ascii_slug(province[0])
            else:
                n = rng.choice([2, 3])
                if rng.random() < 0.3:
                    parts = [corpus_document(rng.choice(corpus), rng, pages=n)]
                else:
                    parts = [invented_document(rng, corpus, n)]
                stem = parts[0]["slug"]
        elif rng.random() < 0.3:
            parts = [receipt(rng, small=(fmt == "pgm" or rng.random() < 0.2))]
            stem = "receipt-" + ascii_slug(parts[0]["place"])
        elif rng.random() < 0.25:
            parts = [corpus_document(rng.choice(corpus), rng)]
            stem = parts[0]["slug"]
        else:
            parts, stem = invented_one(rng, corpus)
        name = "%03d-%s-%ddpi-%s" % (i + 1, stem, dpi, fmt)
        recs.append(make_sample(outdir, name, parts, spec, rng))
        print("  %s" % recs[-1]["file"], file=sys.stderr)
    return recs
