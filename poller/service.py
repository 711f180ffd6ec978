"""The poller service: reads every enabled meter on its schedule and stores what it read.

Where things are: connecting (poller/connect.py), the meter conversation (poller/session.py),
the outbox of unsaved reads (poller/outbox.py), scheduling (poller/scheduler.py), outcomes
(poller/outcome.py), settings (poller/config.py). This module assembles :class:`Poller` and holds
one meter's cycle (lease, sessions, retries) and the one-shot entry points.

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
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from db.errors import DatabaseUnavailable, RetryableConflict
from db.settings import Settings
from poller import read_requests, store
from poller.config import PollerConfig, PollResult, system_clock
from poller.connect import ConfigurationError
from poller.outbox import Outbox, is_transient_db_error
from poller.outcome import Outcome, classify
from poller.protocol.errors import NakStormError, PollerDetectedError, WaitStormError
from poller.schedule import next_due
from poller.scheduler import SchedulerMixin, _MeterState
from poller.session import IntervalMismatch, SessionMixin, open_link
from poller.store import Attempt, MeterInfo, ReadData

__all__ = [
    "ConfigurationError",
    "IntervalMismatch",
    "Outcome",
    "PollResult",
    "Poller",
    "PollerConfig",
    "classify",
    "is_transient_db_error",
    "open_link",
    "system_clock",
]

log = logging.getLogger("smf.poller")


class Poller(SchedulerMixin, SessionMixin, Outbox):
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
        #: counters for operators and tests (a test waits on these, never on wall time)
        self.loops = 0  # service-loop iterations completed
        self.registry_failures = 0  # registry refreshes the database did not answer
        self.crashes = 0  # meter cycles that raised
        self.store_failures = 0  # store attempts that met a transient database error

    # --- one cycle of one meter -----------------------------------------------------------------
    async def read_meter(self, meter: MeterInfo, trigger: str = "schedule") -> PollResult:
        """Read ``meter`` (retrying per the policy) and store the read. Never raises for a
        meter or link fault: the result and the connectivity log say what happened."""
        result = PollResult(meter.serial, Outcome.LINK_ERROR)
        async with self._locks[meter.id]:
            if not await self._lease(meter):
                result.outcome = Outcome.BUSY_ELSEWHERE
                result.error = "another poller holds this meter's session lease"
                return result
            try:
                return await self._read_meter(meter, trigger, result)
            finally:
                if not result.committed:  # a committed read released it in its transaction
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
                read.lease_holder = self._holder  # released in the store's transaction
                stored = await self._store(read)
                if stored is not None:
                    result.committed = True
                    result.intervals_stored = stored.inserted
                    result.intervals_updated = stored.updated
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

    async def serve_request(self, req: read_requests.ReadRequest) -> dict[str, Any]:
        """An on-demand read queued in smf.read_request (the API): the same lease, lock and
        session as a scheduled read (every kind reads the whole session). Returns the summary
        stored as the request's result; raises (the request fails with the message) when the
        meter cannot be read or the read failed."""
        meter = await self._db(store.meter_for_request, req.serial)
        res = await self.read_meter(meter, "on_demand")
        if res.ok and not res.committed:
            await self.flush(60.0)
            res.committed = not self.pending.get(meter.id)
        if not res.ok:
            raise ReadFailed(f"read of meter {req.serial} failed ({res.outcome}): {res.error}")
        return {
            "serial": res.serial,
            "kind": req.kind,
            "outcome": str(res.outcome),
            "sessions": res.sessions,
            "intervals_read": res.intervals_read,
            "intervals_stored": res.intervals_stored,
            "intervals_updated": res.intervals_updated,
            "committed": res.committed,
            "clock_drift_s": res.clock_drift_s,
            "events": res.events,
        }


class ReadFailed(Exception):
    """An on-demand read whose sessions all failed (the outcome and error are in the message)."""
