"""The "01 99" wrapped session (Landis+Gyr TCP interface, poller/protocol/link.py WrappedLink),
step by step, against a scripted meter on a real loopback socket.

The script sees every command the link sends (octet 005 of the body: 00 request, 01 next block,
02 repeat, notes §6.3) and answers with the frames it is told to. The emulator cannot drop an
answer or repeat a block on purpose in this mode; the script can, so each retry rule is checked
with the exact octets it must send.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from poller.protocol.errors import (
    CrcError,
    MeterOccurrenceError,
    ResponseTimeoutError,
    SequenceBreakError,
    ShortFrameError,
    WrongMeterError,
)
from poller.protocol.framing import (
    WRAPPED_COMMAND_LEN,
    response_body,
    wrap,
    wrapped_framer,
)
from poller.protocol.link import LinkLimits, LinkTimers, WrappedLink
from poller.protocol.transport import TcpTransport

SERIAL = "12345678"
TIMERS = LinkTimers(enq_timeout=1.0, response_timeout=0.15, inter_char_timeout=0.05)

#: answer(code, octet 005, number of this command) -> bytes to send (b"" = stay silent)
Answer = Callable[[int, int, int], bytes]


def block(code: int, number: int, last: bool, tag: int = 0, serial: str = SERIAL) -> bytes:
    """A wrapped response block: 01 99 | code, serial, block header, data | Modbus CRC."""
    header = bytes((number // 100 | (0x10 if last else 0), (number % 100 // 10) << 4 | number % 10))
    return wrap(response_body(code, serial, header + bytes((tag,))))


def simple(code: int, tag: int = 0, serial: str = SERIAL) -> bytes:
    return wrap(response_body(code, serial, bytes((tag,))))


def corrupt(frame: bytes) -> bytes:
    return frame[:-1] + bytes((frame[-1] ^ 0xFF,))


@asynccontextmanager
async def scripted(answer: Answer, *, limits: LinkLimits | None = None,
                   meter_serial: str | None = None) -> AsyncIterator[
                       tuple[WrappedLink, list[tuple[int, int]]]]:  # fmt: skip
    """A WrappedLink connected to a loopback server that answers with ``answer``; yields the link
    and the (code, octet 005) of every command the server received, in order."""
    seen: list[tuple[int, int]] = []
    handlers: list[asyncio.Task[None]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        framer = wrapped_framer(WRAPPED_COMMAND_LEN)
        try:
            while data := await reader.read(4096):
                framer.feed(data)
                for ev in framer.events():
                    body = ev.body  # type: ignore[union-attr]
                    seen.append((body[0], body[4]))
                    out = answer(body[0], body[4], len(seen))
                    if out:
                        writer.write(out)
                        await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    tr = TcpTransport("127.0.0.1", srv.sockets[0].getsockname()[1])
    await tr.open()
    link = WrappedLink(tr, TIMERS, limits, meter_serial=meter_serial)
    try:
        yield link, seen
    finally:
        await tr.close()
        srv.close()
        await srv.wait_closed()
        if handlers:
            await asyncio.wait(handlers, timeout=5)  # each ends on our close (EOF)


async def test_wrapped_link_defaults_to_the_tcp_timers() -> None:
    # LinkTimers.tcp(): 20 s for the first answer, 5 s response, 2 s between characters
    assert LinkTimers.tcp() == LinkTimers(20.0, 5.0, 2.0, 305.0)
    assert LinkTimers.serial() == LinkTimers() == LinkTimers(0.6, 0.511, 0.015, 305.0)
    tr = TcpTransport("127.0.0.1", 1)
    link = WrappedLink(tr, meter_serial="87654321")
    assert link.timers == LinkTimers.tcp() and link.limits == LinkLimits(7, 12, 7)
    assert (link.meter_serial, link.reader_serial) == ("87654321", "000000")
    assert WrappedLink(tr, TIMERS).timers is TIMERS


async def test_composite_asks_next_with_01() -> None:
    blocks = [block(0x26, 1, False, 1), block(0x26, 2, False, 2), block(0x26, 3, True, 3)]

    def answer(code: int, flag: int, n: int) -> bytes:
        return blocks[n - 1]

    async with scripted(answer) as (link, seen):
        bodies = await link.request(0x26)
    assert [b[7] for b in bodies] == [1, 2, 3]
    assert [b[:7] for b in bodies] == [f[2:9] for f in blocks]
    assert seen == [(0x26, 0), (0x26, 1), (0x26, 1)]
    assert (link.stats.requests, link.stats.blocks, link.stats.retransmissions) == (1, 3, 0)


async def test_silence_before_the_first_block_repeats_the_request_with_00() -> None:
    def answer(code: int, flag: int, n: int) -> bytes:
        return b"" if n == 1 else block(0x26, 1, True, 7)

    async with scripted(answer) as (link, seen):
        (body,) = await link.request(0x26)
    assert body[7] == 7
    assert seen == [(0x26, 0), (0x26, 0)]
    assert link.stats.retransmissions == 1


async def test_silence_after_a_block_asks_for_a_repeat_with_02() -> None:
    # block 1 arrives; our 01 (or block 2) is lost: on the timeout we send 02 (repeat), and the
    # meter answers block 2 again (whichever was lost, 02 is right)
    def answer(code: int, flag: int, n: int) -> bytes:
        if n == 1:
            return block(0x26, 1, False, 1)
        if n == 2:
            return b""
        return block(0x26, 2, True, 2)

    async with scripted(answer) as (link, seen):
        bodies = await link.request(0x26)
    assert [b[7] for b in bodies] == [1, 2]
    assert seen == [(0x26, 0), (0x26, 1), (0x26, 2)]
    assert link.stats.retransmissions == 1


async def test_a_repeated_block_is_dropped_and_the_next_asked_with_01() -> None:
    b1, b2 = block(0x26, 1, False, 1), block(0x26, 2, True, 2)

    def answer(code: int, flag: int, n: int) -> bytes:
        return {1: b1, 2: b1, 3: b2}[n]  # the meter repeats block 1 once

    async with scripted(answer) as (link, seen):
        bodies = await link.request(0x26)
    assert [b[7] for b in bodies] == [1, 2]
    assert seen == [(0x26, 0), (0x26, 1), (0x26, 1)]
    assert link.stats.blocks == 2


async def test_a_bad_crc_asks_a_repeat_02_composite_00_simple() -> None:
    def answer(code: int, flag: int, n: int) -> bytes:
        if code == 0x26:
            return corrupt(block(0x26, 1, True, 1)) if n == 1 else block(0x26, 1, True, 1)
        if code == 0x23:
            return corrupt(simple(0x23)) if n == 5 else simple(0x23, 8)
        return corrupt(simple(0x25)) if n == 3 else simple(0x25, 9)

    async with scripted(answer) as (link, seen):
        assert len(await link.request(0x26)) == 1
        (body,) = await link.request(0x25, b"\x01")
        (regs,) = await link.request(0x23)
    # a simple command is sent again as it was: octet 005 is its parameter (0x25: 01 =
    # current period; 0x23: 00), never the 02 of a composite repeat
    assert seen == [(0x26, 0), (0x26, 2), (0x25, 1), (0x25, 1), (0x23, 0), (0x23, 0)]
    assert body[5] == 9 and regs[5] == 8
    assert (link.stats.naks_sent, link.stats.requests, link.stats.blocks) == (3, 3, 3)


async def test_silence_on_a_simple_command_repeats_it_as_it_was() -> None:
    def answer(code: int, flag: int, n: int) -> bytes:
        return b"" if n == 1 else simple(0x21, 3)

    async with scripted(answer) as (link, seen):
        (body,) = await link.request(0x21)
    assert seen == [(0x21, 0), (0x21, 0)] and body[5] == 3

    def never(code: int, flag: int, n: int) -> bytes:
        return b""

    async with scripted(never, limits=LinkLimits(max_unanswered=2)) as (link, seen):
        with pytest.raises(
            ResponseTimeoutError,
            match=r"^no response to 0x21 after 2 transmissions \(timeout 0\.15 s\)$",
        ):
            await link.request(0x21)
    assert len(seen) == 2


async def test_another_block_with_the_previous_number_is_a_sequence_break() -> None:
    def answer(code: int, flag: int, n: int) -> bytes:
        return block(0x26, 1, False, tag=1) if n == 1 else block(0x26, 1, False, tag=2)

    async with scripted(answer) as (link, _seen):
        with pytest.raises(
            SequenceBreakError, match=r"^0x26: block 1 received where block 2 was expected$"
        ):
            await link.request(0x26)


async def test_garbage_is_counted_and_skipped() -> None:
    def answer(code: int, flag: int, n: int) -> bytes:
        return b"\x05\x05" + simple(0x21, 4)  # bytes that cannot start a wrapped frame

    async with scripted(answer) as (link, _seen):
        (body,) = await link.request(0x21, b"\x00\x00")
        assert body[5] == 4
        assert link.stats.sequence_breaks == 1
        await link.request(0x21, b"\x00\x00")
        assert link.stats.sequence_breaks == 2  # counted, one per run of garbage


async def test_unanswered_limit_names_the_block() -> None:
    def answer(code: int, flag: int, n: int) -> bytes:
        return block(0x26, 1, False) if n == 1 else b""

    async with scripted(answer, limits=LinkLimits(max_unanswered=3)) as (link, seen):
        with pytest.raises(ResponseTimeoutError) as ei:
            await link.request(0x26)
    assert str(ei.value) == ("no response to 0x26 block 2 after 3 transmissions (timeout 0.15 s)")
    assert ei.value.code == 0x26 and len(ei.value.partial_blocks) == 1
    # 00, then 01, then two repeats 02: the third silence ends it
    assert seen == [(0x26, 0), (0x26, 1), (0x26, 2), (0x26, 2)]
    assert link.stats.retransmissions == 2


async def test_bad_frames_beyond_max_naks_raise_crc_or_short_frame_error() -> None:
    def answer(code: int, flag: int, n: int) -> bytes:
        return corrupt(simple(0x21))

    async with scripted(answer, limits=LinkLimits(max_naks=2)) as (link, seen):
        with pytest.raises(CrcError, match=r"^CRC mismatch in response to 0x21: got 0x"):
            await link.request(0x21)
    assert len(seen) == 3  # the third bad frame exceeds 2

    def short(code: int, flag: int, n: int) -> bytes:
        return simple(0x21)[:100]  # stops arriving

    async with scripted(short, limits=LinkLimits(max_naks=1)) as (link, _seen):
        with pytest.raises(
            ShortFrameError,
            match=r"^short frame in response to 0x21: 100 of 260 octets before a 0\.05 s gap "
            r"\(2 bad receptions\)$",
        ):
            await link.request(0x21)


async def test_a_block_gap_an_occurrence_and_another_meter_are_errors() -> None:
    def skip(code: int, flag: int, n: int) -> bytes:
        return block(0x26, 1, False) if n == 1 else block(0x26, 3, True)

    async with scripted(skip) as (link, _seen):
        with pytest.raises(SequenceBreakError) as ei:
            await link.request(0x26)
    assert str(ei.value) == "0x26: block 3 received where block 2 was expected"
    assert ei.value.code == 0x26

    def occurrence(code: int, flag: int, n: int) -> bytes:
        return wrap(response_body(0x40, SERIAL, b"\x01\x02"))

    async with scripted(occurrence) as (link, _seen):
        with pytest.raises(
            MeterOccurrenceError, match=r"in response to 0x21; octets 006-013: 01 02"
        ):
            await link.request(0x21)

    def other(code: int, flag: int, n: int) -> bytes:
        return simple(0x21, serial="11111111")

    async with scripted(other, meter_serial=SERIAL) as (link, _seen):
        with pytest.raises(
            WrongMeterError,
            match=r"^response to 0x21 comes from meter 11111111, expected 12345678$",
        ):
            await link.request(0x21)
