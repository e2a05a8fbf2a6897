"""sohoa process on the committed samples and on bad input."""
import hashlib
import json
import os
import pty
import struct
import subprocess
import tempfile

from harness import ROOT, SOHOA, cer, main, sohoa, test

SAMPLES = os.path.join(ROOT, "samples")
TRUTH = [json.loads(line) for line in
         open(os.path.join(SAMPLES, "truth.jsonl"), encoding="utf-8") if line.strip()]
FIELDS = {"type", "number", "issuer", "issuer_parent", "place", "date", "subject", "signer",
          "signer_role", "dossier_code", "citizen_id", "tax_code", "applicant", "procedure",
          "received", "due"}
# Whole-page CER limits, set from measurement (vie+eng, Tesseract 5.3 on
# Debian 12, committed samples): clean 300 dpi pages 0.4-3.5%, the others
# 1.0-3.7%, mean 1.9%. A regression in decoding, resolution, segmentation
# or normalisation moves these well past the limits.
CER_CLEAN_300DPI = 0.05
CER_ANY = 0.08
CER_MEAN = 0.03
_results = {}


def process(path):
    """Runs `sohoa process --json` once per sample and keeps the result."""
    if path not in _results:
        code, out, err = sohoa("process", path, "--json")
        assert code == 0, f"{path}: exit {code}: {err}"
        lines = out.splitlines()
        assert len(lines) == 1, f"{path}: expected one JSON line, got {len(lines)}"
        _results[path] = json.loads(lines[0])
    return _results[path]


def is_clean(entry):
    """A 300 dpi page, nearly straight, without a seal over the text."""
    return entry["dpi"] == 300 and abs(entry["skew_deg"]) < 1 and not entry["seal"]


def sample_path(entry):
    return os.path.join("samples", entry["file"])


@test
def result_object_has_the_interface_shape():
    for entry in TRUTH:
        res = process(sample_path(entry))
        data = open(os.path.join(ROOT, sample_path(entry)), "rb").read()
        assert res["id"] == hashlib.sha256(data).hexdigest(), entry["file"]
        assert res["pages"] == entry["pages"], (entry["file"], res["pages"])
        assert FIELDS <= set(res["fields"]), set(res["fields"]) ^ FIELDS
        assert all(v is None or isinstance(v, str) for v in res["fields"].values())
        assert res["kind"] in ("document", "receipt", "form", "unknown"), res["kind"]
        assert set(res["confidence"]) == {k for k, v in res["fields"].items() if v is not None}
        assert isinstance(res["review"], bool) and isinstance(res["review_reasons"], list)
        # Not filed (--no-archive): no result code is reserved, nothing is signed.
        assert res["result_code"] is None and res["signed"] is False
        assert res["source"] == sample_path(entry)
        assert res["received_at"].endswith("+07:00")
        assert res["text"].count("\f") == entry["pages"] - 1, entry["file"]


@test
def number_and_date_lines_come_out_exactly_at_300dpi():
    checked = 0
    for entry in TRUTH:
        if entry["kind"] != "document" or entry["dpi"] != 300 or not entry.get("number_line"):
            continue
        text = process(sample_path(entry))["text"]
        for key in ("number_line", "date_line"):
            assert entry[key] in text, f"{entry['file']}: {entry[key]!r} not in OCR text"
        checked += 1
    assert checked >= 3, f"only {checked} 300 dpi documents in the sample set"


@test
def character_error_rate_is_within_limits():
    over = []
    rates = []
    for entry in TRUTH:
        pages = process(sample_path(entry))["text"].split("\f")
        rate = cer("\n".join(pages), "\n".join(entry["text"]))
        rates.append(rate)
        limit = CER_CLEAN_300DPI if is_clean(entry) else CER_ANY
        print(f"  CER {rate * 100:5.2f}%  (limit {limit * 100:.0f}%)  {entry['file']}")
        if rate > limit:
            over.append(f"{entry['file']}: CER {rate:.3f} over {limit}")
    mean = sum(rates) / len(rates)
    print(f"  CER {mean * 100:5.2f}%  mean over {len(rates)} samples (limit {CER_MEAN * 100:.0f}%)")
    assert not over, "; ".join(over)
    assert mean <= CER_MEAN, f"mean CER {mean:.3f} over {CER_MEAN}"


@test
def several_files_give_one_line_each():
    files = [sample_path(e) for e in TRUTH if e["pages"] == 1][:2]
    code, out, err = sohoa("process", "--json", *files)
    assert code == 0, err
    ids = [json.loads(line)["source"] for line in out.splitlines()]
    assert ids == files, ids


@test
def output_for_people_shows_the_text():
    entry = next(e for e in TRUTH if e.get("number_line"))
    code, out, _ = sohoa("process", sample_path(entry))
    assert code == 0 and out.startswith("== ") and entry["number_line"] in out


@test
def progress_shows_on_a_terminal_for_multipage_scans():
    entry = next(e for e in TRUTH if e["pages"] > 1)
    master, slave = pty.openpty()
    proc = subprocess.run([SOHOA, "process", "--json", sample_path(entry)], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=slave, timeout=600)
    os.close(slave)
    seen = b""
    try:
        while chunk := os.read(master, 4096):
            seen += chunk
    except OSError:  # EIO: the terminal's other end is closed
        pass
    os.close(master)
    assert proc.returncode == 0
    pages = entry["pages"]
    assert f"page {pages} of {pages}".encode() in seen, seen
    # and without a terminal, stderr stays quiet
    code, _, err = sohoa("process", "--json", sample_path(entry))
    assert code == 0 and err == "", err


def tiff_header_claiming(width, height):
    """A little-endian TIFF whose one IFD claims width x height, 1 bit, G4."""
    tags = [(256, 4, width), (257, 4, height), (258, 3, 1), (259, 3, 4), (262, 3, 0),
            (273, 4, 8), (278, 4, height), (279, 4, 4)]
    ifd = struct.pack("<H", len(tags))
    for tag, typ, value in tags:
        ifd += struct.pack("<HHII", tag, typ, 1, value)
    return b"II*\x00" + struct.pack("<I", 12) + b"\x00\x00\x00\x00" + ifd + b"\x00" * 4


def bad_inputs(tmp):
    g4 = next(e for e in TRUTH if e["file"].endswith(".tif"))
    whole = open(os.path.join(SAMPLES, g4["file"]), "rb").read()
    files = {
        "empty.tif": (b"", "empty"),
        "truncated.tif": (whole[: len(whole) // 2], "TIFF"),
        "notes.tif": ("Đây là văn bản, không phải ảnh.\n".encode(), "not a supported image"),
        "huge.tif": (tiff_header_claiming(100000, 100000), "over the limit"),
    }
    for name, (data, _) in files.items():
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(data)
    cases = [(os.path.join(tmp, n), why) for n, (_, why) in files.items()]
    cases.append((os.path.join(tmp, "missing.tif"), "cannot open"))
    cases.append((tmp, "not a regular file"))
    return cases


@test
def bad_input_gets_one_line_naming_file_and_reason():
    with tempfile.TemporaryDirectory() as tmp:
        for path, why in bad_inputs(tmp):
            code, out, err = sohoa("process", "--json", path)
            assert code == 1, f"{path}: exit {code} (want 1): {err}"
            lines = [l for l in err.splitlines() if l.strip()]
            assert len(lines) == 1, f"{path}: want one error line, got {lines}"
            assert path in lines[0] and why in lines[0], f"{path}: {lines[0]!r}"
            assert out == "", f"{path}: printed a result for bad input"


@test
def a_bad_file_does_not_stop_the_good_ones():
    good = sample_path(next(e for e in TRUTH if e["pages"] == 1))
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "empty.tif")
        open(bad, "wb").close()
        code, out, err = sohoa("process", "--json", bad, good)
        assert code == 1 and bad in err
        assert [json.loads(l)["source"] for l in out.splitlines()] == [good]


if __name__ == "__main__":
    main()
