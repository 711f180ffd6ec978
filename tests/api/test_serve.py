"""`smf serve` end to end: it starts against a database at head, answers on loopback, and stops
cleanly on SIGTERM; it refuses a database that is not at head."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from db.settings import Settings
from tests.api.conftest import Seed

SMF = [sys.executable, "-m", "smf.cli"]


def _env(settings: Settings, port: int) -> dict[str, str]:
    cs = settings.cluster
    return {
        **os.environ,
        "SMF_PG_PORT": str(cs.port),
        "SMF_PG_DATA": str(cs.data_dir),
        "SMF_PG_DATABASE": settings.database,
        "SMF_API_PORT": str(port),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_and_stops_on_sigterm(seeded: Seed) -> None:
    if seeded.settings.external_url:
        pytest.skip("runs the local cluster")
    port = _free_port()
    proc = subprocess.Popen(
        [*SMF, "serve"],
        env=_env(seeded.settings, port),
        cwd=Path(__file__).parents[2],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, status = time.monotonic() + 60, 0
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/health").status_code
            except httpx.HTTPError:
                time.sleep(0.2)
        assert status == 200
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/meters/M-A1", headers=seeded.headers("cli"))
        assert r.status_code == 200 and r.json()["serial"] == "M-A1"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells it
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "Traceback" not in err


@pytest.mark.slow
def test_serve_refuses_a_database_not_at_head(test_cluster: Settings, template: str) -> None:
    from tests.conftest import clone, drop

    settings = clone(test_cluster, template)
    try:
        from db import driver

        with driver.connect(settings) as conn:
            conn.execute("update public.alembic_version set version_num = '0003'")
        proc = subprocess.run(
            [*SMF, "serve"],
            env=_env(settings, _free_port()),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 1
        assert "at revision 0003" in proc.stderr and "smf db migrate" in proc.stderr
    finally:
        drop(settings)
