"""Deterministic synthetic load: a pure function of (meter serial, interval start, quantity).

Tests compute expected mass-memory values from here, independently of the protocol path: the
pulse weights and the pulses → engineering-units arithmetic below are the emulator's own.
The shape is a commercial customer in Brasília civil time (UTC-3): low at night, a morning ramp,
a lunch dip, load shed during the 18-21 h ponta, weekdays > Saturday > Sunday, ±5 % noise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from poller.protocol.codec.params import ChannelConstant

MAX_PULSES = 0xFFF
_CIVIL = timedelta(hours=-3)

#: Channel groups of a 12-channel meter (ABNT quantity codes); legacy meters have group 0 only.
GROUPS_12: tuple[tuple[int, int, int], ...] = (
    (1, 10, 11),
    (14, 15, 16),
    (17, 18, 19),
    (20, 21, 22),
)
GROUPS_3: tuple[tuple[int, int, int], ...] = ((1, 10, 11),)
_HOUR_INTEGRAL = frozenset(range(17, 23))


def _hash01(serial: int, minute: int, salt: int) -> float:
    """Uniform [0, 1) from integers (a 32-bit integer mixer; stable across runs)."""
    x = (serial * 0x9E3779B1 + minute * 0x85EBCA77 + salt * 0xC2B2AE3D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    x = (x * 0x297A2D39) & 0xFFFFFFFF
    x ^= x >> 15
    return x / 2**32


def _shape(local: datetime) -> float:
    h = local.hour + local.minute / 60
    if h < 6:
        daily = 0.30
    elif h < 8:
        daily = 0.30 + 0.35 * (h - 6)
    elif h < 18:
        daily = 0.85 if 12 <= h < 13 else 1.0
    elif h < 21:
        daily = 0.55  # ponta: the customer sheds load
    else:
        daily = 0.40
    weekly = (1.0, 1.0, 1.0, 1.0, 1.0, 0.55, 0.35)[local.weekday()]
    return daily * weekly


def active_kw(serial: str, start: datetime) -> float:
    """Mean active power (kW) over the interval starting at ``start`` (aware UTC)."""
    s = int(serial)
    local = start.astimezone(UTC).replace(tzinfo=None) + _CIVIL
    minute = int(start.timestamp()) // 60
    peak = 50 + s % 300
    return peak * _shape(local) * (1 + 0.05 * (2 * _hash01(s, minute, 1) - 1))


def quantity_value(serial: str, start: datetime, interval_min: int, code: int) -> float:
    """Physical value of an ABNT quantity over one interval: kWh/kvarh for energies, mean V or
    A for codes 17-22."""
    p = active_kw(serial, start)
    hours = interval_min / 60
    local = start.astimezone(UTC).replace(tzinfo=None) + _CIVIL
    night = local.hour < 6
    s, minute = int(serial), int(start.timestamp()) // 60
    noise = _hash01(s, minute, code)
    if code == 1:
        return p * hours
    if code == 10:
        return 0.0 if night else 0.45 * p * hours * (0.8 + 0.4 * noise)
    if code == 11:
        return 0.25 * p * hours * (0.8 + 0.4 * noise) if night else 0.0
    if code in (14, 15, 16):  # little reverse flow: occasional export around midday
        return 0.05 * p * hours * noise if 11 <= local.hour < 14 else 0.0
    if code in (17, 18, 19):
        return 127.0 * (1.02 - 0.04 * p / 350 + 0.01 * (noise - 0.5))
    if code in (20, 21, 22):
        return p * 1000 / (3 * 127.0 * 0.95) * (0.97 + 0.06 * noise)
    return 0.0


def pulse_weight(code: int, interval_min: int, bcd: bool = False) -> tuple[int, int]:
    """(numerator, denominator): engineering units per pulse, chosen so that one interval's
    count fits in a word: 12 bits (0-4095), or 0-999 for a meter with BCD words (five times
    coarser pulses). The emulator's own table; the decoder never supplies it."""
    if code in (17, 18, 19):
        num, den = (1, 200) if interval_min <= 5 else (1, 100)
    elif code in (20, 21, 22):
        num, den = (1, 25) if interval_min <= 5 else (1, 10)
    else:
        num, den = (1, 100) if interval_min <= 5 else (1, 40)
    return (num, den // 5) if bcd else (num, den)


def default_constant(code: int, interval_min: int, bcd: bool = False) -> ChannelConstant:
    """The constant the emulated meter announces in its parameter block (0x21 octets 129-146)."""
    return ChannelConstant(*pulse_weight(code, interval_min, bcd))


def interval_pulses(
    serial: str, start: datetime, interval_min: int, code: int, bcd: bool = False
) -> int:
    """The count the emulated meter stores for one channel and interval (0-4095, or 0-999
    with BCD words)."""
    num, den = pulse_weight(code, interval_min, bcd)
    value = Fraction(quantity_value(serial, start, interval_min, code))
    if code in _HOUR_INTEGRAL:
        value *= Fraction(interval_min, 60)  # V·h, A·h
    return min(999 if bcd else MAX_PULSES, max(0, round(value * den / num)))


def expected_value(
    serial: str, start: datetime, interval_min: int, code: int, bcd: bool = False
) -> float:
    """What a correct reader must decode for this channel and interval (engineering units):
    pulses × num / den, and V·h or A·h over the interval's hours for codes 17-22. Computed
    here with the emulator's own table and arithmetic, never with decoder code."""
    num, den = pulse_weight(code, interval_min, bcd)
    pulses = interval_pulses(serial, start, interval_min, code, bcd)
    if code in _HOUR_INTEGRAL:
        return pulses * num * 60 / (den * interval_min)
    return pulses * num / den
