"""Parquet archive encodings, measured: bytes per interval and write/read time of the archive's
own choice (zstd level 3, DELTA_BINARY_PACKED integers and timestamps, dictionary strings)
against the alternatives, on the realistic month of bench/storage_figures.py (no database).

    .venv/bin/python bench/archive.py [--meters 200]
    .venv/bin/python bench/archive.py --database [--meters 20]

Prints one line per variant: B per interval, MB, write s, read s, and the size relative to
the archive's choice (measured in the same run). With --database, instead: in a scratch
database (`smf_bench_storage`), a month of N five-minute 12-channel meters loaded through the
CSV ingest path (the baseline), exported with `smf export parquet`'s code, and the file
restored with `smf import parquet`'s code into the emptied tables: rows per second of each and
the import/CSV-ingest ratio (both through db.ingest, validation on ingest off). Asserts
nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import storage_figures
from storage_figures import month_table

from db import archive

INTS = ("ts", *archive.CHANNEL_COLUMNS)
STRINGS = ["meter_serial", "quality", "source"]


def variants() -> list[tuple[str, dict[str, Any]]]:
    delta = {c: "DELTA_BINARY_PACKED" for c in INTS}
    out: list[tuple[str, dict[str, Any]]] = []
    for level in (archive.ZSTD_LEVEL, 1, 9, 15):
        out.append(
            (
                f"zstd {level}, delta ints"
                + (" (the archive's)" if level == archive.ZSTD_LEVEL else ""),
                dict(
                    compression="zstd",
                    compression_level=level,
                    use_dictionary=STRINGS,
                    column_encoding=delta,
                ),
            )
        )
    out += [
        (
            "zstd 3, plain/dictionary ints",
            dict(compression="zstd", compression_level=3, use_dictionary=True),
        ),
        (
            "zstd 3, byte-stream-split ints",
            dict(
                compression="zstd",
                compression_level=3,
                use_dictionary=STRINGS,
                column_encoding={c: "BYTE_STREAM_SPLIT" for c in INTS},
            ),
        ),
        ("snappy, pyarrow defaults", dict(compression="snappy")),
    ]
    return out


def database_run(meters: int) -> None:
    import psycopg

    from db import driver

    settings = storage_figures.scratch_database()
    tmp = Path(tempfile.mkdtemp(prefix="smf-bench-archive-"))
    table = month_table(meters, 5, 12, 19)
    n = table.num_rows
    _hot, arch, load_s, export_s, nbytes = storage_figures.measure(settings, table, 5, 12, tmp)
    path = archive.archive_path(tmp, "900", storage_figures.MONTH)
    with psycopg.connect(settings.url, autocommit=True) as c:
        c.execute(
            "truncate smf.interval_reading, smf.interval_reading_history, smf.rollup_15min, "
            "smf.rollup_hour, smf.rollup_day, smf.rollup_month"
        )
    t = time.perf_counter()
    result = archive.import_file(path, settings=settings)
    import_s = time.perf_counter() - t
    driver.dispose_all()
    assert result.inserted == n, result.summary()
    print(f"{meters} meters x {storage_figures.DAYS} days, 5-minute, 12 channels: {n:,} intervals")
    print(f"  CSV ingest (baseline):  {load_s:7.1f} s {n / load_s:>9,.0f} rows/s")
    print(
        f"  export to Parquet:      {export_s:7.1f} s {n / export_s:>9,.0f} rows/s "
        f"({nbytes:,} bytes, {arch['bytes_per_interval']:.2f} B per interval)"
    )
    print(f"  import of the file:     {import_s:7.1f} s {n / import_s:>9,.0f} rows/s")
    print(f"  import / CSV ingest time: {import_s / load_s:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=None, help="meters per class (200; 20)")
    ap.add_argument("--database", action="store_true", help="export/import through a database")
    args = ap.parse_args()
    if args.database:
        database_run(args.meters or 20)
        return
    args.meters = args.meters or 200
    tmp = Path(tempfile.mkdtemp(prefix="smf-bench-archive-"))
    for interval, channels in ((5, 12), (15, 12), (5, 3)):
        table = month_table(args.meters, interval, channels, 19)
        n = table.num_rows
        print(f"\n{args.meters} meters, {interval}-minute, {channels} channels: {n:,} intervals")
        print(f"  {'variant':<38}{'B/interval':>11}{'MB':>8}{'write s':>9}{'read s':>8}{'size':>7}")
        base = None
        for name, opts in variants():
            path = tmp / "x.parquet"
            t = time.perf_counter()
            pq.write_table(
                table, path, row_group_size=archive.ROW_GROUP_ROWS, write_page_checksum=True, **opts
            )
            write_s = time.perf_counter() - t
            t = time.perf_counter()
            back = pq.read_table(path)
            read_s = time.perf_counter() - t
            del back
            size = path.stat().st_size
            base = base or size
            print(
                f"  {name:<38}{size / n:>11.2f}{size / 1e6:>8.2f}{write_s:>9.2f}{read_s:>8.2f}"
                f"{size / base:>7.2f}"
            )
    pa.default_memory_pool().release_unused()


if __name__ == "__main__":
    main()
