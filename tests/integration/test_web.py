"""The web page in a real browser: headless Chromium (Debian's chromium and
chromium-driver, through python3-selenium) against the real daemon and the API
it starts. The daemon files a document with a known number and a receipt that
extraction flags. Then a clerk logs in with a review token, finds the document by its
number, opens it (fields, the signed PDF in the page, the XML, both signatures
valid), corrects the flagged receipt from the review queue, sees the scans of
the counter, and switches the page to English.

The steps share one daemon and one browser; a step that cannot run because an
earlier one failed says so and fails (nothing is skipped). Screenshots go to a
temporary folder whose path is printed."""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

from harness import ROOT, SOHOA, main, sohoa, test

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
NUMBERED = "samples/kontum-congvan-200dpi-colour.jpg"  # number read reliably (test_extract)
NUMBER = "755/STC-TH"
ISSUER = "SỞ TÀI CHÍNH"
FLAGGED = "samples/fields/receipt-qr-typo-300dpi-g4.tif"  # the QR code and the print disagree
FIX_FIELD = "signer"
FIX_VALUE = "Trần Minh Hà"  # OCR reads "Ha" (KNOWN_MISSES in test_extract.py)
WEB_FILES = {"/": "index.html", "/app.js": "app.js", "/style.css": "style.css"}


class State:
    tmp = None        # the setup, removed at the end
    dir = None
    conf = None
    base = None       # https://127.0.0.1:PORT
    clerk = None      # a review token
    reader = None     # a read token
    proc = None       # sohoa run
    log = None
    driver = None
    ids = {}          # sample file name -> result id
    shots = None      # screenshots (kept)
    corrected = None  # the value the correction set
    console = []      # what the browser logged


S = State()


def need(*what):
    """Fails a step whose prerequisite an earlier step did not make."""
    for w in what:
        if getattr(S, w) in (None, {}):
            raise AssertionError("cannot run: %s is missing because an earlier step failed" % w)


def run(*args, env=None):
    return sohoa("-c", S.conf, *args, env=env)


def run_json(*args):
    code, out, err = run(*args)
    assert code == 0, "sohoa %s: exit %d: %s" % (" ".join(args), code, err)
    return json.loads(out)


def daemon_log():
    if S.tmp is None:
        return ""
    try:
        with open(os.path.join(S.tmp, "daemon.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]
    except OSError:
        return ""


def until(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if S.proc is not None and S.proc.poll() is not None:
            raise AssertionError("the daemon exited (%s) while waiting for %s:\n%s"
                                 % (S.proc.returncode, what, daemon_log()))
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out after %d s waiting for %s:\n%s"
                         % (seconds, what, daemon_log()))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(path, token=None):
    """GET over the API's TLS (its certificate is from the setup's development CA)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    req = urllib.request.Request(S.base + path)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def archived():
    """Sample file name -> result, for what the daemon has filed."""
    code, out, _ = run("search", "--json", "--limit", "100")
    if code not in (0, 1):
        return {}
    found = {}
    for line in out.splitlines():
        r = json.loads(line)
        found[os.path.basename(r.get("source") or "")] = r
    return found


def cleanup():
    if S.driver is not None:
        try:
            S.driver.quit()
        except Exception:
            pass
        S.driver = None
    if S.proc is not None:
        if S.proc.poll() is None:
            S.proc.kill()
            S.proc.wait()
        S.proc = None
    if S.log is not None:
        S.log.close()
        S.log = None
    if S.tmp is not None:
        shutil.rmtree(S.tmp, ignore_errors=True)
        S.tmp = None


atexit.register(cleanup)

# ---- the browser ------------------------------------------------------------------


def by_id(i):
    from selenium.webdriver.common.by import By
    return S.driver.find_element(By.ID, i)


def all_css(sel):
    from selenium.webdriver.common.by import By
    return S.driver.find_elements(By.CSS_SELECTOR, sel)


def text(i):
    """The element's visible text ('' when it is hidden)."""
    return by_id(i).text.strip()


def attr(i, name):
    return by_id(i).get_attribute(name)


def js_errors():
    """The browser's console errors so far (a failed request is not one: the page shows
    those)."""
    try:
        S.console.extend(S.driver.get_log("browser"))
    except Exception:
        pass
    return [e["message"] for e in S.console if e.get("level") == "SEVERE"
            and "Failed to load resource" not in e["message"]]


def page_state():
    try:
        body = S.driver.find_element("tag name", "body").text
    except Exception as exc:
        body = "(no body: %s)" % exc
    return "\n  at %s\n  page text: %r\n  JavaScript errors: %s" % (
        S.driver.current_url, body[:1500], js_errors())


def wait(predicate, what, seconds=30):
    """Polls a condition on the page; tolerates elements replaced meanwhile."""
    from selenium.common.exceptions import (NoSuchElementException,
                                            StaleElementReferenceException)
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (NoSuchElementException, StaleElementReferenceException) as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError("timed out after %d s waiting for %s (%s)%s"
                         % (seconds, what, type(last).__name__ if last else "", page_state()))


def shot(name):
    path = os.path.join(S.shots, name + ".png")
    S.driver.save_screenshot(path)
    print("screenshot: %s" % path, flush=True)
    return path


def click(target):
    """Clicks an element (or the one with that id) brought to the middle of the window."""
    e = by_id(target) if isinstance(target, str) else target
    S.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", e)
    e.click()


def fill(i, value):
    box = by_id(i)
    S.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    box.clear()
    box.send_keys(value)
    if box.get_attribute("value") != value:  # a character the driver could not type
        S.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", box, value)
    assert box.get_attribute("value") == value, (i, box.get_attribute("value"))


def login(token):
    wait(lambda: by_id("login-view").is_displayed(), "the login form")
    fill("login-token", token)
    click("login-submit")


def logout():
    click("logout")
    wait(lambda: by_id("login-view").is_displayed(), "the login form after logging out")


def overflow():
    """How far the page is wider than the window (0: no sideways scrolling)."""
    return S.driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;")


def wait_verified():
    """Waits for the three verification lines; returns {line id: (status, text)}."""
    ids = ("verify-pdf", "verify-xml", "verify-fixity")
    wait(lambda: all(attr(i, "data-status") not in ("pending", None) for i in ids),
         "the verification of the result", 90)
    return {i: (attr(i, "data-status"), text(i)) for i in ids}

# ---- the steps --------------------------------------------------------------------


@test
def the_daemon_starts_with_the_api_and_files_both_samples():
    S.tmp = tempfile.mkdtemp(prefix="sohoa-web-")
    S.dir = os.path.join(S.tmp, "s")
    code, _, err = sohoa("init", S.dir)
    assert code == 0, "sohoa init: " + err
    S.conf = os.path.join(S.dir, "sohoa.conf")
    with open(S.conf, encoding="utf-8") as f:
        conf = f.read()
    assert re.search(r"^\[api\]", conf, re.M), "sohoa init wrote no [api] section:\n" + conf
    port = free_port()
    conf, n = re.subn(r"^listen\s*=.*$", "listen = 127.0.0.1:%d" % port, conf, count=1,
                      flags=re.M)
    assert n == 1, "no listen line in [api]:\n" + conf
    conf += ("\n[daemon]\nworkers = 2\nsettle_ms = 300\nstable = 2\npage_timeout = 120\n")
    with open(S.conf, "w", encoding="utf-8") as f:
        f.write(conf)
    code, out, err = run("config", "check")
    assert code == 0, "config check: " + out + err

    reader = os.path.join(S.dir, "keys", "api-token")
    assert os.path.exists(reader), "sohoa init made no keys/api-token"
    S.reader = open(reader, encoding="utf-8").read().strip()
    code, out, err = run("token", "add", "clerk", "--scope", "review")
    assert code == 0, "token add: " + err
    S.clerk = out.strip().splitlines()[-1].strip()
    assert S.clerk.startswith("sohoa_"), "token add printed %r" % out

    env = dict(os.environ)
    env.pop("SOHOA_CONFIG", None)
    S.log = open(os.path.join(S.tmp, "daemon.log"), "ab")
    S.proc = subprocess.Popen([SOHOA, "-c", S.conf, "run"], stdout=S.log,
                              stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    S.base = "https://127.0.0.1:%d" % port

    def healthy():
        try:
            return fetch("/healthz")[0] == 200
        except OSError:
            return False
    until(healthy, 60, "the API to answer /healthz on " + S.base)

    inbox = os.path.join(S.dir, "inbox")
    for sample in (NUMBERED, FLAGGED):
        tmp = os.path.join(S.tmp, os.path.basename(sample))
        shutil.copyfile(os.path.join(ROOT, sample), tmp)
        os.rename(tmp, os.path.join(inbox, os.path.basename(sample)))  # whole, at once
    names = [os.path.basename(NUMBERED), os.path.basename(FLAGGED)]
    found = until(lambda: (lambda a: a if all(n in a for n in names) else None)(archived()),
                  300, "both samples to be archived")
    numbered, flagged = found[names[0]], found[names[1]]
    assert numbered["fields"]["number"] == NUMBER, numbered["fields"]
    assert flagged["review"] is True, "the receipt is not flagged: %s" % flagged
    S.ids = {names[0]: numbered["id"], names[1]: flagged["id"]}


@test
def the_page_is_served_whole_and_needs_nothing_from_outside():
    need("base")
    for path, name in WEB_FILES.items():
        status, body = fetch(path)
        assert status == 200, "%s: %d" % (path, status)
        with open(os.path.join(ROOT, "api", "web", name), "rb") as f:
            assert body == f.read(), "%s is not api/web/%s (rebuild bin/sohoa?)" % (path, name)
        found = re.findall(rb"(?:src|href)\s*=\s*[\"']?(?:https?:)?//|url\(\s*[\"']?(?:https?:)?//"
                           rb"|@import|fetch\(\s*[\"']https?:", body)
        assert not found, "%s refers to something outside: %s" % (path, found)
    status, body = fetch("/v1/whoami")
    assert status == 401 and json.loads(body).get("error"), (status, body)


@test
def chromium_starts():
    need("base")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        raise AssertionError("python3-selenium is missing (apt-get install python3-selenium "
                             "chromium chromium-driver): %s" % exc)
    for path in (CHROMIUM, CHROMEDRIVER):
        assert os.access(path, os.X_OK), ("%s is missing: apt-get install chromium chromium-driver"
                                          % path)
    S.shots = tempfile.mkdtemp(prefix="sohoa-web-shots-")
    profile = os.path.join(S.tmp, "chromium-profile")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                "--window-size=1366,768", "--lang=vi", "--user-data-dir=" + profile):
        opts.add_argument(arg)
    opts.set_capability("acceptInsecureCerts", True)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    S.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    S.driver.set_page_load_timeout(60)
    S.driver.get(S.base + "/")
    wait(lambda: by_id("login-view").is_displayed(), "the login form on " + S.base)
    assert "Đăng nhập" in text("login-view"), text("login-view")


@test
def a_wrong_token_is_refused_and_the_clerk_logs_in():
    need("driver", "clerk")
    login("sohoa_not-a-token")
    wait(lambda: "bị từ chối" in text("login-error"), "the refusal of a wrong token")
    assert not by_id("nav").is_displayed(), "the menu shows without a valid token"
    login(S.clerk)
    wait(lambda: text("whoami-name") == "clerk", "the clerk's name after logging in")
    assert attr("whoami-scope", "data-scope") == "review", attr("whoami-scope", "data-scope")
    assert text("whoami-scope") == "duyệt", text("whoami-scope")
    assert S.driver.execute_script("return sessionStorage.getItem('sohoa-token')") == S.clerk
    assert S.driver.execute_script("return localStorage.getItem('sohoa-token')") is None
    assert text("nav-search") == "Tìm kiếm" and text("nav-review") == "Chờ duyệt", text("nav")
    assert by_id("logout").is_displayed()


@test
def the_document_is_found_by_its_number():
    need("driver", "ids")
    click("nav-search")
    wait(lambda: by_id("search-view").is_displayed(), "the search view")
    for name in ("f-number", "f-issuer", "f-type", "f-dossier", "f-citizen_id", "f-from", "f-to",
                 "f-q", "f-limit"):
        assert by_id(name).is_displayed(), name
    assert attr("f-from", "type") == "date" and attr("f-to", "type") == "date"
    fill("f-number", NUMBER)
    click("search-submit")
    wait(lambda: attr("search-status", "data-count") == "1" and
         "#search?" in S.driver.current_url, "one result for " + NUMBER)
    rows = all_css("[data-testid=result-row]")
    assert len(rows) == 1, [r.text for r in rows]
    row = rows[0]
    want = S.ids[os.path.basename(NUMBERED)]
    assert row.get_attribute("data-id") == want, row.get_attribute("data-id")
    assert NUMBER in row.text and ISSUER in row.text and "2022-04-01" in row.text, row.text
    assert "Tìm thấy 1 kết quả" in text("search-status"), text("search-status")
    # the query is in the address: a reload runs it again
    S.driver.refresh()
    wait(lambda: attr("search-status", "data-count") == "1", "the search again after a reload")
    assert by_id("f-number").get_attribute("value") == NUMBER


@test
def the_result_shows_its_fields_the_pdf_the_xml_and_valid_signatures():
    need("driver", "ids")
    rid = S.ids[os.path.basename(NUMBERED)]
    click(all_css("[data-testid=result-row]")[0])
    wait(lambda: S.driver.current_url.endswith("#result/" + rid), "the result's address")
    wait(lambda: text("field-number") == NUMBER, "the result's number")
    fields = text("result-fields")
    for label in ("Loại văn bản", "Số, ký hiệu", "Cơ quan ban hành", "Địa danh", "Ngày ban hành",
                  "Trích yếu", "Người ký", "Chức vụ", "Mã hồ sơ", "Số CCCD", "MST", "Người nộp",
                  "Thủ tục", "Ngày nhận", "Ngày hẹn trả"):
        assert label in fields, "label %r missing in %r" % (label, fields)
    assert text("field-issuer") == ISSUER, text("field-issuer")
    assert text("field-date") == "2022-04-01" and text("field-place") == "Kon Tum"
    assert NUMBER in text("result-title"), text("result-title")
    assert re.search(r"\d+%", text("result-fields")), "no confidence shown"

    lines = wait_verified()
    assert lines["verify-pdf"] == ("valid", "PDF: hợp lệ"), lines
    assert lines["verify-xml"] == ("valid", "XML: hợp lệ"), lines
    assert lines["verify-fixity"][0] == "valid" and "hợp lệ" in lines["verify-fixity"][1], lines

    pdf = os.path.join(S.tmp, "got.pdf")
    code, _, err = run("get", rid, "--pdf", "-o", pdf)
    assert code == 0, err
    wait(lambda: (attr("pdf-frame", "src") or "").startswith("blob:") and
         attr("pdf-frame", "data-size") == str(os.path.getsize(pdf)), "the PDF in the page")
    assert by_id("pdf-frame").is_displayed()
    wait(lambda: attr("xml-text", "data-loaded") == "true", "the XML in the page")
    xml = by_id("xml-text")
    assert xml.text.lstrip().startswith("<?xml") and NUMBER in xml.text, xml.text[:300]
    assert S.driver.execute_script("return arguments[0].children.length", xml) == 0, \
        "the XML was put in as HTML"
    for a in ("dl-pdf", "dl-xml"):
        assert (attr(a, "href") or "").startswith("blob:"), (a, attr(a, "href"))
        assert attr(a, "download"), a
    click("dl-original")  # fetched with the token, handed to the browser as a blob
    wait(lambda: attr("dl-original", "aria-busy") is None, "the original's download")
    assert not by_id("error-banner").is_displayed(), text("error-banner")
    S.driver.set_window_size(1366, 768)
    assert overflow() <= 1, "the result page scrolls sideways at 1366x768 (%d px)" % overflow()
    shot("result-vi-1366x768")

    S.driver.refresh()  # the view comes back from the address; the token stays in the tab
    wait(lambda: text("field-number") == NUMBER, "the result again after a reload")
    assert text("whoami-name") == "clerk"


@test
def the_review_queue_lists_the_flagged_receipt():
    need("driver", "ids")
    rid = S.ids[os.path.basename(FLAGGED)]
    click("nav-review")
    wait(lambda: S.driver.current_url.endswith("#review"), "the queue's address")
    wait(lambda: attr("review-status", "data-state") == "done", "the review queue")
    rows = {r.get_attribute("data-id"): r for r in all_css("[data-testid=review-row]")}
    assert rid in rows, "the flagged receipt is not in the queue: %s" % list(rows)
    reasons = run_json("show", "--json", rid)["review_reasons"]
    assert reasons and all(r in rows[rid].text for r in reasons), (reasons, rows[rid].text)
    assert "Giấy tiếp nhận" in rows[rid].text, rows[rid].text
    assert "cần duyệt" in text("review-status"), text("review-status")
    shot("review-queue-vi")


@test
def a_correction_is_saved_as_a_new_version():
    need("driver", "ids")
    rid = S.ids[os.path.basename(FLAGGED)]
    before = run_json("show", "--json", rid)
    old = before["fields"][FIX_FIELD]
    S.corrected = FIX_VALUE if old != FIX_VALUE else FIX_VALUE + " (đã duyệt)"
    click([r for r in all_css("[data-testid=review-row]") if r.get_attribute("data-id") == rid][0])
    wait(lambda: S.driver.current_url.endswith("#review/" + rid), "the correction form's address")
    box = "rv-" + FIX_FIELD
    wait(lambda: by_id(box).get_attribute("data-original") == (old or ""), "the form, prefilled")
    assert by_id(box).get_attribute("value") == (old or "")
    assert by_id("rv-dossier_code").get_attribute("readonly") is not None, "dossier_code is editable"
    assert "Người ký" in text("review-fields") and "Mã hồ sơ" in text("review-fields")
    for r in before["review_reasons"]:
        assert r in text("review-edit-reasons"), (r, text("review-edit-reasons"))
    fill(box, S.corrected)
    click("review-save")
    wait(lambda: attr("review-message", "data-status") in ("ok", "error"), "the answer to Save")
    msg = text("review-message")
    assert attr("review-message", "data-status") == "ok", "the correction failed: " + msg
    assert attr("review-message", "data-version") == "2", attr("review-message", "data-version")
    assert "phiên bản 2" in msg and "Người ký" in msg, msg
    assert by_id(box).get_attribute("value") == S.corrected
    assert by_id(box).get_attribute("data-original") == S.corrected, "the form shows the old value"
    assert attr("review-edit-version", "data-version") == "2"

    after = run_json("show", "--json", rid)
    assert after["fields"][FIX_FIELD] == S.corrected, after["fields"]
    assert after.get("version") == 2, after.get("version")
    last = after["corrections"][-1]
    assert (last["field"], last["from"], last["to"]) == (FIX_FIELD, old, S.corrected), last
    others = {k: v for k, v in after["fields"].items() if k != FIX_FIELD}
    assert others == {k: v for k, v in before["fields"].items() if k != FIX_FIELD}, \
        "the page sent fields it did not change"
    shot("review-saved-vi")

    click("review-open-result")
    wait(lambda: text("field-" + FIX_FIELD) == S.corrected, "the corrected value on the result")
    assert attr("result-version", "data-version") == "2", attr("result-version", "data-version")
    assert S.corrected in text("result-corrections"), text("result-corrections")
    lines = wait_verified()  # the XML was signed again
    assert lines["verify-xml"] == ("valid", "XML: hợp lệ"), lines
    assert lines["verify-pdf"] == ("valid", "PDF: hợp lệ"), lines


@test
def a_refused_correction_shows_the_servers_sentence():
    need("driver", "ids")
    rid = S.ids[os.path.basename(FLAGGED)]
    S.driver.get(S.base + "/#review/" + rid)
    wait(lambda: by_id("rv-date").is_displayed(), "the correction form")
    fill("rv-date", "2023-02-30")
    click("review-save")
    wait(lambda: attr("review-message", "data-status") in ("ok", "error"), "the answer to Save")
    msg = text("review-message")
    assert attr("review-message", "data-status") == "error", msg
    assert msg.startswith("Không lưu được: ") and len(msg) > len("Không lưu được: ") + 5, msg
    assert run_json("show", "--json", rid).get("version") == 2, "a refused correction was filed"


@test
def the_counters_recent_scans_show_both_archived():
    need("driver", "ids")
    click("nav-recent")
    wait(lambda: attr("recent-status", "data-count") not in (None, "0"), "the recent scans")
    assert not by_id("recent-daemon").is_displayed(), "it says the daemon is not running"

    def both():  # a snapshot: the table is redrawn when the scans change
        out = {}
        for row in all_css("[data-testid=scan-row]"):
            for name in S.ids:
                if name in row.text and name not in out:
                    links = row.find_elements("css selector", "[data-testid=scan-result]")
                    out[name] = (row.get_attribute("data-state"), row.text,
                                 links[0].get_attribute("href") if links else None)
        return out if len(out) == 2 and all(v[0] == "archived" for v in out.values()) else None
    rows = wait(both, "both samples archived in the recent scans")
    for name, (_, row, href) in rows.items():
        assert "Đã lưu" in row and "quay-1" in row, row
        assert href and href.endswith("#result/" + S.ids[name]), href
    first = text("recent-status")
    assert "Cập nhật lúc" in first, first
    wait(lambda: text("recent-status") != first, "the next refresh (every 3 s)", 10)
    shot("recent-vi")
    click(all_css('[data-testid=scan-result][href$="#result/%s"]'
                  % S.ids[os.path.basename(NUMBERED)])[0])
    wait(lambda: text("field-number") == NUMBER, "the result opened from the recent scans")


@test
def a_read_token_is_told_it_may_not_review():
    need("driver", "reader")
    logout()
    login(S.reader)
    wait(lambda: attr("whoami-scope", "data-scope") == "read", "the reader logged in")
    click("nav-review")
    wait(lambda: attr("review-status", "data-status") == "forbidden", "the refusal of the queue")
    assert "không có quyền duyệt" in text("review-status"), text("review-status")
    assert not all_css("[data-testid=review-row]")
    logout()
    login(S.clerk)
    wait(lambda: text("whoami-name") == "clerk", "the clerk back")


@test
def english_labels_after_the_switch_and_the_choice_is_kept():
    need("driver", "ids")
    rid = S.ids[os.path.basename(NUMBERED)]
    S.driver.get(S.base + "/#result/" + rid)
    wait(lambda: text("field-number") == NUMBER, "the result")
    click("lang-en")
    wait(lambda: text("nav-search") == "Search", "the English menu")
    assert text("nav-review") == "Review" and text("nav-recent") == "Recent"
    assert S.driver.execute_script("return document.documentElement.lang") == "en"
    fields = text("result-fields")
    for label in ("Number and symbol", "Issuing body", "Date of issue", "Subject", "Signer"):
        assert label in fields, (label, fields)
    assert "Số, ký hiệu" not in fields, fields
    lines = wait_verified()
    assert lines["verify-pdf"] == ("valid", "PDF: valid"), lines
    assert lines["verify-xml"] == ("valid", "XML: valid"), lines
    shot("result-en")
    S.driver.refresh()
    wait(lambda: text("field-number") == NUMBER, "the result after a reload")
    assert "Number and symbol" in text("result-fields"), "the language was not remembered"
    assert S.driver.execute_script("return localStorage.getItem('sohoa-lang')") == "en"
    click("lang-vi")
    wait(lambda: "Số, ký hiệu" in text("result-fields"), "Vietnamese again")


@test
def the_page_fits_a_narrow_window():
    need("driver")
    S.driver.set_window_size(800, 900)
    S.driver.get(S.base + "/#search")
    wait(lambda: attr("search-status", "data-state") == "done", "the search view")
    assert overflow() <= 1, "the search page scrolls sideways at 800 px (%d px)" % overflow()
    assert by_id("f-number").is_displayed() and by_id("search-submit").is_displayed()
    shot("search-vi-800")
    S.driver.set_window_size(1366, 768)


@test
def a_401_anywhere_returns_to_the_login():
    need("driver")
    S.driver.execute_script("sessionStorage.setItem('sohoa-token', 'sohoa_revoked'); "
                            "location.hash = '#review';")
    wait(lambda: by_id("login-view").is_displayed(), "the login form after a 401")
    assert "đăng nhập lại" in text("login-error"), text("login-error")
    assert S.driver.execute_script("return sessionStorage.getItem('sohoa-token')") is None
    assert not by_id("nav").is_displayed()


@test
def the_daemon_stops_cleanly():
    need("proc")
    S.proc.send_signal(signal.SIGTERM)
    code = S.proc.wait(timeout=60)
    S.proc = None
    assert code == 0, "the daemon exited %d on SIGTERM:\n%s" % (code, daemon_log())


@test
def without_the_daemon_the_recent_scans_say_so_and_search_still_works():
    need("driver", "base")
    assert S.proc is None, "the daemon is still running"
    env = dict(os.environ)
    env.pop("SOHOA_CONFIG", None)
    S.proc = subprocess.Popen([SOHOA, "-c", S.conf, "serve"], stdout=S.log,
                              stderr=subprocess.STDOUT, env=env, cwd=ROOT)

    def healthy():
        try:
            return fetch("/healthz")[0] == 200
        except OSError:
            return False
    until(healthy, 30, "`sohoa serve` alone to answer /healthz")
    login_again = S.driver.execute_script("return sessionStorage.getItem('sohoa-token')") is None
    S.driver.get(S.base + "/#recent")
    if login_again:  # the previous step left the page at the login
        login(S.clerk)
    wait(lambda: by_id("recent-daemon").is_displayed(), "the message that the daemon is down")
    assert "không chạy" in text("recent-daemon"), text("recent-daemon")
    assert attr("recent-daemon", "data-daemon") == "false"
    shot("recent-no-daemon-vi")
    click("nav-search")
    wait(lambda: attr("search-status", "data-count") == "2", "both results without the daemon")
    S.proc.send_signal(signal.SIGTERM)
    code = S.proc.wait(timeout=30)
    S.proc = None
    assert code == 0, "sohoa serve exited %d on SIGTERM:\n%s" % (code, daemon_log())


@test
def no_javascript_errors():
    need("driver")
    errors = js_errors()
    cleanup()
    assert not errors, errors


if __name__ == "__main__":
    main()
