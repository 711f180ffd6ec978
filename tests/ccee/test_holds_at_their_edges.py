"""Every pre-check, hold and threshold of OUR CCEE path at its boundary: just below, at, just
above (db/functions/400_ccee.sql, 410_ccee_ledger.sql). The emulator's own MUSD check is tested
in tests/ccee/test_emulator.py; these pin the product's side, through the public
functions smf.ccee_hold_reasons / ccee_build / ccee_open_from / ccee_record / ccee_claim /
ccee_release / ccee_deadline_warnings.

CCEE day D = [D 00:00, D+1 00:00) at -03:00; day 2026-10-01 (a Thursday) unless said otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.ccee.helpers import DAY, FAR, make_uc, put_day

US = timedelta(microseconds=1)


def _codes(conn: psycopg.Connection[Any], code: str, now: datetime = FAR) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select code from smf.ccee_hold_reasons(%s, %s, %s)", (code, DAY, now)
        ).fetchall()
    ]


def _hour1(total_wh: int) -> list[int]:
    """Twelve 5-minute values summing to total_wh: eleven of total // 12, the rest last."""
    base = total_wh // 12
    return [base] * 11 + [total_wh - 11 * base]


# -- MUSD: an hour is held when its kWh > 1.25 x MUSD (kW) x 1 h --------------------------------


@pytest.mark.parametrize(
    ("hour_wh", "held"),
    [
        # MUSD 10 kW: limit 1.25 x 10 kW x 1 h = 12.5 kWh = 12,500 Wh
        (12_499, False),  # 12.499 kWh: 1 Wh below
        (12_500, False),  # at the limit: CCEE rejects only what is OVER it
        (12_501, True),  # 1 Wh over
    ],
)
def test_musd_precheck_holds_only_an_hour_over_125_pct(conn, hour_wh, held) -> None:
    uc = make_uc(conn, 1, musd_kw=10)
    put_day(conn, uc, _hour1(hour_wh) + [100] * 276)
    assert _codes(conn, uc.code) == (["musd_exceeded"] if held else [])


@pytest.mark.parametrize(
    ("raw_hour_wh", "held"),
    [
        # loss factor 0.02: hour 1 sent = round(raw x 1.02) (cumulative rounding, half up)
        (12_255, False),  # 12,255 x 1.02 = 12,500.10 -> 12,500 Wh: at the limit
        (12_256, True),  # 12,256 x 1.02 = 12,501.12 -> 12,501 Wh: over 12,500
    ],
)
def test_musd_precheck_is_on_the_loss_adjusted_values(conn, raw_hour_wh, held) -> None:
    uc = make_uc(conn, 1, musd_kw=10, loss="0.02")
    put_day(conn, uc, _hour1(raw_hour_wh) + [100] * 276)
    assert _codes(conn, uc.code) == (["musd_exceeded"] if held else [])


def test_musd_precheck_uses_the_factor_valid_on_the_day(conn) -> None:
    """rule_param musd_factor 1.25 -> 1.30 from 2026-10-01: limit 13 kWh; 12.6 kWh passes."""
    conn.execute(
        "update smf.rule_parameter set valid_during = daterange(lower(valid_during), '2026-10-01')"
        " where key = 'musd_factor'"
    )
    conn.execute(
        "insert into smf.rule_parameter (key, valid_during, value, unit, confidence, description)"
        " values ('musd_factor', '[2026-10-01,)', 1.30, '1', 'U', 'test')"
    )
    uc = make_uc(conn, 1, musd_kw=10)
    put_day(conn, uc, _hour1(12_600) + [100] * 276)
    assert _codes(conn, uc.code) == []
    put_day(conn, uc, _hour1(13_001) + [100] * 276)  # 13.001 > 1.30 x 10 = 13.000
    assert _codes(conn, uc.code) == ["musd_exceeded"]


def test_musd_policy_send_turns_the_hold_into_a_warning(conn) -> None:
    uc = make_uc(conn, 1, musd_kw=10)
    put_day(conn, uc, _hour1(12_501) + [100] * 276)
    conn.execute("update smf.setting set value = 'send' where key = 'ccee_musd_policy'")
    row = conn.execute(
        "select reasons, warnings from smf.ccee_build(array[%s], %s, %s)", (uc.id, DAY, FAR)
    ).fetchone()
    assert row[0] == []
    assert [w["code"] for w in row[1]] == ["musd_exceeded"]
    assert row[1][0]["message"].startswith(
        "sent by policy ccee_musd_policy = send; hour 1 (00:00-01:00 -03:00): 12.501 kWh"
    )


def test_no_musd_means_no_musd_check(conn) -> None:
    uc = make_uc(conn, 1, musd_kw=None)
    put_day(conn, uc, [100_000] * 288)  # 1.2 MWh per hour
    assert _codes(conn, uc.code) == []


# -- completeness: all 288 five-minute values, none flagged missing ------------------------------


@pytest.mark.parametrize(
    ("present", "held"),
    [(287, True), (288, False)],
)
def test_completeness_needs_all_288_values(conn, present, held) -> None:
    uc = make_uc(conn, 1)
    put_day(conn, uc, [100] * present + [None] * (288 - present))
    assert _codes(conn, uc.code) == (["incomplete"] if held else [])


def test_a_row_flagged_missing_does_not_count_as_present(conn) -> None:
    uc = make_uc(conn, 1)
    put_day(conn, uc, [100] * 288, quality={0: "missing"})
    msg = conn.execute(
        "select message from smf.ccee_hold_reasons(%s, %s, %s)", (uc.code, DAY, FAR)
    ).fetchone()[0]
    # slot 0 (00:00-00:05) is the first missing one: it ends 00:05
    assert (
        msg == "287 of 288 five-minute values present; first missing ends 2026-10-01T00:05:00-03:00"
    )


@pytest.mark.parametrize(("present", "held"), [(95, True), (96, False)])
def test_a_15_minute_meter_needs_all_96_quarters(conn, present, held) -> None:
    uc = make_uc(conn, 1, interval=15)
    put_day(conn, uc, [300] * present + [None] * (96 - present), interval=15)
    assert _codes(conn, uc.code) == (["incomplete"] if held else [])


# -- the day must be over: CCEE day D ends at D+1 00:00 -03:00 = D+1 03:00 UTC ------------------


@pytest.mark.parametrize(
    ("now", "held"),
    [
        (datetime(2026, 10, 2, 3, 0, tzinfo=UTC) - US, True),  # 23:59:59.999999 -03:00
        (datetime(2026, 10, 2, 3, 0, tzinfo=UTC), False),  # 10-02 00:00 -03:00 exactly
    ],
)
def test_future_day_until_the_day_has_ended(conn, now, held) -> None:
    uc = make_uc(conn, 1)
    put_day(conn, uc, [100] * 288)
    assert _codes(conn, uc.code, now) == (["future_day"] if held else [])


# -- deadline: October 2026's MS+7du is 2026-11-11 (Finados, Nov 2, is not a business day) -------


@pytest.mark.parametrize(
    ("now", "open_from"),
    [
        (datetime(2026, 11, 12, 3, 0, tzinfo=UTC) - US, date(2026, 10, 1)),  # 11-11 23:59:59 -03
        (datetime(2026, 11, 12, 3, 0, tzinfo=UTC), date(2026, 11, 1)),  # 11-12 00:00 -03
    ],
)
def test_the_previous_month_is_open_through_its_deadline_day(conn, now, open_from) -> None:
    assert conn.execute("select smf.ccee_open_from(%s)", (now,)).fetchone()[0] == open_from


@pytest.mark.parametrize(
    ("now", "warned"),
    [
        # MS+5du of October 2026 = 2026-11-09 (business days 3, 4, 5, 6, 9)
        (datetime(2026, 11, 9, 3, 0, tzinfo=UTC) - US, False),  # 11-08 23:59:59 -03
        (datetime(2026, 11, 9, 3, 0, tzinfo=UTC), True),  # 11-09 00:00 -03
        (datetime(2026, 11, 12, 3, 0, tzinfo=UTC) - US, True),  # the deadline day, 11-11
        (datetime(2026, 11, 12, 3, 0, tzinfo=UTC), False),  # past the deadline: no longer
    ],
)
def test_deadline_warnings_from_ms_plus_5du_through_the_deadline(conn, now, warned) -> None:
    uc = make_uc(conn, 1)
    put_day(conn, uc, [100] * 288)  # day 10-01 stored, never accepted: the month is at risk
    rows = conn.execute("select uc_code from smf.ccee_deadline_warnings(%s)", (now,)).fetchall()
    assert rows == ([(uc.code,)] if warned else [])


# -- retries and claims -----------------------------------------------------------------------


def _record(conn, uc, outcome: str, attempt: int, now: datetime) -> datetime:
    conn.execute(
        "select * from smf.ccee_claim_one(%s, %s, 'h', 60, %s)", (uc.code, DAY, now)
    ).fetchall()
    assert conn.execute(
        "select smf.ccee_record(%s, %s, 'h', %s, 'schedule', %s, null, null, 500, 'x', %s,"
        " null, null, 'fp', %s)",
        (uc.id, DAY, attempt, now, outcome, now),
    ).fetchone() == (True,)
    return conn.execute(
        "select next_try_at from smf.ccee_uc_day where consumer_unit_id = %s and day = %s",
        (uc.id, DAY),
    ).fetchone()[0]


@pytest.mark.parametrize(
    ("attempt", "wait_s"),
    [
        (1, 900),  # ccee_retry_base_s 900 x 2^0
        (2, 1_800),
        (5, 14_400),  # 900 x 2^4
        (6, 21_600),  # 900 x 2^5 = 28,800 > the 6 h cap (21,600 s)
        (7, 21_600),
    ],
)
def test_failed_attempts_back_off_doubling_up_to_six_hours(conn, attempt, wait_s) -> None:
    uc = make_uc(conn, 1)
    t = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)
    assert _record(conn, uc, "failed", attempt, t) == t + timedelta(seconds=wait_s)


def test_a_held_day_is_rechecked_after_ccee_held_recheck_s(conn) -> None:
    uc = make_uc(conn, 1)
    t = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)
    assert _record(conn, uc, "held", 1, t) == t + timedelta(seconds=3600)


@pytest.mark.parametrize(("offset_s", "reclaimed"), [(60, False), (60.000001, True)])
def test_a_claim_is_taken_over_only_after_its_lease_expired(conn, offset_s, reclaimed) -> None:
    """Sender A claims with a 60 s lease at t; B may take the UC-day over only once
    claim_expires (t + 60 s) is in the past: at t + 60 s it is still A's."""
    uc = make_uc(conn, 1)
    t = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)
    conn.execute(
        "insert into smf.ccee_uc_day (consumer_unit_id, day, state, trigger, next_try_at,"
        " updated_at) values (%s, %s, 'due', 'schedule', %s, %s)",
        (uc.id, DAY, t, t),
    )
    assert len(conn.execute("select * from smf.ccee_claim('A', 10, 60, %s)", (t,)).fetchall()) == 1
    later = t + timedelta(seconds=offset_s)
    got = conn.execute("select * from smf.ccee_claim('B', 10, 60, %s)", (later,)).fetchall()
    assert len(got) == (1 if reclaimed else 0)


@pytest.mark.parametrize(("reason", "ok"), [("ab", False), (" ab ", False), ("abc", True)])
def test_a_release_needs_a_reason_of_three_characters(conn, reason, ok) -> None:
    uc = make_uc(conn, 1, musd_kw=10)
    t = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)
    conn.execute(
        "insert into smf.ccee_uc_day (consumer_unit_id, day, state, trigger, next_try_at,"
        " updated_at, hold_reasons) values (%s, %s, 'held', 'schedule', %s, %s,"
        ' \'[{"code": "musd_exceeded"}]\')',
        (uc.id, DAY, t, t),
    )
    conn.execute("savepoint s")
    if ok:
        conn.execute("select smf.ccee_release(%s, %s, 'ana', %s, %s)", (uc.code, DAY, reason, t))
        assert conn.execute(
            "select state from smf.ccee_uc_day where consumer_unit_id = %s", (uc.id,)
        ).fetchone() == ("due",)
    else:
        with pytest.raises(psycopg.Error, match="at least 3 characters"):
            conn.execute(
                "select smf.ccee_release(%s, %s, 'ana', %s, %s)", (uc.code, DAY, reason, t)
            )
        conn.execute("rollback to savepoint s")
