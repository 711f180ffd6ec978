"""Request and response bodies (msgspec structs). Units are in the field names; times are
RFC 3339 with the offset of the request's time zone (UTC unless `tz` says otherwise)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec


class Health(msgspec.Struct):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    revision: str | None
    schema_at_head: bool


class UnitHit(msgspec.Struct):
    uc_code: str
    customer_name: str
    distributor_aneel_code: str
    distributor_name: str
    main_meter_serial: str | None
    backup_meter_serial: str | None
    retired_at: datetime | None


class MeterHit(msgspec.Struct):
    serial: str
    manufacturer: str | None
    model: str | None
    uc_code: str | None
    retired_at: datetime | None


class SearchPage(msgspec.Struct):
    q: str
    limit: int
    offset: int
    units: list[UnitHit]
    meters: list[MeterHit]
    next_offset: int | None


class Distributor(msgspec.Struct):
    id: int
    ccee_agent_code: int
    aneel_code: str
    name: str
    retired_at: datetime | None = None


class DistributorIn(msgspec.Struct, forbid_unknown_fields=True):
    ccee_agent_code: int
    aneel_code: str
    name: str


class DistributorPatch(msgspec.Struct, forbid_unknown_fields=True):
    ccee_agent_code: int | None = None
    name: str | None = None


class Meter(msgspec.Struct):
    serial: str
    manufacturer: str | None
    model: str | None
    protocol: str
    interval_minutes: int
    channel_map: list[str]
    channel_constants: list[float] | None
    utc_offset_minutes: int
    transport: str | None
    max_power_kw: float
    poll_schedule: str
    enabled: bool
    retired_at: datetime | None


class MeterIn(msgspec.Struct, forbid_unknown_fields=True):
    serial: str
    channel_map: list[str] = msgspec.field(
        default_factory=lambda: [
            "active_fwd_kwh",
            "reactive_ind_fwd_kvarh",
            "reactive_cap_fwd_kvarh",
        ]
    )
    manufacturer: str | None = None
    model: str | None = None
    protocol: str = "nbr14522"
    interval_minutes: int = 5
    channel_constants: list[float] | None = None
    utc_offset_minutes: int = -180
    transport: str | None = None
    max_power_kw: float = 100_000.0
    poll_schedule: str = "daily"


class MeterPatch(msgspec.Struct, forbid_unknown_fields=True):
    manufacturer: str | None = None
    model: str | None = None
    transport: str | None = None
    poll_schedule: str | None = None
    channel_map: list[str] | None = None
    channel_constants: list[float] | None = None
    max_power_kw: float | None = None
    enabled: bool | None = None


class Unit(msgspec.Struct):
    """A consumer unit (smf.uc_card): demands and MUSD in kW, supply voltage in kV, the loss
    factor in force today as a fraction with its validity (local days, [from, to))."""

    uc_code: str
    distributor_aneel_code: str
    customer_name: str
    submarket: str
    tariff_group: str
    modality: str
    contracted_demand_ponta_kw: float | None
    contracted_demand_fora_ponta_kw: float | None
    musd_kw: float | None
    supply_voltage_kv: float
    main_meter_serial: str | None
    backup_meter_serial: str | None
    retired_at: datetime | None
    distributor_name: str | None = None
    ccee_agent_code: int | None = None
    loss_factor: float | None = None
    loss_valid_from: date | None = None
    loss_valid_to: date | None = None
    ccee_retail_from: date | None = None
    created_at: datetime | None = None


class UnitIn(msgspec.Struct, forbid_unknown_fields=True):
    """uc_code: 13 digits (the check digits are computed) or 15 digits (they are verified)."""

    uc_code: str
    distributor_aneel_code: str
    customer_name: str
    submarket: Literal["SE/CO", "S", "NE", "N"]
    tariff_group: str
    modality: str
    supply_voltage_kv: float
    contracted_demand_ponta_kw: float | None = None
    contracted_demand_fora_ponta_kw: float | None = None
    musd_kw: float | None = None
    main_meter_serial: str | None = None
    backup_meter_serial: str | None = None
    loss_factor: float | None = None
    loss_from: date | None = None
    ccee_retail_from: date | None = None


class UnitPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields left out (or null) stay as they are; remove_backup_meter drops the backup meter;
    loss_factor with loss_from (and loss_to, exclusive) adds a loss-factor period."""

    customer_name: str | None = None
    submarket: Literal["SE/CO", "S", "NE", "N"] | None = None
    tariff_group: str | None = None
    modality: str | None = None
    supply_voltage_kv: float | None = None
    contracted_demand_ponta_kw: float | None = None
    contracted_demand_fora_ponta_kw: float | None = None
    musd_kw: float | None = None
    main_meter_serial: str | None = None
    backup_meter_serial: str | None = None
    remove_backup_meter: bool = False
    loss_factor: float | None = None
    loss_from: date | None = None
    loss_to: date | None = None
    ccee_retail_from: date | None = None


class ReadRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["intervals", "registers", "instantaneous", "full"] = "intervals"


class ReadRequest(msgspec.Struct):
    id: int
    serial: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    requested_at: datetime
    claimed_at: datetime | None = None
    finished_at: datetime | None = None
    result: Any = None
    error: str | None = None
    href: str = ""


class ImportResult(msgspec.Struct):
    batch_id: int
    format: Literal["csv", "abnt"]
    rows: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: dict[str, int]
    meter_serial: str | None = None
    href: str = ""


class ImportBatch(msgspec.Struct):
    id: int
    source: str
    origin: str | None
    started_at: datetime
    finished_at: datetime | None
    rows_in: int | None
    inserted: int | None
    updated: int | None
    unchanged: int | None
    quarantined: dict[str, int] | None
    quarantine: list[dict[str, Any]]


class Series(msgspec.Struct):
    """rows: one array per bucket, values in the order of `columns` (bucket_start, the asked
    channels with their unit in the name, quality, completeness_pct)."""

    meter_serial: str
    uc_code: str | None
    resolution: str
    units: Literal["engineering", "pulses"]
    tz: str
    from_: datetime = msgspec.field(name="from")
    to: datetime = msgspec.field(name="to")
    columns: list[str] = msgspec.field(default_factory=list)
    rows: list[list[Any]] = msgspec.field(default_factory=list)


class SeriesHead(msgspec.Struct):
    """Series without its rows (the server appends them as built by the database)."""

    meter_serial: str
    uc_code: str | None
    resolution: str
    units: Literal["engineering", "pulses"]
    tz: str
    from_: datetime = msgspec.field(name="from")
    to: datetime = msgspec.field(name="to")
    columns: list[str] = msgspec.field(default_factory=list)
