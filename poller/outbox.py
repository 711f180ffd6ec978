"""The outbox: reads decoded but not yet committed, and log rows of failed sessions.

A decoded read is kept IN MEMORY and its store retried with backoff (``pending``) while the
database is unreachable; the read is never redone for that reason. A store the database rejects
for good (not a transient error) drops the read and logs it as ``store_failed``. Connectivity-
log rows of failed sessions wait in ``pending_attempts`` the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from db.errors import DatabaseUnavailable, RetryableConflict
from db.settings import Settings
from poller import store
from poller.config import PollerConfig
from poller.outcome import Outcome
from poller.store import Attempt, ReadData, Stored

log = logging.getLogger("smf.poller")
T = TypeVar("T")


def is_transient_db_error(exc: BaseException) -> bool:
    """True for "the database is not reachable now" or a deadlock: retry the store later.
    db.driver translates both (DatabaseUnavailable, RetryableConflict); OS-level connection
    errors can also surface before the driver is involved."""
    return isinstance(exc, (DatabaseUnavailable, RetryableConflict, ConnectionError, TimeoutError))


class Outbox:
    """Mixin of :class:`poller.service.Poller`: database access off the event loop and the
    pending stores."""

    settings: Settings | str | None
    config: PollerConfig
    pending: dict[int, list[ReadData]]
    pending_attempts: list[Attempt]
    _db_sem: asyncio.Semaphore
    _locks: dict[int, asyncio.Lock]
    store_failures: int

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
                        Outcome.STORE_FAILED.value,
                        type(exc).__name__,
                    )
                    read.attempt.error_message = f"store rejected: {exc}"
                    log.error(
                        "meter %s: read dropped, store rejected: %s", read.attempt.meter.serial, exc
                    )
                    await self._log_attempt(read.attempt)
                    raise
                self.store_failures += 1
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
