"""0x26 / 0x27 / 0x52 responses: mass memory (memória de massa), and every assumption about it.

Confirmed [C]: each block is a normal response; octets 006-007 carry the block number (BCD,
from 001; hundreds digit in the low nibble of 006) and bit 0x10 of octet 006 marks the last
block; the data area is octets 008-256 = 249 octets = 166 12-bit words; words are channel-
interleaved (ch1, ch2, ch3 per interval); the word count comes from the parameter block.

Inferred [I] or unknown [?], each held by exactly one function below:

* :func:`unpack_words` / :func:`pack_words`: nibble placement of two words in three octets and
  binary or BCD words: four layouts, chosen per meter (:mod:`.mmlayout`, :mod:`poller.detect`);
  how outages, demand resets or clock changes are flagged inside the words is [?];
* :func:`period_anchor`: where a period's first interval starts;
* :func:`interval_starts`: one slot per interval, contiguous, oldest first;
* :func:`pulse_scale`: pulses × constant, V·h and A·h divided by the interval in hours.

:mod:`poller.detect` checks decoded data against the registers to choose a layout and flag a meter
contradicting them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..bcd import bcd_digits, from_bcd_byte
from ..errors import DecodeError, SequenceBreakError
from ..framing import RESPONSE_BODY_LEN
from ._fields import BodyWriter, require_body, span
from .mmlayout import DEFAULT_LAYOUT, Layout, pack, unpack
from .params import ChannelConstant, Parameters
from .quantities import QuantityKind

MASS_MEMORY_CODES = (0x26, 0x27, 0x52)
DATA_OCTETS = 249
WORDS_PER_BLOCK = 166
MAX_WORD = 0xFFF  # largest binary word (kept for poller.public_io)
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


def unpack_words(data: bytes, layout: Layout = DEFAULT_LAYOUT) -> list[int]:
    """Pulse counts of the words in ``data`` under ``layout`` (see :mod:`.mmlayout`: the nibble
    placement and binary/BCD reading are [I] and chosen per meter)."""
    return unpack(data, layout)


def pack_words(words: Sequence[int], layout: Layout = DEFAULT_LAYOUT) -> bytes:
    """Inverse of :func:`unpack_words`; pads an odd count with a zero."""
    return pack(words, layout)


def encode_mass_memory_blocks(
    code: int, meter_serial: str, words: Sequence[int], layout: Layout = DEFAULT_LAYOUT
) -> list[bytes]:
    """Response bodies of a composite mass-memory answer, padding the last block with zeros."""
    n = blocks_needed(len(words))
    bodies = []
    for i in range(n):
        chunk = words[i * WORDS_PER_BLOCK : (i + 1) * WORDS_PER_BLOCK]
        w = BodyWriter(code, meter_serial)
        w.put(6, encode_block_header(i + 1, i == n - 1))
        w.put(8, pack_words(chunk, layout).ljust(DATA_OCTETS, b"\x00"))
        bodies.append(w.bytes())
    return bodies


def assemble_data(blocks: Sequence[MassMemoryBlock], n_words: int) -> bytes:
    """The data octets holding the first ``n_words`` words of a complete composite answer
    (layout-independent: a pair of words always spans 3 octets).

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
    data = b"".join(blk.data for blk in blocks)
    return data[: 3 * ((n_words + 1) // 2)]


def assemble_words(
    blocks: Sequence[MassMemoryBlock], n_words: int, layout: Layout = DEFAULT_LAYOUT
) -> list[int]:
    """Pulse counts of the first ``n_words`` words of a complete composite answer."""
    return unpack_words(assemble_data(blocks, n_words), layout)[:n_words]


def split_intervals(words: Sequence[int], channels: int = CHANNELS_PER_GROUP) -> list[list[int]]:
    """Channel-interleaved words → per-interval pulse lists [C/I]."""
    if len(words) % channels:
        raise DecodeError(f"mass memory: {len(words)} words is not a multiple of {channels}")
    return [list(words[i : i + channels]) for i in range(0, len(words), channels)]


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


def pulse_scale(
    constant: ChannelConstant, kind: QuantityKind, interval: timedelta
) -> tuple[int, int]:
    """ASSUMPTION [I]: engineering value = pulses × numerator / denominator (kWh, kvarh, V·h,
    A·h); V·h and A·h are divided by the interval in hours to give mean V and A. Whether the
    constant already includes the instrument-transformer ratios is [?].

    Returned as integers (num, den) with value = pulses × num / den, so that one integer
    product and one division give the correctly rounded float (as float(Fraction) would)."""
    num, den = constant.numerator, constant.denominator
    if den == 0:
        return 0, 1
    if kind is QuantityKind.HOUR_INTEGRAL:
        return num * 3600, den * int(interval.total_seconds())
    return num, den


def pulses_to_value(
    pulses: int, constant: ChannelConstant, kind: QuantityKind, interval: timedelta
) -> float:
    """Engineering value of one word (see :func:`pulse_scale` for the assumption)."""
    num, den = pulse_scale(constant, kind, interval)
    return pulses * num / den


assert DATA_OCTETS == RESPONSE_BODY_LEN - 7 and DATA_OCTETS * 8 // 12 == WORDS_PER_BLOCK
