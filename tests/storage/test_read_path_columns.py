"""Every column of the read path over both storage tiers (025_storage.sql), pinned on a few
intervals whose rollups are worked out by hand: the views smf_read.rollup_15min_all,
smf_read.rollup_hour_all, smf_read.interval_sealed_rows and smf_read.interval_reading_all, the
range functions (smf.rollups_*, smf.intervals_sealed, smf.interval_span) and the SQL builders
behind the views, read from hot rows and again after the week is sealed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

import psycopg

from tests.storage.helpers import add_meter, new_batch

WEEK = "2024-01-01 00:00+00"  # a Monday: one whole sealed period (7 days)


def t(hhmm: str, day: int = 1) -> datetime:
    """2024-01-<day> hh:mm UTC."""
    h, m = hhmm.split(":")
    return datetime(2024, 1, day, int(h), int(m), tzinfo=UTC)


# One 5-minute meter (3 intervals per quarter hour, 12 per hour). Wh, varh, mV, mA.
# ts, a_fwd, a_rev, ri_fwd, ri_rev, rc_fwd, rc_rev, v_a, v_b, v_c, i_a, i_b, i_c, quality, source
# fmt: off
ROWS: list[tuple[Any, ...]] = [
    # quarter 00:00: a measured, an adjusted (some channels NULL) and a missing interval
    (t("00:00"), 100, 0, 30, 1, 2, 3, 220000, 221000, 219000, 5000, 5100, 4900,
     "measured", "meter"),
    (t("00:05"), 120, 5, 31, None, 4, 0, 220500, None, 219500, 5200, None, 5000,
     "adjusted", "manual"),
    (t("00:10"), *[None] * 12, "missing", "meter"),
    # quarter 00:15: estimated + measured, 00:25 absent (no row)
    (t("00:15"), 80, 2, 20, 2, 1, 1, 221000, 222000, 218000, 4000, 4100, 3900,
     "estimated", "estimate"),
    (t("00:20"), 90, 0, 25, 0, 0, 2, 219000, 223000, 217000, 4500, 3900, 4200,
     "measured", "import"),
    # quarter 00:30: no row at all; quarter 00:45: the 00:55 interval still belongs to hour 00
    (t("00:45"), 70, 0, 10, 0, 0, 0, 230000, 231000, 229000, 1000, 1100, 1200,
     "measured", "meter"),
    (t("00:55"), 150, 1, 40, 3, 5, 6, 210000, 211000, 209000, 7000, 7100, 7200,
     "measured", "backup_meter"),
    # hour 01 starts a new bucket; voltage_c NULL: its min/max/sum NULL and n 0
    (t("01:00"), 200, 0, 60, 0, 0, 0, 220000, 220000, None, 3000, 3000, 3000,
     "measured", "meter"),
]
# fmt: on
# the next week (a hot period beside the sealed one)
NEXT = (t("00:00", 8), 9, 0, 0, 0, 0, 0, 230000, 230000, 230000, 0, 0, 0, "measured", "meter")

COLS = (
    "ts, active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh,"
    " reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv, voltage_c_mv,"
    " current_a_ma, current_b_ma, current_c_ma, quality, source"
)

# 15-minute rollups, columns in table order after meter_id:
# bucket, 6 energy sums, n_measured, n_adjusted, n_estimated, n_missing, n_expected,
# (min, max, sum, n) of voltage_a/b/c_mv and current_a/b/c_ma, max_demand_kw, max_demand_at;
# hourly rollups then active_fwd_wh_q_min_abs, reactive_ind_fwd_varh_q_min_abs and
# reactive_cap_fwd_varh_q_min_abs (the smallest |Wh|, |varh| of the hour's quarter hours)
Q_0000 = (
    t("00:00"),
    220, 5, 61, 1, 6, 3,  # 100+120; 0+5; 30+31; 1 (NULL skipped); 2+4; 3+0
    1, 1, 0, 1, 3,  # measured, adjusted, estimated, missing; expected 15 / 5 = 3
    220000, 220500, 440500, 2,  # voltage_a: 220000 + 220500
    221000, 221000, 221000, 1,  # voltage_b: the adjusted row's is NULL
    219000, 219500, 438500, 2,
    5000, 5200, 10200, 2,
    5100, 5100, 5100, 1,
    4900, 5000, 9900, 2,
    D("0.880"), t("00:00"),  # 220 Wh x 4 / 1000 = 0.880 kW
)  # fmt: skip
Q_0015 = (
    t("00:15"),
    170, 2, 45, 2, 1, 3,  # 80+90; 2+0; 20+25; 2+0; 1+0; 1+2
    1, 0, 1, 0, 3,  # one estimated, one measured, 00:25 absent (not counted as missing)
    219000, 221000, 440000, 2,
    222000, 223000, 445000, 2,
    217000, 218000, 435000, 2,
    4000, 4500, 8500, 2,
    3900, 4100, 8000, 2,
    3900, 4200, 8100, 2,
    D("0.680"), t("00:15"),  # 170 x 4 / 1000
)  # fmt: skip
Q_0045 = (
    t("00:45"),
    220, 1, 50, 3, 5, 6,  # 70+150; 0+1; 10+40; 0+3; 0+5; 0+6
    2, 0, 0, 0, 3,
    210000, 230000, 440000, 2,
    211000, 231000, 442000, 2,
    209000, 229000, 438000, 2,
    1000, 7000, 8000, 2,
    1100, 7100, 8200, 2,
    1200, 7200, 8400, 2,
    D("0.880"), t("00:45"),  # 220 x 4 / 1000: the same demand as 00:00
)  # fmt: skip
Q_0100 = (
    t("01:00"),
    200, 0, 60, 0, 0, 0,
    1, 0, 0, 0, 3,
    220000, 220000, 220000, 1,
    220000, 220000, 220000, 1,
    None, None, None, 0,  # voltage_c NULL in the only row
    3000, 3000, 3000, 1,
    3000, 3000, 3000, 1,
    3000, 3000, 3000, 1,
    D("0.800"), t("01:00"),  # 200 x 4 / 1000
)  # fmt: skip
H_00 = (
    t("00:00"),
    610, 8, 156, 6, 12, 12,  # 220+170+220; 5+2+1; 61+45+50; 1+2+3; 6+1+5; 3+3+6
    4, 1, 1, 1, 12,  # 1+1+2 measured; expected 60 / 5 = 12 (two intervals absent, 3 of 00:30)
    210000, 230000, 1320500, 6,  # min(220000, 219000, 210000); 440500 + 440000 + 440000
    211000, 231000, 1108000, 5,  # 221000 + 445000 + 442000; 1 + 2 + 2
    209000, 229000, 1311500, 6,  # 438500 + 435000 + 438000
    1000, 7000, 26700, 6,  # 10200 + 8500 + 8000
    1100, 7100, 21300, 5,  # 5100 + 8000 + 8200
    1200, 7200, 26400, 6,  # 9900 + 8100 + 8400
    D("0.880"), t("00:00"),  # 00:00 and 00:45 tie at 0.880 kW: the earliest quarter wins
    # the smallest |value| of a quarter hour: active_fwd min(220, 170, 220), reactive_ind_fwd
    # min(61, 45, 50), reactive_cap_fwd min(6, 1, 5)
    170, 45, 1,
)  # fmt: skip
# one quarter; expected 12 per hour; its quarter's 200 Wh, 60 varh (ind), 0 varh (cap) the smallest
H_01 = (t("01:00"), *Q_0100[1:11], 12, *Q_0100[12:], 200, 60, 0)
# the next week's hot interval: 9 Wh -> 0.036 kW
Q_NEXT = (
    t("00:00", 8), 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3,
    230000, 230000, 230000, 1, 230000, 230000, 230000, 1, 230000, 230000, 230000, 1,
    0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, D("0.036"), t("00:00", 8),
)  # fmt: skip
H_NEXT = (*Q_NEXT[:11], 12, *Q_NEXT[12:], 9, 0, 0)


def _load(conn: psycopg.Connection[Any], serial: str, *, seal: bool) -> tuple[int, int]:
    """The meter of ROWS + NEXT with its rollups stored; with `seal`, the week of ROWS sealed
    (its rows and 15-minute / hourly rollups leave the tables). Returns (meter, batch)."""
    meter = add_meter(conn, serial, 5)
    batch = new_batch(conn)
    with conn.cursor() as cur:
        cur.executemany(
            f"insert into smf.interval_reading (meter_id, {COLS}, batch_id)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(meter, *r, batch) for r in [*ROWS, NEXT]],
        )
    conn.execute(
        "select smf.rollup_refresh(array[%s], array[%s::timestamptz], array[%s::timestamptz])",
        (meter, t("00:00"), t("00:00", 8)),
    )
    if seal:
        got = conn.execute(
            "select smf.storage_seal_periods(array[%s], array[%s::timestamptz])", (meter, WEEK)
        ).fetchone()
        assert got is not None and (got[0]["sealed"], got[0]["rows"]) == (1, len(ROWS))
    return meter, batch


def _rows(conn: psycopg.Connection[Any], sql: str, *args: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(sql, args).fetchall()]


def _as_admin(conn: psycopg.Connection[Any]) -> None:
    """Read smf_read as an admin account (its policies see every row) for this transaction."""
    row = conn.execute(
        "insert into smf.account (name, role) values ('rp-admin', 'admin') returning id"
    ).fetchone()
    assert row is not None
    conn.execute("select set_config('smf.principal', %s, true)", (str(row[0]),))


def test_rollup_views_read_hand_worked_sums_counts_extremes_and_demand_from_hot_rows(
    conn: psycopg.Connection[Any],
) -> None:
    """smf_read.rollup_15min_all / rollup_hour_all over stored rollups: every column of every
    bucket; an empty quarter gives no row, and a tie of peaks keeps the earliest quarter."""
    meter, _ = _load(conn, "RPHOT", seal=False)
    _as_admin(conn)
    q15 = _rows(
        conn,
        "select * from smf_read.rollup_15min_all where meter_id = %s order by bucket",
        meter,
    )
    assert q15 == [(meter, *q) for q in (Q_0000, Q_0015, Q_0045, Q_0100, Q_NEXT)]
    hours = _rows(
        conn, "select * from smf_read.rollup_hour_all where meter_id = %s order by bucket", meter
    )
    assert hours == [(meter, *h) for h in (H_00, H_01, H_NEXT)]


def test_rollup_views_derive_the_same_rows_from_a_sealed_week_beside_a_hot_one(
    conn: psycopg.Connection[Any],
) -> None:
    """After sealing, smf_read.rollup_15min_all / rollup_hour_all derive the sealed week's rows
    (same sums, counts, extremes, demand and earliest tied peak) and keep the hot week's."""
    meter, _ = _load(conn, "RPSEAL", seal=True)
    _as_admin(conn)
    stored = conn.execute(
        "select (select count(*) from smf.rollup_15min where meter_id = %(m)s),"
        " (select count(*) from smf.rollup_hour where meter_id = %(m)s)",
        {"m": meter},
    ).fetchone()
    assert stored == (1, 1)  # only the hot week's rows are stored
    q15 = _rows(
        conn,
        "select * from smf_read.rollup_15min_all where meter_id = %s order by bucket",
        meter,
    )
    assert q15 == [(meter, *q) for q in (Q_0000, Q_0015, Q_0045, Q_0100, Q_NEXT)]
    hours = _rows(
        conn, "select * from smf_read.rollup_hour_all where meter_id = %s order by bucket", meter
    )
    assert hours == [(meter, *h) for h in (H_00, H_01, H_NEXT)]


def test_sealed_rows_view_and_all_tiers_view_give_every_stored_column(
    conn: psycopg.Connection[Any],
) -> None:
    """smf_read.interval_sealed_rows holds exactly the sealed week's intervals (values, NULLs,
    quality, source, batch); smf_read.interval_reading_all adds the hot week's interval."""
    meter, batch = _load(conn, "RPROWS", seal=True)
    _as_admin(conn)
    sealed = _rows(
        conn, "select * from smf_read.interval_sealed_rows where meter_id = %s order by ts", meter
    )
    assert sealed == [(meter, *r, batch) for r in ROWS]
    every = _rows(
        conn, "select * from smf_read.interval_reading_all where meter_id = %s order by ts", meter
    )
    assert every == [(meter, *r, batch) for r in [*ROWS, NEXT]]


def test_range_functions_cut_half_open_ranges_at_bucket_edges_in_both_tiers(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.intervals_sealed, smf.rollups_15min(_sealed) and smf.rollups_hour(_sealed) keep
    p_from <= ts / bucket < p_to; a bucket starting before p_from is left out whole."""
    meter, batch = _load(conn, "RPRANGE", seal=True)
    m = [meter]
    got = _rows(
        conn,
        "select * from smf.intervals_sealed(%s, '2024-01-01 00:05+00', '2024-01-01 00:20+00')"
        " order by ts",
        m,
    )
    assert got == [(meter, *r, batch) for r in ROWS[1:4]]  # 00:05, 00:10, 00:15; 00:20 excluded
    # a range starting inside quarter 00:00 leaves it out; 01:00 is the (open) end
    got = _rows(
        conn,
        "select * from smf.rollups_15min_sealed(%s, '2024-01-01 00:10+00', '2024-01-01 01:00+00')"
        " order by bucket",
        m,
    )
    assert got == [(meter, *Q_0015), (meter, *Q_0045)]
    # the sealed quarter 01:00 and the hot quarter of the next week through one call
    got = _rows(
        conn,
        "select * from smf.rollups_15min(%s, '2024-01-01 01:00+00', 'infinity') order by bucket",
        m,
    )
    assert got == [(meter, *Q_0100), (meter, *Q_NEXT)]
    got = _rows(
        conn,
        "select * from smf.rollups_hour_sealed(%s, '2024-01-01 00:00+00', '2024-01-01 01:00+00')",
        m,
    )
    assert got == [(meter, *H_00)]
    got = _rows(
        conn, "select * from smf.rollups_hour(%s, '-infinity', 'infinity') order by bucket", m
    )
    assert got == [(meter, *H_00), (meter, *H_01), (meter, *H_NEXT)]


def test_the_view_builders_select_the_sealed_rows_and_rollups_they_name(
    conn: psycopg.Connection[Any],
) -> None:
    """The SQL of smf.sealed_rows_sql, smf.rollup_15min_sealed_sql, smf.rollup_hour_sealed_sql
    and smf.rollup_all_sql, run as it is, gives the sealed week's rows and rollups."""
    meter, batch = _load(conn, "RPSQL", seal=True)

    def run(fn: str, order: str) -> list[tuple[Any, ...]]:
        sql = conn.execute(f"select {fn}").fetchone()
        assert sql is not None
        # (no parameters: the built SQL holds a % operator)
        got = conn.execute(f"select * from ({sql[0]}) x where meter_id = {meter} order by {order}")
        return [tuple(r) for r in got.fetchall()]

    assert run("smf.sealed_rows_sql()", "ts") == [(meter, *r, batch) for r in ROWS]
    q15 = [(meter, *q) for q in (Q_0000, Q_0015, Q_0045, Q_0100)]
    assert run("smf.rollup_15min_sealed_sql()", "bucket") == q15
    assert run("smf.rollup_hour_sealed_sql()", "bucket") == [(meter, *H_00), (meter, *H_01)]
    # stored rows of the hot week first in the union, then the derived ones
    assert run("smf.rollup_all_sql('15min')", "bucket") == [*q15, (meter, *Q_NEXT)]
    assert run("smf.rollup_all_sql('hour')", "bucket") == [
        (meter, *H_00),
        (meter, *H_01),
        (meter, *H_NEXT),
    ]
    assert conn.execute("select smf.rollup_all_sql('day')").fetchone() == (None,)


def test_interval_span_reads_first_and_last_start_across_tiers_and_qualities(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.interval_span: first_ts from the sealed week, last_ts from the hot one; all sealed,
    both from sealed periods, a trailing 'missing' interval counted; NULLs for no data."""
    meter, batch = _load(conn, "RPSPAN", seal=True)
    got = conn.execute("select first_ts, last_ts from smf.interval_span(%s)", (meter,)).fetchone()
    assert got == (t("00:00"), t("00:00", 8))
    # a missing interval at 00:05 of Jan 8, then the next week sealed too
    conn.execute(
        "insert into smf.interval_reading (meter_id, ts, quality, batch_id)"
        " values (%s, '2024-01-08 00:05+00', 'missing', %s)",
        (meter, batch),
    )
    conn.execute(
        "select smf.storage_seal_periods(array[%s], array['2024-01-08 00:00+00'::timestamptz])",
        (meter,),
    )
    got = conn.execute("select first_ts, last_ts from smf.interval_span(%s)", (meter,)).fetchone()
    assert got == (t("00:00"), t("00:05", 8))
    empty = add_meter(conn, "RPSPAN0", 5)
    got = conn.execute("select first_ts, last_ts from smf.interval_span(%s)", (empty,)).fetchone()
    assert got == (None, None)


def test_api_series_reads_every_channel_in_engineering_units_from_sealed_periods(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.api_series over a sealed week: 5m gives each interval's values / 1000 (kWh, kvarh, V,
    A); 1h the hour's energy sums and the voltage and current means."""
    meter, _ = _load(conn, "RPAPI", seal=True)
    cols = (
        "bucket_start, active_fwd, active_rev, reactive_ind_fwd, reactive_ind_rev,"
        " reactive_cap_fwd, reactive_cap_rev, voltage_a, voltage_b, voltage_c,"
        " current_a, current_b, current_c, quality, completeness_pct"
    )
    got = _rows(
        conn,
        f"select {cols} from smf.api_series(%s, '2024-01-01 00:00+00', '2024-01-01 00:10+00',"
        " '5m', 'UTC', false)",
        meter,
    )
    assert got == [
        # 100 Wh = 0.1 kWh ... 220000 mV = 220 V, 5100 mA = 5.1 A
        (t("00:00"), 0.1, 0.0, 0.03, 0.001, 0.002, 0.003, 220.0, 221.0, 219.0, 5.0, 5.1, 4.9,
         "measured", 100.0),
        (t("00:05"), 0.12, 0.005, 0.031, None, 0.004, 0.0, 220.5, None, 219.5, 5.2, None, 5.0,
         "adjusted", 100.0),
    ]  # fmt: skip
    got = _rows(
        conn,
        f"select {cols} from smf.api_series(%s, '2024-01-01 00:00+00', '2024-01-01 02:00+00',"
        " '1h', 'UTC', false)",
        meter,
    )
    assert got == [
        # hour 00 (H_00): means 1320500 / 6 mV = 220083.33.. -> 220.0833.. V; 1108000 / 5 =
        # 221.6 V; 1311500 / 6; 26700 / 6 = 4.45 A; 21300 / 5 = 4.26 A; 26400 / 6 = 4.4 A.
        # quality: 6 of 12 expected present -> 'missing', 100 x 6 / 12 = 50 %
        (t("00:00"), 0.61, 0.008, 0.156, 0.006, 0.012, 0.012, 1320500 / 6 / 1000, 221.6,
         1311500 / 6 / 1000, 4.45, 4.26, 4.4, "missing", 50.0),
        # hour 01: one interval of 12; voltage_c NULL -> no mean
        (t("01:00"), 0.2, 0.0, 0.06, 0.0, 0.0, 0.0, 220.0, 220.0, None, 3.0, 3.0, 3.0,
         "missing", 8.33),  # 100 x 1 / 12 = 8.333 -> 8.33
    ]  # fmt: skip


def test_sealed_encoding_helpers_slice_slots_and_floor_the_period_search(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.sealed_channel slices a channel's offsets by width; smf.sealed_slot finds the slot
    of an instant in a period; smf.sealed_floor goes back 28 days (infinities kept)."""
    got = conn.execute(
        'select smf.sealed_channel(1::smallint, 2, 2, array[-128, 0, 127]::"char"[], null, null),'
        " smf.sealed_channel(2::smallint, 1, 2, null, array[-32768, 20, 32767]::smallint[], null),"
        " smf.sealed_channel(4::smallint, 3, 1, null, null, array[-5, 7, 9]),"
        " smf.sealed_channel(0::smallint, 1, 3, null, null, array[1, 2, 3])"
    ).fetchone()
    assert got == ([0, 127], [-32768, 20], [9], None)  # width 0: NULL in every slot
    # a 15-minute week: 672 slots, the last starting at 2024-01-07 23:45
    got = conn.execute(
        "select array_agg(smf.sealed_slot(a, '2024-01-01 00:00+00', 15::smallint, 672) order by a)"
        " from unnest(array['2023-12-31 23:00+00', '2024-01-01 00:00+00', '2024-01-01 00:15+00',"
        " '2024-01-01 00:16+00', '2024-01-07 23:45+00', '2024-01-07 23:46+00']::timestamptz[]) a"
    ).fetchone()
    # before -> 1; start -> 1; 00:15 -> 2; 00:16 -> the next start 00:30 = slot 3;
    # 23:45 = slot 1 + 671 = 672; after the last start -> 673 (none)
    assert got == ([1, 1, 2, 3, 672, 673],)
    got = conn.execute(
        "select smf.sealed_floor('2024-01-29 06:00+00'),"
        " smf.sealed_floor('-infinity') = '-infinity', smf.sealed_floor('infinity') = 'infinity'"
    ).fetchone()
    assert got == (datetime(2024, 1, 1, 6, 0, tzinfo=UTC), True, True)  # Jan 29 - 28 days


def test_seal_spans_seals_every_period_a_span_touches_and_spans_exist_reports_them(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.storage_seal_spans seals both weeks a span crossing midnight of Jan 8 touches;
    smf.storage_sealed_spans_exist then sees a range inside them, not one after the last end;
    smf.storage_seal_all_requested follows the session's smf.seal_all."""
    meter, _ = _load(conn, "RPSPANS", seal=False)
    got = conn.execute(
        "select smf.storage_seal_spans(array[%s], array['2024-01-07 12:00+00'::timestamptz],"
        " array['2024-01-08 00:00+00'::timestamptz])",
        (meter,),
    ).fetchone()
    # weeks of Jan 1 (8 rows) and Jan 8 (1 row)
    assert got == ({"sealed": 2, "off_grid": 0, "empty": 0, "rows": 9},)
    got = conn.execute(
        "select smf.storage_sealed_spans_exist('2024-01-14 23:59+00', '2024-01-20 00:00+00'),"
        " smf.storage_sealed_spans_exist('2024-01-15 00:00+00', '2024-01-20 00:00+00'),"
        " smf.storage_sealed_spans_exist('2023-12-01 00:00+00', '2023-12-31 23:59+00'),"
        " smf.storage_sealed_spans_exist('2023-12-01 00:00+00', '2024-01-01 00:00+00')"
    ).fetchone()
    # the second period ends at Jan 15 00:00 (exclusive); the first starts at Jan 1 00:00
    assert got == (True, False, False, True)
    conn.execute("set local smf.seal_all = off")
    assert conn.execute("select smf.storage_seal_all_requested()").fetchone() == (False,)
    conn.execute("set local smf.seal_all = on")
    assert conn.execute("select smf.storage_seal_all_requested()").fetchone() == (True,)


def test_rollup_select_list_aggregates_rows_to_quarters_and_quarters_to_hours(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.rollup_select_list(true) over the rows gives the quarter hours, (false) over the
    stored quarters the hours, n_expected filled in by the caller (3 and 12 here); the hourly
    table's last three columns (the quarter hours' smallest |value|) are not in the list."""
    meter, _ = _load(conn, "RPLIST", seal=False)
    raw, derived = conn.execute(
        "select smf.rollup_select_list(true), smf.rollup_select_list(false)"
    ).fetchone()  # type: ignore[misc]
    got = conn.execute(
        f"select x.meter_id, time_bucket('15 minutes', x.ts), {raw.replace('%s', '3')}"
        f" from smf.interval_reading x where x.meter_id = {meter} and x.ts < '2024-01-08'"
        " group by 1, 2 order by 2"
    ).fetchall()
    assert [tuple(r) for r in got] == [(meter, *q) for q in (Q_0000, Q_0015, Q_0045, Q_0100)]
    got = conn.execute(
        f"select x.meter_id, time_bucket('1 hour', x.bucket), {derived.replace('%s', '12')}"
        f" from smf.rollup_15min x where x.meter_id = {meter} and x.bucket < '2024-01-08'"
        " group by 1, 2 order by 2"
    ).fetchall()
    assert [tuple(r) for r in got] == [(meter, *H_00[:-3]), (meter, *H_01[:-3])]


def test_rollup_view_sql_gives_kwh_volts_amps_means_and_completeness_over_both_tiers(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.rollup_view_sql over the hourly rollups of both tiers (as smf.meter_hourly): energies
    / 1000 (kWh, kvarh), min / max / mean in V and A, completeness in percent."""
    meter, _ = _load(conn, "RPVIEW", seal=True)
    sql = conn.execute(
        "select smf.rollup_view_sql('(' || smf.rollup_all_sql('hour') || ')', 'r.bucket')"
    ).fetchone()
    assert sql is not None
    got = conn.execute(  # (no parameters: the built SQL holds a % operator)
        f"select * from ({sql[0]}) v where meter_id = {meter} and bucket_start < '2024-01-01 01:00'"
    ).fetchall()
    assert [tuple(r) for r in got] == [
        (
            meter, "RPVIEW", t("00:00"),
            # H_00: 610 Wh, 8 Wh, 156 / 6 / 12 / 12 varh
            D("0.610"), D("0.008"), D("0.156"), D("0.006"), D("0.012"), D("0.012"),
            D("50.00"),  # 100 x (4 + 1 + 1) / 12 expected
            4, 1, 1, 1, 12,
            # min, max, mean: the mean of whole mV / mA (integer division) then / 1000:
            # 1320500 / 6 = 220083 mV; 1108000 / 5 = 221600; 1311500 / 6 = 218583
            D("210.000"), D("230.000"), D("220.083"),
            D("211.000"), D("231.000"), D("221.600"),
            D("209.000"), D("229.000"), D("218.583"),
            # 26700 / 6 = 4450 mA; 21300 / 5 = 4260; 26400 / 6 = 4400
            D("1.000"), D("7.000"), D("4.450"),
            D("1.100"), D("7.100"), D("4.260"),
            D("1.200"), D("7.200"), D("4.400"),
            D("0.880"), t("00:00"),
        )
    ]  # fmt: skip
