"""`smf meter clock SERIAL --check | --set`: an operator reads, or sets, a meter's clock.

--check reads the clock and logs the drift (smf.clock_correction outcome 'checked'). --set
writes the poller's time (UTC at the registered offset, daylight saving ignored) whatever the
drift: the operator's decision, for drifts the automatic policy leaves alone (over 60 minutes:
alarm j). Both take the meter's session lease (never beside a running read) and log the meter's
time before and after; a set is also a 'clock_operator_set' event.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from db import driver
from db.settings import Settings
from poller import connect, store
from poller.config import PollerConfig
from poller.dlms.context import dlms_context
from poller.dlms.open import open_dlms
from poller.store import ClockLog, MeterInfo


@dataclass(frozen=True, slots=True)
class ClockResult:
    serial: str
    meter_before: datetime
    reference: datetime
    drift_s: float
    meter_after: datetime | None = None
    reference_after: datetime | None = None  # the poller's time when ``meter_after`` was read

    @property
    def drift_after_s(self) -> float | None:
        if self.meter_after is None or self.reference_after is None:
            return None
        return (self.meter_after - self.reference_after).total_seconds()


async def operator_clock(
    settings: Settings | str | None,
    serial: str,
    set_clock: bool,
    config: PollerConfig,
    by_whom: str | None = None,
) -> ClockResult:
    """Read (and with ``set_clock`` set) the meter's clock. Raises LookupError (unknown meter),
    RuntimeError (lease held by a running read) or a protocol error."""
    meter = store.meter_for_request(settings, serial)
    holder = f"{socket.gethostname()}:{os.getpid()}:clock"
    if not store.lease_acquire(settings, meter.id, holder, 120):
        raise RuntimeError(f"meter {serial} is being read by a poller right now; try again")
    try:
        if meter.protocol == "dlms":
            before, ref, after, ref2 = await _dlms(settings, meter, set_clock, config)
        else:
            before, ref, after, ref2 = await _nbr(meter, set_clock, config)
    finally:
        with contextlib.suppress(Exception):
            store.lease_release(settings, meter.id, holder)
    res = ClockResult(serial, before, ref, (before - ref).total_seconds(), after, ref2)
    who = by_whom or os.environ.get("USER") or "operator"
    log = ClockLog(
        "operator",
        "corrected" if set_clock else "checked",
        ("dlms_set_time" if meter.protocol == "dlms" else "nbr_0x29_0x30") if set_clock else None,
        before,
        after,
        ref,
        res.drift_s,
        res.drift_after_s,
        None,
        "set by an operator (smf meter clock --set)" if set_clock else "checked by an operator",
        who,
    )

    def work(conn: driver.Connection) -> None:
        driver.run(
            conn,
            "clock_correction_insert",
            meter_id=meter.id,
            at=ref,
            kind=log.kind,
            outcome=log.outcome,
            method=log.method,
            meter_before=before,
            meter_after=after,
            reference_time=ref,
            drift_before_s=round(res.drift_s, 1),
            drift_after_s=None if res.drift_after_s is None else round(res.drift_after_s, 1),
            meter_interval_start=None,
            reason=log.reason,
            by_whom=who,
        )
        if set_clock:
            driver.run(
                conn,
                "poll_insert_event",
                meter_id=meter.id,
                at=ref,
                kind="clock_operator_set",
                message=f"clock set by {who}: {before.isoformat()} -> "
                f"{after.isoformat() if after else '?'}",
                detail=json.dumps(
                    {
                        "before": before.isoformat(),
                        "after": after.isoformat() if after else None,
                        "drift_s": res.drift_s,
                    }
                ),
                dedupe_key=None,
            )

    driver.in_transaction(settings, work)
    return res


Times = tuple[datetime, datetime, datetime | None, datetime | None]


async def _nbr(meter: MeterInfo, set_clock: bool, cfg: PollerConfig) -> Times:
    from poller.protocol.client import MeterClient

    transport, link = connect.open_link(
        meter, cfg.tcp_timers, cfg.serial_timers, cfg.limits, cfg.reader_serial
    )
    await transport.open()
    try:
        client = MeterClient(link, utc_offset=meter.utc_offset)
        before = await client.read_meter_time()
        ref = cfg.clock()
        after = ref2 = None
        if set_clock:
            await client.set_clock(cfg.clock())
            after = await client.read_meter_time()
            ref2 = cfg.clock()
        return before, ref, after, ref2
    finally:
        await transport.close()


async def _dlms(
    settings: Settings | str | None, meter: MeterInfo, set_clock: bool, cfg: PollerConfig
) -> Times:
    from poller.dlms import axdr

    ctx, cred = dlms_context(settings, meter.id, cfg.dlms_counter_reserve)
    transport, client = open_dlms(meter, ctx.link, cred, cfg)
    await transport.open()
    try:
        await client.associate()
        clock = await client.read_clock()
        ref = cfg.clock()
        before = axdr.local_to_utc(clock.local, meter.utc_offset)
        after = ref2 = None
        if set_clock:
            await client.set_clock(axdr.utc_to_local(cfg.clock(), meter.utc_offset))
            back = await client.read_clock()
            ref2 = cfg.clock()
            after = axdr.local_to_utc(back.local, meter.utc_offset)
        return before, ref, after, ref2
    finally:
        await client.release()
        await transport.close()


def now() -> datetime:
    return datetime.now(UTC)
