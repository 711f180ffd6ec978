"""The demo jobs on a test database (CI also runs the full demo through `make run`): two days of
the generated month load through the ingest path and are summarised by the billing rules; a
second run stores nothing new; the fleet demo reads emulated meters over TCP into the database."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from db.settings import Settings
from jobs import demo, fleet_demo

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


def test_demo_loads_two_days_and_is_idempotent(demo_db, capsys):
    assert demo.main(days=2, today=TODAY) == 0
    out = capsys.readouterr().out
    # 5 meters: 4 at 5 minutes (2 x 288 = 576 intervals each), 1 at 15 minutes (2 x 96 = 192)
    assert out.count("576 inserted") == 4 and out.count("192 inserted") == 1
    assert "Month 2026-10 (local), per consumer unit:" in out
    stored = _count(demo_db.url, "select count(*) from smf.interval_reading")
    assert stored == 4 * 576 + 192
    ucs = _count(demo_db.url, "select count(*) from smf.consumer_unit")
    assert ucs == 5
    assert demo.main(days=2, today=TODAY) == 0
    again = capsys.readouterr().out
    assert again.count("0 inserted, 0 updated") == 5
    assert _count(demo_db.url, "select count(*) from smf.interval_reading") == stored


def test_fleet_demo_reads_emulated_meters(demo_db, capsys):
    assert fleet_demo.run(meters=3) == 0
    out = capsys.readouterr().out
    assert "fleet demo: 3/3 meters read" in out
    assert _count(demo_db.url, "select count(*) from smf.meter") == 3
    assert _count(demo_db.url, "select count(*) from smf.interval_reading") > 0
