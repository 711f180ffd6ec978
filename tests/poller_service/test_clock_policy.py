"""Clock correction as a per-meter policy, for NBR 14522 and DLMS meters: a clock 5 minutes off
is corrected without crossing an interval boundary (no interval lost or doubled); 90 minutes off
raises alarm j and is left alone; every correction is logged with the meter's time before and
after (smf.clock_correction)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from db.settings import Settings
from poller.clock import ClockPolicy, decide
from poller.emulator import FixedClock, MeterConfig
from poller.emulator.dlms import DlmsMeterConfig
from tests.dlms.conftest import dlms_site
from tests.dlms.conftest import poller as dlms_poller

from .conftest import poller, q, site

STEP = timedelta(minutes=15)
OFF = timedelta(hours=-3)
POLICY = ClockPolicy()  # on, 60 s .. 3600 s, guard 10 s


# --- the decision, worked by hand --------------------------------------------------------------
@pytest.mark.parametrize(
    ("meter_local", "drift_min", "action", "shift_s", "wait_s"),
    [
        # meter 09:12:00 (p = 720 s in 09:00-09:15), 5 min fast: 720 - 300 = 420 >= 10 → back 300
        ("09:12:00", 5, "correct", -300, 0),
        # meter 09:02:00 (p = 120 s), 5 min fast: 120 - 300 < 10; wait 10 + 300 - 120 = 190 s
        ("09:02:00", 5, "correct", -300, 190),
        # meter 09:02:00, 5 min slow: p + 300 = 420 <= 900 - 10 → forward 300
        ("09:02:00", -5, "correct", 300, 0),
        # meter 09:12:00, 5 min slow: 720 + 300 > 890; 300 <= 880: wait 900 - 720 + 10 = 190 s
        ("09:12:00", -5, "correct", 300, 190),
        # 30 s off: below the 60 s floor
        ("09:12:00", 0.5, "none", 0, 0),
        # 90 min: beyond 3600 s → refused (alarm j)
        ("09:12:00", 90, "refused", 0, 0),
    ],
)
def test_decision_by_hand(
    meter_local: str, drift_min: float, action: str, shift_s: float, wait_s: float
) -> None:
    h, m, s = map(int, meter_local.split(":"))
    meter_utc = datetime(2026, 11, 10, h + 3, m, s, tzinfo=UTC)
    true = meter_utc - timedelta(minutes=drift_min)
    d = decide(meter_utc, true, STEP, OFF, POLICY, False, max_wait_s=300)
    assert (d.action, d.shift_s, d.wait_s) == (action, shift_s, wait_s)


def test_a_fast_meter_at_the_start_of_its_interval_moves_back_only_to_the_guard() -> None:
    # 5-minute meter at 09:02:00 (p = 120 s), 5 min fast, no wait allowed: back 120 - 10 = 110 s
    meter_utc = datetime(2026, 11, 10, 12, 2, tzinfo=UTC)
    d = decide(
        meter_utc,
        meter_utc - timedelta(minutes=5),
        timedelta(minutes=5),
        OFF,
        POLICY,
        False,
        max_wait_s=0,
    )
    assert (d.action, d.shift_s) == ("partial", -110)


def test_once_per_interval_and_policy_off_defer() -> None:
    meter_utc = datetime(2026, 11, 10, 12, 12, tzinfo=UTC)
    true = meter_utc - timedelta(minutes=5)
    assert decide(meter_utc, true, STEP, OFF, POLICY, True, 300).action == "deferred"
    off = ClockPolicy(auto_correct=False)
    assert decide(meter_utc, true, STEP, OFF, off, False, 300).action == "deferred"


# --- NBR 14522 ---------------------------------------------------------------------------------
NBR_NOW = datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC)  # 12:02:31 local: p = 151 s in 12:00-12:15


@pytest.mark.slow
async def test_nbr_clock_5_minutes_fast_is_corrected_inside_its_interval(
    db_settings: Settings,
) -> None:
    clock = FixedClock(NBR_NOW)
    cfg = MeterConfig(serial="32600760", interval_min=15, clock_offset=timedelta(minutes=5))
    async with site(db_settings, clock, cfg) as s:
        p = poller(db_settings, clock, sleep=_advance(clock))
        res = await p.read_meter(s.info)
        after_error = s.meter.meter_utc() - clock()
    assert res.ok and res.committed, res
    # meter 12:07:31 local (p = 451 s in 12:00-12:15): 451 - 300 = 151 >= 10: back 300 s now
    assert abs(after_error) < timedelta(seconds=1)
    rows = q(
        db_settings,
        "select kind, outcome, method, meter_before, meter_after, "
        "meter_interval_start from smf.clock_correction",
    )
    assert len(rows) == 1
    kind, outcome, method, before, after, start = rows[0]
    assert (kind, outcome, method) == ("auto", "corrected", "nbr_0x29_0x30")
    assert before - after == pytest.approx(timedelta(minutes=5), abs=timedelta(seconds=1))
    # before and after in the same meter interval (12:00-12:15 local = 15:00-15:15 UTC)
    assert start == datetime(2024, 3, 8, 15, 0, tzinfo=UTC)
    for t in (before, after):
        assert start <= t < start + STEP
    # every interval stored once, none lost: 15-minute grid from the emulator's period start
    # (12:00 local of the day before the reset ... ) has no hole
    gaps = q(db_settings, "select count(*) from smf.meter_event where kind = 'gap'")
    assert gaps == [(0,)]
    # alarm j judges the drift left (about 0 s), not the 300 s fixed
    assert q(db_settings, "select count(*) from smf.alarm where rule_code = 'j'") == [(0,)]


@pytest.mark.slow
async def test_nbr_clock_90_minutes_off_raises_alarm_j_and_is_left_alone(
    db_settings: Settings,
) -> None:
    clock = FixedClock(NBR_NOW)
    cfg = MeterConfig(serial="32600760", interval_min=15, clock_offset=timedelta(minutes=90))
    async with site(db_settings, clock, cfg) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
        error = s.meter.meter_utc() - clock()
    assert res.ok, res
    assert error == timedelta(minutes=90)  # untouched
    assert q(db_settings, "select outcome from smf.clock_correction") == [("refused",)]
    assert q(db_settings, "select command_code from smf.meter_alteration") == []  # no 0x29/0x30
    alarms = q(db_settings, "select rule_code, state, value from smf.alarm")
    assert alarms == [("j", "open", 5400)]  # 90 min = 5400 s > 300 s (rule j default)


# --- DLMS --------------------------------------------------------------------------------------
def _advance(clock: FixedClock):  # type: ignore[no-untyped-def]
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    return sleep


DLMS_NOW = datetime(2026, 11, 10, 12, 2, 0, tzinfo=UTC)  # 09:02:00 local


@pytest.mark.slow
@pytest.mark.parametrize("drift", [timedelta(minutes=5), timedelta(minutes=-5)])
async def test_dlms_clock_5_minutes_corrected_no_interval_lost_or_doubled(
    db_settings: Settings, drift: timedelta
) -> None:
    clock = FixedClock(DLMS_NOW)
    cfg = DlmsMeterConfig(serial="DLMS0001", interval_min=15, clock_offset=drift, profile_days=1)
    async with dlms_site(db_settings, clock, cfg) as s:
        res = await dlms_poller(db_settings, clock).read_meter(s.info)
        error = s.meter.meter_local() - (clock() + cfg.utc_offset).replace(tzinfo=None)
        # fast: meter 09:07:00 (p = 420 s): 420 - 300 = 120 >= 10: back 300 s at once.
        # slow: meter 08:57:00 (p = 720 s in 08:45-09:00): 720 + 300 > 890: wait
        # 900 - 720 + 10 = 190 s (meter 09:00:10), then forward 300 s: 09:05:10, same interval.
        lost, doubled = set(s.meter.lost), set(s.meter.doubled)
        sets = list(s.meter.clock_sets)
        clock.advance(timedelta(hours=1))  # an hour later, the next read
        res2 = await dlms_poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed and res2.ok and res2.committed, (res, res2)
    assert abs(error) < timedelta(seconds=1)
    assert lost == set() and doubled == set()
    assert len(sets) == 1
    _, before, after = sets[0]
    step = 15 * 60
    assert int(before.timestamp()) // step == int(after.timestamp()) // step  # same interval
    rows = stored(db_settings)
    starts = sorted(rows)
    assert all(b - a == STEP for a, b in pairwise(starts))  # no hole
    assert len(starts) == len(set(starts))
    log = q(db_settings, "select outcome, method from smf.clock_correction")
    assert log == [("corrected", "dlms_shift_time")]
    assert q(db_settings, "select count(*) from smf.alarm where rule_code = 'j'") == [(0,)]


@pytest.mark.slow
async def test_dlms_clock_90_minutes_off_raises_alarm_j_and_is_left_alone(
    db_settings: Settings,
) -> None:
    clock = FixedClock(DLMS_NOW)
    cfg = DlmsMeterConfig(
        serial="DLMS0001", interval_min=15, clock_offset=timedelta(minutes=90), profile_days=1
    )
    async with dlms_site(db_settings, clock, cfg) as s:
        res = await dlms_poller(db_settings, clock).read_meter(s.info)
        sets = list(s.meter.clock_sets)
    assert res.ok, res
    assert sets == []
    assert q(db_settings, "select outcome from smf.clock_correction") == [("refused",)]
    assert q(db_settings, "select rule_code, state, value from smf.alarm") == [("j", "open", 5400)]


def stored(settings: Settings) -> dict[datetime, object]:
    return {r[0]: r for r in q(settings, "select ts from smf.interval_reading order by ts")}


@pytest.mark.parametrize(
    ("meter_local", "drift_min", "action", "shift_s", "wait_s"),
    [
        # 5-minute meter at 09:07:00 (p = 120 s in 09:05-09:10), 5 min fast: 10 + 300 = 310 s
        # is past the interval's end minus the guard (290 s): waiting cannot help → back
        # 120 - 10 = 110 s only
        ("09:07:00", 5, "partial", -110, 0),
        # 09:10:10 (p = 10 s), 190 s fast: 10 + 190 = 200 <= 290: wait 10 + 190 - 10 = 190 s
        ("09:10:10", 190 / 60, "correct", -190, 190),
        # 09:09:55 (p = 295 s > 300 - 10): about to leave its interval: deferred
        ("09:09:55", 3, "deferred", 0, 0),
    ],
)
def test_decision_by_hand_five_minute_meter(
    meter_local: str, drift_min: float, action: str, shift_s: float, wait_s: float
) -> None:
    h, m, s = map(int, meter_local.split(":"))
    meter_utc = datetime(2026, 11, 10, h + 3, m, s, tzinfo=UTC)
    d = decide(meter_utc, meter_utc - timedelta(minutes=drift_min), timedelta(minutes=5), OFF,
               POLICY, False, max_wait_s=300)  # fmt: skip
    assert (d.action, round(d.shift_s), round(d.wait_s)) == (action, shift_s, wait_s)


@pytest.mark.slow
async def test_dlms_five_minute_meter_5_minutes_fast_converges_over_two_sessions(
    db_settings: Settings,
) -> None:
    # true 12:02:00 UTC; the meter reads 09:07:00 local (5 min fast), 5-minute intervals.
    # Session 1: partial, back 110 s (09:05:10, still 190 s fast).
    # Session 2, 5 min later: meter 09:10:10 (p = 10 s): wait 190 s, back 190 s: on time.
    clock = FixedClock(DLMS_NOW)
    cfg = DlmsMeterConfig(serial="DLMS0001", interval_min=5, clock_offset=timedelta(minutes=5),
                          profile_days=1)  # fmt: skip
    async with dlms_site(db_settings, clock, cfg) as s:
        r1 = await dlms_poller(db_settings, clock).read_meter(s.info)
        left1 = s.meter.offset
        clock.advance(timedelta(minutes=5))
        r2 = await dlms_poller(db_settings, clock).read_meter(s.info)
        left2 = s.meter.offset
        lost, doubled, sets = set(s.meter.lost), set(s.meter.doubled), list(s.meter.clock_sets)
    assert r1.ok and r2.ok and r1.committed and r2.committed
    assert left1 == timedelta(seconds=190) and left2 == timedelta(0)
    assert lost == set() and doubled == set()
    for _, before, after in sets:  # each move stays inside one 5-minute interval
        assert int(before.timestamp()) // 300 == int(after.timestamp()) // 300
    log = q(db_settings, "select outcome, round(drift_before_s), round(drift_after_s) "
                         "from smf.clock_correction order by id")  # fmt: skip
    assert log == [("partial", 300, 190), ("corrected", 190, 0)]
    starts = sorted(stored(db_settings))
    assert all(b - a == timedelta(minutes=5) for a, b in pairwise(starts))


@pytest.mark.slow
async def test_policy_off_for_one_meter_defers_and_logs(db_settings: Settings) -> None:
    from poller import registry

    clock = FixedClock(DLMS_NOW)
    cfg = DlmsMeterConfig(serial="DLMS0001", interval_min=15, clock_offset=timedelta(minutes=5),
                          profile_days=1)  # fmt: skip
    async with dlms_site(db_settings, clock, cfg) as s:
        registry.set_clock_policy(db_settings.url, "DLMS0001", auto_correct=False)
        res = await dlms_poller(db_settings, clock).read_meter(s.info)
        sets = list(s.meter.clock_sets)
    assert res.ok and sets == []  # left alone
    log = q(db_settings, "select outcome, reason from smf.clock_correction")
    assert log == [("deferred", "automatic correction is off for this meter")]
    ev = q(
        db_settings, "select count(*) from smf.meter_event where kind = 'clock_correction_deferred'"
    )
    assert ev == [(1,)]
