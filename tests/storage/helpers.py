"""Helpers for the storage tests: realistic interval rows loaded straight into the hot table,
and fingerprints of every value, quality, source and batch of a meter's intervals."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg

COLUMNS = (
    "active_fwd_wh",
    "active_rev_wh",
    "reactive_ind_fwd_varh",
    "reactive_ind_rev_varh",
    "reactive_cap_fwd_varh",
    "reactive_cap_rev_varh",
    "voltage_a_mv",
    "voltage_b_mv",
    "voltage_c_mv",
    "current_a_ma",
    "current_b_ma",
    "current_c_ma",
)
QUALITIES = ("measured", "adjusted", "estimated", "missing")
SOURCES = ("meter", "backup_meter", "estimate", "import", "manual")

# The text of one interval row as the hash sees it: every stored column, in table order.
ROW_TEXT = (
    "concat_ws('|', r.meter_id, r.ts, "
    + ", ".join(f"coalesce(r.{c}::text, 'null')" for c in COLUMNS)
    + ", r.quality, r.source, r.batch_id)"
)


def add_meter(conn: psycopg.Connection[Any], serial: str, interval: int = 5) -> int:
    row = conn.execute(
        "insert into smf.meter (serial, interval_minutes, max_power_kw, channel_map)"
        " values (%s, %s, 500, array['active_fwd_kwh', 'active_rev_kwh',"
        " 'reactive_ind_fwd_kvarh', 'reactive_cap_fwd_kvarh', 'voltage_a_v', 'voltage_b_v',"
        " 'voltage_c_v', 'current_a_a', 'current_b_a', 'current_c_a']) returning id",
        (serial, interval),
    ).fetchone()
    assert row is not None
    return int(row[0])


def new_batch(conn: psycopg.Connection[Any], source: str = "import") -> int:
    row = conn.execute(
        "insert into smf.ingest_batch (source) values (%s) returning id", (source,)
    ).fetchone()
    assert row is not None
    return int(row[0])


def realistic_rows(
    meter_id: int,
    start: datetime,
    days: int,
    interval: int,
    batches: list[int],
    seed: int = 1,
) -> Iterator[tuple[Any, ...]]:
    """Rows of one meter: a daily load shape with noise, reverse energy (solar) at midday on some
    days, three-phase voltages near 220 V with noise, currents following the load, gaps (no row),
    missing rows with NULL values, estimated/adjusted rows from other sources, a zero run, one
    day of very large values (so some channel needs 4-byte offsets) and NULL channels."""
    rnd = random.Random(seed)
    step = timedelta(minutes=interval)
    n = days * 1440 // interval
    ts = start
    for i in range(n):
        t = ts + step * i
        if rnd.random() < 0.004:  # a gap: no row at all
            continue
        hour = t.hour + t.minute / 60
        shape = 0.55 + 0.45 * math.sin((hour - 9) / 24 * 2 * math.pi) ** 2
        wh = max(0, int(rnd.gauss(60 * shape * interval / 5, 6)))
        rev = 0
        if 10 <= hour < 15 and (t.toordinal() % 3 == 0):
            rev, wh = wh // 2 + rnd.randint(0, 9), wh // 3
        if 2 <= hour < 3 and t.toordinal() % 7 == 0:  # a zero run
            wh = 0
        if t.toordinal() % 97 == 0:  # a day of very large values (a wide channel)
            wh *= 3000
        q, src = "measured", "meter"
        batch = batches[(i // 288) % len(batches)]
        r = rnd.random()
        if r < 0.01:
            yield (meter_id, t, *([None] * 12), "missing", "meter", batch)
            continue
        if r < 0.02:
            q, src = "estimated", "estimate"
        elif r < 0.025:
            q, src = "adjusted", "manual"
        elif r < 0.03:
            src = "import"
        volts = [int(rnd.gauss(220_000, 1_500)) for _ in range(3)]
        amps = [
            max(0, int(wh * 12 / interval * 1000 / 220 / 3 + rnd.gauss(0, 150))) for _ in range(3)
        ]
        yield (
            meter_id,
            t,
            wh,
            rev,
            int(wh * 0.3 + rnd.randint(0, 5)),
            None,
            rnd.randint(0, 2),
            0,
            *volts,
            *amps,
            q,
            src,
            batch,
        )


def load_rows(conn: psycopg.Connection[Any], rows: Iterator[tuple[Any, ...]]) -> None:
    cols = ("meter_id", "ts", *COLUMNS, "quality", "source", "batch_id")
    with (
        conn.cursor() as cur,
        cur.copy(f"copy smf.interval_reading ({', '.join(cols)}) from stdin") as copy,
    ):
        for r in rows:
            copy.write_row(r)


def interval_hash(
    conn: psycopg.Connection[Any], meter_id: int, source: str = "intervals"
) -> tuple[int, str]:
    """(count, md5) of every interval of the meter, read from `source`: 'intervals' (the read
    path, all tiers) or 'hot' (the rows of smf.interval_reading only)."""
    frm = (
        "smf.intervals(%s, '-infinity', 'infinity') r"
        if source == "intervals"
        else "smf.interval_reading r where r.meter_id = %s"
    )
    row = conn.execute(
        f"select count(*), coalesce(md5(string_agg({ROW_TEXT}, E'\\n' order by r.ts)), '')"
        f" from {frm}",
        (meter_id,),
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def rollup_hash(conn: psycopg.Connection[Any], meter_id: int, level: str) -> tuple[int, str]:
    """(count, md5) of a meter's rollups: level '15min' / 'hour' through the read functions
    (stored and derived alike), 'day' / 'month' from the tables."""
    if level in ("15min", "hour"):
        frm = f"smf.rollups_{level}(array[%s], '-infinity', 'infinity') x"
    else:
        frm = f"smf.rollup_{level} x where x.meter_id = %s"
    row = conn.execute(
        f"select count(*), coalesce(md5(string_agg(x::text, E'\\n' order by x.bucket)), '')"
        f" from {frm}",
        (meter_id,),
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def seal_all(conn: psycopg.Connection[Any], edge: str = "infinity") -> dict[str, Any]:
    row = conn.execute(
        "select smf.storage_seal_periods(array_agg(meter_id), array_agg(period_start))"
        " from smf.storage_seal_candidates(%s)",
        (edge,),
    ).fetchone()
    assert row is not None
    return dict(row[0])


def counts(conn: psycopg.Connection[Any], meter_id: int) -> tuple[int, int]:
    """(hot rows, sealed periods) of a meter."""
    row = conn.execute(
        "select (select count(*) from smf.interval_reading where meter_id = %s),"
        " (select count(*) from smf.interval_sealed where meter_id = %s)",
        (meter_id, meter_id),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
