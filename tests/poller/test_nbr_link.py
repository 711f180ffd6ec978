"""Link layer against the emulator over a real TCP socket and a pty, with injected faults.

Every fault ends either in a clean retry (the read succeeds, the link's counters show the
recovery) or in a specific, classified error.
"""

from __future__ import annotations

import asyncio

import pytest

from poller.emulator import FaultKind, FixedClock, LinkBehaviour, MeterConfig
from poller.protocol.errors import (
    CommandNotImplementedError,
    CrcError,
    DecodeError,
    LinkClosedError,
    MeterOccurrenceError,
    MeterReportedError,
    NakStormError,
    NBR14522Error,
    PollerDetectedError,
    ResponseTimeoutError,
    SequenceBreakError,
    ShortFrameError,
    WaitStormError,
    WrongMeterError,
)

from .conftest import FAST_METER, rig

# 12:02 local with the period opened at 00:00: 144 intervals × 3 words = 432 words = 3 blocks
BLOCKS = 3


def _serial_matches(exc: BaseException) -> None:
    assert isinstance(exc, PollerDetectedError) != isinstance(exc, MeterReportedError)


@pytest.mark.parametrize("via", ["tcp", "pty"])
async def test_mass_memory_read_is_clean(clock: FixedClock, via: str) -> None:
    async with rig(clock, via=via) as r:
        bodies = await r.link.request(0x26)
        assert len(bodies) == BLOCKS
        assert r.link.stats.naks_sent == r.link.stats.retransmissions == 0


@pytest.mark.parametrize(
    ("kind", "count"),
    [
        (FaultKind.CORRUPT_CRC, 1),
        (FaultKind.DROP_BYTE, 1),
        (FaultKind.EXTRA_BYTE, 1),
        (FaultKind.CORRUPT_CRC, 6),  # the 7th transmission is good: still recovers
    ],
)
async def test_bad_block_is_naked_and_resent(
    clock: FixedClock, kind: FaultKind, count: int
) -> None:
    async with rig(clock) as r:
        r.faults.add(kind, code=0x26, block=2, count=count)
        bodies = await r.link.request(0x26)
        assert len(bodies) == BLOCKS
        assert r.link.stats.naks_sent == count


async def test_meter_abandons_a_block_after_7_naks_and_the_cause_is_reported(
    clock: FixedClock,
) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.CORRUPT_CRC, code=0x26, block=3, count=7)
        with pytest.raises(CrcError) as ei:
            await r.link.request(0x26)
        # the real cause, not "no response ... (timeout)": which block, how many CRC failures
        assert str(ei.value) == (
            "meter abandoned 0x26 block 3 after 7 NAKs: 7 CRC failure(s), 0 short frame(s)"
        )
        assert not isinstance(ei.value, ResponseTimeoutError)
        assert len(ei.value.partial_blocks) == 2 and ei.value.retryable
        assert r.link.stats.naks_sent == 7
        assert len(await r.link.request(0x26)) == BLOCKS  # the meter is back to idle: in step


async def test_abandoned_after_short_frames(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.DROP_BYTE, code=0x21, count=7)
        with pytest.raises(CrcError, match=r"abandoned 0x21 after 7 NAKs: 0 CRC .*, 7 short"):
            await r.client.read_parameters()


async def test_reader_limit_with_a_meter_that_never_gives_up(clock: FixedClock) -> None:
    stubborn = LinkBehaviour(enq_interval=0.01, response_timeout=0.15, inter_char_timeout=0.05,
                             max_naks=99)  # fmt: skip
    async with rig(clock, behaviour=stubborn) as r:
        r.faults.add(FaultKind.CORRUPT_CRC, code=0x26, block=3, count=8)
        with pytest.raises(CrcError) as ei:
            await r.link.request(0x26)
        msg = str(ei.value)
        assert msg.startswith("CRC mismatch in response to 0x26 block 3: got 0x")
        assert ", computed 0x" in msg and "(8 bad receptions)" in msg
    async with rig(clock, behaviour=stubborn) as r:
        r.faults.add(FaultKind.DROP_BYTE, code=0x21, count=8)
        with pytest.raises(ShortFrameError, match=r"short frame in response to 0x21: 257 of 258"):
            await r.client.read_parameters()


@pytest.mark.parametrize(("code", "block"), [(0x21, 1), (0x26, 2)])
async def test_enq_after_our_nak_is_answered_with_nak_again(
    clock: FixedClock, code: int, block: int
) -> None:
    """The meter did not hear our NAK and sends ENQ: it asks for our last answer. An ACK would
    make it take the corrupt block as accepted (block 3 would follow block 1)."""
    async with rig(clock) as r:
        clean = await r.link.request(code, b"\x00\x00" if code == 0x21 else b"")
        r.faults.add(FaultKind.CORRUPT_CRC, code=code, block=block)
        r.faults.add(FaultKind.IGNORE_NAK, code=code, block=block)
        again = await r.link.request(code, b"\x00\x00" if code == 0x21 else b"")
        assert r.link.stats.naks_sent == 2  # the NAK, then the same answer to the ENQ
    assert again == clean


async def test_a_bad_block_is_naked_at_once(clock: FixedClock) -> None:
    """With a long inter-character timeout (TCP), waiting for a quiet line before the NAK would
    outlast the meter's patience: it ENQs, gives the block up and goes back to idle ENQs,
    which keep the line busy for ever. A prompt NAK gets the block resent."""
    from poller.protocol.link import LinkTimers

    impatient = LinkBehaviour(enq_interval=0.01, response_timeout=1.0, inter_char_timeout=0.05,
                              max_enq_repeats=1)  # fmt: skip
    slow_gap = LinkTimers(enq_timeout=2.0, response_timeout=3.0, inter_char_timeout=3.0)
    async with rig(clock, behaviour=impatient, timers=slow_gap) as r:
        r.faults.add(FaultKind.CORRUPT_CRC, code=0x21)
        p = await asyncio.wait_for(r.client.read_parameters(), 30)
        assert p.meter_serial == "12345678" and r.link.stats.naks_sent == 1


async def test_garbage_is_a_sequence_break_then_recovered(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.GARBAGE, code=0x21)
        p = await r.client.read_parameters()
        assert p.meter_serial == "12345678" and r.link.stats.sequence_breaks >= 1


async def test_waits_then_answer(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.WAIT, code=0x21, count=12)
        await r.client.read_parameters()
        assert r.link.stats.waits == 12


async def test_wait_storm(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.WAIT, code=0x21, count=13)
        with pytest.raises(WaitStormError, match="meter answered WAIT 13 times to 0x21"):
            await r.client.read_parameters()


async def test_nak_of_command_then_success_and_storm(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.NAK_COMMAND, code=0x23, count=3)
        await r.client.read_registers()
        assert r.link.stats.naks_received == 3
        r.faults.add(FaultKind.NAK_COMMAND, code=0x23, count=8)
        with pytest.raises(NakStormError, match="rejected command 0x23 with NAK 8 times"):
            await r.client.read_registers()


async def test_silence_is_retried_then_times_out(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.SILENCE, code=0x14, count=2)
        await r.client.read_instantaneous()
        assert r.link.stats.retransmissions == 2
        r.faults.add(FaultKind.SILENCE, code=0x14, count=7)
        with pytest.raises(ResponseTimeoutError, match="no response to 0x14 after 7 trans"):
            await r.client.read_instantaneous()


async def test_lost_ack_is_resent_when_meter_repeats_enq(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.IGNORE_ACK, code=0x26, block=2)
        assert len(await r.link.request(0x26)) == BLOCKS
        assert r.link.stats.retransmissions >= 1


async def test_repeated_block_is_dropped(clock: FixedClock) -> None:
    async with rig(clock) as r:
        clean = await r.link.request(0x26)
        r.faults.add(FaultKind.REPEAT_BLOCK, code=0x26, block=2)
        assert await r.link.request(0x26) == clean


async def test_skipped_block_is_a_sequence_break(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.SKIP_BLOCK, code=0x26, block=2)
        with pytest.raises(SequenceBreakError, match="block 3 received where block 2 was exp"):
            await r.link.request(0x26)


@pytest.mark.slow
@pytest.mark.parametrize("via", ["tcp", "pty"])
async def test_disconnect_mid_composite_never_returns_partial(clock: FixedClock, via: str) -> None:
    async with rig(clock, via=via) as r:
        r.faults.add(FaultKind.DISCONNECT, code=0x26, block=3)
        with pytest.raises(PollerDetectedError) as ei:
            await r.client.read_mass_memory()
        assert len(ei.value.partial_blocks) == 2
        if via == "tcp":
            assert isinstance(ei.value, LinkClosedError)
        else:  # a pty does not hang up: the meter just stops, which is a timeout
            assert isinstance(ei.value, ResponseTimeoutError)
            assert "no response to 0x26 block 3" in str(ei.value)


async def test_changed_serial_is_reported(clock: FixedClock) -> None:
    async with rig(clock, meter_serial="12345678") as r:
        await r.client.read_parameters()
        r.faults.add(FaultKind.CHANGE_SERIAL, code=0x21)
        with pytest.raises(WrongMeterError, match="comes from meter 99999999, expected 12345"):
            await r.client.read_parameters()


async def test_occurrence_and_not_implemented(clock: FixedClock) -> None:
    async with rig(clock) as r:
        r.faults.add(FaultKind.OCCURRENCE, code=0x28)
        with pytest.raises(MeterOccurrenceError, match=r"occurrence \(0x40\) in response to 0x28"):
            await r.client.read_alteration_log()
        with pytest.raises(CommandNotImplementedError, match="does not implement command 0x66"):
            await r.link.request(0x66)
        await r.client.read_alteration_log()  # the link is still in step


async def test_no_enq_is_a_timeout(clock: FixedClock) -> None:
    quiet = LinkBehaviour(enq_interval=10.0, response_timeout=0.15)
    from poller.protocol.link import LinkTimers

    async with rig(clock, behaviour=quiet, timers=LinkTimers(0.2, 0.2, 0.05)) as r:
        r.transport.read_available()
        with pytest.raises(ResponseTimeoutError, match=r"no ENQ from the meter within 0.2 s"):
            await r.link.request(0x21, b"\x00\x00")


async def test_addressed_variant(clock: FixedClock) -> None:
    async with rig(clock, meter_serial="12345678", addressed=True) as r:
        assert (await r.client.read_parameters()).meter_serial == "12345678"


async def test_wrapped_session(clock: FixedClock) -> None:
    wrapped = LinkBehaviour(wrapped=True)
    async with rig(clock, behaviour=wrapped, config=MeterConfig(serial="12345678")) as r:
        assert len(await r.link.request(0x26)) == BLOCKS
        r.faults.add(FaultKind.CORRUPT_CRC, code=0x26, block=2)
        r.faults.add(FaultKind.SILENCE, code=0x21)
        assert len(await r.link.request(0x26)) == BLOCKS
        assert r.link.stats.naks_sent == 1
        await r.client.read_parameters()
        r.faults.add(FaultKind.SKIP_BLOCK, code=0x26, block=2)
        with pytest.raises(SequenceBreakError, match="block 3 received where block 2"):
            await r.link.request(0x26)
        r.faults.add(FaultKind.DISCONNECT, code=0x26, block=3)
        with pytest.raises(LinkClosedError) as ei:
            await r.link.request(0x26)
        assert len(ei.value.partial_blocks) == 2


def test_error_classes_partition() -> None:
    for exc in (CrcError("x"), ShortFrameError("x"), LinkClosedError("x")):
        _serial_matches(exc)
    for exc in (WaitStormError("x"), NakStormError("x"), WrongMeterError("x")):
        _serial_matches(exc)
    assert FAST_METER.enq_interval < 0.1


def test_error_classes_say_who_detected_the_fault_and_whether_to_retry() -> None:
    e = NBR14522Error("x", code=0x26)
    assert (str(e), e.code, e.partial_blocks, e.retryable) == ("x", 0x26, (), False)
    assert NBR14522Error("y").code is None
    reported = (MeterOccurrenceError, CommandNotImplementedError, NakStormError,
                WaitStormError, WrongMeterError)  # fmt: skip
    detected = (ResponseTimeoutError, CrcError, ShortFrameError, SequenceBreakError,
                LinkClosedError, DecodeError)  # fmt: skip
    for cls in reported:
        assert issubclass(cls, MeterReportedError) and not cls("m").retryable
    for cls in detected:
        assert issubclass(cls, PollerDetectedError) and cls("m").retryable
    occ = MeterOccurrenceError("o", code=0x21, data=b"\x01")
    assert (occ.code, occ.data) == (0x21, b"\x01")
    assert MeterOccurrenceError("o").data == b""
