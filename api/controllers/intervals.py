"""GET /api/v1/meters/{serial}/intervals and /api/v1/units/{uc_code}/intervals.

Query: from, to (RFC 3339, or a date taken in tz), resolution (5m 15m 1h 1d 1mo), channels
(comma list, e.g. active_fwd,reactive_ind_fwd), units (engineering: kWh kvarh V A; pulses:
divided by the meter's channel constants), tz (IANA; timestamps and day/month buckets), format
(json, csv streamed, xlsx, abnt: the ABNT public-format file of `month`). Every row carries its
quality and completeness. Too many rows for one response: 422 saying how to page.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from api import series
from api.config import ApiConfig
from api.controllers.registry import meter_of, unit_of
from api.deps import Db
from api.errors import ApiError
from api.params import OptMonth, Serial, Tz, UcCode
from api.schemas import SeriesHead
from db import driver

CSV = "text/csv"  # Litestar appends "; charset=utf-8" to every text/ type
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FromParam = Annotated[
    str,
    QueryParameter(
        name="from", min_length=10, max_length=40, description="start (inclusive): RFC 3339 or date"
    ),
]
ToParam = Annotated[
    str,
    QueryParameter(min_length=10, max_length=40, description="end (exclusive): RFC 3339 or date"),
]


async def _serve(
    db: Db,
    state: State,
    meter: dict[str, Any],
    uc_code: str | None,
    from_: str,
    to: str,
    resolution: series.Resolution,
    channels: str | None,
    units: series.Units,
    tz: str,
    fmt: series.Format,
    month: str | None,
) -> Response[Any]:
    config: ApiConfig = state.config
    serial = meter["serial"]
    if fmt == "abnt":
        return await _abnt(state, serial, month)
    zone = series.zone(tz)
    if meter.get("tz") != tz:  # the meter's lookup (meter_of with tz) did not set it
        await db.rows("api_set_timezone", tz=tz)
    lo, hi = series.parse_time(from_, "from", zone), series.parse_time(to, "to", zone)
    if hi <= lo:
        raise ApiError(422, "to must be after from", field="to")
    q = series.SeriesQuery(
        meter_id=meter["id"],
        serial=serial,
        uc_code=uc_code,
        lo=lo,
        hi=hi,
        resolution=resolution,
        units=units,
        tz=tz,
        channels=series.parse_channels(channels),
        rows_estimate=series.estimate_rows(lo, hi, resolution),
    )
    series.check_limit(q, fmt, config.max_rows, config.max_csv_rows)
    name = f"{serial}_{lo:%Y%m%dT%H%M}_{resolution}"
    if fmt == "csv" and q.rows_estimate <= series.STREAM_ROWS:
        # a short window: the server's CSV as one value of this connection's query
        parts = await driver.arun_listed(
            db.conn,
            "api_series_csv_parts",
            columns=[col for col, _ in q.columns],
            part_rows=series.STREAM_ROWS,
            **q.params(),
        )
        return Response(
            series.csv_header(q) + b"".join(p["part"].encode() for p in parts),
            media_type=CSV,
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "csv":
        # Ask once on this connection, so a bad parameter (pulses without constants) is a 422
        # before the stream starts; the stream then runs on a connection of its own.
        await db.rows("api_series", **{**q.params(), "hi": lo})
        return Stream(
            series.stream_csv(state.pool, db.principal.account_id, q),
            media_type=CSV,
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        names, raw = await driver.arun_tuples(db.conn, "api_series", **q.params())
        pick = [names.index(col) for col, _ in q.columns]
        rows = [[r[i] for i in pick] for r in raw]
        body = await asyncio.to_thread(series.xlsx, q, rows)
        return Response(
            body,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    head = SeriesHead(
        meter_serial=serial,
        uc_code=uc_code,
        resolution=resolution,
        units=units,
        tz=tz,
        from_=lo,
        to=hi,
        columns=[out for _, out in q.columns],
    )
    prefix = msgspec.json.encode(head)[:-1] + b',"rows":'  # the head without its closing brace
    if q.rows_estimate > series.STREAM_ROWS:
        # a long window streams the server's parts; a bad parameter is a 422 before it starts
        await db.rows("api_series", **{**q.params(), "hi": lo})
        return Stream(
            series.stream_json(state.pool, db.principal.account_id, q, prefix),
            media_type="application/json",
        )
    # the server builds the rows array (json_agg); we wrap it, never parse it
    row = await driver.arun_listed(
        db.conn, "api_series_json", columns=[col for col, _ in q.columns], **q.params()
    )
    return Response(prefix + row[0]["rows"].encode() + b"}", media_type="application/json")


async def _abnt(state: State, serial: Serial, month: str | None) -> Response[bytes]:
    from poller import public_io

    if not month or len(month) != 7:
        raise ApiError(422, "format=abnt needs month=YYYY-MM (one month per file)", field="month")
    config: ApiConfig = state.config
    try:
        data, _n = await asyncio.to_thread(public_io.export_month, config.writer_db, serial, month)
    except ValueError as exc:  # e.g. a serial the file's 8-digit BCD field cannot hold
        raise ApiError(422, f"format=abnt: {exc}") from exc
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{serial}_{month}.abnt"'},
    )


@get("/api/v1/meters/{serial:str}/intervals", tags=["series"], summary="A meter's intervals")
async def meter_intervals(
    db: Db,
    state: State,
    serial: Serial,
    from_: FromParam,
    to: ToParam,
    resolution: FromQuery[series.Resolution] = "5m",
    channels: Annotated[str | None, QueryParameter(max_length=200)] = None,
    units: FromQuery[series.Units] = "engineering",
    tz: Tz = "UTC",
    format: FromQuery[series.Format] = "json",
    month: OptMonth = None,
) -> Response[Any]:
    series.zone(tz)  # a bad zone is a 422 before the lookup
    # row-level security: 404 outside the scope; the connection's zone becomes tz
    meter = await meter_of(db, serial, tz=tz)
    return await _serve(
        db, state, meter, None, from_, to, resolution, channels, units, tz, format, month
    )


@get(
    "/api/v1/units/{uc_code:str}/intervals", tags=["series"], summary="A UC's main-meter intervals"
)
async def unit_intervals(
    db: Db,
    state: State,
    uc_code: UcCode,
    from_: FromParam,
    to: ToParam,
    resolution: FromQuery[series.Resolution] = "5m",
    channels: Annotated[str | None, QueryParameter(max_length=200)] = None,
    units: FromQuery[series.Units] = "engineering",
    tz: Tz = "UTC",
    format: FromQuery[series.Format] = "json",
    month: OptMonth = None,
) -> Response[Any]:
    unit = await unit_of(db, uc_code)
    if unit["main_meter_serial"] is None:
        raise ApiError(404, f"consumer unit {uc_code} has no main meter", code="not-found")
    series.zone(tz)
    meter = await meter_of(db, unit["main_meter_serial"], tz=tz)  # the connection's zone: tz
    return await _serve(
        db, state, meter, uc_code, from_, to, resolution, channels, units, tz, format, month
    )
