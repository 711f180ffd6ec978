"""The poller service: reads every enabled meter on its schedule and stores what it read.

One read (a session) = parameters 0x21 (serial and clock check, time set when the drift is
between 1 and 60 minutes), registers 0x23/0x24, instantaneous 0x14, outages 0x25, alteration log
0x28, then the mass memory: the current period (0x26/0x52), and the previous one (0x27) when the
database misses intervals that lie in it (after a demand reset, or to fill a gap). Optional
commands a meter does not implement (0x39) are skipped; a missing essential one fails the read.

Concurrency: asyncio; a semaphore caps open connections; a lock per meter means never two
sessions on one meter; a failing meter sleeps its backoff without holding a connection slot.

Retry policy, by who detected the error (poller/protocol/errors.py):
* PollerDetectedError (timeout, CRC, short frame, sequence break, connection lost): reconnect
  and retry up to ``retries`` times with exponential backoff; after that the meter is retried on
  a growing backoff, never later than its next scheduled poll.
* WAIT or NAK storm (the meter is busy or cannot hear us): one deferred retry after
  ``busy_delay``, no more in this cycle.
* Another serial (meter replaced), occurrence 0x40, essential command not implemented: no
  retry; a specific log row (and a ``serial_changed`` event).

Database outages: a decoded read is kept IN MEMORY and its store retried with backoff
(``pending``) until it commits; the read is never redone for that reason. The mass memory is
read whole and stored in one transaction, so nothing is ever half-written; if the process dies
with reads pending, the next read fetches the same intervals again from the meter (it still
holds them: the database asks for every interval it misses).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from db.errors import DatabaseUnavailable, RetryableConflict
from db.settings import Settings
from poller import connect, store
from poller.connect import ConfigurationError
from poller.detect import DEFAULT_TOLERANCE, decide, parse_unit
from poller.protocol.client import Interval, MassMemory, MeterClient
from poller.protocol.codec.massmem import period_anchor
from poller.protocol.codec.mmlayout import DEFAULT_LAYOUT, UNDETERMINED, parse_layout
from poller.protocol.codec.params import Parameters
from poller.protocol.errors import (
    CommandNotImplementedError,
    DecodeError,
    MeterReportedError,
    NakStormError,
    NBR14522Error,
    PollerDetectedError,
    WaitStormError,
    WrongMeterError,
)
from poller.protocol.link import Link, LinkLimits, LinkTimers, WrappedLink
from poller.protocol.transport import Transport
from poller.schedule import Backoff, next_due
from poller.store import Attempt, Event, MeterInfo, ReadData, Stored

log = logging.getLogger("smf.poller")
T = TypeVar("T")


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PollerConfig:
    max_connections: int = 64  # open meter sessions at once
    max_db_writers: int = 4  # concurrent store transactions (the pool holds 15)
    tcp_timers: LinkTimers = field(default_factory=LinkTimers.tcp)
    serial_timers: LinkTimers = field(default_factory=LinkTimers.serial)
    limits: LinkLimits = field(default_factory=LinkLimits)
    reader_serial: str = "000000"
    retries: int = 2  # extra sessions after a poller-detected error, in one cycle
    retry_backoff: Backoff = field(default_factory=lambda: Backoff(base=2.0, cap=60.0))
    busy_delay: float = 30.0  # before the one retry after a WAIT/NAK storm
    cycle_backoff: Backoff = field(default_factory=lambda: Backoff(base=60.0, cap=3600.0))
    store_backoff: Backoff = field(default_factory=lambda: Backoff(base=0.5, cap=30.0))
    store_attempts: int = 6  # inline store tries before the read waits in `pending`
    db_timeout: float = 10.0  # for the read plan; past it the read asks the meter for all
    clock_correct_min: timedelta = timedelta(minutes=1)
    clock_correct_max: timedelta = timedelta(minutes=60)
    gap_rounds: int = 2  # re-requests of a period for intervals still missing
    settle: timedelta = timedelta(minutes=2)
    registry_refresh: float = 60.0
    tick: float = 1.0
    session_lease_s: int = 900  # a crashed poller's claim on a meter expires after this
    clock: Callable[[], datetime] = system_clock
    #: relative tolerance of the register check (plus one pulse per interval, see detect.py)
    plausibility_tolerance: float = DEFAULT_TOLERANCE


@dataclass(slots=True)
class PollResult:
    """The outcome of one poll cycle of one meter (possibly several sessions)."""

    serial: str
    outcome: str  # smf.poll_attempt.outcome of the last session
    sessions: int = 0
    error: str | None = None
    intervals_read: int = 0
    intervals_stored: int = 0
    committed: bool = False  # False with outcome 'ok': the read waits in memory for the DB
    clock_drift_s: float | None = None
    events: list[str] = field(default_factory=list)
    answer_to_commit_s: float | None = None  # last meter answer → transaction committed

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def classify(exc: BaseException) -> str:
    """smf.poll_attempt.outcome for a session that raised ``exc``."""
    if isinstance(exc, WrongMeterError):
        return "wrong_meter"
    if isinstance(exc, (WaitStormError, NakStormError)):
        return "meter_busy"
    if isinstance(exc, CommandNotImplementedError):
        return "not_implemented"
    if isinstance(exc, MeterReportedError):
        return "meter_refused"
    return "link_error"


def is_transient_db_error(exc: BaseException) -> bool:
    """True for "the database is not reachable now" or a deadlock: retry the store later.
    db.driver translates both (DatabaseUnavailable, RetryableConflict); OS-level connection
    errors can also surface before the driver is involved."""
    return isinstance(exc, (DatabaseUnavailable, RetryableConflict, ConnectionError, TimeoutError))


def open_link(meter: MeterInfo, config: PollerConfig) -> tuple[Transport, Link | WrappedLink]:
    """Transport and link layer for ``meter.transport`` (see poller/connect.py)."""
    return connect.open_link(
        meter, config.tcp_timers, config.serial_timers, config.limits, config.reader_serial
    )


async def _optional(op: Awaitable[T]) -> T | None:
    """A read the meter may not implement (0x39): None instead of failing the session."""
    try:
        return await op
    except CommandNotImplementedError:
        return None


def _merge_intervals(mms: Iterable[MassMemory]) -> list[Interval]:
    """Intervals of several mass-memory reads, one per start (the latest wins), oldest first."""
    got: dict[datetime, Interval] = {}
    for mm in mms:
        for iv in mm.intervals:
            got[iv.start] = iv
    return [got[t] for t in sorted(got)]


class IntervalMismatch(Exception):
    """The meter's MM interval (0x21) differs from the registered one: the read is quarantined."""


def _utc(client: MeterClient, local: datetime | None, what: str) -> datetime:
    t = client.to_utc(local)
    if t is None:
        raise DecodeError(f"meter reports no {what}")
    return t


@dataclass(slots=True)
class _MeterState:
    meter: MeterInfo
    next_at: datetime | None
    failures: int = 0
    task: asyncio.Task[PollResult] | None = None
    requested: bool = False  # an on-demand read was asked for since the cycle started


class Poller:
    """Polls meters into the database at ``settings`` (a Settings, URL or None = default)."""

    def __init__(
        self, settings: Settings | str | None = None, config: PollerConfig | None = None
    ) -> None:
        self.settings = settings
        self.config = config or PollerConfig()
        self._conn_sem = asyncio.Semaphore(self.config.max_connections)
        self._db_sem = asyncio.Semaphore(self.config.max_db_writers)
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        #: reads decoded but not yet committed (the database was unreachable), per meter id
        self.pending: dict[int, list[ReadData]] = defaultdict(list)
        #: connectivity-log rows of failed sessions not yet committed
        self.pending_attempts: list[Attempt] = []
        self._states: dict[int, _MeterState] = {}

    # --- database, off the event loop ---------------------------------------------------------
    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        async with self._db_sem:
            return await asyncio.to_thread(fn, self.settings, *args)

    @property
    def pending_count(self) -> int:
        return sum(len(v) for v in self.pending.values()) + len(self.pending_attempts)

    async def _store(self, read: ReadData, attempts: int | None = None) -> Stored | None:
        """Commit ``read``, retrying with backoff while the database is unreachable. On giving
        up, the read stays in ``pending`` (flushed by :meth:`flush`); None then."""
        queue = self.pending[read.attempt.meter.id]
        if read not in queue:
            queue.append(read)
        limit = self.config.store_attempts if attempts is None else attempts
        for n in range(limit):
            try:
                stored = await self._db(store.store_read, read)
            except Exception as exc:
                if not is_transient_db_error(exc):
                    queue.remove(read)
                    read.attempt.outcome, read.attempt.error_class = (
                        "store_failed",
                        type(exc).__name__,
                    )
                    read.attempt.error_message = f"store rejected: {exc}"
                    log.error(
                        "meter %s: read dropped, store rejected: %s", read.attempt.meter.serial, exc
                    )
                    await self._log_attempt(read.attempt)
                    raise
                log.warning(
                    "meter %s: database unavailable (%s); store retry %d",
                    read.attempt.meter.serial,
                    exc,
                    n + 1,
                )
                if n + 1 < limit:
                    await asyncio.sleep(self.config.store_backoff.delay(n))
                continue
            queue.remove(read)
            return stored
        return None

    async def _log_attempt(self, attempt: Attempt) -> None:
        try:
            await self._db(store.store_attempt, attempt)
        except Exception as exc:
            if not is_transient_db_error(exc):
                raise
            self.pending_attempts.append(attempt)

    async def flush(self, timeout: float | None = None) -> bool:
        """Retry every pending store until all commit (True) or ``timeout`` seconds pass."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        n = 0
        while self.pending_count:
            for meter_id in list(self.pending):
                async with self._locks[meter_id]:
                    for read in list(self.pending[meter_id]):
                        if await self._store(read, attempts=1) is None:
                            break
            while self.pending_attempts:
                a = self.pending_attempts.pop(0)
                try:
                    await self._db(store.store_attempt, a)
                except Exception as exc:
                    self.pending_attempts.insert(0, a)
                    if not is_transient_db_error(exc):
                        raise
                    break
            if not self.pending_count:
                break
            if deadline is not None and loop.time() >= deadline:
                return False
            await asyncio.sleep(self.config.store_backoff.delay(n))
            n += 1
        return True

    # --- one session ----------------------------------------------------------------------------
    async def _session(
        self, meter: MeterInfo, trigger: str, attempt_no: int
    ) -> tuple[Attempt, ReadData | None, BaseException | None]:
        # Wall-clock start (not config.clock, which tests freeze): it keys the log row.
        attempt = Attempt(meter, datetime.now(UTC), trigger, attempt_no)
        t0 = time.perf_counter()
        transport: Transport | None = None
        try:
            transport, link = open_link(meter, self.config)
            await transport.open()
            client = MeterClient(
                link,
                utc_offset=meter.utc_offset,
                layout=parse_layout(meter.mm_layout) or DEFAULT_LAYOUT,
            )
            read = await self._converse(client, attempt)
            return attempt, read, None
        except (NBR14522Error, ConfigurationError, IntervalMismatch) as exc:
            attempt.outcome = (
                classify(exc)
                if isinstance(exc, NBR14522Error)
                else "interval_mismatch"
                if isinstance(exc, IntervalMismatch)
                else "link_error"
            )
            attempt.error_class = type(exc).__name__
            attempt.error_message = str(exc)
            return attempt, None, exc
        finally:
            attempt.duration_ms = round((time.perf_counter() - t0) * 1000)
            if transport is not None:
                attempt.bytes_in, attempt.bytes_out = transport.bytes_in, transport.bytes_out
                with contextlib.suppress(Exception):
                    await transport.close()

    async def _plan(self, meter: MeterInfo, lo: datetime, hi: datetime) -> store.Plan | None:
        """The database's missing intervals, or None when it cannot say (then read all)."""
        try:
            return await asyncio.wait_for(
                self._db(store.plan, meter, lo, hi), self.config.db_timeout
            )
        except Exception as exc:
            if not (is_transient_db_error(exc) or isinstance(exc, TimeoutError)):
                raise
            log.warning(
                "meter %s: no read plan (database: %s); reading both periods", meter.serial, exc
            )
            return None

    async def _converse(self, client: MeterClient, attempt: Attempt) -> ReadData:
        m, cfg = attempt.meter, self.config
        p = await client.read_parameters()
        if p.meter_serial != m.serial:
            attempt.events.append(
                Event(
                    "serial_changed",
                    f"meter at {m.transport} answers with serial {p.meter_serial}, registered as "
                    f"{m.serial}: meter replaced or wiring changed; nothing read",
                    attempt.started_at,
                    {"expected": m.serial, "found": p.meter_serial},
                    dedupe_key=p.meter_serial,
                )
            )
            raise WrongMeterError(
                f"meter at {m.transport} answers with serial {p.meter_serial}, "
                f"registered as {m.serial}",
                code=0x21,
            )
        client.meter_serial = m.serial  # every later answer is checked against it
        self._check_interval(m, p, attempt)
        now = cfg.clock()
        meter_now = _utc(client, p.current_time, "current time")
        drift = meter_now - now
        attempt.clock_drift_s = drift.total_seconds()
        corrected = False
        if cfg.clock_correct_min <= abs(drift) <= cfg.clock_correct_max:
            await client.set_clock(cfg.clock())
            corrected = True
            attempt.events.append(
                Event(
                    "clock_corrected",
                    f"meter clock {drift.total_seconds():+.0f} s off; set to the poller's time",
                    now,
                    {"drift_s": drift.total_seconds(), "meter_time": meter_now.isoformat()},
                )
            )
        elif abs(drift) > cfg.clock_correct_max:
            attempt.events.append(
                Event(
                    "clock_drift_large",
                    f"meter clock {drift.total_seconds():+.0f} s off, beyond the "
                    f"{cfg.clock_correct_max.total_seconds():.0f} s the poller corrects: "
                    "check the meter (left as is)",
                    now,
                    {"drift_s": drift.total_seconds(), "meter_time": meter_now.isoformat()},
                    dedupe_key=now.date().isoformat(),
                )
            )
        read = ReadData(attempt, [], None)
        reg_cur = await _optional(client.read_registers())
        reg_prev = await _optional(client.read_registers(previous=True))
        if reg_cur is not None:
            read.registers.append((now if corrected else meter_now, reg_cur))
        if reg_prev is not None and p.last_demand_reset is not None:
            read.registers.append((_utc(client, p.last_demand_reset, "demand reset"), reg_prev))
        inst = await _optional(client.read_instantaneous())
        if inst is not None:
            read.instantaneous = (client.to_utc(inst.timestamp) or meter_now, inst)
        outages = await _optional(client.read_outages())
        if outages is not None:
            read.outages = [
                (_utc(client, o.start, "outage start"), client.to_utc(o.end))
                for o in outages.records
            ]
        alterations = await _optional(client.read_alteration_log())
        if alterations is not None:
            read.alterations = [
                (t, a.command_code, a.reader_serial)
                for a in alterations.records
                if (t := client.to_utc(a.when)) is not None
            ]
        await self._read_mass_memory(client, p, read)
        self._profile(client, read, reg_cur, reg_prev)
        read.raw_blocks = list(client.responses)
        return read

    def _check_interval(self, m: MeterInfo, p: Parameters, attempt: Attempt) -> None:
        """The meter's own MM interval (0x21) must be the registered one: else nothing is
        stored (the intervals would be misaligned) and an event says both figures."""
        own = p.mm_interval_seconds
        if round(own) == m.interval_minutes * 60:
            return
        own_text = f"{own / 60:g} min"
        msg = (
            f"meter {m.serial} integrates over {own_text}, registered as {m.interval_minutes} min: "
            f"read quarantined; adopt the meter's value with "
            f"`smf meter set {m.serial} --interval {own / 60:g}`"
        )
        attempt.events.append(
            Event(
                "interval_mismatch",
                msg,
                attempt.started_at,
                {"meter_interval_s": own, "registered_minutes": m.interval_minutes},
                dedupe_key=f"{own:g}/{m.interval_minutes}",
            )
        )
        raise IntervalMismatch(msg)

    def _profile(self, client: MeterClient, read: ReadData, reg_cur: Any, reg_prev: Any) -> None:
        """Detect the layout and register unit while undetermined, check plausibility once
        known; re-decode this read when the decision changes the layout (poller/detect.py)."""
        m = read.attempt.meter
        layout, unit = parse_layout(m.mm_layout), parse_unit(m.register_unit)
        cur = next((mm for mm in read.mass_memories if not mm.previous), None)
        g0 = next((g for g in cur.groups if g.group == 0), None) if cur else None
        blobs = [g.data for mm in read.mass_memories for g in mm.groups]
        d = decide(
            g0.parameters if g0 else None, g0.data if g0 else None, blobs,
            reg_prev, reg_cur, layout, unit, self.config.plausibility_tolerance,
        )  # fmt: skip
        at = read.attempt.started_at
        if d.layout != layout and d.layout is not None:
            read.attempt.events.append(
                Event(
                    "mm_layout_decided",
                    f"mass-memory layout {d.layout.value} decided from the data: "
                    + d.evidence_text(),
                    at,
                    {"layout": d.layout.value, "excluded": d.excluded, "sums": d.evidence},
                    dedupe_key=d.layout.value,
                )
            )
        if d.unit != unit and d.unit is not None:
            read.attempt.events.append(
                Event(
                    "register_unit_decided",
                    f"energy registers are in {d.unit}: " + d.evidence_text(),
                    at,
                    {"register_unit": d.unit, "sums": d.evidence},
                    dedupe_key=d.unit,
                )
            )
        if (d.layout, d.unit) != (layout, unit):
            read.profile = (
                d.layout.value if d.layout else UNDETERMINED,
                d.unit or UNDETERMINED,
            )
        if d.contradiction:
            text = "; ".join(f.describe() for f in d.contradiction)
            read.attempt.events.append(
                Event(
                    "plausibility_contradiction",
                    f"interval sums disagree with the registers: {text}",
                    at,
                    {
                        "layout": d.decode_with.value,
                        "register_unit": unit or UNDETERMINED,
                        "channels": [
                            {
                                "channel": f.name,
                                "interval_sum": float(f.pulse_sum * f.constant),
                                "register_delta": float(f.register_delta * f.constant),
                                "tolerance": float(f.tolerance * f.constant),
                            }
                            for f in d.contradiction
                        ],
                    },
                    dedupe_key=f"{read.current_start.isoformat() if read.current_start else ''}",
                )
            )
        read.layout = d.decode_with
        if d.decode_with != client.layout:
            client.layout = d.decode_with
            mms = [
                client.decode_groups(
                    mm.meter_serial, mm.previous, mm.groups, d.decode_with, mm.parameters
                )
                for mm in read.mass_memories
            ]
            read.mass_memories = mms
            read.intervals = _merge_intervals(mms)

    async def _read_mass_memory(self, client: MeterClient, p: Parameters, read: ReadData) -> None:
        """Current period, plus the previous one when the database misses intervals there;
        re-requests a period while intervals the database misses lie in it."""
        m = read.attempt.meter
        cur_anchor = period_anchor(p, False)
        prev_anchor = period_anchor(p, True)
        cur_start = _utc(client, cur_anchor, "last demand reset")
        prev_start = client.to_utc(prev_anchor) or cur_start
        hi = _utc(client, p.last_interval_end or p.current_time, "last interval end")
        plan = await self._plan(m, prev_start, hi)
        read.last_stored = plan.last_stored if plan else None
        got: dict[datetime, Interval] = {}
        periods = [False] + (
            [True] if plan is None or any(t < cur_start for t in plan.missing) else []
        )
        lo = cur_start
        for _ in range(1 + self.config.gap_rounds):
            for previous in periods:
                mm = await client.read_mass_memory(previous=previous)
                read.mass_memories.append(mm)
                for iv in mm.intervals:
                    got[iv.start] = iv
                if mm.parameters:
                    start = client.to_utc(period_anchor(mm.parameters[0], previous))
                    if start is not None:
                        lo = min(lo, start)
                    if not previous and start is not None and start > cur_start:
                        cur_start = start  # a demand reset happened during this session
            if plan is None:
                break
            still = {t for t in plan.missing if t not in got}
            # Missing intervals of the previous period we have not read since the last reset
            # are re-requested with 0x27; those of a period just read are not in the meter.
            periods = [True] if any(t < cur_start for t in still) and True not in periods else []
            if not periods:
                break
        read.intervals = [got[t] for t in sorted(got)]
        read.current_start = cur_start
        top = read.intervals[-1].start + m.step if read.intervals else cur_start
        read.covered = (min(lo, top), max(top, lo))

    # --- one cycle of one meter -----------------------------------------------------------------
    async def read_meter(self, meter: MeterInfo, trigger: str = "schedule") -> PollResult:
        """Read ``meter`` (retrying per the policy) and store the read. Never raises for a
        meter or link fault: the result and the connectivity log say what happened."""
        result = PollResult(meter.serial, "link_error")
        async with self._locks[meter.id]:
            if not await self._lease(meter):
                result.outcome = "busy_elsewhere"
                result.error = "another poller holds this meter's session lease"
                return result
            try:
                return await self._read_meter(meter, trigger, result)
            finally:
                with contextlib.suppress(DatabaseUnavailable, RetryableConflict):
                    await self._db(store.lease_release, meter.id, self._holder)

    async def _lease(self, meter: MeterInfo) -> bool:
        """Take the meter's lease in the database, so that no other process opens a session on
        it; with the database unreachable the read goes ahead (this process's lock holds)."""
        try:
            return await asyncio.wait_for(
                self._db(store.lease_acquire, meter.id, self._holder, self.config.session_lease_s),
                self.config.db_timeout,
            )
        except (DatabaseUnavailable, RetryableConflict, TimeoutError) as exc:
            log.warning("meter %s: no lease check (%s); reading anyway", meter.serial, exc)
            return True

    async def _read_meter(self, meter: MeterInfo, trigger: str, result: PollResult) -> PollResult:
        cfg = self.config
        busy_retried = False
        while True:
            result.sessions += 1
            async with self._conn_sem:
                attempt, read, exc = await self._session(
                    meter, trigger if result.sessions == 1 else "retry", result.sessions
                )
            t_answer = time.perf_counter()
            result.outcome, result.clock_drift_s = attempt.outcome, attempt.clock_drift_s
            result.events += [e.kind for e in attempt.events]
            if read is not None:
                result.intervals_read = len(read.intervals)
                stored = await self._store(read)
                if stored is not None:
                    result.committed = True
                    result.intervals_stored = stored.inserted
                    result.events += ["gap"] * len(stored.gaps)
                    result.answer_to_commit_s = time.perf_counter() - t_answer
                return result
            result.error = f"{attempt.error_class}: {attempt.error_message}"
            log.warning("meter %s session %d: %s", meter.serial, result.sessions, result.error)
            await self._log_attempt(attempt)
            if isinstance(exc, PollerDetectedError) and result.sessions <= cfg.retries:
                await asyncio.sleep(cfg.retry_backoff.delay(result.sessions - 1))
                continue
            if isinstance(exc, (WaitStormError, NakStormError)) and not busy_retried:
                busy_retried = True
                await asyncio.sleep(cfg.busy_delay)
                continue
            return result

    # --- the fleet ------------------------------------------------------------------------------
    async def registry(self) -> list[tuple[MeterInfo, datetime | None]]:
        return await self._db(store.load_registry)

    async def poll_once(
        self,
        meters: Iterable[MeterInfo] | None = None,
        *,
        due_only: bool = True,
        flush_timeout: float | None = 60.0,
    ) -> list[PollResult]:
        """Poll every meter of the registry (or ``meters``) once, concurrently; with
        ``due_only`` only those whose schedule says a poll is due since the last good one.
        Waits up to ``flush_timeout`` for reads pending on the database."""
        now = self.config.clock()
        if meters is None:
            targets = []
            for m, last_ok in await self.registry():
                due = (
                    next_due(m.poll_schedule, last_ok, m.utc_offset, self.config.settle)
                    if last_ok is not None
                    else now
                )
                if not due_only or (due is not None and due <= now):
                    targets.append(m)
        else:
            targets = list(meters)
        results = await asyncio.gather(*(self.read_meter(m) for m in targets))
        if self.pending_count:
            await self.flush(flush_timeout)
            for r in results:
                if r.ok and not r.committed:
                    r.committed = not any(
                        x.attempt.meter.serial == r.serial for v in self.pending.values() for x in v
                    )
        return list(results)

    async def read_serial(self, serial: str) -> PollResult:
        """On-demand read of one registered meter. Raises LookupError if it is unknown."""
        meter = await self._db(store.meter_by_serial, serial)
        if meter is None:
            raise LookupError(f"no meter with serial {serial!r} in smf.meter")
        if not meter.transport:
            raise LookupError(f"meter {serial} has no transport (smf.meter.transport)")
        result = await self.read_meter(meter, "on_demand")
        if self.pending_count:
            await self.flush(60.0)
        return result

    def request_read(self, serial: str) -> bool:
        """Make a meter of the running service due now (on-demand read). False if unknown."""
        for st in self._states.values():
            if st.meter.serial == serial:
                st.next_at, st.requested = self.config.clock(), True
                return True
        return False

    async def _cycle(self, st: _MeterState) -> PollResult:
        on_demand, st.requested = st.requested, False
        res = await self.read_meter(st.meter, "on_demand" if on_demand else "schedule")
        now = self.config.clock()
        if st.requested:  # asked for while this read was under way: read again at once
            st.next_at = now
            return res
        scheduled = next_due(st.meter.poll_schedule, now, st.meter.utc_offset, self.config.settle)
        if res.ok:
            st.failures = 0
            st.next_at = scheduled
        else:
            retry_at = now + timedelta(seconds=self.config.cycle_backoff.delay(st.failures))
            st.failures += 1
            st.next_at = retry_at if scheduled is None else min(retry_at, scheduled)
        return res

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Poll on schedule until ``stop`` is set. Survives database outages: the registry last
        loaded is kept, reads wait in memory, failed stores are retried every tick."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        next_registry = 0.0
        flusher: asyncio.Task[bool] | None = None
        while not stop.is_set():
            if loop.time() >= next_registry:
                try:
                    rows = await self.registry()
                except Exception as exc:
                    if not is_transient_db_error(exc):
                        raise
                    log.warning("registry not refreshed (database: %s)", exc)
                else:
                    self._merge_registry(rows)
                next_registry = loop.time() + self.config.registry_refresh
            now = self.config.clock()
            for st in self._states.values():
                if st.task is None and st.next_at is not None and st.next_at <= now:
                    st.task = asyncio.create_task(self._cycle(st))
                elif st.task is not None and st.task.done():
                    crash = None if st.task.cancelled() else st.task.exception()
                    if crash is not None:
                        log.error("meter %s: cycle crashed: %r", st.meter.serial, crash)
                        st.next_at = now + timedelta(seconds=self.config.cycle_backoff.cap)
                    st.task = None
            if self.pending_count and (flusher is None or flusher.done()):
                flusher = asyncio.create_task(self.flush(timeout=0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.tick)
        tasks = [st.task for st in self._states.values() if st.task is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if flusher is not None:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)

    def _merge_registry(self, rows: list[tuple[MeterInfo, datetime | None]]) -> None:
        now = self.config.clock()
        seen = set()
        for m, last_ok in rows:
            seen.add(m.id)
            st = self._states.get(m.id)
            if st is None:
                due = (
                    now
                    if last_ok is None
                    else next_due(m.poll_schedule, last_ok, m.utc_offset, self.config.settle)
                )
                self._states[m.id] = _MeterState(m, due)
            elif st.meter != m:
                st.meter = m
        for meter_id in set(self._states) - seen:
            st = self._states.pop(meter_id)
            if st.task is not None:
                st.task.cancel()
