"""Precomputed UC-month figures (db/functions/180_uc_figures.sql) never disagree with a fresh
computation: after imports, late data, edits, estimates, a change of registration or of tariffs,
sealing and writes into sealed periods. A stored row is either fresh and equal to what the rules
compute now, or stale, and a stale row is never served (smf.uc_figures computes it live).

The check `_consistent` compares every stored fresh row with smf.uc_figures_compute (the rules
now) and with smf.billing_summary itself, so a missed invalidation shows as a difference. One
hand-worked case pins the content (the first test).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import psycopg
import pytest

from db import driver, figures
from db.ingest import IntervalRow, ingest_rows
from tests.rules.conftest import local, make_uc, put_hours, put_intervals
from tests.storage.helpers import seal_all

OCT = date(2026, 10, 1)
SEP = date(2026, 9, 1)
STEP = timedelta(minutes=5)


def _rows(meter: int, start: datetime, n: int, wh: int, source_quality: str = "measured"):
    return [
        IntervalRow(
            ts=start + STEP * i,
            values={"active_fwd_kwh": D(wh) / 1000, "reactive_ind_fwd_kvarh": D(wh // 2) / 1000},
            meter_id=meter,
            quality=source_quality,
        )
        for i in range(n)
    ]


def _ingest(url: str, rows: list[IntervalRow], source: str = "import") -> None:
    with driver.connect(url) as conn:
        ingest_rows(conn, rows, source=source)


def _stored(conn, uc_id: int) -> dict[date, dict[str, Any]]:
    cur = conn.execute(
        "select month, stale, energy_kwh, completeness_pct, musd_verdict, billing, demand,"
        " ufer_dmcr, musd from smf.uc_month_figures where consumer_unit_id = %s",
        (uc_id,),
    )
    cols = [c.name for c in cur.description]
    return {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def _consistent(url: str, uc) -> dict[date, dict[str, Any]]:
    """Every fresh stored row equals a computation now; returns the stored rows."""
    with psycopg.connect(url) as conn:
        stored = _stored(conn, uc.id)
        for month, row in stored.items():
            if row["stale"]:
                continue
            cur = conn.execute("select * from smf.uc_figures_compute(%s, %s)", (uc.id, month))
            now = dict(zip([c.name for c in cur.description], cur.fetchone(), strict=True))
            for key, value in now.items():
                assert row[key] == value, (month, key)
            billing = conn.execute(
                "select jsonb_agg(to_jsonb(b)) from smf.billing_summary(%s, %s) b", (uc.code, month)
            ).fetchone()[0]
            assert row["billing"] == billing, month
    return stored


@pytest.fixture
def uc_db(db_settings):
    with psycopg.connect(db_settings.url) as conn:
        uc = make_uc(conn, 801, interval=5, fora_kw=100, ponta_kw=50, musd_kw=40)
    return db_settings.url, uc


@pytest.mark.slow
def test_an_import_leaves_fresh_figures_worked_by_hand(uc_db):
    # 24 intervals of 100 Wh from 2026-10-06 10:00 local: energy 2.4 kWh; the 15-minute demand
    # 300 Wh x 4 = 1.2 kW; completeness 24 / (31 x 288 = 8928) = 0.27 %; MUSD 40 kW: the hour's
    # 1.2 kWh is below 1.25 x 40 = 50 kWh -> accepted
    url, uc = uc_db
    _ingest(url, _rows(uc.meter_id, local("2026-10-06 10:00"), 24, 100))
    stored = _consistent(url, uc)
    assert list(stored) == [OCT]
    row = stored[OCT]
    assert (row["stale"], row["energy_kwh"], row["completeness_pct"], row["musd_verdict"]) == (
        False,
        D("2.400"),
        D("0.27"),
        "accepted",
    )
    fp = {d["demand_posto"]: d for d in row["demand"]}["fora_ponta"]
    assert D(str(fp["measured_kw"])) == D("1.200")
    with psycopg.connect(url) as conn:
        got = figures.figures(conn, uc.code, OCT)
    assert got["fresh"] is True and got["energy_kwh"] == D("2.400")


@pytest.mark.slow
def test_late_data_edits_and_estimates_refresh_their_month(uc_db):
    url, uc = uc_db
    _ingest(url, _rows(uc.meter_id, local("2026-10-06 10:00"), 24, 100))
    # late data for September: its month appears, October stays as it was
    _ingest(url, _rows(uc.meter_id, local("2026-09-30 22:00"), 12, 50))
    # a correction of one October interval by a manual source
    _ingest(url, _rows(uc.meter_id, local("2026-10-06 10:00"), 1, 700), source="manual")
    # an estimate for an October gap (never replaces data: only fills)
    _ingest(
        url, _rows(uc.meter_id, local("2026-10-07 10:00"), 3, 90, "estimated"), source="estimate"
    )
    stored = _consistent(url, uc)
    assert sorted(stored) == [SEP, OCT]
    # October: 23 x 100 + 700 + 3 x 90 = 3270 Wh; September: 12 x 50 = 600 Wh
    assert (stored[OCT]["energy_kwh"], stored[SEP]["energy_kwh"]) == (D("3.270"), D("0.600"))
    assert not stored[OCT]["stale"] and not stored[SEP]["stale"]


@pytest.mark.slow
def test_registration_and_tariff_changes_make_rows_stale_and_never_served(uc_db):
    url, uc = uc_db
    _ingest(url, _rows(uc.meter_id, local("2026-10-06 10:00"), 24, 100))
    with psycopg.connect(url) as conn:
        conn.execute("update smf.consumer_unit set musd_kw = 0.9 where id = %s", (uc.id,))
        conn.commit()
        assert _stored(conn, uc.id)[OCT]["stale"] is True
        # the reader computes it live: the hour of 1.2 kWh is now above 1.25 x 0.9 = 1.125 kWh
        got = figures.figures(conn, uc.code, OCT)
        assert (got["fresh"], got["musd_verdict"]) == (False, "rejected")
        conn.execute(
            "insert into smf.tariff (distributor_id, modality, item, posto, valid_during, price)"
            " values (%s, 'azul', 'energy', 'fora_ponta', '[2026-01-01,2027-01-01)', 0.5)",
            (uc.distributor_id,),
        )
        conn.commit()
    with driver.connect(url) as conn:
        assert driver.run_one(conn, "figures_refresh_stale", limit=10)["n"] == 1
    stored = _consistent(url, uc)
    energy = {(b["item"], b["posto"]): b for b in stored[OCT]["billing"]}[("energy", "fora_ponta")]
    assert D(str(energy["amount"])) == D("1.20")  # 2.4 kWh x 0.5 R$/kWh
    assert stored[OCT]["musd_verdict"] == "rejected"


@pytest.mark.slow
def test_sealing_keeps_figures_fresh_and_a_write_into_a_sealed_period_refreshes(uc_db):
    url, uc = uc_db
    _ingest(url, _rows(uc.meter_id, local("2026-10-06 10:00"), 24, 100))
    with psycopg.connect(url) as conn:
        before = _stored(conn, uc.id)[OCT]
        seal_all(conn)
        conn.commit()
        assert conn.execute("select count(*) from smf.interval_sealed").fetchone()[0] > 0
        after = _stored(conn, uc.id)[OCT]
    assert after == before  # sealing moves values between tiers, changing none
    _consistent(url, uc)
    _ingest(url, _rows(uc.meter_id, local("2026-10-06 10:05"), 1, 400), source="manual")
    stored = _consistent(url, uc)
    assert (stored[OCT]["stale"], stored[OCT]["energy_kwh"]) == (False, D("2.700"))


@pytest.mark.slow
def test_a_bulk_load_beyond_the_sync_limit_leaves_stale_rows_for_the_job(uc_db):
    url, uc = uc_db
    with psycopg.connect(url) as conn:
        conn.execute("update smf.setting set value = '0' where key = 'uc_figures_sync_max'")
        conn.commit()
    _ingest(url, _rows(uc.meter_id, local("2026-10-06 10:00"), 24, 100))
    with psycopg.connect(url) as conn:
        assert _stored(conn, uc.id)[OCT]["stale"] is True
        assert figures.figures(conn, uc.code, OCT)["energy_kwh"] == D("2.400")  # computed live
    with driver.connect(url) as conn:
        assert driver.run_one(conn, "figures_refresh_stale", limit=50)["n"] == 1
    assert _consistent(url, uc)[OCT]["stale"] is False


@pytest.mark.slow
def test_a_failing_figures_refresh_never_costs_the_batch(uc_db):
    url, uc = uc_db
    with psycopg.connect(url) as conn:
        conn.execute(
            "create or replace function smf.uc_figures_refresh_after_write() returns int"
            " language plpgsql as $$ begin raise exception 'planted'; end $$"
        )
        conn.commit()
    _ingest(url, _rows(uc.meter_id, local("2026-10-06 10:00"), 24, 100))
    with psycopg.connect(url) as conn:
        assert (
            conn.execute(
                "select count(*) from smf.interval_reading where meter_id = %s", (uc.meter_id,)
            ).fetchone()[0]
            == 24
        )
        assert _stored(conn, uc.id)[OCT]["stale"] is True
        assert figures.figures(conn, uc.code, OCT)["fresh"] is False


@pytest.mark.slow
def test_no_figures_for_a_month_without_data(uc_db):
    url, uc = uc_db
    with psycopg.connect(url) as conn, pytest.raises(psycopg.Error, match="no readings"):
        conn.execute("select * from smf.uc_figures(%s, %s)", (uc.code, OCT))


@pytest.mark.slow
def test_refreshing_a_month_without_readings_removes_only_that_months_figures(conn):
    # October 2026 has one hour of readings: 2026-10-06 10:00-11:00 local (-03:00), a Tuesday,
    # fora ponta; 4 quarter hours of 500 Wh = 2000 Wh = 2.000 kWh. November has none: its refresh
    # answers false (SMF04, no readings) and removes the November row it created, leaving the
    # stored October row (fresh, 2.000 kWh) as it was.
    uc = make_uc(conn, 811, fora_kw=100, ponta_kw=50)
    put_hours(conn, uc, [("2026-10-06 10:00", 2, 0, 0)])
    refresh = "select smf.uc_figures_refresh(%s, %s)"
    assert conn.execute(refresh, (uc.id, OCT)).fetchone()[0] is True
    assert conn.execute(refresh, (uc.id, date(2026, 11, 1))).fetchone()[0] is False
    rows = conn.execute(
        "select month, stale, energy_kwh from smf.uc_month_figures where consumer_unit_id = %s",
        (uc.id,),
    ).fetchall()
    assert rows == [(OCT, False, D("2.000"))]


@pytest.mark.slow
def test_a_write_spanning_three_local_months_marks_each_of_them_stale(conn):
    # One write of three quarter hours: 2026-09-30 23:45 local (-03:00; 2026-10-01 02:45 UTC, so
    # September locally though October in UTC), 2026-10-15 12:00 and 2026-11-01 00:00 local. The
    # rollup refresh spans the local months September .. November and marks all three stale,
    # October (in the middle) too: 3 rows.
    uc = make_uc(conn, 812, fora_kw=100, ponta_kw=50)
    put_intervals(
        conn,
        uc,
        [
            (local("2026-09-30 23:45"), 100, 0, 0),
            (local("2026-10-15 12:00"), 100, 0, 0),
            (local("2026-11-01 00:00"), 100, 0, 0),
        ],
    )
    rows = conn.execute(
        "select month, stale from smf.uc_month_figures where consumer_unit_id = %s order by month",
        (uc.id,),
    ).fetchall()
    assert rows == [(SEP, True), (OCT, True), (date(2026, 11, 1), True)]


def test_a_reader_gets_the_stored_figures_of_the_month_asked_only(conn):
    # Two local months stored fresh: September 2026 with one hour of 1 kWh (2026-09-15 10:00
    # local, 4 x 250 Wh) and October with one of 2 kWh (2026-10-06 10:00, 4 x 500 Wh). Asking for
    # October serves the one stored October row: fresh, 2.000 kWh; asking for September, 1.000.
    uc = make_uc(conn, 813, fora_kw=100, ponta_kw=50)
    put_hours(conn, uc, [("2026-09-15 10:00", 1, 0, 0), ("2026-10-06 10:00", 2, 0, 0)])
    refresh = "select smf.uc_figures_refresh(%s, %s)"
    assert conn.execute(refresh, (uc.id, SEP)).fetchone()[0] is True
    assert conn.execute(refresh, (uc.id, OCT)).fetchone()[0] is True
    read = "select month, fresh, energy_kwh from smf.uc_figures(%s, %s)"
    assert conn.execute(read, (uc.code, OCT)).fetchall() == [(OCT, True, D("2.000"))]
    assert conn.execute(read, (uc.code, SEP)).fetchall() == [(SEP, True, D("1.000"))]
