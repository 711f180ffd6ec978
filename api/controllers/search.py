"""GET /api/v1/search: consumer units and meters by customer name, UC code or meter serial."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import QueryParameter

from api.deps import Db
from api.schemas import MeterHit, SearchPage, UnitHit


@get("/api/v1/search", tags=["search"], summary="Search UCs and meters")
async def search(
    db: Db,
    q: Annotated[
        str, QueryParameter(max_length=100, description="customer name, UC code or serial")
    ],
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
) -> SearchPage:
    units = await db.rows("api_search_units", q=q, limit=limit + 1, offset=offset)
    meters = await db.rows("api_search_meters", q=q, limit=limit + 1, offset=offset)
    more = len(units) > limit or len(meters) > limit
    return SearchPage(
        q=q,
        limit=limit,
        offset=offset,
        units=[UnitHit(**r) for r in units[:limit]],
        meters=[MeterHit(**r) for r in meters[:limit]],
        next_offset=offset + limit if more else None,
    )
