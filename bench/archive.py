"""Parquet archive encodings, measured: bytes per interval and write/read time of the archive's
own choice (zstd level 3, DELTA_BINARY_PACKED integers and timestamps, dictionary strings)
against the alternatives, on the realistic month of bench/storage_figures.py (no database).

    .venv/bin/python bench/archive.py [--meters 200]

Prints one line per variant: B per interval, MB, write s, read s, and the size relative to
the archive's choice (measured in the same run). Asserts nothing.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=200, help="meters per class")
    args = ap.parse_args()
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
