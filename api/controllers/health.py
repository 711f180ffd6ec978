"""GET /health: database reachable and schema at head (no key needed)."""

from __future__ import annotations

from typing import Literal

from litestar import Response, get
from litestar.datastructures import State

from api import startup
from api.schemas import Health
from db import driver, errors


@get("/health", tags=["health"], summary="Database reachable, schema at head")
async def health(state: State) -> Response[Health]:
    try:
        async with driver.aconnect(state.pool) as conn:
            row = await driver.arun_one(conn, "api_health")
    except errors.DatabaseUnavailable:
        body = Health("degraded", "unreachable", None, False)
        return Response(body, status_code=503, headers={"Retry-After": "5"})
    revision = row["revision"] if row else None
    at_head = startup.is_head(revision)
    status: Literal["ok", "degraded"] = "ok" if at_head else "degraded"
    return Response(Health(status, "ok", revision, at_head), status_code=200 if at_head else 503)
