"""Web view and documentation hardening in a real browser (issue 17 §3, §5): headless Chromium
against `smf serve` on loopback.

- Every page carries Content-Security-Policy (frame-ancestors 'none'), nosniff and
  Referrer-Policy, and still renders (its stylesheet is its own file, allowed by the policy).
- A form on another site that posts a key to /web/login (login CSRF) is refused: no token, no
  session.
- /api/docs is Swagger UI from the package's own files: it renders every operation with every
  host name but 127.0.0.1 unresolvable (the network blocked), and loads nothing from elsewhere.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import Seed
from tests.web.conftest import CHROMEDRIVER, CHROMIUM
from tests.web.test_pages import form_post


def _chromium(tmp_path: Path, *extra: str) -> Any:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Debian's chromium and chromium-driver (scripts/setup.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1600",
        f"--user-data-dir={tmp_path / 'profile'}",
        *extra,
    ):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    return drv


@pytest.fixture
def offline_browser(tmp_path: Path) -> Iterator[Any]:
    """Chromium that can resolve no host name but 127.0.0.1 and localhost (no network)."""
    drv = _chromium(
        tmp_path, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"
    )
    try:
        yield drv
    finally:
        drv.quit()


@pytest.mark.slow
def test_security_headers_on_every_page(server: str, seeded: Seed, browser: Any) -> None:
    uc = seeded.ucs["M-A1"]
    with httpx.Client() as c:
        assert form_post(c, server, seeded.keys["cli"]).status_code == 303
        for path in (
            "/web/login",
            f"/web/uc/{uc}",
            f"/web/uc/{uc}/fatura",
            f"/web/uc/{uc}/graficos",
            "/web/uc/000000000000000",  # an error page (403)
            "/api/docs",
            "/api/docs/openapi.json",
            "/health",
            "/api/v1/search?q=x",  # 401 problem+json
        ):
            r = c.get(f"{server}{path}")
            h = r.headers
            assert h["x-content-type-options"] == "nosniff", path
            assert h["referrer-policy"] == "no-referrer", path
            assert h["x-frame-options"] == "DENY", path
            assert "frame-ancestors 'none'" in h["content-security-policy"], path
            if path.startswith("/web"):
                csp = h["content-security-policy"]
                assert "script-src" not in csp and "default-src 'none'" in csp, path
    # the page renders under its policy: the stylesheet (its own file) applies
    browser.get(f"{server}/web/login")
    header = browser.find_element("css selector", "header")
    assert header.value_of_css_property("background-color") == "rgba(29, 78, 137, 1)"  # #1d4e89
    logs = browser.get_log("browser") if hasattr(browser, "get_log") else []
    assert not [e for e in logs if "Content Security Policy" in e.get("message", "")], logs


class _Evil(http.server.BaseHTTPRequestHandler):
    """Another site: a page whose form posts a key to the SMF login on load."""

    target = ""
    key = ""

    def do_GET(self) -> None:
        body = (
            "<!doctype html><html><body>"
            f'<form id="f" method="post" action="{self.target}/web/login">'
            f'<input name="key" value="{self.key}"></form>'
            "<script>document.getElementById('f').submit()</script></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.slow
def test_a_cross_site_form_post_is_refused(server: str, seeded: Seed, browser: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    _Evil.target, _Evil.key = server, seeded.keys["cli"]
    evil = http.server.HTTPServer(("127.0.0.1", 0), _Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        # "localhost" is another site than "127.0.0.1" for the browser
        browser.get(f"http://localhost:{evil.server_address[1]}/")
        WebDriverWait(browser, 30).until(lambda b: b.current_url.startswith(server))
        assert "CSRF" in browser.page_source or browser.title.startswith("Acesso negado")
        assert browser.get_cookie("smf_web") is None  # no session was opened
        browser.get(f"{server}/web/uc/{seeded.ucs['M-A1']}")
        assert browser.current_url.endswith("/web/login")  # still logged out
    finally:
        evil.shutdown()
        evil.server_close()
    # the same post without the browser: 403, no session cookie
    r = httpx.post(f"{server}/web/login", data={"key": seeded.keys["cli"]}, follow_redirects=False)
    assert r.status_code == 403 and "smf_web" not in r.headers.get("set-cookie", "")


@pytest.mark.slow
def test_swagger_ui_renders_from_local_files_with_the_network_blocked(
    server: str, offline_browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    b = offline_browser
    b.get(f"{server}/api/docs")
    WebDriverWait(b, 60).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 30)
    assert "SMF API" in b.find_element(By.CSS_SELECTOR, ".info .title").text
    ops = b.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    assert any(o.text.startswith("/health") for o in ops)
    loaded = b.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(u.startswith(server) for u in loaded), loaded
