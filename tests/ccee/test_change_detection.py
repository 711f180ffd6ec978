"""Change detection over every input of the CCEE payload (db/functions/400_ccee.sql,
410_ccee_ledger.sql), through the public path: `sender.enqueue` (smf.ccee_enqueue) then a
`Sender` run against our CCEE emulator on loopback.

Every test first gets UC-day 2026-10-01 (a Thursday; CCEE day = [00:00, 24:00) at -03:00)
accepted once, then changes ONE input. A change that can alter the document CCEE holds must
make the day due again and post it with the new values; a change that cannot alter it must post
nothing (the emulator counts the POSTs it accepted per UC-day).

Inputs: readings, quality, source, the loss factor and its validity, the UC's code and its
retail registration, the distributor's agent code, MUSD and its release, and the
ccee_estimated_as setting. 288 five-minute values of 100 Wh each unless said otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from ccee import emulator, sender
from ccee.client import CceeClient
from db import driver, ingest
from db.settings import CceeSettings, Settings
from tests.ccee.helpers import DAY, Uc, day_start, make_uc, put_day

NOW = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)  # 2026-10-20 12:00 -03:00, October still open
KEY = "2026-10-01"


@pytest.fixture
def db(db_settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(db_settings.url, autocommit=True) as c:
        yield c


@pytest.fixture
def run(db_settings: Settings, ccee_settings: CceeSettings) -> Iterator[Any]:
    """run(now=NOW) -> sender.Report: one Sender run (closed afterwards)."""

    def _run(now: datetime = NOW) -> sender.Report:
        with sender.Sender(
            db_settings, CceeClient(ccee_settings), ccee_settings, holder="test:1", now=lambda: now
        ) as s:
            return s.run()

    yield _run


def _url(conn: psycopg.Connection[Any]) -> str:
    """The URL of the test's database (the sender and enqueue open connections of their own)."""
    i = conn.info
    return f"postgresql://{i.user}@/{i.dbname}?host={quote(i.host)}&port={i.port}"


def _register(emu: emulator.Running, conn: psycopg.Connection[Any]) -> None:
    emu.state.ucs.clear()
    for uc, agent, musd in conn.execute(
        "select cu.uc_code, d.ccee_agent_code, cu.musd_kw from smf.consumer_unit cu"
        " join smf.distributor d on d.id = cu.distributor_id"
    ):
        emu.state.ucs[uc] = emulator.Uc(agent, musd)


def _posts(emu: emulator.Running, code: str) -> int:
    return emu.state.posts.get(f"{code}|{KEY}", 0)


def _last_body(conn: psycopg.Connection[Any], uc_id: int) -> dict[str, Any]:
    row = conn.execute(
        "select p.body from smf.ccee_attempt a join smf.ccee_payload p on p.hash = a.payload_hash"
        " where a.consumer_unit_id = %s and a.day = %s order by a.id desc limit 1",
        (uc_id, DAY),
    ).fetchone()
    assert row is not None
    doc: dict[str, Any] = json.loads(row[0], parse_float=Decimal)
    return doc


def _slot(doc: dict[str, Any], slot: int) -> tuple[str, str, str]:
    """(stamp, consumo as text, tipoConsumo) of slot 0..287 of a sent document."""
    v = doc["horas"][slot // 12]["medicoes"][slot % 12]
    return v["dataReferenciaConsumo"], str(v["consumo"]), v["tipoConsumo"]


def _accepted_once(db: psycopg.Connection[Any], emu: emulator.Running, run: Any, uc: Uc) -> None:
    _register(emu, db)
    assert sender.enqueue(_url(db), DAY, DAY, NOW)["new_days"] >= 1
    assert run().accepted >= 1
    assert _posts(emu, uc.code) == 1


def _resent(db: psycopg.Connection[Any], run: Any, now: datetime = NOW) -> sender.Report:
    """enqueue (expect the day changed) and run; the day is posted and accepted again."""
    assert sender.enqueue(_url(db), DAY, DAY, now)["changed_days"] == 1
    rep = run(now)
    assert (rep.accepted, rep.unchanged, rep.held) == (1, 0, 0)
    return rep


def _nothing_sent(db: psycopg.Connection[Any], emu: emulator.Running, run: Any, uc: Uc) -> None:
    sender.enqueue(_url(db), DAY, DAY, NOW)
    rep = run()
    assert rep.accepted + rep.rejected + rep.failed == 0
    assert _posts(emu, uc.code) == 1
    assert db.execute(
        "select count(*) from smf.ccee_attempt where consumer_unit_id = %s", (uc.id,)
    ).fetchone() == (1,)


# -- inputs that change the document -------------------------------------------------------


@pytest.mark.slow
def test_a_corrected_reading_resends_the_day_with_the_new_value(db, emu, run) -> None:
    uc = make_uc(db, 1)
    put_day(db, uc, [100] * 288)
    _accepted_once(db, emu, run, uc)
    put_day(db, uc, [100] * 287 + [160])
    _resent(db, run)
    assert _posts(emu, uc.code) == 2
    # the last interval (23:55-24:00 -03:00) is stamped with its end, the next day's 00:00
    assert _slot(_last_body(db, uc.id), 287) == ("2026-10-02T00:00:00-03:00", "0.160", "MEDIDO")


@pytest.mark.slow
def test_a_quality_change_resends_the_day_with_the_new_tipo(db, emu, run) -> None:
    """Same energy, interval 5 (00:25-00:30) flagged estimated: default ccee_estimated_as is
    AJUSTADO, so that slot goes from MEDIDO to AJUSTADO; the value stays 0.100 kWh."""
    uc = make_uc(db, 1)
    put_day(db, uc, [100] * 288)
    _accepted_once(db, emu, run, uc)
    put_day(db, uc, [100] * 288, quality={5: "estimated"})
    _resent(db, run)
    doc = _last_body(db, uc.id)
    assert _slot(doc, 5) == ("2026-10-01T00:30:00-03:00", "0.100", "AJUSTADO")
    assert _slot(doc, 4)[2] == _slot(doc, 6)[2] == "MEDIDO"


def _ingest(
    conn: psycopg.Connection[Any], uc: Uc, idx: list[int], kwh: str, source: str, quality: str
) -> None:
    rows = [
        ingest.IntervalRow(
            ts=day_start(DAY) + timedelta(minutes=5 * i),
            values={"active_fwd_kwh": Decimal(kwh)},
            meter_id=uc.meter_id,
            quality=quality,
            source=source,
        )
        for i in idx
    ]
    with driver.connect(_url(conn)) as c:
        ingest.ingest_rows(c, rows, source=source)
        c.commit()


@pytest.mark.slow
def test_the_main_meter_replacing_a_backup_value_resends_the_day(db, emu, run) -> None:
    """Interval 10 (00:50-00:55) first came from the backup meter (source backup_meter,
    adjusted, 90 Wh -> 0.090 AJUSTADO); the main meter's own read of it (source meter, measured,
    100 Wh) outranks it (smf.source_precedence) and the day goes again: 0.100 MEDIDO."""
    uc = make_uc(db, 1)
    _ingest(db, uc, [i for i in range(288) if i != 10], "0.100", "meter", "measured")
    _ingest(db, uc, [10], "0.090", "backup_meter", "adjusted")
    _accepted_once(db, emu, run, uc)
    assert _slot(_last_body(db, uc.id), 10) == ("2026-10-01T00:55:00-03:00", "0.090", "AJUSTADO")
    _ingest(db, uc, [10], "0.100", "meter", "measured")
    _resent(db, run)
    assert _slot(_last_body(db, uc.id), 10) == ("2026-10-01T00:55:00-03:00", "0.100", "MEDIDO")


@pytest.mark.slow
def test_a_loss_factor_change_resends_the_day(db, emu, run) -> None:
    """100 Wh x (1 + 0.02) = 102 Wh per interval (exact, so cumulative rounding changes
    nothing); after the factor becomes 0.01: 100 x 1.01 = 101 Wh = 0.101 kWh."""
    uc = make_uc(db, 1, loss="0.02")
    put_day(db, uc, [100] * 288)
    _accepted_once(db, emu, run, uc)
    assert _slot(_last_body(db, uc.id), 0)[1] == "0.102"
    db.execute(
        "update smf.transformer_loss set factor = 0.01 where consumer_unit_id = %s", (uc.id,)
    )
    _resent(db, run)
    assert {_slot(_last_body(db, uc.id), s)[1] for s in range(288)} == {"0.101"}


@pytest.mark.slow
def test_a_loss_validity_that_no_longer_covers_the_day_resends_it_without_losses(
    db, emu, run
) -> None:
    uc = make_uc(db, 1, loss="0.02")
    put_day(db, uc, [100] * 288)
    _accepted_once(db, emu, run, uc)
    db.execute(
        "update smf.transformer_loss set valid_during = '[2026-10-02,)'"
        " where consumer_unit_id = %s",
        (uc.id,),
    )
    _resent(db, run)
    assert {_slot(_last_body(db, uc.id), s)[1] for s in range(288)} == {"0.100"}


@pytest.mark.slow
def test_a_corrected_uc_code_resends_the_day_under_the_new_code(db, emu, run) -> None:
    uc = make_uc(db, 1)
    put_day(db, uc, [100] * 288)
    _accepted_once(db, emu, run, uc)
    new = db.execute("select smf.uc_code_with_check_digits(77, 391)").fetchone()[0]
    db.execute("update smf.consumer_unit set uc_code = %s where id = %s", (new, uc.id))
    _register(emu, db)
    _resent(db, run)
    assert _last_body(db, uc.id)["codigoUnidadeConsumidora"] == new
    assert emu.state.posts.get(f"{new}|{KEY}") == 1


@pytest.mark.slow
def test_a_new_agent_code_resends_the_day_with_it(db, emu, run) -> None:
    uc = make_uc(db, 1)
    put_day(db, uc, [100] * 288)
    _accepted_once(db, emu, run, uc)
    assert _last_body(db, uc.id)["codigoAgenteConcessionaria"] == uc.agent
    db.execute("update smf.distributor set ccee_agent_code = 7999 where aneel_code = '391'")
    _register(emu, db)
    _resent(db, run)
    assert _last_body(db, uc.id)["codigoAgenteConcessionaria"] == 7999


@pytest.mark.slow
def test_a_uc_moved_to_another_distributor_resends_with_that_agent(db, emu, run) -> None:
    uc = make_uc(db, 1)
    put_day(db, uc, [100] * 288)
    _accepted_once(db, emu, run, uc)
    other = db.execute(
        "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
        " values (7392, '392', 'Other') returning id"
    ).fetchone()[0]
    # the UC code carries its distributor's ANEEL code: a move gives it a new code too
    new = db.execute("select smf.uc_code_with_check_digits(1, 392)").fetchone()[0]
    db.execute(
        "update smf.consumer_unit set distributor_id = %s, uc_code = %s where id = %s",
        (other, new, uc.id),
    )
    _register(emu, db)
    _resent(db, run)
    doc = _last_body(db, uc.id)
    assert (doc["codigoUnidadeConsumidora"], doc["codigoAgenteConcessionaria"]) == (new, 7392)


@pytest.mark.slow
def test_registering_the_uc_from_an_earlier_date_sends_the_day(db, emu, run) -> None:
    """Registered in the retail model only from 2026-10-02: day 10-01 is not queued at all;
    once the registration is corrected to start 2026-09-01 the next enqueue queues and sends it."""
    uc = make_uc(db, 1, registered="[2026-10-02,)")
    put_day(db, uc, [100] * 288)
    _register(emu, db)
    assert sender.enqueue(_url(db), DAY, DAY, NOW)["new_days"] == 0
    assert run().claimed == 0
    db.execute(
        "update smf.ccee_retail_uc set valid_during = '[2026-09-01,)' where consumer_unit_id = %s",
        (uc.id,),
    )
    assert sender.enqueue(_url(db), DAY, DAY, NOW)["new_days"] == 1
    assert run().accepted == 1
    assert _posts(emu, uc.code) == 1


@pytest.mark.slow
def test_a_registration_that_starts_after_a_held_day_holds_it(db, emu, run) -> None:
    """Claimed by an explicit command while unregistered: held with not_registered; registered
    again from 2026-09-01, its recheck (ccee_held_recheck_s = 3600 s later) sends it."""
    uc = make_uc(db, 1, registered="[2026-10-02,)")
    put_day(db, uc, [100] * 288)
    _register(emu, db)
    with sender.Sender(_url(db), None, CceeSettings(), holder="test:1", now=lambda: NOW) as s:
        assert s.send_one(uc.code, DAY).held_reasons == {"not_registered": 1}
    db.execute(
        "update smf.ccee_retail_uc set valid_during = '[2026-09-01,)' where consumer_unit_id = %s",
        (uc.id,),
    )
    assert run(NOW + timedelta(seconds=3599)).claimed == 0
    assert run(NOW + timedelta(seconds=3600)).accepted == 1
    assert _posts(emu, uc.code) == 1


@pytest.mark.slow
def test_a_musd_raised_over_the_peak_sends_the_held_day_at_its_recheck(db, emu, run) -> None:
    """1,100 Wh every 5 min = 13.2 kWh per hour. MUSD 10 kW: limit 1.25 x 10 = 12.5 kWh < 13.2:
    held. MUSD 11 kW: limit 13.75 kWh >= 13.2: sent at the recheck, 3600 s after the hold."""
    uc = make_uc(db, 1, musd_kw=10)
    put_day(db, uc, [1100] * 288)
    _register(emu, db)
    sender.enqueue(_url(db), DAY, DAY, NOW)
    assert run().held_reasons == {"musd_exceeded": 1}
    db.execute("update smf.consumer_unit set musd_kw = 11 where id = %s", (uc.id,))
    _register(emu, db)
    assert run(NOW + timedelta(seconds=3599)).claimed == 0
    rep = run(NOW + timedelta(seconds=3600))
    assert (rep.accepted, rep.held) == (1, 0)
    assert _slot(_last_body(db, uc.id), 0)[1] == "1.100"


@pytest.mark.slow
def test_a_release_sends_the_musd_held_day_at_once_with_a_warning(db, emu, run) -> None:
    uc = make_uc(db, 1, musd_kw=10)
    put_day(db, uc, [1100] * 288)
    emu.state.accept_unknown_ucs = True  # no MUSD on the emulator's side: it accepts the day
    sender.enqueue(_url(db), DAY, DAY, NOW)
    assert run().held == 1
    with driver.connect(_url(db)) as c:
        driver.run(c, "ccee_release", uc_code=uc.code, day=DAY, by="ana", reason="CT ok", now=NOW)
        c.commit()
    assert run().accepted == 1  # the same instant: the release does not wait for the recheck
    warning = db.execute(
        "select warning from smf.ccee_attempt where consumer_unit_id = %s and outcome = 'accepted'",
        (uc.id,),
    ).fetchone()[0]
    assert warning.startswith("released by an analyst; hour 1 (00:00-01:00 -03:00): 13.200 kWh")


@pytest.mark.slow
def test_the_estimated_as_setting_resends_days_with_estimated_values_only(db, emu, run) -> None:
    """UC 1 has interval 7 estimated (sent AJUSTADO by default); UC 2 has none. Setting
    ccee_estimated_as = ESTIMADO re-sends UC 1's day with ESTIMADO at slot 7 and posts nothing
    for UC 2, whose document cannot change."""
    est = make_uc(db, 1)
    put_day(db, est, [100] * 288, quality={7: "estimated"})
    plain = make_uc(db, 2)
    put_day(db, plain, [100] * 288)
    _register(emu, db)
    sender.enqueue(_url(db), DAY, DAY, NOW)
    assert run().accepted == 2
    assert _slot(_last_body(db, est.id), 7)[2] == "AJUSTADO"
    db.execute("update smf.setting set value = 'ESTIMADO' where key = 'ccee_estimated_as'")
    sender.enqueue(_url(db), DAY, DAY, NOW)
    rep = run()
    assert rep.accepted == 1 and rep.accepted + rep.rejected + rep.failed == 1
    assert _slot(_last_body(db, est.id), 7) == ("2026-10-01T00:40:00-03:00", "0.100", "ESTIMADO")
    assert (_posts(emu, est.code), _posts(emu, plain.code)) == (2, 1)


# -- changes that cannot change the document -------------------------------------------------


@pytest.mark.slow
def test_a_customer_name_or_musd_change_posts_nothing(db, emu, run) -> None:
    uc = make_uc(db, 1, musd_kw=100)
    put_day(db, uc, [100] * 288)
    _accepted_once(db, emu, run, uc)
    db.execute(
        "update smf.consumer_unit set customer_name = 'Renamed', musd_kw = 50 where id = %s",
        (uc.id,),
    )
    _nothing_sent(db, emu, run, uc)


@pytest.mark.slow
def test_a_voltage_correction_or_another_day_posts_nothing(db, emu, run) -> None:
    """A voltage channel and a reading of the next day are not in day 10-01's document: the day
    may be rebuilt, but its bytes hash to the accepted ones and nothing is posted."""
    uc = make_uc(db, 1)
    put_day(db, uc, [100] * 288)
    _accepted_once(db, emu, run, uc)
    db.execute(
        "update smf.interval_reading set voltage_a_mv = 127000 where meter_id = %s and ts = %s",
        (uc.meter_id, day_start(DAY)),
    )
    put_day(db, uc, [100] * 10, day=DAY + timedelta(days=1))
    _nothing_sent(db, emu, run, uc)


@pytest.mark.slow
def test_a_source_change_with_the_same_value_and_quality_posts_nothing(db, emu, run) -> None:
    """An import (source import) then the same values read from the meter (source meter,
    measured, same Wh): the source is not in the document; the stored source changes."""
    uc = make_uc(db, 1)
    _ingest(db, uc, list(range(288)), "0.100", "import", "measured")
    _accepted_once(db, emu, run, uc)
    _ingest(db, uc, [3], "0.100", "meter", "measured")
    assert db.execute(
        "select source::text from smf.interval_reading where meter_id = %s and ts = %s",
        (uc.meter_id, day_start(DAY) + timedelta(minutes=15)),
    ).fetchone() == ("meter",)
    _nothing_sent(db, emu, run, uc)
