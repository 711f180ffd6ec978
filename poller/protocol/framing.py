"""NBR 14522 framing: pure byte layouts, CRC checks and stream resynchronisation. No I/O.

Command, reader → meter, 66 octets (octet 001 is the first byte)::

    001    002-004             005-064             065     066
    +------+-------------------+-------------------+-------+-------+
    | code | reader serial BCD | parameters (0x00) | CRClo | CRChi |   CRC-16/ARC over 001-064
    +------+-------------------+-------------------+-------+-------+

Addressed (multi-drop) command, 71 octets: ``99 | meter serial (4 BCD) | ordinary command``;
the CRC is the ordinary one, over the inner octets 001-064 only.

Response, meter → reader, 258 octets::

    001    002-005            006-256                       257     258
    +------+------------------+-----------------------------+-------+-------+
    | code | meter serial BCD | data (composite: 006-007 =  | CRClo | CRChi |
    |      |                  | block number + last flag)   |       |       |
    +------+------------------+-----------------------------+-------+-------+

Code 0x40 (occurrence) or 0x39 (not implemented) may replace the echoed code.
Signal characters travel alone: ENQ 05, ACK 06, NAK 15, WAIT 10 (ALO FF in directional mode).

"01 99" TCP wrapper (Landis+Gyr): ``01 99 | 64-octet command body | CRC-16/MODBUS`` = 68 octets,
response ``01 99 | 256-octet response body | CRC-16/MODBUS`` = 260 octets; the Modbus CRC covers
everything before it, ``01 99`` included. No signal characters: octet 005 of the command body
is 00 (request), 01 (ACK: next block) or 02 (NAK: repeat block).

Recovery rules implemented by the framers here (timing is the link layer's job):

* a lone signal character outside a frame is reported as :class:`Signal`;
* a byte that is neither a signal nor an acceptable frame start is garbage: it and every
  following byte up to the next signal or acceptable start are reported as one
  :class:`Garbage` event (the link treats it as a sequence break);
* once a frame start is seen, exactly the frame length is taken; bytes inside a frame are
  data even if they look like signals; the CRC verdict travels with the :class:`Frame`;
* a frame that stops arriving stays pending (``pending`` > 0) until the link layer, on its
  inter-character timeout, calls :meth:`StreamFramer.reset`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from .bcd import bcd_digits, digits_to_bcd
from .crc import crc16_arc, crc16_modbus, crc_bytes, crc_from_wire

ENQ: Final = 0x05
ACK: Final = 0x06
NAK: Final = 0x15
WAIT: Final = 0x10
ALO: Final = 0xFF
SIGNALS: Final = frozenset((ENQ, ACK, NAK, WAIT))

CODE_OCCURRENCE: Final = 0x40
CODE_NOT_IMPLEMENTED: Final = 0x39
ADDRESSED_PREFIX: Final = 0x99

COMMAND_LEN: Final = 66
COMMAND_BODY_LEN: Final = 64
PARAMS_LEN: Final = 60
ADDRESSED_LEN: Final = 71
RESPONSE_LEN: Final = 258
RESPONSE_BODY_LEN: Final = 256
WRAP_HEADER: Final = b"\x01\x99"
WRAPPED_COMMAND_LEN: Final = 68
WRAPPED_RESPONSE_LEN: Final = 260

COMPOSITE_CODES: Final = frozenset((0x26, 0x27, 0x52))


def is_valid_code(code: int) -> bool:
    """BCD 01-99, minus the values that collide with signal characters."""
    hi, lo = code >> 4, code & 0x0F
    return hi <= 9 and lo <= 9 and code != 0 and code not in SIGNALS


# --- commands --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Command:
    """A decoded reader command. ``params`` is octets 005-064 (60 octets)."""

    code: int
    reader_serial: str = "000000"
    params: bytes = bytes(PARAMS_LEN)
    meter_serial: str | None = None  # set for the addressed (0x99) variant


def command_body(code: int, reader_serial: str = "000000", params: bytes = b"") -> bytes:
    """Octets 001-064: code, 3-octet BCD reader serial, parameters padded with 0x00."""
    if not 0 <= code <= 0xFF:
        raise ValueError(f"command code out of range: {code}")
    if len(params) > PARAMS_LEN:
        raise ValueError(f"parameters too long: {len(params)} > {PARAMS_LEN}")
    return bytes((code,)) + digits_to_bcd(reader_serial, 3) + params.ljust(PARAMS_LEN, b"\x00")


def build_command(code: int, reader_serial: str = "000000", params: bytes = b"") -> bytes:
    """The 66-octet command frame (CRC-16/ARC low byte first)."""
    body = command_body(code, reader_serial, params)
    return body + crc_bytes(crc16_arc(body))


def build_addressed_command(
    meter_serial: str, code: int, reader_serial: str = "000000", params: bytes = b""
) -> bytes:
    """The 71-octet addressed command: ``99 + meter serial (4 BCD) + ordinary command``."""
    return (
        bytes((ADDRESSED_PREFIX,))
        + digits_to_bcd(meter_serial, 4)
        + build_command(code, reader_serial, params)
    )


def parse_command(frame: bytes) -> Command:
    """Decode a 66- or 71-octet command whose CRC was already checked."""
    meter_serial = None
    if len(frame) == ADDRESSED_LEN and frame[0] == ADDRESSED_PREFIX:
        meter_serial = bcd_digits(frame[1:5])
        frame = frame[5:]
    if len(frame) != COMMAND_LEN:
        raise ValueError(f"command frame must be {COMMAND_LEN} octets, got {len(frame)}")
    return Command(frame[0], bcd_digits(frame[1:4]), bytes(frame[4:64]), meter_serial)


# --- responses -------------------------------------------------------------------------------
def response_body(code: int, meter_serial: str, data: bytes) -> bytes:
    """Octets 001-256: code, 4-octet BCD meter serial, 251 data octets (padded with 0x00)."""
    if len(data) > RESPONSE_BODY_LEN - 5:
        raise ValueError(f"response data too long: {len(data)}")
    return bytes((code,)) + digits_to_bcd(meter_serial, 4) + data.ljust(251, b"\x00")


def build_response(body: bytes) -> bytes:
    """Append the CRC-16/ARC to a 256-octet response body."""
    if len(body) != RESPONSE_BODY_LEN:
        raise ValueError(f"response body must be {RESPONSE_BODY_LEN} octets, got {len(body)}")
    return body + crc_bytes(crc16_arc(body))


def body_serial(body: bytes) -> str:
    """Meter serial (8 digits) of a response body."""
    return bytes(body[1:5]).hex()


# --- "01 99" wrapper ---------------------------------------------------------------------------
def wrap(body: bytes) -> bytes:
    """``01 99 + body + CRC-16/MODBUS`` (over everything before it)."""
    framed = WRAP_HEADER + body
    return framed + crc_bytes(crc16_modbus(framed))


def build_wrapped_command(
    code: int, reader_serial: str = "000000", params: bytes = b"", ack: int = 0
) -> bytes:
    """68-octet wrapped command; ``ack`` goes to octet 005 (0 request, 1 ACK, 2 NAK)."""
    if ack:
        params = bytes((ack,)) + params[1:]
    return wrap(command_body(code, reader_serial, params))


# --- stream framers --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Signal:
    byte: int


@dataclass(frozen=True, slots=True)
class Frame:
    """A complete frame; ``ok`` tells whether its CRC matched."""

    data: bytes
    crc_received: int
    crc_computed: int

    @property
    def ok(self) -> bool:
        return self.crc_received == self.crc_computed

    @property
    def body(self) -> bytes:
        """The frame without its CRC (and without ``01 99`` for the wrapper)."""
        if self.data[:2] == WRAP_HEADER and len(self.data) in (
            WRAPPED_RESPONSE_LEN,
            WRAPPED_COMMAND_LEN,
        ):
            return self.data[2:-2]
        if self.data[0] == ADDRESSED_PREFIX and len(self.data) == ADDRESSED_LEN:
            return self.data[5:-2]
        return self.data[:-2]


@dataclass(frozen=True, slots=True)
class Garbage:
    data: bytes


class _NeedMore:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_MORE"


NEED_MORE: Final = _NeedMore()
Event = Signal | Frame | Garbage | _NeedMore


class StreamFramer:
    """Cuts a byte stream into signals, frames and garbage (see the module docstring).

    ``frame_length(first_byte)`` returns the frame length for an acceptable start byte, or
    ``None`` for a byte that cannot start a frame. ``check(frame)`` returns
    ``(crc_received, crc_computed)``.
    """

    def __init__(
        self,
        frame_length: Callable[[int], int | None],
        check: Callable[[bytes], tuple[int, int]],
        signals: Iterable[int] = SIGNALS,
    ) -> None:
        self._frame_length = frame_length
        self._check = check
        self._signals = frozenset(signals)
        self._buf = bytearray()

    def feed(self, data: bytes) -> None:
        self._buf += data

    def reset(self) -> bytes:
        """Drop buffered bytes (a partial frame after an inter-character timeout)."""
        dropped = bytes(self._buf)
        self._buf.clear()
        return dropped

    @property
    def pending(self) -> int:
        """Number of buffered octets not yet returned as an event."""
        return len(self._buf)

    def _starts(self, byte: int) -> bool:
        return byte in self._signals or self._frame_length(byte) is not None

    def next_event(self) -> Event:
        buf = self._buf
        if not buf:
            return NEED_MORE
        first = buf[0]
        if first in self._signals:
            del buf[0]
            return Signal(first)
        need = self._frame_length(first)
        if need is None:
            end = 1
            while end < len(buf) and not self._starts(buf[end]):
                end += 1
            junk = bytes(buf[:end])
            del buf[:end]
            return Garbage(junk)
        if len(buf) < need:
            return NEED_MORE
        frame = bytes(buf[:need])
        del buf[:need]
        got, computed = self._check(frame)
        return Frame(frame, got, computed)

    def events(self) -> list[Event]:
        """All complete events currently buffered."""
        out: list[Event] = []
        while True:
            ev = self.next_event()
            if ev is NEED_MORE:
                return out
            out.append(ev)


def _check_arc(frame: bytes) -> tuple[int, int]:
    return crc_from_wire(frame[-2:]), crc16_arc(frame[:-2])


def _check_addressed(frame: bytes) -> tuple[int, int]:
    inner = frame[5:] if frame[0] == ADDRESSED_PREFIX and len(frame) == ADDRESSED_LEN else frame
    return crc_from_wire(inner[-2:]), crc16_arc(inner[:-2])


def _check_modbus(frame: bytes) -> tuple[int, int]:
    return crc_from_wire(frame[-2:]), crc16_modbus(frame[:-2])


def response_framer(accept: Callable[[int], bool] | None = None) -> StreamFramer:
    """Reader-side framer of 258-octet responses. ``accept(code)`` restricts the start bytes
    (default: any valid command code, 0x40 or 0x39)."""
    ok = accept or (lambda b: is_valid_code(b) or b in (CODE_OCCURRENCE, CODE_NOT_IMPLEMENTED))

    def length(byte: int) -> int | None:
        return RESPONSE_LEN if ok(byte) else None

    return StreamFramer(length, _check_arc)


def command_framer() -> StreamFramer:
    """Meter-side framer of 66-octet commands and 71-octet addressed commands."""

    def length(byte: int) -> int | None:
        if byte == ADDRESSED_PREFIX:
            return ADDRESSED_LEN
        return COMMAND_LEN if is_valid_code(byte) else None

    return StreamFramer(length, _check_addressed)


def wrapped_framer(frame_len: int) -> StreamFramer:
    """Framer of "01 99" frames (``frame_len`` 260 for responses, 68 for commands).

    Only 0x01 can start a frame; no signal characters exist in this mode. A ``01`` not
    followed by ``99`` is detected when the frame completes: its Modbus CRC fails.
    """

    def length(byte: int) -> int | None:
        return frame_len if byte == WRAP_HEADER[0] else None

    return StreamFramer(length, _check_modbus, signals=())
