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


async def meter_of(db: Db, serial: Serial, tz: str | None = None) -> dict[str, Any]:
    """The meter `serial` in the caller's scope (NotFound outside it). With `tz` (a zone name
    already checked), the connection's time zone becomes `tz` in the same round trip (the row's
    "tz" is the zone in use)."""
    row = await db.one("api_meter", serial=serial, tz=tz)
    if row is None:
        raise errors.NotFound(f"no meter {serial!r} (or not in your scope)")
    return row


async def unit_of(db: Db, uc_code: UcCode) -> dict[str, Any]:
    row = await db.one("api_unit", uc_code=uc_code)
    if row is None:
        raise errors.NotFound(f"no consumer unit {uc_code!r} (or not in your scope)")
    return row


def _meter(row: dict[str, Any]) -> Meter:
    return Meter(**{k: v for k, v in row.items() if k not in ("id", "tz")})


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


# The first words of a refusal by db/functions/090_uc_registry.sql, and the request field each
# names (the database says which field; the API reports it in the problem's `field`).
_UC_FIELDS = (
    ("UC code", "uc_code"),
    ("main meter", "main_meter_serial"),
    ("backup meter", "backup_meter_serial"),
    ("the backup meter", "backup_meter_serial"),
    ("distributor", "distributor_aneel_code"),
    ("modality azul", "contracted_demand_ponta_kw"),
    ("modality", "modality"),
    ("tariff group", "tariff_group"),
    ("submarket", "submarket"),
    ("supply voltage", "supply_voltage_kv"),
    ("contracted demands", "musd_kw"),
    ("loss factor", "loss_factor"),
    ("customer", "customer_name"),
)


def _uc_refusal(exc: errors.SmfError) -> ApiError:
    text = str(exc)
    field = next((f for prefix, f in _UC_FIELDS if text.startswith(prefix)), None)
    status = 404 if isinstance(exc, errors.NotFound) and field is None else 422
    return ApiError(status, text, field=field)


async def _card(db: Db, uc_code: str) -> Unit:
    row = await db.one("uc_card_api", uc_code=uc_code)
    if row is None:
        raise errors.NotFound(f"no consumer unit {uc_code!r} (or not in your scope)")
    return Unit(**row)


def _patch_changes(data: UnitPatch) -> dict[str, Any]:
    """smf.uc_update's jsonb keys for the fields a PATCH sets."""
    names = {
        "customer_name": "customer",
        "main_meter_serial": "main_meter",
        "backup_meter_serial": "backup_meter",
    }
    skip = {"remove_backup_meter", "loss_factor", "loss_from", "loss_to", "ccee_retail_from"}
    out = {
        names.get(k, k): v
        for k, v in msgspec.structs.asdict(data).items()
        if k not in skip and v is not None
    }
    if data.remove_backup_meter:
        out["backup_meter"] = None
    return out


class UnitController(Controller):
    """Consumer units: the checks of `smf uc` (db/functions/090_uc_registry.sql), in the caller's
    scope (row-level security)."""

    path = "/api/v1/units"
    tags = ["registration"]  # noqa: RUF012 (Litestar declares it a list)

    @get("/")
    async def list_units(
        self,
        db: Db,
        distributor: Annotated[str | None, QueryParameter(max_length=3)] = None,
        include_retired: Annotated[bool, QueryParameter()] = False,
    ) -> list[Unit]:
        rows = await db.rows(
            "uc_list_api", include_retired=include_retired, distributor=distributor
        )
        return [Unit(**r) for r in rows]

    @get("/{uc_code:str}")
    async def get_unit(self, db: Db, uc_code: UcCode) -> Unit:
        return await _card(db, uc_code)

    @post("/", status_code=201)
    async def create_unit(self, db: Db, data: JSONBody[UnitIn]) -> Unit:
        db.require(*WRITERS)
        try:
            uc_code = (
                await db.one(
                    "uc_register",
                    code=data.uc_code,
                    distributor=data.distributor_aneel_code,
                    customer=data.customer_name,
                    submarket=data.submarket,
                    tariff_group=data.tariff_group,
                    modality=data.modality,
                    supply_voltage_kv=data.supply_voltage_kv,
                    ponta_kw=data.contracted_demand_ponta_kw,
                    fora_ponta_kw=data.contracted_demand_fora_ponta_kw,
                    musd_kw=data.musd_kw,
                    main_meter=data.main_meter_serial,
                    backup_meter=data.backup_meter_serial,
                    loss_factor=data.loss_factor,
                    loss_from=data.loss_from,
                )
                or {}
            )["uc_code"]
            if data.ccee_retail_from is not None:
                await db.one("ccee_register_retail", uc_code=uc_code, first=data.ccee_retail_from)
        except (errors.InvalidParameter, errors.NotFound) as exc:
            raise _uc_refusal(exc) from None
        return await _card(db, uc_code)

    @patch("/{uc_code:str}")
    async def update_unit(self, db: Db, uc_code: UcCode, data: JSONBody[UnitPatch]) -> Unit:
        db.require(*WRITERS)
        await _card(db, uc_code)  # 404 outside the scope
        changes = _patch_changes(data)
        if (data.loss_factor is None) != (data.loss_from is None):
            raise ApiError(422, "loss_factor and loss_from go together", field="loss_from")
        try:
            if changes:
                await db.one(
                    "uc_update", uc_code=uc_code, changes=msgspec.json.encode(changes).decode()
                )
            if data.loss_factor is not None:
                await db.one(
                    "uc_loss_set",
                    uc_code=uc_code,
                    factor=data.loss_factor,
                    **{"from": data.loss_from, "to": data.loss_to},
                )
            if data.ccee_retail_from is not None:
                await db.one("ccee_register_retail", uc_code=uc_code, first=data.ccee_retail_from)
        except (errors.InvalidParameter, errors.NotFound) as exc:
            raise _uc_refusal(exc) from None
        return await _card(db, uc_code)

    @post("/{uc_code:str}/retire", status_code=200)
    async def retire_unit(self, db: Db, uc_code: UcCode) -> Unit:
        db.require(*WRITERS)
        await _card(db, uc_code)  # 404 outside the scope
        await db.one("uc_retire", uc_code=uc_code)
        return await _card(db, uc_code)
