#!/usr/bin/python3
"""Scan-sample generator for sohoa.

Renders Vietnamese administrative documents (Nghị định 30/2020 layout) and one-stop
dossier receipts ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", with a QR code) into
scan-like raster files, and writes the ground truth as DIR/truth.jsonl.

    /usr/bin/python3 samples/generate.py --out DIR [--count N] [--seed S] [--small]
                                         [--corpus DIR]

--small writes the fixed, committed sample set (about ten files, < 5 MB) instead of
--count random ones.  Output is deterministic for a given seed.

Runs with Debian's python3 and only python3-pil, python3-qrcode, python3-numpy and
fonts-liberation.  Body text comes from the real documents of the shared corpus
(truth.jsonl + three .txt files); see samples/README.md.
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import sys
import unicodedata

import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))

# fonts-liberation2 (2.x) has the Vietnamese glyphs; the 1.x files of fonts-liberation
# lack e.g. "ệ" and would render boxes.  Checked at start-up by check_fonts().
FONT_DIRS = ["/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation"]
FONT_DIR = next((d for d in FONT_DIRS if os.path.isfile(os.path.join(d, "LiberationSerif-Regular.ttf"))),
                FONT_DIRS[0])
FONT_FILES = {
    "r": "LiberationSerif-Regular.ttf",
    "b": "LiberationSerif-Bold.ttf",
    "i": "LiberationSerif-Italic.ttf",
    "bi": "LiberationSerif-BoldItalic.ttf",
    "sb": "LiberationSans-Bold.ttf",
}

PAGE_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}

RECEIPT_TYPE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"

FIELD_KEYS = ("type", "number", "issuer", "issuer_parent", "place", "date", "subject",
              "signer", "signer_role", "dossier_code", "citizen_id", "applicant",
              "procedure", "received", "due")

DOSSIER_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")
CCCD_RE = re.compile(r"^(0\d{2})(\d)(\d{2})(\d{6})$")


def nfc(s):
    return unicodedata.normalize("NFC", s)


def ascii_slug(s):
    s = nfc(s).replace("Đ", "D").replace("đ", "d")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", s.lower())


# ---------------------------------------------------------------------------
# Vietnamese data used to invent plausible documents and receipts
# ---------------------------------------------------------------------------

# name, CCCD province code, districts (pre-July-2025 units; all dates stay before then)
PROVINCES = [
    ("Hưng Yên", "033", ["Văn Lâm", "Khoái Châu", "Văn Giang", "Kim Động"]),
    ("Gia Lai", "064", ["Chư Sê", "Đức Cơ", "Ia Grai", "Mang Yang"]),
    ("Đồng Nai", "075", ["Long Thành", "Trảng Bom", "Nhơn Trạch", "Định Quán"]),
    ("Kon Tum", "062", ["Đắk Hà", "Sa Thầy", "Ngọc Hồi"]),
    ("Nghệ An", "040", ["Diễn Châu", "Quỳnh Lưu", "Nghi Lộc"]),
    ("Thanh Hóa", "038", ["Hoằng Hóa", "Quảng Xương", "Thọ Xuân"]),
    ("Quảng Ninh", "022", ["Vân Đồn", "Tiên Yên", "Hải Hà"]),
    ("Bắc Ninh", "027", ["Tiên Du", "Yên Phong", "Gia Bình"]),
    ("Thái Bình", "034", ["Kiến Xương", "Tiền Hải", "Vũ Thư"]),
    ("Quảng Nam", "049", ["Duy Xuyên", "Thăng Bình", "Núi Thành"]),
    ("Bình Định", "052", ["Tuy Phước", "Phù Cát", "Hoài Ân"]),
    ("Lâm Đồng", "068", ["Đức Trọng", "Di Linh", "Lâm Hà"]),
    ("Long An", "080", ["Đức Hòa", "Cần Giuộc", "Bến Lức"]),
    ("An Giang", "089", ["Chợ Mới", "Thoại Sơn", "Phú Tân"]),
    ("Hà Tĩnh", "042", ["Cẩm Xuyên", "Thạch Hà", "Đức Thọ"]),
]
COMMUNES = ["Tân Lập", "Hòa Bình", "Quang Trung", "Thống Nhất", "Đông Hòa", "Tân Tiến",
            "Minh Đức", "Hưng Thịnh", "An Phú", "Phú Xuân", "Nghĩa Hiệp", "Tân Phong"]
STREETS = ["Nguyễn Văn Linh", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt",
           "Phạm Ngũ Lão", "Nguyễn Trãi", "Điện Biên Phủ", "Quang Trung", "Hùng Vương"]

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Ngọc", "Đình"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Kim", "Hồng", "Minh", "Thùy"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Minh", "Nam",
           "Phong", "Quang", "Sơn", "Thắng", "Tuấn", "Việt", "Đạt", "Huy"]
GIVEN_F = ["Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga",
           "Phương", "Thảo", "Trang", "Vân", "Yến"]

# Departments of a provincial People's Committee: bold lines, symbol, head role.
DEPARTMENTS = [
    (["SỞ NỘI VỤ"], "SNV", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    (["SỞ TƯ PHÁP"], "STP", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    (["SỞ KHOA HỌC", "VÀ CÔNG NGHỆ"], "SKHCN", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    (["SỞ TÀI CHÍNH"], "STC", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    (["VĂN PHÒNG"], "VP", "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"),
]

# type name, abbreviation (Phụ lục III), subjects
DOC_TYPES = {
    "QUYẾT ĐỊNH": ("QĐ", [
        "Về việc công bố danh mục thủ tục hành chính được tiếp nhận, giải quyết không phụ thuộc vào địa giới hành chính",
        "Ban hành Quy chế tiếp nhận, số hóa hồ sơ, kết quả giải quyết thủ tục hành chính tại Bộ phận Một cửa các cấp",
        "Về việc phê duyệt quy trình nội bộ giải quyết thủ tục hành chính trên môi trường điện tử",
        "Về việc kiện toàn Tổ công tác triển khai cơ chế một cửa, một cửa liên thông",
    ]),
    "KẾ HOẠCH": ("KH", [
        "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính năm 2024",
        "Triển khai chữ ký số trong giải quyết thủ tục hành chính trên địa bàn",
        "Rà soát, đơn giản hóa thủ tục hành chính nội bộ năm 2025",
    ]),
    "THÔNG BÁO": ("TB", [
        "Kết luận của Chủ tịch Ủy ban nhân dân tại cuộc họp về cải cách thủ tục hành chính",
        "Về việc tạm dừng tiếp nhận hồ sơ trực tiếp để nâng cấp hệ thống thông tin",
        "Danh mục thủ tục hành chính thực hiện dịch vụ công trực tuyến toàn trình",
    ]),
    "BÁO CÁO": ("BC", [
        "Kết quả thực hiện cơ chế một cửa, một cửa liên thông quý I năm 2024",
        "Tình hình số hóa hồ sơ, kết quả giải quyết thủ tục hành chính 6 tháng đầu năm",
        "Kết quả kiểm soát thủ tục hành chính năm 2023",
    ]),
    "TỜ TRÌNH": ("TTr", [
        "Về việc đề nghị phê duyệt kinh phí nâng cấp Hệ thống thông tin giải quyết thủ tục hành chính",
    ]),
}
CONGVAN_SUBJECTS = [
    "triển khai số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
    "đôn đốc thực hiện chứng thực bản sao điện tử từ bản chính",
    "tăng cường tái sử dụng dữ liệu đã được số hóa",
    "kết nối Hệ thống thông tin giải quyết thủ tục hành chính với Kho quản lý dữ liệu điện tử",
    "báo cáo tình hình thực hiện thủ tục hành chính trên môi trường điện tử",
]
CONGVAN_UNITS = ["KSTT", "VX", "TH", "NC", "KT", "CCHC"]

PROCEDURES = [
    ("Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp", 1,
     ["Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao", "Bản sao cần chứng thực"]),
    ("Đăng ký khai sinh", 1, ["Tờ khai đăng ký khai sinh (bản chính)", "Giấy chứng sinh (bản chính)"]),
    ("Đăng ký kết hôn", 3, ["Tờ khai đăng ký kết hôn (bản chính)", "Giấy xác nhận tình trạng hôn nhân (bản chính)"]),
    ("Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", 10,
     ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (bản chính)", "Bản chụp Căn cước công dân"]),
    ("Cấp giấy phép xây dựng nhà ở riêng lẻ", 15,
     ["Đơn đề nghị cấp giấy phép xây dựng (bản chính)", "Bản sao giấy tờ về quyền sử dụng đất",
      "Bản vẽ thiết kế xây dựng (02 bộ)"]),
    ("Đăng ký thành lập hộ kinh doanh", 3,
     ["Giấy đề nghị đăng ký hộ kinh doanh (bản chính)", "Bản sao giấy tờ pháp lý của cá nhân"]),
    ("Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", 10,
     ["Đơn đăng ký biến động đất đai (bản chính)", "Giấy chứng nhận đã cấp (bản gốc)",
      "Hợp đồng chuyển nhượng có công chứng (bản chính)"]),
    ("Cấp bản sao trích lục hộ tịch", 1, ["Tờ khai cấp bản sao trích lục hộ tịch (bản chính)"]),
]

NOI_NHAN_PROV = ["- Văn phòng Chính phủ (Cục KSTTHC);", "- TT. Tỉnh ủy, TT. HĐND tỉnh;",
                 "- Chủ tịch, các PCT UBND tỉnh;", "- Các sở, ban, ngành tỉnh;",
                 "- UBND các huyện, thị xã, thành phố;", "- Trung tâm Phục vụ HCC tỉnh;"]


def vn_date(place, d):
    """Date line per NĐ 30: days < 10 and months 1, 2 zero-padded, other months not."""
    day = "%02d" % d.day
    month = "%02d" % d.month if d.month <= 2 else str(d.month)
    return "%s, ngày %s tháng %s năm %d" % (place, day, month, d.year)


def vn_long_date(d):
    day = "%02d" % d.day
    month = "%02d" % d.month if d.month <= 2 else str(d.month)
    return "ngày %s tháng %s năm %d" % (day, month, d.year)


def person(rng, gender=None):
    if gender is None:
        gender = rng.choice("MF")
    if gender == "M":
        name = "%s %s %s" % (rng.choice(SURNAMES), rng.choice(MIDDLE_M), rng.choice(GIVEN_M))
    else:
        name = "%s %s %s" % (rng.choice(SURNAMES), rng.choice(MIDDLE_F), rng.choice(GIVEN_F))
    return name, gender


def make_cccd(rng, prov_code, gender, birth_year):
    century = 0 if birth_year < 2000 else (2 if birth_year < 2100 else 4)
    g = century + (0 if gender == "M" else 1)
    cid = "%s%d%02d%06d" % (prov_code, g, birth_year % 100, rng.randrange(1000000))
    assert CCCD_RE.match(cid) and 1 <= int(cid[:3]) <= 96
    return cid


def add_working_days(d, n):
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def random_workday(rng, lo=dt.date(2021, 3, 1), hi=dt.date(2025, 6, 20)):
    while True:
        d = lo + dt.timedelta(days=rng.randrange((hi - lo).days))
        if d.weekday() < 5:
            return d


# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------

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


def check_fonts():
    """Fail early if the serif font cannot draw Vietnamese (fonts-liberation 1.x)."""
    f = ImageFont.truetype(os.path.join(FONT_DIR, FONT_FILES["r"]), 40)
    if bytes(f.getmask("ệ")) == bytes(f.getmask("\uffff")):
        sys.exit("generate.py: %s has no Vietnamese glyphs; install fonts-liberation2" % FONT_DIR)


def find_corpus(explicit):
    cands = [explicit, os.environ.get("SOHOA_CORPUS"), os.path.join(HERE, "corpus")]
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


# ---------------------------------------------------------------------------
# Layout: items stacked down a page, measured in pixels at the target dpi
# ---------------------------------------------------------------------------

class Fonts:
    def __init__(self, dpi):
        self.dpi = dpi
        self.cache = {}

    def px(self, pt):
        return pt * self.dpi / 72.0

    def get(self, style, pt):
        key = (style, pt)
        if key not in self.cache:
            size = int(round(self.px(pt)))
            self.cache[key] = ImageFont.truetype(os.path.join(FONT_DIR, FONT_FILES[style]), size)
        return self.cache[key]


class Item:
    """Something placed in the page flow: height h, draw(ctx, y), its text lines."""
    h = 0
    texts = ()

    def draw(self, ctx, y):
        pass


class Space(Item):
    def __init__(self, h):
        self.h = int(round(h))
        self.texts = []


class Line(Item):
    def __init__(self, words, text, h, baseline):
        self.words = words          # [(x, text, font)]
        self.text = text
        self.texts = [text]
        self.h = h
        self.baseline = baseline

    def draw(self, ctx, y):
        for x, w, font in self.words:
            ctx.draw.text((x, y + self.baseline), w, font=font, fill=255, anchor="ls")
        ctx.lines.append((y, y + self.h, self.words[0][0], self.text))


class Rule(Item):
    def __init__(self, x0, x1, thick, h):
        self.x0, self.x1, self.thick, self.h = int(x0), int(x1), max(1, int(round(thick))), int(h)
        self.texts = []

    def draw(self, ctx, y):
        ym = y + self.h // 2
        ctx.draw.rectangle([self.x0, ym, self.x1, ym + self.thick - 1], fill=255)


class Bitmap(Item):
    """A QR code (1 = dark module) scaled to whole pixels per module."""
    def __init__(self, x, matrix, module_px, pad):
        self.x, self.m, self.mod = int(x), matrix, int(module_px)
        self.pad = int(pad)
        self.h = len(matrix) * self.mod + 2 * self.pad
        self.texts = []

    def draw(self, ctx, y):
        arr = np.kron(np.array(self.m, dtype=np.uint8) * 255,
                      np.ones((self.mod, self.mod), dtype=np.uint8))
        ctx.ink.paste(Image.fromarray(arr, "L"), (self.x, y + self.pad))


class Marker(Item):
    """Empty space whose box is remembered (signature gap, for stamp and scribble)."""
    def __init__(self, name, x0, x1, h):
        self.name, self.x0, self.x1, self.h = name, int(x0), int(x1), int(h)
        self.texts = []

    def draw(self, ctx, y):
        ctx.marks[self.name] = (self.x0, y, self.x1, y + self.h)


class Columns(Item):
    """Side-by-side stacks (header, footer).  Text order: left column, then right."""
    def __init__(self, cols):
        self.cols = cols
        self.h = max(sum(i.h for i in c) for c in cols)
        self.texts = [t for c in cols for i in c for t in i.texts]

    def draw(self, ctx, y):
        for c in self.cols:
            yy = y
            for i in c:
                i.draw(ctx, yy)
                yy += i.h


def layout_par(F, runs, pt, x0, width, align="justify", indent=0.0, spacing=1.2):
    """Wrap runs [(text, style)] into Line items inside [x0, x0 + width]."""
    words = []
    for text, style in runs:
        font = F.get(style, pt)
        for w in text.split():
            words.append((w, font, font.getlength(w)))
    if not words:
        return []
    space = F.get("r", pt).getlength(" ")
    lh = int(round(F.px(pt) * spacing))
    asc, desc = F.get("r", pt).getmetrics()
    baseline = int(round((lh - (asc + desc)) / 2.0 + asc))
    lines, cur, cur_w = [], [], 0.0
    for w in words:
        avail = width - (indent if not lines else 0)
        nw = w[2] if not cur else cur_w + space + w[2]
        if cur and nw > avail:
            lines.append(cur)
            cur, cur_w = [w], w[2]
        else:
            cur.append(w)
            cur_w = nw
    if cur:
        lines.append(cur)
    out = []
    for li, ws in enumerate(lines):
        ind = indent if li == 0 else 0.0
        natural = sum(w[2] for w in ws) + space * (len(ws) - 1)
        avail = width - ind
        gap = space
        if align == "center":
            x = x0 + (width - natural) / 2.0
        elif align == "right":
            x = x0 + width - natural
        else:
            x = x0 + ind
            if align == "justify" and li < len(lines) - 1 and len(ws) > 1:
                gap = space + (avail - natural) / (len(ws) - 1)
        placed = []
        for w, font, wl in ws:
            placed.append((int(round(x)), w, font))
            x += wl + gap
        out.append(Line(placed, " ".join(w[0] for w in ws), lh, baseline))
    return out


class Geom:
    def __init__(self, dpi, page="A4", top=20, bottom=20, left=30, right=20):
        self.dpi = dpi
        wmm, hmm = PAGE_MM[page]
        self.W, self.H = self.mm(wmm), self.mm(hmm)
        self.top, self.bottom = self.mm(top), self.H - self.mm(bottom)
        self.x0, self.x1 = self.mm(left), self.W - self.mm(right)
        self.tw = self.x1 - self.x0

    def mm(self, v):
        return int(round(v * self.dpi / 25.4))


# ---------------------------------------------------------------------------
# Building the item flow of a document and of a receipt
# ---------------------------------------------------------------------------

def header_columns(F, g, parent_lines, issuer_lines, hpt, with_rules=True, left_x0=None):
    """NĐ 30 header: left organ name block, right national title; returns (item, lx, lw, rx, rw)."""
    m1 = F.get("b", hpt).getlength(MOTTO_1)
    rw = m1 + g.mm(4)
    rx = g.x1 - rw + g.mm(2)
    lx = g.x0 - g.mm(8) if left_x0 is None else left_x0
    lw = rx - lx - g.mm(3)
    left = []
    for l in parent_lines:
        left += layout_par(F, [(l, "r")], hpt, lx, lw, "center", spacing=1.1)
    for l in issuer_lines:
        left += layout_par(F, [(l, "b")], hpt, lx, lw, "center", spacing=1.1)
    if with_rules:
        iw = max(F.get("b", hpt).getlength(l) for l in issuer_lines)
        rl = min(iw, lw) * 0.4
        cx = lx + lw / 2.0
        left.append(Rule(cx - rl / 2, cx + rl / 2, F.px(0.7), F.px(9)))
    right = layout_par(F, [(MOTTO_1, "b")], hpt, rx, rw, "center", spacing=1.1)
    m2pt = hpt + 1
    right += layout_par(F, [(MOTTO_2, "b")], m2pt, rx, rw, "center", spacing=1.15)
    if with_rules:
        m2 = F.get("b", m2pt).getlength(MOTTO_2)
        cx = rx + rw / 2.0
        right.append(Rule(cx - m2 / 2, cx + m2 / 2, F.px(0.7), F.px(9)))
    return Columns([left, right]), lx, lw, rx, rw


def doc_items(F, g, doc):
    """Page-1 header items, body paragraphs (list of item lists), footer item."""
    hpt = doc["header_pt"]
    bpt = doc["body_pt"]
    head, lx, lw, rx, rw = header_columns(F, g, doc["parent_lines"], doc["issuer_lines"], hpt)
    items = [head, Space(F.px(4))]
    left = layout_par(F, [("Số: " + doc["number"], "r")], 13, lx, lw, "center")
    if doc["type"] is None:       # công văn: "V/v ..." under the number
        left += layout_par(F, [("V/v " + doc["subject"], "r")], 12, lx + g.mm(4), lw - g.mm(8),
                           "center", spacing=1.1)
    right = layout_par(F, [(doc["date_line"], "i")], 13.5, rx, rw, "center")
    items.append(Columns([left, right]))
    items.append(Space(F.px(14)))
    if doc["type"] is not None:
        items += layout_par(F, [(doc["type"], "b")], 14, g.x0, g.tw, "center")
        items += layout_par(F, [(doc["subject"], "b")], 14, g.x0 + g.tw * 0.08, g.tw * 0.84,
                            "center", spacing=1.15)
        cx = g.x0 + g.tw / 2.0
        items.append(Rule(cx - g.tw * 0.12, cx + g.tw * 0.12, F.px(0.7), F.px(12)))
        items.append(Space(F.px(6)))
    else:
        kg = doc["kinh_gui"]
        if len(kg) == 1:
            items += layout_par(F, [("Kính gửi: " + kg[0], "r")], 14, g.x0, g.tw, "center")
        else:
            items += layout_par(F, [("Kính gửi:", "r")], 14, g.x0 + g.tw * 0.15, g.tw * 0.3, "left")
            for k in kg:
                items += layout_par(F, [(k, "r")], 14, g.x0 + g.tw * 0.30, g.tw * 0.65, "left",
                                    spacing=1.1)
        items.append(Space(F.px(10)))
    pars = []
    indent = g.mm(10)
    for p in doc["body"]:
        pars.append(style_paragraph(F, g, p, bpt, indent, doc["spacing"]) + [Space(F.px(5))])
    # footer: "Nơi nhận:" bottom left, signer bottom right
    fw = g.tw * 0.45
    fl = [Space(F.px(10))]
    fl += layout_par(F, [("Nơi nhận:", "bi")], 12, g.x0, fw, "left", spacing=1.1)
    for n in doc["noi_nhan"]:
        fl += layout_par(F, [(n, "r")], 11, g.x0, fw, "left", spacing=1.05)
    sx = g.x0 + g.tw * 0.45
    sw = g.tw * 0.55
    fr = [Space(F.px(10))]
    for p in doc["signer_prefix"]:
        fr += layout_par(F, [(p, "b")], 13.5, sx, sw, "center", spacing=1.1)
    if doc["signer_role"]:
        fr += layout_par(F, [(doc["signer_role"], "b")], 13.5, sx, sw, "center", spacing=1.1)
    fr.append(Marker("sig", sx, sx + sw, g.mm(24)))
    if doc["signer"]:
        fr += layout_par(F, [(doc["signer"], "b")], 13.5, sx, sw, "center")
    footer = Columns([fl, fr])
    return items, pars, footer


def style_paragraph(F, g, p, pt, indent, spacing):
    x0, w = g.x0, g.tw
    if p == p.upper() and len(p) < 90 and re.search(r"[A-ZĐ]", p):
        if re.match(r"^[IVX]+\.", p):
            return layout_par(F, [(p, "b")], pt, x0, w, "justify", indent, spacing)
        return layout_par(F, [(p, "b")], pt, x0, w, "center", 0, spacing)
    m = re.match(r"^(Điều \d+\.)\s+(.*)$", p)
    if m:
        return layout_par(F, [(m.group(1), "b"), (m.group(2), "r")], pt, x0, w, "justify",
                          indent, spacing)
    if p.startswith(("Căn cứ", "Theo đề nghị", "Xét đề nghị")):
        return layout_par(F, [(p, "i")], pt, x0, w, "justify", indent, spacing)
    if len(p) < 80 and re.match(r"^\d+(\.\d+)*\.\s", p) and not p.endswith((".", ";", ",")):
        return layout_par(F, [(p, "b")], pt, x0, w, "justify", indent, spacing)
    return layout_par(F, [(p, "r")], pt, x0, w, "justify", indent, spacing)


def page_number_item(F, g, n):
    lines = layout_par(F, [(str(n), "r")], 13, g.x0, g.tw, "center")
    return lines[0]


def paginate(F, g, head, pars, footer, draw_pages=True):
    """Flow items onto pages; returns list of pages, each a list of (y, item)."""
    pages, cur, y = [], [], g.top
    for it in head:
        cur.append((y, it))
        y += it.h

    def new_page():
        nonlocal cur, y
        pages.append(cur)
        pn = page_number_item(F, g, len(pages) + 1)
        cur = [(max(0, g.top - g.mm(12)), pn)]
        y = g.top
    for par in pars:
        for it in par:
            if isinstance(it, Space) and y == g.top and len(cur) == 1 and pages:
                continue
            if y + it.h > g.bottom:
                if isinstance(it, Space):
                    continue
                new_page()
            cur.append((y, it))
            y += it.h
    if y + footer.h > g.bottom:
        new_page()
    cur.append((y, footer))
    pages.append(cur)
    return pages


def fit_body(F, g, head, pars, footer, max_pages, skip_first=None):
    """Largest prefix of the paragraphs whose flow fits in max_pages pages."""
    k = len(pars)
    while k > 1:
        if len(paginate(F, g, head, pars[:k], footer)) <= max_pages:
            break
        k -= 1
    return paginate(F, g, head, pars[:k], footer), k


def receipt_items(F, g, rc):
    small = g.W < g.mm(200)        # A5
    hpt = 10 if small else 12.5
    bpt = rc["body_pt"]
    items = []
    n = len(rc["qr_matrix"])
    qr_mm = 17 if small else 21
    mod = max(3, int(g.mm(qr_mm) // n))
    items.append(Bitmap(g.x0 - g.mm(4), rc["qr_matrix"], mod, 0))
    items.append(Space(F.px(6)))
    head, lx, lw, rx, rw = header_columns(F, g, rc["parent_lines"], rc["issuer_lines"], hpt,
                                          left_x0=g.x0 - g.mm(4))
    items.append(head)
    items.append(Space(F.px(2)))
    right = layout_par(F, [(rc["date_line"], "i")], hpt + 1, rx, rw, "center")
    items.append(Columns([[], right]))
    items.append(Space(F.px(10)))
    items += layout_par(F, [(RECEIPT_TYPE, "b")], bpt + 1.5, g.x0, g.tw, "center", spacing=1.15)
    items += layout_par(F, [("Mã hồ sơ: " + rc["dossier_code"], "b")], bpt, g.x0, g.tw, "center")
    items += layout_par(F, [("(Liên: Giao khách hàng)", "i")], bpt - 1, g.x0, g.tw, "center")
    items.append(Space(F.px(6)))
    ind = g.mm(8)
    sp = 1.2 if not small else 1.12
    for text, style, hang in rc["lines"]:
        if hang:
            items += layout_par(F, [(text, style)], bpt, g.x0 + ind, g.tw - ind, "justify", 0, sp)
        else:
            items += layout_par(F, [(text, style)], bpt, g.x0, g.tw, "justify", ind, sp)
    items.append(Space(F.px(10)))
    cw = g.tw / 2.0
    cols = []
    for k, (role, name) in enumerate([("NGƯỜI NỘP HỒ SƠ", rc["applicant"]),
                                      ("NGƯỜI TIẾP NHẬN HỒ SƠ", rc["officer"])]):
        x = g.x0 + k * cw
        c = layout_par(F, [(role, "b")], bpt, x, cw, "center", spacing=1.1)
        c += layout_par(F, [("(Ký và ghi rõ họ tên)", "i")], bpt - 1, x, cw, "center", spacing=1.1)
        c.append(Marker("sig" if k else "sig_applicant", x, x + cw, g.mm(16 if small else 20)))
        c += layout_par(F, [(name, "b")], bpt, x, cw, "center")
        cols.append(c)
    items.append(Columns(cols))
    return items


# ---------------------------------------------------------------------------
# Content objects: documents (corpus or invented) and receipts
# ---------------------------------------------------------------------------

def corpus_document(cdoc, rng, pages=1):
    lay = cdoc["layout"]
    body = list(cdoc["body"])
    if pages == 1:
        body = [p for p in body if not any(re.search(r, p) for r in lay["single_page_skip"])]
    noi_nhan = cdoc["noi_nhan"] or (NOI_NHAN_PROV[:4] + ["- Lưu: VT, KSTT."])
    return {
        "kind": "document", "source": cdoc["file"], "slug": lay["slug"],
        "parent_lines": [], "issuer_lines": cdoc["issuer_lines"], "issuer_parent": None,
        "issuer": cdoc["issuer"], "number": cdoc["number"], "type": cdoc["type"],
        "subject": cdoc["subject"], "place": cdoc["place"], "date": cdoc["date"],
        "date_line": cdoc["date_line"], "body": body, "noi_nhan": noi_nhan,
        "signer_prefix": lay["signer_prefix"], "signer_role": lay["signer_role"],
        "signer": cdoc["signer"], "kinh_gui": None, "pages": pages,
        "header_pt": 12.5, "body_pt": rng.choice([13, 13, 14]), "spacing": 1.2,
        "seal_text": cdoc["issuer"],
    }


def invented_document(rng, corpus, pages=1, type_name="random", province=None):
    prov, _, districts = province or rng.choice(PROVINCES)
    level = rng.choice(["tinh", "tinh", "so", "huyen"])
    if type_name == "random":
        type_name = rng.choice(list(DOC_TYPES) + [None, None])   # None = công văn
    # body text from a long corpus document (the Hưng Yên decision itself is too short)
    src = rng.choice([c for c in corpus if len(c["body"]) >= 40])
    d = random_workday(rng, lo=dt.date.fromisoformat(src["date"]) + dt.timedelta(days=20),
                       hi=dt.date(2025, 6, 20))
    if level == "tinh":
        parent, issuer_lines, sym = [], ["ỦY BAN NHÂN DÂN", "TỈNH " + prov.upper()], "UBND"
        place, org = prov, "ỦY BAN NHÂN DÂN"
        head_role, deputy = "CHỦ TỊCH", "PHÓ CHỦ TỊCH"
        seal_text, authority = "ỦY BAN NHÂN DÂN TỈNH " + prov.upper(), "ỦY BAN NHÂN DÂN TỈNH " + prov.upper()
        proposer, executors = "Chánh Văn phòng UBND tỉnh", ("Chánh Văn phòng UBND tỉnh; Thủ trưởng các sở, "
                                                            "ban, ngành tỉnh; Chủ tịch UBND các huyện, thị xã, thành phố")
        recips = NOI_NHAN_PROV
        kinh_gui_opts = [["Các sở, ban, ngành tỉnh;", "UBND các huyện, thị xã, thành phố."],
                         ["Văn phòng Chính phủ (Cục Kiểm soát thủ tục hành chính)"],
                         ["Trung tâm Phục vụ hành chính công tỉnh"],
                         ["Các sở, ban, ngành tỉnh;", "Bưu điện tỉnh;", "UBND các huyện, thị xã, thành phố."]]
    elif level == "so":
        lines, sym, head_role, deputy = rng.choice(DEPARTMENTS)
        parent, issuer_lines = ["UBND TỈNH " + prov.upper()], list(lines)
        place, org = prov, None
        name_ = " ".join(lines)
        if name_ == "VĂN PHÒNG":
            seal_text = "VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH " + prov.upper()
            authority, proposer = "CHÁNH VĂN PHÒNG UBND TỈNH " + prov.upper(), "Trưởng phòng Kiểm soát thủ tục hành chính"
        else:
            seal_text = name_ + " TỈNH " + prov.upper()
            authority, proposer = "GIÁM ĐỐC " + name_, "Chánh Văn phòng Sở"
        executors = "Chánh Văn phòng, Trưởng các phòng, đơn vị thuộc Sở"
        unit_ = "Văn phòng" if name_ == "VĂN PHÒNG" else "Sở"
        recips = ["- UBND tỉnh (b/c);", "- Lãnh đạo %s;" % unit_, "- Các phòng, đơn vị thuộc %s;" % unit_,
                  "- UBND các huyện, thị xã, thành phố;", "- Trung tâm Phục vụ HCC tỉnh;"]
        kinh_gui_opts = [["UBND các huyện, thị xã, thành phố"], ["Các phòng, đơn vị thuộc Sở"],
                         ["Các sở, ban, ngành tỉnh;", "UBND các huyện, thị xã, thành phố."]]
    else:
        dist = rng.choice(districts)
        parent = ["UBND TỈNH " + prov.upper()]
        issuer_lines, sym = ["ỦY BAN NHÂN DÂN", "HUYỆN " + dist.upper()], "UBND"
        place, org = dist, "ỦY BAN NHÂN DÂN"
        head_role, deputy = "CHỦ TỊCH", "PHÓ CHỦ TỊCH"
        seal_text = "ỦY BAN NHÂN DÂN HUYỆN %s TỈNH %s" % (dist.upper(), prov.upper())
        authority, proposer = "ỦY BAN NHÂN DÂN HUYỆN " + dist.upper(), "Chánh Văn phòng HĐND và UBND huyện"
        executors = ("Chánh Văn phòng HĐND và UBND huyện; Trưởng các phòng, ban thuộc UBND huyện; "
                     "Chủ tịch UBND các xã, thị trấn")
        recips = ["- UBND tỉnh (b/c);", "- TT. Huyện ủy, TT. HĐND huyện;", "- CT, các PCT UBND huyện;",
                  "- Các phòng, ban thuộc UBND huyện;", "- UBND các xã, thị trấn;"]
        kinh_gui_opts = [["Các phòng, ban thuộc UBND huyện;", "UBND các xã, thị trấn."],
                         ["UBND các xã, thị trấn"]]
    n = rng.choice([rng.randrange(1, 10), rng.randrange(10, 300), rng.randrange(300, 3500)])
    if type_name is None:
        number = "%02d/%s-%s" % (n, sym, rng.choice(CONGVAN_UNITS))
        subject = rng.choice(CONGVAN_SUBJECTS)
        subject = subject[0].upper() + subject[1:] if rng.random() < 0.3 else subject
    else:
        number = "%02d/%s-%s" % (n, DOC_TYPES[type_name][0], sym)
        subject = rng.choice(DOC_TYPES[type_name][1])
    # signer block: TM. <organ> for collective bodies, KT. for a deputy
    name, _ = person(rng)
    deputy_signs = rng.random() < 0.5
    prefix = []
    if org and type_name is not None:
        prefix.append("TM. " + org)
    if deputy_signs:
        prefix.append("KT. " + head_role)
        role = deputy
    else:
        role = head_role
    if org and type_name is None and not deputy_signs:
        prefix = ["TM. " + org]
    # body: consecutive paragraphs of one corpus document (older than this one)
    body_pool = [p for p in src["body"] if not p.isupper() or re.match(r"^[IVX]+\.", p)]
    body_pool = [p for p in body_pool if not p.startswith(("Căn cứ", "Theo đề nghị", "Điều "))]
    starts = [i for i, p in enumerate(body_pool[:-8])
              if re.match(r"^[IVX]+\. ", p) or (len(p) > 120 and p[0].isupper())]
    start = rng.choice(starts) if starts else 0
    body = body_pool[start:start + 60]
    if type_name == "QUYẾT ĐỊNH":
        body = decision_body(rng, corpus, authority, proposer, executors, subject, body)
    noi_nhan = []
    if type_name is None:
        noi_nhan.append("- Như trên;")
    elif type_name == "QUYẾT ĐỊNH":
        noi_nhan.append("- Như Điều 3;")
    noi_nhan += rng.sample(recips, 3)
    noi_nhan.append("- Lưu: VT, %s." % rng.choice(CONGVAN_UNITS))
    kinh_gui = rng.choice(kinh_gui_opts) if type_name is None else None
    issuer = " ".join(issuer_lines)
    return {
        "kind": "document", "source": src["file"], "slug": ascii_slug(prov),
        "parent_lines": parent, "issuer_lines": issuer_lines,
        "issuer_parent": " ".join(parent) or None, "issuer": issuer, "number": number,
        "type": type_name, "subject": subject, "place": place, "date": d.isoformat(),
        "date_line": vn_date(place, d), "body": body, "noi_nhan": noi_nhan,
        "signer_prefix": prefix, "signer_role": role, "signer": name, "kinh_gui": kinh_gui,
        "pages": pages, "header_pt": rng.choice([12, 12.5, 13]), "body_pt": rng.choice([13, 14]),
        "spacing": rng.choice([1.15, 1.2, 1.3]),
        "seal_text": seal_text,
    }


def decision_body(rng, corpus, authority, proposer, executors, subject, pool):
    """A QUYẾT ĐỊNH: authority, legal bases, "QUYẾT ĐỊNH:", Điều 1-3 (Điều 2 from the corpus)."""
    bases = [p for c in corpus for p in c["body"] if p.startswith("Căn cứ Luật")]
    bases += ["Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ về thực hiện cơ chế "
              "một cửa, một cửa liên thông trong giải quyết thủ tục hành chính;",
              "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08/4/2020 của Chính phủ về thực hiện thủ tục "
              "hành chính trên môi trường điện tử;"]
    what = re.sub(r"^Về việc ", "", subject)
    what = what[0].upper() + what[1:]
    if what.startswith("Ban hành "):
        art1 = "Ban hành kèm theo Quyết định này " + what[len("Ban hành "):] + "."
    else:
        art1 = what + " (chi tiết tại Phụ lục kèm theo Quyết định này)."
    body = [authority] + bases[:rng.choice([2, 3])] + ["Theo đề nghị của %s." % proposer,
                                                       "QUYẾT ĐỊNH:", "Điều 1. " + art1,
                                                       "Điều 2. Tổ chức thực hiện:"]
    pool = [p for p in pool if not re.match(r"^[IVX]+\. ", p) and len(p) > 60]
    body += pool[:rng.randrange(2, 5)]
    body.append("Điều 3. Quyết định này có hiệu lực kể từ ngày ký. %s và các tổ chức, cá nhân có "
                "liên quan chịu trách nhiệm thi hành Quyết định này./." % executors)
    return body


def receipt(rng, province=None, small=False):
    province = province or rng.choice(PROVINCES)
    prov, pcode, districts = province
    hcode = 10 + PROVINCES.index(province) * 3                     # invented; format-valid agency codes
    if rng.random() < 0.6:
        parent, issuer_lines = ["UBND TỈNH " + prov.upper()], ["TRUNG TÂM PHỤC VỤ", "HÀNH CHÍNH CÔNG"]
        unit = "Trung tâm Phục vụ hành chính công tỉnh " + prov
        agency = "000.00.%02d.H%02d" % (rng.randrange(1, 40), hcode)
        place = prov
    else:
        dist = rng.choice(districts)
        parent, issuer_lines = ["UBND HUYỆN " + dist.upper()], ["BỘ PHẬN MỘT CỬA"]
        unit = "Bộ phận Một cửa UBND huyện " + dist
        agency = "000.%02d.%02d.H%02d" % (rng.randrange(1, 30), rng.randrange(1, 40), hcode)
        place = dist
    recv = random_workday(rng)
    seq = rng.randrange(1, 400)
    code = "%s-%s-%04d" % (agency, recv.strftime("%y%m%d"), seq)
    assert DOSSIER_RE.match(code)
    proc, days, papers = rng.choice(PROCEDURES)
    due = add_working_days(recv, days)
    applicant, gender = person(rng)
    birth = rng.randrange(1955, 2006)
    cid = make_cccd(rng, pcode if rng.random() < 0.8 else rng.choice(PROVINCES)[1], gender, birth)
    officer, _ = person(rng)
    dist = rng.choice(districts)
    if rng.random() < 0.5:
        addr = "Thôn %d, xã %s, huyện %s, tỉnh %s" % (rng.randrange(1, 12), rng.choice(COMMUNES), dist, prov)
    else:
        addr = "Số %d, đường %s, thị trấn %s, huyện %s, tỉnh %s" % (
            rng.randrange(2, 300), rng.choice(STREETS), rng.choice(COMMUNES), dist, prov)
    phone = "0%d%02d %03d %03d" % (rng.choice([3, 7, 8, 9]), rng.randrange(100), rng.randrange(1000),
                                   rng.randrange(1000))          # 10 digits, e.g. 0912 345 678
    th, tm = rng.randrange(7, 11), rng.choice([0, 5, 10, 15, 20, 30, 40, 45, 50])
    dh = rng.choice([8, 9, 10, 14, 15, 16])
    lines = [
        ("%s tiếp nhận hồ sơ của:" % unit, "r", False),
        ("Ông/Bà: " + applicant, "r", False),
        ("Số CCCD: " + cid, "r", False),
        ("Địa chỉ: " + addr, "r", False),
        ("Số điện thoại: " + phone, "r", False),
        ("Nội dung yêu cầu giải quyết: " + proc, "r", False),
        ("1. Thành phần hồ sơ nộp gồm:", "r", False),
    ]
    for k, p in enumerate(papers):
        lines.append(("- " + p + (";" if k < len(papers) - 1 else "."), "r", True))
    lines += [
        ("2. Số lượng hồ sơ: 01 (bộ).", "r", False),
        ("3. Thời gian giải quyết hồ sơ theo quy định: %02d ngày làm việc." % days, "r", False),
        ("4. Thời gian nhận hồ sơ: %02d giờ %02d phút, %s." % (th, tm, vn_long_date(recv)), "r", False),
        ("5. Thời gian trả kết quả giải quyết hồ sơ: %02d giờ 00 phút, %s." % (dh, vn_long_date(due)),
         "r", False),
        ("6. Đăng ký nhận kết quả tại: %s." % unit, "r", False),
    ]
    if not small:
        lines.append(("Vào Sổ theo dõi hồ sơ, Quyển số: 01, Số thứ tự: %d." % seq, "r", False))
    qr_payload = "%s|%s" % (code, due.isoformat())
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0)
    q.add_data(qr_payload)
    q.make(fit=True)
    return {
        "kind": "receipt", "slug": "receipt-" + code.replace(".", ""), "parent_lines": parent,
        "issuer_lines": issuer_lines, "issuer_parent": " ".join(parent),
        "issuer": " ".join(issuer_lines), "place": place, "received": recv.isoformat(),
        "due": due.isoformat(), "date_line": vn_date(place, recv), "dossier_code": code,
        "citizen_id": cid, "applicant": applicant, "procedure": proc, "officer": officer,
        "lines": lines, "qr_payload": qr_payload, "qr_matrix": q.get_matrix(),
        "body_pt": 11.5 if small else 13, "page": "A5" if small else "A4", "pages": 1,
        "seal_text": None,
    }


def part_fields(p):
    f = dict.fromkeys(FIELD_KEYS)
    if p["kind"] == "document":
        f.update(type=p["type"], number=p["number"], issuer=p["issuer"],
                 issuer_parent=p["issuer_parent"], place=p["place"], date=p["date"],
                 subject=p["subject"], signer=p["signer"], signer_role=p["signer_role"])
    else:
        f.update(type=RECEIPT_TYPE, issuer=p["issuer"], issuer_parent=p["issuer_parent"],
                 place=p["place"], date=p["received"], signer=p["officer"],
                 signer_role="NGƯỜI TIẾP NHẬN HỒ SƠ", dossier_code=p["dossier_code"],
                 citizen_id=p["citizen_id"], applicant=p["applicant"], procedure=p["procedure"],
                 received=p["received"], due=p["due"])
    return f


# ---------------------------------------------------------------------------
# Rendering: ink layer per page, then stamp, signature and scanner degradation
# ---------------------------------------------------------------------------

class Ctx:
    def __init__(self, g):
        self.ink = Image.new("L", (g.W, g.H), 0)
        self.draw = ImageDraw.Draw(self.ink)
        self.marks = {}
        self.lines = []          # (top, bottom, x, text) of every text line drawn

    def reading_order(self):
        """Top to bottom; lines that share a row (two columns side by side) left to right.

        This is the order Tesseract's page layout gives for the NĐ 30 header, the number/date
        row and the footer, so a whole-page CER is not inflated by column order."""
        rows = []
        for top, bot, x, text in sorted(self.lines, key=lambda l: (l[0], l[2])):
            mid = (top + bot) / 2.0
            if rows and rows[-1][0] <= mid <= rows[-1][1]:
                rows[-1][2].append((x, text))
            else:
                rows.append([top, bot, [(x, text)]])
        return [t for _, _, row in rows for _, t in sorted(row)]


def render_part(part, dpi, rng):
    """Returns [(ink Image L, marks, texts)] for the part's pages."""
    page = part.get("page", "A4")
    if part["kind"] == "receipt":
        g = Geom(dpi, page, top=10 if page == "A5" else 15, bottom=10 if page == "A5" else 20,
                 left=16 if page == "A5" else 28, right=10 if page == "A5" else 20)
        F = Fonts(dpi)
        for _ in range(6):
            items = receipt_items(F, g, part)
            if sum(i.h for i in items) <= g.bottom - g.top:
                break
            part["body_pt"] -= 0.5
        pages = [[]]
        y = g.top
        for it in items:
            pages[0].append((y, it))
            y += it.h
    else:
        g = Geom(dpi, "A4", top=20, bottom=20, left=rng.choice([25, 28, 30]), right=20)
        F = Fonts(dpi)
        head, pars, footer = doc_items(F, g, part)
        pages, k = fit_body(F, g, head, pars, footer, part["pages"])
        part["body"] = part["body"][:k]
    out = []
    for pg in pages:
        ctx = Ctx(g)
        for y, it in pg:
            it.draw(ctx, y)
        out.append((ctx.ink, ctx.marks, ctx.reading_order()))
    return out


def seal_alpha(size, text, dpi, rng, star=True):
    """A round red stamp (alpha only): double ring, organ name around, star in the middle."""
    S = size
    img = Image.new("L", (S, S), 0)
    d = ImageDraw.Draw(img)
    c = S / 2.0
    w1 = max(2, int(S * 0.028))
    d.ellipse([w1, w1, S - w1, S - w1], outline=255, width=w1)
    r2 = S * 0.33
    d.ellipse([c - r2, c - r2, c + r2, c + r2], outline=255, width=max(1, w1 // 2))
    fpx = int(S * 0.085)
    font = ImageFont.truetype(os.path.join(FONT_DIR, FONT_FILES["sb"]), fpx)
    text = " %s * " % text
    rt = S * 0.41
    widths = [font.getlength(ch) for ch in text]
    total = sum(widths)
    circ = 2 * math.pi * rt
    scale = min(2.2, circ * 0.92 / total)        # spread short names round the ring
    theta = -(total * scale / rt) / 2.0      # text centred on the top of the ring
    for ch, wch in zip(text, widths):
        a = theta + (wch * scale / 2.0) / rt
        theta += wch * scale / rt
        if ch == " ":
            continue
        ci = Image.new("L", (fpx * 2, fpx * 2), 0)
        ImageDraw.Draw(ci).text((fpx, fpx), ch, font=font, fill=255, anchor="mm")
        ci = ci.rotate(-math.degrees(a), resample=Image.Resampling.BICUBIC)
        x = c + rt * math.sin(a) - fpx
        y = c - rt * math.cos(a) - fpx
        img.paste(255, (int(x), int(y)), ci)
    if star:
        pts = []
        R, r = S * 0.17, S * 0.07
        for k in range(10):
            ang = math.pi / 5 * k - math.pi / 2
            rr = R if k % 2 == 0 else r
            pts.append((c + rr * math.cos(ang), c + rr * math.sin(ang)))
        d.polygon(pts, fill=255)
    img = img.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC)
    a = np.asarray(img, dtype=np.float32) / 255.0
    # uneven stamp ink
    nr = np.random.default_rng(rng.randrange(1 << 30))
    lo = nr.random((8, 8)).astype(np.float32)
    lo = np.asarray(Image.fromarray((lo * 255).astype(np.uint8)).resize((S, S), Image.Resampling.BICUBIC),
                    dtype=np.float32) / 255.0
    a *= 0.55 + 0.45 * lo
    a *= (nr.random((S, S)) > 0.04)
    return np.clip(a, 0, 1)


def signature_alpha(w, h, dpi, rng):
    """A quick scribble (alpha only) inside a w x h box."""
    img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(img)
    width = max(2, int(dpi / 25.4 * 0.45))
    n = rng.randrange(5, 9)
    xs = np.linspace(w * 0.15, w * 0.8, n)
    pts = [(float(x + rng.uniform(-w * 0.04, w * 0.04)), float(h * rng.uniform(0.25, 0.8))) for x in xs]
    # Catmull-Rom through the points
    curve = []
    P = [pts[0]] + pts + [pts[-1]]
    for i in range(1, len(P) - 2):
        p0, p1, p2, p3 = P[i - 1], P[i], P[i + 1], P[i + 2]
        for t in np.linspace(0, 1, 16):
            t2, t3 = t * t, t * t * t
            x = 0.5 * ((2 * p1[0]) + (-p0[0] + p2[0]) * t + (2 * p0[0] - 5 * p1[0] + 4 * p2[0] - p3[0]) * t2
                       + (-p0[0] + 3 * p1[0] - 3 * p2[0] + p3[0]) * t3)
            y = 0.5 * ((2 * p1[1]) + (-p0[1] + p2[1]) * t + (2 * p0[1] - 5 * p1[1] + 4 * p2[1] - p3[1]) * t2
                       + (-p0[1] + 3 * p1[1] - 3 * p2[1] + p3[1]) * t3)
            curve.append((x, y))
    d.line(curve, fill=255, width=width, joint="curve")
    # a flourish underneath
    y0 = h * rng.uniform(0.7, 0.85)
    d.arc([w * 0.1, y0 - h * 0.2, w * 0.9, y0 + h * 0.1], 10, 170, fill=255, width=max(1, width - 1))
    return np.asarray(img.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32) / 255.0


def compose_page(ink, marks, spec, rng, part):
    """Ink + stamp + signature + scanner effects -> Image in 'L' or 'RGB'."""
    dpi = spec["dpi"]
    colour = spec["colour"] == "colour"
    a = np.asarray(ink, dtype=np.float32) / 255.0
    H, W = a.shape
    if colour:
        paper = np.array(spec["paper"], dtype=np.float32)
        inkc = np.array([28, 26, 32], dtype=np.float32)
        img = paper[None, None, :] * (1 - a[..., None]) + inkc[None, None, :] * a[..., None]
    else:
        img = spec["paper_grey"] * (1 - a) + 22.0 * a
    sig = marks.get("sig")
    for key in ("sig", "sig_applicant"):
        box = marks.get(key)
        if box and spec.get("signature"):
            x0, y0, x1, y1 = box
            bw, bh = int((x1 - x0) * 0.6), int(y1 - y0)
            sa = signature_alpha(bw, bh, dpi, rng)
            sx = int(x0 + (x1 - x0 - bw) / 2 + rng.uniform(-0.05, 0.05) * bw)
            _stamp(img, sa, sx, y0, (35, 55, 150) if colour else None, 0.9)
    if sig and spec.get("seal") and colour and part.get("seal_text"):
        x0, y0, x1, y1 = sig
        S = int(dpi / 25.4 * rng.uniform(34, 40))
        sa = seal_alpha(S, part["seal_text"], dpi, rng)
        cx = x0 + (x1 - x0) * rng.uniform(0.22, 0.36)
        cy = (y0 + y1) / 2 + rng.uniform(-0.1, 0.1) * S
        _stamp(img, sa, int(cx - S / 2), int(cy - S / 2), (205, 35, 45), 0.85)
    nr = np.random.default_rng(rng.randrange(1 << 30))
    if spec.get("shade"):
        yy = np.linspace(0, 1, H, dtype=np.float32)[:, None]
        xx = np.linspace(0, 1, W, dtype=np.float32)[None, :]
        sh = 1.0 - spec["shade"] * (0.6 * xx + 0.4 * yy)
        img = img * (sh[..., None] if colour else sh)
    img = np.clip(img, 0, 255).astype(np.uint8)
    im = Image.fromarray(img, "RGB" if colour else "L")
    blur = spec["blur"] * dpi / 300.0
    if blur > 0:
        im = im.filter(ImageFilter.GaussianBlur(blur))
    if spec["skew"]:
        fill = tuple(int(v) for v in spec["paper"]) if colour else int(spec["paper_grey"])
        im = im.rotate(spec["skew"], resample=Image.Resampling.BICUBIC, fillcolor=fill)
    arr = np.asarray(im).astype(np.float32)
    if spec["grain"] > 0:
        arr = arr + nr.normal(0, spec["grain"], arr.shape).astype(np.float32)
    # speckle: dark dots of 1-3 px
    n = int(H * W * spec["speckle"])
    if n:
        ys = nr.integers(0, H - 3, n)
        xs = nr.integers(0, W - 3, n)
        sz = nr.integers(1, max(2, int(3 * dpi / 300)) + 1, n)
        val = nr.uniform(20, 120, n)
        for yv, xv, s, v in zip(ys, xs, sz, val):
            arr[yv:yv + s, xv:xv + s] = np.minimum(arr[yv:yv + s, xv:xv + s], v)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB" if colour else "L")


def _stamp(img, alpha, x, y, colour, strength):
    """Multiply a coloured (or grey) ink layer into img at (x, y)."""
    H, W = img.shape[:2]
    h, w = alpha.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x] * strength
    if colour is None:
        img[y0:y1, x0:x1] *= (1 - a * (1 - 40 / 255.0))
    else:
        c = np.array(colour, dtype=np.float32) / 255.0
        img[y0:y1, x0:x1] *= (1 - a[..., None] * (1 - c[None, None, :]))


def to_bilevel(im, threshold):
    g = im.convert("L") if im.mode != "L" else im
    return g.point(lambda v: 255 if v > threshold else 0).convert("1", dither=Image.Dither.NONE)


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------

FORMATS = {
    # key: (extension, description)
    "g4": ("tif", "TIFF, CCITT Group 4, bilevel"),
    "lzw": ("tif", "TIFF, LZW"),
    "jpeg-tiff": ("tif", "TIFF, JPEG-compressed"),
    "grey16": ("tif", "TIFF, 16-bit greyscale, Deflate"),
    "palette": ("png", "PNG, 8-bit palette (colormapped)"),
    "palette-tiff": ("tif", "TIFF, 8-bit palette (colormapped), LZW"),
    "png": ("png", "PNG"),
    "jpeg": ("jpg", "JPEG (JFIF)"),
    "pgm": ("pgm", "PGM (binary P5), DPI in a header comment"),
    "multipage-g4": ("tif", "multi-page TIFF, Group 4"),
    "multipage-lzw": ("tif", "multi-page TIFF, LZW"),
}


def convert_for(fmt, im, spec):
    if fmt in ("g4", "multipage-g4"):
        return to_bilevel(im, spec["threshold"])
    if spec["colour"] == "bilevel":
        return to_bilevel(im, spec["threshold"])
    if fmt == "grey16":
        a = np.asarray(im.convert("L"), dtype=np.uint16) * 257
        return Image.fromarray(a, "I;16")
    if fmt in ("palette", "palette-tiff"):
        rgb = im.convert("RGB")
        return rgb.quantize(colors=spec.get("palette_colors", 32), method=Image.Quantize.MEDIANCUT,
                            dither=Image.Dither.NONE)
    if fmt == "pgm":
        return im.convert("L")
    if fmt == "jpeg-tiff" and im.mode == "RGB":
        return im.convert("YCbCr")
    return im


def write_pages(path, fmt, pages, dpi, spec):
    d = (dpi, dpi)
    if fmt in ("g4", "multipage-g4"):
        pages[0].save(path, format="TIFF", compression="group4", dpi=d, save_all=True,
                      append_images=pages[1:])
    elif fmt in ("lzw", "multipage-lzw", "palette-tiff"):
        pages[0].save(path, format="TIFF", compression="tiff_lzw", dpi=d, save_all=True,
                      append_images=pages[1:])
    elif fmt == "jpeg-tiff":
        pages[0].save(path, format="TIFF", compression="jpeg", quality=spec.get("quality", 80),
                      dpi=d, save_all=True, append_images=pages[1:])
    elif fmt == "grey16":
        pages[0].save(path, format="TIFF", compression="tiff_adobe_deflate", dpi=d,
                      save_all=True, append_images=pages[1:])
    elif fmt in ("png", "palette"):
        pages[0].save(path, format="PNG", dpi=d, optimize=True)
    elif fmt == "jpeg":
        pages[0].save(path, format="JPEG", quality=spec.get("quality", 80), dpi=d,
                      subsampling=2 if pages[0].mode == "RGB" else 0)
    elif fmt == "pgm":
        im = pages[0]
        with open(path, "wb") as fh:
            fh.write(b"P5\n# sohoa sample, dpi=%d\n%d %d\n255\n" % (dpi, im.width, im.height))
            fh.write(im.tobytes())
    else:
        raise ValueError(fmt)


# ---------------------------------------------------------------------------
# One sample = one file
# ---------------------------------------------------------------------------

def make_sample(outdir, name, parts, spec, rng):
    fmt = spec["fmt"]
    dpi = spec["dpi"]
    images, page_texts, part_info = [], [], []
    for part in parts:
        rendered = render_part(part, dpi, rng)
        first = len(images) + 1
        for ink, marks, texts in rendered:
            im = compose_page(ink, marks, spec, rng, part)
            images.append(convert_for(fmt, im, spec))
            page_texts.append("\n".join(texts))
        part_info.append({
            "kind": part["kind"], "first_page": first, "pages": len(rendered),
            "fields": part_fields(part),
            "number_line": ("Số: " + part["number"]) if part["kind"] == "document" else None,
            "date_line": part["date_line"],
            "qr": part.get("qr_payload"),
            "source": part.get("source"),
        })
    ext = FORMATS[fmt][0]
    fname = "%s.%s" % (name, ext)
    write_pages(os.path.join(outdir, fname), fmt, images, dpi, spec)
    p0 = part_info[0]
    rec = {
        "file": fname,
        "format": FORMATS[fmt][1],
        "dpi": dpi,
        "pages": len(images),
        "kind": p0["kind"],
        "colour": spec["colour"] if fmt not in ("g4", "multipage-g4") else "bilevel",
        "skew_deg": round(spec["skew"], 2),
        "fields": p0["fields"],
        "number_line": p0["number_line"],
        "date_line": p0["date_line"],
        "qr": p0["qr"],
        "seal": bool(spec.get("seal") and spec["colour"] == "colour"
                     and any(p.get("seal_text") for p in parts)),
        "source": p0["source"],
        "text": page_texts,
    }
    if len(part_info) > 1:
        rec["parts"] = part_info
    return rec


def warm_paper(rng):
    """Off-white paper: R >= G >= B, slightly yellow."""
    r = rng.randrange(244, 254)
    g = r - rng.randrange(0, 5)
    return (r, g, g - rng.randrange(4, 14))


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


# ---------------------------------------------------------------------------
# The committed small set and the random set
# ---------------------------------------------------------------------------

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


def corpus_by_slug(corpus, slug):
    return next(c for c in corpus if c["layout"]["slug"] == slug)


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
            parts = [invented_document(rng, corpus, 1)]
            t = parts[0]["type"]
            stem = "%s-%s" % (parts[0]["slug"], ascii_slug(t) if t else "congvan")
        name = "%03d-%s-%ddpi-%s" % (i + 1, stem, dpi, fmt)
        recs.append(make_sample(outdir, name, parts, spec, rng))
        print("  %s" % recs[-1]["file"], file=sys.stderr)
    return recs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--count", type=int, default=20, help="number of random files")
    ap.add_argument("--seed", type=int, default=2684, help="random seed (deterministic output)")
    ap.add_argument("--small", action="store_true", help="write the fixed committed sample set")
    ap.add_argument("--corpus", help="corpus directory (truth.jsonl + .txt files)")
    a = ap.parse_args()
    check_fonts()
    corpus = load_corpus(find_corpus(a.corpus))
    os.makedirs(a.out, exist_ok=True)
    if a.small:
        recs = small_set(a.out, corpus, a.seed)
    else:
        recs = random_set(a.out, corpus, a.seed, a.count)
    with open(os.path.join(a.out, "truth.jsonl"), "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print("wrote %d files and truth.jsonl to %s" % (len(recs), a.out), file=sys.stderr)


if __name__ == "__main__":
    main()
