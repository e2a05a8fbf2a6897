"""Fonts, page geometry, page items, paragraph layout and pagination of documents and receipts."""

import os
import re
import sys

import numpy as np
from PIL import Image, ImageFont

from .vocab import MOTTO_1, MOTTO_2, RECEIPT_TYPE


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


def check_fonts():
    """Fail early if the serif font cannot draw Vietnamese (fonts-liberation 1.x)."""
    f = ImageFont.truetype(os.path.join(FONT_DIR, FONT_FILES["r"]), 40)
    if bytes(f.getmask("ệ")) == bytes(f.getmask("\uffff")):
        sys.exit("generate.py: %s has no Vietnamese glyphs; install fonts-liberation2" % FONT_DIR)


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
    """Something placed in the page flow: height h and draw(ctx, y)."""
    h = 0

    def draw(self, ctx, y):
        pass


class Space(Item):
    def __init__(self, h):
        self.h = int(round(h))


class Line(Item):
    def __init__(self, words, text, h, baseline):
        self.words = words          # [(x, text, font)]
        self.text = text
        self.h = h
        self.baseline = baseline

    def draw(self, ctx, y):
        for x, w, font in self.words:
            ctx.draw.text((x, y + self.baseline), w, font=font, fill=255, anchor="ls")
        ctx.lines.append((y, y + self.h, self.words[0][0], self.text))


class Rule(Item):
    def __init__(self, x0, x1, thick, h):
        self.x0, self.x1, self.thick, self.h = int(x0), int(x1), max(1, int(round(thick))), int(h)

    def draw(self, ctx, y):
        ym = y + self.h // 2
        ctx.draw.rectangle([self.x0, ym, self.x1, ym + self.thick - 1], fill=255)


class Bitmap(Item):
    """A QR code (1 = dark module) scaled to whole pixels per module."""
    def __init__(self, x, matrix, module_px, pad):
        self.x, self.m, self.mod = int(x), matrix, int(module_px)
        self.pad = int(pad)
        self.h = len(matrix) * self.mod + 2 * self.pad

    def draw(self, ctx, y):
        arr = np.kron(np.array(self.m, dtype=np.uint8) * 255,
                      np.ones((self.mod, self.mod), dtype=np.uint8))
        ctx.ink.paste(Image.fromarray(arr, "L"), (self.x, y + self.pad))


class Marker(Item):
    """Empty space whose box is remembered (signature gap, for stamp and scribble)."""
    def __init__(self, name, x0, x1, h):
        self.name, self.x0, self.x1, self.h = name, int(x0), int(x1), int(h)

    def draw(self, ctx, y):
        ctx.marks[self.name] = (self.x0, y, self.x1, y + self.h)


class Columns(Item):
    """Side-by-side stacks (header, footer)."""
    def __init__(self, cols):
        self.cols = cols
        self.h = max(sum(i.h for i in c) for c in cols)

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


def paginate(F, g, head, pars, footer):
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


def fit_body(F, g, head, pars, footer, max_pages):
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
    items += layout_par(F, [("Mã hồ sơ: " + rc.get("printed_code", rc["dossier_code"]), "b")], bpt, g.x0, g.tw, "center")
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


def form_items(F, g, fm):
    """A citizen's application form (tờ khai, đơn): the national motto centred, the title, a
    subtitle, "Kính gửi:", labelled lines and sentences, then the place and date, the
    applicant's role, "(Ký, ghi rõ họ tên)", a signature gap and the name, bottom right."""
    bpt = fm["body_pt"]
    items = []
    if fm.get("form_no"):
        items += layout_par(F, [(fm["form_no"], "i")], 11, g.x0, g.tw, "right", spacing=1.1)
    items += layout_par(F, [(MOTTO_1, "b")], 13, g.x0, g.tw, "center", spacing=1.1)
    items += layout_par(F, [(MOTTO_2, "b")], 14, g.x0, g.tw, "center", spacing=1.15)
    m2 = F.get("b", 14).getlength(MOTTO_2)
    cx = g.x0 + g.tw / 2.0
    items.append(Rule(cx - m2 / 2, cx + m2 / 2, F.px(0.7), F.px(9)))
    items.append(Space(F.px(14)))
    items += layout_par(F, [(fm["type"], "b")], 15, g.x0 + g.tw * 0.05, g.tw * 0.9, "center",
                        spacing=1.15)
    if fm.get("subtitle"):
        items += layout_par(F, [(fm["subtitle"], "i")], 13, g.x0, g.tw, "center")
    items.append(Space(F.px(8)))
    items += layout_par(F, [("Kính gửi: " + fm["kinh_gui"], "r")], 14, g.x0 + g.tw * 0.08,
                        g.tw * 0.84, "center", spacing=1.15)
    items.append(Space(F.px(10)))
    ind = g.mm(10)
    for text, kind in fm["lines"]:
        if kind == "field":          # "Label: value", wrapped lines start at the margin
            items += layout_par(F, [(text, "r")], bpt, g.x0, g.tw, "left", 0, fm["spacing"])
        elif kind == "head":
            items += layout_par(F, [(text, "b")], bpt, g.x0, g.tw, "left", 0, fm["spacing"])
        else:                        # a sentence of the body
            items += layout_par(F, [(text, "r")], bpt, g.x0, g.tw, "justify", ind, fm["spacing"])
    items.append(Space(F.px(12)))
    sx = g.x0 + g.tw * 0.42
    sw = g.tw * 0.58
    right = layout_par(F, [(fm["date_line"], "i")], 13, sx, sw, "center", spacing=1.2)
    right += layout_par(F, [(fm["sign_role"], "b")], 13, sx, sw, "center", spacing=1.1)
    right += layout_par(F, [(fm["sign_note"], "i")], 12, sx, sw, "center", spacing=1.1)
    right.append(Marker("sig", sx, sx + sw, g.mm(20)))
    right += layout_par(F, [(fm["applicant"], "b")], 13, sx, sw, "center")
    items.append(Columns([[], right]))
    return items
