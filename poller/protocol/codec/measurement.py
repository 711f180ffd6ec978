"""0x80 response: measurement parameters (parâmetros de medição) [S, FITec struct].

Most fields' encodings are [?]: they are kept as raw octets; only plain flags are integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from ..bcd import bcd_digits, decode_hhmm, encode_hhmm
from ._fields import BodyWriter, require_body, span


@dataclass(frozen=True, slots=True)
class MeasurementParameters:
    meter_serial: str
    presentation_mode: bytes  # 006-012
    universal_posts_condition: int  # 013
    universal_post_starts: bytes  # 014-141
    multiplication_constants: bytes  # 142-165
    active_mode: int  # 166
    reactive_mode: int  # 167
    reactive_constant: bytes  # 168-173
    display_time: int  # 174
    intermediario_start: tuple[time | None, ...]  # 176-183
    universal_weekdays: bytes  # 184-191
    universal_dst: int  # 192
    billing_quantities: int  # 193
    instantaneous_available: int  # 194
    connection_type: int  # 195
    user_output_redefinition: int  # 196
    kp: bytes  # 197-202
    consumer_code: bytes  # 203-216
    raw: bytes = field(default=b"", compare=False, repr=False)


def decode_measurement_parameters(body: bytes) -> MeasurementParameters:
    require_body(body, (0x80,))
    return MeasurementParameters(
        meter_serial=bcd_digits(span(body, 2, 5)),
        presentation_mode=span(body, 6, 12),
        universal_posts_condition=body[12],
        universal_post_starts=span(body, 14, 141),
        multiplication_constants=span(body, 142, 165),
        active_mode=body[165],
        reactive_mode=body[166],
        reactive_constant=span(body, 168, 173),
        display_time=body[173],
        intermediario_start=tuple(
            decode_hhmm(span(body, 176 + 2 * i, 177 + 2 * i)) for i in range(4)
        ),
        universal_weekdays=span(body, 184, 191),
        universal_dst=body[191],
        billing_quantities=body[192],
        instantaneous_available=body[193],
        connection_type=body[194],
        user_output_redefinition=body[195],
        kp=span(body, 197, 202),
        consumer_code=span(body, 203, 216),
        raw=bytes(body),
    )


def encode_measurement_parameters(m: MeasurementParameters) -> bytes:
    w = BodyWriter(0x80, m.meter_serial)
    w.put(6, m.presentation_mode[:7].ljust(7, b"\x00"))
    w.put(13, bytes((m.universal_posts_condition,)))
    w.put(14, m.universal_post_starts[:128].ljust(128, b"\x00"))
    w.put(142, m.multiplication_constants[:24].ljust(24, b"\x00"))
    w.put(166, bytes((m.active_mode, m.reactive_mode)))
    w.put(168, m.reactive_constant[:6].ljust(6, b"\x00"))
    w.put(174, bytes((m.display_time,)))
    w.put(176, b"".join(encode_hhmm(t) for t in m.intermediario_start))
    w.put(184, m.universal_weekdays[:8].ljust(8, b"\x00"))
    w.put(192, bytes((m.universal_dst, m.billing_quantities, m.instantaneous_available,
                      m.connection_type, m.user_output_redefinition)))  # fmt: skip
    w.put(197, m.kp[:6].ljust(6, b"\x00"))
    w.put(203, m.consumer_code[:14].ljust(14, b"\x00"))
    return w.bytes()
