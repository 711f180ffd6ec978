"""The alarm sheet and its lifecycle (seed 003 §5.9) over HTTP, as `smf alarms` does.

GET  /api/v1/alarms                      the sheet (filters state, rule, uc; all=true with closed)
POST /api/v1/alarms/{id}/ack             acknowledge (comment required; who = the API principal)
POST /api/v1/alarms/{id}/close           close (comment required)
GET  /api/v1/alarms/rules                the rules a-m and their thresholds (default, group, meter)
PUT  /api/v1/alarms/rules/{rule}         program a threshold for one meter or the default

Reads and writes run as smf_api for the caller, so row-level security decides both: the sheet
shows each caller its scope, and the update / insert policies of 510_scope_policies.sql let a
writer (admin, analyst) change only alarms and meter thresholds of its scope (a default threshold
needs admin). A write to an alarm or meter the caller cannot see is a 404, as for a row that does
not exist. Acknowledgement happens only by this explicit call. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post, put
from litestar.params import JSONBody, QueryParameter

from api.controllers.registry import meter_of
from api.deps import Db, RequestDb
from api.errors import ApiError
from api.params import Id, Name
from api.schemas import Alarm, AlarmRuleThreshold, ThresholdSet, exact_row
from db import errors

WRITERS = ("admin", "analyst")
STATES = ("open", "acknowledged", "cleared", "closed")


class AlarmComment(msgspec.Struct, forbid_unknown_fields=True):
    comment: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class ThresholdIn(msgspec.Struct, forbid_unknown_fields=True):
    """A threshold in the rule's unit, for meter_serial (or the default when absent), from
    valid_from on (default now)."""

    value: Decimal | None = None
    params: dict[str, Any] | None = None
    enabled: bool = True
    meter_serial: str | None = None
    valid_from: datetime | None = None


async def _visible(db: RequestDb, alarm_id: int) -> dict[str, Any]:
    row = await db.one("api_alarm_one", id=alarm_id)
    if row is None:
        raise errors.NotFound(f"no alarm {alarm_id} (or not in your scope)")
    return row


@get("/api/v1/alarms", tags=["alarms"], summary="The alarm sheet, newest violation first")
async def alarm_sheet(
    db: Db,
    alarm_state: Annotated[
        Literal["open", "acknowledged", "cleared", "closed"] | None,
        QueryParameter(name="state", description="open|acknowledged|cleared|closed"),
    ] = None,
    rule: Annotated[
        str | None, QueryParameter(pattern="^[a-m]$", description="rule code a-m")
    ] = None,
    uc: Annotated[str | None, QueryParameter(max_length=32, description="UC code")] = None,
    include_closed: Annotated[
        bool, QueryParameter(name="all", description="include closed alarms")
    ] = False,
    limit: Annotated[int, QueryParameter(ge=1, le=5000)] = 500,
) -> list[Alarm]:
    if alarm_state is not None and alarm_state not in STATES:
        raise ApiError(
            422, f"state {alarm_state!r} is not one of {', '.join(STATES)}", field="state"
        )
    if rule is not None and (len(rule) != 1 or not "a" <= rule <= "m"):
        raise ApiError(422, f"rule {rule!r} is not a rule code a-m", field="rule")
    rows = await db.rows(
        "api_alarm_sheet", all=include_closed, state=alarm_state, rule=rule, uc_code=uc, limit=limit
    )
    return [Alarm(**exact_row(r)) for r in rows]


async def _transition(db: RequestDb, alarm_id: int, data: AlarmComment, query: str) -> Alarm:
    db.require(*WRITERS)
    row = await _visible(db, alarm_id)
    verb = "acknowledged" if query == "alarm_ack" else "closed"
    if row["state"] == "closed" or (verb == "acknowledged" and row["acknowledged_at"]):
        done = "closed" if row["state"] == "closed" else "acknowledged"
        raise ApiError(409, f"alarm {alarm_id} is already {done}")
    if not data.comment.strip():
        raise ApiError(422, "a comment is required", field="comment")
    try:
        await db.one(query, id=alarm_id, by=db.principal.name, comment=data.comment)
    except errors.InvalidParameter as e:  # a concurrent acknowledgement or close won
        if "already" in str(e):
            raise ApiError(409, str(e)) from None
        raise
    return Alarm(**exact_row(await _visible(db, alarm_id)))


@post(
    "/api/v1/alarms/{alarm_id:int}/ack",
    tags=["alarms"],
    summary="Acknowledge an alarm (comment required)",
    status_code=200,
)
async def alarm_ack(db: Db, alarm_id: Id, data: JSONBody[AlarmComment]) -> Alarm:
    return await _transition(db, alarm_id, data, "alarm_ack")


@post(
    "/api/v1/alarms/{alarm_id:int}/close",
    tags=["alarms"],
    summary="Close an alarm (comment required)",
    status_code=200,
)
async def alarm_close(db: Db, alarm_id: Id, data: JSONBody[AlarmComment]) -> Alarm:
    return await _transition(db, alarm_id, data, "alarm_close")


@get("/api/v1/alarms/rules", tags=["alarms"], summary="Rules a-m and their thresholds")
async def alarm_rules(db: Db) -> list[AlarmRuleThreshold]:
    return [AlarmRuleThreshold(**exact_row(r)) for r in await db.rows("alarm_rules")]


@put(
    "/api/v1/alarms/rules/{rule:str}",
    tags=["alarms"],
    summary="Program a threshold for a meter (analyst in scope, admin) or the default (admin)",
    status_code=200,
)
async def alarm_set_threshold(db: Db, rule: Name, data: JSONBody[ThresholdIn]) -> ThresholdSet:
    db.require(*WRITERS)
    if len(rule) != 1 or not "a" <= rule <= "m":
        raise ApiError(404, f"no alarm rule {rule!r} (a to m)")
    if data.meter_serial is None:
        db.require("admin")
    else:
        await meter_of(db, data.meter_serial)  # 404 outside the scope
    row = await db.one(
        "alarm_set_threshold",
        rule=rule,
        value=data.value,
        params=None if data.params is None else msgspec.json.encode(data.params).decode(),
        enabled=data.enabled,
        meter_serial=data.meter_serial,
        group_name=None,
        valid_from=data.valid_from,
        by=db.principal.name,
    )
    assert row is not None
    return ThresholdSet(id=row["id"], rule=rule, meter_serial=data.meter_serial)
