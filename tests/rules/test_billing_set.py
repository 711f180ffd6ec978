"""The set-based billing rules (issue 21 item 4: smf.hour_pieces_set, cycle_evaluation_set,
ufer_dmcr_set, billing_summary_set and the per-UC functions that now wrap them) against the
functions as they were on main at 7063499, frozen in bench/baseline/billing_7063499.sql and loaded
into schema billing_main inside the test transaction. Rows are compared as text, so a numeric that
is equal but carries another scale (1.50 vs 1.5) counts as a difference: the rewrite must change no
digit of any result.

Data: the demo dataset's distributor 059 (smf/demo/dataset.py: two azul UCs and a verde one,
5-minute meters, its generator and its posto schedule and tariffs) over the first ten days of
October 2026 (the rest of the month is missing data), plus three UCs the demo lacks: convencional
(15-minute meter), branca (with an intermediario window) and an azul one whose reactive load
crosses the reference power factor (UFER and DMCR > 0, hours right at fT = 0.92, hours with P = 0
and Q > 0), whose loss factor changes mid-month, and whose data has a gap and one estimated day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from db import driver
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings
from smf.demo import dataset as demo
from tests.rules.conftest import local, make_uc, put_intervals

BASELINE = Path(__file__).parents[2] / "bench" / "baseline" / "billing_7063499.sql"
MONTH = date(2026, 10, 1)
START = datetime(2026, 10, 1, 3, tzinfo=UTC)  # local midnight (-03:00)
END = START + timedelta(days=10)
DIST = demo.DISTRIBUTORS[0][1]  # '059'
# (customer, modality, peak kW, interval minutes); beyond demo.UNITS of distributor 059
EXTRA = [
    ("Extra Convencional", "convencional", 400, 15),
    ("Extra Branca", "branca", 300, 5),
    ("Extra Reativa", "azul", 500, 5),
]


def _reactive_heavy(rows: list[IntervalRow]) -> list[IntervalRow]:
    """Inductive Q = k x P with k cycling through 0.2 (fT 0.98), 0.426 (fT 0.92003, just above
    fR = 0.92: no excess), 0.4261 (fT 0.91997: excess) and 0.9 (fT 0.74), hour by hour; every
    37th hour P = 0 with Q > 0 (5-minute rows from a local midnight: 12 to the hour)."""
    out = []
    for i, r in enumerate(rows):
        v = dict(r.values)
        p = float(v["active_fwd_kwh"] or 0)
        k = (0.2, 0.426, 0.4261, 0.9)[(i // 12) % 4]
        zero = (i // 12) % 37 == 5
        v["reactive_ind_fwd_kvarh"] = 1.5 if zero else round(p * k, 3)
        if zero:
            v["active_fwd_kwh"] = 0.0
        out.append(IntervalRow(ts=r.ts, meter_serial=r.meter_serial, values=v))
    return out


def _load(conn: psycopg.Connection[Any]) -> None:
    dist = driver.run_scalar(
        conn, "upsert_distributor", ccee_agent_code=demo.DISTRIBUTORS[0][0], aneel_code=DIST,
        name=demo.DISTRIBUTORS[0][2],
    )  # fmt: skip
    driver.run(conn, "demo_posto_schedule", distributor_id=dist)
    driver.run(conn, "demo_tariffs", distributor_id=dist)
    conn.execute(  # branca: intermediario 1 h either side of ponta (18:00-21:00)
        "update smf.posto_schedule set intermediario_minutes = 60 where distributor_id = %s",
        (dist,),
    )
    units = [(n, m, p, mi) for n, d, m, p, mi, _ in demo.UNITS if d == 0] + EXTRA
    for i, (name, modality, peak, minutes) in enumerate(units, start=1):
        serial = f"9921{i:04d}"
        meter = driver.run_one(
            conn, "upsert_meter", serial=serial, manufacturer="Demo", model="DM3",
            protocol="import_only", interval_minutes=minutes, channel_map=demo.THREE,
            channel_constants=None, utc_offset_minutes=-180, transport=None,
            max_power_kw=peak * 3,
        )  # fmt: skip
        assert meter is not None
        uc = driver.run_one(
            conn, "upsert_consumer_unit", sequential=2000 + i, aneel_code=DIST,
            distributor_id=dist, customer_name=name, submarket="SE/CO", tariff_group="A4",
            modality=modality, ponta_kw=round(peak * 0.6) if modality == "azul" else None,
            fora_ponta_kw=peak, musd_kw=peak, supply_voltage_kv=13.8, main_meter_id=meter["id"],
        )  # fmt: skip
        assert uc is not None
        rows = demo.generate(serial, peak, minutes, demo.THREE, START, END, seed=i)
        if name == "Extra Reativa":
            rows = _reactive_heavy(rows)
            rows = [
                r for r in rows if not START + timedelta(days=3) <= r.ts < START + timedelta(days=4)
            ]
            conn.execute(  # 2.5 % until October 6 (local), 1.2 % after
                "insert into smf.transformer_loss values (%s, '[2026-01-01,2026-10-06)', 0.025),"
                " (%s, '[2026-10-06,2027-01-01)', 0.012)",
                (uc["id"], uc["id"]),
            )
        elif modality != "convencional":
            conn.execute(
                "insert into smf.transformer_loss values (%s, '[2020-01-01,)', 0.025)", (uc["id"],)
            )
        ingest_rows(conn, rows, source="import", origin="demo")
    conn.execute(  # one estimated day on the last UC (counts in n_present as estimated)
        "update smf.interval_reading set quality = 'estimated' where meter_id ="
        " (select main_meter_id from smf.consumer_unit where customer_name = 'Extra Reativa')"
        " and ts >= %s and ts < %s",
        (START + timedelta(days=5), START + timedelta(days=6)),
    )
    conn.execute(
        "select smf.rollup_refresh(array_agg(id), array_agg(%s::timestamptz),"
        " array_agg(%s::timestamptz)) from smf.meter",
        (START, END),
    )


@pytest.fixture(scope="module")
def demo_db(module_db: Settings) -> Settings:
    with psycopg.connect(module_db.url) as conn:
        _load(conn)
    return module_db


@pytest.fixture
def db(demo_db: Settings) -> Iterator[psycopg.Connection[Any]]:
    """The demo distributor with the frozen baseline in schema billing_main; rolled back."""
    with psycopg.connect(demo_db.url) as c:
        c.execute(BASELINE.read_text())
        yield c
        c.rollback()


def _ucs(conn: psycopg.Connection[Any]) -> list[tuple[int, str, str]]:
    return [
        (int(r[0]), str(r[1]), str(r[2]))
        for r in conn.execute(
            "select cu.id, cu.uc_code, cu.modality from smf.consumer_unit cu"
            " join smf.distributor d on d.id = cu.distributor_id where d.aneel_code = %s"
            " order by cu.uc_code",
            (DIST,),
        ).fetchall()
    ]


def _text(conn: psycopg.Connection[Any], sql: str, *params: Any) -> list[str]:
    return [str(r[0]) for r in conn.execute(f"select t::text from ({sql}) t", params).fetchall()]


@pytest.mark.slow
def test_the_demo_distributor_covers_every_modality_ufer_and_missing_data(db):
    assert sorted({m for _, _, m in _ucs(db)}) == ["azul", "branca", "convencional", "verde"]
    rows = db.execute(
        "select sum(u.ufer_kwh), count(*) filter (where u.posto = 'intermediario'),"
        " sum(u.p_zero_hours) from smf.consumer_unit cu, smf.ufer_dmcr_of(cu.id, %s) u",
        (MONTH,),
    ).fetchone()
    assert rows[0] > 0 and rows[1] == 1 and rows[2] > 0
    pct = db.execute(
        "select quantity from smf.billing_summary((select uc_code from smf.consumer_unit"
        " where customer_name = 'Extra Reativa'), %s) where item = 'completeness'",
        (MONTH,),
    ).fetchone()[0]
    assert 25 < pct < 33  # 9 days of 31 present


@pytest.mark.parametrize("with_losses", [True, False])
def test_distributor_run_equals_the_per_uc_billing_summary_of_main(db, with_losses):
    new = _text(db, "select * from smf.billing_summary_distributor(%s, %s, %s)", DIST, MONTH,
                with_losses)  # fmt: skip
    old: list[str] = []
    mine: list[str] = []
    for _uc, code, _ in _ucs(db):
        old += _text(db, "select * from billing_main.billing_summary(%s, %s, %s)", code, MONTH,
                     with_losses)  # fmt: skip
        mine += _text(db, "select * from smf.billing_summary(%s, %s, %s)", code, MONTH, with_losses)
    assert sum(1 for r in new if ",total," in r) == 6  # one bill per UC, none dropped
    assert new == old
    assert mine == old


@pytest.mark.slow
@pytest.mark.parametrize("with_losses", [True, False])
def test_ufer_dmcr_cycle_and_hour_pieces_equal_main_for_every_uc(db, with_losses):
    for uc, _, _ in _ucs(db):
        for fn in ("ufer_dmcr_of", "cycle_evaluation_of", "uc_hour_pieces"):
            sql = f"select * from {{}}.{fn}(%s, %s, %s)"  # {} = the schema
            old = _text(db, sql.format("billing_main"), uc, MONTH, with_losses)
            assert _text(db, sql.format("smf"), uc, MONTH, with_losses) == old, (fn, uc)
    ids = [uc for uc, _, _ in _ucs(db)]
    new_set = _text(
        db,
        "select * from smf.ufer_dmcr_set(%s, %s, %s) order by 1, 2 desc",
        ids,
        MONTH,
        with_losses,
    )
    old_set = _text(
        db,
        "select cu.id, u.* from smf.consumer_unit cu,"
        " billing_main.ufer_dmcr_of(cu.id, %s, %s) u where cu.id = any(%s) order by 1, 2 desc",
        MONTH, with_losses, ids,
    )  # fmt: skip
    assert new_set == old_set


@pytest.mark.slow
def test_a_local_midnight_inside_a_utc_hour_splits_pieces_by_loss_factor_exactly(db):
    # At +05:30 local days start at hh:30 UTC: the hour piece 18:00-19:00 UTC of October 5 holds
    # 30 minutes at 2.5 % loss and 30 at 1.2 %: two sub-pieces summed, and the largest kWh of the
    # hour picked across them.
    db.execute(
        "insert into smf.setting (key, value, description) values ('local_timezone',"
        " 'Asia/Kolkata', 'test') on conflict (key) do update set value = excluded.value"
    )
    for uc, code, _ in _ucs(db):
        for fn in ("uc_hour_pieces", "cycle_evaluation_of", "billing_summary_of"):
            sql = f"select * from {{}}.{fn}(%s, %s, true)"  # {} = the schema
            old = _text(db, sql.format("billing_main"), uc, MONTH)
            assert _text(db, sql.format("smf"), uc, MONTH) == old, (fn, code)
    # the split hour exists, with data at both loss factors (2.5 % before 18:30, 1.2 % after)
    p = db.execute(
        "select h.p_kwh_raw, h.p_kwh from smf.consumer_unit cu,"
        " billing_main.uc_quarter_hours(cu.id, '2026-10-05 18:00+00', '2026-10-05 19:00+00') h"
        " where cu.customer_name = 'Extra Reativa' order by h.ts"
    ).fetchall()
    assert [str(round(k / r, 3)) for r, k in p] == ["1.025", "1.025", "1.012", "1.012"]


# The Wh values where scale(Wh / 1000.0) changes (PostgreSQL keeps 16 significant digits counted
# from the quotient's first base-10000 digit): 20 up to 1,000 Wh (and for 0), 16 up to 10,009,999,
# 12 up to 100,099,999,999 (beyond what a 32-bit interval reading can hold, so not reachable here).
THRESHOLDS = [0, 1, 1000, 1001, 9999, 10000, 10009999, 10010000, 99999999, 100000000, 2**31 - 1]


@pytest.mark.parametrize("loss", ["0.025", "0.0125", None])
def test_hour_piece_scales_follow_numeric_division_at_every_threshold(conn, loss):
    """One 15-minute interval per hour at each threshold value (with a second one, larger, in
    the next slot, so the hour's smallest |Wh| sets its kWh's scale): the rebuilt kWh carry the
    very digits of main's per-slot sums, as text, active and reactive, with and without losses."""
    conn.execute(BASELINE.read_text())
    uc = make_uc(conn, 77, loss=loss)
    rows = []
    for h, wh in enumerate(THRESHOLDS):
        t0 = local("2026-10-01 00:00") + timedelta(hours=h)
        rows.append((t0, wh, wh, 0))
        rows.append((t0 + timedelta(minutes=15), 2**31 - 1, 7, 0))
    put_intervals(conn, uc, rows)
    scales = conn.execute(
        "select array_agg(distinct scale(p_kwh_raw)) from billing_main.uc_quarter_hours(%s,"
        " '2026-10-01 03:00+00', '2026-10-01 17:00+00') where p_kwh_raw is not null",
        (uc.id,),
    ).fetchone()[0]
    assert scales == [12, 16, 20]
    for with_losses in (True, False):
        sql = "select * from {}.uc_hour_pieces(%s, %s, %s)"
        old = _text(conn, sql.format("billing_main"), uc.id, MONTH, with_losses)
        assert _text(conn, sql.format("smf"), uc.id, MONTH, with_losses) == old


# the reactive kvarh's scale at each threshold of the hour's smallest |varh|: 20, 16, 12 digits
# (as THRESHOLDS above), plus the scale of 1 + the loss factor when loss-adjusted (the factor is
# numeric(6, 5): 0.025 is stored 0.02500, 1.02500 has 5 digits)
REACTIVE_SCALES = [20, 20, 20, 16, 16, 16, 16, 12, 12, 12, 12]


@pytest.mark.parametrize(("loss", "extra"), [(None, 0), ("0.025", 5)])
def test_hour_piece_reactive_scales_follow_numeric_division_at_every_threshold(conn, loss, extra):
    """The reactive side of the test above, by hand: hour h (from 2026-10-01 00:00 local) holds
    THRESHOLDS[h] varh in its first quarter hour and 2,147,483,647 varh in its second, inductive
    and capacitive alike (so the window does not matter), active 1,000 Wh in both; its kvarh
    carries the scale its smallest |varh| gives."""
    uc = make_uc(conn, 78, loss=loss)
    rows = []
    for h, varh in enumerate(THRESHOLDS):
        t0 = local("2026-10-01 00:00") + timedelta(hours=h)
        rows.append((t0, 1000, varh, varh))
        rows.append((t0 + timedelta(minutes=15), 1000, 2**31 - 1, 2**31 - 1))
    put_intervals(conn, uc, rows)
    got = conn.execute(
        "select q_kvarh from smf.uc_hour_pieces(%s, %s, %s) where q_kvarh is not null"
        " and p_kwh is not null order by hour",
        (uc.id, MONTH, loss is not None),
    ).fetchall()
    assert [q.as_tuple().exponent for (q,) in got] == [-(s + extra) for s in REACTIVE_SCALES]
    # hour 7: 10,010,000 + 2,147,483,647 = 2,157,493,647 varh = 2,157,493.647 kvarh, 12 digits;
    # loss-adjusted x 1.02500 = 2,211,430.988175 kvarh, 12 + 5 = 17 digits
    want = "2157493.647000000000" if loss is None else "2211430.98817500000000000"
    assert str(got[7][0]) == want


@pytest.mark.slow
def test_the_session_time_zone_changes_nothing(db):
    # local days follow smf.setting 'local_timezone' (Sao Paulo, whole hours), whatever the
    # session's TimeZone says (+05:30 here would make its midnights fall on half hours)
    db.execute("set local timezone = 'Asia/Kolkata'")
    for uc, code, _ in _ucs(db):
        for fn in ("uc_hour_pieces", "ufer_dmcr_of", "billing_summary_of"):
            sql = f"select * from {{}}.{fn}(%s, %s, true)"  # {} = the schema
            old = _text(db, sql.format("billing_main"), uc, MONTH)
            assert _text(db, sql.format("smf"), uc, MONTH) == old, (fn, code)


@pytest.mark.slow
def test_unchecked_calls_on_a_uc_without_meter_or_data_equal_main(db):
    # billing_summary_of, ufer_dmcr_of, cycle_evaluation_of and uc_hour_pieces check nothing: a
    # UC without a main meter bills nulls (intervals, completeness and total rows, as main did), a
    # meter without data in the month gives pieces with null energies, and a month without a posto
    # schedule gives null postos
    meter = db.execute(
        "insert into smf.meter (serial, interval_minutes) values ('EMPTY', 5) returning id"
    ).fetchone()[0]
    dist = db.execute("select id from smf.distributor where aneel_code = %s", (DIST,)).fetchone()[0]
    ucs = [
        db.execute(
            "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
            " tariff_group, modality, contracted_demand_fora_ponta_kw, supply_voltage_kv,"
            " main_meter_id) values (smf.uc_code_with_check_digits(%s, 59), %s, 'Edge', 'SE/CO',"
            " 'A4', 'verde', 100, 13.8, %s) returning id",
            (seq, dist, main),
        ).fetchone()[0]
        for seq, main in ((3901, None), (3902, meter))
    ]
    ucs.append(_ucs(db)[0][0])
    for month in (MONTH, date(2019, 6, 1)):  # no posto schedule before 2020
        for uc in ucs:
            for fn in (
                "billing_summary_of",
                "ufer_dmcr_of",
                "cycle_evaluation_of",
                "uc_hour_pieces",
            ):
                sql = f"select * from {{}}.{fn}(%s, %s, true)"  # {} = the schema
                old = _text(db, sql.format("billing_main"), uc, month)
                assert _text(db, sql.format("smf"), uc, month) == old, (fn, uc, month)
    no_meter = _text(db, "select item, amount from smf.billing_summary_of(%s, %s)", ucs[0], MONTH)
    assert no_meter == [
        "(intervals_present,)", "(intervals_expected,)", "(completeness,)", "(total,)"
    ]  # fmt: skip
