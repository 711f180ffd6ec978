"""Meter-local clock ↔ UTC.

Meters keep naive local time. We configure a fixed base offset (default -03:00, Brasília) and
honour the parameter block's daylight-saving settings (octets 158-162): when DST is active the
meter clock runs at base + 1 h.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_UTC_OFFSET = timedelta(hours=-3)


@dataclass(frozen=True, slots=True)
class DstRule:
    enabled: bool = False
    winter_end: tuple[int, int] = (0, 0)  # (day, month): summer time starts at 00:00
    summer_end: tuple[int, int] = (0, 0)  # (day, month): summer time ends at 00:00


def dst_active(rule: DstRule, local: datetime) -> bool:
    """ASSUMPTION [I]: DST is active from 00:00 of the end-of-winter date up to 00:00 of the
    end-of-summer date, wrapping the year (southern hemisphere); the hour of the switch is [?]."""
    if not rule.enabled or 0 in (*rule.winter_end, *rule.summer_end):
        return False
    key = (local.month, local.day)
    start = (rule.winter_end[1], rule.winter_end[0])
    end = (rule.summer_end[1], rule.summer_end[0])
    if start <= end:
        return start <= key < end
    return key >= start or key < end


def local_to_utc(
    local: datetime, base: timedelta = DEFAULT_UTC_OFFSET, dst: DstRule | None = None
) -> datetime:
    """Aware UTC datetime of a naive meter-local time."""
    offset = base + (timedelta(hours=1) if dst and dst_active(dst, local) else timedelta())
    return (local - offset).replace(tzinfo=UTC)


def utc_to_local(
    utc: datetime, base: timedelta = DEFAULT_UTC_OFFSET, dst: DstRule | None = None
) -> datetime:
    """Naive meter-local time of an aware UTC datetime."""
    local = utc.astimezone(UTC).replace(tzinfo=None) + base
    if dst and dst_active(dst, local):
        local += timedelta(hours=1)
    return local
