"""The client web view in a real browser: headless Chromium (Selenium) against `smf serve` on
loopback over the seeded database. Figures on the pages are checked against the billing functions
read straight from the database, formatted pt-BR here by hand (1.234,56)."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from db import driver
from tests.api.conftest import Seed
from tests.web.conftest import SERIAL

CYCLE = date(2024, 3, 1)  # the seed's last interval (2024-03-01 23:55 UTC) is in local March


def br(value: Decimal | float, decimals: int = 2) -> str:
    """pt-BR by hand: thousands '.', decimal ','."""
    us = f"{float(value):,.{decimals}f}"  # 1,234.56
    return us.replace(",", "_").replace(".", ",").replace("_", ".")


def test_br_formatting_by_hand() -> None:
    assert br(1234.56) == "1.234,56" and br(Decimal("0.5")) == "0,50"


def bill(seeded: Seed, uc: str, item: str, posto: str | None) -> Decimal:
    with driver.connect(seeded.settings) as conn:
        row = conn.execute(
            "select quantity, amount from smf.billing_summary(%s, %s)"
            " where item = %s and posto is not distinct from %s",
            (uc, CYCLE, item, posto),
        ).fetchone()
    assert row is not None
    value: Decimal = row[1] if item == "total" else row[0]
    return value


def login(browser: Any, server: str, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/web/login")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "entrar").click()
    WebDriverWait(browser, 30).until(lambda b: "/web/uc/" in b.current_url)


def text(browser: Any, id_: str) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.ID, id_).text)


@pytest.mark.slow
def test_login_home_and_logout(browser: Any, server: str, seeded: Seed, tmp_path: Path) -> None:
    uc = seeded.ucs["M-A1"]
    browser.get(f"{server}/web/uc/{uc}")  # no session: the login form
    assert browser.current_url.endswith("/web/login")
    login(browser, server, seeded.keys["cli"])
    assert browser.current_url.endswith(f"/web/uc/{uc}")  # one UC in scope: straight to it
    browser.save_screenshot(str(tmp_path / "home.png"))
    cookie = browser.get_cookie("smf_web")
    assert cookie["httpOnly"] and seeded.keys["cli"] not in cookie["value"]
    assert text(browser, "cliente") == "Cliente M-A1"
    assert text(browser, "medidor") == SERIAL
    assert text(browser, "modalidade") == "azul"
    assert text(browser, "contratada-ponta") == "100,00"
    for posto in ("ponta", "fora_ponta"):
        assert text(browser, f"consumo-{posto}") == br(bill(seeded, uc, "energy", posto))
        assert text(browser, f"demanda-{posto}") == br(bill(seeded, uc, "demand_measured", posto))
    svgs = browser.find_elements("css selector", "svg")
    assert len(svgs) == 3  # demand over 24 h, energy and demand per bill
    browser.find_element("id", "logout").click()
    browser.get(f"{server}/web/uc/{uc}")
    assert browser.current_url.endswith("/web/login")


@pytest.mark.slow
def test_another_ucs_page_is_403(browser: Any, server: str, seeded: Seed, tmp_path: Path) -> None:
    login(browser, server, seeded.keys["cli"])
    for page in ("", "/fatura", "/graficos"):
        browser.get(f"{server}/web/uc/{seeded.ucs['M-B1']}{page}")
        assert browser.title.startswith("Acesso negado")
    browser.save_screenshot(str(tmp_path / "forbidden.png"))
    # the status code itself (a browser does not show it): the same session cookie over httpx
    cookie = browser.get_cookie("smf_web")["value"]
    r = httpx.get(
        f"{server}/web/uc/{seeded.ucs['M-B1']}", cookies={"smf_web": cookie}, follow_redirects=False
    )
    assert r.status_code == 403 and "Acesso negado" in r.text
    for tail in (
        "/exportar?formato=csv",
        "/exportar?formato=xlsx",
        "/memoria-de-massa?mes=2024-03",
    ):
        r = httpx.get(
            f"{server}/web/uc/{seeded.ucs['M-B1']}{tail}",
            cookies={"smf_web": cookie},
            follow_redirects=False,
        )
        assert r.status_code == 403, tail
    r = httpx.get(
        f"{server}/web/uc/{seeded.ucs['M-A1']}", cookies={"smf_web": cookie}, follow_redirects=False
    )
    assert r.status_code == 200


def form_post(c: httpx.Client, server: str, key: str) -> httpx.Response:
    """POST the login form as the browser does: with the CSRF token of the form just loaded."""
    import re

    form = c.get(f"{server}/web/login")
    m = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert m, form.text
    data = {"key": key, "_csrf_token": m.group(1)}
    return c.post(f"{server}/web/login", data=data, follow_redirects=False)


def test_bad_key_and_non_client_roles_are_refused(server: str, seeded: Seed) -> None:
    with httpx.Client() as c:
        r = form_post(c, server, "smf_nope")
        assert r.status_code == 401 and "Chave inválida" in r.text and "set-cookie" not in r.headers
        r = form_post(c, server, seeded.keys["ana"])
        assert r.status_code == 403 and "set-cookie" not in r.headers
    r = httpx.get(f"{server}/web/uc/x", cookies={"smf_web": "forged.0"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/login"


@pytest.mark.slow
def test_bill_page_matches_billing_summary(
    browser: Any, server: str, seeded: Seed, tmp_path: Path
) -> None:
    uc = seeded.ucs["M-A1"]
    login(browser, server, seeded.keys["cli"])
    browser.get(f"{server}/web/uc/{uc}/fatura")
    browser.save_screenshot(str(tmp_path / "fatura.png"))
    assert text(browser, "sim-total") == br(bill(seeded, uc, "total", None))
    assert text(browser, "sim-energy-ponta") == br(
        bill_amount(seeded, uc, CYCLE, "energy", "ponta")
    )
    # the seed's first local hours (2024-02-29 21:00-24:00 -03:00) are February's bill
    assert text(browser, "hist-2024-02") == br(
        bill_amount(seeded, uc, date(2024, 2, 1), "total", None)
    )
    r = httpx.get(
        f"{server}/web/uc/{uc}/memoria-de-massa?mes=2024-03",
        cookies={"smf_web": browser.get_cookie("smf_web")["value"]},
    )
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert f'filename="{SERIAL}_2024-03.abnt"' in r.headers["content-disposition"]
    # the first block: command code 0x21, then the serial in BCD (4 bytes)
    assert r.content[0] == 0x21 and r.content[1:5] == bytes.fromhex(SERIAL)


def bill_amount(seeded: Seed, uc: str, month: date, item: str, posto: str | None) -> Decimal:
    with driver.connect(seeded.settings) as conn:
        row = conn.execute(
            "select amount from smf.billing_summary(%s, %s)"
            " where item = %s and posto is not distinct from %s",
            (uc, month, item, posto),
        ).fetchone()
    assert row is not None and row[0] is not None
    value: Decimal = row[0]
    return value


@pytest.mark.slow
def test_graphs_page_and_csv_export(
    browser: Any, server: str, seeded: Seed, tmp_path: Path
) -> None:
    uc = seeded.ucs["M-A1"]
    login(browser, server, seeded.keys["cli"])
    browser.get(f"{server}/web/uc/{uc}/graficos")
    browser.save_screenshot(str(tmp_path / "graficos.png"))
    assert "01/03/2024" in browser.title  # the local day of the last interval
    # local 2024-03-01 starts 03:00 UTC = interval i = 36; intervals 36..287 carry (i + 1) Wh:
    # sum of 37..288 = 288*289/2 - 36*37/2 = 41616 - 666 = 40950 Wh = 40,95 kWh
    assert text(browser, "consumo-direto") == "40,95"
    assert text(browser, "consumo-reverso") == "0,00"
    assert len(browser.find_elements("css selector", "svg")) == 4
    browser.find_element("id", "csv").click()
    downloads = tmp_path / "downloads"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(downloads.glob("*.csv")):
        time.sleep(0.2)
    (csv_file,) = downloads.glob("*.csv")
    rows = list(csv.reader(io.StringIO(csv_file.read_text())))
    assert rows[0][:2] == ["bucket_start", "active_fwd_kwh"]
    first = next(r for r in rows[1:] if r[0].startswith("2024-03-01 00:00"))
    # the first local quarter hour: intervals 36, 37, 38 -> 37 + 38 + 39 = 114 Wh = 0.114 kWh
    assert float(first[1]) == 0.114
    cookie = browser.get_cookie("smf_web")["value"]
    r = httpx.get(f"{server}/web/uc/{uc}/exportar?formato=xlsx", cookies={"smf_web": cookie})
    assert r.status_code == 200 and r.content[:2] == b"PK"  # a zip: the XLSX workbook
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    cells = list(ws.iter_rows(values_only=True))
    assert cells[0][1] == "active_fwd_kwh"
    row = next(c for c in cells[1:] if c[0] == datetime(2024, 3, 1, 0, 0))  # local time
    assert row[1] == 0.114
    r = httpx.get(f"{server}/web/uc/{uc}/exportar?formato=pdf", cookies={"smf_web": cookie})
    assert r.status_code == 422
