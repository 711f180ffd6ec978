"""The Parquet archive (the data lake of seed 004): one file per distributor-month, written with
pyarrow from the one named read `archive_intervals` (db/queries/archive.sql) and restored
through the ingest path (db/ingest.py), exactly.

File
    <dir>/distributor=<ANEEL code>/month=<YYYY-MM>/smf_intervals_<code>_<YYYY-MM>.parquet
    (Hive-style folders: DuckDB `read_parquet('<dir>/**/*.parquet', hive_partitioning = true)`,
    Spark, Athena and pandas read the folder as one partitioned data set).
    The month is the local month of `smf.local_timezone()` (America/Sao_Paulo by default): the
    file holds the intervals that START in [local midnight of the 1st, local midnight of the next
    1st), given as UTC instants in the metadata.

Columns (rows ordered by meter_serial in byte order, then ts; declared as sorting columns)
    meter_serial  string, not null                 the meter (smf.meter.serial)
    ts            timestamp[us, UTC], not null     interval START, UTC (Parquet
                                                   TIMESTAMP(isAdjustedToUTC=true, MICROS))
    active_fwd_wh ... current_c_ma  int32, null    the 12 stored channels in stored units (Wh,
                                                   varh, mV, mA); null: no value
    quality, source  string, not null              as stored (smf.quality, smf.reading_source)
    Units: each field's metadata (`unit`, `engineering_unit`, `scale`) and the schema metadata
    key `smf.units` (JSON {column: unit}).

Encoding (chosen by measurement, bench/archive.py): zstd; integers and timestamps
DELTA_BINARY_PACKED; strings dictionary-encoded; a CRC32 per page; row groups of up to
ROW_GROUP_ROWS rows; sorting columns declared (meter_serial, ts).

File metadata key `smf.archive` (JSON): format, version, distributor, month, local_timezone,
from_utc/to_utc (half-open), rows, meters, units, the values digest, exported_at, the named
query it was read with. The digest (`smf-values-sha256/1`) is computed over the values as the
file holds them, independent of row-group boundaries: for every column in schema order, one
SHA-256 of its validity bytes (1 valid, 0 null, one octet per row) and one of its values (int32
or int64 little-endian, null as 0; strings: one of the UTF-8 lengths as int32 LE, one of the
concatenated bytes); the digest is SHA-256 over the lines "<column>.<part>=<hex>\\n" in that
order.

Import (`smf import parquet FILE`): the file's schema, metadata and every value are checked
while it streams into the ingest path (as the CSV `smf import` path: COPY into staging, then
smf.ingest_finish) in ONE transaction; a file that is truncated, corrupt (page CRC, a digest
that does not match), of another schema, or holding a value outside what the archive allows
(a timestamp outside its month, a negative value, a null key) is rejected whole, naming the row
and the column, and nothing is written. Rows that break a rule of the ingest (unknown meter,
above the meter's physical maximum, off its interval grid) go to smf.ingest_quarantine as in
any import (`line_no` there = the file's row number, 1-based). Precedence applies: a restored
row never replaces a stored row of higher rank (smf.source_precedence), and re-importing the
same file changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from db import driver, errors, ingest
from db.channels import QUANTITIES
from db.settings import Settings, default_state_dir

ARCHIVE_FORMAT = "smf-interval-archive"
ARCHIVE_VERSION = 1
META_KEY = b"smf.archive"
DIGEST_ALGORITHM = "smf-values-sha256/1"
ROW_GROUP_ROWS = 1 << 20  # rows per row group (a month of ~117 five-minute meters)
METERS_PER_READ = 32  # meters per COPY of the named read: <= 32 x 8,928 rows in memory
# bench/archive.py (RESULTS.md): levels 9 and 15 save under 0.5 % against 3 at 1.6-4x the
# write time; the delta encoding is what pays (plain/dictionary integers: 1.4-1.7x the bytes).
ZSTD_LEVEL = 3
READ_BATCH_ROWS = 65_536  # rows per batch when a file is read back

_STORED_UNIT = {"kWh": "Wh", "kvarh": "varh", "V": "mV", "A": "mA"}
CHANNELS: tuple[tuple[str, str, str, int], ...] = tuple(
    (q.column, _STORED_UNIT[q.unit], q.unit, q.scale) for q in QUANTITIES
)
CHANNEL_COLUMNS: tuple[str, ...] = tuple(c[0] for c in CHANNELS)
UNITS: dict[str, str] = {"ts": "UTC interval start", **{c[0]: c[1] for c in CHANNELS}}
KEY_COLUMNS = ("meter_serial", "ts", "quality", "source")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_ANEEL = re.compile(r"^[0-9]{3}$")


def schema() -> pa.Schema:
    """The archive's Arrow schema, units in the field and schema metadata."""
    fields = [
        pa.field("meter_serial", pa.string(), nullable=False),
        pa.field(
            "ts",
            pa.timestamp("us", tz="UTC"),
            nullable=False,
            metadata={"unit": "UTC", "meaning": "interval start"},
        ),
    ]
    for column, unit, eng, scale in CHANNELS:
        fields.append(
            pa.field(
                column,
                pa.int32(),
                metadata={"unit": unit, "engineering_unit": eng, "scale": str(scale)},
            )
        )
    fields += [
        pa.field("quality", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ]
    return pa.schema(fields, metadata={"smf.units": json.dumps(UNITS)})


SCHEMA = schema()
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)
# What the named read returns (ts as microseconds since the epoch, UTC).
_READ_COLUMNS = ("meter_serial", "ts_us", *CHANNEL_COLUMNS, "quality", "source")
_READ_TYPES = {
    "meter_serial": pa.string(),
    "ts_us": pa.int64(),
    **{c: pa.int32() for c in CHANNEL_COLUMNS},
    "quality": pa.string(),
    "source": pa.string(),
}


def archive_dir() -> Path:
    """Where exports go without --to: SMF_ARCHIVE_DIR, else `archive/` in the state folder."""
    where = os.environ.get("SMF_ARCHIVE_DIR")
    return Path(where) if where else default_state_dir() / "archive"


def month_start(month: str) -> date:
    """The first day of a YYYY-MM month. Raises errors.InvalidParameter."""
    m = _MONTH.match(month or "")
    if not m:
        raise errors.InvalidParameter(f"month {month!r}: expected YYYY-MM (e.g. 2026-10)")
    return date(int(m.group(1)), int(m.group(2)), 1)


def check_aneel(code: str) -> str:
    if not _ANEEL.match(code or ""):
        raise errors.InvalidParameter(
            f"distributor {code!r}: expected its 3-digit ANEEL code (e.g. 059)"
        )
    return code


def archive_path(dest: Path, aneel_code: str, month: str) -> Path:
    return (
        dest
        / f"distributor={aneel_code}"
        / f"month={month}"
        / f"smf_intervals_{aneel_code}_{month}.parquet"
    )


# ---------------------------------------------------------------------------------------------
# The values digest
# ---------------------------------------------------------------------------------------------


class Digest:
    """`smf-values-sha256/1` over tables of the archive schema, fed in any number of slices."""

    def __init__(self) -> None:
        self._parts: dict[str, Any] = {}
        for field in SCHEMA:
            kinds = ("lengths", "bytes") if pa.types.is_string(field.type) else ("valid", "values")
            for kind in kinds:
                self._parts[f"{field.name}.{kind}"] = hashlib.sha256()

    def update(self, table: pa.Table) -> None:
        for field in SCHEMA:
            arr = table.column(field.name).combine_chunks()
            if pa.types.is_string(field.type):
                arr = arr.cast(pa.string())
                lengths = pc.fill_null(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False)
                self._parts[f"{field.name}.lengths"].update(lengths.astype("<i4").tobytes())
                if len(arr):
                    offsets = np.frombuffer(arr.buffers()[1], dtype="<i4")[
                        arr.offset : arr.offset + len(arr) + 1
                    ]
                    data = arr.buffers()[2]
                    if data is not None:
                        view = memoryview(data)[int(offsets[0]) : int(offsets[-1])]
                        self._parts[f"{field.name}.bytes"].update(view)
                continue
            if pa.types.is_timestamp(field.type):
                arr = arr.cast(pa.int64())
                dtype = "<i8"
            else:
                dtype = "<i4"
            valid = pc.is_valid(arr).to_numpy(zero_copy_only=False).astype(np.uint8)
            values = pc.fill_null(arr, 0).to_numpy(zero_copy_only=False).astype(dtype)
            self._parts[f"{field.name}.valid"].update(valid.tobytes())
            self._parts[f"{field.name}.values"].update(values.tobytes())

    def hexdigest(self) -> str:
        lines = "".join(f"{k}={h.hexdigest()}\n" for k, h in self._parts.items())
        return hashlib.sha256(lines.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportResult:
    distributor: str
    month: str
    path: Path | None  # None: no interval in the month, no file written
    rows: int
    meters: int
    bytes: int
    digest: str | None
    status: str  # written | replaced | unchanged | empty

    def summary(self) -> str:
        head = f"distributor {self.distributor}, {self.month}"
        if self.status == "empty":
            return f"{head}: no intervals; no file written"
        per = self.bytes / self.rows if self.rows else 0.0
        what = {
            "written": "written",
            "replaced": "replaced (the data changed since the last export)",
            "unchanged": "unchanged (same values as the file already there; kept it)",
        }[self.status]
        return (
            f"{head}: {self.rows} intervals of {self.meters} meters, {self.bytes} bytes "
            f"({per:.1f} B per interval) -> {self.path}: {what}"
        )


def _read_table(data: bytes) -> pa.Table:
    """One COPY result of `archive_intervals` (CSV) as a table of the archive schema."""
    raw = pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(column_names=list(_READ_COLUMNS)),
        convert_options=pacsv.ConvertOptions(
            column_types=_READ_TYPES, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    cols = {name: raw.column(name) for name in _READ_COLUMNS}
    cols["ts"] = pc.cast(cols.pop("ts_us"), pa.timestamp("us", tz="UTC"))
    return pa.Table.from_arrays([cols[name] for name in COLUMNS], schema=SCHEMA)


def _writer(path: Path) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        path,
        SCHEMA,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        use_dictionary=["meter_serial", "quality", "source"],
        column_encoding={c: "DELTA_BINARY_PACKED" for c in ("ts", *CHANNEL_COLUMNS)},
        write_page_checksum=True,
        write_statistics=True,
        sorting_columns=[pq.SortingColumn(0), pq.SortingColumn(1)],
    )


def existing_digest(path: Path) -> str | None:
    """The values digest recorded in an archive file, or None (no file, not readable)."""
    try:
        meta = pq.ParquetFile(path).metadata.metadata or {}
        return str(json.loads(meta[META_KEY])["digest"]["value"])
    except (OSError, KeyError, ValueError, TypeError, pa.ArrowException):
        return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def export_month(
    aneel_code: str,
    month: str,
    dest: Path | None = None,
    *,
    settings: Settings | str | None = None,
) -> ExportResult:
    """Write the archive file of a distributor-month (see the module docstring). All reads run
    in one read-only REPEATABLE READ transaction (one snapshot). The file appears whole or not
    at all (written beside it, fsynced, renamed); a file whose values equal the new export is
    kept as it is. Raises errors.InvalidParameter (bad code or month), errors.NotFound (no such
    distributor), errors.Conflict (another export of the same distributor-month is running)."""
    check_aneel(aneel_code)
    start = month_start(month)
    dest = dest if dest is not None else archive_dir()
    with driver.connect(settings) as conn:
        driver.run(conn, "archive_snapshot")
        dist = driver.run_one(conn, "archive_distributor", aneel_code=aneel_code)
        if dist is None:
            raise errors.NotFound(f"no distributor with ANEEL code {aneel_code}")
        if not driver.run_scalar(conn, "archive_try_lock", aneel_code=aneel_code, month=month):
            raise errors.Conflict(
                f"another export of distributor {aneel_code}, {month} is running; try later"
            )
        bounds = driver.run_one(conn, "archive_month_bounds", month_start=start)
        assert bounds is not None
        meters = driver.run(conn, "archive_distributor_meters", distributor_id=dist["id"])
        target = archive_path(dest, aneel_code, month)
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(f".{target.name}.tmp-*"):  # a killed export's leftovers
            stale.unlink(missing_ok=True)  # (we hold the lock: no export is writing them)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        meta: dict[str, Any] = {
            "distributor": aneel_code,
            "distributor_name": dist["name"],
            "month": month,
            "local_timezone": bounds["local_timezone"],
            "from_utc": bounds["ts_from"].astimezone(UTC).isoformat(),
            "to_utc": bounds["ts_to"].astimezone(UTC).isoformat(),
            "ts": "interval start, UTC, microseconds; month = [from_utc, to_utc)",
            "query": "archive_intervals (db/queries/archive.sql)",
        }
        try:
            rows, n_meters, digest = _write(conn, tmp, meters, bounds, meta)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    if rows == 0:
        tmp.unlink(missing_ok=True)
        for folder in (target.parent, target.parent.parent):  # made for nothing: remove
            with contextlib.suppress(OSError):  # unless other files live there
                folder.rmdir()
        return ExportResult(aneel_code, month, None, 0, 0, 0, None, "empty")
    old = existing_digest(target)
    if old == digest:
        tmp.unlink()
        status = "unchanged"
    else:
        status = "replaced" if target.exists() else "written"
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    return ExportResult(
        aneel_code, month, target, rows, n_meters, target.stat().st_size, digest, status
    )


class ArchiveWriter:
    """Writes tables of the archive schema to a file in row groups of ROW_GROUP_ROWS rows,
    digesting what it writes; `close(meta)` records the metadata (with rows, meters, digest).
    Callers give rows ordered by meter_serial (byte order) and ts: the file declares it."""

    def __init__(self, path: Path):
        self.path = path
        self.digest = Digest()
        self.rows = 0
        self.serials: set[str] = set()
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writer = _writer(path)

    def write(self, table: pa.Table) -> None:
        table = table.select(list(COLUMNS)).cast(SCHEMA)
        self.rows += table.num_rows
        self.serials.update(pc.unique(table.column("meter_serial")).to_pylist())
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush(ROW_GROUP_ROWS)

    def _flush(self, at_least: int) -> None:
        if not self._pending:
            return
        table = pa.concat_tables(self._pending)
        while table.num_rows and table.num_rows >= at_least:
            part = table.slice(0, ROW_GROUP_ROWS)
            self.digest.update(part)
            self._writer.write_table(part, row_group_size=ROW_GROUP_ROWS)
            table = table.slice(part.num_rows)
        self._pending = [table] if table.num_rows else []
        self._pending_rows = table.num_rows

    def close(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Flush, record the metadata (plus rows, meters, digest, exported_at), close and
        fsync. Returns the metadata recorded."""
        self._flush(1)
        meta = {
            **meta,
            "format": ARCHIVE_FORMAT,
            "version": ARCHIVE_VERSION,
            "units": UNITS,
            "rows": self.rows,
            "meters": len(self.serials),
            "digest": {"algorithm": DIGEST_ALGORITHM, "value": self.digest.hexdigest()},
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._writer.add_key_value_metadata({META_KEY.decode(): json.dumps(meta, sort_keys=True)})
        self._writer.close()
        with self.path.open("rb") as fh:
            os.fsync(fh.fileno())
        return meta

    def abort(self) -> None:
        self._writer.close()
        self.path.unlink(missing_ok=True)


def _write(
    conn: driver.Connection,
    tmp: Path,
    meters: Sequence[dict[str, Any]],
    bounds: dict[str, Any],
    meta: dict[str, Any],
) -> tuple[int, int, str]:
    out = ArchiveWriter(tmp)
    try:
        for i in range(0, len(meters), METERS_PER_READ):
            chunk = meters[i : i + METERS_PER_READ]
            data = driver.copy_out_csv(
                conn,
                "archive_intervals",
                meter_ids=[m["id"] for m in chunk],
                ts_from=bounds["ts_from"],
                ts_to=bounds["ts_to"],
            )
            if data:
                out.write(_read_table(data))
        recorded = out.close(meta)
    except BaseException:
        out.abort()
        raise
    return recorded["rows"], recorded["meters"], recorded["digest"]["value"]


# ---------------------------------------------------------------------------------------------
# Reading back and import
# ---------------------------------------------------------------------------------------------


def _rejected(path: Path, message: str) -> errors.BatchRejected:
    return errors.BatchRejected(f"{path.name}: {message}; nothing was imported")


def _type_name(t: pa.DataType) -> str:
    return str(t)


def open_archive(path: Path) -> tuple[pq.ParquetFile, dict[str, Any]]:
    """Open an archive file and check its schema and metadata (not yet its values).
    Raises errors.BatchRejected saying what is wrong."""
    try:
        pf = pq.ParquetFile(path, page_checksum_verification=True)
    except (OSError, pa.ArrowException) as exc:
        raise _rejected(
            path, f"not a readable Parquet file (truncated or corrupt?): {exc}"
        ) from exc
    kv = pf.metadata.metadata or {}
    if META_KEY not in kv:
        names = ", ".join(pf.schema_arrow.names[:20])
        raise _rejected(
            path,
            f"not an SMF interval archive (no {META_KEY.decode()!r} metadata; "
            f"its columns: {names})",
        )
    try:
        meta = json.loads(kv[META_KEY])
        if meta.get("format") != ARCHIVE_FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, expected {ARCHIVE_FORMAT!r}")
        if meta.get("version") != ARCHIVE_VERSION:
            raise ValueError(
                f"version {meta.get('version')!r}; this smf reads version {ARCHIVE_VERSION}"
            )
        if meta.get("digest", {}).get("algorithm") != DIGEST_ALGORITHM:
            raise ValueError(f"digest algorithm is not {DIGEST_ALGORITHM}")
        for key in ("from_utc", "to_utc", "rows", "month", "distributor"):
            if key not in meta:
                raise ValueError(f"no {key!r}")
        meta["_from"] = datetime.fromisoformat(meta["from_utc"])
        meta["_to"] = datetime.fromisoformat(meta["to_utc"])
    except (ValueError, TypeError, AttributeError) as exc:
        raise _rejected(path, f"bad {META_KEY.decode()!r} metadata: {exc}") from exc
    got = pf.schema_arrow
    missing = [n for n in COLUMNS if n not in got.names]
    extra = [n for n in got.names if n not in COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected column(s) {', '.join(extra)}")
        raise _rejected(path, "another schema: " + "; ".join(parts))
    for field in SCHEMA:
        have = got.field(field.name).type
        ok = have == field.type or (
            pa.types.is_string(field.type)
            and (pa.types.is_large_string(have) or pa.types.is_string(have))
        )
        if not ok:
            unit = UNITS.get(field.name, "")
            raise _rejected(
                path,
                f"another schema: column {field.name} is {_type_name(have)}, expected "
                f"{_type_name(field.type)}{f' ({unit})' if unit else ''}",
            )
    if pf.metadata.num_rows != meta["rows"]:
        raise _rejected(
            path,
            f"the file holds {pf.metadata.num_rows} rows but its metadata says "
            f"{meta['rows']} (altered?)",
        )
    return pf, meta


def _check(path: Path, table: pa.Table, first_row: int, meta: dict[str, Any]) -> None:
    """The archive's own rules for values, per batch; rows are 1-based in the file."""

    def first(mask: pa.ChunkedArray | pa.Array) -> int | None:
        if not pc.any(mask).as_py():
            return None
        return int(pc.index(mask, True).as_py())

    def fail(i: int, what: str) -> errors.BatchRejected:
        return _rejected(path, f"row {first_row + i + 1}: {what}")

    for name in KEY_COLUMNS:
        if (i := first(pc.is_null(table.column(name)))) is not None:
            raise fail(i, f"{name} is null")
    ts = table.column("ts")
    lo = pa.scalar(meta["_from"], pa.timestamp("us", tz="UTC"))
    hi = pa.scalar(meta["_to"], pa.timestamp("us", tz="UTC"))
    if (i := first(pc.or_(pc.less(ts, lo), pc.greater_equal(ts, hi)))) is not None:
        raise fail(
            i,
            f"ts {ts[i].as_py().isoformat()} lies outside the month {meta['month']} the file "
            f"declares [{meta['from_utc']}, {meta['to_utc']})",
        )
    for name in CHANNEL_COLUMNS:
        col = table.column(name)
        if (i := first(pc.fill_null(pc.less(col, 0), False))) is not None:
            raise fail(
                i,
                f"{name} = {col[i].as_py()} {UNITS[name]} is out of range (stored values are "
                "never negative)",
            )


_CSV_HEADER = ",".join(["meter_serial", "ts", *(q.name for q in QUANTITIES), "quality", "source"])


def _to_csv(table: pa.Table) -> bytes:
    """A batch as CSV rows of the import format (kWh ... A, ISO 8601 UTC starts): integers
    divided by their scale in float64 are exact to the stored unit (the ingest rounds them back),
    e.g. 12345 Wh -> 12.345 kWh -> 12345 Wh."""
    cols = [
        table.column("meter_serial"),
        pc.strftime(table.column("ts"), format="%Y-%m-%dT%H:%M:%SZ"),
    ]
    for column, _unit, _eng, scale in CHANNELS:
        cols.append(pc.divide(pc.cast(table.column(column), pa.float64()), float(scale)))
    cols += [table.column("quality"), table.column("source")]
    out = pa.BufferOutputStream()
    pacsv.write_csv(
        pa.Table.from_arrays(cols, names=_CSV_HEADER.split(",")),
        out,
        write_options=pacsv.WriteOptions(include_header=False),
    )
    return bytes(out.getvalue())


class _Feed:
    """The archive as a binary CSV stream for db.ingest.ingest_csv_stream: a header line, then
    the rows batch by batch, each checked and digested first. At the end the row count and the
    digest must equal the metadata's; any failure raises errors.BatchRejected, which aborts the
    COPY and so the whole transaction."""

    def __init__(
        self,
        path: Path,
        pf: pq.ParquetFile,
        meta: dict[str, Any],
        progress: Callable[[int], None] | None = None,
    ):
        self.path, self.pf, self.meta, self.progress = path, pf, meta, progress
        self.rows = 0
        self.digest = Digest()
        self._batches: Iterator[pa.RecordBatch] = pf.iter_batches(batch_size=READ_BATCH_ROWS)
        self._ended = False

    def readline(self) -> bytes:
        return (_CSV_HEADER + "\n").encode()

    def read(self, _size: int = -1) -> bytes:
        while not self._ended:
            try:
                batch = next(self._batches)
            except StopIteration:
                self._end()
                return b""
            except (OSError, pa.ArrowException) as exc:
                raise _rejected(
                    self.path, f"unreadable data after row {self.rows} (corrupt?): {exc}"
                ) from exc
            if not batch.num_rows:
                continue
            table = pa.Table.from_batches([batch])
            _check(self.path, table, self.rows, self.meta)
            self.digest.update(table)
            self.rows += table.num_rows
            if self.progress:
                self.progress(self.rows)
            return _to_csv(table)
        return b""

    def _end(self) -> None:
        self._ended = True
        if self.rows != self.meta["rows"]:
            raise _rejected(
                self.path, f"read {self.rows} rows, the metadata says {self.meta['rows']}"
            )
        if self.digest.hexdigest() != self.meta["digest"]["value"]:
            raise _rejected(
                self.path,
                "the values do not match the digest recorded at export (the file was altered "
                "or is corrupt)",
            )


def verify(path: Path) -> dict[str, Any]:
    """Read and check a whole archive file without a database (schema, metadata, every value,
    row count, digest). Returns its metadata. Raises errors.BatchRejected."""
    pf, meta = open_archive(path)
    with pf:
        feed = _Feed(path, pf, meta)
        while feed.read():
            pass
    return {k: v for k, v in meta.items() if not k.startswith("_")}


def import_file(
    path: Path,
    *,
    settings: Settings | str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ingest.IngestResult:
    """Restore an archive file through the ingest path in one transaction (all or nothing; a
    deadlock re-runs it from the start). `progress(rows_done)` is called as rows are read (the
    CLI draws it: smf.console.progress). Raises errors.BatchRejected (see the module docstring)."""
    pf, _meta = open_archive(path)  # before any database work: a wrong file fails at once
    pf.close()

    def work(conn: driver.Connection) -> ingest.IngestResult:
        pf_again, meta_again = open_archive(path)
        with pf_again:
            feed = _Feed(path, pf_again, meta_again, progress)
            # _Feed has the two methods ingest_csv_stream calls: readline() and read(n).
            return ingest.ingest_csv_stream(
                conn, cast(IO[bytes], feed), origin=path.name, source="import", line_offset=0
            )

    try:
        return driver.in_transaction(settings, work)
    except errors.BatchRejected as exc:
        if str(exc).startswith(f"{path.name}: "):
            raise
        # The ingest path's own refusal (e.g. a quality it does not know): its "line N" is the
        # file's row N here (line_offset 0).
        msg = re.sub(r"^line (\d+)", r"row \1", str(exc))
        raise _rejected(path, msg) from exc
