"""The archive file as other tools read it: DuckDB and pandas (the data lake of seed 004), the
Parquet encodings and metadata it promises, and a small file whose every value is worked out
by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import psycopg
import pyarrow.parquet as pq
import pytest

from db import archive, driver
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings
from tests.archive.helpers import BACKUP, CHANNELS, DIST, MAIN, MONTH, QUARTER


def test_duckdb_reads_utc_instants_integers_and_the_units(loaded: Settings, exported: Path) -> None:
    con = duckdb.connect()
    cols = dict(
        con.execute(
            "select column_name, column_type from (describe select * from read_parquet(?))",
            [str(exported)],
        ).fetchall()
    )
    assert cols["ts"] == "TIMESTAMP WITH TIME ZONE"
    assert cols["meter_serial"] == cols["quality"] == cols["source"] == "VARCHAR"
    assert all(cols[c] == "INTEGER" for c in CHANNELS)
    # Sums per meter as DuckDB reads them equal the database's own (computed there).
    got = con.execute(
        "select meter_serial, count(*), sum(active_fwd_wh), sum(voltage_c_mv), "
        "count(voltage_c_mv), min(epoch_us(ts)), max(epoch_us(ts)) "
        "from read_parquet(?) group by 1 order by 1",
        [str(exported)],
    ).fetchall()
    with psycopg.connect(loaded.url) as c:
        want = c.execute(
            "select m.serial, count(*), sum(r.active_fwd_wh), sum(r.voltage_c_mv), "
            "count(r.voltage_c_mv), "
            "min((extract(epoch from r.ts) * 1000000)::bigint), "
            "max((extract(epoch from r.ts) * 1000000)::bigint) "
            "from smf.interval_reading r join smf.meter m on m.id = r.meter_id "
            "where m.serial = any(%s) and r.ts >= '2026-10-01T03:00Z' "
            "and r.ts < '2026-11-01T03:00Z' group by 1 order by 1",
            ([MAIN, BACKUP, QUARTER],),
        ).fetchall()
    assert [tuple(int(x) if not isinstance(x, str) else x for x in r) for r in got] == [
        tuple(int(x) if not isinstance(x, str) else x for x in r) for r in want
    ]
    # The metadata: units per column, the month, the digest, as any Parquet reader sees them.
    kv = dict(
        (k.decode(), v.decode())
        for k, v in con.execute(
            "select key, value from parquet_kv_metadata(?)", [str(exported)]
        ).fetchall()
    )
    units = json.loads(kv["smf.units"])
    assert units["active_fwd_wh"] == "Wh" and units["reactive_ind_fwd_varh"] == "varh"
    assert units["voltage_a_mv"] == "mV" and units["current_c_ma"] == "mA"
    meta = json.loads(kv["smf.archive"])
    assert (meta["distributor"], meta["month"], meta["local_timezone"]) == (
        DIST,
        MONTH,
        "America/Sao_Paulo",
    )
    assert (meta["from_utc"], meta["to_utc"]) == (
        "2026-10-01T03:00:00+00:00",
        "2026-11-01T03:00:00+00:00",
    )
    # Encodings and compression, as DuckDB reads them from the footer.
    enc = {
        name: (codec, encodings)
        for name, codec, encodings in con.execute(
            "select path_in_schema, compression, encodings from parquet_metadata(?)",
            [str(exported)],
        ).fetchall()
    }
    for c in ("ts", *CHANNELS):
        assert enc[c][0] == "ZSTD" and "DELTA_BINARY_PACKED" in enc[c][1], (c, enc[c])
    assert "RLE_DICTIONARY" in enc["meter_serial"][1]


def test_pandas_reads_it_with_nullable_integers_and_utc_timestamps(exported: Path) -> None:
    df = pd.read_parquet(exported, dtype_backend="numpy_nullable")
    assert str(df["ts"].dtype) == "datetime64[us, UTC]"
    assert all(str(df[c].dtype) == "Int32" for c in CHANNELS)
    assert df["ts"].min() == pd.Timestamp("2026-10-01T03:00:00Z")
    assert len(df) == 8928 * 2 + 2976
    # Empty channels stay missing values (the 'missing' placeholders have all 12 empty).
    missing = df[df["quality"] == "missing"]
    assert len(missing) and missing[list(CHANNELS)].isna().all().all()
    # Field metadata carries each column's unit.
    schema = pq.read_schema(exported)
    assert schema.field("active_fwd_wh").metadata[b"unit"] == b"Wh"
    assert schema.field("active_fwd_wh").metadata[b"engineering_unit"] == b"kWh"
    assert schema.field("ts").type.tz == "UTC"


def test_a_small_month_worked_out_by_hand(fresh: Settings, tmp_path: Path) -> None:
    # Three intervals of MAIN, given in local time (-03:00):
    #   2026-10-01 00:00 -03:00 = 03:00Z, the first interval of October: 1.234 kWh = 1234 Wh,
    #     230.5 V = 230500 mV, quality measured, source meter;
    #   2026-10-31 23:55 -03:00 = 2026-11-01 02:55Z, October's last interval: 0.5 kWh = 500 Wh,
    #     voltage empty (NULL), estimated by the estimator;
    #   2026-11-01 00:00 -03:00 = 03:00Z: November, not in the October file.
    local = timedelta(hours=-3)
    rows = [
        IntervalRow(
            ts=datetime(2026, 10, 1, 0, 0, tzinfo=UTC) - local,
            values={"active_fwd_kwh": 1.234, "voltage_a_v": 230.5},
            meter_serial=MAIN,
        ),
        IntervalRow(
            ts=datetime(2026, 10, 31, 23, 55, tzinfo=UTC) - local,
            values={"active_fwd_kwh": 0.5, "voltage_a_v": None},
            meter_serial=MAIN,
            quality="estimated",
            source="estimate",
        ),
        IntervalRow(
            ts=datetime(2026, 11, 1, 0, 0, tzinfo=UTC) - local,
            values={"active_fwd_kwh": 9.0},
            meter_serial=MAIN,
        ),
    ]
    with driver.connect(fresh) as conn:
        ingest_rows(conn, rows, source="meter")
    result = archive.export_month(DIST, MONTH, tmp_path, settings=fresh)
    assert (result.rows, result.meters, result.status) == (2, 1, "written")
    assert result.path == (
        tmp_path / "distributor=059" / "month=2026-10" / "smf_intervals_059_2026-10.parquet"
    )
    got = (
        duckdb.connect()
        .execute(
            "select meter_serial, epoch_us(ts), active_fwd_wh, voltage_a_mv, active_rev_wh, "
            "quality, source from read_parquet(?) order by ts",
            [str(result.path)],
        )
        .fetchall()
    )
    first = int(datetime(2026, 10, 1, 3, 0, tzinfo=UTC).timestamp()) * 1_000_000
    last = int(datetime(2026, 11, 1, 2, 55, tzinfo=UTC).timestamp()) * 1_000_000
    assert got == [
        (MAIN, first, 1234, 230500, None, "measured", "meter"),
        (MAIN, last, 500, None, None, "estimated", "estimate"),
    ]
    # A Hive-partitioned read of the folder gives the distributor and month as columns.
    part = (
        duckdb.connect()
        .execute(
            "select distinct distributor, month from read_parquet(?, hive_partitioning = true)",
            [str(tmp_path / "**" / "*.parquet")],
        )
        .fetchall()
    )
    assert [(str(d).zfill(3), str(m)) for d, m in part] == [("059", "2026-10")]


@pytest.mark.slow
def test_a_month_with_a_daylight_saving_change_ends_at_local_midnight(
    fresh: Settings, tmp_path: Path
) -> None:
    # America/Sao_Paulo kept daylight saving time until 2019: on 4 November 2018 the clocks
    # went from 00:00 to 01:00 (-03:00 to -02:00). November 2018 therefore starts at local
    # midnight -03:00 = 2018-11-01T03:00Z and ends at local midnight -02:00 = 2018-12-01T02:00Z
    # (30 days less one hour). Four intervals straddle the two edges:
    edges = [
        (datetime(2018, 11, 1, 2, 55, tzinfo=UTC), False),  # 31 Oct 23:55 local: October
        (datetime(2018, 11, 1, 3, 0, tzinfo=UTC), True),  # 1 Nov 00:00 local
        (datetime(2018, 12, 1, 1, 55, tzinfo=UTC), True),  # 30 Nov 23:55 local (-02:00)
        (datetime(2018, 12, 1, 2, 0, tzinfo=UTC), False),  # 1 Dec 00:00 local: December
    ]
    with driver.connect(fresh) as conn:
        ingest_rows(
            conn,
            [
                IntervalRow(ts=ts, values={"active_fwd_kwh": 1.0}, meter_serial=MAIN)
                for ts, _ in edges
            ],
            source="meter",
        )
    result = archive.export_month(DIST, "2018-11", tmp_path, settings=fresh)
    assert result.path is not None
    meta = archive.verify(result.path)
    assert (meta["from_utc"], meta["to_utc"]) == (
        "2018-11-01T03:00:00+00:00",
        "2018-12-01T02:00:00+00:00",
    )
    got = pq.read_table(result.path).column("ts").to_pylist()
    assert got == [ts for ts, inside in edges if inside]
