"""Which mass-memory layout and register unit a meter uses, decided from its own data, and the
plausibility check that compares like with like (NBR 14522 notes §4.3, §4.4).

Neither the word layout (:mod:`poller.protocol.codec.mmlayout`) nor the unit of the 0x23/0x24
energy registers is settled by the public record, and meter models differ. So on each read of a
meter whose profile is not settled:

1. every candidate layout decodes the data; a BCD layout is ruled out when any nibble is above 9;
2. over the current period (opened by the last demand reset), the interval pulse sums of each
   energy channel of group 0 are compared with the register growth (0x23 now minus 0x24, frozen
   at that reset) under every candidate register unit, all in PULSES;
3. the (layout, unit) pairs that agree on every channel survive. The layout is decided when one
   survives; when the survivors decode this data identically (all high nibbles zero, or every
   word below 10) the read is exact whichever it is, and the layout stays ``undetermined``.

Tolerance (pulses) = ``relative`` × |register growth| + one pulse per interval + one unit of the
register's last digit (the register rounds). Default ``relative`` = 0.5 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from poller.protocol.codec.mmlayout import CANDIDATES, UNDETERMINED, Layout, bcd_possible, unpack
from poller.protocol.codec.params import Parameters
from poller.protocol.codec.quantities import DEFAULT_QUANTITY_MAP
from poller.protocol.codec.registers import Registers
from poller.protocol.errors import DecodeError

#: register units: the raw register is the pulse count, or kWh (kvarh) × N
REGISTER_SCALE: dict[str, int] = {
    "kwh_x1": 1,
    "kwh_x10": 10,
    "kwh_x100": 100,
    "kwh_x1000": 1000,
    "kwh_x10000": 10000,
}
REGISTER_UNITS: tuple[str, ...] = ("kwh_x1000", "pulses", "kwh_x1", "kwh_x10", "kwh_x100",
                                   "kwh_x10000")  # fmt: skip
DEFAULT_TOLERANCE = 0.005


def parse_unit(text: str | None) -> str | None:
    """A stored register unit → itself, None for ``undetermined``. Raises ValueError."""
    if text is None or text == UNDETERMINED:
        return None
    if text not in REGISTER_UNITS:
        raise ValueError(f"unknown register unit {text!r} (one of {', '.join(REGISTER_UNITS)})")
    return text


@dataclass(frozen=True, slots=True)
class ChannelFigures:
    """One energy channel over the current period, in pulses and engineering units."""

    name: str
    intervals: int
    pulse_sum: int
    register_delta: Fraction  # in pulses, under the unit tried
    tolerance: Fraction  # in pulses
    constant: Fraction  # engineering units per pulse

    @property
    def agrees(self) -> bool:
        return abs(self.pulse_sum - self.register_delta) <= self.tolerance

    def describe(self) -> str:
        unit = "kvarh" if self.name.endswith("kvarh") else "kWh"
        k = self.constant
        return (
            f"{self.name}: intervals sum {float(self.pulse_sum * k):.3f} {unit} "
            f"({self.pulse_sum} pulses), registers grew {float(self.register_delta * k):.3f} "
            f"{unit} (tolerance {float(self.tolerance * k):.3f} {unit})"
        )


@dataclass(slots=True)
class Decision:
    """The outcome of one detection (or plausibility) pass over a read."""

    layout: Layout | None  # decided layout, None: undetermined
    unit: str | None  # decided register unit, None: undetermined
    decode_with: Layout  # the layout this read's intervals must be decoded with
    agreeing: list[tuple[Layout, str]] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)
    contradiction: list[ChannelFigures] = field(default_factory=list)  # none agreed: figures
    evidence: dict[str, Any] = field(default_factory=dict)
    had_evidence: bool = False

    def evidence_text(self) -> str:
        parts = [f"{k} ruled out ({v})" for k, v in self.excluded.items()]
        if self.agreeing:
            parts.append(
                "agreeing with the registers: "
                + ", ".join(f"{la.value} with registers in {u}" for la, u in self.agreeing)
            )
        return "; ".join(parts) or "no evidence yet"


def _energy_channels(p: Parameters) -> list[tuple[int, str, Fraction]]:
    out = []
    for idx, code in enumerate(p.quantity_codes[:3]):
        mapped = DEFAULT_QUANTITY_MAP.get(code)
        if mapped is not None and mapped[0].endswith(("kwh", "kvarh")):
            out.append((idx, mapped[0], p.constants[idx].value))
    return out


def figures(
    p: Parameters,
    data: bytes | list[int],
    layout: Layout,
    unit: str,
    before: Registers,
    after: Registers,
    relative: float = DEFAULT_TOLERANCE,
) -> list[ChannelFigures]:
    """Per energy channel of group 0: pulse sum of the current period under ``layout`` (or of
    the words already unpacked with it) against the register growth read in ``unit``. Raises
    DecodeError (layout impossible for ``data``)."""
    words = (unpack(data, layout) if isinstance(data, bytes) else data)[: p.words_current]
    n = len(words) // 3
    out = []
    for idx, name, k in _energy_channels(p):
        if idx >= len(after.channels) or idx >= len(before.channels):
            continue
        pulses = sum(words[idx : 3 * n : 3])
        raw = after.channels[idx].total - before.channels[idx].total
        if unit == "pulses":
            delta, digit = Fraction(raw), Fraction(1)
        elif k == 0:
            delta, digit = Fraction(0), Fraction(0)
        else:
            scale = REGISTER_SCALE[unit]
            delta, digit = Fraction(raw, scale) / k, Fraction(1, scale) / k
        tol = Fraction(relative) * abs(delta) + n + digit
        out.append(ChannelFigures(name, n, pulses, delta, tol, k))
    return out


def decide(
    p_current: Parameters | None,
    data_current: bytes | None,
    all_data: Iterable[bytes],
    before: Registers | None,
    after: Registers | None,
    layout: Layout | None,
    unit: str | None,
    relative: float = DEFAULT_TOLERANCE,
) -> Decision:
    """Detection (``layout`` or ``unit`` None) or plausibility (both known) over one read.

    ``p_current``/``data_current``: group 0's parameter block and raw mass memory of the
    current period; ``all_data``: every raw mass memory of the read (for the BCD test).
    """
    blobs = list(all_data)
    layouts: Sequence[Layout] = (layout,) if layout is not None else CANDIDATES
    units: Sequence[str] = (unit,) if unit is not None else REGISTER_UNITS
    excluded: dict[str, str] = {}
    live = []
    for la in layouts:
        if la.bcd and not all(bcd_possible(b) for b in blobs):
            excluded[la.value] = "a nibble above 9: not BCD"
        else:
            live.append(la)
    guess = layout or (live[0] if live else CANDIDATES[0])
    d = Decision(layout, unit, guess, excluded=excluded)
    usable = (
        p_current is not None
        and data_current is not None
        and before is not None
        and after is not None
        and p_current.words_current >= 3
    )
    results: dict[tuple[Layout, str], list[ChannelFigures]] = {}
    if usable:
        assert p_current is not None and data_current is not None
        assert before is not None and after is not None
        for la in live:
            for u in units:
                try:
                    results[la, u] = figures(
                        p_current, data_current, la, u, before, after, relative
                    )
                except DecodeError:
                    excluded[la.value] = "a word is not valid BCD"
        d.had_evidence = any(f.pulse_sum or f.register_delta for fs in results.values() for f in fs)
        d.agreeing = [k for k, fs in results.items() if all(f.agrees for f in fs)]
        d.evidence = {
            f"{la.value} | {u}": [
                {
                    "channel": f.name,
                    "pulses": f.pulse_sum,
                    "register_pulses": float(f.register_delta),
                    "tolerance_pulses": float(f.tolerance),
                }
                for f in fs
            ]
            for (la, u), fs in results.items()
        }
        if not d.agreeing and results:
            # Nothing agrees: report the figures of the pair the read is decoded with (or the
            # closest one) so that an operator sees both numbers.
            def miss(fs: list[ChannelFigures]) -> Fraction:
                return sum((abs(f.pulse_sum - f.register_delta) for f in fs), Fraction(0))

            key = min(results, key=lambda k: (k[0] != guess, miss(results[k])))
            d.contradiction = results[key]
            return d
        survivors = d.agreeing
    else:
        survivors = [(la, u) for la in live for u in units]
    if not survivors:
        return d
    surviving_layouts = list(dict.fromkeys(la for la, _ in survivors))
    surviving_units = list(dict.fromkeys(u for _, u in survivors))
    if len(surviving_layouts) == 1:
        d.layout = surviving_layouts[0]
    if unit is not None:
        d.unit = unit
    elif usable and d.had_evidence and _same_figures(results, survivors):
        # One unit, or several that read this meter's registers identically (e.g. pulses and
        # kWh × 100 under a constant of 1/100 kWh): the first in REGISTER_UNITS order.
        d.unit = surviving_units[0]
    if d.layout is not None:
        d.decode_with = d.layout
    elif len({tuple(_all_words(blobs, la)) for la in surviving_layouts}) == 1:
        d.decode_with = surviving_layouts[0]  # every survivor reads this data the same
    elif guess in surviving_layouts:
        d.decode_with = guess
    else:
        d.decode_with = surviving_layouts[0]
    if not d.had_evidence and layout is None and len(live) > 1:
        d.layout = None if len(surviving_layouts) > 1 else d.layout
    return d


def _same_figures(
    results: dict[tuple[Layout, str], list[ChannelFigures]], survivors: list[tuple[Layout, str]]
) -> bool:
    figs = {tuple(f.register_delta for f in results[k]) for k in survivors if k in results}
    return len(figs) == 1


def _all_words(blobs: Sequence[bytes], layout: Layout) -> list[int]:
    out: list[int] = []
    for b in blobs:
        try:
            out.extend(unpack(b, layout))
        except DecodeError:
            return [-1]
    return out
