"""One DLMS session: the conversation with a DLMS/COSEM meter, producing the same ReadData as
an NBR 14522 session (so the outbox, store, ingest, raw-data retention and events are shared).

One read = association; device id (0.0.96.1.0.255, checked against the registered serial when
the meter offers it); the clock (drift, then the clock policy of poller/clock.py: set by
shift_time, or by writing the time when the move is over 900 s); the profile's capture objects,
capture period (an interval other than the registered one stores nothing, as for NBR 14522)
and each column's scaler_unit; the buffer by range (selective access) from the first interval
the database misses; the power-failure and power-quality logs and the instantaneous values
(optional: a meter without them is read anyway); release.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from poller.protocol.client import Interval
from poller.protocol.codec.instant import Instantaneous
from poller.protocol.errors import WrongMeterError
from poller.store import Attempt, Event, ReadData

from . import axdr
from .client import DlmsClient, ScalerUnit
from .errors import ObjectUnavailableError
from .profile import ENERGY_UNITS, columns, decide_kind, decode_rows

if TYPE_CHECKING:
    from poller.config import PollerConfig
    from poller.store import Plan

log = logging.getLogger("smf.poller")

POWER_FAILURE_LOG = bytes((0, 0, 99, 97, 0, 255))
POWER_QUALITY_LOG = bytes((0, 0, 99, 98, 4, 255))
#: event logs of (clock, event code) entries → meter_log events
EVENT_LOGS = (
    ("standard event log", bytes((0, 0, 99, 98, 0, 255))),
    ("power quality log", POWER_QUALITY_LOG),
)
#: instantaneous registers → the keys of smf.instantaneous_reading.values (as NBR's 0x14)
INSTANT = {
    "1.0.32.7.0.255": "VA",
    "1.0.52.7.0.255": "VB",
    "1.0.72.7.0.255": "VC",
    "1.0.31.7.0.255": "IA",
    "1.0.51.7.0.255": "IB",
    "1.0.71.7.0.255": "IC",
    "1.0.1.7.0.255": "P3",
    "1.0.14.7.0.255": "frequency",
}


@dataclass(frozen=True, slots=True)
class DlmsContext:
    """What the database says about a DLMS meter (smf.dlms_meter, decisions, maps)."""

    profile_obis: str
    status_scheme: str
    profile_kind: str
    energy_unit: str
    obis_map: Mapping[str, tuple[str, str]]
    status_table: Mapping[int, tuple[str, list[str]]]


class IntervalMismatchError(Exception):
    """Raised through poller.session.IntervalMismatch by the caller."""


async def converse(
    client: DlmsClient,
    attempt: Attempt,
    ctx: DlmsContext,
    config: PollerConfig,
    clock_step: Callable[..., Awaitable[bool]],
    plan: Callable[[datetime, datetime], Awaitable[Plan | None]],
    check_interval: Callable[[float], None],
) -> ReadData:
    m = attempt.meter
    await client.associate()
    serial = await client.read_device_id()
    if serial is not None and serial != m.serial:
        attempt.events.append(
            Event(
                "serial_changed",
                f"meter at {m.transport} answers with device id {serial}, registered as "
                f"{m.serial}: meter replaced or wiring changed; nothing read",
                attempt.started_at,
                {"expected": m.serial, "found": serial},
                dedupe_key=serial,
            )
        )
        raise WrongMeterError(
            f"meter at {m.transport} answers with device id {serial}, registered as {m.serial}"
        )
    clock = await client.read_clock()
    now = config.clock()
    meter_now = axdr.local_to_utc(clock.local, m.utc_offset)

    async def dlms_shift(shift_s: float, meter_est: datetime) -> tuple[datetime, str]:
        if abs(shift_s) <= 900:  # the clock's shift_time method: relative, no transit error
            await client.shift_time(round(shift_s))
            method = "dlms_shift_time"
        else:
            await client.set_clock(
                axdr.utc_to_local(meter_est + timedelta(seconds=shift_s), m.utc_offset)
            )
            method = "dlms_set_time"
        back = await client.read_clock()
        return axdr.local_to_utc(back.local, m.utc_offset), method

    await clock_step(attempt, meter_now, now, dlms_shift, client.read_clock)
    profile = axdr.obis_bytes(ctx.profile_obis)
    captures = await client.read_capture_objects(profile)
    period = await client.read_capture_period(profile)
    check_interval(float(period))
    cols = columns(captures, ctx.obis_map)
    scalers: dict[str, ScalerUnit] = {}
    unit_evidence: dict[str, str] = {}
    for c in cols:
        if c.role != "channel":
            continue
        try:
            su = await client.read_scaler_unit(c.capture.class_id, c.capture.obis)
        except ObjectUnavailableError as exc:
            unit_evidence[c.capture.obis] = f"attribute 3 unreadable ({exc})"
            continue
        energy = c.kind in ("interval", "cumulative")
        if energy and su.unit not in ENERGY_UNITS:
            unit_evidence[c.capture.obis] = f"unit {su.unit_name} is not an energy unit"
            continue
        scalers[c.capture.obis] = su
        unit_evidence[c.capture.obis] = f"scaler {su.scaler}, unit {su.unit_name}"
    energy_cols = [c for c in cols if c.role == "channel" and c.kind in ("interval", "cumulative")]
    energy_ok = all(c.capture.obis in scalers for c in energy_cols)
    override = ctx.energy_unit if ctx.energy_unit in ("wh", "kwh") else None
    if not energy_ok and override:
        for c in energy_cols:
            if c.capture.obis not in scalers:
                scalers[c.capture.obis] = ScalerUnit(0 if override == "wh" else 3, 30)
        energy_unit = override
    else:
        energy_unit = "attribute3" if energy_ok else "undetermined"
    # --- the buffer, by range from the first interval the database misses -----------------
    step = m.step
    hi = _floor(now, step)
    lo_wanted = hi - config.dlms_first_read
    p = await plan(lo_wanted, hi)
    if p is not None and p.missing:
        first = min(p.missing)
    elif p is not None:
        first = hi  # nothing missing: read only what closed since
        if p.last_stored is not None:
            first = p.last_stored + step
    else:
        first = lo_wanted
    cumulative_stored = ctx.profile_kind == "cumulative"
    from_stamp = (
        first
        + step
        - (step if cumulative_stored or ctx.profile_kind == "undetermined" else timedelta(0))
    )
    to_stamp = _floor(meter_now, step) + step
    rows: list[tuple[Any, ...]] = []
    if from_stamp <= to_stamp:
        rows = await client.read_buffer(
            profile,
            axdr.utc_to_local(from_stamp, m.utc_offset),
            axdr.utc_to_local(to_stamp, m.utc_offset),
        )
    kind = decide_kind(cols, rows, ctx.profile_kind)
    read = ReadData(attempt, [], None)
    read.raw_layout = "dlms"
    at = attempt.started_at
    if kind.kind != ctx.profile_kind and kind.kind != "undetermined":
        attempt.events.append(
            Event(
                "profile_kind_decided",
                kind.text() + (" (contradicts the OBIS codes)" if kind.contradiction else ""),
                at,
                {"kind": kind.kind, "by": kind.by, "evidence": kind.evidence},
                dedupe_key=kind.kind,
            )
        )
    if energy_unit != ctx.energy_unit:
        attempt.events.append(
            Event(
                "energy_unit_decided",
                f"energy scaling {energy_unit}: "
                + "; ".join(f"{k}: {v}" for k, v in unit_evidence.items()),
                at,
                {"energy_unit": energy_unit, "evidence": unit_evidence},
                dedupe_key=energy_unit,
            )
        )
    unknown = [c.capture.obis for c in cols if c.role == "unknown"]
    if unknown:
        attempt.events.append(
            Event(
                "unknown_obis",
                f"profile column(s) {', '.join(unknown)} not in smf.dlms_obis_channel: kept raw "
                "(smf.raw_read), not stored as channels",
                at,
                {"obis": unknown},
                dedupe_key=",".join(unknown),
            )
        )
    store_kind = kind.kind
    if store_kind == "undetermined" or energy_unit == "undetermined":
        attempt.events.append(
            Event(
                "profile_kind_decided" if store_kind == "undetermined" else "energy_unit_decided",
                "profile not stored: "
                + (
                    kind.text()
                    if store_kind == "undetermined"
                    else "the energy unit is undetermined (attribute 3 "
                    f"unreadable; set it with `smf meter set {m.serial} --dlms-energy-unit wh|kwh`)"
                ),
                at,
                {"kind": store_kind, "energy_unit": energy_unit},
                dedupe_key="undetermined",
            )
        )
        rows_to_store: list[tuple[Any, ...]] = []
    else:
        rows_to_store = rows
    dec = decode_rows(
        cols, rows_to_store, scalers, store_kind, step, m.utc_offset, ctx.status_table
    )
    for start, values, quality, _status in dec.intervals:
        if start < first and store_kind == "cumulative":
            continue
        read.intervals.append(Interval(start, values))
        if quality != "measured":
            read.qualities[start] = quality
    if dec.flagged:
        attempt.events.append(
            Event(
                "profile_status",
                "profile status: " + ", ".join(f"{k} x{v}" for k, v in sorted(dec.flagged.items())),
                at,
                {"flags": dec.flagged},
                dedupe_key=at.isoformat(),
            )
        )
    if dec.duplicates or dec.cumulative_breaks:
        attempt.events.append(
            Event(
                "profile_status",
                f"{len(dec.duplicates)} interval(s) stamped twice (the later entry kept), "
                f"{len(dec.cumulative_breaks)} register decrease(s) (interval left empty)",
                at,
                {
                    "duplicates": [d.isoformat() for d in dec.duplicates],
                    "breaks": [b.isoformat() for b in dec.cumulative_breaks],
                },
                dedupe_key=f"dup@{at.isoformat()}",
            )
        )
    if read.intervals:
        read.covered = (min(first, read.intervals[0].start), read.intervals[-1].start + step)
    elif rows_to_store or (p is not None and not p.missing):
        read.covered = (first, max(first, _floor(meter_now, step)))
    read.last_stored = p.last_stored if p else None
    channel_map = sorted(
        {c.channel for c in cols if c.role == "channel" and c.channel}, key=_channel_order
    )
    read.dlms_decisions = (
        store_kind if store_kind != "undetermined" else ctx.profile_kind,
        energy_unit,
        json.dumps(
            [
                {
                    "class": c.capture.class_id,
                    "obis": c.capture.obis,
                    "role": c.role,
                    "channel": c.channel,
                }
                for c in cols
            ]
        ),
        channel_map,
    )
    # --- logs and instantaneous values (optional) -------------------------------------------
    await _logs(client, read, m.utc_offset)
    await _instantaneous(client, read, meter_now)
    read.raw_blocks = list(client.responses)
    return read


def _floor(t: datetime, step: timedelta) -> datetime:
    s = int(step.total_seconds())
    return datetime.fromtimestamp(int(t.timestamp()) // s * s, t.tzinfo)


def _channel_order(name: str) -> int:
    from db.channels import QUANTITY_NAMES

    return QUANTITY_NAMES.index(name) if name in QUANTITY_NAMES else 99


async def _logs(client: DlmsClient, read: ReadData, offset: timedelta) -> None:
    try:
        failures = await client.get(7, POWER_FAILURE_LOG, 2)
    except ObjectUnavailableError:
        failures = None
    for e in failures if isinstance(failures, list) else []:
        if (
            isinstance(e, tuple)
            and len(e) >= 2
            and isinstance(e[0], bytes)
            and isinstance(e[1], int)
        ):
            end_local = axdr.parse_datetime(e[0]).local
            if end_local is not None:
                end = axdr.local_to_utc(end_local, offset)
                read.outages.append((end - timedelta(seconds=e[1]), end))
    for name, obis in EVENT_LOGS:
        try:
            entries = await client.get(7, obis, 2)
        except ObjectUnavailableError:
            continue
        code_obis = axdr.obis_text(obis)
        for e in entries if isinstance(entries, list) else []:
            if not (isinstance(e, tuple) and len(e) >= 2 and isinstance(e[0], bytes)):
                continue
            t_local = axdr.parse_datetime(e[0]).local
            if t_local is None:
                continue
            t = axdr.local_to_utc(t_local, offset)
            read.attempt.events.append(
                Event(
                    "meter_log",
                    f"{name}: event code {e[1]} at {t.isoformat()}",
                    t,
                    {"log": code_obis, "code": e[1]},
                    dedupe_key=f"{code_obis}/{t.isoformat()}/{e[1]}",
                )
            )


async def _instantaneous(client: DlmsClient, read: ReadData, meter_now: datetime) -> None:
    values: dict[str, float | None] = {}
    for obis, key in INSTANT.items():
        try:
            raw = await client.read_value(3, obis)
            su = await client.read_scaler_unit(3, obis)
        except ObjectUnavailableError:
            continue
        if isinstance(raw, int):
            # W for power (as smf.setting instantaneous_power_unit says of NBR's 0x14), V, A, Hz
            values[key] = float(Decimal(raw).scaleb(su.scaler))
    if values:
        read.instantaneous = (
            meter_now,
            Instantaneous(read.attempt.meter.serial, None, values, "", b"", 0),
        )
