"""The archive through the real command: filing, lookup, reuse, fsck, export."""
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

from harness import ROOT, main, sohoa, test

SAMPLE = "samples/hungyen-2684-300dpi-g4.tif"
OTHER = "samples/gialai-949-300dpi-g4.tif"
BAGCHECK = os.path.join(ROOT, "tests", "integration", "bagcheck.py")


class Setup:
    """A setup made by `sohoa init` with SAMPLE filed once."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "s")
        code, _, err = sohoa("init", self.dir)
        assert code == 0, err
        self.conf = os.path.join(self.dir, "sohoa.conf")
        self.archive = os.path.join(self.dir, "archive")
        self.first = self.run_json("process", "--json", SAMPLE)

    def run(self, *args):
        return sohoa("-c", self.conf, *args)

    def run_json(self, *args):
        code, out, err = self.run(*args)
        assert code == 0, f"{args}: exit {code}: {err}"
        return json.loads(out)

    def blob(self, relpath):
        return os.path.join(self.archive, relpath)


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@test
def process_files_the_scan_and_show_finds_it():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        res = s.first
        assert res["id"] == sha256(os.path.join(ROOT, SAMPLE))
        rel = res["files"]["original"]
        assert rel == f"blobs/{res['id'][:2]}/{res['id'][2:4]}/{res['id']}", rel
        blob = s.blob(rel)
        assert sha256(blob) == res["id"] and (os.stat(blob).st_mode & 0o777) == 0o440
        shown = s.run_json("show", "--json", res["id"])
        assert shown["id"] == res["id"] and "Số: 2684/QĐ-UBND" in shown["text"]
        code, out, _ = s.run("show", res["id"])
        assert code == 0 and res["id"] in out
        code, _, err = s.run("show", "0" * 64)
        assert code == 1 and "no result" in err, (code, err)


@test
def no_archive_files_nothing():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        code, out, _ = s.run("process", "--json", "--no-archive", OTHER)
        assert code == 0 and json.loads(out)["files"]["original"] is None
        code, _, _ = s.run("show", json.loads(out)["id"])
        assert code == 1


@test
def full_text_search_with_and_without_diacritics():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        s.run_json("process", "--json", OTHER)
        code, out, err = s.run("search", "--json", "--text", "kiểm soát thủ tục")
        ids = [json.loads(l)["id"] for l in out.splitlines()]
        assert code == 0 and s.first["id"] in ids, (code, err)
        code, out, _ = s.run("search", "--json", "--text", "kiem soat thu tuc", "--fold")
        assert code == 0 and s.first["id"] in [json.loads(l)["id"] for l in out.splitlines()]
        code, out, _ = s.run("search", "--json", "--text", "kiem soat thu tuc")
        assert code == 1 and out == "", "folded words matched without --fold"
        code, out, _ = s.run("search", "--json", "--text", "2684/QĐ-UBND \"")
        assert code == 0 and len(out.splitlines()) == 1, out
        code, _, err = s.run("search", "--from", "2024-13-45")
        assert code == 2 and "2024-13-45" in err, (code, err)


@test
def get_gives_back_the_exact_original():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        out = os.path.join(tmp, "copy.tif")
        code, _, err = s.run("get", s.first["id"], "--original", "-o", out)
        assert code == 0, err
        assert open(out, "rb").read() == open(os.path.join(ROOT, SAMPLE), "rb").read()
        for flag, head in (("--pdf", b"%PDF-"), ("--xml", b"<?xml")):
            code, _, err = s.run("get", s.first["id"], flag, "-o", out)
            assert code == 0 and open(out, "rb").read(5) == head, (flag, code, err)


@test
def the_same_scan_twice_is_one_result_reused():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        again = s.run_json("process", "--json", SAMPLE)
        assert again["id"] == s.first["id"] and again["reused"] is True
        # the second run's PDF, XML and ALTO are not filed: none left as an orphan
        assert s.run_json("fsck", "--json")["clean"] is True
        stats = s.run_json("stats", "--json")
        assert stats["results"] == 1 and stats["commits"] == 2 and stats["reuses"] == 1
        assert abs(stats["reuse_rate"] - 0.5) < 1e-9, stats
        code, out, _ = s.run("stats")
        assert code == 0 and "reuse rate 50.0%" in out, out


@test
def fsck_is_clean_then_catches_each_kind_of_damage():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        s.run_json("process", "--json", OTHER)
        assert s.run_json("fsck", "--json")["clean"] is True
        blob = s.blob(s.first["files"]["original"])
        os.chmod(blob, 0o640)
        data = bytearray(open(blob, "rb").read())
        data[len(data) // 2] ^= 0xFF
        open(blob, "wb").write(data)
        stray = os.path.join(s.archive, "blobs", "stray.txt")
        open(stray, "w").write("not a blob")
        code, out, _ = s.run("fsck", "--json")
        rep = json.loads(out)
        assert code == 1 and rep["clean"] is False
        assert [c["result"] for c in rep["changed"]] == [s.first["id"]], rep
        assert any(x["path"].endswith("stray.txt") for x in rep["extra"]), rep
        os.unlink(blob)
        rep = json.loads(s.run("fsck", "--json")[1])
        assert [m["result"] for m in rep["missing"]] == [s.first["id"]], rep
        code, out, _ = s.run("fsck", "--repair")
        assert code == 1 and "removed" in out and not os.path.exists(stray), out


@test
def fsck_reports_and_repairs_what_an_interrupted_write_left():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        incoming = os.path.join(s.archive, "blobs", ".incoming")
        os.makedirs(incoming, exist_ok=True)
        stale, fresh = os.path.join(incoming, "put-old"), os.path.join(incoming, "put-now")
        for path in (stale, fresh):
            open(path, "wb").write(b"half a scan")
        two_hours_ago = os.stat(stale).st_mtime - 7200
        os.utime(stale, (two_hours_ago, two_hours_ago))
        code, out, _ = s.run("fsck", "--json")
        extra = [x["path"] for x in json.loads(out)["extra"]]
        assert code == 1 and extra == ["blobs/.incoming/put-old"], extra
        code, out, _ = s.run("fsck", "--repair")
        assert not os.path.exists(stale) and os.path.exists(fresh), out
        assert s.run_json("fsck", "--json")["clean"] is True


@test
def an_edited_audit_record_breaks_the_chain_at_that_record():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        s.run_json("process", "--json", OTHER)
        s.run_json("process", "--json", SAMPLE)
        db = sqlite3.connect(os.path.join(s.archive, "index.sqlite"))
        seqs = [r[0] for r in db.execute("SELECT seq FROM audit ORDER BY seq")]
        assert len(seqs) >= 3, seqs
        db.execute("UPDATE audit SET actor = 'someone-else' WHERE seq = ?", (seqs[1],))
        db.commit()
        db.close()
        code, out, _ = s.run("fsck", "--json")
        rep = json.loads(out)
        assert code == 1 and rep["audit"]["ok"] is False, rep
        assert rep["audit"]["broken_at"] == seqs[1], rep["audit"]


@test
def disposal_keeps_files_until_gc():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        blob = s.blob(s.first["files"]["original"])
        code, _, err = s.run("dispose", s.first["id"])
        assert code == 2, "dispose without a reason must be refused"
        code, _, err = s.run("dispose", s.first["id"], "--reason", "hết thời hạn bảo quản")
        assert code == 0, err
        assert os.path.exists(blob)
        code, out, _ = s.run("search", "--json", "--text", "kiểm soát")
        assert code == 1, "a disposed result must not be found"
        assert s.run_json("fsck", "--json")["clean"] is True
        code, out, err = s.run("fsck", "--gc")
        assert code == 0 and not os.path.exists(blob), (code, out, err)
        assert s.run_json("fsck", "--json")["clean"] is True


@test
def export_makes_a_bag_that_validates_and_detects_corruption():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        s.run_json("process", "--json", OTHER)
        bag = os.path.join(tmp, "bag")
        code, out, err = s.run("export", "--bagit", bag)
        assert code == 0, err
        check = subprocess.run([sys.executable, BAGCHECK, bag], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        payload = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(bag, "data"))
                   for f in fs if f.startswith("original")]
        assert len(payload) == 2, payload
        with open(payload[0], "r+b") as f:
            f.write(b"X")
        check = subprocess.run([sys.executable, BAGCHECK, bag], capture_output=True, text=True)
        assert check.returncode != 0, "a corrupted payload file passed validation"
        code, _, err = s.run("export", "--bagit", bag)
        assert code == 1 and bag in err, (code, err)


if __name__ == "__main__":
    main()
