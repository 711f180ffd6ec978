"""The quarantine matrix (issue 13 §2): one row per ingest rule x channel kind (energy, voltage,
current). Every row ingests through db.ingest.ingest_rows in one transaction and checks the
quarantine reason, the quarantine record (line, meter, instant) AND that the stored data (readings,
history and every rollup) is exactly as before; the rows that must be accepted (a value exactly at
the physical maximum, an interval that has just closed) check the stored integer instead.

Meter QM: 15-minute intervals, max_power_kw 400 -> at most 400 kW x 15 min = 100 kWh per interval;
max_voltage_v 500 V; max_current_a 50 A. Stored units: Wh, mV, mA.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from db import driver
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings
from tests.db.helpers import fingerprint, query

KINDS = {
    # channel kind -> (ingest column, stored column, stored units per engineering unit, maximum)
    "energy": ("active_fwd_kwh", "active_fwd_wh", 1000, 100.0),
    "voltage": ("voltage_a_v", "voltage_a_mv", 1000, 500.0),
    "current": ("current_a_a", "current_a_ma", 1000, 50.0),
}
BASE = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # a past 15-minute boundary
_slot = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def qdb(module_db: Settings) -> Iterator[Settings]:
    with psycopg.connect(module_db.url) as c:
        c.execute(
            "insert into smf.meter (serial, interval_minutes, max_power_kw, max_voltage_v,"
            " max_current_a) values ('QM', 15, 400, 500, 50)"
        )
        # one stored reading, so that "untouched" compares non-empty tables
        c.execute("select 1")
    with driver.connect(module_db) as conn:
        ingest_rows(
            conn,
            [IntervalRow(ts=BASE, meter_serial="QM", values={"active_fwd_kwh": 1.0})],
            source="import",
        )
        conn.commit()
    yield module_db


def _fresh_ts() -> datetime:
    return BASE + timedelta(minutes=15 * next(_slot))


def _ingest(settings: Settings, build: Any) -> tuple[Any, datetime]:
    """Run build(now) -> rows in one transaction whose now() is read first; commit."""
    with driver.connect(settings) as conn:
        now = conn.execute("select now()").fetchone()
        assert now is not None
        db_now = now[0] if isinstance(now, tuple) else next(iter(now.values()))
        rows = build(db_now)
        result = ingest_rows(conn, rows, source="import", origin="matrix")
        conn.commit()
    return result, db_now


def _floor15(t: datetime) -> datetime:
    return t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0)


# rule -> (value in the channel, or a builder of (meter, ts) ; expected reason per kind)
REJECTED = [
    (
        "negative",
        -0.001,
        {"energy": "negative_energy", "voltage": "negative_value", "current": "negative_value"},
    ),
    ("nan", math.nan, "non_finite"),
    ("plus_infinity", math.inf, "non_finite"),
    ("minus_infinity", -math.inf, "non_finite"),
    # above the maximum by one stored unit: 100.001 kWh, 500.001 V, 50.001 A
    ("above_max", "max+0.001", "above_physical_max"),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(("rule", "value", "reason"), REJECTED, ids=[r[0] for r in REJECTED])
def test_bad_value_is_quarantined_and_nothing_changes(qdb, kind, rule, value, reason):
    column, _stored, _scale, maximum = KINDS[kind]
    if value == "max+0.001":
        value = maximum + 0.001
    want = reason[kind] if isinstance(reason, dict) else reason
    ts = _fresh_ts()
    before = fingerprint(qdb.url)
    result, _ = _ingest(
        qdb, lambda now: [IntervalRow(ts=ts, meter_serial="QM", values={column: value})]
    )
    assert result.quarantined == {want: 1}
    assert (result.inserted, result.updated) == (0, 0)
    assert fingerprint(qdb.url) == before
    (rec,) = query(
        qdb.url,
        "select line_no, meter_ref, ts, reason from smf.ingest_quarantine where batch_id = %s",
        result.batch_id,
    )
    assert rec == (1, "QM", ts, want)


@pytest.mark.parametrize("kind", list(KINDS))
def test_value_exactly_at_the_maximum_is_stored(qdb, kind):
    # 100 kWh -> 100000 Wh; 500 V -> 500000 mV; 50 A -> 50000 mA
    column, stored, scale, maximum = KINDS[kind]
    ts = _fresh_ts()
    result, _ = _ingest(
        qdb, lambda now: [IntervalRow(ts=ts, meter_serial="QM", values={column: maximum})]
    )
    assert (result.inserted, result.quarantined) == (1, {})
    got = query(qdb.url, f"select {stored} from smf.interval_reading where ts = %s", ts)
    assert got == [(int(maximum * scale),)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_off_grid_interval(qdb, kind):
    # 15-minute meter: a start at :05 is off its grid
    column, _s, _k, _m = KINDS[kind]
    ts = _fresh_ts() + timedelta(minutes=5)
    before = fingerprint(qdb.url)
    result, _ = _ingest(
        qdb, lambda now: [IntervalRow(ts=ts, meter_serial="QM", values={column: 1})]
    )
    assert result.quarantined == {"off_grid": 1}
    assert fingerprint(qdb.url) == before


@pytest.mark.parametrize("kind", list(KINDS))
def test_interval_in_progress_is_quarantined_and_one_just_closed_is_stored(qdb, kind):
    # The interval containing now() (start <= now < start + 15 min) has not ended: 'future'.
    # The one before it ended at or before now(): stored.
    column, stored, scale, _m = KINDS[kind]
    before = fingerprint(qdb.url)
    result, _now = _ingest(
        qdb, lambda now: [IntervalRow(ts=_floor15(now), meter_serial="QM", values={column: 2})]
    )
    assert result.quarantined == {"future": 1}
    assert fingerprint(qdb.url) == before
    result, now2 = _ingest(
        qdb,
        lambda now: [
            IntervalRow(
                ts=_floor15(now) - timedelta(minutes=15), meter_serial="QM", values={column: 2}
            )
        ],
    )
    assert (result.inserted, result.quarantined) == (1, {})
    got = query(
        qdb.url,
        f"select {stored} from smf.interval_reading where ts = %s",
        _floor15(now2) - timedelta(minutes=15),
    )
    assert got == [(2 * scale,)]
    # clean up the rows near now so that the next kind's just-closed row is new again
    with psycopg.connect(qdb.url) as c:
        c.execute("delete from smf.interval_reading where ts > %s", (now2 - timedelta(hours=1),))


@pytest.mark.parametrize("kind", list(KINDS))
def test_unknown_meter(qdb, kind):
    column, _s, _k, _m = KINDS[kind]
    ts = _fresh_ts()
    before = fingerprint(qdb.url)
    result, _ = _ingest(
        qdb, lambda now: [IntervalRow(ts=ts, meter_serial="NOPE", values={column: 1})]
    )
    assert result.quarantined == {"unknown_meter": 1}
    assert fingerprint(qdb.url) == before
    (rec,) = query(
        qdb.url,
        "select meter_ref, reason from smf.ingest_quarantine where batch_id = %s",
        result.batch_id,
    )
    assert rec == ("NOPE", "unknown_meter")


@pytest.mark.parametrize("kind", list(KINDS))
def test_conflicting_duplicate_in_one_batch(qdb, kind):
    # the same (meter, interval) twice with values 1 and 1.001: both copies quarantined
    column, _s, _k, _m = KINDS[kind]
    ts = _fresh_ts()
    before = fingerprint(qdb.url)
    result, _ = _ingest(
        qdb,
        lambda now: [
            IntervalRow(ts=ts, meter_serial="QM", values={column: 1}),
            IntervalRow(ts=ts, meter_serial="QM", values={column: 1.001}),
        ],
    )
    assert result.quarantined == {"duplicate_conflict": 2}
    assert fingerprint(qdb.url) == before
    lines = query(
        qdb.url,
        "select line_no, reason from smf.ingest_quarantine where batch_id = %s order by 1",
        result.batch_id,
    )
    assert lines == [(1, "duplicate_conflict"), (2, "duplicate_conflict")]


@pytest.mark.parametrize("kind", list(KINDS))
def test_one_bad_row_does_not_hold_back_the_good_ones(qdb, kind):
    # a good row next to a negative one: the good one is stored, the bad one quarantined
    column, stored, scale, _m = KINDS[kind]
    t1, t2 = _fresh_ts(), _fresh_ts()
    result, _ = _ingest(
        qdb,
        lambda now: [
            IntervalRow(ts=t1, meter_serial="QM", values={column: 3}),
            IntervalRow(ts=t2, meter_serial="QM", values={column: -3}),
        ],
    )
    assert result.inserted == 1 and result.quarantined_total == 1
    assert query(qdb.url, f"select {stored} from smf.interval_reading where ts = %s", t1) == [
        (3 * scale,)
    ]
    assert query(qdb.url, "select count(*) from smf.interval_reading where ts = %s", t2) == [(0,)]
