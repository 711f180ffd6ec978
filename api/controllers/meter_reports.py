"""GET /api/v1/meter-reports/{config|clock|connectivity}: the meter reports of the tender
(meter configurations; clocks: last drift and corrections per meter; connectivity), the same
rows as `smf meter report` (db/functions/200_poller.sql). Row-level security filters the meters
a principal sees (the functions are security invoker); keys are never part of a report.

config: registry row, DLMS settings and decisions, clock policy (s). clock: last drift (s, meter
minus poller) and when, the drift left after that session, automatic corrections / deferrals /
refusals in the last ``days`` days, the last correction with the meter's time before and after
(UTC). connectivity: over the last ``days`` days, sessions, ok, % ok, bytes, mean duration (ms),
last attempt and outcome, most frequent failure. format=json (default) or csv.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Response, get
from litestar.params import FromPath, QueryParameter

from api.controllers.reports import CSV, to_csv
from api.deps import Db
from api.errors import ApiError

METER_REPORTS = ("config", "clock", "connectivity")


@get(
    "/api/v1/meter-reports/{report:str}",
    tags=["reports"],
    summary="Meter configurations, clocks (drift and corrections) or connectivity",
)
async def meter_report(
    db: Db,
    report: FromPath[str],
    days: Annotated[
        int, QueryParameter(ge=1, le=366, description="window (clock, connectivity)")
    ] = 30,
    format: Annotated[str, QueryParameter(description="json|csv")] = "json",
) -> Response[Any]:
    if report not in METER_REPORTS:
        raise ApiError(404, f"no meter report {report!r}; reports: {', '.join(METER_REPORTS)}")
    if format not in ("json", "csv"):
        raise ApiError(422, f"format {format!r} is not one of json, csv", field="format")
    if report == "config":
        rows = await db.rows("report_meter_config")
    elif report == "clock":
        rows = await db.rows("report_meter_clock", days=days)
    else:
        hi = datetime.now(UTC)
        rows = await db.rows("report_meter_connectivity", lo=hi - timedelta(days=days), hi=hi)
    if format == "csv":
        return Response(
            to_csv(rows),
            media_type=CSV,
            headers={"Content-Disposition": f'attachment; filename="meters-{report}.csv"'},
        )
    return Response({"report": report, "rows": rows})
