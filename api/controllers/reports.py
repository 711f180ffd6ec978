"""GET /api/v1/units/{uc_code}/reports/{outages|alterations|phasors|display}: the operator
reports of seed 003 §5.8 (db/functions/630_reports.sql), as `smf reports` gives them.

format=json (default) or csv; phasors also svg (the diagram of smf/reports.py). outages: the
last n (default 20) supply outages (meter log, or interval gaps), start/end UTC, duration s;
alterations: the last n (default 16); phasors: the 0x14 reading at or before `at` (default the
newest), V, A and degrees; display: what the meter's display would show. Row-level security and
the UC check (404 outside the scope) are those of every unit endpoint.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Response, get
from litestar.params import QueryParameter

from api.controllers.registry import unit_of
from api.deps import Db
from api.errors import ApiError
from api.params import Name, UcCode
from formats.phasors import phasor_svg

REPORTS = ("outages", "alterations", "phasors", "display")
CSV = "text/csv"  # Litestar appends "; charset=utf-8" to every text/ type
SVG = "image/svg+xml"


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Header from the columns, times as ISO 8601 with offset (UTC), null as empty."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    if rows:
        w.writerow(list(rows[0]))
        for r in rows:
            w.writerow(
                [
                    "" if v is None else v.isoformat() if isinstance(v, datetime) else v
                    for v in r.values()
                ]
            )
    return out.getvalue()


@get(
    "/api/v1/units/{uc_code:str}/reports/{report:str}",
    tags=["reports"],
    summary="An operator report of a UC (outages, alterations, phasors, display)",
)
async def unit_report(
    db: Db,
    uc_code: UcCode,
    report: Name,
    format: Annotated[
        Literal["json", "csv", "svg"], QueryParameter(description="json|csv (phasors: also svg)")
    ] = "json",
    n: Annotated[
        int | None, QueryParameter(ge=1, le=1000, description="how many (outages, alterations)")
    ] = None,
    at: Annotated[
        datetime | None, QueryParameter(description="phasors: reading at or before")
    ] = None,
) -> Response[Any]:
    if report not in REPORTS:
        raise ApiError(404, f"no report {report!r}; reports: {', '.join(REPORTS)}")
    formats = ("json", "csv", "svg") if report == "phasors" else ("json", "csv")
    if format not in formats:
        raise ApiError(422, f"format {format!r} is not one of {', '.join(formats)}", field="format")
    await unit_of(db, uc_code)  # 404 outside the scope
    if report == "outages":
        rows = await db.rows("report_outages", uc_code=uc_code, n=n or 20)
    elif report == "alterations":
        rows = await db.rows("report_alterations", uc_code=uc_code, n=n or 16)
    elif report == "phasors":
        rows = await db.rows("report_phasors", uc_code=uc_code, at=at)
    else:
        rows = await db.rows("report_display", uc_code=uc_code)
    name = f"{uc_code}-{report}"
    if format == "csv":
        return Response(
            to_csv(rows),
            media_type=CSV,
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "svg":
        return Response(phasor_svg({uc_code: rows}), media_type=SVG)
    return Response({"uc_code": uc_code, "report": report, "rows": rows})
