"""The conventional (ENQ/ACK/NAK/WAIT) link at its limits, against the emulator over loopback TCP
(issue 13 §5: boundaries the mutmut run showed unchecked in poller/protocol/link.py Link).

Each limit of the notes §1.3 is checked at exactly the allowed count (the read succeeds, the
counters say how) and one above it (the specific error)."""

from __future__ import annotations

import pytest

from poller.emulator import FaultKind, FixedClock
from poller.protocol.errors import ResponseTimeoutError
from poller.protocol.link import Link, LinkLimits
from poller.protocol.transport import TcpTransport

from .conftest import rig


async def test_seven_naks_of_the_command_are_allowed(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.NAK_COMMAND, code=0x23, count=7)
        await r.client.read_registers()
        s = r.link.stats
        assert (s.naks_received, s.requests, s.blocks) == (7, 1, 1)


async def test_six_silences_are_retried(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.SILENCE, code=0x14, count=6)
        await r.client.read_instantaneous()
        assert r.link.stats.retransmissions == 6


async def test_garbage_counts_one_sequence_break(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.GARBAGE, code=0x21)
        await r.client.read_parameters()
        assert r.link.stats.sequence_breaks == 1
        assert (r.link.stats.requests, r.link.stats.blocks) == (1, 1)


async def test_lost_acks_until_the_limit_name_the_ack(clock: FixedClock) -> None:
    async with rig(clock, limits=LinkLimits(max_unanswered=3)) as r:
        r.faults.add(FaultKind.IGNORE_ACK, code=0x26, block=1, count=10)
        with pytest.raises(ResponseTimeoutError) as ei:
            await r.link.request(0x26)
    msg = str(ei.value)
    assert msg.startswith("no response to 0x26 block 2 after 3 transmissions of the ACK")
    assert ei.value.code == 0x26 and len(ei.value.partial_blocks) == 1


def test_addressed_link_needs_the_meter_serial() -> None:
    with pytest.raises(
        ValueError, match=r"^the addressed \(0x99\) variant needs the meter serial$"
    ):
        Link(TcpTransport("127.0.0.1", 1), addressed=True)
    link = Link(TcpTransport("127.0.0.1", 1))
    assert (link.reader_serial, link.meter_serial, link.addressed) == ("000000", None, False)
    assert link.limits == LinkLimits() and link.timers.response_timeout == 0.511
