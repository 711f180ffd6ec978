"""0x26 / 0x27 / 0x52 responses: mass memory (memória de massa), and every assumption about it.

Confirmed [C]: each block is a normal response; octets 006-007 carry the block number (BCD,
from 001; hundreds digit in the low nibble of 006) and bit 0x10 of octet 006 marks the last
block; the data area is octets 008-256 = 249 octets = 166 12-bit words; words are channel-
interleaved (ch1, ch2, ch3 per interval); the word count comes from the parameter block.

Inferred [I] or unknown [?], each held by exactly one function below:

* :func:`unpack_words` / :func:`pack_words`: nibble placement of two words in three octets;
* :func:`word_to_pulses`: words are plain binary pulse counts (no BCD, no event flags);
* :func:`period_anchor`: where a period's first interval starts;
* :func:`interval_starts`: one slot per interval, contiguous, oldest first;
* :func:`pulses_to_value`: pulses × constant, V·h and A·h divided by the interval in hours.

:mod:`poller.protocol.plausibility` checks decoded data against the registers to flag a meter
contradicting them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from ..bcd import bcd_digits, from_bcd_byte
from ..errors import DecodeError, SequenceBreakError
from ..framing import RESPONSE_BODY_LEN
from ._fields import BodyWriter, require_body, span
from .params import ChannelConstant, Parameters
from .quantities import QuantityKind

MASS_MEMORY_CODES = (0x26, 0x27, 0x52)
DATA_OCTETS = 249
WORDS_PER_BLOCK = 166
MAX_WORD = 0xFFF
LAST_BLOCK_FLAG = 0x10
CHANNELS_PER_GROUP = 3


@dataclass(frozen=True, slots=True)
class MassMemoryBlock:
    code: int
    meter_serial: str
    number: int
    last: bool
    data: bytes  # octets 008-256


def decode_block_header(octet6: int, octet7: int) -> tuple[int, bool]:
    """Block number and last-block flag from octets 006-007 [C]."""
    hundreds = octet6 & 0x0F
    if hundreds > 9 or octet6 & 0xE0:
        raise DecodeError(f"invalid block header {octet6:02X} {octet7:02X}")
    return hundreds * 100 + from_bcd_byte(octet7), bool(octet6 & LAST_BLOCK_FLAG)


def encode_block_header(number: int, last: bool) -> bytes:
    if not 1 <= number <= 999:
        raise ValueError(f"block number out of range: {number}")
    hundreds, rest = divmod(number, 100)
    return bytes((hundreds | (LAST_BLOCK_FLAG if last else 0), (rest // 10) << 4 | rest % 10))


def decode_mass_memory_block(body: bytes) -> MassMemoryBlock:
    require_body(body, MASS_MEMORY_CODES)
    number, last = decode_block_header(body[5], body[6])
    return MassMemoryBlock(body[0], bcd_digits(span(body, 2, 5)), number, last, body[7:])


def blocks_needed(n_words: int) -> int:
    """Blocks a meter sends for ``n_words`` words (at least one, even when empty)."""
    return max(1, -(-n_words // WORDS_PER_BLOCK))


def unpack_words(data: bytes) -> list[int]:
    """ASSUMPTION [I]: two 12-bit words in three octets as ``lo(w0) | hi(w0)<<4 | hi(w1) |
    lo(w1)``: the first word's low 8 bits in the first octet and the second word's in the
    third are seen in real captures; which nibble of the middle octet belongs to which word
    is unverified (the captured middle octets were all zero)."""
    if len(data) % 3:
        raise DecodeError(f"mass-memory data must be a multiple of 3 octets, got {len(data)}")
    words: list[int] = []
    for i in range(0, len(data), 3):
        b0, b1, b2 = data[i], data[i + 1], data[i + 2]
        words.append(((b1 >> 4) << 8) | b0)
        words.append(((b1 & 0x0F) << 8) | b2)
    return words


def pack_words(words: Sequence[int]) -> bytes:
    """Inverse of :func:`unpack_words` (same assumption); pads an odd count with a zero."""
    out = bytearray()
    seq = list(words) + [0] * (len(words) % 2)
    for i in range(0, len(seq), 2):
        w0, w1 = seq[i], seq[i + 1]
        if not (0 <= w0 <= MAX_WORD and 0 <= w1 <= MAX_WORD):
            raise ValueError(f"mass-memory word out of 12-bit range: {w0}, {w1}")
        out += bytes((w0 & 0xFF, (w0 >> 8) << 4 | (w1 >> 8), w1 & 0xFF))
    return bytes(out)


def word_to_pulses(word: int) -> int:
    """ASSUMPTION [I]: a word is a binary pulse count 0..4095. Whether it is 3 BCD digits, and
    how outages, demand resets or clock changes are flagged inside the words, is [?]."""
    return word


def encode_mass_memory_blocks(code: int, meter_serial: str, words: Sequence[int]) -> list[bytes]:
    """Response bodies of a composite mass-memory answer, padding the last block with zeros."""
    n = blocks_needed(len(words))
    bodies = []
    for i in range(n):
        chunk = words[i * WORDS_PER_BLOCK : (i + 1) * WORDS_PER_BLOCK]
        w = BodyWriter(code, meter_serial)
        w.put(6, encode_block_header(i + 1, i == n - 1))
        w.put(8, pack_words(chunk).ljust(DATA_OCTETS, b"\x00"))
        bodies.append(w.bytes())
    return bodies


def assemble_words(blocks: Sequence[MassMemoryBlock], n_words: int) -> list[int]:
    """Concatenate the words of a complete composite answer and keep the first ``n_words``.

    Raises SequenceBreakError if the numbering is not 1..N, the last flag is missing or early,
    or the blocks hold fewer than ``n_words`` words.
    """
    if not blocks:
        raise SequenceBreakError("mass memory: no block received")
    code = blocks[0].code
    for i, blk in enumerate(blocks, start=1):
        if blk.number != i:
            raise SequenceBreakError(
                f"mass memory 0x{code:02X}: block {blk.number} where block {i} was expected"
            )
        if blk.last != (i == len(blocks)):
            where = "early" if blk.last else "missing"
            raise SequenceBreakError(
                f"mass memory 0x{code:02X}: last-block flag {where} at block {i}"
            )
    capacity = len(blocks) * WORDS_PER_BLOCK
    if capacity < n_words:
        raise SequenceBreakError(
            f"mass memory 0x{code:02X}: {len(blocks)} blocks hold at most {capacity} words, "
            f"{n_words} were announced"
        )
    words: list[int] = []
    for blk in blocks:
        words.extend(unpack_words(blk.data))
    return words[:n_words]


def split_intervals(words: Sequence[int], channels: int = CHANNELS_PER_GROUP) -> list[list[int]]:
    """Channel-interleaved words → per-interval pulse lists [C/I]."""
    if len(words) % channels:
        raise DecodeError(f"mass memory: {len(words)} words is not a multiple of {channels}")
    return [
        [word_to_pulses(w) for w in words[i : i + channels]] for i in range(0, len(words), channels)
    ]


def period_anchor(params: Parameters, previous: bool) -> datetime | None:
    """ASSUMPTION [I]: a period's first interval starts at the demand reset that opened it
    (octets 019-024 for the current period, 025-030 for the previous one), floored to the
    interval grid counted from local midnight. Fits the real frame's word count exactly."""
    opening = params.penultimate_demand_reset if previous else params.last_demand_reset
    if opening is None:
        return None
    step = round(params.mm_interval_seconds)
    if step <= 0:
        raise DecodeError(f"invalid mass-memory interval: {params.mm_interval_seconds} s")
    midnight = opening.replace(hour=0, minute=0, second=0, microsecond=0)
    seconds = int((opening - midnight).total_seconds())
    return midnight + timedelta(seconds=seconds - seconds % step)


def interval_starts(anchor: datetime, count: int, interval: timedelta) -> list[datetime]:
    """ASSUMPTION [I]: one slot per interval, contiguous in real time, oldest first (so a
    clock change inside the period is not represented). Pass an aware UTC anchor."""
    return [anchor + i * interval for i in range(count)]


def pulses_to_value(
    pulses: int, constant: ChannelConstant, kind: QuantityKind, interval: timedelta
) -> float:
    """ASSUMPTION [I]: engineering value = pulses × numerator / denominator (kWh, kvarh, V·h,
    A·h); V·h and A·h are divided by the interval in hours to give mean V and A. Whether the
    constant already includes the instrument-transformer ratios is [?]."""
    value = pulses * constant.value
    if kind is QuantityKind.HOUR_INTEGRAL:
        value = value / Fraction(int(interval.total_seconds()), 3600)
    return float(value)


assert DATA_OCTETS == RESPONSE_BODY_LEN - 7 and DATA_OCTETS * 8 // 12 == WORDS_PER_BLOCK
