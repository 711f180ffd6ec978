"""`smf storage seal|status`, the storage_seal job, and a seal killed by SIGKILL mid-batch: the
killed batch's meter-period stays exactly as rows (same hash), committed batches stay sealed,
and no interval is ever in both tiers or in neither."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from db.settings import Settings
from tests.storage.helpers import (
    add_meter,
    counts,
    interval_hash,
    load_rows,
    new_batch,
    realistic_rows,
)

START = datetime(2024, 1, 1, tzinfo=UTC)


def _cli(url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMF_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "smf.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _two_meters(url: str, weeks: int = 2) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        a = add_meter(conn, "KILLA", 15)
        b = add_meter(conn, "KILLB", 15)
        batch = new_batch(conn)
        for m, seed in ((a, 1), (b, 2)):
            load_rows(conn, realistic_rows(m, START, 7 * weeks, 15, [batch], seed=seed))
            conn.execute(
                "select smf.rollup_refresh_meter(%s, %s, %s)",
                (m, START, datetime(2024, 1, 1 + 7 * weeks, tzinfo=UTC)),
            )
    return a, b


@pytest.mark.slow
def test_seal_and_status_commands_seal_every_due_period_and_report_the_tiers(
    db_settings: Settings,
) -> None:
    a, b = _two_meters(db_settings.url)
    with psycopg.connect(db_settings.url) as conn:
        before = {m: interval_hash(conn, m) for m in (a, b)}
    out = _cli(db_settings.url, "storage", "seal", "--batch", "3", "--quiet")
    assert out.returncode == 0, out.stderr
    # 2 meters x 2 weeks, older than 62 days: 4 meter-periods in 2 transactions of 3
    assert "sealed 4 meter-periods" in out.stdout and "in 2 transactions" in out.stdout
    with psycopg.connect(db_settings.url) as conn:
        assert counts(conn, a) == (0, 2) and counts(conn, b) == (0, 2)
        assert {m: interval_hash(conn, m) for m in (a, b)} == before
    again = _cli(db_settings.url, "storage", "seal", "--quiet")
    assert again.returncode == 0 and "sealed 0 meter-periods" in again.stdout
    status = _cli(db_settings.url, "storage", "status")
    assert status.returncode == 0, status.stderr
    sealed_line = next(x for x in status.stdout.splitlines() if x.startswith("sealed periods"))
    # 4 stored rows holding every interval of both meters
    assert sealed_line.split()[3:5] == ["4", str(before[a][0] + before[b][0])]


@pytest.mark.slow
def test_seal_rejects_a_bad_argument_and_a_bad_setting_clearly(db_settings: Settings) -> None:
    out = _cli(db_settings.url, "storage", "seal", "--batch", "0")
    assert out.returncode == 2 and "'0': give 1 or more" in out.stderr
    out = _cli(db_settings.url, "storage", "seal", "--before", "2024-01-01")
    assert out.returncode == 2 and "give an offset" in out.stderr
    _two_meters(db_settings.url, weeks=1)
    with psycopg.connect(db_settings.url) as conn:
        conn.execute("update smf.setting set value = '30' where key = 'seal_period_days'")
    out = _cli(db_settings.url, "storage", "seal")
    assert out.returncode == 1
    assert "seal_period_days is 30; it must be 1 to 28" in out.stderr
    with psycopg.connect(db_settings.url) as conn:
        assert conn.execute("select count(*) from smf.interval_sealed").fetchone() == (0,)


@pytest.mark.slow
def test_the_storage_seal_job_is_recorded_in_job_run(db_settings: Settings) -> None:
    a, b = _two_meters(db_settings.url, weeks=1)
    out = _cli(db_settings.url, "jobs", "trigger", "storage_seal")
    assert out.returncode == 0, out.stderr
    with psycopg.connect(db_settings.url) as conn:
        row = conn.execute(
            "select outcome, counts from smf.job_run where job = 'storage_seal'"
        ).fetchone()
        assert row is not None
        assert row[0] == "ok" and row[1]["sealed"] == 2 and row[1]["busy"] is False
        assert counts(conn, a) == (0, 1) and counts(conn, b) == (0, 1)


@pytest.mark.slow
def test_a_seal_killed_mid_batch_leaves_that_period_as_rows(db_settings: Settings) -> None:
    a, b = _two_meters(db_settings.url, weeks=1)
    url = db_settings.url
    with psycopg.connect(url) as conn:
        before = {m: interval_hash(conn, m) for m in (a, b)}
    # Hold a row lock on one row of meter B: the seal of B (the second batch) inserts its sealed
    # row, then blocks deleting B's rows, inside its transaction.
    holder = psycopg.connect(url)
    holder.execute(
        "select 1 from smf.interval_reading where meter_id = %s order by ts limit 1 for update",
        (b,),
    )
    env = {**os.environ, "SMF_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smf.cli", "storage", "seal", "--batch", "1", "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with psycopg.connect(url, autocommit=True) as watch:
            deadline = time.monotonic() + 120
            while True:  # wait until the seal of B waits for the row lock
                row = watch.execute(
                    "select count(*) from pg_stat_activity a where a.wait_event_type = 'Lock'"
                    " and a.datname = current_database() and a.pid <> pg_backend_pid()"
                ).fetchone()
                if row and row[0] > 0:
                    break
                assert time.monotonic() < deadline, "the seal never reached meter B"
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            holder.rollback()  # the blocked backend goes on, then finds its client gone
            deadline = time.monotonic() + 60
            while watch.execute(
                "select count(*) from pg_stat_activity where datname = current_database()"
                " and pid <> pg_backend_pid() and backend_type = 'client backend'"
                " and application_name <> 'holder' and state <> 'idle'"
            ).fetchone() != (0,):
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        holder.close()
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)  # closes the pipes
    with psycopg.connect(url) as conn:
        # A's batch committed before the kill: sealed. B's batch rolled back: rows, as before.
        assert counts(conn, a) == (0, 1)
        assert counts(conn, b) == (before[b][0], 0)
        assert interval_hash(conn, b, "hot") == before[b]
        assert {m: interval_hash(conn, m) for m in (a, b)} == before
    # and the next run finishes the job
    out = _cli(url, "storage", "seal", "--quiet")
    assert out.returncode == 0 and "sealed 1 meter-periods" in out.stdout, out.stderr
    with psycopg.connect(url) as conn:
        assert counts(conn, b) == (0, 1)
        assert interval_hash(conn, b) == before[b]


HOT = ("interval_reading", "rollup_15min", "rollup_hour")
CHUNKS = (
    "select format('%%I.%%I', chunk_schema, chunk_name), hypertable_name"
    " from timescaledb_information.chunks"
    " where hypertable_schema = 'smf' and hypertable_name = any (%s) order by 1"
)


def _rows_in(conn: psycopg.Connection[Any], chunk: str) -> int:
    row = conn.execute(f"select count(*) from {chunk}").fetchone()  # a name from the catalog
    assert row is not None
    return int(row[0])


@pytest.mark.slow
def test_sealing_drops_the_hot_chunks_it_emptied_and_keeps_those_still_holding_rows(
    db_settings: Settings,
) -> None:
    a, b = _two_meters(db_settings.url, weeks=3)
    with psycopg.connect(db_settings.url) as conn:
        # a row off the 15-minute grid keeps its meter-period hot, and so its chunk
        c = add_meter(conn, "KILLC", 15)
        conn.execute(
            "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, batch_id)"
            " values (%s, '2024-01-10 00:07+00', 5, %s)",
            (c, new_batch(conn)),
        )
        before = {m: interval_hash(conn, m) for m in (a, b, c)}
        chunks_before = conn.execute(CHUNKS, (list(HOT),)).fetchall()
        # a reader holding one chunk that sealing will empty: it is left for the next run
        busy = next(ch for ch, ht in chunks_before if ht == "interval_reading"
                    and not conn.execute(
                        f"select exists (select from {ch} where meter_id = %s)", (c,)
                    ).fetchone()[0])  # fmt: skip
    reader = psycopg.connect(db_settings.url)
    try:
        reader.execute(f"select count(*) from {busy}")  # ACCESS SHARE until the rollback
        out = _cli(db_settings.url, "storage", "seal", "--quiet")
        assert out.returncode == 0, out.stderr
    finally:
        reader.rollback()
        reader.close()
    with psycopg.connect(db_settings.url) as conn:
        chunks_after = conn.execute(CHUNKS, (list(HOT),)).fetchall()
        gone = set(chunks_before) - set(chunks_after)
        assert gone and not set(chunks_after) - set(chunks_before)
        assert f"empty hot chunks dropped: {len(gone)} (" in out.stdout
        # what is left: the chunk the reader held (now empty) and chunks that hold rows
        left_empty = [ch for ch, _ in chunks_after if _rows_in(conn, ch) == 0]
        assert left_empty == [busy]
        # every interval reads back the same, the off-grid row included
        assert {m: interval_hash(conn, m) for m in (a, b, c)} == before
    again = _cli(db_settings.url, "storage", "seal", "--quiet")
    assert again.returncode == 0 and "empty hot chunks dropped: 1 (" in again.stdout
    with psycopg.connect(db_settings.url) as conn:
        assert busy not in {ch for ch, _ in conn.execute(CHUNKS, (list(HOT),)).fetchall()}
