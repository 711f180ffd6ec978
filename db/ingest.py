"""The one way readings enter the database: stream a batch into staging with COPY, then let
smf.ingest_finish() validate and merge it in the same transaction (db/functions/030_ingest.sql).

Callers pass engineering units (kWh, kvarh, V, A) and interval starts as aware datetimes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from db import driver
from db.channels import QUANTITY_NAMES
from db.errors import BatchRejected

META_COLUMNS = ("meter_id", "meter_serial", "ts", "quality", "source")
ALLOWED_COLUMNS = frozenset((*META_COLUMNS, *QUANTITY_NAMES))
ROW_COLUMNS = ("meter_id", "meter_serial", "ts", *QUANTITY_NAMES, "quality", "source", "given")
_BIT = {name: 1 << i for i, name in enumerate(QUANTITY_NAMES)}  # the staging `given` mask


def given_mask(names: Iterable[str]) -> int:
    """The `given` mask of these quantity names: a quantity not named leaves its stored channel
    as it is (db/functions/030_ingest.sql)."""
    return sum(_BIT[n] for n in set(names) if n in _BIT)


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """One interval of one meter; `values`: quantity name (db.channels) -> engineering units.

    A quantity absent from `values` leaves the stored channel as it is; a quantity given as
    None is empty: it leaves a stored value too, except in a row of source 'manual', where it
    clears it."""

    ts: datetime
    values: Mapping[str, float | Decimal | int | None]
    meter_id: int | None = None
    meter_serial: str | None = None
    quality: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    batch_id: int
    rows: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: dict[str, int] = field(default_factory=dict)
    below_resolution: int = 0  # rows with a value that rounds to 0 in the stored unit

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def summary(self) -> str:
        q = ", ".join(f"{k} {v}" for k, v in sorted(self.quarantined.items())) or "none"
        tiny = (
            f"; {self.below_resolution} row(s) with a value below the storage resolution "
            "(0.001 kWh, kvarh, V or A) stored as 0"
            if self.below_resolution
            else ""
        )
        return (
            f"batch {self.batch_id}: {self.rows} rows: {self.inserted} inserted, "
            f"{self.updated} updated, {self.unchanged} unchanged, quarantined: {q}{tiny}"
        )


def _begin(conn: driver.Connection, source: str, origin: str | None) -> int:
    row = driver.run_one(conn, "ingest_begin", source=source, origin=origin)
    assert row is not None
    return int(row["batch_id"])


def _finish(conn: driver.Connection, batch_id: int, line_offset: int) -> IngestResult:
    row = driver.run_one(conn, "ingest_finish", batch_id=batch_id, line_offset=line_offset)
    assert row is not None
    r = row["result"]
    driver.run(conn, "vee_validate_batch", batch_id=batch_id)  # VEE rules on the days touched
    return IngestResult(
        batch_id=r["batch_id"],
        rows=r["rows"],
        inserted=r["inserted"],
        updated=r["updated"],
        unchanged=r["unchanged"],
        quarantined=dict(r["quarantined"]),
        below_resolution=int(r.get("below_resolution") or 0),
    )


def ingest_rows(
    conn: driver.Connection,
    rows: Iterable[IntervalRow],
    *,
    source: str = "meter",
    origin: str | None = None,
) -> IngestResult:
    """Ingest rows in the caller's transaction; the caller commits. Raises BatchRejected."""
    batch_id = _begin(conn, source, origin)
    with driver.copy_into(conn, "ingest_copy_rows", columns=ROW_COLUMNS) as copy:
        for r in rows:
            unknown = r.values.keys() - set(QUANTITY_NAMES)
            if unknown:
                raise BatchRejected(f"unknown quantities {sorted(unknown)}")
            ts = r.ts.isoformat() if r.ts.tzinfo else f"{r.ts.isoformat()}(no offset)"
            values = (r.values.get(q) for q in QUANTITY_NAMES)
            mask = given_mask(r.values)
            copy.write_row((r.meter_id, r.meter_serial, ts, *values, r.quality, r.source, mask))
    with driver.translate_errors():
        return _finish(conn, batch_id, 0)


def parse_header(header_line: str) -> tuple[list[str], str]:
    """The column names and delimiter of a CSV header. Raises BatchRejected (line 1)."""
    text = header_line.lstrip("\ufeff").strip()
    delimiter = ";" if text.count(";") > text.count(",") else ","
    names = [c.strip().strip('"').lower() for c in text.split(delimiter)]
    unknown = [c for c in names if c not in ALLOWED_COLUMNS]
    if unknown:
        raise BatchRejected(
            f"line 1: unknown column(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(sorted(ALLOWED_COLUMNS))}",
            1,
        )
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise BatchRejected(f"line 1: column(s) {', '.join(dupes)} given twice", 1)
    if "ts" not in names:
        raise BatchRejected("line 1: missing column ts (interval start)", 1)
    if "meter_id" not in names and "meter_serial" not in names:
        raise BatchRejected("line 1: missing column meter_serial or meter_id", 1)
    if not set(names) & set(QUANTITY_NAMES):
        raise BatchRejected("line 1: no quantity column (e.g. active_fwd_kwh)", 1)
    return names, delimiter


def ingest_csv_stream(
    conn: driver.Connection,
    fh: IO[bytes],
    *,
    origin: str | None = None,
    source: str = "import",
    progress: Callable[[int], None] | None = None,
    line_offset: int = 1,
) -> IngestResult:
    """Ingest a CSV file object (binary) in the caller's transaction. Raises BatchRejected.
    `line_offset` is added to data row numbers in messages and quarantine rows: 1 for a file
    (its header is line 1); 0 when rows are numbered from 1 (db/archive.py: file rows)."""
    first = fh.readline()
    if not first.strip():
        raise BatchRejected("line 1: empty file (a header line is required)", 1)
    try:
        header = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BatchRejected(f"line 1: not UTF-8 text ({exc.reason})", 1) from exc
    names, delimiter = parse_header(header)
    batch_id = _begin(conn, source, origin)
    driver.run(conn, "ingest_given", names=names)  # columns not named keep their stored values
    done = len(first)
    with driver.copy_into(
        conn, "ingest_copy_csv", columns=names, line_offset=line_offset, delimiter=delimiter
    ) as copy:
        # Line ends at the end of a chunk are held back until more data follows, so blank lines
        # at the end of the file are dropped (COPY would read one as a row of empty fields).
        pending = b""
        while chunk := fh.read(1 << 20):
            data = pending + chunk
            body = data.rstrip(b"\r\n")
            pending = data[len(body) :]
            copy.write(body)
            done += len(chunk)
            if progress:
                progress(done)
        if pending:  # the last line's own line end (CRLF files keep CRLF)
            copy.write(b"\r\n" if pending.startswith(b"\r\n") else pending[:1])
    with driver.translate_errors():
        return _finish(conn, batch_id, line_offset)


def ingest_csv(path: Path, *, settings: Any = None, progress: bool = False) -> IngestResult:
    """Import a CSV file in its own transaction (all or nothing). A deadlock or serialisation
    failure rolls the transaction back and runs it again from the start of the file
    (driver.in_transaction: bounded, jittered)."""
    size = path.stat().st_size
    bar = _ProgressBar(size) if progress else None

    def work(conn: driver.Connection) -> IngestResult:
        with path.open("rb") as fh:
            return ingest_csv_stream(conn, fh, origin=path.name, progress=bar)

    try:
        return driver.in_transaction(settings, work)
    finally:
        if bar:
            bar.close()


class _ProgressBar:
    """A one-line progress bar on stderr, by bytes read."""

    def __init__(self, total: int, width: int = 40):
        self.total, self.width, self.last = max(total, 1), width, -1

    def __call__(self, done: int) -> None:
        pct = min(100, done * 100 // self.total)
        if pct != self.last:
            self.last = pct
            filled = self.width * pct // 100
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {pct:3d}%")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
