"""Hostile files made by hand (stdlib only: struct and zlib), for test_hostile.py.
Each function returns the bytes of one file. The good scan they start from is
signing_kit.small_scan (a grey PGM with real text)."""
import hashlib
import os
import re
import struct
import zlib

from harness import ROOT

SAMPLES = os.path.join(ROOT, "samples")


def sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


def pgm_parts(data):
    """(width, height, pixels) of a binary 8-bit PGM."""
    m = re.match(rb"P5\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s", data)
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end():m.end() + w * h]


# ---- TIFF ---------------------------------------------------------------------

SHORT, LONG = 3, 4


def ifd(entries, next_off):
    """A little-endian IFD; entries are (tag, type, count, value) with the value
    (or the offset of the values) fitting in 4 bytes."""
    out = struct.pack("<H", len(entries))
    for tag, typ, count, value in sorted(entries):
        if typ == SHORT and count == 1:
            out += struct.pack("<HHIHH", tag, typ, count, value, 0)
        else:
            out += struct.pack("<HHII", tag, typ, count, value)
    return out + struct.pack("<I", next_off)


def grey_entries(w, h, strip_off, strip_len, compression=1, photometric=1, bps=8):
    return [(256, LONG, 1, w), (257, LONG, 1, h), (258, SHORT, 1, bps),
            (259, SHORT, 1, compression), (262, SHORT, 1, photometric),
            (273, LONG, 1, strip_off), (277, SHORT, 1, 1), (278, LONG, 1, h),
            (279, LONG, 1, strip_len)]


IFD_SIZE = 2 + 9 * 12 + 4


def tiff_pixel_bomb():
    """A 100000 x 100000 grey page in 200 bytes: the header is all there is."""
    data = b"\0" * 16
    ifd_at = 8 + len(data)
    return b"II*\0" + struct.pack("<I", ifd_at) + data + \
        ifd(grey_entries(100000, 100000, 8, len(data)), 0)


def tiff_many_pages(n=10000):
    """n pages of 1 x 1 pixel sharing one byte of data: about 114 bytes a page."""
    first = 9
    out = bytearray(b"II*\0" + struct.pack("<I", first) + b"\xff")
    for k in range(n):
        at = first + k * IFD_SIZE
        nxt = at + IFD_SIZE if k + 1 < n else 0
        out += ifd(grey_entries(1, 1, 8, 1, photometric=0, bps=8), nxt)
    return bytes(out)


def tiff_ifd_loop():
    """Two small pages whose directories point at each other."""
    w, h = 8, 8
    px = b"\x80" * (w * h)
    a = 8 + len(px)
    b = a + IFD_SIZE
    return b"II*\0" + struct.pack("<I", a) + px + \
        ifd(grey_entries(w, h, 8, len(px)), b) + ifd(grey_entries(w, h, 8, len(px)), a)


def tiff_absurd_strips():
    """A 2000 x 2000 page with 2000 strips whose offset and count arrays claim
    to lie far beyond the end of a 300-byte file."""
    e = [(256, LONG, 1, 2000), (257, LONG, 1, 2000), (258, SHORT, 1, 8),
         (259, SHORT, 1, 1), (262, SHORT, 1, 1), (273, LONG, 2000, 0x7ffffff0),
         (277, SHORT, 1, 1), (278, LONG, 1, 1), (279, LONG, 2000, 0xfffffff0)]
    return b"II*\0" + struct.pack("<I", 8) + ifd(e, 0) + b"\0" * 64


def tiff_strip_offset_absurd():
    """One strip at offset 4 GB - 16, of 4 GB - 16 bytes, in a 200-byte file."""
    return b"II*\0" + struct.pack("<I", 8) + \
        ifd(grey_entries(1000, 1000, 0xfffffff0, 0xfffffff0), 0) + b"\0" * 32


def tiff_entries(data):
    """{tag: (type, count, value-or-offset)} of the first IFD of a little-endian TIFF."""
    assert data[:4] == b"II*\0"
    at = struct.unpack_from("<I", data, 4)[0]
    n = struct.unpack_from("<H", data, at)[0]
    out = {}
    for k in range(n):
        tag, typ, count, value = struct.unpack_from("<HHII", data, at + 2 + 12 * k)
        if typ == SHORT and count == 1:
            value &= 0xffff
        out[tag] = (typ, count, value)
    return out


def tiff_array(data, entry):
    typ, count, value = entry
    if count == 1:
        return [value]
    fmt = "<%d%s" % (count, "H" if typ == SHORT else "I")
    return list(struct.unpack_from(fmt, data, value))


def tiff_corrupt_jpeg():
    """The JPEG-in-TIFF sample (compression 7) with the middle of every strip's
    entropy-coded data overwritten: markers intact, Huffman codes wrong."""
    data = bytearray(sample("nghean-thongbao-200dpi-jpegtiff.tif"))
    e = tiff_entries(bytes(data))
    assert e[259][2] == 7, "the sample is no longer JPEG-in-TIFF"
    offs = tiff_array(data, e.get(273) or e[324])
    lens = tiff_array(data, e.get(279) or e[325])
    for off, n in zip(offs, lens):
        for k in range(off + n // 4, off + 3 * n // 4, 7):
            data[k] = 0xa5 if data[k] != 0xff and data[k - 1] != 0xff else data[k]
    return bytes(data)


# ---- PNG -----------------------------------------------------------------------

def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + \
        struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)


def png(w, h, idat, colour=0, depth=8, extra=b""):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", idat) + \
        chunk(b"IEND", b"")


def deflate_zeros(n, level=9):
    """zlib stream of n zero bytes, made a MiB at a time."""
    c = zlib.compressobj(level)
    mb = b"\0" * (1 << 20)
    out = [c.compress(mb) for _ in range(n >> 20)]
    out.append(c.compress(b"\0" * (n & ((1 << 20) - 1))))
    out.append(c.flush())
    return b"".join(out)


def png_of_pgm(pgm, extra=b""):
    """The grey scan as a PNG (filter 0 on every row), with a pHYs of 200 dpi."""
    w, h, px = pgm_parts(pgm)
    rows = b"".join(b"\0" + px[y * w:(y + 1) * w] for y in range(h))
    phys = chunk(b"pHYs", struct.pack(">IIB", 7874, 7874, 1))
    return png(w, h, zlib.compress(rows, 6), extra=phys + extra)


def png_pixel_bomb():
    """100000 x 100000 grey in a few hundred bytes."""
    return png(100000, 100000, zlib.compress(b"\0" * 1001))


def png_idat_bomb():
    """A 64 x 64 grey image whose IDAT inflates to 512 MiB: 500 KiB on disk."""
    return png(64, 64, deflate_zeros(512 << 20))


def png_big_blank(side=16000):
    """A page within the limits (256 Mpx at 16000), all white: 250 KiB on disk."""
    c = zlib.compressobj(9)
    row = b"\0" + b"\xff" * side
    body = b"".join(c.compress(row) for _ in range(side)) + c.flush()
    return png(side, side, body)


def png_huge_iccp(pgm):
    """The good scan with an iCCP chunk whose profile says, and inflates to, 64 MiB."""
    n = 64 << 20
    c = zlib.compressobj(9)
    prof = c.compress(struct.pack(">I", n) + b"\0" * ((1 << 20) - 4)) + \
        b"".join(c.compress(b"\0" * (1 << 20)) for _ in range(63)) + c.flush()
    return png_of_pgm(pgm, extra=chunk(b"iCCP", b"sRGB-ish\0\0" + prof))


# ---- JPEG, PNM -------------------------------------------------------------------

def jpeg_pixel_bomb():
    """SOF0 claiming 65500 x 65500, one component; tables and scan too small to matter."""
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\0" + bytes(range(1, 65))
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 65500, 65500, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + dqt + sof + sos + b"\x12\x34" * 32 + b"\xff\xd9"


def pnm_pixel_bomb():
    return b"P5\n100000 100000\n255\n" + b"\0" * 64


# ---- PDF -------------------------------------------------------------------------

def pdf(objects, trailer=b"", root=1):
    """objects: the bodies of objects 1..n. A classic xref at the end."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for k, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, trailer, xref)
    return bytes(out)


def stream(dict_body, data):
    return b"<< %s /Length %d >>\nstream\n" % (dict_body, len(data)) + data + \
        b"\nendstream"


def pdf_scan(pgm, catalog_extra=b"", page_extra=b"", more=(), contents=None):
    """A one-page PDF holding the grey scan at 200 dpi, as a scanner writes it.
    Objects: 1 catalog, 2 pages, 3 page, 4 image, 5 contents, 6.. `more`."""
    w, h, px = pgm_parts(pgm)
    pw, ph = w * 72 / 200, h * 72 / 200
    img = stream(b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                 b"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode" % (w, h),
                 zlib.compress(px, 6))
    draw = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (pw, ph)
    objs = [b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources "
            b"<< /XObject << /Im0 4 0 R >> >> /Contents 5 0 R %s>>" % (pw, ph, page_extra),
            img, contents if contents is not None else stream(b"", draw)]
    return pdf(objs + list(more))


def pdf_javascript(pgm):
    """A good scan whose catalog runs JavaScript on opening and names a JS tree."""
    js = b"<< /S /JavaScript /JS (app.alert\\('sohoa-hostile-js'\\); this.submitForm\\(" \
         b"'http://127.0.0.1:9/x'\\);) >>"
    return pdf_scan(pgm, catalog_extra=b"/OpenAction 6 0 R /AA << /WC 6 0 R >> ",
                    more=[js])


def pdf_encrypted(pgm):
    """Standard security handler, revision 2, with a user password we do not give:
    /U does not match the empty password."""
    doc = pdf_scan(pgm)
    enc = b"/Encrypt << /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -44 >> " \
          b"/ID [<%s> <%s>] " % (b"11" * 32, b"22" * 32, b"33" * 16, b"33" * 16)
    return doc.replace(b"trailer\n<< ", b"trailer\n<< " + enc, 1)


def pdf_deep_nesting(pgm, depth=200000):
    """The page carries an array nested 200000 deep, and a dictionary as deep."""
    arr = b"[" * depth + b"]" * depth
    dic = b"<< /A " * depth + b"null" + b" >>" * depth
    return pdf_scan(pgm, page_extra=b"/Junk 6 0 R /Junk2 7 0 R ", more=[arr, dic])


def pdf_flate_bomb(pgm, mib=512):
    """The page's contents: the scan drawn, then mib MiB of blanks, Flate-compressed
    about 1000:1."""
    w, h, _ = pgm_parts(pgm)
    draw = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q\n" % (w * 72 / 200, h * 72 / 200)
    c = zlib.compressobj(9)
    blank = b" " * (1 << 20)
    body = c.compress(draw) + b"".join(c.compress(blank) for _ in range(mib)) + c.flush()
    return pdf_scan(pgm, contents=stream(b"/Filter /FlateDecode", body))


def pdf_image_bomb():
    """A page holding a 20000 x 20000 image (400 Mpx), 400 KiB of Flate on disk."""
    img = stream(b"/Type /XObject /Subtype /Image /Width 20000 /Height 20000 /ColorSpace "
                 b"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                 deflate_zeros(20000 * 20000))
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
                b"<< /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
                img, stream(b"", b"q 595 0 0 842 0 0 cm /Im0 Do Q")])


def pdf_xref_loop(pgm):
    """Two xref sections whose /Prev point at each other."""
    doc = pdf_scan(pgm)
    xref = int(doc.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    # a second, empty section after the first, each /Prev to the other
    doc = doc.replace(b"trailer\n<< ", b"trailer\n<< /Prev %010d " % 0, 1)
    second = len(doc)  # the replacement above kept its width: offsets hold
    doc = doc.replace(b"/Prev %010d " % 0, b"/Prev %010d " % second, 1)
    return doc + b"xref\n0 0\ntrailer\n<< /Size 6 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n" \
        b"%%%%EOF\n" % (xref, second)


def pdf_page_count_lie():
    """A page tree that claims a billion pages and holds one, which points back up."""
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 1000000000 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"])


def pdf_huge_mediabox():
    """A page 14400 pt square (200 inches): 60000 px a side at 300 dpi."""
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R >>",
                stream(b"", b"BT /F1 12 Tf 72 72 Td (x) Tj ET")])


def sha256(data):
    return hashlib.sha256(data).hexdigest()
