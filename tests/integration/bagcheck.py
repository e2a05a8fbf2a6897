#!/usr/bin/python3
"""An independent BagIt 1.0 (RFC 8493) validator, Python standard library only.

It shares no code with sohoa, so a bag sohoa writes is checked by something
that did not write it.

    bagcheck.py BAG          exit 0 when the bag is valid, else 1 and the problems
    validate(path) -> list   the problems, empty when valid

Checks: bagit.txt content; every payload manifest (manifest-<alg>.txt) lists
every file under data/ and nothing else, with the right digests; Payload-Oxum
in bag-info.txt; every tag manifest's digests. Manifest paths are
percent-decoded (%0D, %0A, %25) and must stay inside the bag.
"""

import hashlib
import os
import re
import sys

ALGORITHMS = ("md5", "sha1", "sha256", "sha512")
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def _decode_path(encoded):
    """RFC 8493 2.1.3: only %0D, %0A and %25 are encoded; decode them in one pass."""
    table = {"%0D": "\r", "%0A": "\n", "%25": "%"}
    return re.sub(r"%(0[DdAa]|25)", lambda m: table[m.group(0).upper()], encoded)


def _digest(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_manifest(bag, name, problems):
    """{relative path: digest} from one manifest; problems noted on the way."""
    entries = {}
    with open(os.path.join(bag, name), "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{name}: not UTF-8")
        return entries
    for number, line in enumerate(text.split("\n"), 1):
        if line.endswith("\r"):
            line = line[:-1]
        if line == "":
            continue
        m = re.fullmatch(r"([0-9A-Fa-f]+)[ \t]+(.+)", line)
        if m is None:
            problems.append(f"{name}:{number}: not '<digest> <path>'")
            continue
        path = _decode_path(m.group(2))
        parts = path.split("/")
        if path.startswith("/") or ".." in parts or "." in parts or "" in parts:
            problems.append(f"{name}:{number}: path {path!r} leaves the bag or is not normal")
            continue
        if path in entries:
            problems.append(f"{name}:{number}: {path!r} listed twice")
        entries[path] = m.group(1).lower()
    return entries


def _payload_files(bag):
    found = set()
    data = os.path.join(bag, "data")
    for root, dirs, files in os.walk(data):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = os.path.join(root, name)
            found.add(os.path.relpath(full, bag).replace(os.sep, "/"))
    return found


def _check_digests(bag, name, algorithm, entries, problems):
    for path, want in sorted(entries.items()):
        full = os.path.join(bag, path)
        if not os.path.isfile(full) or os.path.islink(full):
            problems.append(f"{name}: {path!r} is listed but missing")
            continue
        got = _digest(full, algorithm)
        if got != want:
            problems.append(f"{name}: {path!r} has {algorithm} {got}, manifest says {want}")


def _check_bagit_txt(bag, problems):
    path = os.path.join(bag, "bagit.txt")
    if not os.path.isfile(path):
        problems.append("bagit.txt is missing")
        return
    with open(path, "rb") as f:
        content = f.read()
    if content.startswith(b"\xef\xbb\xbf"):
        problems.append("bagit.txt starts with a byte order mark")
    if content.replace(b"\r\n", b"\n") != BAGIT_TXT:
        problems.append(f"bagit.txt is {content!r}, expected {BAGIT_TXT!r}")


def _read_bag_info(bag, problems):
    """The bag-info.txt labels (continuation lines joined); {} if absent."""
    path = os.path.join(bag, "bag-info.txt")
    info = {}
    if not os.path.isfile(path):
        return info
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    label = None
    for number, line in enumerate(lines, 1):
        if line[:1] in (" ", "\t") and label is not None:
            info[label][-1] += " " + line.strip()
            continue
        if ":" not in line:
            problems.append(f"bag-info.txt:{number}: no 'Label: value'")
            continue
        label, value = line.split(":", 1)
        label = label.strip()
        info.setdefault(label, []).append(value.strip())
    return info


def _check_oxum(bag, info, payload, problems):
    oxums = info.get("Payload-Oxum", [])
    if not oxums:
        return
    m = re.fullmatch(r"(\d+)\.(\d+)", oxums[0])
    if m is None:
        problems.append(f"Payload-Oxum {oxums[0]!r} is not <bytes>.<count>")
        return
    size = sum(os.path.getsize(os.path.join(bag, p)) for p in payload)
    want = (int(m.group(1)), int(m.group(2)))
    if want != (size, len(payload)):
        problems.append(f"Payload-Oxum says {want[0]}.{want[1]}, "
                        f"the payload is {size}.{len(payload)}")


def _manifests(bag, prefix):
    names = []
    for alg in ALGORITHMS:
        name = f"{prefix}-{alg}.txt"
        if os.path.isfile(os.path.join(bag, name)):
            names.append((name, alg))
    return names


def _check_payload(bag, problems):
    payload = _payload_files(bag)
    manifests = _manifests(bag, "manifest")
    if not manifests:
        problems.append("no payload manifest (manifest-<algorithm>.txt)")
    for name, alg in manifests:
        entries = _read_manifest(bag, name, problems)
        for path in sorted(payload - set(entries)):
            problems.append(f"{name}: payload file {path!r} is not listed")
        for path in sorted(p for p in entries if not p.startswith("data/")):
            problems.append(f"{name}: {path!r} is not under data/")
        _check_digests(bag, name, alg, entries, problems)
    return payload


def _check_tags(bag, problems):
    for name, alg in _manifests(bag, "tagmanifest"):
        entries = _read_manifest(bag, name, problems)
        for path in entries:
            if path.startswith("data/") or path == name:
                problems.append(f"{name}: {path!r} is not a tag file it may list")
        _check_digests(bag, name, alg, entries, problems)


def validate(path):
    """The problems of the bag at path, as sentences; [] when it is valid."""
    problems = []
    if not os.path.isdir(path):
        return [f"{path} is not a directory"]
    if not os.path.isdir(os.path.join(path, "data")):
        return [f"{path} has no data/ directory"]
    _check_bagit_txt(path, problems)
    info = _read_bag_info(path, problems)
    payload = _check_payload(path, problems)
    _check_oxum(path, info, payload, problems)
    _check_tags(path, problems)
    return problems


def main(argv):
    if len(argv) != 2:
        print("usage: bagcheck.py BAG", file=sys.stderr)
        return 2
    problems = validate(argv[1])
    for p in problems:
        print(p)
    if not problems:
        print(f"{argv[1]}: valid BagIt 1.0 bag")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
