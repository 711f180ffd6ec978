"""Mass-memory word layouts: the part of NBR 14522 the public record leaves open (notes §4.3).

Two 12-bit words share three octets: the first word's low 8 bits are in the first octet, the
second word's in the third [C on captures]; the middle octet holds the two high nibbles, and
WHICH nibble belongs to which word is unverified. Whether a word is a 12-bit binary count
(0-4095) or three BCD digits (0-999) is unverified too. Meter models differ, so every meter
carries one of the four layouts below (or ``undetermined`` until the data decide, see
:mod:`poller.detect`):

=================  ==================================  ==============
layout             middle octet                        word
=================  ==================================  ==============
``hi-first/bin``   ``hi(w0) << 4 | hi(w1)``            binary 0-4095
``hi-first/bcd``   ``hi(w0) << 4 | hi(w1)``            BCD 0-999
``lo-first/bin``   ``hi(w1) << 4 | hi(w0)``            binary 0-4095
``lo-first/bcd``   ``hi(w1) << 4 | hi(w0)``            BCD 0-999
=================  ==================================  ==============

"hi-first": the FIRST word's high nibble sits in the HIGH half of the middle octet. A BCD word
is read digit by digit: the high nibble is the hundreds, the low octet tens and units.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from ..errors import DecodeError

UNDETERMINED = "undetermined"


class Layout(Enum):
    HI_FIRST_BIN = "hi-first/bin"
    HI_FIRST_BCD = "hi-first/bcd"
    LO_FIRST_BIN = "lo-first/bin"
    LO_FIRST_BCD = "lo-first/bcd"

    @property
    def hi_first(self) -> bool:
        return self.value.startswith("hi-first")

    @property
    def bcd(self) -> bool:
        return self.value.endswith("/bcd")

    @property
    def max_word(self) -> int:
        return 999 if self.bcd else 0xFFF


#: Decoding order while a meter's layout is undetermined (the first is the historical guess).
CANDIDATES: tuple[Layout, ...] = (
    Layout.HI_FIRST_BIN,
    Layout.LO_FIRST_BIN,
    Layout.HI_FIRST_BCD,
    Layout.LO_FIRST_BCD,
)
DEFAULT_LAYOUT = Layout.HI_FIRST_BIN


def parse_layout(text: str | None) -> Layout | None:
    """A stored layout name → Layout; None for ``undetermined`` (or NULL). Raises ValueError."""
    if text is None or text == UNDETERMINED:
        return None
    try:
        return Layout(text)
    except ValueError:
        names = ", ".join(x.value for x in Layout)
        raise ValueError(
            f"unknown mass-memory layout {text!r} (one of {names}, {UNDETERMINED})"
        ) from None


def raw_words(data: bytes, layout: Layout) -> list[int]:
    """The 12-bit fields (high nibble << 8 | low octet) of ``data`` under ``layout``'s nibble
    placement, before any BCD interpretation."""
    if len(data) % 3:
        raise DecodeError(f"mass-memory data must be a multiple of 3 octets, got {len(data)}")
    lo0, mid, lo1 = data[0::3], data[1::3], data[2::3]
    if layout.hi_first:
        first = [(m >> 4) << 8 | b for m, b in zip(mid, lo0, strict=True)]
        second = [(m & 0x0F) << 8 | b for m, b in zip(mid, lo1, strict=True)]
    else:
        first = [(m & 0x0F) << 8 | b for m, b in zip(mid, lo0, strict=True)]
        second = [(m >> 4) << 8 | b for m, b in zip(mid, lo1, strict=True)]
    out = [0] * (2 * len(first))
    out[0::2], out[1::2] = first, second
    return out


def is_bcd_word(field: int) -> bool:
    return (field >> 8) <= 9 and (field >> 4 & 0x0F) <= 9 and (field & 0x0F) <= 9


def field_value(field: int, bcd: bool) -> int:
    """Pulse count of one 12-bit field. Raises DecodeError for a BCD field with a nibble > 9."""
    if not bcd:
        return field
    h, t, u = field >> 8, field >> 4 & 0x0F, field & 0x0F
    if h > 9 or t > 9 or u > 9:
        raise DecodeError(f"mass-memory word {field:03X} is not three BCD digits")
    return h * 100 + t * 10 + u


def unpack(data: bytes, layout: Layout) -> list[int]:
    """Pulse counts of every word in ``data`` under ``layout``. Raises DecodeError."""
    fields = raw_words(data, layout)
    if not layout.bcd:
        return fields
    return [field_value(f, True) for f in fields]


def bcd_possible(data: bytes) -> bool:
    """False when some nibble of ``data`` is above 9: no BCD layout can have produced it
    (the nibble placement does not matter: every nibble of every octet is a digit)."""
    return all((b >> 4) <= 9 and (b & 0x0F) <= 9 for b in data)


def pack(values: Sequence[int], layout: Layout) -> bytes:
    """Inverse of :func:`unpack` (pads an odd count with a zero). Raises ValueError."""
    seq = list(values) + [0] * (len(values) % 2)
    out = bytearray()
    for i in range(0, len(seq), 2):
        f0, f1 = (_field(v, layout) for v in seq[i : i + 2])
        h0, h1 = f0 >> 8, f1 >> 8
        out += bytes((f0 & 0xFF, h0 << 4 | h1 if layout.hi_first else h1 << 4 | h0, f1 & 0xFF))
    return bytes(out)


def _field(value: int, layout: Layout) -> int:
    if not 0 <= value <= layout.max_word:
        raise ValueError(f"mass-memory value {value} out of range for {layout.value}")
    if not layout.bcd:
        return value
    return (value // 100) << 8 | (value // 10 % 10) << 4 | value % 10
