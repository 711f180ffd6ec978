"""GET /health: database reachable and schema at head (no key needed, public in the OpenAPI
document). It waits at most HEALTH_WAIT_S for a database connection, so a monitor gets its 503
within a second during an outage (requests wait SMF_API_DB_WAIT_S). Like every response it carries
X-SMF-Worker, the id of the worker process that answered (api/security.py)."""

from __future__ import annotations

from typing import Literal

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from api import startup
from api.schemas import Health
from db import driver, errors

HEALTH_WAIT_S = 0.8  # < 1 s: the answer of an outage


@get(
    "/health",
    tags=["health"],
    summary="Database reachable, schema at head",
    security=[{}],  # public: no API key
    responses={503: ResponseSpec(Health, description="database unreachable or schema not at head")},
)
async def health(state: State) -> Response[Health]:
    try:
        async with driver.aconnect(state.pool, timeout=HEALTH_WAIT_S) as conn:
            row = await driver.arun_one(conn, "api_health")
    except errors.DatabaseUnavailable:
        body = Health("degraded", "unreachable", None, False)
        return Response(body, status_code=503, headers={"Retry-After": "5"})
    revision = row["revision"] if row else None
    at_head = startup.is_head(revision)
    status: Literal["ok", "degraded"] = "ok" if at_head else "degraded"
    return Response(Health(status, "ok", revision, at_head), status_code=200 if at_head else 503)
