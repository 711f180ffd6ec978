"""Time stamps without a UTC offset in an imported CSV file (`smf import --utc-offset -03:00`).

By default a time stamp must carry its offset, and one that does not is refused: the project does
not guess one. With an offset given, the staged rows whose time stamp has none are rewritten in
place (pg_temp.ingest_stage, before smf.ingest_finish) as ISO 8601 at that offset; a time stamp
with its own offset keeps it. Two offset-less forms are read: `YYYY-MM-DD[T ]HH:MM[:SS]` and a
spreadsheet's `D/M/YYYY H:MM[:SS]`. The order of a slash date is read from the file itself: a
first field above 12 is a day (DD/MM, as Brazil writes it), a second field above 12 a day too
(MM/DD, a US-configured spreadsheet); a file that shows both is refused naming the two lines, one
that never tells is refused unless `date_order` says. Every decision is a note of the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from db import driver
from db.errors import BatchRejected

DATE_ORDERS = ("dmy", "mdy")
ORDER_NAMES = {"dmy": "DD/MM/YYYY", "mdy": "MM/DD/YYYY"}
HINT = "--utc-offset -03:00"  # the way out named by the refusal of a time stamp without offset

# The same expressions serve Python's re and PostgreSQL's (ARE) regexp_match.
SLASH = r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(:\d{2})?\s*$"
ISO_LOCAL = r"^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*$"
_OFFSET = re.compile(r"([+-])([0-9]{2}):([0-9]{2})")
_REFUSED = re.compile(r"timestamp '((?:[^']|'')*)' is not ISO 8601 with a UTC offset or Z")


def parse_utc_offset(text: str) -> str:
    """The offset as `+HH:MM` / `-HH:MM` (`Z` is `+00:00`). Raises ValueError saying what is
    accepted: ±HH:MM from -12:00 to +14:00, or Z; `-00:00` means "offset unknown" (RFC 3339)."""
    t = text.strip()
    if t in ("Z", "z"):
        return "+00:00"
    m = _OFFSET.fullmatch(t)
    if m is None:
        raise ValueError(
            f"UTC offset {text!r}: write it as ±HH:MM (e.g. -03:00 for Brasília, +00:00) or Z"
        )
    minutes = int(m[2]) * 60 + int(m[3])
    if int(m[3]) > 59 or minutes > (12 * 60 if m[1] == "-" else 14 * 60):
        raise ValueError(f"UTC offset {text!r} is out of range: -12:00 to +14:00")
    if t == "-00:00":
        raise ValueError("UTC offset '-00:00' means 'offset unknown' (RFC 3339): write +00:00 or Z")
    return t


def refusal_hint(message: str) -> str | None:
    """The refusal of a time stamp without offset (smf.ingest_finish) naming the flag that
    reads it, when the time stamp is one of the forms the flag reads; else None."""
    m = _REFUSED.search(message)
    if m is None:
        return None
    stamp = m[1].replace("''", "'")
    if not (re.match(SLASH, stamp) or re.match(ISO_LOCAL, stamp)):
        return None
    # the CLI shows 200 characters of a message (db.errors.cut): the example goes, the flag stays
    return (
        f"{message[: m.end()]}; none is guessed: if the file's times are local at one offset, "
        f"say which, e.g. {HINT}"
    )


@dataclass(frozen=True, slots=True)
class _Slashes:
    n: int  # staged rows with a slash date
    dmy_line: int | None  # first staging line whose first field is above 12
    mdy_line: int | None  # ... whose second field is
    ambiguous_line: int | None  # ... whose two fields differ (the order matters)


def _stamps(conn: driver.Connection, lines: list[int]) -> dict[int, str]:
    rows = driver.run(conn, "ingest_staged_ts", lines=lines)
    return {int(r["line_no"]): str(r["ts"]) for r in rows}


def _both_readings(stamp: str) -> str:
    m = re.match(SLASH, stamp)
    assert m is not None
    a, b, y = int(m[1]), int(m[2]), m[3]
    return f"{y}-{b:02d}-{a:02d} (DD/MM) or {y}-{a:02d}-{b:02d} (MM/DD)"


def decide_date_order(
    conn: driver.Connection, date_order: str | None, line_offset: int
) -> tuple[str | None, str | None]:
    """The order of the staged slash dates and a note saying why (None, None: the file has none).
    Raises BatchRejected naming the line(s) when the file contradicts itself or `date_order`,
    or when it never tells and `date_order` is None."""
    row = driver.run_one(conn, "ingest_slash_dates", slash=SLASH)
    assert row is not None
    s = _Slashes(int(row["n"]), row["dmy_line"], row["mdy_line"], row["ambiguous_line"])
    if s.n == 0:
        return None, None
    stamps = _stamps(conn, [x for x in (s.dmy_line, s.mdy_line, s.ambiguous_line) if x])
    dmy = None if s.dmy_line is None else (s.dmy_line + line_offset, stamps[s.dmy_line])
    mdy = None if s.mdy_line is None else (s.mdy_line + line_offset, stamps[s.mdy_line])
    if dmy and mdy:
        (a, ta, fa), (b, tb, fb) = sorted([(*dmy, "DD/MM"), (*mdy, "MM/DD")])
        raise BatchRejected(
            f"lines {a} and {b}: dates in both orders: {ta!r} (line {a}) can only be {fa}, "
            f"{tb!r} (line {b}) only {fb}; a file has one date order: correct the file",
            b,
        )
    if date_order is not None:
        against = mdy if date_order == "dmy" else dmy
        if against:
            field = "second" if date_order == "dmy" else "first"
            raise BatchRejected(
                f"line {against[0]}: {against[1]!r} cannot be {ORDER_NAMES[date_order]} as "
                f"--date-order {date_order} says: its {field} field, the month, is above 12",
                against[0],
            )
        return date_order, f"dates read {ORDER_NAMES[date_order]} (--date-order {date_order})"
    for order, proof, field in (("dmy", dmy, "first"), ("mdy", mdy, "second")):
        if proof is not None:
            return order, (
                f"dates read {ORDER_NAMES[order]}: line {proof[0]} has {proof[1]!r}, whose "
                f"{field} field is above 12, so a day"
            )
    if s.ambiguous_line is None:
        return "dmy", "dates read alike in either order: in every one, day and month are equal"
    line, stamp = s.ambiguous_line + line_offset, stamps[s.ambiguous_line]
    raise BatchRejected(
        f"line {line}: {stamp!r} reads as {_both_readings(stamp)}, and no date in the file has a "
        "field above 12 to tell: say which, --date-order dmy or --date-order mdy",
        line,
    )


def check_options(utc_offset: str | None, date_order: str | None) -> str | None:
    """The offset as +HH:MM (None: none given), before anything is read. Raises BatchRejected
    for a bad offset, an unknown date order, or a date order without an offset."""
    if date_order is not None and date_order not in DATE_ORDERS:
        raise BatchRejected(f"date order {date_order!r}: one of {', '.join(DATE_ORDERS)}")
    if utc_offset is None:
        if date_order is not None:
            raise BatchRejected(
                f"--date-order reads dates without a UTC offset, which are refused unless an "
                f"offset is given for them: add {HINT} (or the file's offset)"
            )
        return None
    try:
        return parse_utc_offset(utc_offset)
    except ValueError as exc:
        raise BatchRejected(str(exc)) from exc


def apply_utc_offset(
    conn: driver.Connection, offset: str, date_order: str | None, line_offset: int
) -> tuple[str, ...]:
    """Rewrite the staged time stamps without offset at `offset` (+HH:MM, from check_options;
    see the module); returns the notes of the decisions taken. Raises BatchRejected for a date
    order the file contradicts or never tells (the caller's transaction is rolled back: nothing
    is stored)."""
    order, order_note = decide_date_order(conn, date_order, line_offset)
    row: Any = driver.run_one(
        conn, "ingest_local_times", slash=SLASH, iso=ISO_LOCAL, order=order, offset=offset
    )
    local, rows = int(row["localized"]), int(row["rows"])
    own = f"; the other {rows - local} carry their own" if rows > local else ""
    note = f"{local} of {rows} rows had no UTC offset and were read at {offset} (--utc-offset){own}"
    return (note, order_note) if order_note else (note,)
