"""The meter's clock and UTC (poller/protocol/timebase.py): a fixed base offset, -03:00 unless
configured, and the daylight-saving window of the parameter block (octets 158-162, notes §3.2),
during which the meter clock runs one hour ahead of its base offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from poller.protocol.timebase import DstRule, dst_active, local_to_utc, utc_to_local


def test_dst_rule_and_utc_conversion() -> None:
    rule = DstRule(True, (3, 11), (16, 2))  # summer time from 3 Nov to 16 Feb (wraps the year)
    assert dst_active(rule, datetime(2024, 12, 1)) and dst_active(rule, datetime(2024, 1, 31))
    assert not dst_active(rule, datetime(2024, 6, 1))
    assert not dst_active(DstRule(), datetime(2024, 12, 1))
    winter = datetime(2024, 6, 1, 12, 0)
    summer = datetime(2024, 12, 1, 12, 0)
    assert local_to_utc(winter, dst=rule) == datetime(2024, 6, 1, 15, 0, tzinfo=UTC)
    assert local_to_utc(summer, dst=rule) == datetime(2024, 12, 1, 14, 0, tzinfo=UTC)
    assert utc_to_local(datetime(2024, 12, 1, 14, 0, tzinfo=UTC), dst=rule) == summer


def test_dst_window_starts_inclusive_ends_exclusive_and_zero_disables() -> None:
    # summer time from 00:00 of 3 Nov up to 00:00 of 16 Feb (wraps the year)
    rule = DstRule(True, (3, 11), (16, 2))
    assert dst_active(rule, datetime(2024, 11, 3, 0, 0))  # first instant
    assert not dst_active(rule, datetime(2024, 11, 2, 23, 59))
    assert dst_active(rule, datetime(2025, 2, 15, 23, 59))
    assert not dst_active(rule, datetime(2025, 2, 16, 0, 0))  # end is exclusive
    # a window inside one year: 1 Mar up to 1 Apr
    spring = DstRule(True, (1, 3), (1, 4))
    assert dst_active(spring, datetime(2024, 3, 1)) and dst_active(spring, datetime(2024, 3, 31))
    assert not dst_active(spring, datetime(2024, 4, 1))
    assert not dst_active(spring, datetime(2024, 2, 29))
    assert not dst_active(spring, datetime(2024, 12, 1))
    # any zero day or month disables the rule
    for w, s in (((0, 3), (1, 4)), ((1, 0), (1, 4)), ((1, 3), (0, 4)), ((1, 3), (1, 0))):
        assert not dst_active(DstRule(True, w, s), datetime(2024, 3, 15))
    assert not dst_active(DstRule(False, (1, 3), (1, 4)), datetime(2024, 3, 15))


def test_local_time_to_utc_and_back_with_dst_and_other_offsets() -> None:
    spring = DstRule(True, (1, 3), (1, 4))
    # 12:00 local at -03:00 = 15:00 UTC; with DST the meter runs at -02:00: 14:00 UTC
    assert local_to_utc(datetime(2024, 2, 1, 12)) == datetime(2024, 2, 1, 15, tzinfo=UTC)
    assert local_to_utc(datetime(2024, 3, 2, 12), dst=spring) == datetime(
        2024, 3, 2, 14, tzinfo=UTC
    )
    five = timedelta(hours=-5)
    assert local_to_utc(datetime(2024, 2, 1, 12), five) == datetime(2024, 2, 1, 17, tzinfo=UTC)
    assert utc_to_local(datetime(2024, 2, 1, 17, tzinfo=UTC), five) == datetime(2024, 2, 1, 12)
    assert utc_to_local(datetime(2024, 3, 2, 14, tzinfo=UTC), dst=spring) == datetime(
        2024, 3, 2, 12
    )
    assert utc_to_local(datetime(2024, 2, 1, 15, tzinfo=UTC), dst=spring) == datetime(
        2024, 2, 1, 12
    )
