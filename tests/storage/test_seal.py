"""Sealing is exact: every value, quality, source and batch of a meter-year reads back the same
through the read path after sealing and again after unsealing; the rollups derived from sealed
periods equal the stored rows they replace; the encoding is the one documented in
025_storage.sql (checked on values worked out by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.storage.helpers import (
    add_meter,
    counts,
    interval_hash,
    load_rows,
    new_batch,
    realistic_rows,
    rollup_hash,
    seal_all,
)

START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday: whole UTC weeks


def _load_year(conn: psycopg.Connection[Any], serial: str, interval: int, seed: int) -> int:
    meter = add_meter(conn, serial, interval)
    batches = [new_batch(conn, s) for s in ("import", "meter", "meter", "estimate")]
    load_rows(conn, realistic_rows(meter, START, 364, interval, batches, seed=seed))
    conn.execute(
        "select smf.rollup_refresh_meter(%s, %s, %s)",
        (meter, START, datetime(2024, 12, 30, tzinfo=UTC)),
    )
    return meter


@pytest.mark.slow
@pytest.mark.parametrize("interval", [5, 15])
def test_a_sealed_meter_year_reads_back_every_value_quality_source_and_batch(
    conn: psycopg.Connection[Any], interval: int
) -> None:
    meter = _load_year(conn, f"SEAL{interval}", interval, seed=interval)
    before = interval_hash(conn, meter, "hot")
    assert before[0] > 364 * 1440 // interval * 0.99  # a year, a few gaps
    rollups = {lvl: rollup_hash(conn, meter, lvl) for lvl in ("15min", "hour", "day", "month")}

    result = seal_all(conn)

    assert result["sealed"] == 52 and result["off_grid"] == 0  # 364 days = 52 whole weeks
    assert result["rows"] == before[0]
    assert counts(conn, meter) == (0, 52)
    assert interval_hash(conn, meter) == before
    # 15-minute and hourly rows are gone from the tables, derived on read, and equal
    n15 = conn.execute("select count(*) from smf.rollup_15min where meter_id = %s", (meter,))
    assert n15.fetchone() == (0,)
    for lvl, want in rollups.items():
        assert rollup_hash(conn, meter, lvl) == want, lvl

    unsealed = conn.execute(
        "select smf.storage_unseal(array[%s], array['-infinity'::timestamptz],"
        " array['infinity'::timestamptz])",
        (meter,),
    ).fetchone()
    assert unsealed == (52,)
    assert counts(conn, meter) == (before[0], 0)
    assert interval_hash(conn, meter, "hot") == before
    for lvl, want in rollups.items():
        assert rollup_hash(conn, meter, lvl) == want, lvl


def test_a_range_read_crosses_the_hot_and_sealed_tiers(conn: psycopg.Connection[Any]) -> None:
    meter = add_meter(conn, "RANGE1", 15)
    batch = new_batch(conn)
    # 2024-01-01 .. 2024-01-15 (two weeks) at 15 minutes, Wh = slot number
    rows = [(meter, START + timedelta(minutes=15 * i), i) for i in range(14 * 96)]
    with conn.cursor() as cur:
        cur.executemany(
            "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, batch_id)"
            f" values (%s, %s, %s, {batch})",
            rows,
        )
    # seal the first week only
    conn.execute(
        "select smf.storage_seal_periods(array[%s], array['2024-01-01 00:00+00'::timestamptz])",
        (meter,),
    )
    assert counts(conn, meter) == (7 * 96, 1)
    # [Jan 7 23:00, Jan 8 01:00) holds slots 6*96+92 .. 7*96+3: 8 intervals, 4 sealed + 4 hot;
    # sum = (668+669+670+671) + (672+673+674+675) = 2678 + 2694 = 5372
    got = conn.execute(
        "select count(*), sum(active_fwd_wh) from smf.intervals(%s,"
        " '2024-01-07 23:00+00', '2024-01-08 01:00+00')",
        (meter,),
    ).fetchone()
    assert got == (8, 5372)
    # the range bounds are half-open on both tiers: [Jan 7 23:45, Jan 8 00:00) is slot 671 only
    got = conn.execute(
        "select array_agg(active_fwd_wh) from smf.intervals(%s,"
        " '2024-01-07 23:45+00', '2024-01-08 00:00+00')",
        (meter,),
    ).fetchone()
    assert got == ([671],)


def test_the_encoding_picks_the_narrowest_width_per_channel(conn: psycopg.Connection[Any]) -> None:
    """One week of a 15-minute meter, 672 slots, three rows only:
    slot 1: active 100, voltage_a 220000, current_a 0, active_rev -2147483648
    slot 2: active 355, voltage_a 285535, current_a 70000, active_rev 2147483647
    slot 4: quality missing, every value NULL (slot 3: no row)."""
    meter = add_meter(conn, "ENC1", 15)
    batch = new_batch(conn)
    conn.execute(
        "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, active_rev_wh,"
        " voltage_a_mv, current_a_ma, quality, source, batch_id) values"
        " (%(m)s, '2024-01-01 00:00+00', 100, -2147483648, 220000, 0, 'measured', 'meter', %(b)s),"
        " (%(m)s, '2024-01-01 00:15+00', 355, 2147483647, 285535, 70000, 'estimated',"
        " 'estimate', %(b)s),"
        " (%(m)s, '2024-01-01 00:45+00', null, null, null, null, 'missing', 'import', %(b)s)",
        {"m": meter, "b": batch},
    )
    before = interval_hash(conn, meter, "hot")
    seal_all(conn)
    row = conn.execute(
        "select slots, n_rows, width, pos, base, v1[1:2]::int[], v2[1:2], v4[1:2], qs[1:5]::int[]"
        " from smf.interval_sealed where meter_id = %s",
        (meter,),
    ).fetchone()
    assert row is not None
    slots, n_rows, width, pos, base, v1, v2, v4, qs = row
    assert (slots, n_rows) == (672, 3)
    # active_fwd: range 355 - 100 = 255 fits 1 byte; base = min + 128 = 228; offsets -128, 127
    # active_rev: range 2^32 - 1 needs 4 bytes, stored as is (base 0)
    # voltage_a: range 65535 fits 2 bytes; base = 220000 + 32768 = 252768; offsets -32768, 32767
    # current_a: range 70000 needs 4 bytes; batch_id: range 0 fits 1 byte, base = batch + 128
    # the other channels are NULL everywhere: width 0
    assert width == [1, 4, 0, 0, 0, 0, 2, 0, 0, 4, 0, 0, 1]
    assert base[0] == 228 and base[1] == 0 and base[6] == 252768 and base[9] == 0
    assert base[12] == batch + 128
    # width-1 channels are concatenated in channel order: active_fwd at 1, batch_id at 673
    assert pos[0] == 1 and pos[12] == 673 and pos[1] == 1 and pos[9] == 673 and pos[6] == 1
    assert v1 == [-128, 127]
    assert v2 == [-32768, 32767]
    assert v4 == [-2147483648, 2147483647]
    # qs: 1 + 16 * (quality index - 1) + (source index - 1); 0 = no row
    # measured/meter = 1; estimated/estimate = 1 + 32 + 2 = 35; no row = 0;
    # missing/import = 1 + 48 + 3 = 52
    assert qs == [1, 35, 0, 52, 0]
    assert interval_hash(conn, meter) == before


def test_a_period_with_a_row_off_the_interval_grid_stays_hot(conn: psycopg.Connection[Any]) -> None:
    meter = add_meter(conn, "GRID1", 15)
    batch = new_batch(conn)
    conn.execute(
        "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, batch_id) values"
        " (%(m)s, '2024-01-01 00:00+00', 1, %(b)s), (%(m)s, '2024-01-01 00:05+00', 2, %(b)s),"
        " (%(m)s, '2024-01-08 00:00+00', 3, %(b)s)",
        {"m": meter, "b": batch},
    )
    result = seal_all(conn)
    assert (result["sealed"], result["off_grid"]) == (1, 1)
    assert counts(conn, meter) == (2, 1)
    got = conn.execute(
        "select array_agg(active_fwd_wh order by ts)"
        " from smf.intervals(%s, '-infinity', 'infinity')",
        (meter,),
    ).fetchone()
    assert got == ([1, 2, 3],)


def test_only_periods_older_than_the_edge_are_candidates(conn: psycopg.Connection[Any]) -> None:
    meter = add_meter(conn, "EDGE1", 15)
    batch = new_batch(conn)
    conn.execute(
        "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, batch_id)"
        " select %s, time_bucket('15 minutes', now()) - make_interval(days => d), 1, %s"
        " from generate_series(0, 120) d",
        (meter, batch),
    )
    edge = conn.execute("select smf.storage_seal_edge()").fetchone()
    assert edge is not None
    # the edge is the start of the week holding now() - 62 days
    want = conn.execute("select time_bucket('7 days', now() - interval '62 days')").fetchone()
    assert edge == want
    starts = conn.execute(
        "select array_agg(period_start + interval '7 days' <= %s)"
        " from smf.storage_seal_candidates()",
        edge,
    ).fetchone()
    assert starts is not None and starts[0] and all(starts[0])
    n_old = conn.execute(
        "select count(distinct time_bucket('7 days', ts)) from smf.interval_reading"
        " where meter_id = %s and ts < %s",
        (meter, edge[0]),
    ).fetchone()
    assert n_old is not None and len(starts[0]) == n_old[0] > 0


def test_the_chunks_sealing_may_drop_are_the_hot_ones_wholly_before_the_edge(
    conn: psycopg.Connection[Any],
) -> None:
    meter = add_meter(conn, "CAND1", 15)
    batch = new_batch(conn)
    conn.execute(  # one row a day, 2024-01-01 .. 2024-03-01 (UTC)
        "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, batch_id)"
        " select %s, d, 1, %s from generate_series('2024-01-01 00:00+00'::timestamptz,"
        " '2024-03-01 00:00+00', interval '1 day') d",
        (meter, batch),
    )
    edge = datetime(2024, 2, 1, tzinfo=UTC)
    got = [r[0] for r in conn.execute(
        "select chunk from smf.storage_empty_chunk_candidates(%s)", (edge,)
    )]  # fmt: skip
    ranges = {
        f"{r[0]}.{r[1]}": (r[2], r[3])
        for r in conn.execute(
            "select chunk_schema, chunk_name, range_start, range_end"
            " from timescaledb_information.chunks where hypertable_name = 'interval_reading'"
        )
    }
    # every chunk ending at or before the edge, oldest first; none reaching past it
    assert got == sorted((c for c, (_, end) in ranges.items() if end <= edge),
                         key=lambda c: ranges[c][1])  # fmt: skip
    assert got and all(ranges[c][1] <= edge for c in got)
    holding_edge = next(c for c, (lo, hi) in ranges.items() if lo <= edge < hi)
    assert holding_edge not in got
    # a candidate holding a row is kept (NULL: nothing freed); one emptied goes
    first = got[0]
    assert conn.execute("select smf.storage_drop_chunk_if_empty(%s)", (first,)).fetchone() == (
        None,
    )
    conn.execute(f"delete from {first}")  # a name from TimescaleDB's catalog
    freed = conn.execute("select smf.storage_drop_chunk_if_empty(%s)", (first,)).fetchone()
    assert freed is not None and freed[0] > 0
    assert conn.execute(
        "select count(*) from timescaledb_information.chunks"
        " where format('%%I.%%I', chunk_schema, chunk_name) = %s", (first,)
    ).fetchone() == (0,)  # fmt: skip
