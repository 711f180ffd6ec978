"""Emulated fleets wired to the registry: mixed meter types on localhost ports, and the
smf.meter rows (channel map, constants, interval, transport) that match each emulated meter.

Used by ``smf emulate``, the fleet demo job, the bench and the service tests.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from poller.emulator import EmulatedMeter, LinkBehaviour, MeterConfig
from poller.emulator.fleet import Fleet, run_fleet
from poller.emulator.load import default_constant
from poller.emulator.meter import Clock, system_clock
from poller.protocol.codec.quantities import DEFAULT_QUANTITY_MAP

#: Emulator link timers for fleets: prompt ENQs so a read is not dominated by idle waits.
FAST_FLEET = LinkBehaviour(enq_interval=0.02, response_timeout=0.5, inter_char_timeout=0.1)


def mixed_config(i: int, serial: str) -> MeterConfig:
    """Meter ``i`` of a mixed fleet: 3 or 12 channels and 5 or 15 minutes, in turn."""
    return MeterConfig(
        serial=serial, channels=12 if i % 2 else 3, interval_min=15 if (i // 2) % 2 else 5
    )


def registry_params(
    meter: EmulatedMeter, transport: str, poll_schedule: str = "15min"
) -> dict[str, Any]:
    """Parameters of the ``poll_upsert_emulated_meter`` query for one emulated meter."""
    cfg = meter.config
    codes = [c for group in meter.groups for c in group]
    constants = []
    for c in codes:
        k = default_constant(c, cfg.interval_min, cfg.bcd)
        constants.append(Decimal(k.numerator) / Decimal(k.denominator))
    return {
        "serial": meter.serial,
        "model": cfg.model,
        "protocol": "nbr14522",
        "interval_minutes": cfg.interval_min,
        "channel_map": [DEFAULT_QUANTITY_MAP[c][0] for c in codes],
        "channel_constants": constants,
        "utc_offset_minutes": int(cfg.utc_offset.total_seconds() // 60),
        "transport": transport,
        "poll_schedule": poll_schedule,
    }


async def start_fleet(
    n: int,
    base_port: int = 0,
    *,
    host: str = "127.0.0.1",
    base_serial: int = 20_000_000,
    mixed: bool = True,
    config: MeterConfig | None = None,
    behaviour: LinkBehaviour = FAST_FLEET,
    clock: Clock = system_clock,
) -> Fleet:
    """Start ``n`` emulated meters on ``base_port + i`` (0: free ports), serials
    ``base_serial + i``; mixed types (see :func:`mixed_config`) unless ``config`` is given."""

    def config_for(i: int, serial: str) -> MeterConfig:
        if config:
            return replace(config, serial=serial)
        return mixed_config(i, serial) if mixed else MeterConfig(serial=serial)

    return await run_fleet(n, base_port, host=host, base_serial=base_serial,
                           config_for=config_for, behaviour=behaviour, clock=clock)  # fmt: skip


def fleet_registry_params(fleet: Fleet, poll_schedule: str = "15min") -> list[dict[str, Any]]:
    return [
        registry_params(e.meter, f"tcp://{fleet.host}:{port}", poll_schedule)
        for e, port in zip(fleet.emulators, fleet.ports, strict=True)
    ]
