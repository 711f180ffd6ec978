"""When a meter is due, and how long to wait after a failure.

Schedules (smf.meter.poll_schedule) are aligned to clock boundaries so a fleet polls just after
the intervals close: ``15min`` at :00/:15/:30/:45, ``hourly`` at :00, ``daily`` at the meter's
local midnight, each plus a settle delay (the meter must have closed the interval, and its clock
may be a little behind ours). ``never`` is on-demand only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SCHEDULES = ("15min", "hourly", "daily", "never")
DEFAULT_SETTLE = timedelta(minutes=2)


def next_due(
    schedule: str,
    after: datetime,
    utc_offset: timedelta = timedelta(hours=-3),
    settle: timedelta = DEFAULT_SETTLE,
) -> datetime | None:
    """First scheduled poll strictly after ``after`` (aware); None for ``never``.

    Raises ValueError for an unknown schedule name.
    """
    if after.tzinfo is None:
        raise ValueError("next_due needs an aware datetime")
    if schedule == "never":
        return None
    if schedule == "15min":
        step, origin = timedelta(minutes=15), datetime(2000, 1, 1, tzinfo=UTC)
    elif schedule == "hourly":
        step, origin = timedelta(hours=1), datetime(2000, 1, 1, tzinfo=UTC)
    elif schedule == "daily":
        # local midnight of the meter = 00:00 UTC shifted by minus its offset
        step, origin = timedelta(days=1), datetime(2000, 1, 1, tzinfo=UTC) - utc_offset
    else:
        raise ValueError(f"unknown poll schedule {schedule!r}; expected one of {SCHEDULES}")
    k = (after - settle - origin) // step + 1
    return origin + k * step + settle


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter bounds: attempt n (0-based) waits
    ``min(cap, base * factor**n)`` scaled by a random factor in [1 - jitter, 1]."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.2

    def delay(self, n: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry ``n`` (0 = the first retry)."""
        raw = min(self.cap, self.base * self.factor ** max(0, n))
        r = (rng or random).random()
        return raw * (1 - self.jitter * r)
