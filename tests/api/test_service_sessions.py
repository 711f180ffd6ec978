"""No service connects as a superuser (issue 17, "done when"): while `smf serve` answers a load
of API requests, `smf read` polls an emulated meter over TCP and `smf ccee submit` sends a UC-day
to our CCEE emulator, a sampler lists pg_stat_activity every few milliseconds. Every session of
the three services is its own non-superuser login role (smf_svc_api, smf_svc_poller,
smf_svc_jobs); the only superuser sessions are the test's tools (the meter emulator registering
its meters, an admin verb). The services run as operators run them: separate processes on the
local cluster (SMF_PG_PORT / SMF_PG_DATA), each session named by PGAPPNAME."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from ccee import emulator
from db import driver
from db.settings import REPO_ROOT, Settings
from tests.api.conftest import Seed, seeded_clone
from tests.ccee.helpers import DAY, make_uc, put_day


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sampler(threading.Thread):
    """Lists the database's sessions (login role, superuser?, application name) until stopped."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.url = settings.url
        self.db = settings.database
        self.seen: set[tuple[str, bool, str]] = set()
        self.halt = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True, application_name="smf-test-sampler") as c:
            while not self.halt.is_set():
                for row in c.execute(
                    "select a.usename, r.rolsuper, coalesce(a.application_name, '')"
                    " from pg_stat_activity a join pg_roles r on r.oid = a.usesysid"
                    " where a.datname = %s and a.pid <> pg_backend_pid()",
                    (self.db,),
                ):
                    self.seen.add((row[0], row[1], row[2]))
                time.sleep(0.01)


@pytest.fixture
def local(test_cluster: Settings, seeded_template: tuple[str, Seed]) -> Iterator[Seed]:
    from tests.conftest import drop

    if test_cluster.external_url:
        pytest.skip("runs the services on the local cluster")
    s = seeded_clone(test_cluster, seeded_template)
    yield s
    drop(s.settings)


@pytest.mark.slow
def test_no_service_session_is_a_superuser(local: Seed, tmp_path: Path) -> None:
    cs, db = local.settings.cluster, local.settings.database
    ccee = emulator.start(emulator.State(clients={"smf-test": "s3cr3t"}))
    with driver.connect(local.settings) as conn:
        uc = make_uc(conn, 7)
    driver.dispose_all()
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SMF_", "PG"))},
        "SMF_PG_PORT": str(cs.port),
        "SMF_PG_DATA": str(cs.data_dir),
        "SMF_PG_DATABASE": db,
        "SMF_CCEE_BASE_URL": ccee.url,
        "SMF_CCEE_CLIENT_ID": "smf-test",
        "SMF_CCEE_CLIENT_SECRET": "s3cr3t",
        "SMF_CCEE_AGENT_CODE": "7391",
        "SMF_CCEE_PROFILE_CODE": "42",
        "SMF_CCEE_BACKOFF_S": "0.01",
    }

    def env(app: str, **extra: str) -> dict[str, str]:
        return {**base_env, "PGAPPNAME": app, **extra}

    def smf(app: str, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "smf.cli", *argv],
            env=env(app),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )

    sampler = Sampler(local.settings)
    sampler.start()
    api_port, meter_port = _free_port(), _free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "smf.cli", "serve"],
        env=env("smf-test-svc-api", SMF_API_PORT=str(api_port)),
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    meters = subprocess.Popen(
        [sys.executable, "-m", "smf.cli", "emulate", "--meters", "1", "--base-port",
         str(meter_port), "--base-serial", "41000000", "--register"],
        env=env("smf-test-tool"), cwd=REPO_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        # an API load: health, then requests of every kind a client makes
        base = f"http://127.0.0.1:{api_port}"
        deadline, status = time.monotonic() + 60, 0
        while time.monotonic() < deadline and status != 200 and api.poll() is None:
            try:
                status = httpx.get(f"{base}/health").status_code
            except httpx.HTTPError:
                time.sleep(0.2)
        assert status == 200, "smf serve did not answer /health"
        h = local.headers("root")
        for _ in range(5):
            assert httpx.get(f"{base}/api/v1/search?q=", headers=h).status_code == 200
            r = httpx.get(
                f"{base}/api/v1/meters/M-A1/intervals",
                params={"from": "2024-03-01T00:00:00Z", "to": "2024-03-02T00:00:00Z"},
                headers=h,
            )
            assert r.status_code == 200, r.text
        # a poll: `smf read` reads the emulated meter over TCP and stores what it read
        assert meters.stdout is not None
        assert meters.stdout.readline().startswith("41000000 ")
        read = smf("smf-test-svc-poller", "read", "41000000")
        assert read.returncode == 0, read.stderr
        assert read.stdout.startswith("41000000: ok"), read.stdout
        # a CCEE send: one complete UC-day to our emulator
        with psycopg.connect(
            local.settings.url, autocommit=True, application_name="smf-test-tool"
        ) as conn:
            put_day(conn, uc, [100] * 288)
        ccee.state.ucs[uc.code] = emulator.Uc(uc.agent, None)
        send = smf("smf-test-svc-jobs", "ccee", "submit", "--uc", uc.code, "--day", str(DAY))
        assert send.returncode == 0, send.stderr
        time.sleep(0.2)  # one more sampling round with the API's pool connected
    finally:
        sampler.halt.set()
        sampler.join(10)
        api.send_signal(signal.SIGTERM)
        api.communicate(timeout=30)
        meters.send_signal(signal.SIGTERM)
        meters.communicate(timeout=30)
        ccee.stop()
    with psycopg.connect(local.settings.url) as conn:
        sent = conn.execute("select count(*) from smf.ccee_attempt").fetchone()
        polled = conn.execute("select count(*) from smf.poll_attempt").fetchone()
    assert sent is not None and sent[0] >= 1 and polled is not None and polled[0] >= 1
    roles = {app: set() for app in ("api", "poller", "jobs")}  # type: dict[str, set[Any]]
    for user, superuser, app in sampler.seen:
        if app.startswith("smf-test-svc-"):
            roles[app.removeprefix("smf-test-svc-")].add((user, superuser))
        elif superuser:
            assert app == "smf-test-tool", (user, app)  # no other superuser session at all
    assert roles == {
        "api": {("smf_svc_api", False)},
        "poller": {("smf_svc_poller", False)},
        "jobs": {("smf_svc_jobs", False)},
    }
