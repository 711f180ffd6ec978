"""`smf db doctor` on the test cluster (a single node, archiving off): each check's verdict from
facts planted in a fresh database, and the exit status the CLI gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from db import doctor
from db.settings import REPO_ROOT, Settings


@pytest.fixture
def no_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty backup repository of its own (not the one of .smf/)."""
    repo = tmp_path / "repo"
    monkeypatch.setenv("SMF_BACKUP_REPO", str(repo))
    return repo


def by_name(found: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {c.name: c for c in found}


@pytest.mark.slow
def test_single_node_verdicts(db_settings: Settings, no_repo: Path) -> None:
    c = by_name(doctor.checks(db_settings))
    assert c["cluster"].status == "ok" and "primary" in c["cluster"].detail
    assert "TimescaleDB 2.19" in c["cluster"].detail
    assert c["replication"] == doctor.Check(
        "replication", "ok", "single node (no standby configured)"
    )
    # the test cluster runs without WAL archiving: said, not hidden
    assert c["archive"].status == "warn" and "archiving is off" in c["archive"].detail
    assert c["backup"].status == "warn" and "no backup yet" in c["backup"].detail
    assert "interval data" in c["disk"].detail and "WAL (pg_wal)" in c["disk"].detail
    assert c["jobs"].status == "warn" and c["meters"].status == "ok"
    assert "formation" not in c


@pytest.mark.slow
def test_failed_job_and_unread_meters_are_named(db_settings: Settings, no_repo: Path) -> None:
    with psycopg.connect(db_settings.url) as conn:
        # two polled meters (a transport), one read today, one not; one imported-only meter
        conn.execute(
            "insert into smf.meter (serial, transport, enabled) values "
            "('11111111', 'tcp://127.0.0.1:1', true), ('22222222', 'tcp://127.0.0.1:2', true),"
            "('33333333', null, true), ('44444444', 'tcp://127.0.0.1:4', false)"
        )
        conn.execute(
            "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome) "
            "select id, now(), 10, 'schedule', 'ok' from smf.meter where serial = '11111111'"
        )
        conn.execute(
            "insert into smf.job_run (job, holder, outcome, error) values "
            "('ccee_send', 'h:1', 'ok', null), ('vee_daily', 'h:1', 'error', 'boom: disk full')"
        )
    c = by_name(doctor.checks(db_settings))
    # 22222222 only: 11111111 was read today, 33333333 is not polled, 44444444 is retired
    assert c["meters"] == doctor.Check("meters", "warn", "1 polled meters not read today: 22222222")
    assert c["jobs"].status == "fail"
    assert "vee_daily error" in c["jobs"].detail and "boom: disk full" in c["jobs"].detail
    assert "ccee_send ok" in c["jobs"].detail


def test_unreachable_database_is_one_failed_check() -> None:
    from db.settings import load

    s = load({"SMF_DATABASE_URL": "postgresql://smf@127.0.0.1:1,127.0.0.1:2/smf"})
    found = doctor.checks(s)
    assert [x.name for x in found] == ["cluster"] and found[0].status == "fail"
    assert "no connection through the configured URL" in found[0].detail


@pytest.mark.slow
def test_cli_exit_status_and_json(db_settings: Settings, no_repo: Path) -> None:
    env = {**os.environ, "SMF_DATABASE_URL": db_settings.url, "SMF_BACKUP_REPO": str(no_repo)}
    proc = subprocess.run(
        [sys.executable, "-m", "smf.cli", "db", "doctor", "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr  # warnings only
    rows = json.loads(proc.stdout)
    assert [r["name"] for r in rows] == [
        "cluster", "replication", "archive", "backup", "disk", "jobs", "meters",
    ]  # fmt: skip
    with psycopg.connect(db_settings.url) as conn:
        conn.execute("insert into smf.job_run (job, holder, outcome) values ('x', 'h', 'error')")
    failing = subprocess.run(
        [sys.executable, "-m", "smf.cli", "db", "doctor"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert failing.returncode == 1 and "FAIL  jobs" in failing.stdout
