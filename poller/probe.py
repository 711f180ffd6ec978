"""``smf meter probe``: what a meter says about itself, read with 0x21 (parameters) and 0x14
(instantaneous values) ONLY. Never 0x20, which would also reset the meter's demand and close its
billing period. Nothing is stored.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from poller.connect import open_link
from poller.protocol.client import MeterClient
from poller.protocol.codec.mmlayout import UNDETERMINED
from poller.protocol.codec.quantities import DEFAULT_QUANTITY_MAP
from poller.protocol.errors import CommandNotImplementedError
from poller.protocol.link import LinkLimits, LinkTimers
from poller.store import MeterInfo

#: the only commands a probe sends
PROBE_COMMANDS = (0x21, 0x14)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    serial: str
    model: str
    firmware: str
    mm_interval_s: float
    demand_interval_min: int
    constants: list[str]
    channels: list[str]
    clock_offset_s: float
    channel_groups: int
    layout: str
    layout_certainty: str
    instantaneous: dict[str, Any]

    def lines(self) -> list[str]:
        return [
            f"serial:            {self.serial}",
            f"model:             {self.model}",
            f"firmware:          {self.firmware}",
            f"MM interval:       {self.mm_interval_s / 60:g} min",
            f"demand interval:   {self.demand_interval_min} min",
            f"constants:         {', '.join(self.constants)} (units per pulse)",
            f"channel codes:     {', '.join(self.channels)}",
            f"channel groups:    {self.channel_groups}",
            f"clock offset:      {self.clock_offset_s:+.0f} s (meter minus this machine)",
            f"mass-memory layout: {self.layout} ({self.layout_certainty})",
            "instantaneous:     "
            + (
                ", ".join(f"{k}={v:g}" for k, v in self.instantaneous.items() if v is not None)
                or "not implemented"
            ),
        ]


async def probe(
    meter: MeterInfo,
    timers: LinkTimers | None = None,
    decided_by: str | None = None,
) -> ProbeResult:
    """Read 0x21 and 0x14 from ``meter``. ``decided_by``: the stored layout decision's text
    (a meter event), shown as the certainty. Raises NBR14522Error, ConfigurationError."""
    t = timers or LinkTimers.tcp()
    transport, link = open_link(meter, t, LinkTimers.serial(), LinkLimits(), "000000")
    await transport.open()
    try:
        client = MeterClient(link, utc_offset=meter.utc_offset)
        p = await client.read_parameters()  # 0x21: no demand reset
        now = datetime.now(UTC)
        meter_now = client.to_utc(p.current_time)
        inst: dict[str, Any] = {}
        with contextlib.suppress(CommandNotImplementedError):
            inst = dict((await client.read_instantaneous()).values)  # 0x14
    finally:
        with contextlib.suppress(Exception):
            await transport.close()
    if meter.mm_layout == UNDETERMINED:
        certainty = "undetermined: no read has told the layouts apart yet"
    else:
        certainty = decided_by or "set by an operator"
    return ProbeResult(
        serial=p.meter_serial,
        model=p.model,
        firmware=p.software_version,
        mm_interval_s=p.mm_interval_seconds,
        demand_interval_min=p.demand_interval_current,
        constants=[f"{k.numerator}/{k.denominator}" for k in p.constants],
        channels=[
            f"{c} ({DEFAULT_QUANTITY_MAP[c][0]})" if c in DEFAULT_QUANTITY_MAP else f"{c}"
            for c in p.quantity_codes
        ],
        clock_offset_s=(meter_now - now).total_seconds() if meter_now else float("nan"),
        channel_groups=p.channel_groups,
        layout=meter.mm_layout,
        layout_certainty=certainty,
        instantaneous=inst,
    )
