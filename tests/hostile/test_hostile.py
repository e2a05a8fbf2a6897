"""Hostile input, fed to the real daemon (`sohoa run`) through its drop folders:
bad and lying files, decompression and pixel bombs, PDF tricks, links and
special files, odd names, writers that race the intake, duplicates. Each kind
has one expected outcome, asserted: archived once (it is a good scan),
quarantined with a reason a person can read, or refused before intake (logged,
left where it is, never read). Throughout, the daemon keeps answering, the
contents of /etc/shadow never reach the spool, archive or quarantine, and no
process grows past RSS_BOUND."""
import json
import os
import re
import socket
import stat
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

from harness import main, sohoa, test  # noqa: E402
import signing_kit as kit  # noqa: E402
from daemon_kit import RunningDaemon  # noqa: E402
import craft  # noqa: E402

ASAN = "asan" in os.path.basename(os.environ.get("SOHOA", ""))
DEADLINE_S = int(os.environ.get("HOSTILE_DEADLINE", 900 if ASAN else 300))
# Per process. A worker holds one engine (~100 MiB) and one page: the largest
# page here is 256 Mpx of grey (~256 MiB a copy, at most three copies alive
# while it is decoded and measured). The supervisor never decodes (~20 MiB).
RSS_BOUND = int(1.5 * (1 << 30))
SHADOW = "/etc/shadow"

KINDS = []     # (kind, outcome), as each is checked


def kind(name, outcome):
    KINDS.append((name, outcome))


class Hostile(RunningDaemon):
    def setup(self):
        self.inbox = os.path.join(self.dir, "inbox")
        self.inbox2 = os.path.join(self.dir, "quay-2")
        os.makedirs(self.inbox2)
        with open(self.conf, encoding="utf-8") as f:
            text = f.read()
        with socket.socket() as s:  # a free port: other tests may hold 8443
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(re.sub(r"(?m)^listen = .*$", "listen = 127.0.0.1:%d" % port, text))

    def more_config(self):
        return "\n[watch quay-2]\npath = quay-2\n"

    def logbytes(self):
        with open(os.path.join(self.tmp, "daemon.log"), "rb") as f:
            return f.read()


class Memory(threading.Thread):
    """VmRSS and VmHWM of the supervisor, its workers and the API child."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.peak = {}          # "role pid" -> bytes (the larger of RSS and HWM seen)
        self.pids = {}
        self.answers = self.silences = 0   # status asked while the daemon runs
        self.done = threading.Event()

    def refresh(self):
        if self.d.proc is None:
            return
        st = self.d.status()
        if st is None:
            self.silences += 1
            return
        self.answers += 1
        for w in st.get("workers", []):
            self.pids[w["pid"]] = "worker"
        api = st.get("api") or {}
        if api.get("pid"):
            self.pids[api["pid"]] = "api"

    def sample(self):
        if self.d.proc is not None:
            self.pids[self.d.proc.pid] = "supervisor"
        for pid, role in list(self.pids.items()):
            try:
                with open("/proc/%d/status" % pid) as f:
                    text = f.read()
            except OSError:
                continue
            kb = [int(m) for m in re.findall(r"(?m)^Vm(?:RSS|HWM):\s+(\d+) kB", text)]
            key = "%s %d" % (role, pid)
            self.peak[key] = max([self.peak.get(key, 0)] + [k * 1024 for k in kb])

    def run(self):
        n = 0
        while not self.done.is_set():
            if n % 8 == 0:
                self.refresh()
            self.sample()
            n += 1
            self.done.wait(0.25)

    def worst(self, role):
        v = [b for k, b in self.peak.items() if k.startswith(role)]
        return max(v) if v else 0


# ---- what is dropped ---------------------------------------------------------

SHIFT = [100]


def good(d):
    """A new distinct good scan (bytes)."""
    SHIFT[0] += 7
    return open(kit.small_scan(os.path.join(d.tmp, "g.pgm"), shift=SHIFT[0]), "rb").read()


def put(folder, name, data, mtime=None):
    """Written outside, then renamed in: one event, settled at once."""
    tmp = os.path.join(os.path.dirname(folder.rstrip("/")), ".build")
    with open(tmp, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    dest = os.path.join(os.fsencode(folder), os.fsencode(name))
    os.rename(tmp, dest)
    return dest


# name, bytes (or a function of the good scan's bytes), the reason's pattern
QUARANTINED = [
    ("truncated TIFF", "cut.tif", lambda g: craft.sample("dongnai-5755-300dpi-g4.tif")[:30000],
     r"corrupt or truncated TIFF"),
    ("truncated PNG", "cut.png",
     lambda g: craft.sample("lamdong-kehoach-300dpi-bilevel.png")[:40000],
     r"corrupt or truncated PNG: the file ends before"),
    ("truncated JPEG", "cut.jpg",
     lambda g: craft.sample("kontum-congvan-200dpi-colour.jpg")[:150000],
     r"corrupt or truncated JPEG: the file ends before"),
    ("truncated PDF", "cut.pdf", lambda g: craft.pdf_scan(g)[:60000],
     r"corrupt or truncated PDF"),
    ("zero-byte file", "empty.tif", lambda g: b"", r"empty file \(0 bytes\)"),
    ("text file named .tif", "notes.tif",
     lambda g: b"Danh sach ho so tiep nhan ngay 12/3\nnot an image at all\n" * 20,
     r"not a supported image \(unrecognised format\)"),
    ("TIFF header of 100000 x 100000 px", "bomb.tif", lambda g: craft.tiff_pixel_bomb(),
     r"100000 x 100000 pixels \(10000 Mpx\), over the limit of 300 Mpx"),
    ("PNG header of 100000 x 100000 px", "bomb.png", lambda g: craft.png_pixel_bomb(),
     r"100000 x 100000 pixels \(10000 Mpx\), over the limit"),
    ("JPEG header of 65500 x 65500 px", "bomb.jpg", lambda g: craft.jpeg_pixel_bomb(),
     r"65500 x 65500 pixels .*over the limit"),
    ("PNM header of 100000 x 100000 px", "bomb.pgm", lambda g: craft.pnm_pixel_bomb(),
     r"100000 x 100000 pixels .*over the limit"),
    ("PNG whose IDAT inflates to 512 MiB", "idat.png", lambda g: craft.png_idat_bomb(),
     r"every page is blank"),
    ("blank PNG of 256 Mpx (within the limits)", "huge-blank.png",
     lambda g: craft.png_big_blank(16000), r"every page is blank"),
    ("TIFF of 10000 pages", "pages.tif", lambda g: craft.tiff_many_pages(10000),
     r"more than 1000 pages, over the limit of 1000"),
    ("TIFF whose page directories loop", "loop.tif", lambda g: craft.tiff_ifd_loop(),
     r"corrupt or truncated TIFF: the chain of page directories is broken or loops"),
    ("corrupt JPEG-in-TIFF (compression 7)", "jpeg7.tif", lambda g: craft.tiff_corrupt_jpeg(),
     r"corrupt or truncated TIFF: .*JPEG"),
    ("TIFF with 2000 strips past the end", "strips.tif", lambda g: craft.tiff_absurd_strips(),
     r"corrupt or truncated TIFF"),
    ("TIFF strip at offset 4 GiB", "offset.tif", lambda g: craft.tiff_strip_offset_absurd(),
     r"corrupt or truncated TIFF: the data of page 1 runs past the end of the file"),
    ("encrypted PDF", "locked.pdf", craft.pdf_encrypted,
     r"the PDF is encrypted; sohoa does not strip protection"),
    ("PDF with an image of 20000 x 20000 px", "imgbomb.pdf", lambda g: craft.pdf_image_bomb(),
     r"image of 20000 x 20000 pixels \(400 Mpx\), over the limit"),
    ("PDF page of 200 x 200 inches", "wide.pdf", lambda g: craft.pdf_huge_mediabox(),
     r"60000 x 60000 pixels .*over the limit"),
    ("PDF page tree that loops and claims 10^9 pages", "tree.pdf",
     lambda g: craft.pdf_page_count_lie(), r"the PDF has no pages"),
    ("GIF", "photo.gif", lambda g: b"GIF89a" + b"\0" * 200, r"GIF images are not supported"),
]

# Hostile but good scans: archived, once.
ARCHIVED = [
    ("PNG with a 64 MiB iCCP profile", "iccp.png", craft.png_huge_iccp),
    ("PDF with JavaScript (/OpenAction /JS)", "js.pdf", craft.pdf_javascript),
    ("PDF nested 200000 deep (arrays and dicts)", "deep.pdf", craft.pdf_deep_nesting),
    ("PDF whose contents inflate to 64 MiB of blanks", "flate.pdf",
     lambda g: craft.pdf_flate_bomb(g, 64)),
    ("PDF whose xref sections loop (/Prev)", "xref.pdf", craft.pdf_xref_loop),
    ("name with a newline", "new\nline.pgm", None),
    ("name with '..' inside", "a..b.pgm", None),
    ("name of 255 bytes (Vietnamese)", "\u1ec7" * 83 + ".pgm", None),
]


def quarantine_entries(d):
    """{basename (bytes): (quarantine.json, reason.txt)}."""
    out = {}
    qdir = os.path.join(d.dir, "quarantine")
    for name in os.listdir(qdir):
        jpath = os.path.join(qdir, name, "quarantine.json")
        if name.startswith(".") or not os.path.exists(jpath):
            continue
        with open(jpath, encoding="utf-8") as f:
            q = json.load(f)
        src = bytes.fromhex(q["source_hex"]) if "source_hex" in q else os.fsencode(q["source"])
        with open(os.path.join(qdir, name, "reason.txt"), "rb") as f:
            reason = f.read().decode("utf-8")  # must be UTF-8, whatever the name was
        out[os.path.basename(src)] = (q, reason)
    return out


def check_reason(q, text, pattern, what):
    assert re.search(pattern, q["reason"]), "%s: reason %r, expected /%s/" % (
        what, q["reason"], pattern)
    line = re.search(r"(?m)^Reason: (.+)$", text)
    assert line and re.search(pattern, line.group(1)), "%s: reason.txt:\n%s" % (what, text)
    # for a person: words, no escapes of a C string or JSON
    assert text.startswith("sohoa could not process this scan.") and \
        "What to do:" in text and "(null)" not in text and "\\u" not in text, text
    assert len(re.findall(r"[A-Za-z]{3,}", line.group(1))) >= 3, line.group(1)


def archived(d, sha):
    code, out, _ = sohoa("-c", d.conf, "show", "--json", sha)
    return json.loads(out) if code == 0 else None


def log_has(d, path, what):
    esc = re.sub(rb"[\x00-\x1f\x7f\\]", lambda m: b"\\x%02x" % m.group(0)[0], path)
    return esc + b": " + what in d.logbytes()


# ---- the run ----------------------------------------------------------------------

STATE = {}


def daemon():
    if "d" not in STATE:
        if os.environ.get("HOSTILE_KEEP"):
            STATE["kept"] = tempfile.mkdtemp()
        else:
            STATE["tmp"] = tempfile.TemporaryDirectory()
        d = Hostile(STATE.get("kept") or STATE["tmp"].name, stable_s=2)
        STATE["d"] = d
        STATE["mem"] = Memory(d)
        STATE["mem"].start()
        try:  # the tests run as root; a developer may not
            with open(SHADOW, "rb") as f:
                STATE["shadow"] = f.read()
        except OSError:
            STATE["shadow"] = b""
    return STATE["d"]


def shadow_lines():
    """The password lines of /etc/shadow that are worth looking for."""
    return [ln for ln in STATE["shadow"].splitlines() if len(ln) >= 12]


@test
def bad_files_bombs_and_pdf_tricks():
    d = daemon()
    want_q, want_a = {}, {}
    for what, name, make, pattern in QUARANTINED:
        put(d.inbox, name, make(good(d)))
        want_q[os.fsencode(name)] = (what, pattern)
    # a bad file under a name that is not UTF-8, and one dated in the future
    put(d.inbox, b"h\xf4ng-\xff\xfe.tif", b"II*\0garbage")
    want_q[b"h\xf4ng-\xff\xfe.tif"] = ("bad file named in invalid UTF-8",
                                       r"corrupt or truncated TIFF")
    put(d.inbox, "future.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
        mtime=time.time() + 10 * 365 * 86400)
    want_q[b"future.png"] = ("bad file dated ten years ahead", r"corrupt or truncated PNG")
    for what, name, make in ARCHIVED:
        g = good(d)
        data = make(g) if make else g
        put(d.inbox, name, data)
        want_a[craft.sha256(data)] = (what, os.fsencode(name))
    STATE["want_a"] = want_a

    def settled():
        got = quarantine_entries(d)
        return all(n in got for n in want_q) and all(archived(d, s) for s in want_a)
    d.until(settled, DEADLINE_S, "every bad file quarantined and every good one archived")
    got = quarantine_entries(d)
    for n, (what, pattern) in want_q.items():
        q, text = got[n]
        check_reason(q, text, pattern, what)
        # a file is opened in "decode", its pages decoded (and found blank) in "ocr"
        assert q["stage"] in ("decode", "ocr"), (what, q)
        assert not os.path.lexists(os.path.join(os.fsencode(d.inbox), n)), \
            "%s: still in the drop folder" % what
        kind(what, "quarantined: " + q["reason"])
    for sha, (what, name) in want_a.items():
        res = archived(d, sha)
        assert res["signed"] and res["pages"] == 1, (what, res)
        assert not os.path.lexists(os.path.join(os.fsencode(d.inbox), name)), what
        kind(what, "archived once, signed")
    # A name that is not UTF-8 is still a line of the recent scans (U+FFFD for the bytes).
    recent = d.status()["recent"]
    assert any(r["source"].endswith("h\ufffdng-\ufffd\ufffd.tif") and
               r["state"] == "quarantined" for r in recent), recent
    # One event, one log line: the newline in a name is escaped, never forged.
    log = d.logbytes()
    assert b"new\\x0aline.pgm: taken from quay-1" in log and b"new\nline" not in log
    # The JavaScript stays in the original (evidence) but not in the signed copy.
    js = [s for s, (w, _) in want_a.items() if "JavaScript" in w][0]
    pdf = os.path.join(d.tmp, "js-signed.pdf")
    assert sohoa("-c", d.conf, "get", js, "--pdf", "-o", pdf)[0] == 0
    body = open(pdf, "rb").read()
    assert b"/JavaScript" not in body and b"sohoa-hostile-js" not in body


@test
def links_special_files_and_odd_names_are_refused_before_intake():
    d = daemon()
    inbox = os.fsencode(d.inbox)
    outside = os.path.join(d.tmp, "outside")
    os.makedirs(outside)
    target = os.path.join(outside, "scan.pgm")
    with open(target, "wb") as f:
        f.write(good(d))
    old = time.time() - 3600
    os.utime(target, (old - 3600, old))  # atime < mtime: relatime would record a read
    before = os.stat(target)
    refused = {}

    def refuse(what, name, make, log):
        path = os.path.join(inbox, name)
        make(path)
        refused[path] = (what, log, os.lstat(path))

    refuse("symlink to /etc/shadow", b"shadow.tif", lambda p: os.symlink(SHADOW, p),
           b"a symbolic link, not taken")
    refuse("symlink to a folder", b"linkdir", lambda p: os.symlink(outside, p),
           b"a symbolic link, not taken")
    refuse("symlink to a good scan", b"linked.pgm", lambda p: os.symlink(target, p),
           b"a symbolic link, not taken")

    def hard(p):
        try:
            os.link(SHADOW, p)  # same filesystem as /etc here: the worst case
            STATE["hard_shadow"] = True
        except OSError:
            os.link(target, p)
    refuse("hard link to a file outside the folder", b"hard.tif", hard,
           b"a hard link to a file elsewhere, not taken (copy the scan in instead)")
    refuse("FIFO", b"fifo.tif", os.mkfifo, b"neither a regular file nor a folder, not taken")
    if os.geteuid() == 0:
        refuse("character device (/dev/zero's numbers)", b"zero.tif",
               lambda p: os.mknod(p, 0o600 | stat.S_IFCHR, os.makedev(1, 5)),
               b"neither a regular file nor a folder, not taken")
    socks = []

    def sock(p):
        s = socket.socket(socket.AF_UNIX)
        s.bind(p)
        socks.append(s)
    refuse("unix socket", b"sock.tif", sock, b"neither a regular file nor a folder, not taken")

    # A dot-file (and "..name") is never a scan: ignored, silently.
    hidden = put(d.inbox, "..hidden.pgm", good(d))
    # A dossier folder with a hostile name, and one with a page linked to /etc/shadow.
    dname = b"h\xe1\xbb\x93 s\xc6\xa1\n..\xff"
    stage = os.path.join(os.fsencode(d.tmp), b"dossier-a")
    os.makedirs(stage)
    for k in range(2):
        with open(os.path.join(stage, b"p%d.pgm" % k), "wb") as f:
            f.write(good(d))
    os.rename(stage, os.path.join(inbox, dname))
    stage = os.path.join(os.fsencode(d.tmp), b"dossier-b")
    os.makedirs(stage)
    with open(os.path.join(stage, b"p1.pgm"), "wb") as f:
        f.write(good(d))
    os.symlink(SHADOW, os.path.join(stage, b"p2.tif"))
    os.link(target, os.path.join(stage, b"p3.pgm"))
    os.rename(stage, os.path.join(inbox, b"dossier-link"))
    # A file that goes away before it has settled.
    vanish = os.path.join(inbox, b"vanish.pgm")
    with open(vanish, "wb") as f:
        f.write(good(d))
    time.sleep(0.05)
    os.unlink(vanish)

    def dossiers():
        code, out, _ = sohoa("-c", d.conf, "search", "--json")
        res = [json.loads(x) for x in out.splitlines()] if code == 0 else []
        return {os.path.basename(os.fsencode(r.get("source", ""))): r for r in res}
    lossy = dname.decode("utf-8", "replace").encode()  # "source" in a result is text
    d.until(lambda: all(log_has(d, p, w[1]) for p, w in refused.items()) and
            not os.path.lexists(os.path.join(inbox, b"dossier-link")) and
            not os.path.lexists(os.path.join(inbox, dname)), DEADLINE_S,
            "the refusals logged and both dossiers taken")
    time.sleep(3)  # a refused file would be taken within settle_ms + a step
    for path, (what, log, st) in refused.items():
        now = os.lstat(path)
        assert log_has(d, path, log), "%s: no log line %r" % (what, log)
        assert (now.st_ino, now.st_mode, now.st_size) == (st.st_ino, st.st_mode, st.st_size), \
            "%s: touched" % what
        assert path + b": taken from" not in d.logbytes(), "%s: taken" % what
        kind(what, "refused before intake, logged, left in place" +
             (" (it was /etc/shadow)" if b"hard" in path and STATE.get("hard_shadow") else ""))
    after = os.stat(target)
    assert after.st_atime_ns == before.st_atime_ns, "the links' target was read"
    assert os.path.exists(hidden) and b"..hidden.pgm: taken" not in d.logbytes()
    kind("'..name' (a dot-file)", "ignored, left in place")
    assert b"vanish.pgm: taken" not in d.logbytes() and \
        b"vanish.pgm" not in b"".join(quarantine_entries(d))
    kind("file removed before it settled", "not taken, nothing logged as lost")
    by_src = dossiers()
    hostile = by_src.get(lossy)
    assert hostile is not None and hostile["pages"] == 2, by_src.keys()
    kind("dossier folder named with a newline, '..' and invalid UTF-8", "archived, 2 pages")
    linked = by_src.get(b"dossier-link")
    assert linked is not None and linked["pages"] == 1, linked
    kind("dossier holding a symlink to /etc/shadow and a hard link",
         "archived with its one real page; links left out")
    for s in socks:
        s.close()


def wait_taken(d, path, seconds=60):
    key = path + b": taken from"
    d.until(lambda: key in d.logbytes(), seconds, "%r to be taken" % path)


@test
def writers_racing_the_intake():
    d = daemon()
    inbox = os.fsencode(d.inbox)
    # 1. Written in ten opens, half a second apart: taken early, does not decode,
    #    re-taken once still; archived once, never quarantined.
    slow = good(d)
    path = os.path.join(inbox, b"slow.pgm")
    step = len(slow) // 10 + 1
    for k in range(10):
        with open(path, "ab") as f:
            f.write(slow[k * step:(k + 1) * step])
        time.sleep(0.5)
    # 2. Renamed over while its job runs: both scans archived.
    a, b = good(d), good(d)
    rpath = put(d.inbox, "replaced.pgm", a)
    wait_taken(d, rpath)
    put(d.inbox, "replaced.pgm", b)
    # 3. Truncated after it was taken: the copy taken is archived; what is left in
    #    the folder is a different, broken file: quarantined.
    c = good(d)
    tpath = put(d.inbox, "truncated.pgm", c)
    wait_taken(d, tpath)
    with open(tpath, "r+b") as f:
        f.truncate(100)
    # 4. The same scan dropped into two folders at once: one result, one reuse.
    dup = good(d)
    put(d.inbox, "dup.pgm", dup)
    put(d.inbox2, "dup.pgm", dup)
    shas = {"slowly written file": slow, "file renamed over during intake (first)": a,
            "file renamed over during intake (second)": b,
            "file truncated during intake": c, "same scan in two folders at once": dup}
    shas = {w: craft.sha256(x) for w, x in shas.items()}
    d.until(lambda: all(archived(d, s) for s in shas.values()) and
            b"truncated.pgm" in quarantine_entries(d), DEADLINE_S,
            "the racing writers' scans")
    for what, sha in shas.items():
        kind(what, "archived once" + (
            "; the 100 bytes left in the folder quarantined" if "truncated" in what else ""))
    q, text = quarantine_entries(d)[b"truncated.pgm"]
    check_reason(q, text, r"corrupt or truncated", "leftover of a truncated file")
    assert b"slow.pgm" not in quarantine_entries(d), "the slow file was quarantined"
    d.until(lambda: os.listdir(d.inbox2) == [], 30, "quay-2 to be empty")
    st = d.stats()
    assert st["reuses"] == 1, st


@test
def still_up_bounded_and_nothing_leaked():
    d = daemon()
    mem = STATE["mem"]
    data = good(d)
    last = put(d.inbox, "last.pgm", data)
    d.until(lambda: archived(d, craft.sha256(data)), DEADLINE_S, "the last good scan")
    assert not os.path.lexists(last)
    st = d.status()
    assert st is not None and len(st["workers"]) == 2, st
    mem.sample()
    mem.done.set()
    mem.join()
    d.stop()
    for key, b in sorted(mem.peak.items()):
        assert b < RSS_BOUND, "%s reached %.0f MiB (bound %.0f MiB)" % (
            key, b / 2**20, RSS_BOUND / 2**20)
    secrets = shadow_lines()
    assert secrets or os.geteuid() != 0, "nothing in /etc/shadow to look for"
    leaks = []
    for sub in ("spool", "archive", "quarantine"):
        for root, _, files in os.walk(os.path.join(d.dir, sub)):
            for n in files:
                p = os.path.join(root, n)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                with open(p, "rb") as f:
                    data = f.read()
                leaks += [p for s in secrets if s in data]
    assert not leaks, "/etc/shadow's contents in %s" % leaks
    assert mem.answers >= 5 and mem.silences == 0, (mem.answers, mem.silences)
    kind("daemon under all of the above", "status answered %d times of %d, last scan archived"
         % (mem.answers, mem.answers + mem.silences))
    st = d.stats()
    print("hostile: %d kinds, each with its expected outcome; peak RSS: supervisor %.0f MiB, "
          "worker %.0f MiB, api %.0f MiB (bound %.0f MiB); %d results, %d reuse"
          % (len(KINDS), mem.worst("supervisor") / 2**20, mem.worst("worker") / 2**20,
             mem.worst("api") / 2**20, RSS_BOUND / 2**20, st["results"], st["reuses"]))
    for what, outcome in KINDS:
        print("  %-55s %s" % (what, outcome.replace("\n", " ")[:110]))
    assert len(KINDS) >= 30, len(KINDS)


def cleanup():
    d = STATE.get("d")
    if d is not None and d.proc is not None:
        d.kill()
    if "mem" in STATE:
        STATE["mem"].done.set()
    if "tmp" in STATE:
        STATE["tmp"].cleanup()
    if "kept" in STATE:
        print("kept", STATE["kept"])


if __name__ == "__main__":
    if os.environ.get("HOSTILE_ONLY"):  # while developing: HOSTILE_ONLY=writers,still
        import harness
        keep = os.environ["HOSTILE_ONLY"].split(",")
        harness._tests[:] = [t for t in harness._tests
                             if any(t.__name__.startswith(k) for k in keep)]
    try:
        main()
    finally:
        cleanup()
