"""Every column of the analyst views over the rollups (smf_read.meter_15min, meter_hourly,
meter_daily, meter_monthly; db/functions/020_rollups.sql, 040_rollup_views.sql), row by row,
against values worked out by hand: units (kWh, kvarh, V, A, kW), nulls (a channel never
measured), completeness, quality counts, bucket edges (a local day ends at 24:00 -03:00, not at
UTC midnight) and ties (two quarter hours with the same demand: the EARLIER is the peak).

One 5-minute meter; local time America/Sao_Paulo (-03:00, no DST in 2026). Stored rows (local):

    10-05 00:00  100 Wh  rev 1 Wh, ind 10 varh, ind rev 2, cap 3, cap rev 4 varh,
                         V a/b/c 127.000/128.000/-- V, I a/b/c 5.000/6.000/-- A   measured
    10-05 00:05  200 Wh  V a/b 129.000/128.000                                      measured
    10-05 00:10  300 Wh                                                             estimated
    10-05 00:15  250 Wh;  00:20  250 Wh;  00:25  100 Wh                             measured
    10-05 00:30  100 Wh                                                             adjusted
    10-05 00:40  no value                                                           missing
    10-05 23:55   50 Wh  (UTC 10-06 02:55: still local day 10-05)                   measured
    10-06 00:00   70 Wh  (UTC 10-06 03:00: local day 10-06)                         measured
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.pins import pins

BRT = timezone(timedelta(hours=-3))
ENERGY = [
    "active_fwd_kwh",
    "active_rev_kwh",
    "reactive_ind_fwd_kvarh",
    "reactive_ind_rev_kvarh",
    "reactive_cap_fwd_kvarh",
    "reactive_cap_rev_kvarh",
]


def t(day: int, hh: int, mm: int) -> datetime:
    return datetime(2026, 10, day, hh, mm, tzinfo=BRT)


def _seed(conn: psycopg.Connection[Any]) -> int:
    m = conn.execute(
        "insert into smf.meter (serial, interval_minutes) values ('RV-1', 5) returning id"
    ).fetchone()[0]
    batch = conn.execute(
        "insert into smf.ingest_batch (source) values ('import') returning id"
    ).fetchone()[0]
    rows = [
        # ts, fwd, rev, ind, ind_rev, cap, cap_rev, va, vb, vc, ia, ib, ic, quality
        (t(5, 0, 0), 100, 1, 10, 2, 3, 4, 127000, 128000, None, 5000, 6000, None, "measured"),
        (t(5, 0, 5), 200, *[None] * 5, 129000, 128000, *[None] * 4, "measured"),
        (t(5, 0, 10), 300, *[None] * 11, "estimated"),
        (t(5, 0, 15), 250, *[None] * 11, "measured"),
        (t(5, 0, 20), 250, *[None] * 11, "measured"),
        (t(5, 0, 25), 100, *[None] * 11, "measured"),
        (t(5, 0, 30), 100, *[None] * 11, "adjusted"),
        (t(5, 0, 40), None, *[None] * 11, "missing"),
        (t(5, 23, 55), 50, *[None] * 11, "measured"),
        (t(6, 0, 0), 70, *[None] * 11, "measured"),
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, active_rev_wh,"
            " reactive_ind_fwd_varh, reactive_ind_rev_varh, reactive_cap_fwd_varh,"
            " reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv, voltage_c_mv, current_a_ma,"
            " current_b_ma, current_c_ma, quality, batch_id)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(m, *r, batch) for r in rows],
        )
    conn.execute("select smf.rollup_refresh_meter(%s, %s, %s)", (m, t(1, 0, 0), t(7, 0, 0)))
    return int(m)


def _row(
    meter: int,
    start: datetime,
    energy: list[str | None],
    counts: tuple[int, int, int, int, int],
    completeness: str,
    demand: str,
    demand_at: datetime,
    *,
    analog: bool = False,
) -> dict[str, Any]:
    """A full expected row; `analog`: the voltages and currents of 10-05 00:00-00:05."""
    row: dict[str, Any] = {"meter_id": meter, "serial": "RV-1", "bucket_start": start}
    row |= {c: (None if v is None else D(v)) for c, v in zip(ENERGY, energy, strict=True)}
    row["completeness_pct"] = D(completeness)
    row |= dict(
        zip(
            ["n_measured", "n_adjusted", "n_estimated", "n_missing", "n_expected"],
            counts,
            strict=True,
        )
    )
    # mean = exact sum / count: V a (127 + 129) / 2 = 128.000; V b (128 + 128) / 2; I a 5, I b 6
    a = {
        "voltage_a_v": ("127.000", "129.000", "128.000"),
        "voltage_b_v": ("128.000", "128.000", "128.000"),
        "voltage_c_v": (None, None, None),  # never measured: null, not 0
        "current_a_a": ("5.000", "5.000", "5.000"),
        "current_b_a": ("6.000", "6.000", "6.000"),
        "current_c_a": (None, None, None),
    }
    for q, vals in a.items():
        for suffix, v in zip(("min", "max", "mean"), vals, strict=True):
            row[f"{q}_{suffix}"] = D(v) if analog and v is not None else None
    row["max_demand_kw"] = D(demand)
    row["max_demand_at"] = demand_at
    return row


def _view(conn: psycopg.Connection[Any], view: str, meter: int) -> list[dict[str, Any]]:
    """The rows of smf.<view> for the meter. Its smf_read copy (what Grafana reads) has the
    same definition and is compared with it row for row, every column, by
    tests/api/test_visibility.py."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"select * from smf.{view} where meter_id = %s order by bucket_start",  # type: ignore[arg-type]
            (meter,),
        ).fetchall()


REACTIVE = ["0.001", "0.010", "0.002", "0.003", "0.004"]  # rev Wh, ind, ind rev, cap, cap rev varh


@pytest.mark.slow
@pins("smf_read.meter_15min.*")
def test_meter_15min_every_column(conn) -> None:
    m = _seed(conn)
    utc = UTC
    q0, q1, q2 = (datetime(2026, 10, 5, 3, mm, tzinfo=utc) for mm in (0, 15, 30))
    e0, e1 = datetime(2026, 10, 6, 2, 45, tzinfo=utc), datetime(2026, 10, 6, 3, 0, tzinfo=utc)
    assert _view(conn, "meter_15min", m) == [
        # 100 + 200 + 300 = 600 Wh = 0.600 kWh; demand 600 Wh x 4 / 1000 = 2.400 kW; 2 measured +
        # 1 estimated of 3 expected = 100.00 %
        _row(m, q0, ["0.600", *REACTIVE], (2, 0, 1, 0, 3), "100.00", "2.400", q0, analog=True),
        # 250 + 250 + 100 = 600 Wh: the same 2.400 kW; no reverse or reactive value: null
        _row(m, q1, ["0.600", *[None] * 5], (3, 0, 0, 0, 3), "100.00", "2.400", q1),
        # 100 Wh adjusted, one interval flagged missing, one absent: 1 of 3 = 33.33 %; 0.400 kW
        _row(m, q2, ["0.100", *[None] * 5], (0, 1, 0, 1, 3), "33.33", "0.400", q2),
        # local 10-05 23:45-24:00 = UTC 10-06 02:45: 50 Wh, 0.200 kW
        _row(m, e0, ["0.050", *[None] * 5], (1, 0, 0, 0, 3), "33.33", "0.200", e0),
        _row(m, e1, ["0.070", *[None] * 5], (1, 0, 0, 0, 3), "33.33", "0.280", e1),
    ]


@pins("smf_read.meter_hourly.*")
def test_meter_hourly_takes_the_earlier_of_two_tied_quarters(conn) -> None:
    m = _seed(conn)
    h0 = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
    h1 = datetime(2026, 10, 6, 2, 0, tzinfo=UTC)
    assert _view(conn, "meter_hourly", m) == [
        # 600 + 600 + 100 = 1,300 Wh; 5 measured, 1 adjusted, 1 estimated of 12 = 7/12 = 58.33 %;
        # quarters 03:00 and 03:15 UTC both 2.400 kW: the peak is the EARLIER, 03:00
        _row(m, h0, ["1.300", *REACTIVE], (5, 1, 1, 1, 12), "58.33", "2.400", h0, analog=True),
        # 1 of 12 = 8.33 %
        _row(
            m,
            h1,
            ["0.050", *[None] * 5],
            (1, 0, 0, 0, 12),
            "8.33",
            "0.200",
            h1 + timedelta(minutes=45),
        ),
        # local 10-06 00:00 = UTC 03:00: 70 Wh, 1 of 12 = 8.33 %, 0.280 kW
        _row(
            m,
            h1 + timedelta(hours=1),
            ["0.070", *[None] * 5],
            (1, 0, 0, 0, 12),
            "8.33",
            "0.280",
            h1 + timedelta(hours=1),
        ),
    ]


@pins("smf_read.meter_daily.*")
def test_meter_daily_groups_by_the_local_day(conn) -> None:
    m = _seed(conn)
    d5 = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)  # local 10-05 00:00 -03:00
    d6 = datetime(2026, 10, 6, 3, 0, tzinfo=UTC)
    assert _view(conn, "meter_daily", m) == [
        # 1,300 + 50 (23:55 local, UTC 10-06 02:55) = 1,350 Wh; 8 valued of 288 = 2.78 %
        _row(m, d5, ["1.350", *REACTIVE], (6, 1, 1, 1, 288), "2.78", "2.400", d5, analog=True),
        # 70 Wh at local 00:00 of 10-06; 1 / 288 = 0.35 %; 70 x 4 / 1000 = 0.280 kW
        _row(m, d6, ["0.070", *[None] * 5], (1, 0, 0, 0, 288), "0.35", "0.280", d6),
    ]


@pins("smf_read.meter_monthly.*")
def test_meter_monthly_counts_the_whole_local_month(conn) -> None:
    m = _seed(conn)
    oct1 = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)  # local 10-01 00:00 -03:00
    peak = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
    assert _view(conn, "meter_monthly", m) == [
        # 1,420 Wh; 9 valued of 31 x 288 = 8,928 expected: 0.1008 % -> 0.10
        _row(m, oct1, ["1.420", *REACTIVE], (7, 1, 1, 1, 8928), "0.10", "2.400", peak, analog=True),
    ]
