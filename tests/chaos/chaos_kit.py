"""What the chaos tests share: a daemon on three drop folders with its API on a
free port, distinct small scans, a fast status read, the processes of a
daemon, and the final checks (every scan archived once or quarantined, fsck
clean, signatures valid, spool, drop folders and archive temp files empty)."""
import contextlib
import hashlib
import json
import os
import socket
import sqlite3
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from harness import ROOT, sohoa  # noqa: E402, F401
import signing_kit as kit  # noqa: E402
from daemon_kit import RunningDaemon  # noqa: E402

FOLDERS = ("quay-1", "quay-2", "quay-3")


@contextlib.contextmanager
def temp_dir():
    """A temp dir, removed afterwards unless CHAOS_KEEP is set (then printed)."""
    if os.environ.get("CHAOS_KEEP"):
        tmp = tempfile.mkdtemp(prefix="sohoa-chaos-")
        print("chaos: keeping %s" % tmp, flush=True)
        yield tmp
    else:
        with tempfile.TemporaryDirectory(prefix="sohoa-chaos-") as tmp:
            yield tmp


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scan_bytes(tmp, shift):
    """A distinct small scan (signing_kit.small_scan, `shift` rows down)."""
    path = os.path.join(tmp, "gen-%d.pgm" % shift)
    kit.small_scan(path, shift=shift)
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return data


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class ChaosDaemon(RunningDaemon):
    """Three drop folders (quay-1 is `inbox`), the API on a free port."""

    def __init__(self, tmp, extra="", env=None, stable_s=2, paths=None, signer=None):
        self.paths, self.signer = paths or {}, signer or {}
        super().__init__(tmp, extra=extra, env=env, stable_s=stable_s)

    def setup(self):
        self.inbox = {"quay-1": os.path.join(self.dir, "inbox")}
        for name in FOLDERS[1:]:
            self.inbox[name] = os.path.join(self.dir, name)
            os.makedirs(self.inbox[name])
        with open(self.conf, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("listen = 127.0.0.1:8443", "listen = 127.0.0.1:%d" % free_port())
        for key, value in self.paths.items():  # [paths] moved elsewhere
            text = text.replace("%s = %s\n" % (key, key), "%s = %s\n" % (key, value))
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        if self.signer:
            kit.set_signer(self.conf, **self.signer)
        self.spool = self.paths.get("spool", self.spool)
        self.archive = self.paths.get("archive", os.path.join(self.dir, "archive"))
        self.quarantine = self.paths.get("quarantine", os.path.join(self.dir, "quarantine"))

    def more_config(self):
        return "".join("\n[watch %s]\npath = %s\noperator = %s\n" % (n, n, n)
                       for n in FOLDERS[1:])

    def fast_status(self):
        """The status JSON straight from the socket (no process started), or None."""
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(3)
                s.connect(os.path.join(self.spool, "sohoa.sock"))
                chunks = []
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
            return json.loads(b"".join(chunks))
        except (OSError, ValueError):
            return None

    def children(self):
        """{pid: start time} of the daemon's child processes."""
        return children_of(self.proc.pid) if self.proc else {}


def proc_stat(pid):
    """(state, ppid, start time) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            text = f.read().decode("ascii", "replace")
    except OSError:
        return None
    rest = text[text.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[19])


def children_of(ppid):
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st is not None and st[1] == ppid and st[0] != "Z":
                out[int(name)] = st[2]
    return out


def alive(pid, start):
    st = proc_stat(pid)
    return st is not None and st[2] == start and st[0] != "Z"


def wait_gone(procs, seconds=5):
    """The processes of `procs` ({pid: start}) still alive after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        left = {p: s for p, s in procs.items() if alive(p, s)}
        if not left:
            return {}
        time.sleep(0.05)
    return left


def processes_naming(text):
    """Pids whose command line names `text` (e.g. a config path)."""
    out = []
    needle = text.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        st = proc_stat(int(name))
        if needle in cmd and st is not None and st[0] != "Z":
            out.append(int(name))
    return out


def drop_leftovers(d):
    """Entries left in the drop folders (done/ is where originals may go)."""
    return [os.path.join(f, n) for f in d.inbox.values() for n in os.listdir(f) if n != "done"]


def spool_leftovers(d):
    out = []
    for sub in ("incoming", "queue"):
        path = os.path.join(d.spool, sub)
        out += [os.path.join(sub, n) for n in os.listdir(path)] if os.path.isdir(path) else []
    return out


def archive_leftovers(d):
    """Temp files of the blob store, and anything that is not the index or blobs."""
    inc = os.path.join(d.archive, "blobs", ".incoming")
    out = [os.path.join(inc, n) for n in os.listdir(inc)] if os.path.isdir(inc) else []
    allowed = {"blobs", "index.sqlite", "index.sqlite-wal", "index.sqlite-shm"}
    out += [n for n in os.listdir(d.archive) if n not in allowed]
    out += [os.path.join(d.quarantine, n) for n in os.listdir(d.quarantine)
            if n.startswith(".")] if os.path.isdir(d.quarantine) else []
    return out


def results(d):
    code, out, err = sohoa("-c", d.conf, "search", "--json", "--limit", "10000")
    assert code in (0, 1), err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def quarantined(d):
    """[(sha256 of the kept original, quarantine.json)] of every quarantined job."""
    out = []
    if not os.path.isdir(d.quarantine):
        return out
    for name in sorted(os.listdir(d.quarantine)):
        q = os.path.join(d.quarantine, name)
        if name.startswith(".") or not os.path.isdir(q):
            continue
        with open(os.path.join(q, "quarantine.json"), encoding="utf-8") as f:
            meta = json.load(f)
        kept = os.path.join(q, meta["kept"])
        with open(kept, "rb") as f:
            out.append((sha256(f.read()), meta))
    return out


def links_per_result(d):
    """{result id: times filed under a result code}: a scan filed twice shows here."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d.archive, "index.sqlite"),
                         uri=True)
    try:
        rows = db.execute("SELECT result_id, count(*) FROM links GROUP BY result_id").fetchall()
        intakes = db.execute("SELECT result_id, count(*) FROM intakes GROUP BY result_id")
        return dict(rows), dict(intakes.fetchall())
    finally:
        db.close()


def fsck_clean(d):
    code, out, err = sohoa("-c", d.conf, "fsck", "--json")
    report = json.loads(out) if out.strip() else {}
    assert code == 0 and report.get("clean") is True, "fsck: %s %s" % (out[:2000], err)
    assert report["audit"].get("ok") is True, report["audit"]
    return report


def verify_all(d, ids):
    """`sohoa verify ID` for each; the ids that fail."""
    bad = []
    for rid in ids:
        code, out, err = sohoa("-c", d.conf, "verify", rid)
        if code != 0:
            bad.append((rid, (out + err)[-500:]))
    return bad


def verify_independently(d, ids):
    """xmlsec1 and pdfsig on the files of `ids`; problems as text."""
    if not kit.have("xmlsec1", "pdfsig", "certutil"):
        return []
    ca = os.path.join(d.dir, "keys", "ca.pem")
    db = kit.nss_db(ca, os.path.join(d.tmp, "nss"))
    problems = []
    for rid in ids:
        xml, pdf = (os.path.join(d.tmp, "%s.%s" % (rid[:12], k)) for k in ("xml", "pdf"))
        for kind, path in (("--xml", xml), ("--pdf", pdf)):
            code, _, err = sohoa("-c", d.conf, "get", rid, kind, "-o", path)
            assert code == 0, err
        code, out = kit.run("xmlsec1", "--verify", "--trusted-pem", ca, xml, check=False)
        if code != 0 or "OK" not in out:
            problems.append("xmlsec1 %s: %s" % (rid[:12], out[-300:]))
        text = kit.pdfsig(pdf, db)
        if not kit.pdfsig_valid(text):
            problems.append("pdfsig %s: %s" % (rid[:12], text[-300:]))
    return problems
