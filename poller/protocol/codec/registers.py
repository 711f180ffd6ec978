"""0x23 / 0x24 response: registers of the visible channels, current / previous period.

Layout [S] (FITec packed struct, sums to 256). Registers are 5 octets (10 BCD digits), demands
3 octets (6 BCD digits). Per channel (74 octets from 006, 080, 154): 7 registers (total, ponta,
UFER ponta, fora ponta, UFER fora, reservado, UFER reservado), 7 demands (last interval, max and
DMCR per post), 18 octets of accumulated demands (layout [?], kept raw). Octets 228-249: the
intermediário post. The decimal position of the registers is [?]: see :func:`register_value`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..bcd import bcd_digits, from_bcd, to_bcd
from ._fields import BodyWriter, require_body, span

REGISTER_CODES = (0x23, 0x24)
REGISTER_NAMES = (
    "total", "ponta", "ufer_ponta", "fora_ponta", "ufer_fora_ponta", "reservado",
    "ufer_reservado",
)  # fmt: skip
DEMAND_NAMES = (
    "last_interval", "max_ponta", "dmcr_ponta", "max_fora_ponta", "dmcr_fora_ponta",
    "max_reservado", "dmcr_reservado",
)  # fmt: skip
_CHANNEL_FIRST = (6, 80, 154)

#: Assumed number of decimals in a register [?]: raw 123456 = 123.456 kWh.
REGISTER_DECIMALS = 3


def register_value(raw: int, decimals: int = REGISTER_DECIMALS) -> Fraction:
    """ASSUMPTION [?]: a register holds its channel's engineering value (kWh, kvarh) times
    10**decimals. Neither the decimal position nor whether the channel constant must be applied
    is documented; the plausibility check compares this against the mass memory."""
    return Fraction(raw, 10**decimals)


@dataclass(frozen=True, slots=True)
class ChannelRegisters:
    registers: tuple[int, ...]  # 7 raw values, REGISTER_NAMES order
    demands: tuple[int, ...]  # 7 raw values, DEMAND_NAMES order
    accumulated: bytes = bytes(18)  # [?] raw

    @property
    def total(self) -> int:
        return self.registers[0]


@dataclass(frozen=True, slots=True)
class IntermediarioRegisters:
    total: int
    ufer: int
    max_demand: int
    dmcr: int
    accumulated: bytes = bytes(6)


@dataclass(frozen=True, slots=True)
class Registers:
    code: int  # 0x23 current, 0x24 previous period
    meter_serial: str
    channels: tuple[ChannelRegisters, ...]
    intermediario: IntermediarioRegisters
    raw: bytes = field(default=b"", compare=False, repr=False)


def decode_registers(body: bytes) -> Registers:
    require_body(body, REGISTER_CODES)
    channels = []
    for first in _CHANNEL_FIRST:
        regs = tuple(from_bcd(span(body, first + 5 * i, first + 5 * i + 4)) for i in range(7))
        d0 = first + 35
        dem = tuple(from_bcd(span(body, d0 + 3 * i, d0 + 3 * i + 2)) for i in range(7))
        channels.append(ChannelRegisters(regs, dem, span(body, first + 56, first + 73)))
    inter = IntermediarioRegisters(
        from_bcd(span(body, 228, 232)),
        from_bcd(span(body, 233, 237)),
        from_bcd(span(body, 238, 240)),
        from_bcd(span(body, 241, 243)),
        span(body, 244, 249),
    )
    return Registers(body[0], bcd_digits(span(body, 2, 5)), tuple(channels), inter, bytes(body))


def encode_registers(r: Registers) -> bytes:
    w = BodyWriter(r.code, r.meter_serial)
    for first, ch in zip(_CHANNEL_FIRST, r.channels, strict=True):
        w.put(first, b"".join(to_bcd(v, 5) for v in ch.registers))
        w.put(first + 35, b"".join(to_bcd(v, 3) for v in ch.demands))
        w.put(first + 56, ch.accumulated[:18].ljust(18, b"\x00"))
    i = r.intermediario
    w.put(228, to_bcd(i.total, 5) + to_bcd(i.ufer, 5) + to_bcd(i.max_demand, 3))
    w.put(241, to_bcd(i.dmcr, 3) + i.accumulated[:6].ljust(6, b"\x00"))
    return w.bytes()
