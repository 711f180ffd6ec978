"""Request and response bodies (msgspec structs). Units are in the field names; times are
RFC 3339 with the offset of the request's time zone (UTC unless `tz` says otherwise)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

# Declared bounds of request fields (issue 17: a value outside them is a 422 naming the field,
# never a database error): text lengths, numeric ranges as the columns hold them.
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
AneelCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$", description="3 digits")]
UcCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{15}$", description="15 digits")]
UcCodeIn = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9][0-9.\-]{11,22}[0-9]$",
        description="15 digits, or 13 (the two check digits are then computed); dots and a dash "
        "as printed on a bill (0.013.479.258.028-10) are allowed",
    ),
]
LossFactor = Annotated[float, msgspec.Meta(ge=0, le=1)]  # a share: 0.025 = 2.5 %
SerialIn = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
AgentCode = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
Kw = Annotated[float, msgspec.Meta(ge=0, le=999_999_999)]  # numeric(12,3)
Kv = Annotated[float, msgspec.Meta(gt=0, le=99_999)]  # numeric(8,3)
Channel = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Constant = Annotated[float, msgspec.Meta(gt=0, le=1e9)]
Channels = Annotated[list[Channel], msgspec.Meta(min_length=1, max_length=12)]


class Problem(msgspec.Struct, omit_defaults=True):
    """An error (RFC 9457 application/problem+json) with our code; 422 names the field."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    field: str | None = None
    errors: list[dict[str, Any]] | None = None
    line: int | None = None


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
    ccee_agent_code: AgentCode
    aneel_code: AneelCode
    name: Name


class DistributorPatch(msgspec.Struct, forbid_unknown_fields=True):
    ccee_agent_code: AgentCode | None = None
    name: Name | None = None


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
    serial: SerialIn
    channel_map: Annotated[list[Channel], msgspec.Meta(min_length=1, max_length=12)] = (
        msgspec.field(
            default_factory=lambda: [
                "active_fwd_kwh",
                "reactive_ind_fwd_kvarh",
                "reactive_cap_fwd_kvarh",
            ]
        )
    )
    manufacturer: Short | None = None
    model: Short | None = None
    protocol: Short = "nbr14522"
    interval_minutes: Literal[5, 15] = 5
    channel_constants: Annotated[list[Constant], msgspec.Meta(max_length=12)] | None = None
    utc_offset_minutes: Annotated[int, msgspec.Meta(ge=-720, le=840)] = -180
    transport: Text | None = None
    max_power_kw: Kw = 100_000.0
    poll_schedule: Short = "daily"


class MeterPatch(msgspec.Struct, forbid_unknown_fields=True):
    manufacturer: Short | None = None
    model: Short | None = None
    transport: Text | None = None
    poll_schedule: Short | None = None
    channel_map: Channels | None = None
    channel_constants: Annotated[list[Constant], msgspec.Meta(max_length=12)] | None = None
    max_power_kw: Kw | None = None
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

    uc_code: UcCodeIn
    distributor_aneel_code: AneelCode
    customer_name: Name
    submarket: Literal["SE/CO", "S", "NE", "N"]
    tariff_group: Short
    modality: Short
    supply_voltage_kv: Kv
    contracted_demand_ponta_kw: Kw | None = None
    contracted_demand_fora_ponta_kw: Kw | None = None
    musd_kw: Kw | None = None
    main_meter_serial: SerialIn | None = None
    backup_meter_serial: SerialIn | None = None
    loss_factor: LossFactor | None = None
    loss_from: date | None = None
    ccee_retail_from: date | None = None


class UnitPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields left out (or null) stay as they are; remove_backup_meter drops the backup meter;
    loss_factor with loss_from (and loss_to, exclusive) adds a loss-factor period."""

    customer_name: Name | None = None
    submarket: Literal["SE/CO", "S", "NE", "N"] | None = None
    tariff_group: Short | None = None
    modality: Short | None = None
    supply_voltage_kv: Kv | None = None
    contracted_demand_ponta_kw: Kw | None = None
    contracted_demand_fora_ponta_kw: Kw | None = None
    musd_kw: Kw | None = None
    main_meter_serial: SerialIn | None = None
    backup_meter_serial: SerialIn | None = None
    remove_backup_meter: bool = False
    loss_factor: LossFactor | None = None
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
    # how the file was read (decimal separator, UTC offset, date order), each with what decided it
    decisions: list[str] | None = None


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


# --- responses of meter data, alarms and rules (issue 17 §3: typed, not dict[str, Any]) ------
# Exact decimals (PostgreSQL numeric: kWh, kW, R$, thresholds) travel as JSON strings, as they
# always did, so no digit is lost to a binary float: `Exact` documents them as such.
Exact = Annotated[str, msgspec.Meta(description="exact decimal number, as a string")]


def exact_row(row: dict[str, Any]) -> dict[str, Any]:
    """A database row with its numeric (Decimal) values as their exact text."""
    from decimal import Decimal

    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


class RegisterRead(msgspec.Struct):
    at: datetime
    period: str
    channel: int
    registers: list[int] | None
    demands: list[int] | None
    read_at: datetime | None


class Instantaneous(msgspec.Struct):
    at: datetime
    values: dict[str, Any]
    reactive_characteristic: str | None


class MeterEventOut(msgspec.Struct):
    at: datetime
    kind: str
    message: str | None
    detail: dict[str, Any] | None


class PollHealth(msgspec.Struct):
    last_attempt_at: datetime | None
    last_outcome: str | None
    last_ok_at: datetime | None
    failures_since_ok: int | None


class PollAttempt(msgspec.Struct):
    started_at: datetime
    duration_ms: int | None
    trigger: str
    attempt: int
    bytes_in: int | None
    bytes_out: int | None
    outcome: str
    error_class: str | None
    error_message: str | None
    clock_drift_s: float | None
    intervals_read: int | None
    intervals_stored: int | None


class Connectivity(msgspec.Struct):
    health: PollHealth | None
    attempts: list[PollAttempt]


class Outage(msgspec.Struct):
    start_at: datetime
    end_at: datetime | None
    duration_s: int | None


class Alteration(msgspec.Struct):
    at: datetime
    command_code: int
    reader_serial: str | None


class Alarm(msgspec.Struct):
    id: int
    state: Literal["open", "acknowledged", "cleared", "closed"]
    rule_code: str
    rule_name: str
    uc_code: str | None
    customer_name: str | None
    meter_serial: str | None
    opened_at: datetime
    last_at: datetime
    value: Exact | None
    value_text: str | None
    threshold: Exact | None
    unit: str | None
    phase: str | None
    occurrences: int
    message: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    ack_comment: str | None
    cleared_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None
    close_comment: str | None


class AlarmRuleThreshold(msgspec.Struct):
    code: str
    name: str
    unit: str | None
    threshold_id: int | None
    level: str | None
    value: Exact | None
    params: dict[str, Any] | None
    enabled: bool | None
    valid_from: datetime | None
    valid_to: datetime | None


class ThresholdSet(msgspec.Struct):
    id: int
    rule: str
    meter_serial: str | None


# Rules: one row type per rule (the columns of its SQL function, 1xx_*.sql); the response is
# tagged by `rule`.
class BillingRow(msgspec.Struct):
    uc_code: str
    month: date
    item: str
    posto: str | None
    quantity: Exact | None
    unit: str | None
    price: Exact | None
    amount: Exact | None


class DemandRow(msgspec.Struct):
    demand_posto: str
    contracted_kw: Exact | None
    measured_kw: Exact | None
    measured_at: datetime | None
    tolerance: Exact | None
    limit_kw: Exact | None
    overrun_kw: Exact | None


class MusdRow(msgspec.Struct):
    uc_code: str
    month: date
    musd_kw: Exact | None
    factor: Exact | None
    limit_kwh: Exact | None
    hours_with_data: int | None
    hours_over: int | None
    max_kwh: Exact | None
    verdict: str | None


class MusdHourRow(msgspec.Struct):
    hour: datetime
    local_hour: datetime
    kwh: Exact | None
    limit_kwh: Exact | None
    excess_kwh: Exact | None


class UferDmcrRow(msgspec.Struct):
    posto: str | None
    ufer_kwh: Exact | None
    dmcr_kw: Exact | None
    dmcr_at: datetime | None
    contracted_kw: Exact | None
    dmcr_excess_kw: Exact | None
    hours: int | None
    p_zero_hours: int | None


class UferDmcrHourRow(msgspec.Struct):
    hour: datetime
    local_hour: datetime
    posto: str | None
    reactive_window: str | None
    minutes: int | None
    p_kwh: Exact | None
    q_kvarh: Exact | None
    s_kvah: Exact | None
    power_factor: Exact | None
    ufer_kwh: Exact | None
    dmcr_kw: Exact | None
    p_zero: bool | None


class ExposureRow(msgspec.Struct):
    uc_code: str
    month: date
    consumption_mwh: Exact | None
    contracted_mwh: Exact | None
    exposure_mwh: Exact | None
    value_brl: Exact | None
    hours_without_pld: int | None


class ExposureHourRow(msgspec.Struct):
    hour: datetime
    local_hour: datetime
    consumption_mwh: Exact | None
    contracted_mwh: Exact | None
    exposure_mwh: Exact | None
    pld: Exact | None
    value_brl: Exact | None


class LastroRow(msgspec.Struct):
    window_from: date
    window_to: date
    consumption_mwh: Exact | None
    contracted_mwh: Exact | None
    shortfall_mwh: Exact | None
    mean_pld: Exact | None
    reference_value: Exact | None
    price: Exact | None
    penalty_brl: Exact | None
    penalty_month_brl: Exact | None


class DataQualityRow(msgspec.Struct):
    """A day the bill rests on that is incomplete or under open VEE findings (`day` null: the
    month's row). Percentages of the expected intervals."""

    day: date | None
    completeness_pct: Exact | None
    threshold_pct: Exact | None
    estimated_intervals: int | None
    open_findings: int | None
    finding_rules: list[str] | None
    finding_ids: list[int] | None
    below_threshold: bool | None


class FiguresRow(msgspec.Struct):
    """The precomputed figures of a UC-month (smf.uc_figures): `fresh` false when computed now
    because the stored row was stale; energy kWh, completeness %, the rule rows as JSON."""

    uc_code: str
    month: date
    fresh: bool
    computed_at: datetime
    energy_kwh: Exact | None
    completeness_pct: Exact | None
    musd_verdict: str | None
    billing: list[dict[str, Any]] | None
    demand: list[dict[str, Any]] | None
    ufer_dmcr: list[dict[str, Any]] | None
    musd: list[dict[str, Any]] | None


class _Rule(msgspec.Struct, tag_field="rule"):
    uc_code: str
    month: str


class BillingRule(_Rule, tag="billing"):
    rows: list[BillingRow]


class DataQualityRule(_Rule, tag="data-quality"):
    rows: list[DataQualityRow]


class FiguresRule(_Rule, tag="figures"):
    rows: list[FiguresRow]


class DemandRule(_Rule, tag="demand"):
    rows: list[DemandRow]


class MusdRule(_Rule, tag="musd"):
    rows: list[MusdRow]


class MusdHoursRule(_Rule, tag="musd-hours"):
    rows: list[MusdHourRow]


class UferDmcrRule(_Rule, tag="ufer-dmcr"):
    rows: list[UferDmcrRow]


class UferDmcrHourlyRule(_Rule, tag="ufer-dmcr-hourly"):
    rows: list[UferDmcrHourRow]


class ExposureRule(_Rule, tag="exposure"):
    rows: list[ExposureRow]


class ExposureHourlyRule(_Rule, tag="exposure-hourly"):
    rows: list[ExposureHourRow]


class LastroRule(_Rule, tag="lastro"):
    rows: list[LastroRow]


RuleResult = (
    BillingRule
    | DataQualityRule
    | FiguresRule
    | DemandRule
    | MusdRule
    | MusdHoursRule
    | UferDmcrRule
    | UferDmcrHourlyRule
    | ExposureRule
    | ExposureHourlyRule
    | LastroRule
)
RULES: dict[str, tuple[type[_Rule], type[msgspec.Struct]]] = {
    "billing": (BillingRule, BillingRow),
    "data-quality": (DataQualityRule, DataQualityRow),
    "figures": (FiguresRule, FiguresRow),
    "demand": (DemandRule, DemandRow),
    "musd": (MusdRule, MusdRow),
    "musd-hours": (MusdHoursRule, MusdHourRow),
    "ufer-dmcr": (UferDmcrRule, UferDmcrRow),
    "ufer-dmcr-hourly": (UferDmcrHourlyRule, UferDmcrHourRow),
    "exposure": (ExposureRule, ExposureRow),
    "exposure-hourly": (ExposureHourlyRule, ExposureHourRow),
    "lastro": (LastroRule, LastroRow),
}
