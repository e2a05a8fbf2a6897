"""The review queue through the real command: what extraction flagged is
listed, a correction is filed as a new version with who and when, its XML
e-result is re-issued and signed again, the old one kept, the PDF untouched.

The flagged scan is a form whose tax code fails its check digit; the plain one
is a clean decision that extraction reads without doubt."""
import hashlib
import json
import os
import sqlite3
import subprocess
import tempfile

from harness import ROOT, main, sohoa, test

FLAGGED = "samples/fields/form-kinhdoanh-mst-invalid-200dpi-grey.png"
PLAIN = "samples/hungyen-2684-300dpi-g4.tif"
XSD = os.path.join(ROOT, "docs", "eresult-1.0.xsd")
TAX_CODE = "0100109106"


class Setup:
    """`sohoa init` with FLAGGED (and PLAIN when asked) filed."""

    def __init__(self, tmp, plain=False):
        self.dir = os.path.join(tmp, "s")
        code, _, err = sohoa("init", self.dir)
        assert code == 0, err
        self.conf = os.path.join(self.dir, "sohoa.conf")
        self.archive = os.path.join(self.dir, "archive")
        self.ca = os.path.join(self.dir, "keys", "ca.pem")
        self.flagged = self.run_json("process", "--json", FLAGGED)
        self.plain = self.run_json("process", "--json", PLAIN) if plain else None

    def run(self, *args, env=None):
        return sohoa("-c", self.conf, *args, env=env)

    def run_json(self, *args, env=None):
        code, out, err = self.run(*args, env=env)
        assert code == 0, f"{args}: exit {code}: {err}"
        return json.loads(out)

    def queue(self):
        code, out, err = self.run("review", "--json")
        assert code in (0, 1), err
        return [json.loads(line) for line in out.splitlines()]

    def audit(self):
        db = sqlite3.connect(os.path.join(self.archive, "index.sqlite"))
        rows = db.execute("SELECT seq, actor, action, result_id, detail FROM audit"
                          " ORDER BY seq").fetchall()
        db.close()
        return rows

    def path(self, rel):
        return os.path.join(self.archive, rel)


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def xmlsec_verify(xml, ca):
    p = subprocess.run(["xmlsec1", "--verify", "--trusted-pem", ca, xml],
                       capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def tax_reasons(res):
    return [r for r in res.get("review_reasons") or [] if r.startswith("tax_code:")]


@test
def the_queue_lists_what_extraction_flagged():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp, plain=True)
        queue = s.queue()
        ids = [q["id"] for q in queue]
        assert s.flagged["review"] is True, s.flagged["review_reasons"]  # its MST is invalid
        assert s.plain["review"] is False, s.plain["review_reasons"]
        for res in (s.flagged, s.plain):
            assert (res["id"] in ids) == (res["review"] is True), (res["review"], ids)
        for q in queue:
            assert s.run_json("show", "--json", q["id"])["review"] is True, q
            assert set(q) >= {"id", "result_code", "kind", "received_at", "review_reasons"}, q
        if s.flagged["review"]:
            entry = queue[ids.index(s.flagged["id"])]
            assert entry["review_reasons"] == s.flagged["review_reasons"], entry
            code, out, _ = s.run("review")
            assert code == 0 and s.flagged["id"][:12] in out, out
            for reason in s.flagged["review_reasons"]:
                assert reason in out, out
        code, out, _ = s.run("review", "--limit", "0")
        assert code == 2, "--limit 0 must be refused"


@test
def a_correction_is_a_new_signed_version_and_the_old_xml_is_kept():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        before = s.flagged
        old_xml = s.path(before["files"]["xml"])
        old_audit = len(s.audit())
        new = s.run_json("review", "--json", before["id"][:12], "--set", f"tax_code={TAX_CODE}",
                         "--by", "Nguyễn Thị Lan")
        assert new["version"] == 2 and new["fields"]["tax_code"] == TAX_CODE, new
        assert new["extracted"] == before["fields"], "the first extraction must be kept"
        last = new["corrections"][-1]
        assert (last["field"], last["from"], last["to"]) == ("tax_code", before["fields"]["tax_code"],
                                                             TAX_CODE), last
        assert last["by"] == "Nguyễn Thị Lan" and last["at"].endswith("+07:00"), last
        assert new["confidence"]["tax_code"] == 1.0 and "tax_code" in new["corrected"], new
        assert tax_reasons(new) == [], new["review_reasons"]
        assert new["review"] == (len(new["review_reasons"]) > 0), new
        assert (new["id"] in [q["id"] for q in s.queue()]) == new["review"]
        shown = s.run_json("show", "--json", before["id"])
        assert shown["fields"] == new["fields"] and shown["version"] == 2, shown

        # The XML: new bytes, signed again, naming the same PDF; the old one kept.
        assert new["files"]["pdf"] == before["files"]["pdf"], "the PDF must not change"
        assert new["files"]["xml"] != before["files"]["xml"]
        assert os.path.exists(old_xml) and sha256(old_xml) == before["files"]["xml"][-64:]
        assert new["xml_versions"] == [{"version": 1, "sha256": before["files"]["xml"][-64:],
                                        "file": before["files"]["xml"],
                                        "superseded_at": new["xml_versions"][0]["superseded_at"]}]
        xml = os.path.join(tmp, "new.xml")
        code, _, err = s.run("get", before["id"], "--xml", "-o", xml)
        assert code == 0, err
        assert open(xml, "rb").read() != open(old_xml, "rb").read()
        assert f"<MST>{TAX_CODE}</MST>" in open(xml, encoding="utf-8").read()
        for path in (xml, old_xml):
            code, out = xmlsec_verify(path, s.ca)
            assert code == 0 and "OK" in out, "xmlsec1: " + out
        p = subprocess.run(["xmllint", "--noout", "--schema", XSD, xml], capture_output=True,
                           text=True)
        assert p.returncode == 0, p.stderr
        code, out, err = s.run("verify", before["id"])
        assert code == 0 and "verified: all" in out, out + err

        # The archive: clean, audited, searchable by the corrected value.
        assert s.run_json("fsck", "--json")["clean"] is True
        reviews = [r for r in s.audit()[old_audit:] if r[2] == "review"]
        assert len(reviews) == 1 and reviews[0][3] == before["id"], reviews
        detail = json.loads(reviews[0][4])
        assert detail["fields"]["tax_code"]["to"] == TAX_CODE and detail["version"] == 2, detail
        assert detail["by"] == "Nguyễn Thị Lan" and reviews[0][1].startswith("cli:"), reviews
        code, out, _ = s.run("search", "--json", "--citizen-id", TAX_CODE)
        assert code == 0 and before["id"] in out, "the corrected tax code is not found"


@test
def corrections_pile_up_and_the_first_extraction_stays():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        rid = s.flagged["id"]
        env = {"SUDO_USER": "", "USER": "clerk1"}
        v2 = s.run_json("review", "--json", rid, "--set", "date=2024-02-29", env=env)
        v3 = s.run_json("review", "--json", rid, "--set", "date=", "--set", "place=Hà Nội",
                        env=env)
        assert (v2["version"], v3["version"]) == (2, 3)
        assert v3["extracted"] == s.flagged["fields"], "extracted must never be overwritten"
        assert [c["version"] for c in v3["corrections"]] == [2, 3, 3], v3["corrections"]
        assert all(c["by"] == "clerk1" for c in v3["corrections"]), v3["corrections"]
        assert v3["fields"]["date"] is None and "date" not in v3["confidence"], v3
        assert [v["version"] for v in v3["xml_versions"]] == [1, 2], v3["xml_versions"]
        for v in v3["xml_versions"]:
            assert os.path.exists(s.path(v["file"])), v
        code, out, _ = s.run("search", "--json", "--from", "2024-02-29", "--to", "2024-02-29")
        assert code == 1, "a cleared date is still searchable"
        assert s.run_json("fsck", "--json")["clean"] is True


@test
def bad_corrections_are_refused_and_nothing_is_filed():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        rid = s.flagged["id"]
        audit = len(s.audit())
        for args, want in ((["--set", "colour=red"], 2), (["--set", "date=2023-02-29"], 2),
                           (["--set", "citizen_id=12345"], 2), (["--set", "tax_code=12"], 2),
                           (["--set", "type"], 2), (["--set", "dossier_code=x"], 2),
                           (["--set", "tax_code=0100109107"], 2),     # check digit
                           (["--set", "citizen_id=003188067286"], 2),  # no province 003
                           (["--set", "number=59/QĐUBND"], 2),
                           (["--set", "date=2099-01-01"], 2)):        # after today
            code, _, err = s.run("review", rid, *args)
            assert code == want and err.strip(), (args, code, err)
        code, _, err = s.run("review", "0" * 64, "--set", "type=CÔNG VĂN")
        assert code == 1 and "no result" in err, (code, err)
        code, _, err = s.run("review", "no-such-code", "--set", "type=CÔNG VĂN")
        assert code == 1, (code, err)
        assert len(s.audit()) == audit, "a refused correction left an audit record"
        assert s.run_json("show", "--json", rid).get("version", 1) == 1


@test
def an_archive_of_schema_2_gets_the_review_column():
    with tempfile.TemporaryDirectory() as tmp:
        s = Setup(tmp)
        db = sqlite3.connect(os.path.join(s.archive, "index.sqlite"))
        db.executescript("DROP INDEX results_review; ALTER TABLE results DROP COLUMN review;"
                         " DROP TABLE blob_versions; PRAGMA user_version = 2;")
        db.close()
        ids = [q["id"] for q in s.queue()]
        assert (s.flagged["id"] in ids) == (s.flagged["review"] is True), ids
        db = sqlite3.connect(os.path.join(s.archive, "index.sqlite"))
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
        db.close()
        s.run_json("review", "--json", s.flagged["id"], "--set", f"tax_code={TAX_CODE}")
        assert s.run_json("fsck", "--json")["clean"] is True


if __name__ == "__main__":
    main()
