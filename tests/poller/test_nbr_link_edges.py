"""The conventional link (ENQ/ACK/NAK/WAIT) at its limits and step by step (NBR 14522 notes §1.3
session, §1.4 timers, §2.1 and §6.2 octet layouts).

Against the emulator over loopback TCP, each limit is checked at exactly the allowed count (the
read succeeds, the counters say how) and one above it (the specific error, naming the command).
Against a scripted meter, the line before the first ENQ, after a WAIT, after our NAK and with
the 0x99 prefix, with the exact octets the reader sends.

Octet layouts: a command is code (001), reader serial (002-004, 3 octets BCD), parameters
(005-064, padded with 00), CRC (065-066) = 66 octets; the addressed variant prefixes 0x99 + the
meter serial in 4 octets BCD = 71 octets. Signals: ENQ 0x05, ACK 0x06, NAK 0x15, WAIT 0x10;
0x00 is no valid code (BCD 01-99), so it is garbage.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import TypeAlias

import pytest

from poller.emulator import FaultKind, FixedClock
from poller.protocol.errors import (
    CrcError,
    NakStormError,
    NBR14522Error,
    ResponseTimeoutError,
    SequenceBreakError,
    WaitStormError,
)
from poller.protocol.framing import build_response
from poller.protocol.link import Link, LinkLimits, LinkTimers
from poller.protocol.transport import TcpTransport

from .conftest import rig

# ---------------------------------------------------------------- defaults and limits (emulator)


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


async def test_an_enq_timeout_under_one_second_and_request_counting(clock: FixedClock) -> None:
    """enq_timeout 0.9 s (the serial default is 0.6 s): the emulator's ENQ every 10 ms is
    awaited; two requests count 2."""
    timers = LinkTimers(enq_timeout=0.9, response_timeout=2.0, inter_char_timeout=0.05)
    async with rig(clock, timers=timers) as r:
        await r.link.request(0x14)
        await r.link.request(0x14)
        assert (r.link.stats.requests, r.link.stats.blocks) == (2, 2)


async def test_eight_naks_of_the_command_name_the_code(clock: FixedClock) -> None:
    """max_naks 7: the 8th NAK of the command is one too many."""
    async with rig(clock) as r:
        r.faults.add(FaultKind.NAK_COMMAND, code=0x23, count=8)
        with pytest.raises(NakStormError) as ei:
            await r.client.read_registers()
    assert str(ei.value) == "meter rejected command 0x23 with NAK 8 times"
    assert ei.value.code == 0x23


async def test_composite_blocks_are_counted_one_each(clock: FixedClock) -> None:
    """0x26 at 12:02 local, 5-minute intervals, 3 channels: ~144 intervals x 3 = ~432
    words > 166 words a block, so several blocks; the counter counts each once."""
    async with rig(clock) as r:
        bodies = await r.link.request(0x26)
        assert len(bodies) > 1
        assert r.link.stats.blocks == len(bodies)


async def test_thirteen_waits_name_the_code(clock: FixedClock) -> None:
    """max_waits 12: the 13th WAIT to one block is one too many."""
    async with rig(clock) as r:
        r.faults.add(FaultKind.WAIT, code=0x23, count=13)
        with pytest.raises(WaitStormError) as ei:
            await r.client.read_registers()
    assert str(ei.value) == "meter answered WAIT 13 times to 0x23"
    assert ei.value.code == 0x23


async def test_a_skipped_block_names_the_code(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.SKIP_BLOCK, code=0x26, block=2)
        with pytest.raises(SequenceBreakError) as ei:
            await r.link.request(0x26)
    assert str(ei.value).startswith("0x26: block ")
    assert ei.value.code == 0x26


# ---------------------------------------------------------------- step by step, a scripted meter

Reader: TypeAlias = asyncio.StreamReader
Writer: TypeAlias = asyncio.StreamWriter
Seen: TypeAlias = dict[str, bytes]
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, dict[str, bytes]], Awaitable[None]]


@asynccontextmanager
async def scripted_meter(script: Script) -> AsyncIterator[tuple[int, dict[str, bytes]]]:
    """A loopback TCP "meter" that plays ``script`` to the first connection; what it read goes
    into the dict."""
    seen: dict[str, bytes] = {}
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await script(reader, writer, seen)
        finally:
            writer.close()
            done.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, seen
    finally:
        await asyncio.wait_for(done.wait(), 30)
        server.close()
        await server.wait_closed()


# the client has opened and called request() long before this delay ends (it only connects)
SETTLE = 0.5


@pytest.mark.slow
async def test_garbage_and_a_nak_before_the_enq_are_skipped() -> None:
    """Before its ENQ the line carries 00 (garbage), NAK, 00 (garbage): the reader counts two
    sequence breaks, ignores the NAK, sends its command only after the ENQ; a command with no
    parameters has 60 octets of 00 at 005-064."""

    async def script(r: Reader, w: Writer, seen: Seen) -> None:
        await asyncio.sleep(SETTLE)
        w.write(b"\x00\x15\x00")
        await w.drain()
        await asyncio.sleep(SETTLE)
        w.write(b"\x05")
        await w.drain()
        seen["cmd"] = await asyncio.wait_for(r.readexactly(66), 10)

    async with scripted_meter(script) as (port, seen):
        tr = TcpTransport("127.0.0.1", port)
        await tr.open()
        link = Link(
            tr, LinkTimers(enq_timeout=10.0, response_timeout=0.3), LinkLimits(max_unanswered=1)
        )
        try:
            with pytest.raises(NBR14522Error):
                await link.request(0x14)
        finally:
            await tr.close()
    assert link.stats.sequence_breaks == 2  # 00, then (after the NAK) 00 again
    cmd = seen["cmd"]
    assert cmd[0] == 0x14 and cmd[1:4] == b"\x00\x00\x00"  # code, reader 000000
    assert cmd[4:64] == bytes(60)  # no parameters: 60 octets of 00


async def test_addressed_command_carries_prefix_serial_and_parameters() -> None:
    """Link(addressed=True, meter 12345678).request(0x51, 00 01): 99 | 12 34 56 78 | 51 |
    00 00 00 | 00 01 then 58 octets of 00 (= 60 - 2) | CRC: 1 + 4 + 1 + 3 + 60 + 2 = 71."""

    async def script(r: Reader, w: Writer, seen: Seen) -> None:
        await asyncio.sleep(SETTLE)
        w.write(b"\x05")
        await w.drain()
        seen["cmd"] = await asyncio.wait_for(r.readexactly(71), 10)

    async with scripted_meter(script) as (port, seen):
        tr = TcpTransport("127.0.0.1", port)
        await tr.open()
        link = Link(
            tr,
            LinkTimers(enq_timeout=10.0, response_timeout=0.3),
            LinkLimits(max_unanswered=1),
            meter_serial="12345678",
            addressed=True,
        )
        try:
            with pytest.raises(NBR14522Error):
                await link.request(0x51, b"\x00\x01")
        finally:
            await tr.close()
    cmd = seen["cmd"]
    assert cmd[:5] == bytes.fromhex("9912345678")
    assert cmd[5] == 0x51 and cmd[6:9] == b"\x00\x00\x00"
    assert cmd[9:11] == b"\x00\x01" and cmd[11:69] == bytes(58)


@pytest.mark.slow
async def test_no_enq_names_the_command() -> None:
    async def script(r: Reader, w: Writer, seen: Seen) -> None:
        await asyncio.sleep(3 * SETTLE)  # a meter that never sends ENQ

    async with scripted_meter(script) as (port, _seen):
        tr = TcpTransport("127.0.0.1", port)
        await tr.open()
        link = Link(tr, LinkTimers(enq_timeout=0.3))
        try:
            with pytest.raises(ResponseTimeoutError) as ei:
                await link.request(0x14)
        finally:
            await tr.close()
    assert str(ei.value) == "no ENQ from the meter within 0.3 s (before 0x14)"


@pytest.mark.slow
async def test_after_wait_the_reader_waits_wait_timeout_not_response_timeout() -> None:
    """ENQ, command, WAIT, then 1 s of silence (> response_timeout 0.3 s, < wait_timeout 10 s),
    ENQ: the reader sends the command again as an answer to that ENQ, not as a retransmission
    after a timeout (§ WAIT: wait for the next ENQ)."""

    async def script(r: Reader, w: Writer, seen: Seen) -> None:
        await asyncio.sleep(SETTLE)
        w.write(b"\x05")
        await w.drain()
        seen["cmd1"] = await asyncio.wait_for(r.readexactly(66), 10)
        w.write(b"\x10")  # WAIT
        await w.drain()
        await asyncio.sleep(1.0)
        w.write(b"\x05")
        await w.drain()
        seen["cmd2"] = await asyncio.wait_for(r.readexactly(66), 10)

    async with scripted_meter(script) as (port, seen):
        tr = TcpTransport("127.0.0.1", port)
        await tr.open()
        link = Link(
            tr,
            LinkTimers(enq_timeout=10.0, response_timeout=0.3, wait_timeout=10.0),
            LinkLimits(max_unanswered=1),
        )
        try:
            with pytest.raises(NBR14522Error):
                await link.request(0x14)
        finally:
            await tr.close()
    assert seen["cmd1"] == seen["cmd2"]
    assert (link.stats.waits, link.stats.retransmissions) == (1, 0)


async def test_enq_after_the_awaited_enq_is_a_retransmission() -> None:
    """ENQ, command, WAIT, ENQ (the one we waited for: command again, not counted), ENQ again
    with no response in between (a retransmission: counted 1), then the line closes."""

    async def script(r: Reader, w: Writer, seen: Seen) -> None:
        await asyncio.sleep(SETTLE)
        for i, before in enumerate((b"\x05", b"\x10\x05", b"\x05")):
            w.write(before)
            await w.drain()
            seen[f"cmd{i}"] = await asyncio.wait_for(r.readexactly(66), 10)

    async with scripted_meter(script) as (port, seen):
        tr = TcpTransport("127.0.0.1", port)
        await tr.open()
        link = Link(tr, LinkTimers(enq_timeout=10.0, response_timeout=5.0, wait_timeout=10.0))
        try:
            with pytest.raises(NBR14522Error):
                await link.request(0x14)
        finally:
            await tr.close()
    assert seen["cmd0"] == seen["cmd1"] == seen["cmd2"]
    assert (link.stats.waits, link.stats.retransmissions) == (1, 1)


def _bad_crc_response() -> bytes:
    """A 0x14 response (code 14, serial 12 34 56 78, rest 00) whose CRC is made wrong."""
    frame = build_response(bytes.fromhex("1412345678") + bytes(251))  # 5 + 251 = 256
    return frame[:-1] + bytes((frame[-1] ^ 0xFF,))


async def test_enqs_after_our_nak_are_naked_until_max_unanswered() -> None:
    """max_unanswered 2: a bad-CRC block is NAKed; the meter's ENQ asks for our answer again
    (unanswered 1 < 2: NAK again); at the second ENQ (unanswered 2 = 2) the reader gives up:
    CrcError, 1 NAK of the block counted, 1 CRC failure, 0 short frames."""

    async def script(r: Reader, w: Writer, seen: Seen) -> None:
        await asyncio.sleep(SETTLE)
        w.write(b"\x05")
        await w.drain()
        seen["cmd"] = await asyncio.wait_for(r.readexactly(66), 10)
        w.write(_bad_crc_response())
        await w.drain()
        answers = await asyncio.wait_for(r.readexactly(1), 10)
        for _ in range(2):
            w.write(b"\x05")
            await w.drain()
            with suppress(TimeoutError):
                answers += await asyncio.wait_for(r.read(1), 2.0)
        seen["answers"] = answers

    async with scripted_meter(script) as (port, seen):
        tr = TcpTransport("127.0.0.1", port)
        await tr.open()
        link = Link(
            tr,
            LinkTimers(enq_timeout=10.0, response_timeout=5.0),
            LinkLimits(max_naks=7, max_unanswered=2),
        )
        try:
            with pytest.raises(CrcError) as ei:
                await link.request(0x14)
        finally:
            await tr.close()
    assert str(ei.value) == "meter abandoned 0x14 after 1 NAKs: 1 CRC failure(s), 0 short frame(s)"
    assert ei.value.code == 0x14
    assert seen["answers"] == b"\x15\x15"  # NAK for the block, NAK for the first ENQ, nothing more


@pytest.mark.slow
async def test_a_stray_ack_is_a_sequence_break_and_silence_names_the_command() -> None:
    """ENQ, command, then two stray ACKs (06 06) and silence: each is a sequence break (not a
    WAIT); with max_unanswered 1 the reader reports the unanswered command."""

    async def script(r: Reader, w: Writer, seen: Seen) -> None:
        await asyncio.sleep(SETTLE)
        w.write(b"\x05")
        await w.drain()
        seen["cmd"] = await asyncio.wait_for(r.readexactly(66), 10)
        w.write(b"\x06\x06")  # two stray ACKs
        await w.drain()
        await asyncio.sleep(2.0)

    async with scripted_meter(script) as (port, _seen):
        tr = TcpTransport("127.0.0.1", port)
        await tr.open()
        link = Link(
            tr,
            LinkTimers(enq_timeout=10.0, response_timeout=0.3, wait_timeout=10.0),
            LinkLimits(max_unanswered=1),
        )
        try:
            with pytest.raises(ResponseTimeoutError) as ei:
                await link.request(0x14)
        finally:
            await tr.close()
    assert str(ei.value) == (
        "no response to 0x14 after 1 transmissions of the command (timeout 0.3 s)"
    )
    assert (link.stats.waits, link.stats.sequence_breaks) == (0, 2)


@pytest.mark.slow
async def test_silence_then_no_enq_names_the_command() -> None:
    """ENQ, command, then nothing: after response_timeout 0.3 s the reader waits for a fresh
    ENQ (enq_timeout 1.5 s) before sending again, and none comes."""

    async def script(r: Reader, w: Writer, seen: Seen) -> None:
        await asyncio.sleep(SETTLE)
        w.write(b"\x05")
        await w.drain()
        seen["cmd"] = await asyncio.wait_for(r.readexactly(66), 10)
        await asyncio.sleep(4.0)

    async with scripted_meter(script) as (port, _seen):
        tr = TcpTransport("127.0.0.1", port)
        await tr.open()
        link = Link(tr, LinkTimers(enq_timeout=1.5, response_timeout=0.3))
        try:
            with pytest.raises(ResponseTimeoutError) as ei:
                await link.request(0x14)
        finally:
            await tr.close()
    assert str(ei.value) == "no ENQ from the meter within 1.5 s (0x14)"
    assert link.stats.retransmissions == 1
