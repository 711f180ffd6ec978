"""The deadline board (smf.ccee_board, the view, `smf ccee status`), deadline warnings from
MS+5du, and CCEE's read-back verdicts kept with the ledger."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from ccee import emulator, sender
from ccee.client import CceeClient
from db.settings import CceeSettings, Settings
from smf import cli
from tests.ccee.helpers import make_uc, put_day

OCT = date(2026, 10, 1)


def _at(day: str, hour: int = 12) -> datetime:
    """`hour` o'clock -03:00 on `day`."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=hour + 3)


@pytest.fixture
def board_db(
    db_settings: Settings, emu: emulator.Running, ccee_settings: CceeSettings
) -> Iterator[tuple[psycopg.Connection[Any], Any, Any]]:
    with psycopg.connect(db_settings.url, autocommit=True) as conn:
        a = make_uc(conn, 1)
        b = make_uc(conn, 2, musd_kw=10)
        for d in range(3):
            put_day(conn, a, [100] * 288, day=OCT + timedelta(days=d))
        put_day(conn, b, [1100] * 288, day=OCT)  # 13.2 kWh an hour > 1.25 x 10 kW: MUSD hold
        put_day(conn, b, [100] * 200, day=OCT + timedelta(days=1))  # incomplete
        for u in (a, b):  # day 3 of b: no data at all
            emu.state.ucs[u.code] = emulator.Uc(u.agent, None)
        now = _at("2026-10-04")
        sender.enqueue(db_settings, OCT, OCT + timedelta(days=30), now)
        with sender.Sender(
            db_settings, CceeClient(ccee_settings), ccee_settings, holder="t:1", now=lambda: now
        ) as s:
            s.run()
        yield conn, a, b


@pytest.mark.slow
def test_board_per_uc(board_db: tuple, db_settings: Settings) -> None:
    conn, a, b = board_db
    rows = conn.execute(
        "select month, distributor, agent_code, uc_code, customer, days_due, complete, held,"
        " held_reasons, sent, accepted, rejected, failed, missing, deadline, business_days_left,"
        " at_risk from smf.ccee_board(%s, %s)",
        (OCT, _at("2026-10-04")),
    ).fetchall()
    # Both UCs of distributor 'Dist' (ANEEL 391: CCEE agent 7000 + 391 = 7391), customer
    # 'Test'; no day failed (a: accepted, b: held).
    head = (OCT, "Dist", 7391)
    # On Sunday 2026-10-04 the days due are Oct 1..3. MS+7du = 2026-11-11. Business days after
    # Oct 4 up to Nov 11: Oct 5-9 (5), 13-16 (4, Oct 12 is a holiday), 19-23 (5), 26-30 (5),
    # Nov 3-6 (4, Nov 2 is a holiday), Nov 9-11 (3) = 26.
    assert rows == [
        (*head, a.code, "Test", 3, 3, 0, None, 3, 3, 0, 0, 0, date(2026, 11, 11), 26, False),
        (
            *head,
            b.code,
            "Test",
            3,
            1,
            3,
            "incomplete, musd_exceeded",
            0,
            0,
            0,
            0,
            2,
            date(2026, 11, 11),
            26,
            True,
        ),
    ]


@pytest.mark.slow
def test_deadline_warnings_from_ms_plus_5du(board_db: tuple) -> None:
    conn, a, b = board_db

    def warned(day: str) -> set[str]:
        q = "select uc_code from smf.ccee_deadline_warnings(%s)"
        return {r[0] for r in conn.execute(q, (_at(day),))}

    # November 2026 business days: 3, 4, 5, 6, 9 -> MS+5du = Nov 9; MS+7du = Nov 11.
    assert warned("2026-11-06") == set()
    assert warned("2026-11-09") == {a.code, b.code}  # neither has all 31 days accepted
    assert warned("2026-11-11") == {a.code, b.code}
    assert warned("2026-11-12") == set()  # past the deadline: late, not a warning
    # Every column on Monday 2026-11-09 (MS+5du): October's 31 days are due. a: 3 accepted
    # (Oct 1-3, sent on Oct 4), none held, 28 not stored complete (Oct 4-31 have no data);
    # b: none accepted, 3 held (Oct 1 MUSD, Oct 2 incomplete, Oct 3 empty), 30 not complete
    # (only Oct 1 holds 288 values). Deadline MS+7du Nov 11: business days after Nov 9 up to
    # it: Nov 10 and 11 = 2.
    rows = conn.execute(
        "select month, uc_code, distributor, days_due, accepted, held, missing, deadline,"
        " business_days_left from smf.ccee_deadline_warnings(%s) order by uc_code",
        (_at("2026-11-09"),),
    ).fetchall()
    nov11 = date(2026, 11, 11)
    assert rows == [
        (OCT, a.code, "Dist", 31, 3, 0, 28, nov11, 2),
        (OCT, b.code, "Dist", 31, 0, 3, 30, nov11, 2),
    ]
    # ccee_business_days_left: CCEE business days after today up to the deadline, inclusive:
    # from Sunday Oct 4, 26 (see test_board_per_uc); from Friday Nov 6: Nov 9, 10, 11 = 3; on
    # the deadline itself or after it, 0.
    left = "select smf.ccee_business_days_left(%s, %s)"
    for today, n in ((date(2026, 10, 4), 26), (date(2026, 11, 6), 3), (nov11, 0)):
        assert conn.execute(left, (today, nov11)).fetchone()[0] == n
    assert conn.execute(left, (date(2026, 11, 12), nov11)).fetchone()[0] == 0


@pytest.mark.slow
def test_read_back_verdicts(
    board_db: tuple, db_settings: Settings, emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    conn, a, _ = board_db
    emu.state.page_size = 50
    stamps = ["2026-10-02T13:05:00-03:00", "2026-10-03T00:00:00-03:00"]
    for d, st in (("2026-10-02", stamps[0]), ("2026-10-02", stamps[1])):
        for v in emu.state.values[(a.code, d)]:
            if v["dataReferenciaConsumo"] == st:
                v["status"] = "REJEITADA"
    with CceeClient(ccee_settings) as client:
        counts = sender.read_back(db_settings, client, _at("2026-10-04"))
    assert counts == {"ucs": 1, "days": 3, "consistida": 3 * 288 - 2, "rejeitada": 2}
    rows = conn.execute(
        "select day, verdict_consistida, verdict_rejeitada, verdict_detail from smf.ccee_uc_day"
        " where consumer_unit_id = %s order by day",
        (a.id,),
    ).fetchall()
    # The value stamped 2026-10-03T00:00 belongs to 2026-10-02.
    assert rows[1] == (date(2026, 10, 2), 286, 2, stamps)
    assert rows[0][1:3] == (288, 0) and rows[2][1:3] == (288, 0)
    assert sender.day_of_stamp("2026-10-03T00:00-03:00") == date(2026, 10, 2)


@pytest.mark.slow
def test_status_command_csv(
    board_db: tuple,
    db_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    assert cli.main(["ccee", "status", "--month", "2026-10", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["held_reasons"] for r in rows] == ["", "incomplete, musd_exceeded"]
    assert rows[0]["accepted"] == "3" and rows[0]["days_due"] == "31"  # today is past October
    assert cli.main(["ccee", "status", "--month", "2026-10"]) == 0
    assert "MS+7du 2026-11-11" in capsys.readouterr().out
