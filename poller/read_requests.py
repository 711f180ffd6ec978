"""On-demand reads asked through the API: claim them from the queue, report how they went.

The API inserts into smf.read_request and NOTIFYs channel smf_read_request (the request id);
see db/functions/520_read_requests.sql. A poller process runs `serve` beside its schedule:

    stop = asyncio.Event()
    asyncio.create_task(read_requests.serve(settings, holder, read_one, stop))

where `read_one(request)` reads the meter (e.g. Poller.read_serial(request.serial)) and returns
a JSON-able summary, or raises: the request is then 'failed' with the error's message. Requests
claimed by a poller that died are claimed again after `stale_s`. Concurrent pollers never claim
the same request (FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db import driver
from db.errors import DatabaseUnavailable
from db.settings import Settings

log = logging.getLogger(__name__)
CHANNEL = "smf_read_request"


@dataclass(frozen=True, slots=True)
class ReadRequest:
    id: int
    meter_id: int
    serial: str
    kind: str  # intervals, registers, instantaneous, full
    requested_at: datetime


def claim(
    settings: Settings | str | None, holder: str, limit: int = 10, stale_s: float = 600.0
) -> list[ReadRequest]:
    """Claim up to `limit` queued requests (oldest first) for `holder`."""
    with driver.connect(settings) as conn:
        rows = driver.run(conn, "read_request_claim", holder=holder, limit=limit, stale_s=stale_s)
    return [ReadRequest(**r) for r in rows]


def complete(
    settings: Settings | str | None,
    request_id: int,
    holder: str,
    *,
    ok: bool,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Finish a claimed request: done (with `result`) or failed (with `error`). False when
    `holder` no longer holds it (another poller took it over as stale)."""
    with driver.connect(settings) as conn:
        row = driver.run_one(
            conn,
            "read_request_complete",
            id=request_id,
            holder=holder,
            ok=ok,
            result=None if result is None else json.dumps(result, default=str),
            error=error,
        )
    return bool(row and row["done"])


async def serve(
    settings: Settings,
    holder: str,
    read_one: Callable[[ReadRequest], Awaitable[dict[str, Any]]],
    stop: asyncio.Event,
    *,
    poll_s: float = 30.0,
) -> None:
    """Claim and run requests until `stop` is set: woken by NOTIFY, and every `poll_s` seconds
    in any case (a notification sent while no poller listened is not lost). Survives database
    outages (it retries at the next wake-up)."""
    wake = asyncio.Event()
    listener = asyncio.create_task(_listen(settings.url, wake, stop))
    try:
        while not stop.is_set():
            wake.clear()
            try:
                requests = await asyncio.to_thread(claim, settings, holder)
            except DatabaseUnavailable as exc:
                log.warning("read requests not claimed (database: %s)", exc)
                requests = []
            for req in requests:
                await _run(settings, holder, req, read_one)
            if requests:
                continue
            with contextlib.suppress(TimeoutError):
                waiters = [asyncio.create_task(wake.wait()), asyncio.create_task(stop.wait())]
                try:
                    await asyncio.wait(waiters, timeout=poll_s, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for w in waiters:
                        w.cancel()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener


async def _run(
    settings: Settings,
    holder: str,
    req: ReadRequest,
    read_one: Callable[[ReadRequest], Awaitable[dict[str, Any]]],
) -> None:
    try:
        result = await read_one(req)
    except Exception as exc:  # the request fails with the message; the service goes on
        log.warning("on-demand read %s of %s failed: %s", req.id, req.serial, exc)
        await asyncio.to_thread(
            complete, settings, req.id, holder, ok=False, error=str(exc) or type(exc).__name__
        )
    else:
        await asyncio.to_thread(complete, settings, req.id, holder, ok=True, result=result)


async def _listen(url: str, wake: asyncio.Event, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            async for _payload in driver.alisten(url, CHANNEL):
                wake.set()
        except DatabaseUnavailable:
            await asyncio.sleep(1.0)
