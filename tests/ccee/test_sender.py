"""The sender against a fresh database and our emulator: holds and their reasons, releases,
the ledger, re-sending on change until MS+7du, late after it, and exactly-once claiming. Then
the sender's own parts: report sums, its holder name and pool, the days of a range and of an end
stamp, releasing the dead claims of this host only, batches and explicit sends (bad codes,
chunks, a claim held elsewhere), a claim lost mid-send, what each ledger row keeps, and
read-back."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest

from ccee import emulator, sender
from ccee.client import CceeClient
from db import driver, errors
from db.settings import CceeSettings, Settings
from tests.ccee.helpers import DAY, FAR, Uc, make_uc, put_day

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


def _ucs(db: psycopg.Connection[Any], emu: emulator.Running, n: int, **kw: Any) -> list[Uc]:
    out = []
    for i in range(1, n + 1):
        uc = make_uc(db, i, **kw)
        put_day(db, uc, [100] * 288)
        emu.state.ucs[uc.code] = emulator.Uc(uc.agent, None)
        out.append(uc)
    return out


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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


# --- the sender's parts, no database -------------------------------------------------------
def _posts_at_once(s: sender.Sender, tasks: int = 4) -> int:
    """How many posts the sender's pool runs at once: `tasks` posts that wait for a gate are
    submitted; the pool starts a thread for each until it has as many as it may run at once
    (Executor.submit starts them before it returns), and none of them finishes before the gate
    opens. Counted as the threads started by the submissions."""
    gate = threading.Event()
    before = set(threading.enumerate())
    futures = [s.pool.submit(gate.wait, 10) for _ in range(tasks)]
    started = [t for t in threading.enumerate() if t not in before]
    gate.set()
    assert all(f.result(10) for f in futures)
    return len(started)


def test_report_counts_and_add() -> None:
    a = sender.Report(1, 2, 3, 4, 5, 6, 0.5, 1.0, 0.25, {"incomplete": 1})
    b = sender.Report(10, 20, 30, 40, 50, 60, 0.25, 0.5, 0.125, {"incomplete": 2, "x": 7})
    assert a.counts() == {
        "claimed": 1,
        "accepted": 2,
        "rejected": 3,
        "failed": 4,
        "held": 5,
        "unchanged": 6,
    }
    a.add(b)
    assert a.counts() == {
        "claimed": 11,
        "accepted": 22,
        "rejected": 33,
        "failed": 44,
        "held": 55,
        "unchanged": 66,
    }
    assert (a.build_s, a.http_s, a.record_s) == (0.75, 1.5, 0.375)
    assert a.held_reasons == {"incomplete": 3, "x": 7}
    assert b.held_reasons == {"incomplete": 2, "x": 7}  # the other report is left as it was


def test_holder_name_is_host_and_pid(ccee_settings: CceeSettings) -> None:
    assert sender.holder_name() == f"{socket.gethostname()}:{os.getpid()}"
    with sender.Sender(None, None, ccee_settings) as s:
        assert s.holder == sender.holder_name()
        assert _posts_at_once(s) == 2  # ccee_settings.concurrency
    with sender.Sender(None, None, ccee_settings, holder="h:9") as s:
        assert s.holder == "h:9"


def test_pool_has_at_least_one_worker(ccee_settings: CceeSettings) -> None:
    from dataclasses import replace

    with sender.Sender(None, None, replace(ccee_settings, concurrency=0)) as s:
        assert _posts_at_once(s) == 1


def test_iter_days() -> None:
    assert list(sender.iter_days(date(2026, 10, 30), date(2026, 11, 2))) == [
        date(2026, 10, 30),
        date(2026, 10, 31),
        date(2026, 11, 1),
        date(2026, 11, 2),
    ]
    assert list(sender.iter_days(DAY, DAY)) == [DAY]
    assert list(sender.iter_days(date(2026, 10, 2), DAY)) == []


@pytest.mark.parametrize(
    ("stamp", "day"),
    [
        # End 00:05 -03:00: the interval 00:00-00:05 of Oct 2.
        ("2026-10-02T00:05:00-03:00", date(2026, 10, 2)),
        # End 00:00 -03:00: the last interval (23:55-24:00) of Oct 1.
        ("2026-10-02T00:00:00-03:00", date(2026, 10, 1)),
        ("2026-10-02T00:00-03:00", date(2026, 10, 1)),  # no seconds
        ("2026-10-02T00:05-03:00", date(2026, 10, 2)),
        (" 2026-10-02T00:05-03:00 ", date(2026, 10, 2)),
        # 03:00Z is 00:00 -03:00: Oct 1's last interval; 03:05Z ends Oct 2's first.
        ("2026-10-02T03:00:00+00:00", date(2026, 10, 1)),
        ("2026-10-02T03:05+00:00", date(2026, 10, 2)),
    ],
)
def test_day_of_stamp(stamp: str, day: date) -> None:
    assert sender.day_of_stamp(stamp) == day


# --- runs, explicit sends, dead and lost claims, the ledger, read-back -----------------------
@pytest.mark.slow
def test_release_dead_claims_only_of_dead_processes_on_this_host(
    db: psycopg.Connection[Any], db_settings: Settings, emu: emulator.Running
) -> None:
    ucs = _ucs(db, emu, 6)
    sender.enqueue(db_settings, DAY, DAY, NOW)
    gone = subprocess.Popen(["true"])
    gone.wait()  # reaped: its pid names no process now
    alive = subprocess.Popen(["sleep", "60"])
    host = socket.gethostname()
    holders = [
        f"{host}:{gone.pid}",  # dead, this host: released
        f"{host}:w:{gone.pid}",  # a custom holder name with a colon, dead: released
        f"{host}:{os.getpid()}",  # ourselves: kept
        f"{host}:abc",  # not a pid: kept
        f"other-host:{gone.pid}",  # another host: not ours to judge
        f"{host}:{alive.pid}",  # alive: kept, and only probed (signal 0), not signalled
    ]
    try:
        with driver.connect(db_settings) as conn:
            for h in holders:
                got = driver.run(conn, "ccee_claim", holder=h, limit=1, lease_s=300, now=NOW)
                assert len(got) == 1
        assert sender.release_dead_claims(db_settings) == 2
        assert alive.poll() is None
    finally:
        alive.kill()
        alive.wait()
    rows = dict(
        db.execute(
            "select claimed_by, state from smf.ccee_uc_day where claimed_by is not null"
        ).fetchall()
    )
    assert rows == {h: "claimed" for h in holders[2:]}
    assert db.execute("select count(*) from smf.ccee_uc_day where state = 'due'").fetchone()[0] == 2
    assert sender.release_dead_claims(db_settings) == 1  # the sleeper, killed since
    assert sender.release_dead_claims(db_settings) == 0
    assert len(ucs) == 6


def test_enqueue_counts_are_ints(
    db: psycopg.Connection[Any], db_settings: Settings, emu: emulator.Running
) -> None:
    _ucs(db, emu, 2)
    counts = sender.enqueue(db_settings, DAY, DAY, NOW)
    assert counts == {"new_days": 2, "changed_days": 0, "late_days": 0}
    assert all(type(v) is int for v in counts.values())


@pytest.mark.slow
def test_run_batches_and_max_batches(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    _ucs(db, emu, 5)
    sender.enqueue(db_settings, DAY, DAY, NOW)
    with _sender(db_settings, ccee_settings, holder="t:1") as s:
        rep = s.run(batch=2, max_batches=1)
        assert rep.counts() == {
            "claimed": 2,
            "accepted": 2,
            "rejected": 0,
            "failed": 0,
            "held": 0,
            "unchanged": 0,
        }
        rep = s.run(batch=1, max_batches=2)
        assert (rep.claimed, rep.accepted) == (2, 2)
        rep = s.run(batch=2)  # until nothing is due: one left
        assert (rep.claimed, rep.accepted) == (1, 1)
        assert rep.http_s >= 0 and rep.record_s > 0 and rep.build_s > 0
    assert emu.state.accepted == 5
    rows = db.execute(
        "select attempt, outcome, http_status, holder, trigger, late, payload_hash is not null,"
        " finished_at from smf.ccee_attempt"
    ).fetchall()
    assert set(rows) == {(1, "accepted", 200, "t:1", "schedule", False, True, NOW)}


@pytest.mark.slow
def test_send_days_skips_bad_codes_and_chunks(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ucs = _ucs(db, emu, 4)
    # UC 4's day is held by another live sender: skipped with a warning naming it.
    with driver.connect(db_settings) as conn:
        driver.run(
            conn,
            "ccee_claim_one",
            uc_code=ucs[3].code,
            day=DAY,
            holder="t:other",
            lease_s=300,
            now=NOW,
        )
    caplog.set_level(logging.WARNING, logger="smf.ccee")
    pairs = [(ucs[0].code, DAY), (ucs[3].code, DAY), (ucs[1].code, DAY), (ucs[2].code, DAY)]
    with _sender(db_settings, ccee_settings, holder="t:2") as s:
        rep = s.send_days(pairs, batch=2)
    assert (rep.claimed, rep.accepted) == (3, 3)
    assert len(caplog.records) == 1
    assert re.fullmatch(
        rf"UC {ucs[3].code} day 2026-10-01 is being sent by t:other \(claim until .+\)",
        caplog.records[0].getMessage(),
    ), caplog.records[0].getMessage()
    # Two chunks (2 + 1 UC-days): two distinct start times in the ledger.
    started = db.execute("select count(distinct started_at) from smf.ccee_attempt").fetchone()[0]
    assert started == 2
    triggers = {r[0] for r in db.execute("select trigger from smf.ccee_attempt")}
    assert triggers == {"manual"}


@pytest.mark.slow
def test_send_days_one_per_chunk(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    ucs = _ucs(db, emu, 2)
    with _sender(db_settings, ccee_settings, holder="t:3") as s:
        rep = s.send_days([(u.code, DAY) for u in ucs], batch=1)
        assert (rep.claimed, rep.accepted) == (2, 2)
        assert s.send_days([]).counts()["claimed"] == 0
    started = db.execute("select count(distinct started_at) from smf.ccee_attempt").fetchone()[0]
    assert started == 2


@pytest.mark.slow
def test_held_reasons_counted_and_ledger_fields(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    good = make_uc(db, 1)
    put_day(db, good, [100] * 288)
    gap = make_uc(db, 2)
    put_day(db, gap, [100] * 287)  # the last interval missing: incomplete
    gap2 = make_uc(db, 4)
    put_day(db, gap2, [None] + [100] * 287)  # the first interval missing: incomplete
    musd = make_uc(db, 3, musd_kw=10)
    put_day(db, musd, [1100] * 288)  # over MUSD (12 x 1.1 = 13.2 kWh an hour > 12.5)
    for u in (good, gap, gap2, musd):
        emu.state.ucs[u.code] = emulator.Uc(u.agent, None)
    sender.enqueue(db_settings, DAY, DAY, NOW)
    with _sender(db_settings, ccee_settings, holder="t:4") as s:
        rep = s.run()
    assert (rep.claimed, rep.accepted, rep.held) == (4, 1, 3)
    assert rep.held_reasons == {"incomplete": 2, "musd_exceeded": 1}
    rows = {
        r[0]: r[1:]
        for r in db.execute(
            "select a.uc_code, a.outcome, a.payload_hash is null, a.http_status, a.response_body,"
            " coalesce(jsonb_typeof(a.reasons), 'null') = 'null', a.warning, d.fingerprint is null"
            " from smf.ccee_attempt a join smf.ccee_uc_day d"
            " on d.consumer_unit_id = a.consumer_unit_id and d.day = a.day"
        )
    }
    assert rows[gap.code][:6] == ("held", True, None, None, False, None)
    assert rows[musd.code][:6] == ("held", True, None, None, False, None)
    assert rows[good.code][0:3] == ("accepted", False, 200)
    assert '"protocolo": "EMU-00000001"' in rows[good.code][3]
    # No reasons (JSON null: the ledger keeps `i -> 'reasons'`), no warning, fingerprint kept.
    assert rows[good.code][4:] == (True, None, False)
    body = db.execute("select body from smf.ccee_payload").fetchall()
    assert len(body) == 1 and body[0][0].startswith('{"codigoUnidadeConsumidora":"')
    # A forced rebuild of the accepted day: unchanged, posted no more, its hash kept.
    db.execute("update smf.ccee_uc_day set state = 'due' where consumer_unit_id = %s", (good.id,))
    with _sender(db_settings, ccee_settings, holder="t:4") as s:
        rep = s.run()
    assert (rep.claimed, rep.unchanged, rep.accepted) == (1, 1, 0)
    assert emu.state.accepted == 1


@pytest.mark.slow
def test_policy_send_warning_recorded(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    uc = make_uc(db, 1, musd_kw=10)
    put_day(db, uc, [1100] * 288)  # every hour 12 x 1.1 = 13.2 kWh > 1.25 x 10 = 12.5 kWh
    emu.state.ucs[uc.code] = emulator.Uc(uc.agent, None)  # this CCEE does not check MUSD
    db.execute("update smf.setting set value = 'send' where key = 'ccee_musd_policy'")
    sender.enqueue(db_settings, DAY, DAY, NOW)
    with _sender(db_settings, ccee_settings, holder="t:5") as s:
        assert s.run().accepted == 1
    warning = db.execute("select warning from smf.ccee_attempt").fetchone()[0]
    assert warning.startswith("sent by policy ccee_musd_policy = send; hour 1 ")


@pytest.mark.slow
def test_lost_claim_logged(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _ucs(db, emu, 2)
    sender.enqueue(db_settings, DAY, DAY, NOW)
    caplog.set_level(logging.WARNING, logger="smf.ccee")
    with _sender(db_settings, ccee_settings, holder="t:6") as s:
        with driver.connect(db_settings) as conn:
            claimed = driver.run(conn, "ccee_claim", holder="t:6", limit=5, lease_s=300, now=NOW)
        started = s.start(claimed)
        # Another sender took one UC-day over (its lease lapsed) before our answers came.
        db.execute(
            "update smf.ccee_uc_day set claimed_by = 't:other' where consumer_unit_id = %s",
            (claimed[0]["consumer_unit_id"],),
        )
        rep = s.finish(*started)
    assert rep.accepted == 2
    assert [r.getMessage() for r in caplog.records] == ["1 of 2 outcomes found their claim lost"]


@pytest.mark.slow
def test_read_back_of_two_ucs(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    a, b = _ucs(db, emu, 2)
    sender.enqueue(db_settings, DAY, DAY, NOW)
    with _sender(db_settings, ccee_settings, holder="t:7") as s:
        assert s.run().accepted == 2
    stamp = "2026-10-01T13:05:00-03:00"  # the 157th interval (13:00-13:05) of Oct 1
    for v in emu.state.values[(a.code, "2026-10-01")]:
        if v["dataReferenciaConsumo"] == stamp:
            v["status"] = "REJEITADA"
    with CceeClient(ccee_settings) as client:
        counts = sender.read_back(db_settings, client, NOW)
    # 2 UCs x 288 values, one of them rejected.
    assert counts == {"ucs": 2, "days": 2, "consistida": 575, "rejeitada": 1}
    rows = db.execute(
        "select consumer_unit_id, verdict_consistida, verdict_rejeitada, verdict_detail"
        " from smf.ccee_uc_day order by consumer_unit_id"
    ).fetchall()
    assert rows == [(a.id, 287, 1, [stamp]), (b.id, 288, 0, [])]  # [] (not null) when all pass


@pytest.mark.slow
def test_send_one_respects_a_live_claim_at_the_senders_now(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    (uc,) = _ucs(db, emu, 1)
    with driver.connect(db_settings) as conn:
        driver.run(
            conn, "ccee_claim_one", uc_code=uc.code, day=DAY, holder="t:other", lease_s=300, now=NOW
        )
    # At the sender's clock (NOW) the other claim lives until NOW + 300 s: refused, named.
    with (
        _sender(db_settings, ccee_settings, holder="t:8") as s,
        pytest.raises(errors.InvalidParameter, match="t:other"),
    ):
        s.send_one(uc.code, DAY)
    assert emu.state.accepted == 0


@pytest.mark.slow
def test_sender_clock_decides_a_day_is_not_over(
    db: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    (uc,) = _ucs(db, emu, 1)
    # 2026-10-01 15:00 UTC is 12:00 -03:00 of DAY itself: at the sender's clock the day is not
    # over, so an explicit send holds it (the real clock, weeks later, would have sent it).
    noon = datetime(2026, 10, 1, 15, 0, tzinfo=UTC)
    with _sender(db_settings, ccee_settings, now=noon, holder="t:9") as s:
        rep = s.send_one(uc.code, DAY)
    assert (rep.claimed, rep.held, rep.accepted) == (1, 1, 0)
    assert rep.held_reasons == {"future_day": 1}
    assert emu.state.accepted == 0
