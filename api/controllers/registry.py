"""Registration: distributors, consumer units and meters (create, read, update, retire).

The database validates (check constraints, UC check digits, channel map) and row-level
security decides who may write what: admin everything, analyst UCs of its distributors and
the UCs and meters in its scope, client and service-less roles nothing. Here only what the
database cannot see: the transport URL of a meter.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import JSONBody, QueryParameter

from api.deps import Db
from api.errors import ApiError
from api.params import AneelCode, Serial, UcCode
from api.schemas import (
    Distributor,
    DistributorIn,
    DistributorPatch,
    Meter,
    MeterIn,
    MeterPatch,
    Unit,
    UnitIn,
    UnitPatch,
)
from db import errors

WRITERS = ("admin", "analyst", "service")
DISTRIBUTOR_WRITERS = ("admin", "service")  # distributors are outside every analyst's scope


def check_transport(url: str | None) -> None:
    """The poller's transport URL forms: tcp://host:port, wrapper://host:port, serial:///dev/x."""
    if url is None:
        return
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    ok = (parts.scheme in ("tcp", "wrapper") and bool(parts.hostname) and port is not None) or (
        parts.scheme == "serial" and parts.path.startswith("/")
    )
    if not ok:
        raise ApiError(
            422,
            f"transport {url!r}: expected tcp://host:port, wrapper://host:port or "
            "serial:///dev/ttyX?baud=9600",
            field="transport",
        )


async def meter_of(db: Db, serial: Serial) -> dict[str, Any]:
    row = await db.one("api_meter", serial=serial)
    if row is None:
        raise errors.NotFound(f"no meter {serial!r} (or not in your scope)")
    return row


async def unit_of(db: Db, uc_code: UcCode) -> dict[str, Any]:
    row = await db.one("api_unit", uc_code=uc_code)
    if row is None:
        raise errors.NotFound(f"no consumer unit {uc_code!r} (or not in your scope)")
    return row


def _meter(row: dict[str, Any]) -> Meter:
    return Meter(**{k: v for k, v in row.items() if k != "id"})


def _unit(row: dict[str, Any]) -> Unit:
    return Unit(**{k: v for k, v in row.items() if k not in ("id", "main_meter_id")})


async def _unit_out(db: Db, uc_code: str) -> Unit:
    """The unit with its loss factor of today (smf uc's query; the policies filter both)."""
    unit = _unit(await unit_of(db, uc_code))
    row = await db.one("uc_get", uc_code=uc_code)
    if row is not None and row["loss_factor"] is not None:
        unit.loss_factor = float(row["loss_factor"])
    return unit


_UC_SET_FIELDS = (  # the fields of the named query uc_set other than the backup meter
    "customer_name", "submarket", "tariff_group", "modality", "demand_ponta_kw",
    "demand_fora_ponta_kw", "musd_kw", "supply_voltage_kv", "main_meter_id",
)  # fmt: skip


async def _complete_code(db: Db, code: str) -> str:
    """A 13-digit code gets its two check digits (db/functions/001_uc_code.sql); 15 digits
    are kept (the table's check constraint verifies them)."""
    digits = "".join(c for c in code if c.isdigit())
    if len(digits) == 13 and digits == code.strip():
        row = await db.one("uc_code_check", digits=digits)
        assert row is not None
        return str(row["expected"])
    return code


def _done(row: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if row is None:
        raise errors.NotFound(f"no {what} (or not in your scope)")
    return row


class DistributorController(Controller):
    path = "/api/v1/distributors"
    tags = ["registration"]  # noqa: RUF012 (Litestar declares it a list)

    @get("/")
    async def list_distributors(
        self,
        db: Db,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[Distributor]:
        return [
            Distributor(**r) for r in await db.rows("api_distributors", limit=limit, offset=offset)
        ]

    @post("/", status_code=201)
    async def create_distributor(self, db: Db, data: JSONBody[DistributorIn]) -> Distributor:
        db.require(*DISTRIBUTOR_WRITERS)
        row = await db.one("api_distributor_create", **msgspec.structs.asdict(data))
        return Distributor(**_done(row, "distributor"))

    @patch("/{aneel_code:str}")
    async def update_distributor(
        self, db: Db, aneel_code: AneelCode, data: JSONBody[DistributorPatch]
    ) -> Distributor:
        db.require(*DISTRIBUTOR_WRITERS)
        row = await db.one(
            "api_distributor_update", aneel_code=aneel_code, **msgspec.structs.asdict(data)
        )
        return Distributor(**_done(row, f"distributor {aneel_code}"))

    @post("/{aneel_code:str}/retire", status_code=200)
    async def retire_distributor(self, db: Db, aneel_code: AneelCode) -> Distributor:
        db.require(*DISTRIBUTOR_WRITERS)
        row = await db.one("api_distributor_retire", aneel_code=aneel_code)
        return Distributor(**_done(row, f"distributor {aneel_code}"))


class MeterController(Controller):
    path = "/api/v1/meters"
    tags = ["registration"]  # noqa: RUF012 (Litestar declares it a list)

    @get("/{serial:str}")
    async def get_meter(self, db: Db, serial: Serial) -> Meter:
        return _meter(await meter_of(db, serial))

    @post("/", status_code=201)
    async def create_meter(self, db: Db, data: JSONBody[MeterIn]) -> Meter:
        db.require(*WRITERS)
        check_transport(data.transport)
        await db.one("api_meter_create", **msgspec.structs.asdict(data))
        return _meter(await meter_of(db, data.serial))

    @patch("/{serial:str}")
    async def update_meter(self, db: Db, serial: Serial, data: JSONBody[MeterPatch]) -> Meter:
        db.require(*WRITERS)
        check_transport(data.transport)
        _done(
            await db.one("api_meter_update", serial=serial, **msgspec.structs.asdict(data)),
            f"meter {serial}",
        )
        return _meter(await meter_of(db, serial))

    @post("/{serial:str}/retire", status_code=200)
    async def retire_meter(self, db: Db, serial: Serial) -> Meter:
        db.require(*WRITERS)
        _done(await db.one("api_meter_retire", serial=serial), f"meter {serial}")
        return _meter(await meter_of(db, serial))


class UnitController(Controller):
    path = "/api/v1/units"
    tags = ["registration"]  # noqa: RUF012 (Litestar declares it a list)

    @get("/{uc_code:str}")
    async def get_unit(self, db: Db, uc_code: UcCode) -> Unit:
        return await _unit_out(db, uc_code)

    @post("/", status_code=201)
    async def create_unit(self, db: Db, data: JSONBody[UnitIn]) -> Unit:
        db.require(*WRITERS)
        for field in ("main_meter_serial", "backup_meter_serial"):
            serial = getattr(data, field)
            if serial is not None and await db.one("api_meter", serial=serial) is None:
                raise ApiError(
                    422, f"{field}: no meter {serial!r} (or not in your scope)", field=field
                )
        fields = msgspec.structs.asdict(data)
        fields["uc_code"] = await _complete_code(db, data.uc_code)
        row = await db.one("api_unit_create", **fields)
        if row is None:
            raise ApiError(
                422,
                f"distributor_aneel_code: no distributor {data.distributor_aneel_code!r}",
                field="distributor_aneel_code",
            )
        return await _unit_out(db, row["uc_code"])

    @patch("/{uc_code:str}")
    async def update_unit(self, db: Db, uc_code: UcCode, data: JSONBody[UnitPatch]) -> Unit:
        db.require(*WRITERS)
        for field in ("main_meter_serial", "backup_meter_serial"):
            serial = getattr(data, field)
            if serial is not None and await db.one("api_meter", serial=serial) is None:
                raise ApiError(422, f"{field}: no meter {serial!r}", field=field)
        fields = msgspec.structs.asdict(data)
        backup = fields.pop("backup_meter_serial")
        _done(
            await db.one("api_unit_update", uc_code=uc_code, **fields),
            f"consumer unit {uc_code}",
        )
        if backup is not None:  # smf uc set's query: only the backup meter changes
            await db.one(
                "uc_set",
                uc_code=uc_code,
                **dict.fromkeys(_UC_SET_FIELDS),
                backup_meter_id=(await db.one("api_meter", serial=backup) or {}).get("id"),
                clear_backup=False,
            )
        return await _unit_out(db, uc_code)

    @post("/{uc_code:str}/retire", status_code=200)
    async def retire_unit(self, db: Db, uc_code: UcCode) -> Unit:
        db.require(*WRITERS)
        _done(await db.one("api_unit_retire", uc_code=uc_code), f"consumer unit {uc_code}")
        return _unit(await unit_of(db, uc_code))
