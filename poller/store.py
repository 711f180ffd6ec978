"""The poller's side of the database: the registry, the read plan and the store of one read.

Every function here is synchronous (db.driver, psycopg); the service runs them in worker threads.
One read is stored in ONE transaction (:func:`db.driver.in_transaction`: run again from the
start after a deadlock or serialisation failure): its intervals through
:func:`db.ingest.ingest_rows` (the only way readings enter the database), registers,
instantaneous values, the battery status (alarm rule l), outages, alterations, events and its
connectivity-log row. EVERY interval read is sent: the ingest's precedence table
(smf.source_precedence: manual > meter > import > backup_meter > estimate) decides whether it
replaces what is stored (history kept, a measured disagreement recorded in
smf.reading_disagreement); an unchanged row costs nothing, so a re-read writes no interval twice.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from db import driver, migrate
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings, load
from poller.protocol.client import Interval, MassMemory
from poller.protocol.codec.instant import Instantaneous
from poller.protocol.codec.mmlayout import DEFAULT_LAYOUT, Layout, parse_layout
from poller.protocol.codec.registers import Registers
from poller.redecode import redecode


@dataclass(frozen=True, slots=True)
class MeterInfo:
    """A registry row of smf.meter the poller needs."""

    id: int
    serial: str
    protocol: str
    interval_minutes: int
    transport: str
    poll_schedule: str
    utc_offset_minutes: int
    channel_map: tuple[str, ...] = ()
    mm_layout: str = "undetermined"  # smf.meter.mm_layout (codec/mmlayout.py)
    register_unit: str = "undetermined"  # smf.meter.register_unit (poller/detect.py)

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.interval_minutes)

    @property
    def utc_offset(self) -> timedelta:
        return timedelta(minutes=self.utc_offset_minutes)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MeterInfo:
        return cls(
            id=row["id"],
            serial=row["serial"],
            protocol=row["protocol"],
            interval_minutes=row["interval_minutes"],
            transport=row["transport"] or "",
            poll_schedule=row["poll_schedule"],
            utc_offset_minutes=row["utc_offset_minutes"],
            channel_map=tuple(row["channel_map"] or ()),
            mm_layout=row.get("mm_layout") or "undetermined",
            register_unit=row.get("register_unit") or "undetermined",
        )


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # smf.meter_event.kind
    message: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None


@dataclass(slots=True)
class Attempt:
    """One session with a meter: the connectivity-log row."""

    meter: MeterInfo
    started_at: datetime
    trigger: str = "schedule"
    attempt: int = 1
    duration_ms: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    outcome: str = "ok"
    error_class: str | None = None
    error_message: str | None = None
    clock_drift_s: float | None = None
    events: list[Event] = field(default_factory=list)
    #: (meter time, raw octet 147 of 0x21): the battery status the parameters reported
    battery: tuple[datetime, int] | None = None
    #: drift (s) left after this session's clock correction (alarm j judges it)
    clock_drift_after_s: float | None = None
    #: clock corrections, deferrals and refusals of this session (smf.clock_correction)
    clock_log: list[ClockLog] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ClockLog:
    """One row of smf.clock_correction (times UTC, drifts in s: meter minus true)."""

    kind: str  # auto, operator
    outcome: str  # corrected, partial, deferred, refused, failed, checked
    method: str | None
    meter_before: datetime | None
    meter_after: datetime | None
    reference_time: datetime
    drift_before_s: float | None
    drift_after_s: float | None
    meter_interval_start: datetime | None
    reason: str
    by_whom: str | None = None


@dataclass(slots=True)
class ReadData:
    """Everything decoded in one successful session, held in memory until it is committed."""

    attempt: Attempt
    intervals: list[Interval]
    #: [lo, hi): the span the meter's memory covered in this read (gap detection window)
    covered: tuple[datetime, datetime] | None
    registers: list[tuple[datetime, Registers]] = field(default_factory=list)
    instantaneous: tuple[datetime, Instantaneous] | None = None
    outages: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    alterations: list[tuple[datetime, int, str]] = field(default_factory=list)
    #: newest interval stored before this read (None: none, or the plan was not available)
    last_stored: datetime | None = None
    #: first interval start of the current period (after the last demand reset)
    current_start: datetime | None = None
    #: the mass-memory reads behind ``intervals`` (raw data kept for other layouts)
    mass_memories: list[MassMemory] = field(default_factory=list)
    #: every response body of the session, in order (stored compressed in smf.raw_read)
    raw_blocks: list[bytes] = field(default_factory=list)
    #: the layout the intervals were decoded with
    layout: Layout = DEFAULT_LAYOUT
    #: (mm_layout, register_unit) to store in smf.meter: a decision made by this read
    profile: tuple[str, str] | None = None
    #: session lease to release in the store's transaction (one connection fewer per read)
    lease_holder: str | None = None
    #: quality per interval start where not 'measured' (DLMS profile status)
    qualities: dict[datetime, str] = field(default_factory=dict)
    #: raw_read.layout for reads that are not NBR 14522 mass memory (e.g. 'dlms')
    raw_layout: str | None = None
    #: DLMS decisions to store: (profile_kind, energy_unit, capture objects JSON, channel map)
    dlms_decisions: tuple[str, str, str, list[str]] | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    batch_id: int | None
    inserted: int
    gaps: list[tuple[datetime, datetime, int]]
    #: stored intervals this read replaced (it outranks their source, or equal rank and newer)
    updated: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """What the database still wants from a meter over the span the meter can deliver."""

    missing: frozenset[datetime]
    last_stored: datetime | None


@dataclass(frozen=True, slots=True)
class DlmsLinkSettings:
    client_sap: int
    server_logical: int
    server_physical: int | None


@dataclass(frozen=True, slots=True)
class DlmsSessionContext:
    link: DlmsLinkSettings
    session: Any  # poller.dlms.session.DlmsContext


# --- registry --------------------------------------------------------------------------------
def load_registry(settings: Settings | str | None) -> list[tuple[MeterInfo, datetime | None]]:
    """Enabled meters with a transport, ordered by id, with the start of their last successful
    session (None if never). Raises DatabaseUnavailable."""
    with driver.connect(settings) as conn:
        rows = driver.run(conn, "poll_registry")
    return [(MeterInfo.from_row(r), r["last_ok_at"]) for r in rows]


def meter_by_serial(settings: Settings | str | None, serial: str) -> MeterInfo | None:
    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "poll_meter_by_serial", serial=serial)
    return None if row is None else MeterInfo.from_row(row)


def as_settings(settings: Settings | str | None) -> Settings:
    """A Settings for a URL (or the environment's for None): what read_requests and
    db.migrate take."""
    if isinstance(settings, Settings):
        return settings
    base = load()
    return base if settings is None else replace(base, external_url=settings)


def require_head(settings: Settings | str | None) -> None:
    """Raise db.errors.SchemaNotAtHead unless the database is at this checkout's head."""
    migrate.require_head(as_settings(settings))


def meter_for_request(settings: Settings | str | None, serial: str) -> MeterInfo:
    """The registry row of a meter an on-demand read asks for; LookupError saying why it
    cannot be read (unknown, disabled or retired, no transport, import only)."""
    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "poll_meter_by_serial", serial=serial)
    if row is None:
        raise LookupError(f"no meter with serial {serial!r} in smf.meter")
    if not row["enabled"]:
        raise LookupError(f"meter {serial} is disabled or retired (smf.meter.enabled): not read")
    if not row["transport"] or row["protocol"] == "import_only":
        raise LookupError(f"meter {serial} has no transport the poller reads (import only)")
    return MeterInfo.from_row(row)


def meters_due_monitoring(settings: Settings | str | None, now: datetime) -> list[int]:
    """Ids of meters under 15-minute monitoring whose last session is 15 minutes old or more
    (``now`` is wall-clock UTC: it is compared with smf.poll_attempt.started_at)."""
    with driver.connect(settings) as conn:
        return [r["meter_id"] for r in driver.run(conn, "meters_due_monitoring", now=now)]


def plan(settings: Settings | str | None, meter: MeterInfo, lo: datetime, hi: datetime) -> Plan:
    """Missing interval starts of ``meter`` in [lo, hi) and its newest stored interval."""
    with driver.connect(settings) as conn:
        missing = driver.run(conn, "poll_missing_intervals", meter_id=meter.id, lo=lo, hi=hi)
        last = driver.run_one(conn, "poll_last_interval", meter_id=meter.id)
    return Plan(frozenset(r["ts"] for r in missing), last["ts"] if last else None)


# --- store -----------------------------------------------------------------------------------
def _attempt_params(a: Attempt, stored: int, batch_id: int | None, n_read: int) -> dict[str, Any]:
    return dict(
        meter_id=a.meter.id,
        started_at=a.started_at,
        duration_ms=a.duration_ms,
        trigger=a.trigger,
        attempt=a.attempt,
        bytes_in=a.bytes_in,
        bytes_out=a.bytes_out,
        outcome=a.outcome,
        error_class=a.error_class,
        error_message=a.error_message,
        clock_drift_s=None if a.clock_drift_s is None else round(a.clock_drift_s, 1),
        clock_drift_after_s=None
        if a.clock_drift_after_s is None
        else round(a.clock_drift_after_s, 1),
        intervals_read=n_read,
        intervals_stored=stored,
        batch_id=batch_id,
    )


def _events(conn: Any, meter_id: int, events: Sequence[Event]) -> None:
    for e in events:
        driver.run(
            conn,
            "poll_insert_event",
            meter_id=meter_id,
            at=e.at,
            kind=e.kind,
            message=e.message,
            detail=json.dumps(e.detail, default=str),
            dedupe_key=e.dedupe_key,
        )


def _clock_log(conn: Any, a: Attempt) -> None:
    for c in a.clock_log:
        driver.run(
            conn,
            "clock_correction_insert",
            meter_id=a.meter.id,
            at=a.started_at,
            kind=c.kind,
            outcome=c.outcome,
            method=c.method,
            meter_before=c.meter_before,
            meter_after=c.meter_after,
            reference_time=c.reference_time,
            drift_before_s=None if c.drift_before_s is None else round(c.drift_before_s, 1),
            drift_after_s=None if c.drift_after_s is None else round(c.drift_after_s, 1),
            meter_interval_start=c.meter_interval_start,
            reason=c.reason,
            by_whom=c.by_whom,
        )


def clock_context(
    settings: Settings | str | None, meter_id: int, interval_start: datetime
) -> tuple[Any, bool]:
    """(ClockPolicy of the meter, already corrected in the interval starting there)."""
    from poller.clock import ClockPolicy

    with driver.connect(settings) as conn:
        r = driver.run_one(conn, "clock_context", meter_id=meter_id, interval_start=interval_start)
    assert r is not None
    policy = ClockPolicy(
        r["auto_correct"], r["correct_min_s"], r["correct_max_s"], r["boundary_guard_s"]
    )
    return policy, bool(r["corrected"])


def _battery(conn: Any, a: Attempt) -> None:
    """The battery octet the parameters reported, for alarm rule l (evaluated by a trigger)."""
    if a.battery is not None:
        at, raw = a.battery
        driver.run(
            conn, "alarm_record_status", meter_id=a.meter.id, at=at, battery_raw=raw, source="poll"
        )


def store_attempt(settings: Settings | str | None, attempt: Attempt) -> None:
    """Commit the log row (and events) of a session that produced no data."""

    def work(conn: driver.Connection) -> None:
        _battery(conn, attempt)
        _clock_log(conn, attempt)
        _events(conn, attempt.meter.id, attempt.events)
        driver.run(conn, "poll_insert_attempt", **_attempt_params(attempt, 0, None, 0))

    driver.in_transaction(settings, work)


def store_read(settings: Settings | str | None, read: ReadData) -> Stored:
    """Commit one read in one transaction; returns the batch, new intervals and remaining gaps.

    Raises DatabaseUnavailable (retry later: nothing was written) or BatchRejected.
    """
    return driver.in_transaction(settings, lambda conn: _store_read(conn, read))


def _store_read(conn: driver.Connection, read: ReadData) -> Stored:
    a, m = read.attempt, read.attempt.meter
    batch_id, inserted, updated = None, 0, 0
    if read.intervals and read.covered is not None:
        rows = [
            IntervalRow(
                ts=iv.start,
                meter_id=m.id,
                values={k: v for k, v in iv.values.items() if v is not None},
                quality=read.qualities.get(iv.start, "measured"),
                source="meter",
            )
            for iv in read.intervals
        ]
        if rows:
            origin = f"poll {m.serial} {a.started_at.isoformat()}"
            result = ingest_rows(conn, rows, source="meter", origin=origin)
            batch_id, inserted, updated = result.batch_id, result.inserted, result.updated
    _battery(conn, a)
    _clock_log(conn, a)
    if read.dlms_decisions is not None:
        kind, unit, captures, channel_map = read.dlms_decisions
        driver.run(
            conn,
            "dlms_set_decisions",
            meter_id=m.id,
            profile_kind=kind,
            energy_unit=unit,
            capture_objects=captures,
        )
        if channel_map:
            driver.run(conn, "dlms_set_channel_map", meter_id=m.id, channel_map=channel_map)
    for at, regs in read.registers:
        period = "previous" if regs.code == 0x24 else "current"
        for i, ch in enumerate(regs.channels, start=1):
            driver.run(
                conn,
                "poll_insert_register",
                meter_id=m.id,
                at=at,
                period=period,
                channel=i,
                registers=list(ch.registers),
                demands=list(ch.demands),
            )
    if read.instantaneous is not None:
        at, inst = read.instantaneous
        driver.run(
            conn,
            "poll_insert_instantaneous",
            meter_id=m.id,
            at=at,
            values=json.dumps(inst.values),
            reactive_characteristic=inst.reactive_characteristic,
        )
    for start, end in read.outages:
        driver.run(conn, "poll_upsert_outage", meter_id=m.id, start_at=start, end_at=end)
    for at, code, reader in read.alterations:
        driver.run(
            conn,
            "poll_insert_alteration",
            meter_id=m.id,
            at=at,
            command_code=code,
            reader_serial=reader,
        )
    gaps: list[tuple[datetime, datetime, int]] = []
    if read.covered is not None:
        lo, hi = read.covered
        if read.last_stored is not None:
            lo = min(lo, read.last_stored + m.step)  # also what the meter no longer holds
        gaps = [
            (g["gap_start"], g["gap_end"], g["intervals"])
            for g in driver.run(conn, "poll_gaps", meter_id=m.id, lo=lo, hi=hi)
        ]
    events = list(a.events)
    for g0, g1, n in gaps:
        events.append(
            Event(
                "gap",
                f"{n} interval(s) missing from {g0.isoformat()} to {g1.isoformat()} "
                "after a complete read: the meter no longer holds them or they were "
                "quarantined",
                a.started_at,
                {"from": g0.isoformat(), "to": g1.isoformat(), "intervals": n},
                dedupe_key=f"{g0.isoformat()}/{g1.isoformat()}",
            )
        )
    if read.raw_blocks:
        driver.run(
            conn,
            "poll_insert_raw_read",
            meter_id=m.id,
            read_at=a.started_at,
            layout=read.raw_layout or read.layout.value,
            n_blocks=len(read.raw_blocks),
            blocks=zlib.compress(b"".join(read.raw_blocks), 6),
        )
    if read.profile is not None:
        layout_name, unit = read.profile
        driver.run(
            conn, "poll_set_profile", meter_id=m.id, mm_layout=layout_name, register_unit=unit
        )
        decided = parse_layout(layout_name)
        if decided is not None:
            # Reads stored before the decision were decoded with a guess: correct them
            # from their raw blocks, through the ingest path (history kept).
            done = redecode(conn, m, decided, only_other_layouts=True)
            if done.reads:
                events.append(
                    Event(
                        "redecoded",
                        f"{done.reads} earlier read(s) re-decoded as {decided.value}: "
                        f"{done.updated} interval(s) corrected, {done.inserted} added",
                        a.started_at,
                        {
                            "layout": decided.value,
                            "reads": done.reads,
                            "updated": done.updated,
                            "inserted": done.inserted,
                        },
                        dedupe_key=f"{decided.value}@{a.started_at.isoformat()}",
                    )
                )
    _events(conn, m.id, events)
    driver.run(
        conn,
        "poll_insert_attempt",
        **_attempt_params(a, inserted + updated, batch_id, len(read.intervals)),
    )
    if read.lease_holder is not None:
        driver.run(conn, "poll_lease_release", meter_id=m.id, holder=read.lease_holder)
    return Stored(batch_id, inserted, gaps, updated)


def register_meters(settings: Settings | str | None, meters: Sequence[dict[str, Any]]) -> list[int]:
    """Upsert meters (keys of the poll_upsert_emulated_meter query); returns their ids."""
    ids = []
    with driver.connect(settings) as conn:
        for params in meters:
            row = driver.run_one(conn, "poll_upsert_emulated_meter", **params)
            assert row is not None
            ids.append(int(row["id"]))
    return ids


def export_intervals(
    settings: Settings | str | None, meter_id: int, lo: datetime, hi: datetime
) -> list[dict[str, Any]]:
    with driver.connect(settings) as conn:
        return driver.run(conn, "poll_export_intervals", meter_id=meter_id, lo=lo, hi=hi)


def poll_health(settings: Settings | str | None, meter_id: int) -> dict[str, Any] | None:
    with driver.connect(settings) as conn:
        return driver.run_one(conn, "poll_health", meter_id=meter_id)


def lease_acquire(
    settings: Settings | str | None, meter_id: int, holder: str, seconds: int
) -> bool:
    """Take the meter's session lease (across processes); False when another poller holds it."""
    with driver.connect(settings) as conn:
        return bool(
            driver.run_scalar(
                conn, "poll_lease_acquire", meter_id=meter_id, holder=holder, seconds=seconds
            )
        )


def lease_release(settings: Settings | str | None, meter_id: int, holder: str) -> None:
    with driver.connect(settings) as conn:
        driver.run(conn, "poll_lease_release", meter_id=meter_id, holder=holder)


def prune_raw_reads(settings: Settings | str | None, now: datetime) -> int:
    """Delete raw reads older than smf.setting 'raw_block_retention_days' (default 90) before
    ``now``; returns how many (smf.raw_read_prune)."""
    with driver.connect(settings) as conn:
        return int(driver.run_scalar(conn, "poll_raw_read_prune", now=now))
