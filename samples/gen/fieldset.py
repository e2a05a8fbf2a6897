"""The field-extraction sets: --fields (eval/fields.py, make eval) and --fields-small (the
committed samples/fields/). Documents, receipts (some whose QR and printed "Mã hồ sơ:"
disagree), forms (some with an invalid tax code) and dossiers, on mild scans. The truth has
every field of the result object plus "address", and a "review" per part and per file."""

import datetime as dt
import random

from .content import corpus_document, invented_document, receipt
from .corpus import corpus_by_slug
from .forms import FORM_OF_PROCEDURE, FORM_TYPES, PROC, form
from .render import make_sample, render_all
from .sets import base_spec
from .vocab import PROVINCES, ascii_slug, mst_valid, vn_date

# Invented document types, weighted: công văn (None) most, then the usual types.
DOC_MIX = ([None] * 5 + ["QUYẾT ĐỊNH"] * 3 + ["KẾ HOẠCH"] * 2 + ["THÔNG BÁO"] * 2
           + ["BÁO CÁO"] * 2 + ["TỜ TRÌNH", "CHỈ THỊ", "HƯỚNG DẪN", "CHƯƠNG TRÌNH", "GIẤY MỜI",
                                "PHƯƠNG ÁN"])
CORPUS_SLUGS = ["hungyen-2684", "gialai-949", "dongnai-5755"]

# (weight, format, dpi, colour) of one-page files and of multi-page files
SINGLE = [(26, "g4", 300, "bilevel"), (6, "g4", 200, "bilevel"), (12, "png", 200, "grey"),
          (4, "png", 300, "bilevel"), (5, "png", 200, "colour"), (12, "jpeg", 300, "colour"),
          (10, "jpeg", 200, "colour"), (6, "jpeg", 200, "grey"), (6, "lzw", 300, "grey"),
          (5, "lzw", 200, "bilevel"), (6, "jpeg-tiff", 200, "colour"), (2, "jpeg-tiff", 300, "grey")]
MULTI = [(10, "multipage-g4", 300, "bilevel"), (3, "multipage-g4", 200, "bilevel"),
         (4, "multipage-lzw", 200, "grey"), (5, "jpeg-tiff", 200, "colour")]


def _pick(rng, table):
    r = rng.uniform(0, sum(t[0] for t in table))
    for t in table:
        r -= t[0]
        if r <= 0:
            return t[1:]
    return table[-1][1:]


def field_spec(rng, fmt, dpi, colour):
    """A mild scan: skew up to 2 degrees, light blur and dust, stamps on colour pages."""
    s = base_spec(rng, fmt, dpi, colour, clean=rng.random() < 0.3)
    s["skew"] = rng.choice([-1, 1]) * rng.uniform(0.1, 2.0)
    s["blur"] = rng.uniform(0.3, 0.8)
    s["speckle"] = rng.uniform(2e-6, 1.5e-5)
    s["quality"] = rng.choice([80, 85, 88])
    s["threshold"] = rng.randrange(140, 158)
    if fmt not in ("jpeg", "jpeg-tiff") or colour == "bilevel":
        s["grain"] = 0.0                      # grain makes lossless files balloon
        s["shade"] = 0.0
    else:
        s["grain"] = min(s["grain"], 3.0)
    s["seal"] = colour == "colour" and rng.random() < 0.85
    s["signature"] = rng.random() < 0.85
    s["field_truth"] = True                   # full field keys, review; zeroed TIFF gaps
    return s


def plan(rng, count):
    """What each file holds: about 45% documents, 25% receipts, 20% forms, 10% dossiers."""
    n_dos, n_form, n_rec = round(0.10 * count), round(0.20 * count), round(0.25 * count)
    n_doc = count - n_dos - n_form - n_rec
    kinds = ["document"] * n_doc + ["receipt"] * n_rec + ["form"] * n_form + ["dossier"] * n_dos
    rng.shuffle(kinds)
    n_corpus = max(3, 3 * round(n_doc * 0.12 / 3)) if n_doc >= 6 else min(n_doc, 1)
    docs = [("corpus", CORPUS_SLUGS[k % 3]) for k in range(n_corpus)]
    mix = []
    while len(docs) + len(mix) < n_doc:
        m = list(DOC_MIX)
        rng.shuffle(m)
        mix += m
    docs += [("invented", t) for t in mix[:n_doc - len(docs)]]
    rng.shuffle(docs)
    n_typo = max(1, round(0.05 * count)) if n_rec + n_dos else 0
    typo_dos = 1 if n_dos >= 4 else 0
    recs = [k < n_typo - typo_dos for k in range(n_rec)]
    rng.shuffle(recs)
    keys = []
    while len(keys) < n_form:
        m = list(FORM_TYPES)
        rng.shuffle(m)
        keys += m
    keys = keys[:n_form]
    # ~10% of all forms (those of the dossiers too) carry an invalid tax code; only the
    # one-page forms that may have a tax code get one
    can = [i for i, k in enumerate(keys) if FORM_TYPES[k][4]]
    n_bad = max(1, round(0.10 * (n_form + n_dos * 2 / 3)))
    bad = set(rng.sample(can, min(len(can), n_bad))) if can else set()
    forms = [(k, "invalid" if i in bad else "auto") for i, k in enumerate(keys)]
    shapes = ["form", "doc", "form+doc"]
    dossiers = [(shapes[k % 3], k < typo_dos) for k in range(n_dos)]
    rng.shuffle(dossiers)
    jobs = []
    for i, kind in enumerate(kinds):
        job = {"i": i, "kind": kind, "seed": rng.randrange(1 << 30)}
        if kind == "document":
            job["doc"] = docs.pop()
            job["pages"] = 2 if rng.random() < 0.15 else 1
        elif kind == "receipt":
            job["typo"] = recs.pop()
            job["a5"] = rng.random() < 0.2
        elif kind == "form":
            job["form"] = forms.pop()
        else:
            job["shape"], job["typo"] = dossiers.pop()
        multi = kind == "dossier" or job.get("pages") == 2
        job["fmt"], job["dpi"], job["colour"] = _pick(rng, MULTI if multi else SINGLE)
        jobs.append(job)
    return jobs


def who_of(rc):
    """The receipt's applicant, as forms.applicant() gives one."""
    return {"name": rc["applicant"], "gender": rc["gender"], "birth": rc["birth"],
            "cccd": rc["citizen_id"], "address": rc["address"], "phone": rc["phone"]}


def dossier_parts(rng, corpus, shape, typo, province=None, form_key=None, doc_type="random"):
    """A receipt, then the form of its procedure and/or a document of the same province."""
    province = province or rng.choice(PROVINCES)
    proc = None
    if "form" in shape:
        form_key = form_key or rng.choice(sorted(FORM_OF_PROCEDURE.values()))
        proc = PROC[FORM_TYPES[form_key][2]]
    rc = receipt(rng, province, proc=proc, typo=typo)
    parts = [rc]
    if "form" in shape:
        day = dt.date.fromisoformat(rc["received"])
        back = rng.choice([0, 0, 1, 3])
        day -= dt.timedelta(days=back)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        parts.append(form(rng, form_key, province, who_of(rc), day))
    if "doc" in shape:
        if doc_type == "random":
            doc_type = rng.choice(["QUYẾT ĐỊNH", "QUYẾT ĐỊNH", "THÔNG BÁO", None])
        doc = invented_document(rng, corpus, 1, doc_type, province)
        # the dossier's result: dated on the appointment day (districts end on 1 July 2025)
        day = min(dt.date.fromisoformat(rc["due"]), dt.date(2025, 6, 30))
        doc.update(date=day.isoformat(), date_line=vn_date(doc["place"], day))
        parts.append(doc)
    return parts


def doc_stem(p):
    if p.get("source") and p["slug"] in CORPUS_SLUGS:
        return p["slug"]
    return "%s-%s" % (p["slug"], ascii_slug(p["type"]) if p["type"] else "congvan")


def check_parts(parts):
    """Tax codes as standards.md §3: the valid ones pass, the invalid ones fail."""
    for p in parts:
        if p["kind"] == "form" and p["tax_printed"]:
            assert mst_valid(p["tax_printed"]) == (p["tax_code"] is not None), p["tax_printed"]
            assert p["review"] == (p["tax_code"] is None)
        if p["kind"] == "receipt":
            assert p["review"] == (p["printed_code"] != p["dossier_code"])


_CTX = {}


def _init(outdir, corpus):
    _CTX["out"], _CTX["corpus"] = outdir, corpus


def build(job):
    """One file of the --fields set, from its own seed: the same whatever the job order."""
    rng = random.Random(job["seed"])
    corpus = _CTX["corpus"]
    kind = job["kind"]
    if kind == "document":
        src, what = job["doc"]
        if src == "corpus":
            parts = [corpus_document(corpus_by_slug(corpus, what), rng, pages=job["pages"])]
        else:
            parts = [invented_document(rng, corpus, job["pages"], what)]
        stem = doc_stem(parts[0])
    elif kind == "receipt":
        parts = [receipt(rng, small=job["a5"], typo=job["typo"])]
        stem = "receipt-" + ascii_slug(parts[0]["place"])
    elif kind == "form":
        key, mst = job["form"]
        parts = [form(rng, key, mst=mst)]
        stem = parts[0]["stem"]
    else:
        parts = dossier_parts(rng, corpus, job["shape"], job["typo"])
        stem = "dossier-" + ascii_slug(parts[0]["province"][0])
    check_parts(parts)
    spec = field_spec(rng, job["fmt"], job["dpi"], job["colour"])
    name = "%03d-%s-%ddpi-%s" % (job["i"] + 1, stem, job["dpi"], job["fmt"])
    return make_sample(_CTX["out"], name, parts, spec, rng)


def fields_set(outdir, corpus, seed, count, jobs):
    """The --fields set: count files (the default 180 make 210-215 pages), rendered by
    `jobs` processes; each file depends only on the seed."""
    return render_all(build, plan(random.Random(seed), count), jobs, _init, (outdir, corpus))


def fields_small(outdir, corpus, seed):
    """The committed samples/fields/: seven files, each a case the extractor must get right."""
    rng = random.Random(seed)
    _init(outdir, corpus)
    prov = {p[0]: p for p in PROVINCES}
    recs = []

    def one(name, parts, fmt, dpi, colour, **kw):
        check_parts(parts)
        spec = field_spec(rng, fmt, dpi, colour)
        spec.update(kw)
        recs.append(make_sample(outdir, name, parts, spec, rng))

    # 1: TỜ KHAI ĐĂNG KÝ THUẾ with a valid tax code: G4, 300 dpi
    one("form-thue-mst-valid-300dpi-g4",
        [form(rng, "thue", prov["Hưng Yên"], mst="valid")], "g4", 300, "bilevel", skew=0.6)
    # 2: ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP KINH DOANH with an invalid tax code (bad check digit)
    one("form-kinhdoanh-mst-invalid-200dpi-grey",
        [form(rng, "kinhdoanh", prov["Nghệ An"], mst="invalid")], "png", 200, "grey", skew=-1.1)
    # 3: ĐƠN ĐỀ NGHỊ: names no procedure, no tax code
    one("form-denghi-200dpi-grey", [form(rng, "denghi", prov["Quảng Nam"], mst=None)],
        "png", 200, "grey", skew=0.8)
    # 4: receipt whose printed "Mã hồ sơ:" differs from the QR's code by one digit
    one("receipt-qr-typo-300dpi-g4", [receipt(rng, prov["Thái Bình"], typo=True)],
        "g4", 300, "bilevel", skew=-0.7)
    # 5: receipt whose QR and printed code agree
    one("receipt-qr-agrees-200dpi-grey", [receipt(rng, prov["Gia Lai"])], "png", 200, "grey",
        skew=1.3)
    # 6: công văn (V/v, Kính gửi, no type line)
    one("congvan-300dpi-g4", [invented_document(rng, corpus, 1, None, prov["Bắc Ninh"])],
        "g4", 300, "bilevel", skew=-0.4)
    # 7: dossier: receipt, the form of its procedure, a decision of the same province
    one("dossier-receipt-form-quyetdinh-300dpi-g4-3pages",
        dossier_parts(rng, corpus, "form+doc", False, prov["Long An"], "khaisinh", "QUYẾT ĐỊNH"),
        "multipage-g4", 300, "bilevel", skew=0.9)
    return recs
