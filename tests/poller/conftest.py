"""Fixtures for the poller tests: test vectors, a fixed clock and emulator+client pairs with
short timers (the protocol's own timers, not test assertions, use these values)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from poller.emulator import (
    EmulatedMeter,
    FaultPlan,
    FixedClock,
    LinkBehaviour,
    MeterConfig,
    MeterEmulator,
)
from poller.protocol.client import MeterClient
from poller.protocol.link import Link, LinkLimits, LinkTimers, WrappedLink
from poller.protocol.transport import SerialTransport, TcpTransport, Transport

#: Vendored copy of the project's shared NBR 14522 test vectors (tests read nothing outside
#: the checkout).
VECTORS = Path(__file__).parent / "vectors" / "nbr14522.json"
NOW = datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC)  # a Friday, 12:02:31 in Brasília

FAST_TIMERS = LinkTimers(enq_timeout=2.0, response_timeout=0.3, inter_char_timeout=0.05)
FAST_METER = LinkBehaviour(enq_interval=0.01, response_timeout=0.15, inter_char_timeout=0.05)


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@dataclass
class Rig:
    emulator: MeterEmulator
    meter: EmulatedMeter
    faults: FaultPlan
    transport: Transport
    link: Link | WrappedLink
    client: MeterClient


Connect = Callable[..., Any]


@asynccontextmanager
async def rig(
    clock: FixedClock,
    *,
    config: MeterConfig | None = None,
    behaviour: LinkBehaviour = FAST_METER,
    timers: LinkTimers = FAST_TIMERS,
    limits: LinkLimits | None = None,
    via: str = "tcp",
    meter_serial: str | None = None,
    addressed: bool = False,
) -> AsyncIterator[Rig]:
    """An emulated meter served over ``via`` ("tcp" or "pty") and a client connected to it."""
    meter = EmulatedMeter(config or MeterConfig(), clock)
    faults = FaultPlan()
    emu = MeterEmulator(meter, behaviour, faults)
    transport: Transport
    if via == "tcp":
        transport = TcpTransport("127.0.0.1", await emu.start_tcp())
    else:
        transport = SerialTransport(await emu.start_pty())
    await transport.open()
    link: Link | WrappedLink
    if behaviour.wrapped:
        link = WrappedLink(transport, timers, limits, meter_serial=meter_serial)
    else:
        link = Link(transport, timers, limits, meter_serial=meter_serial, addressed=addressed)
    client = MeterClient(link, meter_serial=meter_serial)
    try:
        yield Rig(emu, meter, faults, transport, link, client)
    finally:
        await transport.close()
        await emu.close()
