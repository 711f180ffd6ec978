"""0x14 response: instantaneous values (§3.3 of the notes) [C, verified on a real frame].

Float32 little-endian; ``FF FF FF FF`` (or any NaN) = not available → ``None``. Units of the
power fields (W vs kW) depend on the meter and on octet 246 [?]: values are returned as read.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from datetime import datetime

from ..bcd import bcd_digits, decode_datetime, encode_datetime
from ._fields import BodyWriter, require_body, span


def _group(prefix: str, first: int, suffixes: tuple[str, ...]) -> list[tuple[str, int]]:
    return [(f"{prefix}{s}", first + 4 * i) for i, s in enumerate(suffixes)]


_ABC3 = ("A", "B", "C", "3")
#: (field name, first octet) of every float32 field, in frame order.
FLOAT_FIELDS: tuple[tuple[str, int], ...] = tuple(
    _group("V", 12, ("A", "B", "C"))
    + _group("V", 24, ("AB", "BC", "CA"))
    + _group("I", 36, ("A", "B", "C", "N"))
    + _group("P", 52, _ABC3)
    + _group("Q", 68, _ABC3)
    + _group("Sq", 84, _ABC3)
    + _group("Sv", 100, _ABC3)
    + _group("D", 116, _ABC3)
    + _group("cos", 132, _ABC3)
    + _group("PF_", 152, _ABC3)
    + _group("phase_shift_", 168, ("A", "B", "C"))
    + [("temperature", 180), ("frequency", 184)]
    + _group("Vangle_", 198, ("A", "B", "C"))
    + _group("angle_", 210, ("AB", "BC", "CA"))
    + _group("THDV_", 222, ("A", "B", "C"))
    + _group("THDI_", 234, ("A", "B", "C"))
)
_NA = b"\xff\xff\xff\xff"


@dataclass(frozen=True, slots=True)
class Instantaneous:
    meter_serial: str
    timestamp: datetime | None  # 006-011, meter-local
    values: dict[str, float | None]  # keys of FLOAT_FIELDS
    reactive_characteristic: str  # 148-151, e.g. "LCCC" (L inductive, C capacitive)
    octets_188_197: bytes  # connection type, location, version (often FF)
    conversion_indicator: int  # 246 [?]
    raw: bytes = field(default=b"", compare=False, repr=False)


def decode_f32(data: bytes) -> float | None:
    (value,) = struct.unpack("<f", data)
    return None if math.isnan(value) else value


def encode_f32(value: float | None) -> bytes:
    return _NA if value is None else struct.pack("<f", value)


def decode_instantaneous(body: bytes) -> Instantaneous:
    require_body(body, (0x14,))
    return Instantaneous(
        meter_serial=bcd_digits(span(body, 2, 5)),
        timestamp=decode_datetime(span(body, 6, 11)),
        values={name: decode_f32(span(body, o, o + 3)) for name, o in FLOAT_FIELDS},
        reactive_characteristic=span(body, 148, 151).decode("latin-1"),
        octets_188_197=span(body, 188, 197),
        conversion_indicator=body[245],
        raw=bytes(body),
    )


def encode_instantaneous(v: Instantaneous) -> bytes:
    w = BodyWriter(0x14, v.meter_serial)
    w.put(6, encode_datetime(v.timestamp))
    for name, first in FLOAT_FIELDS:
        w.put(first, encode_f32(v.values.get(name)))
    w.put(148, v.reactive_characteristic.encode("latin-1")[:4].ljust(4, b"\xff"))
    w.put(188, v.octets_188_197[:10].ljust(10, b"\xff"))
    w.put(246, bytes((v.conversion_indicator,)) + b"\xff" * 10)
    return w.bytes()
