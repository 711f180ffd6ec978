"""Scheduling: the long-running loop that reads every registered meter on its schedule.

The registry is reloaded every ``registry_refresh`` seconds (kept as last loaded while the
database is down); a meter removed from it is dropped and its running cycle cancelled; a failing
meter is retried on a growing backoff, never later than its next scheduled poll; a cycle that
crashes is logged and the meter retried after the backoff cap; an on-demand read asked for
during a running read is not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from poller import store
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

    config: PollerConfig
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
        next_registry = next_prune = 0.0
        flusher: asyncio.Task[bool] | None = None
        while not stop.is_set():
            if loop.time() >= next_registry:
                try:
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
