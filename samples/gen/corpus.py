"""Loading the shared corpus: the three real documents' header fields and body paragraphs."""

import json
import os
import re
import sys

from .vocab import nfc

SAMPLES_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Where each real document's body starts and ends, plus what its source shows of the
# signature block and recipients.  Header fields come from the corpus truth.jsonl.
CORPUS_LAYOUT = {
    "hungyen-2684-QD-UBND-2023.txt": {
        "slug": "hungyen-2684",
        "body_start": r"^ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN$",
        "body_end": r"^Nơi nhận:",
        "single_page_skip": [r"^Căn cứ các "],
        "signer_prefix": ["TM. ỦY BAN NHÂN DÂN"],
        "signer_role": "CHỦ TỊCH",
        "noi_nhan_from_text": True,
    },
    "gialai-949-KH-UBND-2025.txt": {
        "slug": "gialai-949",
        "body_start": r"^Thực hiện Nghị quyết số 66/NQ-CP",
        "body_end": r"^TM\. ỦY BAN",
        "single_page_skip": [],
        "signer_prefix": ["TM. ỦY BAN NHÂN DÂN"],   # as in the source; it names no signer
        "signer_role": None,
        "noi_nhan_from_text": False,
    },
    "dongnai-5755-KH-UBND-2021.txt": {
        "slug": "dongnai-5755",
        "body_start": r"^Thực hiện Quyết định số 468/QĐ-TTg",
        "body_end": None,
        "single_page_skip": [],
        "signer_prefix": ["TM. ỦY BAN NHÂN DÂN"],   # the source has no signature block
        "signer_role": None,
        "noi_nhan_from_text": False,
    },
}


def find_corpus(explicit):
    cands = [explicit, os.environ.get("SOHOA_CORPUS"), os.path.join(SAMPLES_DIR, "corpus")]
    for c in cands:
        if c and os.path.isfile(os.path.join(c, "truth.jsonl")):
            return c
    sys.exit("generate.py: corpus not found (give --corpus DIR or set SOHOA_CORPUS; "
             "it needs truth.jsonl and the three .txt files)")


def clean_line(s):
    s = nfc(s).replace("\xa0", " ").replace("\t", " ")
    s = re.sub(r"\s*\|\s*$", "", s.strip())
    return re.sub(r"\s+", " ", s).strip()


def load_corpus(cdir):
    docs = []
    with open(os.path.join(cdir, "truth.jsonl"), encoding="utf-8") as fh:
        truths = [json.loads(l) for l in fh if l.strip()]
    for t in truths:
        lay = CORPUS_LAYOUT.get(t["file"])
        if lay is None:
            continue
        with open(os.path.join(cdir, t["file"]), encoding="utf-8") as fh:
            raw = fh.read()
        lines = [clean_line(l) for l in raw.splitlines()]
        start = next(i for i, l in enumerate(lines) if l == "ỦY BAN NHÂN DÂN")  # skip debris
        lines = lines[start:]
        head = "\n".join(lines[:40])
        m = re.search(r"Số:\s*(\d+)\s*/\s*(\S+)", head)
        number = "%s/%s" % (m.group(1), m.group(2))
        assert number == t["number"], (number, t["number"])
        m = re.search(r"^[^,\n]+,\s*ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}", head, re.M)
        date_line = m.group(0)
        b0 = next(i for i, l in enumerate(lines) if re.search(lay["body_start"], l))
        b1 = len(lines)
        if lay["body_end"]:
            b1 = next(i for i, l in enumerate(lines) if i > b0 and re.search(lay["body_end"], l))
        body = [l for l in lines[b0:b1] if l and l != "|"]
        noi_nhan = None
        if lay["noi_nhan_from_text"]:
            k = b1 + 1
            noi_nhan = []
            while lines[k].startswith("-"):
                noi_nhan.append(lines[k])
                k += 1
        issuer = nfc(t["issuer"])
        m = re.match(r"^(ỦY BAN NHÂN DÂN) (.+)$", issuer)
        docs.append({
            "file": t["file"], "layout": lay, "type": nfc(t["type"]), "number": number,
            "issuer": issuer, "issuer_lines": [m.group(1), m.group(2)] if m else [issuer],
            "place": nfc(t["place"]), "date": t["date"], "date_line": date_line,
            "subject": nfc(t["subject"]), "signer": t["signer"] and nfc(t["signer"]),
            "body": body, "noi_nhan": noi_nhan,
        })
    if len(docs) != 3:
        sys.exit("generate.py: expected the three corpus documents, found %d" % len(docs))
    return docs


def corpus_by_slug(corpus, slug):
    return next(c for c in corpus if c["layout"]["slug"] == slug)
