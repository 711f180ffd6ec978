"""Property: after any sequence of ingests and corrections, every rollup row equals its
recomputation straight from the raw intervals (not through the 15-min -> hour -> day cascade)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db import driver
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings
from tests.db.helpers import add_meters

START = datetime(2026, 2, 27, 20, 0, tzinfo=UTC)  # crosses a local day and a month end
SLOTS = 12 * 30  # 30 hours of 5-minute slots

# Rollup columns compared, and the same quantities computed from raw rows for a bucket expression.
RAW = """
    with agg as (
        select r.meter_id, {bucket} as bucket,
            sum(active_fwd_wh) as a, sum(active_rev_wh) as b, sum(reactive_ind_fwd_varh) as c,
            count(*) filter (where quality = 'measured') as nm,
            count(*) filter (where quality = 'adjusted') as na,
            count(*) filter (where quality = 'estimated') as ne,
            count(*) filter (where quality = 'missing') as nx,
            min(voltage_a_mv) as vmin, max(voltage_a_mv) as vmax, sum(voltage_a_mv) as vsum,
            count(voltage_a_mv) as vn
        from smf.interval_reading_all r group by 1, 2),
    quarter as (  -- demand of each quarter hour: Wh x 4 / 1000 = kW
        select meter_id, time_bucket('15 minutes', ts) as qb, sum(active_fwd_wh) * 4 / 1000.0 as kw
        from smf.interval_reading_all group by 1, 2),
    demand as (select meter_id, {qbucket} as bucket, max(kw) as kw from quarter q group by 1, 2)
    select agg.*, demand.kw from agg join demand using (meter_id, bucket)
"""
ROLLUP = """
    select meter_id, bucket, active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh,
        n_measured, n_adjusted, n_estimated, n_missing,
        voltage_a_mv_min, voltage_a_mv_max, voltage_a_mv_sum, voltage_a_mv_n, max_demand_kw
    from smf.{table}
"""
LEVELS = {
    "rollup_15min": "time_bucket('15 minutes', {r}.ts)",
    "rollup_hour": "time_bucket('1 hour', {r}.ts)",
    "rollup_day": "({r}.ts at time zone 'America/Sao_Paulo')::date",
    "rollup_month": "date_trunc('month', {r}.ts at time zone 'America/Sao_Paulo')::date",
}

value = st.one_of(st.none(), st.integers(min_value=0, max_value=50_000).map(lambda wh: wh / 1000))
row = st.tuples(
    st.sampled_from(["P1", "P2"]),
    st.integers(min_value=0, max_value=SLOTS - 1),
    value,
    value,
    value,
    st.one_of(
        st.none(), st.integers(min_value=200_000, max_value=240_000).map(lambda mv: mv / 1000)
    ),
    st.sampled_from(["measured", "adjusted", "estimated", "missing"]),
)
batch = st.lists(row, min_size=1, max_size=40)


def _ingest(url: str, rows: list[tuple]) -> None:  # type: ignore[type-arg]
    seen: dict[tuple[str, int], tuple] = {}  # type: ignore[type-arg]
    for r in rows:  # a batch must not carry conflicting copies of one key
        seen[(r[0], r[1])] = r
    items = [
        IntervalRow(
            ts=START + timedelta(minutes=5 * slot),
            meter_serial=serial,
            values={
                "active_fwd_kwh": a,
                "active_rev_kwh": b,
                "reactive_ind_fwd_kvarh": c,
                "voltage_a_v": v,
            },
            quality=q,
        )
        for (serial, slot, a, b, c, v, q) in seen.values()
    ]
    with driver.connect(url) as conn:
        ingest_rows(conn, items, source="import")


def _mismatches(conn: psycopg.Connection, table: str) -> list[tuple]:  # type: ignore[type-arg]
    bucket = LEVELS[table]
    raw = RAW.format(
        bucket=bucket.format(r="r"), qbucket=bucket.format(r="q").replace("q.ts", "q.qb")
    )
    # both storage tiers (025_storage.sql): 15-minute and hourly rows of sealed periods are derived
    stored = ROLLUP.format(
        table={"rollup_15min": "rollup_15min_all", "rollup_hour": "rollup_hour_all"}.get(
            table, table
        )
    )
    return conn.execute(
        f"(({raw}) except all {stored}) union all ({stored} except all ({raw}))"
    ).fetchall()


@pytest.mark.slow
def test_rollups_equal_recomputation(db_settings: Settings) -> None:
    add_meters(db_settings.url, "P1", "P2")

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(batch, min_size=1, max_size=4))
    def check(batches: list[list[tuple]]) -> None:  # type: ignore[type-arg]
        with psycopg.connect(db_settings.url) as conn:
            conn.execute(
                "truncate smf.interval_reading, smf.interval_reading_history, "
                "smf.rollup_15min, smf.rollup_hour, smf.rollup_day, smf.rollup_month"
            )
        for b in batches:
            _ingest(db_settings.url, b)
        with psycopg.connect(db_settings.url) as conn:
            for table in LEVELS:
                assert _mismatches(conn, table) == [], table

    check()
