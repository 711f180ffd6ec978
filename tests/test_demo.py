"""The demo jobs on a test database (CI also runs the full demo through `make run`): two days of
the generated month load through the ingest path and are summarised by the billing rules; a
second run stores nothing new; the fleet demo reads emulated meters over TCP into the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import psycopg
import pytest

from db.settings import Settings
from smf.demo import dataset as demo
from smf.demo import fleet as fleet_demo

TODAY = date(2026, 11, 15)  # the demo month is then October 2026 (local)


@pytest.fixture
def demo_db(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    return db_settings


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as c:
        row = c.execute(sql).fetchone()
        assert row is not None
        return int(row[0])


FIVE = "select count(*) from smf.interval_reading r join smf.meter m on m.id = r.meter_id"
FIVE += " where m.serial in ('99000001', '99000002', '99000003', '99000004', '99000005')"
FIVE += " and r.ts >= '2026-10-01T00:00-03:00'"  # the alarm demo adds 3 rows on September 30


@pytest.mark.slow
def test_demo_loads_two_days_and_is_idempotent(demo_db, capsys):
    assert demo.main(days=2, today=TODAY) == 0
    out = capsys.readouterr().out
    # 5 meters: 4 at 5 minutes (2 x 288 = 576 intervals each), 1 at 15 minutes (2 x 96 = 192);
    # the VEE demo then adds a sixth UC with a backup meter (its own lines, not counted here)
    loaded = [line for line in out.splitlines() if line.startswith("  meter 9900000")]
    assert [line.split(": ")[3].split(",")[0] for line in loaded[:5]] == [
        "576 inserted", "576 inserted", "576 inserted", "192 inserted", "576 inserted"
    ]  # fmt: skip
    assert "Month 2026-10 (local), per consumer unit:" in out
    stored = _count(demo_db.url, FIVE)
    assert stored == 4 * 576 + 192
    total = _count(demo_db.url, "select count(*) from smf.interval_reading")
    assert _count(demo_db.url, "select count(*) from smf.consumer_unit") == 6
    assert demo.main(days=2, today=TODAY) == 0
    again = capsys.readouterr().out
    assert again.count("0 inserted, 0 updated") >= 5
    assert _count(demo_db.url, FIVE) == stored
    assert _count(demo_db.url, "select count(*) from smf.interval_reading") == total


@pytest.mark.slow
def test_fleet_demo_reads_emulated_meters(demo_db, capsys):
    assert fleet_demo.run(meters=3, dlms_meters=2) == 0
    out = capsys.readouterr().out
    assert "fleet demo: 5/5 meters read" in out  # 3 NBR 14522 and 2 DLMS meters, all read
    assert "NBR 14522: 3/3 meters read (100 %)" in out
    assert "DLMS/COSEM: 2/2 meters read (100 %)" in out
    assert _count(demo_db.url, "select count(*) from smf.meter") == 5
    assert _count(demo_db.url, "select count(*) from smf.interval_reading") > 0


def test_demo_month_follows_the_local_calendar_not_utc():
    # 22:30 on November 30 in Sao Paulo (-03:00) is already 01:30 on December 1 in UTC: the
    # local month is November (unfinished), so the demo month is October, not November.
    now = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert now.astimezone(timezone(timedelta(hours=-3))).isoformat() == "2026-11-30T22:30:00-03:00"
    assert demo.local_today(now, "America/Sao_Paulo") == date(2026, 11, 30)
    start, end = demo.previous_month(demo.local_today(now, "America/Sao_Paulo"))
    # October 2026 local: 2026-10-01T00:00-03:00 = 03:00Z to 2026-11-01T00:00-03:00 = 03:00Z
    assert (start, end) == (
        datetime(2026, 10, 1, 3, tzinfo=UTC),
        datetime(2026, 11, 1, 3, tzinfo=UTC),
    )
    # one hour earlier in UTC terms nothing changes; at local midnight the month moves on
    assert demo.local_today(datetime(2026, 12, 1, 3, 0, tzinfo=UTC), "America/Sao_Paulo") == date(
        2026, 12, 1
    )
    with pytest.raises(ValueError, match="UTC offset"):
        demo.local_today(datetime(2026, 12, 1, 1, 30))


@pytest.mark.slow
def test_demo_main_at_2230_local_on_november_30_loads_october(demo_db, capsys, monkeypatch):
    monkeypatch.setenv("SMF_LOCAL_TIMEZONE", "America/Sao_Paulo")
    now = datetime.fromisoformat("2026-11-30T22:30-03:00")
    assert demo.main(days=1, now=now) == 0
    out = capsys.readouterr().out
    assert "Month 2026-10 (local), per consumer unit:" in out
    with psycopg.connect(demo_db.url) as c:
        first, last, future = c.execute(
            "select min(ts), max(ts), (select count(*) from smf.ingest_quarantine"
            "  where reason::text like '%future%') from smf.interval_reading r"
            " join smf.meter m on m.id = r.meter_id where m.serial = '99000001'"
        ).fetchone()
    assert first == datetime(2026, 10, 1, 3, tzinfo=UTC)  # 2026-10-01T00:00-03:00
    assert last < datetime(2026, 10, 2, 3, tzinfo=UTC)
    assert future == 0


@pytest.mark.slow
def test_doctor_reports_on_the_demo(demo_db, capsys):
    """`smf db doctor` on the demo's database (through SMF_DATABASE_URL, as an operator points it
    at a cluster it does not manage): every check answers, none fails, the demo's data is counted
    and its polled meters count as read today."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from db.settings import REPO_ROOT

    assert demo.main(days=2, today=TODAY) == 0
    assert fleet_demo.run(meters=2, dlms_meters=1) == 0
    capsys.readouterr()
    env = {**os.environ, "SMF_DATABASE_URL": demo_db.url}
    run = subprocess.run(
        [str(Path(sys.executable).parent / "smf"), "db", "doctor", "--json"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    checks = {c["name"]: c for c in json.loads(run.stdout)}
    assert set(checks) == {"cluster", "replication", "archive", "backup", "disk", "jobs", "meters"}
    assert all(c["status"] in ("ok", "warn") for c in checks.values()), checks
    assert checks["cluster"]["status"] == "ok" and "primary" in checks["cluster"]["detail"]
    # a database it does not manage: the backups are said to be someone else's, not "none"
    assert "not managed here" in checks["backup"]["detail"]
    assert "interval data " in checks["disk"]["detail"] and "rollups " in checks["disk"]["detail"]
    assert "interval data 0 B" not in checks["disk"]["detail"]
    assert checks["meters"] == {
        "name": "meters", "status": "ok", "detail": "every polled meter was read today"
    }  # fmt: skip
