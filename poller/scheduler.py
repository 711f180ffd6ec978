"""Scheduling: the long-running loop that reads every registered meter on its schedule.

The registry is reloaded every ``registry_refresh`` seconds (kept as last loaded while the
database is down); a meter removed from it is dropped and its running cycle cancelled; a failing
meter is retried on a growing backoff, never later than its next scheduled poll; a cycle that
crashes is logged and the meter retried after the backoff cap; an on-demand read asked for
during a running read is not lost.

Before its first use of the database the service checks that the schema is at this checkout's
head (db.migrate.require_head; SchemaNotAtHead stops it, an unreachable database is checked again
at the next registry refresh). Beside the schedule it serves on-demand reads queued by the API
(poller/read_requests.py) and, every ``monitoring_check`` seconds, makes due the meters under
15-minute monitoring whose last session is 15 minutes old (smf.meters_due_monitoring).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from db.settings import Settings
from poller import read_requests, store
from poller.config import PollerConfig, PollResult
from poller.outbox import is_transient_db_error
from poller.schedule import next_due
from poller.store import MeterInfo

log = logging.getLogger("smf.poller")
T = TypeVar("T")


@dataclass(slots=True)
class _MeterState:
    meter: MeterInfo
    next_at: datetime | None
    failures: int = 0
    task: asyncio.Task[PollResult] | None = None
    requested: bool = False  # an on-demand read was asked for since the cycle started


class SchedulerMixin:
    """Mixin of :class:`poller.service.Poller`: the service loop."""

    settings: Settings | str | None
    config: PollerConfig
    _holder: str
    _states: dict[int, _MeterState]
    loops: int
    registry_failures: int
    crashes: int

    if TYPE_CHECKING:  # provided by Poller and Outbox

        async def read_meter(self, meter: MeterInfo, trigger: str = "schedule") -> PollResult:
            raise NotImplementedError

        @property
        def pending_count(self) -> int:
            raise NotImplementedError

        async def flush(self, timeout: float | None = None) -> bool:
            raise NotImplementedError

        async def registry(self) -> list[tuple[MeterInfo, datetime | None]]:
            raise NotImplementedError

        async def _db(self, fn: Callable[..., T], *args: Any) -> T:
            raise NotImplementedError

        async def serve_request(self, req: read_requests.ReadRequest) -> dict[str, Any]:
            raise NotImplementedError

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
        next_registry = next_prune = next_monitoring = 0.0
        flusher: asyncio.Task[bool] | None = None
        requests: asyncio.Task[None] | None = None
        schema_checked = False
        while not stop.is_set():
            if loop.time() >= next_registry:
                try:
                    if not schema_checked:  # SchemaNotAtHead is not transient: it stops us
                        await self._db(store.require_head)
                        schema_checked = True
                        if self.config.serve_read_requests:
                            requests = asyncio.create_task(
                                read_requests.serve(
                                    store.as_settings(self.settings),
                                    self._holder,
                                    self.serve_request,
                                    stop,
                                    poll_s=self.config.read_request_poll,
                                )
                            )
                    rows = await self.registry()
                except Exception as exc:
                    if not is_transient_db_error(exc):
                        raise
                    self.registry_failures += 1
                    log.warning("registry not refreshed (database: %s)", exc)
                else:
                    self._merge_registry(rows)
                    if loop.time() >= next_prune:  # raw-block retention, once an hour
                        next_prune = loop.time() + 3600.0
                        with contextlib.suppress(Exception):
                            await self._db(store.prune_raw_reads, self.config.clock())
                next_registry = loop.time() + self.config.registry_refresh
            if schema_checked and loop.time() >= next_monitoring:
                next_monitoring = loop.time() + self.config.monitoring_check
                await self._monitoring_due()
            now = self.config.clock()
            for st in self._states.values():
                if st.task is None and st.next_at is not None and st.next_at <= now:
                    st.task = asyncio.create_task(self._cycle(st))
                elif st.task is not None and st.task.done():
                    crash = None if st.task.cancelled() else st.task.exception()
                    if crash is not None:
                        self.crashes += 1
                        log.error("meter %s: cycle crashed: %r", st.meter.serial, crash)
                        st.next_at = now + timedelta(seconds=self.config.cycle_backoff.cap)
                    st.task = None
            if self.pending_count and (flusher is None or flusher.done()):
                flusher = asyncio.create_task(self.flush(timeout=0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.tick)
            self.loops += 1
        tasks: list[asyncio.Task[Any]] = [st.task for st in self._states.values() if st.task]
        if requests is not None:
            tasks.append(requests)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if flusher is not None:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)

    async def _monitoring_due(self) -> None:
        """Make due now the meters under 15-minute monitoring whose last session (wall-clock
        smf.poll_attempt.started_at) is 15 minutes old or more; a meter being read is left."""
        try:
            due = await self._db(store.meters_due_monitoring, datetime.now(UTC))
        except Exception as exc:
            if not is_transient_db_error(exc):
                raise
            log.warning("monitoring list not read (database: %s)", exc)
            return
        now = self.config.clock()
        for meter_id in due:
            st = self._states.get(meter_id)
            if st is not None and st.task is None and (st.next_at is None or st.next_at > now):
                log.info("meter %s: 15-minute monitoring read", st.meter.serial)
                st.next_at = now

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
