"""One session with a meter (the meter conversation) and what it decodes.

One read = parameters 0x21 (serial, registered interval and clock check, time set when the
drift is between 1 and 60 minutes), registers 0x23/0x24, instantaneous 0x14, outages 0x25,
alteration log 0x28, then the mass memory: the current period (0x26/0x52), and the previous one
(0x27) when the database misses intervals that lie in it. Optional commands a meter does not
implement (0x39) are skipped; a missing essential one fails the read. Then the profile: the
mass-memory layout and register unit are detected while undetermined, and checked against the
registers once known (poller/detect.py); the read is re-decoded if the decision changes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from poller import clock as clock_policy
from poller import connect, store
from poller.config import PollerConfig
from poller.connect import ConfigurationError
from poller.detect import decide, parse_unit
from poller.dlms.context import dlms_context
from poller.dlms.open import open_dlms
from poller.outbox import is_transient_db_error
from poller.outcome import Outcome, classify
from poller.protocol.client import Interval, MassMemory, MeterClient
from poller.protocol.codec.massmem import period_anchor
from poller.protocol.codec.mmlayout import DEFAULT_LAYOUT, UNDETERMINED, parse_layout
from poller.protocol.codec.params import Parameters
from poller.protocol.errors import (
    CommandNotImplementedError,
    DecodeError,
    NBR14522Error,
    WrongMeterError,
)
from poller.protocol.link import Link, WrappedLink
from poller.protocol.transport import Transport
from poller.store import Attempt, Event, MeterInfo, ReadData

log = logging.getLogger("smf.poller")
T = TypeVar("T")


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


class SessionMixin:
    """Mixin of :class:`poller.service.Poller`: one session and the meter conversation."""

    config: PollerConfig

    if TYPE_CHECKING:  # provided by Outbox

        async def _db(self, fn: Callable[..., T], *args: Any) -> T:
            raise NotImplementedError

    async def _session(
        self, meter: MeterInfo, trigger: str, attempt_no: int
    ) -> tuple[Attempt, ReadData | None, BaseException | None]:
        # Wall-clock start (not config.clock, which tests freeze): it keys the log row.
        attempt = Attempt(meter, datetime.now(UTC), trigger, attempt_no)
        t0 = time.perf_counter()
        transport: Transport | None = None
        opened: list[Transport] = []
        try:
            if meter.protocol == "dlms":
                read = await self._dlms(meter, attempt, opened)
                return attempt, read, None
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
                else Outcome.INTERVAL_MISMATCH
                if isinstance(exc, IntervalMismatch)
                else Outcome.LINK_ERROR
            )
            attempt.error_class = type(exc).__name__
            attempt.error_message = str(exc)
            return attempt, None, exc
        finally:
            attempt.duration_ms = round((time.perf_counter() - t0) * 1000)
            if transport is None and opened:
                transport = opened[0]
            if transport is not None:
                attempt.bytes_in, attempt.bytes_out = transport.bytes_in, transport.bytes_out
                with contextlib.suppress(Exception):
                    await transport.close()

    async def _clock_step(
        self,
        attempt: Attempt,
        meter_now: datetime,
        now: datetime,
        shift: Callable[[float, datetime], Awaitable[tuple[datetime, str]]],
        keepalive: Callable[[], Awaitable[object]] | None = None,
    ) -> bool:
        """The clock policy (poller/clock.py) for a meter whose clock read ``meter_now`` (UTC)
        at true time ``now``: correct, defer or refuse; log it (smf.clock_correction, an event)
        with the meter's time before and after. ``keepalive()`` is called every
        ``clock_keepalive_s`` of a wait (a meter drops an idle link after a minute or two).
        ``shift(seconds, meter time now)`` moves the
        meter clock and returns the meter's time read back. True when the clock was moved."""
        m, cfg = attempt.meter, self.config
        drift = (meter_now - now).total_seconds()
        attempt.clock_drift_s = drift
        if abs(drift) < cfg.clock_correct_min.total_seconds():
            return False  # below every policy's floor: nothing to ask the database
        start = clock_policy.interval_start(meter_now, m.step, m.utc_offset)
        try:
            policy, done = await asyncio.wait_for(
                self._db(store.clock_context, m.id, start), cfg.db_timeout
            )
        except Exception as exc:
            if not (is_transient_db_error(exc) or isinstance(exc, TimeoutError)):
                raise
            policy, done = None, False
        if policy is None:
            decision = clock_policy.ClockDecision(
                "deferred",
                drift,
                interval_start=start,
                reason="the database (clock policy, corrections so far) is unreachable",
            )
        else:
            decision = clock_policy.decide(
                meter_now, now, m.step, m.utc_offset, policy, done, cfg.clock_max_wait_s
            )
        if decision.action == "none":
            return False
        if decision.action == "refused":
            attempt.events.append(
                Event(
                    "clock_drift_large",
                    f"meter clock {drift:+.0f} s off, beyond the "
                    f"{policy.correct_max_s if policy else 0} s the poller corrects: alarm j; "
                    f"left as is (set it with `smf meter clock {m.serial} --set`)",
                    now,
                    {"drift_s": drift, "meter_time": meter_now.isoformat()},
                    dedupe_key=now.date().isoformat(),
                )
            )
            attempt.clock_log.append(
                store.ClockLog(
                    "auto",
                    "refused",
                    None,
                    meter_now,
                    None,
                    now,
                    drift,
                    None,
                    decision.interval_start,
                    decision.reason,
                )
            )
            return False
        if decision.action == "deferred":
            attempt.events.append(
                Event(
                    "clock_correction_deferred",
                    f"meter clock {drift:+.0f} s off, not corrected now: {decision.reason}",
                    now,
                    {"drift_s": drift, "meter_time": meter_now.isoformat()},
                    dedupe_key=decision.interval_start.isoformat()
                    if decision.interval_start
                    else None,
                )
            )
            attempt.clock_log.append(
                store.ClockLog(
                    "auto",
                    "deferred",
                    None,
                    meter_now,
                    None,
                    now,
                    drift,
                    None,
                    decision.interval_start,
                    decision.reason,
                )
            )
            return False
        left = decision.wait_s
        while left > 0:
            step = min(left, cfg.clock_keepalive_s)
            await cfg.sleep(step)
            left -= step
            if left > 0 and keepalive is not None:
                await keepalive()
        t_set = cfg.clock()
        before = meter_now + (t_set - now)  # the meter ran as long as we did
        if decision.wait_s > 0 or t_set - now > timedelta(seconds=1):
            assert policy is not None  # (a deferral without a policy returned above)
            again = clock_policy.decide(before, t_set, m.step, m.utc_offset, policy, False, 0.0)
            if again.action not in ("correct", "partial") or again.interval_start != (
                decision.interval_start
            ):
                attempt.clock_log.append(
                    store.ClockLog("auto", "deferred", None, before, None, t_set, drift, None,
                                   again.interval_start,
                                   f"no longer fits when about to move it: {again.reason}")
                )  # fmt: skip
                return False
            decision = again
        after, method = await shift(decision.shift_s, before)
        t_after = cfg.clock()
        drift_after = (after - t_after).total_seconds()
        attempt.clock_drift_after_s = drift_after
        outcome = "corrected" if decision.action == "correct" else "partial"
        attempt.events.append(
            Event(
                "clock_corrected",
                f"meter clock {drift:+.0f} s off; moved {decision.shift_s:+.0f} s "
                f"({outcome}: {decision.reason}); {before.isoformat()} -> {after.isoformat()}",
                t_set,
                {
                    "drift_s": drift,
                    "meter_time": meter_now.isoformat(),
                    "before": before.isoformat(),
                    "after": after.isoformat(),
                    "drift_after_s": drift_after,
                    "outcome": outcome,
                },
            )
        )
        attempt.clock_log.append(
            store.ClockLog(
                "auto",
                outcome,
                method,
                before,
                after,
                t_set,
                drift,
                drift_after,
                decision.interval_start,
                decision.reason,
            )
        )
        return True

    async def _dlms(self, meter: MeterInfo, attempt: Attempt, opened: list[Transport]) -> ReadData:
        """A DLMS session (poller/dlms/session.py): context from the database (settings, keys,
        a reserved block of invocation counters), the link, the conversation, the release."""
        from poller.dlms import session as dlms_session
        from poller.dlms.keystore import KeystoreError

        cfg = self.config
        try:
            ctx, cred = await asyncio.wait_for(
                self._db(dlms_context, meter.id, cfg.dlms_counter_reserve), cfg.db_timeout
            )
        except KeystoreError as exc:
            raise ConfigurationError(f"meter {meter.serial}: {exc}") from None
        except Exception as exc:
            if not (is_transient_db_error(exc) or isinstance(exc, TimeoutError)):
                raise
            raise ConfigurationError(
                f"meter {meter.serial}: DLMS settings and keys unavailable (database: {exc})"
            ) from None
        transport, client = open_dlms(meter, ctx.link, cred, cfg)
        opened.append(transport)
        await transport.open()
        try:
            read = await dlms_session.converse(
                client,
                attempt,
                ctx.session,
                cfg,
                self._clock_step,
                lambda lo, hi: self._plan(meter, lo, hi),
                lambda seconds: self._check_interval_s(meter, seconds, attempt),
            )
        finally:
            await client.release()
        return read

    def _check_interval_s(self, m: MeterInfo, own: float, attempt: Attempt) -> None:
        """The meter's own capture period (s) must be the registered interval."""
        if round(own) == m.interval_minutes * 60:
            return
        msg = (
            f"meter {m.serial} integrates over {own / 60:g} min, registered as "
            f"{m.interval_minutes} min: read quarantined; adopt the meter's value with "
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
        attempt.battery = (meter_now, p.battery)  # alarm rule l (stored with the attempt)

        async def nbr_shift(shift_s: float, meter_est: datetime) -> tuple[datetime, str]:
            await client.set_clock(meter_est + timedelta(seconds=shift_s))  # 0x29 + 0x30
            return await client.read_meter_time(), "nbr_0x29_0x30"

        corrected = await self._clock_step(
            attempt, meter_now, now, nbr_shift, client.read_meter_time
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
            g0.parameters if g0 else None,
            g0.data if g0 else None,
            blobs,
            reg_prev,
            reg_cur,
            layout,
            unit,
            self.config.plausibility_tolerance,
        )
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
