"""Backups and point-in-time recovery with pgBackRest, through the CLI a user runs: import A,
note the time, import B, restore to the noted time: A is there, B is not, the rollups are exact.
A restore onto the running cluster is refused and changes nothing."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from db import backup
from db.backup import free_port
from db.cluster import Cluster
from db.ingest import ingest_csv
from db.settings import ClusterSettings, Settings
from tests.db.helpers import add_meters, fingerprint, query, write_csv

from .conftest import smf, stop_all

HEADER = "meter_serial,ts,active_fwd_kwh"


def day_rows(day: str, kwh: str) -> list[str]:
    """One row per 5-minute interval of a local day (-03:00): 288 rows."""
    return [f"M1,{day}T{m // 60:02d}:{m % 60:02d}:00-03:00,{kwh}" for m in range(0, 1440, 5)]


def assert_state_a(url: str) -> None:
    """What import A alone leaves: 288 intervals of 100 Wh on 2026-10-01 (local), nothing else.

    Worked by hand: 0.100 kWh = 100 Wh per interval; a 15-minute bucket holds 3 x 100 = 300 Wh,
    an hour 12 x 100 = 1200 Wh, the day 288 x 100 = 28800 Wh, and so does the month."""
    assert query(
        url, "select count(*), sum(active_fwd_wh), min(ts), max(ts) from smf.interval_reading"
    ) == [
        (
            288,
            28800,
            datetime.fromisoformat("2026-10-01T03:00:00+00:00"),
            datetime.fromisoformat("2026-10-02T02:55:00+00:00"),
        )
    ]
    # B's correction of 00:00 (5 kWh) and B's day 2026-10-02 are absent, and so is the
    # superseded version B's correction would have left in the history
    assert query(
        url, "select active_fwd_wh from smf.interval_reading where ts = '2026-10-01 03:00Z'"
    ) == [(100,)]
    assert query(url, "select count(*) from smf.interval_reading_history") == [(0,)]
    assert query(
        url, "select count(*), min(active_fwd_wh), max(active_fwd_wh) from smf.rollup_15min"
    ) == [(96, 300, 300)]
    assert query(
        url, "select count(*), min(active_fwd_wh), max(active_fwd_wh) from smf.rollup_hour"
    ) == [(24, 1200, 1200)]
    assert query(
        url, "select bucket::text, active_fwd_wh, n_measured, n_expected from smf.rollup_day"
    ) == [("2026-10-01", 28800, 288, 288)]
    assert query(url, "select bucket::text, active_fwd_wh from smf.rollup_month") == [
        ("2026-10-01", 28800)
    ]


def assert_state_b(url: str) -> None:
    """After B: 00:00 corrected to 5000 Wh (day 1 = 28800 - 100 + 5000 = 33700 Wh) and day 2 at
    200 Wh per interval (288 x 200 = 57600 Wh); the month 33700 + 57600 = 91300 Wh."""
    assert query(url, "select bucket::text, active_fwd_wh from smf.rollup_day order by 1") == [
        ("2026-10-01", 33700),
        ("2026-10-02", 57600),
    ]
    assert query(url, "select active_fwd_wh from smf.rollup_month") == [(91300,)]


def import_a_then_b(settings: Settings, tmp: Path) -> datetime:
    """Import A, note the server's time, import B; the noted time."""
    ingest_csv(
        write_csv(tmp / "a.csv", HEADER, *day_rows("2026-10-01", "0.100")), settings=settings
    )
    with psycopg.connect(settings.url) as conn:
        noted = conn.execute("select clock_timestamp()").fetchone()[0]
    time.sleep(0.2)  # B commits strictly after the noted time
    b_rows = ["M1,2026-10-01T00:00:00-03:00,5.000", *day_rows("2026-10-02", "0.200")]
    ingest_csv(write_csv(tmp / "b.csv", HEADER, *b_rows), settings=settings)
    assert_state_b(settings.url)
    # what B committed is archived (a lost disk now would lose nothing restorable)
    backup.archive_now(settings.cluster)
    return noted


@pytest.mark.slow
def test_restore_to_a_noted_time_keeps_a_and_drops_b(archived: Settings, scratch: Path) -> None:
    add_meters(archived.url, "M1")
    done = smf(archived, "db", "backup", "--full")
    assert done.returncode == 0, done.stderr
    assert "(full)" in done.stdout and "WAL 0000000" in done.stdout

    noted = import_a_then_b(archived, scratch)

    listed = smf(archived, "db", "backups")
    assert listed.returncode == 0, listed.stderr
    label = backup.Repository(archived.cluster).info()[0]["label"]
    assert label in listed.stdout and " full " in listed.stdout and "archived WAL:" in listed.stdout

    # onto the running cluster: refused, with the reason and both ways on; nothing changes
    before = fingerprint(archived.url)
    refused = smf(archived, "db", "restore", "--to", noted.isoformat())
    assert refused.returncode == 1
    assert "is running" in refused.stderr and "smf db stop" in refused.stderr
    assert "--target" in refused.stderr
    assert fingerprint(archived.url) == before

    # a time before the first backup ended: nothing to restore to, said before any file moves
    early = smf(
        archived, "db", "restore", "--to", "2026-01-01T00:00:00-03:00", "--target",
        str(scratch / "early"),
    )  # fmt: skip
    assert early.returncode == 1 and "no backup finished at or before" in early.stderr
    assert not (scratch / "early").exists()

    # a copy beside the running cluster, on another port: A without B
    copy_dir = scratch / "copy"
    copied = smf(archived, "db", "restore", "--to", noted.isoformat(), "--target", str(copy_dir))
    assert copied.returncode == 0, copied.stderr
    port = int(copied.stdout.split("SMF_PG_PORT=")[1].split()[0])
    copy = ClusterSettings(data_dir=copy_dir, port=port)
    try:
        assert_state_a(copy.url("smf"))
        # the copy does not archive into the repository of the original
        assert query(copy.url("postgres"), "show archive_mode") == [("off",)]
    finally:
        stop_all(Cluster(copy))
    assert_state_b(archived.url)  # the original is untouched

    # in place: stop, refuse without --yes, then restore and start
    assert smf(archived, "db", "stop").returncode == 0
    unconfirmed = smf(archived, "db", "restore", "--to", noted.isoformat())
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    restored = smf(archived, "db", "restore", "--to", noted.isoformat(), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert_state_a(archived.url)
    # the restored cluster takes writes and archives them on its new timeline
    ingest_csv(
        write_csv(scratch / "c.csv", HEADER, "M1,2026-10-03T00:00:00-03:00,1.000"),
        settings=archived,
    )
    segment = backup.archive_now(archived.cluster)
    assert int(segment[:8], 16) >= 2  # timeline 2 or later: the restore branched history


@pytest.mark.slow
def test_restore_refuses_a_time_without_offset_and_a_non_empty_target(scratch: Path) -> None:
    # refused before any server is needed: no cluster runs here
    archived = Settings(
        cluster=ClusterSettings(data_dir=scratch / "pgdata", port=free_port()),
        database="smf",
        external_url=None,
        local_timezone="America/Sao_Paulo",
    )
    bad = smf(archived, "db", "restore", "--to", "2026-10-01 12:00")
    assert bad.returncode == 1 and "no UTC offset" in bad.stderr
    garbage = smf(archived, "db", "restore", "--to", "yesterday")
    assert garbage.returncode == 1 and "neither `latest` nor an ISO 8601 time" in garbage.stderr
    occupied = scratch / "occupied"
    occupied.mkdir()
    (occupied / "file").write_text("x")
    refused = smf(archived, "db", "restore", "--to", "latest", "--target", str(occupied))
    assert refused.returncode == 1 and "is not empty" in refused.stderr
    assert (occupied / "file").read_text() == "x"


@pytest.mark.parametrize("kind", ["full", "diff", "incr"])
def test_backup_kinds_are_kept_apart(kind: str) -> None:
    """The three kinds map to pgBackRest's --type; anything else is refused before running."""
    cs = ClusterSettings(data_dir=Path("/nonexistent/pgdata"), port=1)
    repo = backup.Repository(cs, backup.load_settings(cs, {}))
    with pytest.raises(backup.BackupError, match="backup kind must be one of"):
        repo.backup(kind.upper())
