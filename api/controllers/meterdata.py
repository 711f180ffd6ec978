"""What a meter reported besides intervals: registers (0x23/0x24), instantaneous values (0x14),
events, the connectivity log with poll health, the last 20 outages and the last 16 alterations.
Times are UTC."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from api.controllers.registry import meter_of
from api.deps import Db
from api.params import Serial
from api.schemas import (
    Alteration,
    Connectivity,
    Instantaneous,
    MeterEventOut,
    Outage,
    PollAttempt,
    PollHealth,
    RegisterRead,
)

Limit = Annotated[int, QueryParameter(ge=1, le=1000)]


class MeterDataController(Controller):
    path = "/api/v1/meters/{serial:str}"
    tags = ["meter data"]  # noqa: RUF012 (Litestar declares it a list)

    @get("/registers", summary="Registers of the current and previous period, raw as read")
    async def registers(self, db: Db, serial: Serial) -> list[RegisterRead]:
        m = await meter_of(db, serial)
        return [RegisterRead(**r) for r in await db.rows("api_registers", meter_id=m["id"])]

    @get("/instantaneous", summary="Instantaneous values (0x14), newest first")
    async def instantaneous(self, db: Db, serial: Serial, limit: Limit = 10) -> list[Instantaneous]:
        m = await meter_of(db, serial)
        rows = await db.rows("api_instantaneous", meter_id=m["id"], limit=limit)
        return [Instantaneous(**r) for r in rows]

    @get("/events", summary="Events that need attention, newest first")
    async def events(self, db: Db, serial: Serial, limit: Limit = 100) -> list[MeterEventOut]:
        m = await meter_of(db, serial)
        rows = await db.rows("api_events", meter_id=m["id"], limit=limit)
        return [MeterEventOut(**r) for r in rows]

    @get("/connectivity", summary="Poll health and the connectivity log, newest first")
    async def connectivity(self, db: Db, serial: Serial, limit: Limit = 100) -> Connectivity:
        m = await meter_of(db, serial)
        health = await db.one("api_poll_health", meter_id=m["id"])
        attempts = await db.rows("api_connectivity", meter_id=m["id"], limit=limit)
        return Connectivity(
            health=PollHealth(**health) if health else None,
            attempts=[PollAttempt(**a) for a in attempts],
        )

    @get("/outages", summary="The last 20 supply outages the meter reported")
    async def outages(self, db: Db, serial: Serial) -> list[Outage]:
        m = await meter_of(db, serial)
        return [Outage(**r) for r in await db.rows("api_outages", meter_id=m["id"])]

    @get("/alterations", summary="The last 16 alterations of the meter")
    async def alterations(self, db: Db, serial: Serial) -> list[Alteration]:
        m = await meter_of(db, serial)
        return [Alteration(**r) for r in await db.rows("api_alterations", meter_id=m["id"])]
