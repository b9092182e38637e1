#!/usr/bin/env python3
"""Drives the page of `eseal serve` in headless Chromium against the real service that
`eseal demo --serve` runs (cli/tests/serve_browser.rs).

  serve_browser.py URL DEMO_DIR OUT_DIR CLERK_TOKEN OFFICER_TOKEN

URL is the service's base URL, DEMO_DIR the demo's --out folder, OUT_DIR where the
screenshots go, CLERK_TOKEN the verify-only token and OFFICER_TOKEN the one that may issue
and revoke. Scenarios:

  a. licence-lta.pdf chosen in #file-input: TOTAL-PASSED, 验证通过, signer 签章人 张三;
  b. that PDF with one byte of its first revision changed: TOTAL-FAILED, 验证失败 and the
     service's reason;
  c. a picture of the demo's licence QR (revoked by the demo) chosen in #qr-photo: the
     licence fields, TOTAL-FAILED and 已吊销;
  d. the office: the clerk's token shows no issuing; the officer issues a licence from the
     template's form, its QR verifies TOTAL-PASSED, the officer revokes it, and the same QR
     then verifies TOTAL-FAILED, 已吊销.

Prints one "PASS <scenario>" line per scenario that passed and "FAIL <scenario>: <why>"
per one that did not; exits 1 if any failed. Each scenario saves full-page PNG screenshots
of its final state in OUT_DIR.
"""
import base64
import json
import os
import sys
import tempfile
import time
import urllib.request

import segno
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1366, 768
# How long to wait for the page to show a result. Only a limit against hanging: the
# debug-build service on a busy machine can take several seconds for one verification.
WAIT = 90

# A second business licence for the office scenario. The holder code is a unified social
# credit code the demo did not use, valid to GB 32100-2015 (check character G) with a valid
# GB 11714 organisation code inside (MA000001, check character 5).
HOLDER_NAME = "长春某某新材料有限公司"
HOLDER_CODE = "91220101MA0000015G"
SURFACE = {"lx": "有限责任公司（自然人投资或控股）", "fr": "赵六", "zb": "伍佰万元整"}
FOUNDED = "2021-06-18"
REVOKE_REASON = "以欺骗手段取得登记"


class Failed(Exception):
    """A check of a scenario did not hold."""


def check(cond, what):
    if not cond:
        raise Failed(what)


def make_driver():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--lang=zh-CN", f"--window-size={WIDTH},{HEIGHT}"]:
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Shanghai"})
    return driver


def fresh_page(d, url):
    """The page as a first visit shows it: no language, token or result kept."""
    d.get(url)
    d.execute_script("localStorage.clear(); sessionStorage.clear()")
    d.get(url)
    check(wait(d, "document.getElementById('verdict-text').textContent === '请放入文件或扫描二维码'", 20),
          "the page did not load (idle verdict text missing)")


def wait(d, js, timeout=WAIT):
    """Polls the JavaScript expression `js` until it is truthy; its value, or None."""
    end = time.monotonic() + timeout
    while True:
        value = d.execute_script("return " + js)
        if value or time.monotonic() > end:
            return value or None
        time.sleep(0.1)


def text(d, id_):
    return d.execute_script("return document.getElementById(arguments[0]).textContent", id_)


def visible(d, id_):
    return d.find_element(By.ID, id_).is_displayed()


def wait_verdict(d, before=None):
    """Waits until #verdict has a data-indication other than `before`, or #error shows."""
    got = wait(d, "(() => { const i = document.getElementById('verdict').dataset.indication;"
                  f" if (i && i !== {json.dumps(before)}) return i;"
                  " return document.getElementById('error').hidden ? null : 'ERROR'; })()")
    check(got != "ERROR", f"the page shows an error instead of a verdict: {text(d, 'error')!r}")
    check(got is not None, f"no new verdict after {WAIT} s; #verdict-text is {text(d, 'verdict-text')!r}")
    return got


def no_horizontal_overflow(d):
    check(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"),
          "the page is wider than the window: something sticks out to the right")


def screenshot(d, out, name):
    """The whole page (not just the window) as out/name.png."""
    metrics = d.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = d.execute_cdp_cmd("Page.captureScreenshot", {
        "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    with open(os.path.join(out, name + ".png"), "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def post_verify(url, body, content_type):
    """The service's report for `body`, asked for directly (not through the page)."""
    req = urllib.request.Request(url + "v1/verify", data=body, method="POST", headers={
        "Content-Type": content_type, "Accept-Language": "zh-CN"})
    with urllib.request.urlopen(req, timeout=WAIT) as res:
        return json.load(res)


def worst(report):
    order = ["TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED"]
    return max((s["indication"] for s in report["signatures"]), key=order.index)


def tampered_pdf(pdf):
    """`pdf` with one bit changed 100 bytes into the first page's content stream, which
    the first revision's signature covers."""
    data = bytearray(pdf)
    obj = data.index(b"\n4 0 obj")
    start = data.index(b"stream\n", obj) + len(b"stream\n")
    check(data.index(b"endstream", start) > start + 100, "the first page's content stream is short")
    data[start + 100] ^= 0x01
    return bytes(data)


def choose_file(d, input_id, path):
    d.find_element(By.ID, input_id).send_keys(os.path.abspath(path))


def signer_texts(d):
    return [e.text for e in d.find_elements(By.CSS_SELECTOR, "#signers > li.sig dd.signer")]


# ---- scenarios ----

def sealed_pdf(d, ctx):
    fresh_page(d, ctx.url)
    choose_file(d, "file-input", os.path.join(ctx.demo, "licence-lta.pdf"))
    got = wait_verdict(d)
    try:
        check(got == "TOTAL-PASSED", f"#verdict[data-indication] is {got}, not TOTAL-PASSED;"
              f" #reason: {text(d, 'reason')!r}")
        check(text(d, "verdict-text") == "验证通过", f"#verdict-text is {text(d, 'verdict-text')!r}")
        check(text(d, "reason") == "2 个签名或印章均有效，签名后未被篡改", f"#reason is {text(d, 'reason')!r}")
        check(text(d, "subject").startswith("文件：licence-lta.pdf（"), f"#subject is {text(d, 'subject')!r}")
        sigs = d.find_elements(By.CSS_SELECTOR, "#signers > li.sig")
        check([s.get_attribute("data-indication") for s in sigs] == ["TOTAL-PASSED", "TOTAL-PASSED"],
              f"#signers should list the seal and the document timestamp, both TOTAL-PASSED: "
              f"{[s.get_attribute('data-indication') for s in sigs]}")
        signers = signer_texts(d)
        check(visible(d, "signers") and "签章人 张三" in signers[0], f"#signers does not show 签章人 张三: {signers}")
        seal = d.find_element(By.CSS_SELECTOR, "#signers > li.sig dd.seal").text
        check(seal == "吉林省市场监督管理厅电子证照专用章", f"the seal name shown is {seal!r}")
        check(not visible(d, "fields"), "#fields is shown for a PDF")
        no_horizontal_overflow(d)
    finally:
        screenshot(d, ctx.out, "a-sealed-pdf-passed")


def tampered(d, ctx):
    with open(os.path.join(ctx.demo, "licence-lta.pdf"), "rb") as f:
        pdf = tampered_pdf(f.read())
    path = os.path.join(ctx.work, "licence-tampered.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    report = post_verify(ctx.url, pdf, "application/octet-stream")
    check(worst(report) == "TOTAL-FAILED", f"POST /v1/verify of the tampered PDF gives {worst(report)}")
    failed = next(s for s in report["signatures"] if s["indication"] == "TOTAL-FAILED")
    codes = [r["code"] for r in failed["reasons"]]
    check(codes[:1] == ["DIGEST_MISMATCH"], f"the service's reasons for the tampered PDF are {codes}")
    expected_reason = failed["reasons"][0]["message"]

    fresh_page(d, ctx.url)
    choose_file(d, "file-input", path)
    got = wait_verdict(d)
    try:
        check(got == "TOTAL-FAILED", f"#verdict[data-indication] is {got}, not TOTAL-FAILED")
        check(text(d, "verdict-text") == "验证失败", f"#verdict-text is {text(d, 'verdict-text')!r}")
        check(visible(d, "reason") and text(d, "reason") == expected_reason,
              f"#reason is {text(d, 'reason')!r}, not the service's {expected_reason!r}")
        first = d.find_element(By.CSS_SELECTOR, "#signers > li.sig")
        check(first.get_attribute("data-indication") == "TOTAL-FAILED",
              "the seal's entry in #signers is not TOTAL-FAILED")
        reasons = first.find_element(By.CSS_SELECTOR, "dd.reasons").text
        check(expected_reason in reasons, f"the seal's reasons in #signers are {reasons!r}")
        no_horizontal_overflow(d)
    finally:
        screenshot(d, ctx.out, "b-tampered-pdf-failed")


def qr_photo(d, ctx):
    with open(os.path.join(ctx.demo, "licence.qr.txt"), encoding="utf-8") as f:
        qr = f.read().strip()
    check(qr.startswith("ZZ1:"), f"licence.qr.txt does not hold a licence QR: {qr[:20]!r}")
    picture = os.path.join(ctx.work, "licence-qr.png")
    segno.make(qr, error="m", micro=False).save(picture, scale=6, border=4)

    fresh_page(d, ctx.url)
    choose_file(d, "qr-photo", picture)
    got = wait_verdict(d)
    try:
        decoded = d.find_element(By.ID, "qr-text").get_attribute("value")
        check(decoded == qr, f"#qr-text holds {decoded[:40]!r}…, not the QR of licence.qr.txt")
        rows = [r.text.replace("\n", " ") for r in d.find_elements(By.CSS_SELECTOR, "#fields tbody tr")]
        for row in ["证照名称 营业执照", "持证主体 长春某某科技发展有限公司", "证照编号 91220101MA0000007M",
                    "法定代表人 张三", "注册资本 壹仟万元整"]:
            check(row in rows, f"#fields lacks the row {row!r}: {rows}")
        check(got == "TOTAL-FAILED", f"#verdict[data-indication] is {got}, not TOTAL-FAILED")
        check(text(d, "verdict-text") == "验证失败", f"#verdict-text is {text(d, 'verdict-text')!r}")
        check(text(d, "reason").startswith("已吊销"), f"#reason is {text(d, 'reason')!r}, not 已吊销…")
        no_horizontal_overflow(d)
    finally:
        screenshot(d, ctx.out, "c-qr-photo-revoked")


def office(d, ctx):
    fresh_page(d, ctx.url)
    sign_in(d, ctx.clerk)
    check(wait(d, "document.getElementById('whoami').textContent.includes('窗口 01')", 30),
          f"the clerk's token: #whoami is {text(d, 'whoami')!r}")
    check(not visible(d, "issue-form") and not visible(d, "revoke-form"),
          "the clerk's token (verify only) shows the issue or revoke form")

    sign_in(d, ctx.officer)
    check(wait(d, "!document.getElementById('issue-form').hidden", 30),
          f"the officer's token does not show #issue-form; #whoami is {text(d, 'whoami')!r}")
    check(text(d, "whoami") == "操作员：办证员 王五；权限：签发、吊销", f"#whoami is {text(d, 'whoami')!r}")
    surface = [e.get_attribute("id") for e in d.find_elements(By.CSS_SELECTOR, "#surface input")]
    check(surface == ["f-lx", "f-fr", "f-zb", "f-clrq", "f-zs", "f-jyfw"],
          f"the form made from template.json has the inputs {surface}")

    d.find_element(By.ID, "holder-name").send_keys(HOLDER_NAME)
    d.find_element(By.ID, "holder-code").send_keys(HOLDER_CODE)
    for key, value in SURFACE.items():
        d.find_element(By.ID, f"f-{key}").send_keys(value)
    d.execute_script("document.getElementById('f-clrq').value = arguments[0]", FOUNDED)
    d.find_element(By.ID, "issue").click()
    ident = wait(d, "document.getElementById('issued-id').textContent"
                    " || (!document.getElementById('issue-error').hidden && 'ERROR')", WAIT)
    try:
        check(ident and ident != "ERROR", f"no licence issued: #issue-error is {text(d, 'issue-error')!r}")
        check(ident.startswith("1.2.156.3005.2.11100000000013338W032."), f"#issued-id is {ident!r}")
        check(wait(d, "document.getElementById('issued-qr').naturalWidth > 0", 30), "#issued-qr did not load")
        check(wait(d, "document.getElementById('issued-pdf').href.startsWith('blob:')", 30),
              "#issued-pdf did not get the licence PDF")
        check(text(d, "issued-status") == "有效", f"#issued-status is {text(d, 'issued-status')!r}, not 有效")
        d.find_element(By.ID, "verify-issued").click()
        got = wait_verdict(d)
        check(got == "TOTAL-PASSED", f"the issued licence's QR verifies {got}; #reason: {text(d, 'reason')!r}")
        check(text(d, "reason") == "证照有效，内容与签发时一致", f"#reason is {text(d, 'reason')!r}")
        warnings = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#signers dd.warnings li")]
        check(not any(w.startswith("hc:") for w in warnings), f"the holder code draws a warning: {warnings}")
        rows = [r.text.replace("\n", " ") for r in d.find_elements(By.CSS_SELECTOR, "#fields tbody tr")]
        check(f"持证主体 {HOLDER_NAME}" in rows and f"法定代表人 {SURFACE['fr']}" in rows,
              f"#fields of the issued licence: {rows}")
        no_horizontal_overflow(d)
    finally:
        screenshot(d, ctx.out, "d1-office-issued-passed")

    revoke_id = d.find_element(By.ID, "revoke-id").get_attribute("value")
    check(revoke_id == ident, f"#revoke-id holds {revoke_id!r}, not the issued {ident!r}")
    check(d.execute_script("const e = document.getElementById('revoke-id'); return e.scrollWidth <= e.clientWidth"),
          "#revoke-id is too narrow to show the whole identifier")
    d.find_element(By.ID, "revoke-reason").send_keys(REVOKE_REASON)
    d.find_element(By.ID, "revoke").click()
    result = wait(d, "document.getElementById('revoke-result').textContent", WAIT)
    failed = "err" in (d.find_element(By.ID, "revoke-result").get_attribute("class") or "")
    check(result == f"证照 {ident} 的状态已改为：吊销" and not failed, f"#revoke-result is {result!r}")
    check(text(d, "issued-status") == "吊销", f"#issued-status is {text(d, 'issued-status')!r} after the revocation")

    d.find_element(By.ID, "verify-issued").click()
    got = wait_verdict(d, before="TOTAL-PASSED")
    try:
        check(got == "TOTAL-FAILED", f"the revoked licence's QR verifies {got}; #reason: {text(d, 'reason')!r}")
        check(text(d, "verdict-text") == "验证失败", f"#verdict-text is {text(d, 'verdict-text')!r}")
        check(text(d, "reason").startswith("已吊销"), f"#reason is {text(d, 'reason')!r}, not 已吊销…")
        no_horizontal_overflow(d)
    finally:
        screenshot(d, ctx.out, "d2-office-revoked-failed")


def sign_in(d, token):
    field = d.find_element(By.ID, "token")
    field.clear()
    field.send_keys(token)
    d.find_element(By.ID, "token-apply").click()


SCENARIOS = [
    ("a. sealed PDF verifies TOTAL-PASSED", sealed_pdf),
    ("b. tampered PDF verifies TOTAL-FAILED", tampered),
    ("c. photo of the revoked licence QR: fields, TOTAL-FAILED 已吊销", qr_photo),
    ("d. office: issue, verify TOTAL-PASSED, revoke, verify TOTAL-FAILED 已吊销", office),
]


class Context:
    def __init__(self, url, demo, out, clerk, officer):
        self.url = url if url.endswith("/") else url + "/"
        self.demo, self.out, self.clerk, self.officer = demo, out, clerk, officer
        self.work = None  # a temporary folder for the files the scenarios make


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__)
    ctx = Context(*argv[1:])
    os.makedirs(ctx.out, exist_ok=True)
    work = tempfile.TemporaryDirectory(prefix="serve-browser-")
    ctx.work = work.name
    d = make_driver()
    failures = 0
    try:
        for name, scenario in SCENARIOS:
            started = time.monotonic()
            try:
                scenario(d, ctx)
                print(f"PASS {name} ({time.monotonic() - started:.1f} s)", flush=True)
            except (Failed, WebDriverException, OSError, ValueError, StopIteration) as e:
                failures += 1
                detail = getattr(e, "msg", None) or str(e) or type(e).__name__
                print(f"FAIL {name}: {detail}", flush=True)
    finally:
        d.quit()
        work.cleanup()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv)
