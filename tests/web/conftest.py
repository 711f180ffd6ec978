"""Web-view fixtures: the API seed (tests/api/conftest.py) in a cloned database, `smf serve`
(uvicorn) on a free loopback port serving it, and headless Chromium driven by Selenium.

The browser tests are skipped (with the reason) only when Debian's chromium or chromedriver is
not installed; scripts/setup.sh installs both.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from db import driver
from db.settings import Settings
from tests.api.conftest import Seed, database_grants, seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SERIAL = "12345678"  # meter M-A1 of the API seed


@pytest.fixture(scope="module")
def seeded(module_db: Settings) -> Seed:
    """The API seed; M-A1 (the client's UC) gets an 8-digit serial, as the ABNT file needs."""
    s = seed(database_grants(module_db))
    with driver.connect(module_db) as conn:
        conn.execute("update smf.meter set serial = %s where serial = 'M-A1'", (SERIAL,))
    return s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(seeded: Seed) -> Iterator[str]:
    """Base URL of `smf serve` on loopback over the seeded database."""
    if seeded.settings.external_url:
        pytest.skip("runs the local cluster")
    cs, port = seeded.settings.cluster, _free_port()
    env = {
        **os.environ,
        "SMF_PG_PORT": str(cs.port),
        "SMF_PG_DATA": str(cs.data_dir),
        "SMF_PG_DATABASE": seeded.settings.database,
        "SMF_API_PORT": str(port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "smf.cli", "serve"],
        env=env,
        cwd=Path(__file__).parents[2],
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, status = time.monotonic() + 60, 0
        while time.monotonic() < deadline and status != 200 and proc.poll() is None:
            try:
                status = httpx.get(f"{base}/health").status_code
            except httpx.HTTPError:
                time.sleep(0.2)
        assert status == 200, "smf serve did not answer /health"
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, err


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium; downloads go to tmp_path/downloads."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Debian's chromium and chromium-driver (scripts/setup.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1600",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        opts.add_argument(arg)
    opts.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()
