"""The CCEE ledger's record functions (smf.ccee_record_at, ccee_record_batch) and every column of
the deadline board of this and last month (smf_read.ccee_board_recent; 410_ccee_ledger.sql),
with business days counted at the deadline's edge. CCEE days are -03:00."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from tests.ccee.helpers import BRT, make_uc, put_day
from tests.pins import pins

OCT = date(2026, 10, 1)  # a Thursday
NOW = datetime(2026, 10, 5, 12, 0, tzinfo=BRT)  # Monday
H1, H2 = "a" * 64, "b" * 64  # payload hashes (sha-256 hex)


def _claim(conn: psycopg.Connection[Any], uc_code: str, day: date, holder: str) -> None:
    conn.execute(
        "select * from smf.ccee_claim_one(%s, %s, %s, 300, %s)", (uc_code, day, holder, NOW)
    )


def _record_at(
    conn: psycopg.Connection[Any],
    uc: int,
    day: date,
    holder: str,
    outcome: str,
    *,
    attempt: int = 1,
    hash_: str | None = H1,
    reasons: Any = None,
    open_from: date = OCT,
) -> Any:
    row = conn.execute(
        "select smf.ccee_record_at(%s, %s, %s, %s, 'schedule', %s, %s, 'body', 200, 'resp', %s,"
        " %s, null, 'fp-1', %s, %s)",
        (
            uc,
            day,
            holder,
            attempt,
            NOW - timedelta(seconds=2),
            hash_,
            outcome,
            None if reasons is None else Jsonb(reasons),
            NOW,
            open_from,
        ),
    ).fetchone()
    assert row is not None
    return row[0]


def test_record_at_moves_the_claimed_day_on_and_marks_days_before_the_open_month_late(
    conn: psycopg.Connection[Any],
) -> None:
    """Every attempt goes to the ledger; true when the holder's claim moved the UC-day on
    (state, hashes, fingerprint, next try), false once the claim is gone or for another
    holder; a day before p_open_from is recorded late; an unknown outcome is refused (SMF02)."""
    uc = make_uc(conn, 1)
    sep30, oct1, oct2 = OCT - timedelta(days=1), OCT, OCT + timedelta(days=1)
    for day in (sep30, oct1, oct2):
        _claim(conn, uc.code, day, "s:1")
    assert _record_at(conn, uc.id, oct1, "s:2", "accepted") is False  # s:1 holds it
    assert _record_at(conn, uc.id, oct1, "s:1", "accepted") is True
    assert _record_at(conn, uc.id, oct1, "s:1", "accepted", hash_=H2) is False  # claim gone
    # failed, attempt 3: next try after 900 s x 2^(3 - 1) = 3600 s
    assert _record_at(conn, uc.id, oct2, "s:1", "failed", attempt=3, hash_=H2) is True
    # before the first open day (Oct 1): late
    reasons = [{"code": "incomplete"}]
    assert _record_at(conn, uc.id, sep30, "s:1", "held", reasons=reasons) is True
    days = conn.execute(
        "select day, state, claimed_by, last_hash, accepted_hash, accepted_at, fingerprint,"
        " hold_reasons, late, next_try_at from smf.ccee_uc_day where consumer_unit_id = %s"
        " order by day",
        (uc.id,),
    ).fetchall()
    assert days == [
        (sep30, "held", None, H1, None, None, None, reasons, True, NOW + timedelta(hours=1)),
        (oct1, "accepted", None, H1, H1, NOW, "fp-1", None, False, NOW),
        (oct2, "failed", None, H2, None, None, None, None, False, NOW + timedelta(hours=1)),
    ]
    ledger = conn.execute(
        "select day, attempt, holder, payload_hash, http_status, outcome, reasons, late"
        " from smf.ccee_attempt where consumer_unit_id = %s order by day, id",
        (uc.id,),
    ).fetchall()
    # every attempt is in the ledger, also those that moved nothing (s:2's, and s:1's after
    # its claim was gone)
    assert ledger == [
        (sep30, 1, "s:1", H1, 200, "held", reasons, True),
        (oct1, 1, "s:2", H1, 200, "accepted", None, False),
        (oct1, 1, "s:1", H1, 200, "accepted", None, False),
        (oct1, 1, "s:1", H2, 200, "accepted", None, False),
        (oct2, 3, "s:1", H2, 200, "failed", None, False),
    ]
    try:
        with conn.transaction():
            _record_at(conn, uc.id, oct1, "s:1", "lost")
        raise AssertionError("an unknown outcome was recorded")
    except psycopg.Error as e:
        assert e.sqlstate == "SMF02"


def test_record_batch_records_each_item_and_counts_the_days_it_moved_on(
    conn: psycopg.Connection[Any],
) -> None:
    """One call for many attempts: returns how many UC-days moved on (an item whose claim is
    another sender's is written to the ledger but moves nothing)."""
    uc = make_uc(conn, 1)
    oct1, oct2, oct3 = OCT, OCT + timedelta(days=1), OCT + timedelta(days=2)
    _claim(conn, uc.code, oct1, "s:1")
    _claim(conn, uc.code, oct2, "s:1")
    _claim(conn, uc.code, oct3, "s:9")

    def item(day: date, outcome: str, hash_: str) -> dict[str, Any]:
        return {
            "uc": uc.id, "day": str(day), "holder": "s:1", "attempt": 1, "trigger": "schedule",
            "started": NOW.isoformat(), "hash": hash_, "body": "{}", "status": 200,
            "response": "ok", "outcome": outcome, "reasons": None, "warning": None,
            "fingerprint": "fp",
        }  # fmt: skip

    items = [item(oct1, "accepted", H1), item(oct2, "rejected", H2), item(oct3, "accepted", H1)]
    (moved,) = conn.execute("select smf.ccee_record_batch(%s, %s)", (Jsonb(items), NOW)).fetchone()  # type: ignore[misc]
    assert moved == 2  # Oct 3 is s:9's
    states = conn.execute(
        "select day, state, claimed_by from smf.ccee_uc_day where consumer_unit_id = %s"
        " order by day",
        (uc.id,),
    ).fetchall()
    assert states == [(oct1, "accepted", None), (oct2, "rejected", None), (oct3, "claimed", "s:9")]
    assert conn.execute(
        "select count(*) from smf.ccee_attempt where consumer_unit_id = %s", (uc.id,)
    ).fetchone() == (3,)
    (none,) = conn.execute("select smf.ccee_record_batch('[]'::jsonb, %s)", (NOW,)).fetchone()  # type: ignore[misc]
    assert none == 0


def test_board_counts_business_days_left_up_to_the_deadline_day(
    conn: psycopg.Connection[Any],
) -> None:
    """October 2026's deadline is MS+7du = 2026-11-11 (Nov 2 is a holiday: Nov 3, 4, 5, 6, 9,
    10, 11). On CCEE day Nov 10 one business day is left; from 03:00 UTC of Nov 11 (CCEE day
    Nov 11, the deadline) none, and none after it."""
    uc = make_uc(conn, 1, registered="[2026-10-01,2026-10-02)")
    put_day(conn, uc, [100] * 288, day=OCT)
    edge = datetime(2026, 11, 11, 3, 0, tzinfo=UTC)  # 00:00 -03:00 of Nov 11
    got = []
    for now in (
        datetime(2026, 11, 10, 12, 0, tzinfo=BRT),
        edge - timedelta(seconds=1),  # still CCEE day Nov 10
        edge,
        datetime(2026, 11, 12, 12, 0, tzinfo=BRT),
    ):
        got += conn.execute(
            "select days_due, complete, missing, deadline, business_days_left, at_risk"
            " from smf.ccee_board(%s, %s)",
            (OCT, now),
        ).fetchall()
    nov11 = date(2026, 11, 11)
    assert got == [
        (1, 1, 0, nov11, 1, True),  # never sent: at risk
        (1, 1, 0, nov11, 1, True),
        (1, 1, 0, nov11, 0, True),
        (1, 1, 0, nov11, 0, True),
    ]


def _ccee_business_days(conn: psycopg.Connection[Any]) -> Any:
    """Whether a day is a CCEE business day: Monday to Friday and not a holiday of the CCEE
    calendar (the holidays are data: smf.holiday)."""
    holidays = {
        r[0]
        for r in conn.execute(
            "select h.day from smf.holiday h join smf.calendar c on c.id = h.calendar_id"
            " where c.purpose = 'ccee'"
        ).fetchall()
    }
    return lambda d: d.isoweekday() < 6 and d not in holidays


@pins("smf_read.ccee_board_recent.*")
def test_recent_board_shows_this_and_last_months_board_at_the_clock(
    conn: psycopg.Connection[Any],
) -> None:
    """The view is the board of the CCEE month of now() and of the month before (no older
    one), every column. It reads the clock of the transaction, so the test places its UC-days
    relative to that CCEE day (read once, the same now() the view sees) and counts the
    deadline MS+7du (7th business day after the month's last day) and the business days left
    (after today up to the deadline) over the CCEE calendar. smf_read.ccee_board_recent is
    this view's copy (compared row for row by tests/api/test_visibility.py)."""
    (today,) = conn.execute("select smf.ccee_today(now())").fetchone()  # type: ignore[misc]
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    older = (last_month - timedelta(days=1)).replace(day=1)
    yesterday = today - timedelta(days=1)
    # a: last month's first two days; b: yesterday only; c: only the month before last
    a = make_uc(conn, 1, registered=f"[{last_month},{last_month + timedelta(days=2)})")
    b = make_uc(conn, 2, registered=f"[{yesterday},{today})")
    c = make_uc(conn, 3, registered=f"[{older},{older + timedelta(days=1)})")
    d1, d2 = last_month, last_month + timedelta(days=1)
    put_day(conn, a, [100] * 288, day=d1)  # complete
    put_day(conn, a, [100] * 200, day=d2)  # 88 intervals short: missing
    put_day(conn, c, [100] * 288, day=older)
    for day, outcome, reasons in ((d1, "accepted", None), (d2, "held", [{"code": "incomplete"}])):
        conn.execute("select * from smf.ccee_claim_one(%s, %s, 's:1', 300, now())", (a.code, day))
        conn.execute(
            "select smf.ccee_record(%s, %s, 's:1', 1, 'manual', now(), %s, 'body', %s, 'r', %s,"
            " %s, null, 'fp', now())",
            (
                a.id,
                day,
                H1 if outcome == "accepted" else None,
                200 if outcome == "accepted" else None,
                outcome,
                None if reasons is None else Jsonb(reasons),
            ),
        )
    business = _ccee_business_days(conn)

    def deadline(month: date) -> date:
        d = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        for _ in range(7):
            d += timedelta(days=1)
            while not business(d):
                d += timedelta(days=1)
        return d

    def left(dl: date) -> int:
        return sum(business(today + timedelta(days=i)) for i in range(1, (dl - today).days + 1))

    rows = conn.execute(
        "select month, distributor, agent_code, uc_code, customer, days_due, complete, held,"
        " held_reasons, sent, accepted, rejected, failed, missing, deadline, business_days_left,"
        " at_risk from smf.ccee_board_recent where uc_code in (%s, %s, %s)"
        " order by month, uc_code",
        (a.code, b.code, c.code),
    ).fetchall()
    head = ("Dist", 7391)  # ANEEL 391: CCEE agent 7000 + 391
    dl_last = deadline(last_month)
    row_a = (last_month, *head, a.code, "Test", 2, 1, 1, "incomplete", 1, 1, 0, 0, 1,
             dl_last, left(dl_last), True)  # fmt: skip
    ymonth = yesterday.replace(day=1)  # this month, or last month on the 1st
    dl_y = deadline(ymonth)
    # yesterday: due, no data (missing), never queued: neither held nor sent, at risk
    row_b = (ymonth, *head, b.code, "Test", 1, 0, 0, None, 0, 0, 0, 0, 1, dl_y, left(dl_y), True)
    assert rows == sorted([row_a, row_b], key=lambda r: (r[0], r[3]))
    assert a.code < b.code  # make_uc's sequence 1 < 2
