"""Rendering: ink per page, seal, signature, scanner degradation, file formats and writing."""

import io
import math
import multiprocessing
import os
import struct
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from .content import part_fields
from .layout import (FONT_DIR, FONT_FILES, Fonts, Geom, doc_items, fit_body, form_items,
                     receipt_items)


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
    elif part["kind"] == "form":
        g = Geom(dpi, "A4", top=15, bottom=15, left=rng.choice([22, 25]), right=18)
        F = Fonts(dpi)
        for _ in range(8):
            items = form_items(F, g, part)
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


def seal_alpha(size, text, rng, star=True):
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
        inkc = np.array(spec.get("ink_rgb", (28, 26, 32)), dtype=np.float32)
        img = paper[None, None, :] * (1 - a[..., None]) + inkc[None, None, :] * a[..., None]
    else:
        img = spec["paper_grey"] * (1 - a) + spec.get("ink_grey", 22.0) * a
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
        sa = seal_alpha(S, part["seal_text"], rng)
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
        if spec.get("skew_fill") is not None:        # what the scanner shows around the sheet
            fill = spec["skew_fill"] if not colour else (spec["skew_fill"],) * 3
        # expand: a large skew keeps the page's corners (the scan area is bigger than the sheet)
        im = im.rotate(spec["skew"], resample=Image.Resampling.BICUBIC, fillcolor=fill,
                       expand=bool(spec.get("skew_expand")))
    arr = np.asarray(im).astype(np.float32)
    H, W = arr.shape[:2]
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


# ---- eval-set degradations (gen/evalset.py). Each is off unless the spec asks for it. ----

# Clockwise turn as the scan shows it -> Pillow's transpose (which turns counter-clockwise).
TURN_CW = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
           270: Image.Transpose.ROTATE_90}
PDF_DATE = time.strptime("2024-01-01", "%Y-%m-%d")
SEPARATOR_TINTS = [(200, 222, 240), (246, 214, 222), (214, 238, 212), (250, 238, 180)]


def punch_holes(ink, dpi, rng):
    """Two filing holes at the left edge (ISO 838: 6 mm wide, 80 mm apart, centres about 12 mm
    in), drawn into the ink layer: the scanner's dark lid shows through them."""
    mm = dpi / 25.4
    d = ImageDraw.Draw(ink)
    r = 3.0 * mm * rng.uniform(0.95, 1.05)
    cx = rng.uniform(10.5, 13.0) * mm
    cy = ink.height / 2.0 + rng.uniform(-6, 6) * mm
    for dy in (-40 * mm, 40 * mm):
        d.ellipse([cx - r, cy + dy - r, cx + r, cy + dy + r], fill=rng.randrange(215, 246))


def paper_mottle(im, rng, amp):
    """Light, low-frequency paper noise (fibres, uneven whiteness) of about +-amp levels."""
    nr = np.random.default_rng(rng.randrange(1 << 30))
    W, H = im.size
    lo = nr.normal(0, 1, (max(2, H // 48), max(2, W // 48))).astype(np.float32)
    m = np.asarray(Image.fromarray(lo, "F").resize((W, H), Image.Resampling.BICUBIC)) * amp
    arr = np.asarray(im).astype(np.float32)
    arr = arr + (m[..., None] if arr.ndim == 3 else m)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), im.mode)


def _yellowed(arr, dpi, rng):
    """Old paper: edges browner than the middle, and foxing (small brown spots)."""
    H, W = arr.shape[:2]
    colour = arr.ndim == 3
    yy = np.abs(np.linspace(-1, 1, H, dtype=np.float32))[:, None]
    xx = np.abs(np.linspace(-1, 1, W, dtype=np.float32))[None, :]
    edge = np.maximum(yy, xx) ** 6 * rng.uniform(0.08, 0.14)
    if colour:
        arr *= 1 - edge[..., None] * np.array([0.6, 0.8, 1.3], dtype=np.float32)
    else:
        arr *= 1 - edge
    mm = dpi / 25.4
    spots = Image.new("L", (W, H), 0)
    d = ImageDraw.Draw(spots)
    for _ in range(rng.randrange(12, 30)):
        r = rng.uniform(0.6, 3.0) * mm
        x, y = rng.uniform(0, W), rng.uniform(0, H)
        d.ellipse([x - r, y - r, x + r, y + r], fill=rng.randrange(40, 110))
    a = np.asarray(spots.filter(ImageFilter.GaussianBlur(mm)), dtype=np.float32) / 255.0
    if colour:
        arr *= 1 - a[..., None] * (1 - np.array([150, 105, 60], dtype=np.float32) / 255.0)
    else:
        arr *= 1 - a * (1 - 110 / 255.0)
    return arr


def _fax(arr, rng, nr):
    """A fax line: a few dirty scan lines, a few lost ones, pepper noise (before thresholding)."""
    H, W = arr.shape[:2]
    for _ in range(rng.randrange(2, 6)):
        y, x0 = rng.randrange(H), rng.randrange(W // 2)
        arr[y, x0:x0 + rng.randrange(W // 8, W // 2)] = rng.uniform(0, 60)
    for _ in range(rng.randrange(1, 3)):
        arr[rng.randrange(H), :] = 255
    n = int(H * W * 3e-4)
    arr[nr.integers(0, H, n), nr.integers(0, W, n)] = 0
    return arr


def _borders(arr, spec, rng, nr):
    """The scan area is larger than the sheet and the lid is black: dark bands round the page."""
    mm = spec["dpi"] / 25.4
    H, W = arr.shape[:2]
    left, top, right, bottom = (int(rng.uniform(lo, hi) * mm)
                                for lo, hi in ((3, 12), (2, 10), (0, 8), (4, 20)))
    dark = spec.get("skew_fill") or 25
    shape = (H + top + bottom, W + left + right) + arr.shape[2:]
    out = nr.normal(dark, 6, shape).astype(np.float32)         # sensor noise in the dark
    out[top:top + H, left:left + W] = arr
    return out


def finish_page(im, spec, rng):
    """Yellowing, fax line noise, black borders, then the quarter turn (spec "rotation",
    degrees clockwise as the scan shows it). Does nothing, and draws no random numbers, for
    the small and random sets."""
    if not any(spec.get(k) for k in ("yellowed", "fax", "borders", "rotation")):
        return im
    nr = np.random.default_rng(rng.randrange(1 << 30))
    arr = np.asarray(im).astype(np.float32)
    if spec.get("yellowed"):
        arr = _yellowed(arr, spec["dpi"], rng)
    if spec.get("fax"):
        arr = _fax(arr, rng, nr)
    if spec.get("borders"):
        arr = _borders(arr, spec, rng, nr)
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), im.mode)
    if spec.get("rotation"):
        im = im.transpose(TURN_CW[spec["rotation"]])
    return im


def blank_back(ink, spec, rng):
    """The back of a printed sheet (duplex scan): nothing printed, the front's text showing
    through mirrored and very faint (about 10 grey levels), paper noise and dust. The sheet's
    skew is mirrored too."""
    bleed = rng.uniform(0.025, 0.05)
    show = ImageOps.mirror(ink).filter(ImageFilter.GaussianBlur(1.5 * spec["dpi"] / 300.0))
    show = show.point(lambda v: int(v * bleed))
    back = dict(spec, skew=-spec["skew"], seal=False, signature=False)
    im = compose_page(show, {}, back, rng, {})
    return finish_page(paper_mottle(im, rng, 1.5), spec, rng)


def separator_sheet(size, spec, rng):
    """A blank sheet of pale coloured paper put between two documents of a batch."""
    tint = rng.choice(SEPARATOR_TINTS)
    grey = int(0.299 * tint[0] + 0.587 * tint[1] + 0.114 * tint[2])
    sheet = dict(spec, paper=tint, paper_grey=grey, skew=rng.uniform(-1.0, 1.0),
                 seal=False, signature=False)
    im = compose_page(Image.new("L", size, 0), {}, sheet, rng, {})
    return finish_page(paper_mottle(im, rng, 2.0), spec, rng)


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
    "fax-g3": ("tif", "TIFF, CCITT Group 3, bilevel (fax)"),
    "pdf": ("pdf", "PDF, image-only (Pillow): one image per page, G4 or JPEG"),
}


def convert_for(fmt, im, spec):
    if fmt in ("g4", "multipage-g4", "fax-g3"):
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
    if (spec.get("degradations") is not None or spec.get("field_truth")) and fmt != "pgm":
        # The eval set goes through memory, and the bytes of a TIFF that nothing points to
        # (libtiff's word-alignment pads, where Pillow leaves stray memory) are zeroed: the
        # files are then the same from run to run. The small and random sets keep the
        # direct write, which their committed bytes came from.
        buf = io.BytesIO()
        _write_pages(buf, fmt, pages, dpi, spec)
        data = buf.getvalue()
        with open(path, "wb") as fh:
            fh.write(zero_tiff_gaps(data) if FORMATS[fmt][0] == "tif" else data)
    else:
        _write_pages(path, fmt, pages, dpi, spec)


TIFF_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}


def zero_tiff_gaps(data):
    """Zeroes the bytes of a classic TIFF that nothing points to. libtiff skips a byte to
    word-align a directory, and Pillow's in-memory writer leaves stray memory there (seen
    in multi-page TIFFs), so the file would differ from run to run."""
    used = np.zeros(len(data), dtype=bool)
    used[:8] = True
    e = "<" if data[:2] == b"II" else ">"

    def values(typ, cnt, at):
        if TIFF_TYPE_SIZE[typ] * cnt > 4:
            at = struct.unpack_from(e + "I", data, at)[0]
        return struct.unpack_from(e + ("H" if typ == 3 else "I") * cnt, data, at)

    off = struct.unpack_from(e + "I", data, 4)[0]
    while off:
        n = struct.unpack_from(e + "H", data, off)[0]
        used[off:off + 6 + 12 * n] = True
        tags = {}
        for k in range(n):
            at = off + 2 + 12 * k
            tag, typ, cnt = struct.unpack_from(e + "HHI", data, at)
            size = TIFF_TYPE_SIZE.get(typ, 1) * cnt
            if size > 4:
                vo = struct.unpack_from(e + "I", data, at + 8)[0]
                used[vo:vo + size] = True
            tags[tag] = (typ, cnt, at + 8)
        for offsets, counts in ((273, 279), (324, 325)):      # strips, tiles
            if offsets in tags:
                for o, c in zip(values(*tags[offsets]), values(*tags[counts])):
                    used[o:o + c] = True
        off = struct.unpack_from(e + "I", data, off + 2 + 12 * n)[0]
    out = np.frombuffer(data, dtype=np.uint8).copy()
    out[~used] = 0
    return out.tobytes()


def _write_pages(path, fmt, pages, dpi, spec):
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
    elif fmt == "fax-g3":
        pages[0].save(path, format="TIFF", compression="group3", dpi=d, save_all=True,
                      append_images=pages[1:])
    elif fmt == "pdf":
        # Pillow writes image-only PDFs: CCITT G4 for 1-bit pages, JPEG (DCT) for the rest
        pages[0].save(path, format="PDF", resolution=float(dpi), save_all=True,
                      append_images=pages[1:], quality=spec.get("quality", 80),
                      creationDate=PDF_DATE, modDate=PDF_DATE)     # not today: deterministic
    elif fmt == "pgm":
        im = pages[0]
        with open(path, "wb") as fh:
            fh.write(b"P5\n# sohoa sample, dpi=%d\n%d %d\n255\n" % (dpi, im.width, im.height))
            fh.write(im.tobytes())
    else:
        raise ValueError(fmt)


def make_sample(outdir, name, parts, spec, rng):
    """Renders the parts into one file; returns its truth record.

    The eval-set options of the spec (separator, punch, duplex, and those of finish_page) are
    all off in the small and random sets, which stay byte-identical. spec "field_truth" (the
    field sets) gives every part the full field keys (tax_code, address) and a "review"."""
    full = bool(spec.get("field_truth"))
    fmt = spec["fmt"]
    dpi = spec["dpi"]
    images, page_texts, part_info, blanks = [], [], [], []

    def add(im, text):
        images.append(convert_for(fmt, im, spec))
        page_texts.append(text)
        if not text:
            blanks.append(len(images))

    for k, part in enumerate(parts):
        rendered = render_part(part, dpi, rng)
        if k > 0 and spec.get("separator"):
            add(separator_sheet(rendered[0][0].size, spec, rng), "")
        first = len(images) + 1
        for ink, marks, texts in rendered:
            if spec.get("punch"):
                punch_holes(ink, dpi, rng)
            im = compose_page(ink, marks, spec, rng, part)
            add(finish_page(im, spec, rng), "\n".join(texts))
            if spec.get("duplex"):
                add(blank_back(ink, spec, rng), "")
        part_info.append({
            "kind": part["kind"], "first_page": first, "pages": len(images) + 1 - first,
            "fields": part_fields(part, full),
            "number_line": ("Số: " + part["number"]) if part["kind"] == "document" else None,
            "date_line": part["date_line"],
            "qr": part.get("qr_payload"),
            "source": part.get("source"),
        })
        if full:
            part_info[-1]["review"] = bool(part.get("review"))
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
    }
    if spec.get("degradations") is not None:      # eval set only
        rec.update({
            "rotation": spec.get("rotation", 0),
            "blank_pages": blanks,
            "degradations": list(spec["degradations"]),
        })
    rec.update({
        "fields": p0["fields"],
    })
    if full:                  # the scan must be flagged when any of its parts must
        rec["review"] = any(p["review"] for p in part_info)
    rec.update({
        "number_line": p0["number_line"],
        "date_line": p0["date_line"],
        "qr": p0["qr"],
        "seal": bool(spec.get("seal") and spec["colour"] == "colour"
                     and any(p.get("seal_text") for p in parts)),
        "source": p0["source"],
        "text": page_texts,
    })
    if len(part_info) > 1:
        rec["parts"] = part_info
    return rec


def render_all(build, todo, jobs, init, initargs):
    """build(job) for each job of todo, in `jobs` forked processes (each set up by
    init(*initargs), as this one is); the records in todo's order."""
    init(*initargs)
    pool = None
    if jobs <= 1:
        out = map(build, todo)
    else:
        pool = multiprocessing.get_context("fork").Pool(jobs, init, initargs)
        out = pool.imap(build, todo)
    recs = []
    for r in out:
        recs.append(r)
        print("  %s" % r["file"], file=sys.stderr)
    if pool:
        pool.close()
        pool.join()
    return recs
