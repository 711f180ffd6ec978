"""On-demand reads: POST /api/v1/meters/{serial}/reads answers 202 with the request id; a
running poller claims it (poller/read_requests.py); GET /api/v1/reads/{id} gives its status."""

from __future__ import annotations

from litestar import Response, get, post
from litestar.params import JSONBody

from api.deps import Db
from api.params import Id, Serial
from api.schemas import ReadRequest, ReadRequestIn
from db import errors


async def _status(db: Db, request_id: Id) -> ReadRequest:
    row = await db.one("api_read_status", id=request_id)
    if row is None:
        raise errors.NotFound(f"no read request {request_id} (or not in your scope)")
    return ReadRequest(**row, href=f"/api/v1/reads/{request_id}")


@post(
    "/api/v1/meters/{serial:str}/reads",
    tags=["reads"],
    status_code=202,
    summary="Ask the poller for an on-demand read",
)
async def ask_read(
    db: Db, serial: Serial, data: JSONBody[ReadRequestIn | None] = None
) -> Response[ReadRequest]:
    db.require("admin", "analyst", "service")
    kind = data.kind if data else "intervals"
    row = await db.one(
        "api_read_enqueue", serial=serial, kind=kind, account=db.principal.account_id
    )
    assert row is not None
    body = await _status(db, row["id"])
    return Response(body, status_code=202, headers={"Location": body.href})


@get("/api/v1/reads/{request_id:int}", tags=["reads"], summary="Status and result of a read")
async def read_status(db: Db, request_id: Id) -> ReadRequest:
    return await _status(db, request_id)
