"""``smf meter probe`` for a DLMS meter: what it says about itself (device id, clock, load
profile capture objects and period, each column's scaler and unit, how the OBIS map reads them).
GETs only (no SET, no ACTION): nothing changes in the meter; nothing is stored (the HLS
invocation counters it reserves are spent, as for any session)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

from poller.config import PollerConfig
from poller.store import MeterInfo

from . import axdr
from .context import dlms_context
from .errors import ObjectUnavailableError
from .open import open_dlms
from .profile import columns


@dataclass(frozen=True, slots=True)
class DlmsProbe:
    device_id: str | None
    clock_offset_s: float
    capture_period_s: int
    columns: list[str]

    def lines(self) -> list[str]:
        return [
            f"device id        {self.device_id or '(not offered)'}",
            f"clock offset     {self.clock_offset_s:+.0f} s (meter minus this machine)",
            f"capture period   {self.capture_period_s} s",
            "profile columns:",
            *(f"  {c}" for c in self.columns),
        ]


async def probe_dlms(
    settings: object, meter: MeterInfo, config: PollerConfig | None = None
) -> DlmsProbe:
    cfg = config or PollerConfig()
    ctx, cred = dlms_context(settings, meter.id, cfg.dlms_counter_reserve)  # type: ignore[arg-type]
    transport, client = open_dlms(meter, ctx.link, cred, cfg)
    await transport.open()
    try:
        await client.associate()
        device = await client.read_device_id()
        clock = await client.read_clock()
        offset = (
            axdr.local_to_utc(clock.local, meter.utc_offset) - datetime.now(UTC)
        ).total_seconds()
        profile = axdr.obis_bytes(ctx.session.profile_obis)
        caps = await client.read_capture_objects(profile)
        period = await client.read_capture_period(profile)
        out = []
        for c in columns(caps, ctx.session.obis_map):
            what = {
                "clock": "clock (entry stamp = end of interval)",
                "status": "profile status",
                "unknown": "NOT in smf.dlms_obis_channel: kept raw",
            }.get(c.role, f"{c.channel} ({c.kind})")
            su = ""
            if c.role == "channel":
                try:
                    s = await client.read_scaler_unit(c.capture.class_id, c.capture.obis)
                    su = f", scaler {s.scaler}, unit {s.unit_name}"
                except ObjectUnavailableError as exc:
                    su = f", scaler/unit unreadable ({exc})"
            out.append(f"{c.capture.obis} class {c.capture.class_id}: {what}{su}")
    finally:
        await client.release()
        with contextlib.suppress(Exception):
            await transport.close()
    return DlmsProbe(device, offset, period, out)
