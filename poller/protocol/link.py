"""Link ("transaction") layer: the only layer that retries and matches replies to requests.

Conventional session (NBR 14522 §1.3), reader side::

    meter:  ENQ ....... ENQ                response(block 1)          response(block 2, last)  ENQ
    reader:                 command(66)                      ACK                         ACK

* We drop stale input, wait for a fresh ENQ and send the command at once (Tmaxsinc).
* NAK from the meter (it saw a bad CRC): resend the command; more than 7 → NakStormError.
* WAIT: wait for the next ENQ (up to Tsemwait) and resend; more than 12 per block →
  WaitStormError.
* No answer within Tmaxrsp, or an ENQ instead of the answer: resend after the ENQ; more than 7
  unanswered transmissions → ResponseTimeoutError.
* A response with a bad CRC, or that stops arriving (Tmaxcar): drop what is left of it and NAK
  at once (no waiting for a quiet line, which would swallow the meter's ENQs). An ENQ (or
  silence) after our NAK asks for our last answer again: NAK again, never ACK (an ACK would make
  the meter take the corrupt block as accepted). The meter gives a block up after 7 NAKs: then
  CrcError names the block and how many receptions failed the CRC or were short (not a
  timeout); a reader-side limit of 7 NAKs per block applies too.
* Composite answers (0x26/0x27/0x52): ACK each block; the meter repeats ENQ when our ACK was
  lost, and we repeat the ACK; a repeated block (our ACK lost) is ACKed and dropped; any other
  numbering gap → SequenceBreakError. The last block carries flag 0x10.
* Response 0x40 → MeterOccurrenceError, 0x39 → CommandNotImplementedError (both ACKed first).

"01 99" wrapped session (Landis+Gyr TCP interface): no signal characters; the next block is
asked for by re-sending the command with octet 005 = 01, a repeat with 02. On a timeout after a
block we send 02 (repeat), which is right whether our 01 or the meter's block was lost.

Every error raised during a composite read carries the blocks received so far in
``partial_blocks``: a partial composite is never returned as a result.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from .codec.massmem import decode_block_header
from .errors import (
    CommandNotImplementedError,
    CrcError,
    MeterOccurrenceError,
    NakStormError,
    NBR14522Error,
    ResponseTimeoutError,
    SequenceBreakError,
    ShortFrameError,
    WaitStormError,
    WrongMeterError,
)
from .framing import (
    ACK,
    CODE_NOT_IMPLEMENTED,
    CODE_OCCURRENCE,
    COMPOSITE_CODES,
    ENQ,
    NAK,
    RESPONSE_LEN,
    WAIT,
    WRAPPED_RESPONSE_LEN,
    Frame,
    Garbage,
    Signal,
    StreamFramer,
    body_serial,
    build_addressed_command,
    build_command,
    build_wrapped_command,
    response_framer,
    wrapped_framer,
)
from .transport import Transport


@dataclass(frozen=True, slots=True)
class LinkTimers:
    """Seconds. Defaults are the standard's serial values (§1.4); use :meth:`tcp` over
    TCP/GPRS, where millisecond limits are unattainable."""

    enq_timeout: float = 0.6  # wait for an ENQ: Tmaxenq (511 ms) plus tolerance
    response_timeout: float = 0.511  # Tmaxrsp
    inter_char_timeout: float = 0.015  # Tmaxcar
    wait_timeout: float = 305.0  # Tsemwait: max time between WAITs (we wait for the ENQ)

    @classmethod
    def serial(cls) -> LinkTimers:
        return cls()

    @classmethod
    def tcp(cls) -> LinkTimers:
        return cls(enq_timeout=20.0, response_timeout=5.0, inter_char_timeout=2.0)


@dataclass(frozen=True, slots=True)
class LinkLimits:
    max_naks: int = 7  # per block, either direction
    max_waits: int = 12  # per block
    max_unanswered: int = 7  # transmissions without response


@dataclass(frozen=True, slots=True)
class _Short:
    received: int


@dataclass(slots=True)
class LinkStats:
    requests: int = 0
    blocks: int = 0
    naks_sent: int = 0
    naks_received: int = 0
    waits: int = 0
    retransmissions: int = 0
    sequence_breaks: int = 0


class Session(Protocol):
    """What :class:`poller.protocol.client.MeterClient` needs from a link."""

    async def request(self, code: int, params: bytes = b"") -> list[bytes]: ...


class _LinkBase:
    def __init__(
        self,
        transport: Transport,
        framer: StreamFramer,
        timers: LinkTimers,
        limits: LinkLimits,
        reader_serial: str,
        meter_serial: str | None,
    ) -> None:
        self.transport = transport
        self.timers = timers
        self.limits = limits
        self.reader_serial = reader_serial
        self.meter_serial = meter_serial
        self.stats = LinkStats()
        self._framer = framer
        self._frame_len = RESPONSE_LEN
        self._lock = asyncio.Lock()

    async def _next_event(self, timeout: float) -> Signal | Frame | Garbage | _Short | None:
        """Next signal/frame/garbage; ``_Short`` if a frame stopped arriving; None on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ev = self._framer.next_event()
            if isinstance(ev, (Signal, Frame, Garbage)):
                return ev
            pending = self._framer.pending
            wait = self.timers.inter_char_timeout if pending else deadline - loop.time()
            if wait <= 0:
                return None
            data = await self.transport.read(wait)
            if not data:
                if pending:
                    self._framer.reset()
                    return _Short(pending)
                return None
            self._framer.feed(data)

    def _discard_tail(self) -> None:
        """Drop what is left of a bad block: the framer's buffer and the octets already
        received. No waiting for a quiet line: the meter waits for our NAK (Tmaxrsp), and an
        ENQ it sends meanwhile must be seen, not swallowed."""
        self._framer.reset()
        self.transport.read_available()

    def _check_body(self, body: bytes, code: int, where: str) -> None:
        """Raise for 0x40/0x39, a foreign code or a foreign meter serial."""
        rc = body[0]
        if rc == CODE_OCCURRENCE:
            raise MeterOccurrenceError(
                f"meter reported an occurrence (0x40) in response to {where}; "
                f"octets 006-013: {body[5:13].hex(' ')}",
                code=code,
                data=body[5:],
            )
        if rc == CODE_NOT_IMPLEMENTED:
            raise CommandNotImplementedError(
                f"meter does not implement command 0x{code:02X} (0x39)", code=code
            )
        if rc != code:
            raise SequenceBreakError(
                f"response code 0x{rc:02X} received in response to {where}", code=code
            )
        serial = body_serial(body)
        if self.meter_serial is not None and serial != self.meter_serial:
            raise WrongMeterError(
                f"response to {where} comes from meter {serial}, expected {self.meter_serial}",
                code=code,
            )

    @staticmethod
    def _where(code: int, composite: bool, block: int) -> str:
        return f"0x{code:02X} block {block}" if composite else f"0x{code:02X}"

    def _bad_frame(self, ev: Frame | _Short, where: str, naks: int) -> None:
        """Raise once a block has been NAKed ``max_naks`` times."""
        if naks <= self.limits.max_naks:
            return
        if isinstance(ev, Frame):
            raise CrcError(
                f"CRC mismatch in response to {where}: got 0x{ev.crc_received:04X}, "
                f"computed 0x{ev.crc_computed:04X} ({naks} bad receptions)"
            )
        raise ShortFrameError(
            f"short frame in response to {where}: {ev.received} of {self._frame_len} octets "
            f"before a {self.timers.inter_char_timeout:g} s gap ({naks} bad receptions)"
        )


class Link(_LinkBase):
    """Conventional NBR 14522 session (ENQ/ACK/NAK/WAIT) over a transparent byte pipe.

    ``addressed=True`` sends the 0x99 multi-drop variant (needs ``meter_serial``).
    """

    def __init__(
        self,
        transport: Transport,
        timers: LinkTimers | None = None,
        limits: LinkLimits | None = None,
        reader_serial: str = "000000",
        meter_serial: str | None = None,
        addressed: bool = False,
    ) -> None:
        if addressed and meter_serial is None:
            raise ValueError("the addressed (0x99) variant needs the meter serial")
        super().__init__(
            transport,
            response_framer(),
            timers or LinkTimers(),
            limits or LinkLimits(),
            reader_serial,
            meter_serial,
        )
        self.addressed = addressed

    def _command(self, code: int, params: bytes) -> bytes:
        if self.addressed:
            assert self.meter_serial is not None
            return build_addressed_command(self.meter_serial, code, self.reader_serial, params)
        return build_command(code, self.reader_serial, params)

    async def _await_enq(self, timeout: float, where: str) -> None:
        """Drop stale input, then wait for a fresh ENQ."""
        self.transport.read_available()
        self._framer.reset()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            ev = await self._next_event(remaining) if remaining > 0 else None
            if ev is None:
                raise ResponseTimeoutError(f"no ENQ from the meter within {timeout:g} s ({where})")
            if isinstance(ev, Signal) and ev.byte == ENQ:
                return
            if isinstance(ev, Garbage):
                self.stats.sequence_breaks += 1

    async def request(self, code: int, params: bytes = b"") -> list[bytes]:
        """Send one command; return the response bodies (256 octets each, CRC stripped)."""
        async with self._lock:
            self.stats.requests += 1
            blocks: list[bytes] = []
            try:
                await self._transact(code, self._command(code, params), blocks)
            except NBR14522Error as exc:
                exc.partial_blocks = tuple(blocks)
                raise
            return blocks

    async def _transact(self, code: int, command: bytes, blocks: list[bytes]) -> None:
        composite = code in COMPOSITE_CODES
        lim, tm, tr = self.limits, self.timers, self.transport
        await self._await_enq(tm.enq_timeout, f"before 0x{code:02X}")
        await tr.write(command)
        expected = 1
        awaiting_next = False  # True after ACKing an intermediate block
        naks_in = naks_out = waits = unanswered = bad_crc = short = 0
        after_wait = False
        while True:
            where = self._where(code, composite, expected)
            timeout = tm.wait_timeout if after_wait else tm.response_timeout
            ev = await self._next_event(timeout)
            if ev is None or (isinstance(ev, Signal) and ev.byte == ENQ):
                if after_wait and ev is not None:
                    after_wait = False  # the ENQ we were told to wait for
                    await tr.write(command)
                    continue
                if naks_out:
                    # Our last answer to this block was NAK. The meter gives up a block after
                    # max_naks NAKs (then ENQs or stays silent): report why. Before that, an ENQ
                    # (or silence) asks for our last answer again: NAK, never ACK.
                    unanswered += 1
                    if naks_out >= lim.max_naks or unanswered >= lim.max_unanswered:
                        raise CrcError(
                            f"meter abandoned {where} after {naks_out} NAKs: "
                            f"{bad_crc} CRC failure(s), {short} short frame(s)",
                            code=code,
                        )
                    self.stats.naks_sent += 1
                    await tr.write(bytes((NAK,)))
                    continue
                unanswered += 1
                if unanswered >= lim.max_unanswered:
                    what = "ACK" if awaiting_next else "command"
                    raise ResponseTimeoutError(
                        f"no response to {where} after {unanswered} transmissions of the {what}"
                        f" (timeout {timeout:g} s)",
                        code=code,
                    )
                self.stats.retransmissions += 1
                if awaiting_next:
                    await tr.write(bytes((ACK,)))  # the meter asks again for our ACK
                else:
                    if ev is None:
                        await self._await_enq(tm.enq_timeout, where)
                    await tr.write(command)
                continue
            if isinstance(ev, Signal):
                if ev.byte == NAK and not awaiting_next:
                    naks_in += 1
                    self.stats.naks_received += 1
                    if naks_in > lim.max_naks:
                        raise NakStormError(
                            f"meter rejected command 0x{code:02X} with NAK {naks_in} times",
                            code=code,
                        )
                    await tr.write(command)
                elif ev.byte == WAIT and not awaiting_next:
                    waits += 1
                    self.stats.waits += 1
                    if waits > lim.max_waits:
                        raise WaitStormError(
                            f"meter answered WAIT {waits} times to {where}", code=code
                        )
                    after_wait = True
                else:
                    self.stats.sequence_breaks += 1
                continue
            if isinstance(ev, Garbage):
                self.stats.sequence_breaks += 1  # resynchronise on what comes next
                continue
            if isinstance(ev, _Short) or not ev.ok:
                naks_out += 1
                if isinstance(ev, _Short):
                    short += 1
                else:
                    bad_crc += 1
                self._bad_frame(ev, where, naks_out)
                self._discard_tail()
                self.stats.naks_sent += 1
                await tr.write(bytes((NAK,)))  # at once: the meter is waiting for our answer
                unanswered = 0
                continue
            body = ev.body
            try:
                self._check_body(body, code, where)
            except (MeterOccurrenceError, CommandNotImplementedError):
                await tr.write(bytes((ACK,)))
                raise
            if not composite:
                await tr.write(bytes((ACK,)))
                blocks.append(body)
                self.stats.blocks += 1
                return
            number, last = decode_block_header(body[5], body[6])
            if number == expected - 1 and blocks and body == blocks[-1]:
                await tr.write(bytes((ACK,)))  # our ACK was lost: the meter repeated the block
                continue
            if number != expected:
                raise SequenceBreakError(
                    f"0x{code:02X}: block {number} received where block {expected} was expected",
                    code=code,
                )
            blocks.append(body)
            self.stats.blocks += 1
            await tr.write(bytes((ACK,)))
            if last:
                return
            expected += 1
            awaiting_next = True
            naks_in = naks_out = waits = unanswered = bad_crc = short = 0


class WrappedLink(_LinkBase):
    """Session over the Landis+Gyr "01 99" TCP wrapper (Modbus CRC, no ENQ/ACK bytes)."""

    def __init__(
        self,
        transport: Transport,
        timers: LinkTimers | None = None,
        limits: LinkLimits | None = None,
        reader_serial: str = "000000",
        meter_serial: str | None = None,
    ) -> None:
        super().__init__(
            transport,
            wrapped_framer(WRAPPED_RESPONSE_LEN),
            timers or LinkTimers.tcp(),
            limits or LinkLimits(),
            reader_serial,
            meter_serial,
        )
        self._frame_len = WRAPPED_RESPONSE_LEN

    async def request(self, code: int, params: bytes = b"") -> list[bytes]:
        async with self._lock:
            self.stats.requests += 1
            blocks: list[bytes] = []
            try:
                await self._transact(code, params, blocks)
            except NBR14522Error as exc:
                exc.partial_blocks = tuple(blocks)
                raise
            return blocks

    async def _transact(self, code: int, params: bytes, blocks: list[bytes]) -> None:
        composite = code in COMPOSITE_CODES
        tr, lim = self.transport, self.limits

        def cmd(ack: int) -> bytes:
            return build_wrapped_command(code, self.reader_serial, params, ack)

        self.transport.read_available()
        self._framer.reset()
        last_sent = cmd(0)
        await tr.write(last_sent)
        expected, naks_out, unanswered = 1, 0, 0
        while True:
            where = self._where(code, composite, expected)
            ev = await self._next_event(self.timers.response_timeout)
            if ev is None:
                unanswered += 1
                if unanswered >= lim.max_unanswered:
                    raise ResponseTimeoutError(
                        f"no response to {where} after {unanswered} transmissions "
                        f"(timeout {self.timers.response_timeout:g} s)",
                        code=code,
                    )
                self.stats.retransmissions += 1
                last_sent = cmd(2) if blocks and composite else cmd(0)
                await tr.write(last_sent)
                continue
            if isinstance(ev, (Garbage, Signal)):
                self.stats.sequence_breaks += 1
                continue
            if isinstance(ev, _Short) or not ev.ok:
                naks_out += 1
                self._bad_frame(ev, where, naks_out)
                self._discard_tail()
                self.stats.naks_sent += 1
                # Simple commands use octet 005 as a parameter (0x25): re-request instead.
                last_sent = cmd(2) if composite else cmd(0)
                await tr.write(last_sent)
                continue
            body = ev.body
            self._check_body(body, code, where)
            if not composite:
                blocks.append(body)
                self.stats.blocks += 1
                return
            number, last = decode_block_header(body[5], body[6])
            if number == expected - 1 and blocks and body == blocks[-1]:
                await tr.write(cmd(1))  # repeat of a block we had: ask for the next again
                continue
            if number != expected:
                raise SequenceBreakError(
                    f"0x{code:02X}: block {number} received where block {expected} was expected",
                    code=code,
                )
            blocks.append(body)
            self.stats.blocks += 1
            if last:
                return
            expected += 1
            naks_out = unanswered = 0
            last_sent = cmd(1)
            await tr.write(last_sent)
