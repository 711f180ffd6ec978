"""The one way readings enter the database: stream a batch into staging with COPY, then let
smf.ingest_finish() validate and merge it in the same transaction (db/functions/030_ingest.sql).

Callers pass engineering units (kWh, kvarh, V, A) and interval starts as aware datetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from db import driver, ingest_local_time
from db.channels import QUANTITY_NAMES
from db.errors import BatchRejected, DatabaseUnavailable, RetryableConflict

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


@dataclass(frozen=True, slots=True, order=True)
class MonthSpan:
    """What a back-fill batch loaded of one meter in one local month: [lo, hi) UTC, whole
    local days inside the month."""

    meter_id: int
    serial: str
    month: date  # its first day
    lo: datetime
    hi: datetime


@dataclass(frozen=True, slots=True)
class IngestResult:
    batch_id: int
    rows: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: dict[str, int] = field(default_factory=dict)
    below_resolution: int = 0  # rows with a value that rounds to 0 in the stored unit
    quarantined_lines: tuple[int, ...] = ()  # the first QUARANTINE_LINES_SHOWN input lines
    warnings: tuple[str, ...] = ()  # e.g. a file cadence other than the meter's interval
    notes: tuple[str, ...] = ()  # decisions taken on the input (e.g. the decimal separator)
    # a back-fill (ingest_csv(backfill=True)): per meter and local month it touched, the whole
    # local days it loaded in that month, which validate_months then validates once
    months: tuple[MonthSpan, ...] = ()

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def summary(self) -> str:
        q = ", ".join(f"{k} {v}" for k, v in sorted(self.quarantined.items())) or "none"
        if self.quarantined_lines:
            lines = ", ".join(map(str, self.quarantined_lines))
            more = self.quarantined_total - len(self.quarantined_lines)
            q += f" (line{'s' if self.quarantined_total > 1 else ''} {lines}"
            q += f" and {more} more)" if more > 0 else ")"
            q += (
                "; list them: select line_no, reason, meter_ref, ts, detail from "
                f"smf.ingest_quarantine where batch_id = {self.batch_id} order by line_no"
            )
        tiny = (
            f"; {self.below_resolution} row(s) with a value below the storage resolution "
            "(0.001 kWh, kvarh, V or A) stored as 0"
            if self.below_resolution
            else ""
        )
        out = (
            f"batch {self.batch_id}: {self.rows} rows: {self.inserted} inserted, "
            f"{self.updated} updated, {self.unchanged} unchanged, quarantined: {q}{tiny}"
        )
        return "\n".join([out, *(f"note: {n}" for n in self.notes),
                          *(f"warning: {w}" for w in self.warnings)])  # fmt: skip


QUARANTINE_LINES_SHOWN = 10


def _begin(conn: driver.Connection, source: str, origin: str | None) -> int:
    row = driver.run_one(conn, "ingest_begin", source=source, origin=origin)
    assert row is not None
    return int(row["batch_id"])


def _finish(
    conn: driver.Connection, batch_id: int, line_offset: int, notes: tuple[str, ...] = ()
) -> IngestResult:
    row = driver.run_one(conn, "ingest_finish", batch_id=batch_id, line_offset=line_offset)
    assert row is not None
    r = row["result"]
    if notes:  # how the input was read, kept with the batch (smf.ingest_batch.decisions)
        driver.run(conn, "ingest_batch_decisions", batch_id=batch_id, decisions=list(notes))
    _validate(conn, batch_id)
    quarantined = dict(r["quarantined"])
    lines: tuple[int, ...] = ()
    if quarantined:
        lines = tuple(
            int(x["line_no"])
            for x in driver.run(
                conn, "ingest_quarantine_lines", batch_id=batch_id, limit=QUARANTINE_LINES_SHOWN
            )
        )
    return IngestResult(
        batch_id=r["batch_id"],
        rows=r["rows"],
        inserted=r["inserted"],
        updated=r["updated"],
        unchanged=r["unchanged"],
        quarantined=quarantined,
        below_resolution=int(r.get("below_resolution") or 0),
        quarantined_lines=lines,
        warnings=tuple(_cadence_warnings(conn)),
        notes=notes,
    )


def _cadence_warnings(conn: driver.Connection) -> list[str]:
    """One warning per meter of the batch whose rows are spaced otherwise than its registered
    interval (their mean spacing below it, or 1.5 times it and more: named query
    ingest_cadence): a 15-minute file imported into a 5-minute meter is stored, but the operator
    hears of it. Many missing rows look like a coarser file too; the warning says "on average"."""
    out = []
    for c in driver.run(conn, "ingest_cadence"):
        c["file_minutes"] = float(c["file_minutes"])
        out.append(
            f"meter {c['serial']} is registered with {c['interval_minutes']}-minute intervals, "
            f"but the file's rows for it are {c['file_minutes']:g} minutes apart on average "
            f"({c['n']} rows"
            + (
                "; the rows off its grid are quarantined"
                if c["file_minutes"] < c["interval_minutes"]
                else "; stored as they are"
            )
            + f"): check the file, or `smf meter set {c['serial']} --interval "
            f"{c['file_minutes']:g}` if the meter integrates over that"
        )
    return out


def _validate(conn: driver.Connection, batch_id: int) -> None:
    """Run the VEE rules on the days batch `batch_id` touched, behind a savepoint: validation never
    costs a reading. A rule that raises is caught by smf.vee_validate itself (a validation_error
    finding and a smf.job_run error row name it and its SQLSTATE); anything else that fails here
    rolls back to the savepoint, and smf.vee_validate_batch_failed records it the same way. Only
    a lost connection or a deadlock (the whole transaction must run again) goes up."""
    try:
        with conn.transaction():  # a savepoint inside the caller's transaction
            driver.run(conn, "vee_validate_batch", batch_id=batch_id)
    except (DatabaseUnavailable, RetryableConflict):
        raise
    except Exception as exc:  # recorded in the database; the batch lands
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        sqlstate = getattr(cause, "sqlstate", None) or "(none)"
        message = str(getattr(getattr(cause, "diag", None), "message_primary", None) or exc)
        driver.run(
            conn, "vee_validate_batch_failed", batch_id=batch_id, sqlstate=sqlstate, message=message
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


DECIMALS = ("auto", "point", "comma")


def decide_decimal(delimiter: str, decimal: str, sample: bytes) -> tuple[bool, str | None]:
    """Whether numbers use a decimal comma, and a note saying why. A decimal comma needs `;`
    between fields (spreadsheets in Portuguese write `8,0;...`). `auto`: a comma anywhere in the
    first MiB of a `;` file decides it (it can be nothing else there), else a point is assumed.
    Raises BatchRejected for a decimal comma asked of a `,` file."""
    if decimal not in DECIMALS:
        raise BatchRejected(f"decimal separator {decimal!r}: one of {', '.join(DECIMALS)}")
    if delimiter == ",":
        if decimal == "comma":
            raise BatchRejected(
                "line 1: a decimal comma needs ';' between fields; this header uses ','", 1
            )
        return False, None
    if decimal == "point":
        return False, "numbers read with a decimal point (--decimal point)"
    if decimal == "comma":
        return True, "numbers read with a decimal comma (--decimal comma)"
    at = sample.find(b",")
    if at < 0:
        return False, None
    line = sample.count(b"\n", 0, at) + 2
    return True, (
        f"numbers read with a decimal comma: fields separated by ';' and a comma in a number on "
        f"line {line} (--decimal point to refuse)"
    )


def ingest_csv_stream(
    conn: driver.Connection,
    fh: IO[bytes],
    *,
    origin: str | None = None,
    source: str = "import",
    progress: Callable[[int], None] | None = None,
    decimal: str = "auto",
    line_offset: int = 1,
    utc_offset: str | None = None,
    date_order: str | None = None,
) -> IngestResult:
    """Ingest a CSV file object (binary) in the caller's transaction. Raises BatchRejected.

    `decimal`: "auto" (a `;` file whose numbers carry a comma is read with a decimal comma,
    see decide_decimal), "point" or "comma"; the decision is a note of the result.
    `utc_offset` (±HH:MM or Z): time stamps without an offset are read at it, those of a slash
    date in `date_order` ("dmy", "mdy"; None: the file tells, db/ingest_local_time.py); None: they
    are refused. How many rows took it, and the date order and why, are notes of the result.
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
    offset = ingest_local_time.check_options(utc_offset, date_order)
    chunk = fh.read(1 << 20)
    comma, note = decide_decimal(delimiter, decimal, chunk)
    batch_id = _begin(conn, source, origin)
    driver.run(conn, "ingest_given", names=names)  # columns not named keep their stored values
    done = len(first)
    try:
        with driver.copy_into(
            conn, "ingest_copy_csv", columns=names, line_offset=line_offset, delimiter=delimiter
        ) as copy:
            # Line ends at the end of a chunk are held back until more data follows, so blank
            # lines at the end of the file are dropped (COPY would read one as a row of empty
            # fields). In a ';' file read with a decimal comma, a comma can only be one.
            pending = b""
            while chunk:
                data = pending + chunk
                body = data.rstrip(b"\r\n")
                pending = data[len(body) :]
                copy.write(body.replace(b",", b".") if comma else body)
                done += len(chunk)
                if progress:
                    progress(done)
                chunk = fh.read(1 << 20)
            if pending:  # the last line's own line end (CRLF files keep CRLF)
                copy.write(b"\r\n" if pending.startswith(b"\r\n") else pending[:1])
    except BatchRejected as exc:
        text = str(exc)
        if "double precision" in text and delimiter == ";" and not comma and "," in text:
            raise BatchRejected(f"{text} (a decimal comma? --decimal comma)", exc.line) from exc
        if "double precision" in text and comma and text.count(".") > 1:
            raise BatchRejected(
                f"{text} (read with a decimal comma, so the field's commas show as points here:"
                " write numbers without thousands separators, e.g. 1234,5)",
                exc.line,
            ) from exc
        raise
    notes: tuple[str, ...] = (note,) if note else ()
    if offset is not None:
        notes += ingest_local_time.apply_utc_offset(conn, offset, date_order, line_offset)
    try:
        with driver.translate_errors():
            return _finish(conn, batch_id, line_offset, notes)
    except BatchRejected as exc:
        hint = None if offset else ingest_local_time.refusal_hint(str(exc))
        if hint is None:
            raise
        raise BatchRejected(hint, exc.line) from exc


def ingest_csv(
    path: Path,
    *,
    settings: Any = None,
    progress: Callable[[int], None] | None = None,
    decimal: str = "auto",
    backfill: bool = False,
    utc_offset: str | None = None,
    date_order: str | None = None,
) -> IngestResult:
    """Import a CSV file in its own transaction (all or nothing). A deadlock or serialisation
    failure rolls the transaction back and runs it again from the start of the file
    (driver.in_transaction: bounded, jittered). `progress(bytes_read)` is called as the file is
    read (the CLI draws it: smf.console.progress); this module prints nothing.

    `backfill`: history being loaded, no VEE validation and no alarm evaluation in the batch's
    transaction; the result's `months` name the meter-months it touched, for validate_months
    once the whole load is in (so a month loaded from many files is validated once).
    `utc_offset`, `date_order`: time stamps without an offset (ingest_csv_stream)."""

    def work(conn: driver.Connection) -> IngestResult:
        if backfill:
            driver.run(conn, "ingest_backfill_session")
        with path.open("rb") as fh:
            result = ingest_csv_stream(
                conn,
                fh,
                origin=path.name,
                progress=progress,
                decimal=decimal,
                utc_offset=utc_offset,
                date_order=date_order,
            )
        if not backfill:
            return result
        months = tuple(MonthSpan(**r) for r in driver.run(conn, "ingest_touched_months"))
        return replace(result, months=months)

    return driver.in_transaction(settings, work)


@dataclass(frozen=True, slots=True)
class MonthsValidated:
    meter_months: int
    found: int  # findings the rules returned over those months
    new: int  # of which not seen before
    errors: tuple[str, ...]  # "serial YYYY-MM: rule smf.x raised SQLSTATE s (message)"


def validate_months(
    spans: Iterable[MonthSpan],
    *,
    settings: Any = None,
    progress: Callable[[int], None] | None = None,
) -> MonthsValidated:
    """The VEE rules once per meter-month of a back-fill, over the hull of what its batches
    loaded in that month, each meter-month in its own transaction (smf.vee_validate_backfill:
    a rule that raises is a validation_error finding and a job_run error row, never a lost
    reading); `progress(done)` after each."""
    hull: dict[tuple[int, str, date], tuple[datetime, datetime]] = {}
    for s in spans:
        key = (s.meter_id, s.serial, s.month)
        lo, hi = hull.get(key, (s.lo, s.hi))
        hull[key] = (min(lo, s.lo), max(hi, s.hi))
    found = new = done = 0
    errors: list[str] = []
    for (meter_id, serial, month), (lo, hi) in sorted(hull.items()):

        def work(
            conn: driver.Connection, m: int = meter_id, a: datetime = lo, b: datetime = hi
        ) -> Any:
            return driver.run_one(conn, "vee_validate_backfill", meter_id=m, lo=a, hi=b)

        row = driver.in_transaction(settings, work)
        result = (row or {}).get("result") or {}
        found += int(result.get("found", 0))
        new += int(result.get("new", 0))
        errors += [
            f"{serial} {month:%Y-%m}: rule smf.{e['rule']} raised SQLSTATE {e['sqlstate']} "
            f"({e['message']})"
            for e in result.get("errors", [])
        ]
        done += 1
        if progress:
            progress(done)
    return MonthsValidated(done, found, new, tuple(errors))
