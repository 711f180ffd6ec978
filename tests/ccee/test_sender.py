"""The sender against a fresh database and our emulator: holds and their reasons, releases,
the ledger, re-sending on change until MS+7du, late after it, and exactly-once claiming."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest

from ccee import emulator, sender
from ccee.client import CceeClient
from db import driver, errors
from db.settings import CceeSettings, Settings
from tests.ccee.helpers import DAY, FAR, make_uc, put_day

NOW = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)  # 2026-10-20 12:00 -03:00


@pytest.fixture
def db(db_settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(db_settings.url, autocommit=True) as c:
        yield c


def _register(emu: emulator.Running, conn: psycopg.Connection[Any]) -> None:
    for uc, agent, musd in conn.execute(
        "select cu.uc_code, d.ccee_agent_code, cu.musd_kw from smf.consumer_unit cu"
        " join smf.distributor d on d.id = cu.distributor_id"
    ):
        emu.state.ucs[uc] = emulator.Uc(agent, musd)


_OPEN: list[sender.Sender] = []


@pytest.fixture(autouse=True)
def _close_senders() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _sender(
    db_settings: Settings, ccee_settings: CceeSettings, now: datetime = NOW, holder: str = "test:1"
) -> sender.Sender:
    s = sender.Sender(
        db_settings, CceeClient(ccee_settings), ccee_settings, holder=holder, now=lambda: now
    )
    _OPEN.append(s)
    return s


def _state(conn: psycopg.Connection[Any], code: str, day: date = DAY) -> tuple:
    return conn.execute(
        "select state, attempts, late from smf.ccee_uc_day"
        " where consumer_unit_id = smf.uc_id(%s) and day = %s",
        (code, day),
    ).fetchone()


def _ledger(conn: psycopg.Connection[Any], code: str) -> list[tuple]:
    return conn.execute(
        "select day, attempt, outcome, http_status, trigger, late from smf.ccee_attempt"
        " where uc_code = %s order by id",
        (code,),
    ).fetchall()


def test_each_hold_reason(conn: psycopg.Connection[Any]) -> None:
    def reasons(code: str, now: datetime = FAR) -> set[str]:
        rows = conn.execute(
            "select code, message from smf.ccee_hold_reasons(%s, %s, %s)", (code, DAY, now)
        ).fetchall()
        return {r[0] for r in rows}

    ok = make_uc(conn, 1)
    put_day(conn, ok, [100] * 288)
    assert reasons(ok.code) == set()
    assert reasons(ok.code, datetime(2026, 10, 2, 2, 59, tzinfo=UTC)) == {"future_day"}
    gap = make_uc(conn, 2)
    put_day(conn, gap, [100] * 100 + [None] + [100] * 187)
    msg = conn.execute(
        "select message from smf.ccee_hold_reasons(%s, %s, %s)", (gap.code, DAY, FAR)
    ).fetchone()[0]
    assert (
        msg == "287 of 288 five-minute values present; first missing ends 2026-10-01T08:25:00-03:00"
    )
    unreg = make_uc(conn, 3, registered="[2026-10-02,)")
    put_day(conn, unreg, [100] * 288)
    assert reasons(unreg.code) == {"not_registered"}
    # MUSD 10 kW: limit 12.5 kWh per hour. Hour 2 holds 12 x 1050 Wh = 12.6 kWh > 12.5.
    musd = make_uc(conn, 4, musd_kw=10)
    put_day(conn, musd, [1000] * 12 + [1050] * 12 + [1000] * 264)
    row = conn.execute(
        "select code, message from smf.ccee_hold_reasons(%s, %s, %s)", (musd.code, DAY, FAR)
    ).fetchone()
    assert row[0] == "musd_exceeded"
    assert (
        "hour 2 (01:00-02:00 -03:00): 12.600 kWh > 1.25 x MUSD 10.000 kW x 1 h = 12.500 kWh"
        in row[1]
    )
    q = make_uc(conn, 5, interval=15)
    put_day(conn, q, [300] * 96, interval=15)
    assert reasons(q.code) == set()
    conn.execute("update smf.setting set value = 'off' where key = 'ccee_split_15min'")
    assert reasons(q.code) == {"split_disabled"}
    nometer = make_uc(conn, 6)
    conn.execute("update smf.consumer_unit set main_meter_id = null where id = %s", (nometer.id,))
    assert reasons(nometer.code) == {"no_main_meter"}
    conn.execute("alter table smf.consumer_unit drop constraint consumer_unit_uc_code_valid")
    conn.execute("update smf.consumer_unit set uc_code = '000000000100145' where id = %s", (ok.id,))
    assert reasons("000000000100145") == {"uc_code_invalid"}


def test_send_hold_release_and_ledger(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    good = make_uc(db, 1)
    put_day(db, good, [100] * 288)
    musd = make_uc(db, 2, musd_kw=10)
    put_day(db, musd, [1100] * 288)  # 13.2 kWh every hour > 12.5
    _register(emu, db)
    counts = sender.enqueue(db_settings, DAY, DAY, NOW)
    assert counts == {"new_days": 2, "changed_days": 0, "late_days": 0}
    s = _sender(db_settings, ccee_settings)
    rep = s.run()
    assert (rep.accepted, rep.held) == (1, 1)
    assert _ledger(db, good.code) == [(DAY, 1, "accepted", 200, "schedule", False)]
    assert _ledger(db, musd.code) == [(DAY, 1, "held", None, "schedule", False)]
    assert s.run().claimed == 0  # nothing due: the held day waits for its recheck
    # Releasing a day that is not held by MUSD names its state.
    with (
        driver.connect(db_settings) as c,
        pytest.raises(errors.InvalidParameter, match="not held by the MUSD rule \\(state accepted"),
    ):
        driver.run(
            c, "ccee_release", uc_code=good.code, day=DAY, by="ana", reason="checked", now=NOW
        )
    with driver.connect(db_settings) as c:
        driver.run(
            c,
            "ccee_release",
            uc_code=musd.code,
            day=DAY,
            by="ana",
            reason="meter CT ratio confirmed",
            now=NOW,
        )
    who = db.execute("select released_by, reason from smf.ccee_release").fetchall()
    assert who == [("ana", "meter CT ratio confirmed")]
    rep = s.run()
    # Sent now; the emulator (like CCEE) rejects it: recorded with its body, no blind retry.
    assert rep.rejected == 1
    row = db.execute(
        "select outcome, http_status, response_body, warning, trigger"
        " from smf.ccee_attempt where uc_code = %s order by id desc limit 1",
        (musd.code,),
    ).fetchone()
    assert row[0:2] == ("rejected", 422) and "ERR_MUSD_EXCEDIDO" in row[2]
    assert row[3].startswith("released by an analyst") and row[4] == "release"
    # The payload of every attempt can be rebuilt byte for byte.
    body = db.execute(
        "select p.body from smf.ccee_attempt a join smf.ccee_payload p"
        " on p.hash = a.payload_hash where a.uc_code = %s",
        (good.code,),
    ).fetchone()
    assert f'"codigoUnidadeConsumidora":"{good.code}"' in body[0]


def test_failures_are_retried_later(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    uc = make_uc(db, 1)
    put_day(db, uc, [100] * 288)
    _register(emu, db)
    sender.enqueue(db_settings, DAY, DAY, NOW)
    emu.state.faults.extend([{"kind": "500"}] * 4)  # 1 try + 3 retries, all 500
    s = _sender(db_settings, ccee_settings)
    assert s.run().failed == 1
    assert _state(db, uc.code) == ("failed", 1, False)
    assert s.run().claimed == 0  # next try in 15 minutes (ccee_retry_base_s)
    later = _sender(db_settings, ccee_settings, now=datetime(2026, 10, 20, 15, 16, tzinfo=UTC))
    assert later.run().accepted == 1
    assert [r[1:4] for r in _ledger(db, uc.code)] == [(1, "failed", 500), (2, "accepted", 200)]
    assert _ledger(db, uc.code)[1][4] == "retry"


def test_resend_on_change_until_ms_plus_7du_then_late(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    # October 2026: MS+7du is 2026-11-11 (Nov 2 Finados is a holiday; business days
    # Nov 3, 4, 5, 6, 9, 10, 11).
    assert db.execute("select smf.ccee_deadline_of(%s)", (DAY,)).fetchone()[0] == date(2026, 11, 11)
    uc = make_uc(db, 1)
    put_day(db, uc, [100] * 288)
    _register(emu, db)
    sender.enqueue(db_settings, DAY, DAY, NOW)
    s = _sender(db_settings, ccee_settings)
    assert s.run().accepted == 1
    # Unchanged data: nothing due, nothing posted.
    assert sender.enqueue(db_settings, DAY, DAY, NOW)["changed_days"] == 0
    db.execute("update smf.ccee_uc_day set state = 'due'")  # forced rebuild: same hash
    assert s.run().unchanged == 1
    assert emu.state.posts == {f"{uc.code}|2026-10-01": 1}
    # A correction on the deadline day (2026-11-11 23:00 -03:00): re-sent automatically.
    put_day(db, uc, [100] * 287 + [150])
    on_deadline = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
    assert sender.enqueue(db_settings, DAY, DAY, on_deadline)["changed_days"] == 1
    assert _sender(db_settings, ccee_settings, now=on_deadline).run().accepted == 1
    assert emu.state.posts[f"{uc.code}|2026-10-01"] == 2
    # Another correction the day after (2026-11-12 00:00 -03:00): late, not sent automatically.
    put_day(db, uc, [100] * 287 + [200])
    after = datetime(2026, 11, 12, 3, 0, tzinfo=UTC)
    assert sender.enqueue(db_settings, DAY, DAY, after)["changed_days"] == 1
    assert _state(db, uc.code)[0] == "late"
    assert _sender(db_settings, ccee_settings, now=after).run().claimed == 0
    # Only an explicit command sends it; the ledger flags it late.
    rep = _sender(db_settings, ccee_settings, now=after).send_one(uc.code, DAY)
    assert rep.accepted == 1
    assert _ledger(db, uc.code)[-1][2:] == ("accepted", 200, "late", True)
    assert emu.state.posts[f"{uc.code}|2026-10-01"] == 3


def test_energy_moved_between_intervals_is_sent_again(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    """A correction that moves 50 Wh from 00:00-00:05 to 00:05-00:10 keeps the day's total
    (288 x 100 = 28,800 Wh) and every quality count; the day is still due again and re-sent,
    and CCEE then holds 50 Wh at the first interval end (00:05-03:00) and 150 Wh at the second."""
    uc = make_uc(db, 1)
    put_day(db, uc, [100] * 288)
    _register(emu, db)
    sender.enqueue(db_settings, DAY, DAY, NOW)
    assert _sender(db_settings, ccee_settings).run().accepted == 1
    put_day(db, uc, [50, 150] + [100] * 286)
    total = db.execute(
        "select active_fwd_wh from smf.rollup_day where meter_id = %s and bucket = %s",
        (uc.meter_id, DAY),
    ).fetchone()
    assert total == (28_800,)
    assert sender.enqueue(db_settings, DAY, DAY, NOW)["changed_days"] == 1
    assert _sender(db_settings, ccee_settings).run().accepted == 1
    assert emu.state.posts[f"{uc.code}|2026-10-01"] == 2
    first = [
        (v["dataReferenciaConsumo"], str(v["consumo"]))
        for v in emu.state.values[(uc.code, "2026-10-01")][:3]
    ]
    # 50 Wh = 0.050 kWh, 150 Wh = 0.150 kWh, 100 Wh = 0.100 kWh; stamps are interval ends
    assert first == [
        ("2026-10-01T00:05:00-03:00", "0.050"),
        ("2026-10-01T00:10:00-03:00", "0.150"),
        ("2026-10-01T00:15:00-03:00", "0.100"),
    ]
    # a sent day has no hold reasons: SQL NULL in the ledger, not a JSON null
    assert db.execute(
        "select count(*) filter (where reasons is null), count(*) from smf.ccee_attempt"
        " where uc_code = %s",
        (uc.code,),
    ).fetchone() == (2, 2)
