"""Plausibility of decoded mass memory against the registers (NBR 14522 notes §4.4, §8).

The mass-memory layout assumptions (:mod:`.codec.massmem`) and the register scaling
(:func:`.codec.registers.register_value`) are unverified. Over one period, the sum of the
interval energies of a channel must match the growth of its total register. A meter whose
data contradicts this is flagged; the relative error says by how much.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from .codec.registers import Registers, register_value


class Verdict(Enum):
    CONSISTENT = "consistent"
    INCONCLUSIVE = "inconclusive"  # too little energy to judge
    CONTRADICTS = "contradicts"  # the data contradicts our layout/scaling assumptions


@dataclass(frozen=True, slots=True)
class Plausibility:
    quantity: str
    interval_sum: float
    register_delta: float
    relative_error: float | None
    verdict: Verdict

    def __str__(self) -> str:
        err = "n/a" if self.relative_error is None else f"{self.relative_error:.2%}"
        return (
            f"{self.quantity}: intervals sum {self.interval_sum:.3f}, register delta "
            f"{self.register_delta:.3f}, relative error {err} → {self.verdict.value}"
        )


def compare(
    quantity: str,
    interval_sum: float,
    register_delta: float,
    tolerance: float = 0.02,
    min_delta: float = 1.0,
) -> Plausibility:
    """Verdict on one channel. ``tolerance`` is relative; below ``min_delta`` (engineering
    units) of register growth the comparison is inconclusive unless the sum is far off."""
    if register_delta < 0:
        return Plausibility(quantity, interval_sum, register_delta, None, Verdict.CONTRADICTS)
    if abs(register_delta) < min_delta:
        verdict = (
            Verdict.INCONCLUSIVE
            if abs(interval_sum - register_delta) < min_delta
            else Verdict.CONTRADICTS
        )
        return Plausibility(quantity, interval_sum, register_delta, None, verdict)
    err = abs(interval_sum - register_delta) / register_delta
    verdict = Verdict.CONSISTENT if err <= tolerance else Verdict.CONTRADICTS
    return Plausibility(quantity, interval_sum, register_delta, err, verdict)


def check_mass_memory(
    interval_values: Iterable[dict[str, float | None]],
    before: Registers,
    after: Registers,
    channel_names: Sequence[str | None],
    tolerance: float = 0.02,
    register_decimals: int | None = None,
) -> list[Plausibility]:
    """Compare per-channel interval sums with ``after.total - before.total``.

    ``before``/``after`` are usually 0x24 (totals frozen at the reset that opened the current
    period) and 0x23 (totals now); ``channel_names`` gives the canonical name of each of the
    3 visible register channels (None to skip, e.g. voltage channels).
    """
    rows = list(interval_values)
    out = []
    for idx, name in enumerate(channel_names):
        if name is None or idx >= len(after.channels):
            continue
        total = sum(v for row in rows if (v := row.get(name)) is not None)
        raw = after.channels[idx].total - before.channels[idx].total
        delta = (
            register_value(raw)
            if register_decimals is None
            else register_value(raw, register_decimals)
        )
        out.append(compare(name, total, float(delta), tolerance))
    return out
