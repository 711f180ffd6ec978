"""Automatic clock correction, the same policy for every protocol (pure: no I/O).

The policy of a meter (smf.clock_policy_of: its row of smf.meter_clock_policy, else the
defaults of smf.setting) gives ``auto_correct``, ``correct_min_s`` (60), ``correct_max_s``
(3600) and ``boundary_guard_s`` (10). With drift d = meter time − true time and the meter in its
mass-memory interval I = [start, start + step) of ITS clock, at position p = meter − start:

* |d| < min: nothing to do. |d| > max: refused: alarm j (the drift is in poll_attempt), the
  clock is left for an operator (`smf meter clock SERIAL --set`).
* policy off, or the clock already corrected while the meter was in I: deferred (at most one
  automatic correction per interval).
* the new meter time must stay inside I, at least ``guard`` seconds from both ends: moving it
  out of I would close I early (forward) or reopen an interval already closed (backward).
  - a meter within ``guard`` of its interval's end is left for the next session (a move
    while it crosses the boundary would close or reopen an interval);
  - fast meter (d > 0): set back by d when p − d ≥ guard; else, when d ≤ step − 2·guard and
    waiting w = guard + d − p seconds (at most ``max_wait_s``) makes it so, wait then correct;
    else set back by p − guard (partial) when that is at least one second;
  - slow meter (d < 0): set forward by |d| when p + |d| ≤ step − guard; else, if
    |d| ≤ step − 2·guard, wait for the next interval (w = step − p + guard, at most
    ``max_wait_s``) then correct; else set forward by step − guard − p (partial).
* the decision is made again, with the meter's time estimated at that moment, right before the
  clock is moved (after any wait): what no longer fits is deferred, never forced.
* Daylight saving is ignored (the tender's rule): meter time is local standard time at the
  registered UTC offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class ClockPolicy:
    auto_correct: bool = True
    correct_min_s: int = 60
    correct_max_s: int = 3600
    boundary_guard_s: int = 10


@dataclass(frozen=True, slots=True)
class ClockDecision:
    action: str  # 'none', 'correct', 'partial', 'deferred', 'refused'
    drift_s: float  # meter − true, seconds
    shift_s: float = 0.0  # how far to move the meter clock (negative = back)
    wait_s: float = 0.0  # wait this long before moving it
    interval_start: datetime | None = None  # UTC start of the meter's interval (its own grid)
    reason: str = ""


def interval_start(meter_utc: datetime, step: timedelta, utc_offset: timedelta) -> datetime:
    """Start (UTC) of the interval the meter's clock is in: its LOCAL wall time floored to the
    step (the grid of the meter's mass memory)."""
    local = meter_utc.astimezone(UTC) + utc_offset
    s = int(step.total_seconds())
    epoch = int(local.timestamp())
    return datetime.fromtimestamp(epoch // s * s, UTC) - utc_offset


def decide(
    meter_utc: datetime,
    true_utc: datetime,
    step: timedelta,
    utc_offset: timedelta,
    policy: ClockPolicy,
    corrected_in_interval: bool,
    max_wait_s: float,
) -> ClockDecision:
    d = (meter_utc - true_utc).total_seconds()
    start = interval_start(meter_utc, step, utc_offset)
    if abs(d) < policy.correct_min_s:
        return ClockDecision("none", d, interval_start=start)
    if abs(d) > policy.correct_max_s:
        return ClockDecision(
            "refused",
            d,
            interval_start=start,
            reason=f"drift {d:+.0f} s beyond the {policy.correct_max_s} s corrected automatically: "
            "alarm j, left for an operator",
        )
    if not policy.auto_correct:
        return ClockDecision(
            "deferred", d, interval_start=start, reason="automatic correction is off for this meter"
        )
    if corrected_in_interval:
        return ClockDecision(
            "deferred",
            d,
            interval_start=start,
            reason="already corrected once while the meter was in this interval",
        )
    p = (meter_utc - start).total_seconds()
    s = step.total_seconds()
    g = float(policy.boundary_guard_s)
    if p > s - g:  # about to leave its interval: the next session decides
        return ClockDecision(
            "deferred",
            d,
            interval_start=start,
            reason="the meter is at the end of its interval: a move now could cross it",
        )
    if d > 0:  # fast: move back
        if p - d >= g:
            return ClockDecision("correct", d, -d, 0.0, start, "within the meter's interval")
        w = g + d - p
        # after the wait the meter stands at g + d in THIS interval: only if that is not past
        # its end (minus the guard) does the wait help
        if w <= max_wait_s and g + d <= s - g:
            return ClockDecision(
                "correct",
                d,
                -d,
                w,
                start,
                f"waited {w:.0f} s so as not to reopen a closed interval",
            )
        if p - g >= 1:
            return ClockDecision(
                "partial",
                d,
                -(p - g),
                0.0,
                start,
                f"moved back {p - g:.0f} s only: further would reopen a closed interval",
            )
        return ClockDecision(
            "deferred",
            d,
            interval_start=start,
            reason="the meter is at the start of its interval: nothing can be "
            "moved back without reopening the previous one",
        )
    a = -d  # slow: move forward by a
    if p + a <= s - g:
        return ClockDecision("correct", d, a, 0.0, start, "within the meter's interval")
    if a <= s - 2 * g:
        w = s - p + g
        if w <= max_wait_s:
            return ClockDecision(
                "correct",
                d,
                a,
                w,
                start + step,
                f"waited {w:.0f} s for the next interval so as not to close this one early",
            )
    if s - g - p >= 1:
        return ClockDecision(
            "partial",
            d,
            s - g - p,
            0.0,
            start,
            f"moved forward {s - g - p:.0f} s only: further would close the interval early",
        )
    return ClockDecision(
        "deferred",
        d,
        interval_start=start,
        reason="the meter is at the end of its interval: nothing can be moved "
        "forward without closing it early",
    )
