"""The emulated meter's own packing of mass-memory words, for each of the four layouts a meter
model may use (nibble placement × binary/BCD; see poller/protocol/codec/mmlayout.py for the
reader's side). Written separately from the decoder on purpose: a decoder bug must not be
mirrored by the emulator that tests it.

Layout names: ``hi-first/bin``, ``hi-first/bcd``, ``lo-first/bin``, ``lo-first/bcd``.
"""

from __future__ import annotations

from collections.abc import Sequence

LAYOUTS = ("hi-first/bin", "hi-first/bcd", "lo-first/bin", "lo-first/bcd")


def _digits(value: int, bcd: bool) -> tuple[int, int]:
    """(high nibble, low octet) of one word."""
    if bcd:
        if not 0 <= value <= 999:
            raise ValueError(f"BCD word out of range: {value}")
        hundreds, rest = divmod(value, 100)
        tens, units = divmod(rest, 10)
        return hundreds, tens * 16 + units
    if not 0 <= value <= 4095:
        raise ValueError(f"binary word out of range: {value}")
    return value // 256, value % 256


def pack(values: Sequence[int], layout: str) -> bytes:
    """Three octets per pair of words: low octet of word 0, the two high nibbles, low octet of
    word 1. ``hi-first`` puts word 0's high nibble in the middle octet's high half."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    bcd, hi_first = layout.endswith("bcd"), layout.startswith("hi-first")
    seq = list(values) + [0] * (len(values) % 2)
    out = bytearray()
    for i in range(0, len(seq), 2):
        h0, l0 = _digits(seq[i], bcd)
        h1, l1 = _digits(seq[i + 1], bcd)
        middle = h0 * 16 + h1 if hi_first else h1 * 16 + h0
        out += bytes((l0, middle, l1))
    return bytes(out)
