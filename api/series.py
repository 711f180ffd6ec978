"""Interval series: parameter checks, the rows-per-request limit and the output formats.

Rows come from smf.api_series (db/functions/530_api.sql) under row-level security, and the bytes
of JSON and CSV are made by PostgreSQL; Python never converts a row (issue 21 item 2):
- CSV is the bytes COPY ... TO STDOUT (format csv) writes, made by the server
  (api_series_csv_parts): up to STREAM_ROWS possible rows one value of the request's own query,
  larger windows streamed in parts of PART_ROWS rows on a connection of their own, so a year of
  5-minute data never sits in memory (up to ApiConfig.max_csv_rows);
- JSON up to STREAM_ROWS possible rows is one json_agg value of the request's own query; larger
  windows stream, on a connection of their own, parts of PART_ROWS rows the server has already
  written as JSON (api_series_json_parts), joined with commas (up to ApiConfig.max_rows);
- XLSX is written by xlsxwriter in memory (up to ApiConfig.max_rows).
"""

from __future__ import annotations

import io
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.errors import ApiError
from db import driver

Resolution = Literal["5m", "15m", "1h", "1d", "1mo"]
Units = Literal["engineering", "pulses"]
Format = Literal["json", "csv", "xlsx", "abnt"]

STEP = {
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "1mo": timedelta(days=28),  # the shortest month: an upper bound of the row count
}
# channel -> (column of smf.api_series, engineering unit)
CHANNELS: dict[str, tuple[str, str]] = {
    "active_fwd": ("active_fwd", "kwh"),
    "active_rev": ("active_rev", "kwh"),
    "reactive_ind_fwd": ("reactive_ind_fwd", "kvarh"),
    "reactive_ind_rev": ("reactive_ind_rev", "kvarh"),
    "reactive_cap_fwd": ("reactive_cap_fwd", "kvarh"),
    "reactive_cap_rev": ("reactive_cap_rev", "kvarh"),
    "voltage_a": ("voltage_a", "v"),
    "voltage_b": ("voltage_b", "v"),
    "voltage_c": ("voltage_c", "v"),
    "current_a": ("current_a", "a"),
    "current_b": ("current_b", "a"),
    "current_c": ("current_c", "a"),
}


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    meter_id: int
    serial: str
    uc_code: str | None
    lo: datetime
    hi: datetime
    resolution: str
    units: str
    tz: str
    channels: list[str]
    rows_estimate: int

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(column of smf.api_series, output name) in output order."""
        out = [("bucket_start", "bucket_start")]
        for ch in self.channels:
            col, unit = CHANNELS[ch]
            out.append((col, f"{ch}_{'pulses' if self.units == 'pulses' else unit}"))
        return [*out, ("quality", "quality"), ("completeness_pct", "completeness_pct")]

    def params(self) -> dict[str, Any]:
        return {
            "meter_id": self.meter_id,
            "lo": self.lo,
            "hi": self.hi,
            "resolution": self.resolution,
            "tz": self.tz,
            "pulses": self.units == "pulses",
        }


# The sane window of a time in a request (data of this platform starts long after 1990, and a
# meter's clock or a client's typo beyond 2100 is an error, not a request).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def zone(tz: str) -> ZoneInfo:
    try:
        if len(tz) > 64 or "\x00" in tz:
            raise ValueError(tz)
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ApiError(
            422,
            f"unknown time zone {tz!r} (an IANA name such as America/Sao_Paulo or UTC)",
            field="tz",
        ) from None


def parse_time(value: str, field: str, tz: ZoneInfo) -> datetime:
    """An RFC 3339 time, or a date (midnight) or offset-less time taken in `tz`."""
    try:
        if len(value) == 10:
            return _in_window(datetime.combine(date.fromisoformat(value), time(), tz), value, field)
        # An unescaped "+" of an offset arrives as a space in a query string; the date/time
        # separator (octet 11, "T" or a space) stays, a later space was a "+".
        text = value[:11] + value[11:].replace(" ", "+")
        if text[11:13] == "24":  # fromisoformat would take 24:00 as the next day's 00:00
            raise ApiError(
                422,
                f"{field}: {value[:40]!r} has hour 24; write 00:00 of the next day",
                field=field,
            )
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            422, f"{field}: {value[:40]!r} is not a date or an RFC 3339 time", field=field
        ) from None
    return _in_window(t if t.tzinfo else t.replace(tzinfo=tz), value, field)


def _in_window(t: datetime, value: str, field: str) -> datetime:
    if not EARLIEST <= t <= LATEST:
        raise ApiError(
            422,
            f"{field}: {value[:40]!r} is outside {EARLIEST:%Y-%m-%d} .. {LATEST:%Y-%m-%d}",
            field=field,
        )
    return t


def parse_channels(value: str | None) -> list[str]:
    if not value:
        return list(CHANNELS)
    out: list[str] = []
    for raw in value.split(","):
        name = raw.strip()
        for suffix in ("_kwh", "_kvarh", "_v", "_a", "_pulses"):
            if name.endswith(suffix) and name[: -len(suffix)] in CHANNELS:
                name = name[: -len(suffix)]
        if name not in CHANNELS:
            raise ApiError(
                422,
                f"unknown channel {raw.strip()!r}; channels: {', '.join(CHANNELS)}",
                field="channels",
            )
        if name not in out:
            out.append(name)
    return out


def check_limit(q: SeriesQuery, fmt: str, max_rows: int, max_csv_rows: int) -> None:
    """ApiError 422 when the window may hold more rows than one response carries; the message
    says how to page (a narrower window, the next `from`), or to use CSV or a coarser step."""
    limit = max_csv_rows if fmt == "csv" else max_rows
    if q.rows_estimate <= limit:
        return
    page_to = q.lo + STEP[q.resolution] * limit
    raise ApiError(
        422,
        f"from..to at resolution {q.resolution} may hold {q.rows_estimate} rows; one {fmt} "
        f"response carries at most {limit}. Page: ask from={q.lo.isoformat()} "
        f"to={page_to.isoformat()}, then from={page_to.isoformat()} and so on"
        + ("; or use format=csv (streamed)" if fmt != "csv" else "")
        + " or a coarser resolution.",
        code="too-many-rows",
        field="to",
        limit=limit,
        next_to=page_to.isoformat(),
    )


def estimate_rows(lo: datetime, hi: datetime, resolution: str) -> int:
    return max(0, math.ceil((hi - lo) / STEP[resolution]))


STREAM_ROWS = 2000  # larger JSON and CSV windows stream (a day of 5-minute data is one value)
PART_ROWS = 1000  # rows per part the server writes of a streamed JSON array or CSV


def csv_header(q: SeriesQuery) -> bytes:
    """The CSV header line (COPY's header of the same columns: plain names, unquoted)."""
    return (",".join(name for _, name in q.columns) + "\n").encode()


async def stream_csv(pool: driver.AsyncPool, account: int, q: SeriesQuery) -> AsyncIterator[bytes]:
    """CSV of the series: the header line, then the parts the server wrote (api_series_csv_parts:
    the bytes COPY ... TO STDOUT (format csv) writes, PART_ROWS rows at a time), on a connection
    of its own that acts for the same account (the request's connection is returned when the
    handler returns). Parts, not COPY itself: COPY hands the client one message per row, which
    costs an await per row here; a part is one message per PART_ROWS rows."""
    yield csv_header(q)
    async with driver.aconnect(pool) as conn:
        await driver.arun(conn, "api_enter_tz", account=account, tz=q.tz)
        async for (part,) in driver.astream_listed(
            conn,
            "api_series_csv_parts",
            columns=[col for col, _ in q.columns],
            part_rows=PART_ROWS,
            **q.params(),
        ):
            yield part.encode()


async def stream_json(
    pool: driver.AsyncPool, account: int, q: SeriesQuery, prefix: bytes
) -> AsyncIterator[bytes]:
    """The JSON document: `prefix` (the head, up to `"rows":`), then the rows array from the
    server's parts, then the closing brackets; on a connection of its own acting for `account`."""
    yield prefix + b"["
    async with driver.aconnect(pool) as conn:
        await driver.arun(conn, "api_enter_tz", account=account, tz=q.tz)
        first = True
        async for (part,) in driver.astream_listed(
            conn,
            "api_series_json_parts",
            columns=[col for col, _ in q.columns],
            part_rows=PART_ROWS,
            **q.params(),
        ):
            yield part.encode() if first else b"," + part.encode()
            first = False
    yield b"]}"


def xlsx(q: SeriesQuery, rows: list[list[Any]]) -> bytes:
    """An XLSX workbook of the rows: one sheet, bucket starts as local times of q.tz."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "remove_timezone": True})
    ws = wb.add_worksheet("intervals")
    fmt_ts = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    names = [name for _, name in q.columns]
    names[0] = f"bucket_start ({q.tz})"
    ws.write_row(0, 0, names)
    for i, row in enumerate(rows, start=1):
        ws.write_datetime(i, 0, row[0].replace(tzinfo=None), fmt_ts)
        for j, v in enumerate(row[1:], start=1):
            if v is not None:
                ws.write(i, j, v)
    ws.set_column(0, 0, 18)
    wb.close()
    return buf.getvalue()
