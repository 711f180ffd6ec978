"""Results of the small SQL functions around the ingest, the API and virtual meters, each pinned
on values worked out by hand: the ingest steps (smf.ingest_begin / ingest_finish /
ingest_upsert / ingest_wins / ingest_quantities), the meter's interval grid, the column lists,
the channel divisors, a bucket's quality, month parameters, the raw-read retention and the
virtual-meter compiler (smf.virtual_expand / virtual_inputs / virtual_sql)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.storage.helpers import add_meter, new_batch

CHANNELS_12 = [
    "active_fwd_kwh",
    "active_rev_kwh",
    "reactive_ind_fwd_kvarh",
    "reactive_ind_rev_kvarh",
    "reactive_cap_fwd_kvarh",
    "reactive_cap_rev_kvarh",
    "voltage_a_v",
    "voltage_b_v",
    "voltage_c_v",
    "current_a_a",
    "current_b_a",
    "current_c_a",
]


def one(conn: psycopg.Connection[Any], sql: str, *args: Any) -> Any:
    row = conn.execute(sql, args).fetchone()
    assert row is not None
    return row[0]


def _stage(conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]]) -> None:
    """rows: (meter serial, ts text, active kWh, voltage_a V, current_a A, quality)."""
    with conn.cursor() as cur:
        cur.executemany(
            "insert into pg_temp.ingest_stage (meter_serial, ts, active_fwd_kwh, voltage_a_v,"
            " current_a_a, quality) values (%s, %s, %s, %s, %s, %s)",
            rows,
        )


def test_ingest_begin_and_finish_open_a_batch_store_engineering_units_and_count(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.ingest_begin returns the id of the batch it opens; smf.ingest_finish stores kWh, V, A
    as Wh, mV, mA and returns the batch's counts (new rows, a changed one, an unchanged one)."""
    meter = add_meter(conn, "ING1", 15)
    b1 = one(conn, "select smf.ingest_begin('import', 'column test')")
    assert conn.execute(
        "select id, source, origin, finished_at from smf.ingest_batch where id = %s", (b1,)
    ).fetchone() == (b1, "import", "column test", None)
    _stage(
        conn,
        [
            ("ING1", "2024-03-01T00:00:00Z", 1.234, 220.5, 5.25, None),
            ("ING1", "2024-03-01T00:15:00Z", 0.0004, None, None, "estimated"),  # 0.4 Wh -> 0
            ("ING1", "2024-03-01T00:30:00Z", -1, None, None, None),  # negative energy
        ],
    )
    got = one(conn, "select smf.ingest_finish(%s, 1)", b1)
    assert got == {
        "batch_id": b1,
        "rows": 3,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "quarantined": {"negative_energy": 1},
        "below_resolution": 1,
    }
    rows = conn.execute(  # through the read path (`pytest --sealed` seals at once)
        "select ts, active_fwd_wh, voltage_a_mv, current_a_ma, quality, source, batch_id"
        " from smf.intervals(%s, '-infinity', 'infinity') order by ts",
        (meter,),
    ).fetchall()
    assert rows == [
        # 1.234 kWh = 1234 Wh, 220.5 V = 220500 mV, 5.25 A = 5250 mA
        (datetime(2024, 3, 1, 0, 0, tzinfo=UTC), 1234, 220500, 5250, "measured", "import", b1),
        (datetime(2024, 3, 1, 0, 15, tzinfo=UTC), 0, None, None, "estimated", "import", b1),
    ]
    # a second batch over the same intervals: one changed (1.5 kWh), one identical
    b2 = one(conn, "select smf.ingest_begin('import', 'again')")
    assert b2 != b1
    _stage(
        conn,
        [
            ("ING1", "2024-03-01T00:00:00Z", 1.5, 220.5, 5.25, None),
            ("ING1", "2024-03-01T00:15:00Z", 0.0004, None, None, "estimated"),
        ],
    )
    got = one(conn, "select smf.ingest_finish(%s)", b2)
    assert (got["batch_id"], got["rows"], got["inserted"], got["updated"], got["unchanged"]) == (
        b2,
        2,
        0,
        1,
        1,
    )
    assert (got["quarantined"], got["below_resolution"]) == ({}, 1)


def test_ingest_upsert_counts_new_and_changed_rows_and_keeps_a_higher_ranked_stored_row(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.ingest_upsert over a hand-made ingest_valid: a new row is inserted, a meter read
    replaces an import (updated), an import does not replace a meter read (neither)."""
    meter = add_meter(conn, "UPS1", 15)
    old = new_batch(conn)
    conn.execute(
        "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, source, batch_id) values"
        " (%(m)s, '2024-03-01 00:00+00', 100, 'import', %(b)s),"
        " (%(m)s, '2024-03-01 00:15+00', 200, 'meter', %(b)s)",
        {"m": meter, "b": old},
    )
    batch = new_batch(conn, "meter")
    conn.execute(
        "create temp table ingest_valid on commit drop as"
        " select r.meter_id, r.ts, r.active_fwd_wh, r.active_rev_wh, r.reactive_ind_fwd_varh,"
        " r.reactive_ind_rev_varh, r.reactive_cap_fwd_varh, r.reactive_cap_rev_varh,"
        " r.voltage_a_mv, r.voltage_b_mv, r.voltage_c_mv, r.current_a_ma, r.current_b_ma,"
        " r.current_c_ma, r.quality, r.source, 4095 as given"
        " from smf.interval_reading r where false"
    )
    conn.execute(
        "insert into pg_temp.ingest_valid (meter_id, ts, active_fwd_wh, quality, source, given)"
        " values (%(m)s, '2024-03-01 00:00+00', 150, 'measured', 'meter', 4095),"
        " (%(m)s, '2024-03-01 00:15+00', 999, 'measured', 'import', 4095),"
        " (%(m)s, '2024-03-01 00:30+00', 300, 'measured', 'meter', 4095)",
        {"m": meter},
    )
    conn.execute(
        "create temp table ingest_touched on commit drop as select %s::int as meter_id,"
        " '2024-03-01 00:00+00'::timestamptz as lo, '2024-03-01 00:30+00'::timestamptz as hi",
        (meter,),
    )
    got = conn.execute("select inserted, updated from smf.ingest_upsert(%s)", (batch,)).fetchone()
    assert got == (1, 1)  # 00:30 new; 00:00 meter (rank 40) over import (30); 00:15 kept
    rows = conn.execute(
        "select active_fwd_wh, source, batch_id = %s from smf.interval_reading"
        " where meter_id = %s order by ts",
        (batch, meter),
    ).fetchall()
    assert rows == [(150, "meter", True), (200, "meter", False), (300, "meter", True)]


def test_ingest_wins_by_source_rank_equal_ranks_and_no_stored_row(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.ingest_wins: manual 50 > meter 40 > import 30 > backup_meter 20 > estimate 10; an equal
    rank wins (a correction); no stored row (NULL) always wins."""
    got = conn.execute(
        "select smf.ingest_wins('meter', 'import'), smf.ingest_wins('import', 'meter'),"
        " smf.ingest_wins('import', 'import'), smf.ingest_wins('estimate', null),"
        " smf.ingest_wins('manual', 'meter'), smf.ingest_wins('backup_meter', 'estimate'),"
        " smf.ingest_wins('estimate', 'backup_meter')"
    ).fetchone()
    assert got == (True, False, True, True, True, True, False)


def test_the_column_lists_name_the_stored_and_staged_quantities_in_table_order(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.energy_columns (Wh, varh), smf.analog_columns (mV, mA) and smf.ingest_quantities
    (kWh, kvarh, V, A, the staging columns whose bit k is `given`)."""
    got = conn.execute(
        "select smf.energy_columns(), smf.analog_columns(), smf.ingest_quantities()"
    ).fetchone()
    assert got == (
        [
            "active_fwd_wh",
            "active_rev_wh",
            "reactive_ind_fwd_varh",
            "reactive_ind_rev_varh",
            "reactive_cap_fwd_varh",
            "reactive_cap_rev_varh",
        ],
        [
            "voltage_a_mv",
            "voltage_b_mv",
            "voltage_c_mv",
            "current_a_ma",
            "current_b_ma",
            "current_c_ma",
        ],
        CHANNELS_12,
    )


def test_meter_interval_grid_rounds_the_start_up_and_leaves_the_end_out(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.meter_interval_grid: the meter's UTC interval starts in [p_from, p_to), p_from rounded
    up to the grid; nothing for an unknown meter."""
    meter = add_meter(conn, "GRID15", 15)

    def grid(m: int, lo: str, hi: str) -> list[datetime]:
        sql = "select array_agg(g order by g) from smf.meter_interval_grid(%s, %s, %s) g"
        return list(one(conn, sql, m, lo, hi) or [])

    def at(h: int, mi: int) -> datetime:
        return datetime(2024, 1, 1, h, mi, tzinfo=UTC)

    # 00:05 rounds up to 00:15; 01:00 is the open end
    assert grid(meter, "2024-01-01 00:05+00", "2024-01-01 01:00+00") == [
        at(0, 15),
        at(0, 30),
        at(0, 45),
    ]
    # a start on the grid is kept; an end one microsecond after 00:30 takes 00:30
    assert grid(meter, "2024-01-01 00:00+00", "2024-01-01 00:30:00.000001+00") == [
        at(0, 0),
        at(0, 15),
        at(0, 30),
    ]
    # a start in another zone: 2024-01-01 00:10-03:00 = 03:10 UTC -> 03:15
    assert grid(meter, "2024-01-01 00:10-03:00", "2024-01-01 03:30+00") == [at(3, 15)]
    assert grid(-1, "2024-01-01 00:00+00", "2024-01-02 00:00+00") == []


def test_channel_divisors_are_one_in_units_and_the_channel_constant_in_pulses(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.channel_divisor (dashboards) and smf.api_channel_divisors (API): 1 in engineering
    units; in pulses the constant of the channel, NULL for a 0 constant or an unmapped channel."""
    got = conn.execute(
        "select smf.channel_divisor(m, k, 'active_fwd_kwh', 'units'),"
        " smf.channel_divisor(m, k, 'active_fwd_kwh', 'pulses'),"
        " smf.channel_divisor(m, k, 'voltage_a_v', 'pulses'),"
        " smf.channel_divisor(m, k, 'current_a_a', 'pulses')"
        " from (select array['active_fwd_kwh', 'voltage_a_v'] as m,"
        " array[0.25, 0]::numeric[] as k) x"
    ).fetchone()
    assert got == (1, D("0.25"), None, None)
    meter = one(
        conn,
        "insert into smf.meter (serial, interval_minutes, channel_map, channel_constants)"
        " values ('PULSE1', 15, array['active_fwd_kwh', 'reactive_ind_fwd_kvarh', 'voltage_a_v'],"
        " array[0.25, 0.5, 0]) returning id",
    )
    assert one(conn, "select smf.api_channel_divisors(%s, false)", meter) == [1] * 12
    # in the order of the 12 names: active_fwd 0.25, reactive_ind_fwd 0.5, voltage_a 0 -> NULL
    assert one(conn, "select smf.api_channel_divisors(%s, true)", meter) == [
        D("0.25"), None, D("0.5"), None, None, None, None, None, None, None, None, None,
    ]  # fmt: skip
    plain = add_meter(conn, "NOPULSE", 15)  # no channel constants
    with pytest.raises(psycopg.DatabaseError, match="no channel constants") as err:
        conn.execute("select smf.api_channel_divisors(%s, true)", (plain,))
    assert err.value.sqlstate == "SMF02"


def test_api_bucket_quality_is_the_worst_of_the_expected_intervals(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.api_bucket_quality: 'missing' when fewer intervals are present than expected, else
    estimated over adjusted over measured."""
    got = conn.execute(
        "select smf.api_bucket_quality(3, 0, 0, 3), smf.api_bucket_quality(2, 1, 0, 3),"
        " smf.api_bucket_quality(1, 1, 1, 3), smf.api_bucket_quality(2, 0, 0, 3),"
        " smf.api_bucket_quality(1, 1, 1, 4), smf.api_bucket_quality(0, 0, 3, 3)"
    ).fetchone()
    assert got == ("measured", "adjusted", "estimated", "missing", "missing", "estimated")


def test_month_of_reads_a_month_or_a_date_and_refuses_anything_else(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.month_of: 'YYYY-MM' -> the 1st of the month; 'YYYY-MM-DD' -> that date (blanks
    trimmed); SMF02 for a month 13 or text."""
    got = conn.execute(
        "select smf.month_of('2024-02'), smf.month_of(' 2024-02-15 '), smf.month_of(null)"
    ).fetchone()
    assert got == (date(2024, 2, 1), date(2024, 2, 15), None)
    for bad in ("2024-13", "Feb 2024"):
        with pytest.raises(psycopg.DatabaseError) as err:
            conn.execute("select smf.month_of(%s)", (bad,))
        assert err.value.sqlstate == "SMF02"
        conn.rollback()


def test_raw_read_prune_deletes_reads_older_than_the_retention_and_counts_them(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.raw_read_prune: reads whose read_at is before p_now - raw_block_retention_days (90 by
    default) go; one exactly at the edge stays; returns how many went."""
    meter = add_meter(conn, "RAW1", 15)
    conn.execute(
        "insert into smf.raw_read (meter_id, read_at, layout, n_blocks, blocks) values"
        " (%(m)s, '2024-03-02 23:59+00', 'x', 0, ''), (%(m)s, '2024-03-03 00:00+00', 'x', 0, ''),"
        " (%(m)s, '2024-05-01 00:00+00', 'x', 0, '')",
        {"m": meter},
    )
    # 2024-06-01 - 90 days = 2024-03-03 00:00: only 03-02 23:59 is older
    assert one(conn, "select smf.raw_read_prune('2024-06-01 00:00+00')") == 1
    conn.execute("update smf.setting set value = '30' where key = 'raw_block_retention_days'")
    # 2024-06-01 - 30 days = 2024-05-02: 03-03 and 05-01 go
    assert one(conn, "select smf.raw_read_prune('2024-06-01 00:00+00')") == 2
    assert one(conn, "select count(*) from smf.raw_read where meter_id = %s", meter) == 0


def test_virtual_formulas_expand_to_inputs_and_compile_to_kwh_sql(
    conn: psycopg.Connection[Any],
) -> None:
    """smf.virtual_expand resolves meters to (meter_id, column, minutes) and expands a virtual
    meter; smf.virtual_inputs numbers the distinct inputs; smf.virtual_sql compiles the tree
    to kWh SQL (a missing input NULL, a division by zero NULL)."""
    a = add_meter(conn, "VA", 15)
    b = add_meter(conn, "VB", 15)
    tree = {
        "op": "-",
        "args": [
            {"meter": "VA", "channel": "active_fwd"},
            {"op": "*", "args": [{"num": "0.5"}, {"meter": "VB", "channel": "active_rev"}]},
        ],
    }
    expanded = one(conn, "select smf.virtual_expand(%s, '2024-01-01')", Jsonb(tree))
    leaf_a = {"meter_id": a, "column": "active_fwd_wh", "minutes": 15}
    leaf_b = {"meter_id": b, "column": "active_rev_wh", "minutes": 15}
    assert expanded == {"op": "-", "args": [leaf_a, {"op": "*", "args": [{"num": 0.5}, leaf_b]}]}
    inputs = conn.execute(
        "select k, meter_id, col, minutes from smf.virtual_inputs(%s)", (Jsonb(expanded),)
    ).fetchall()
    assert inputs == [(1, a, "active_fwd_wh", 15), (2, b, "active_rev_wh", 15)]  # meter_id order
    sql = one(
        conn,
        "select smf.virtual_sql(%s, (select jsonb_agg(to_jsonb(i)) from smf.virtual_inputs(%s) i))",
        Jsonb(expanded),
        Jsonb(expanded),
    )
    assert sql == (
        "((case when r1.quality <> 'missing' then r1.active_fwd_wh / 1000.0 end)"
        " - ((0.5::numeric) * (case when r2.quality <> 'missing' then r2.active_rev_wh / 1000.0"
        " end)))"
    )
    # 2000 Wh - 0.5 x 3000 Wh = 2 - 1.5 = 0.5 kWh; input 2 missing -> NULL
    value = f"select {sql} from (select %s as quality, 2000 as active_fwd_wh) r1,"
    value += " (select %s as quality, 3000 as active_rev_wh) r2"
    assert one(conn, value, "measured", "estimated") == D("0.5")
    assert one(conn, value, "measured", "missing") is None
    # a virtual meter inside a formula is expanded as valid on the day asked; a / b -> nullif
    conn.execute(
        "select smf.virtual_define('VSUM', 'VA + VB', %s, '2024-01-01')",
        (
            Jsonb(
                {
                    "op": "+",
                    "args": [
                        {"meter": "VA", "channel": "active_fwd"},
                        {"meter": "VB", "channel": "active_fwd"},
                    ],
                }
            ),
        ),
    )
    ratio = {"op": "/", "args": [{"meter": "VA", "channel": "active_fwd"}, {"meter": "VSUM"}]}
    expanded = one(conn, "select smf.virtual_expand(%s, '2024-02-01')", Jsonb(ratio))
    leaf_bf = {"meter_id": b, "column": "active_fwd_wh", "minutes": 15}
    assert expanded == {"op": "/", "args": [leaf_a, {"op": "+", "args": [leaf_a, leaf_bf]}]}
    inputs = conn.execute(
        "select k, meter_id, col, minutes from smf.virtual_inputs(%s)", (Jsonb(expanded),)
    ).fetchall()
    assert inputs == [(1, a, "active_fwd_wh", 15), (2, b, "active_fwd_wh", 15)]  # VA once
    sql = one(
        conn,
        "select smf.virtual_sql(%s, (select jsonb_agg(to_jsonb(i)) from smf.virtual_inputs(%s) i))",
        Jsonb(expanded),
        Jsonb(expanded),
    )
    r1 = "(case when r1.quality <> 'missing' then r1.active_fwd_wh / 1000.0 end)"
    r2 = "(case when r2.quality <> 'missing' then r2.active_fwd_wh / 1000.0 end)"
    assert sql == f"({r1} / nullif(({r1} + {r2}), 0))"
    with pytest.raises(psycopg.DatabaseError, match="unknown meter NOPE") as err:
        conn.execute(
            "select smf.virtual_expand(%s, '2024-01-01')",
            (Jsonb({"meter": "NOPE", "channel": "active_fwd"}),),
        )
    assert err.value.sqlstate == "SMF04"
