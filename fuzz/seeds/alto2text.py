#!/usr/bin/env python3
"""Seeds for fuzz_extract from real OCR: an ALTO file (a result's "alto" blob)
in fuzz_extract's text layout (fuzz/fuzz_extract.c): pages split by form
feeds, each Tesseract line as "@X,Y,W,H word  word", coordinates scaled to a
2480-pixel-wide page, gaps as runs of spaces a character wide.
Usage: alto2text.py ALTO [QR-PAYLOAD] > seed.txt"""
import sys
import xml.etree.ElementTree as ET

PAGE_W = 2480


def local(tag):
    return tag.rsplit("}", 1)[-1]


def page_text(page):
    scale = PAGE_W / float(page.get("WIDTH") or PAGE_W)
    out = []
    for line in page.iter():
        if local(line.tag) != "TextLine":
            continue
        words = [s for s in line if local(s.tag) == "String"]
        if not words:
            continue
        box = [(int(int(w.get("HPOS")) * scale), int(int(w.get("WIDTH")) * scale),
                w.get("CONTENT")) for w in words]
        x0 = box[0][0]
        y0 = int(int(words[0].get("VPOS")) * scale)
        h = int(int(line.get("HEIGHT")) * scale)
        chars = sum(len(t) for _, _, t in box)
        cw = max(4, sum(wd for _, wd, _ in box) / max(1, chars))
        text = box[0][2]
        for (px, pw, _), (x, _, t) in zip(box, box[1:]):
            text += " " * max(1, round((x - px - pw) / cw)) + t
        width = box[-1][0] + box[-1][1] - x0
        text = "@%d,%d,%d,%d %s" % (x0, y0, width, h, text)
        out.append(text)
    return "\n".join(out)


def main():
    root = ET.parse(sys.argv[1]).getroot()
    pages = [page_text(p) for p in root.iter() if local(p.tag) == "Page"]
    if len(sys.argv) > 2:
        pages[0] = "QR:" + sys.argv[2] + "\n" + pages[0]
    sys.stdout.write("\f".join(pages) + "\n")


main()
