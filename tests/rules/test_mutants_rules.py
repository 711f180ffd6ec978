"""Cases that kill the mutants of db/functions/1xx_*.sql that the rest of tests/rules/ let live
(scripts/mutate_sql.py, issue 13 §5). Each case names the mutant it was written for (file prefix
#index of `mutate_sql.py --list`) and shows its expected value worked out by hand or taken from a
published table, never from the function under test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from db import driver, errors, rules
from tests.rules.conftest import local, make_uc, put_hours, put_intervals

OCT = date(2026, 10, 1)


def _q(conn, sql: str, *args):
    return conn.execute(sql, args).fetchone()[0]


# ---------- 105 Easter outside 2000-2100
#
# easter_sunday() takes any Gregorian year. The dates below are those of the published Gregorian
# Easter tables (checked while writing against dateutil.easter, an implementation independent of
# ours). The years were chosen because each one moves Easter under a one-unit change of one of the
# algorithm's constants that the years 2000-2100 of the other tests do not see:
#   1707 (24 Apr): 22*l -> 23*l (also 1734, 1859), b = p_year / 100 -> / 101, and in
#        g = (b - (b + 8) / 25 + 1) / 3 the / 25 -> / 26 and its / 100 -> / 101 (for b = 17,
#        (17 + 8) / 25 = 1 but 25 / 26 = 0);
#   3317 (18 Apr): / 451 -> / 452 (differs first in 3165), 7*m -> 8*m in the day, the first
#        p_year / 100 of g -> / 101;
#   1999 (4 Apr): / 31 -> / 32 in the month (worked below: 127 / 31 = 4, April, but
#        127 / 32 = 3), e = b % 4 -> b % 5 (19 % 4 = 3, 19 % 5 = 4).
# Worked for 1999 (anonymous Gregorian algorithm): a = 1999 % 19 = 4, b = 19, c = 99, d = 4,
# e = 3, f = (19 + 8) / 25 = 1, g = (19 - 1 + 1) / 3 = 6, h = (19*4 + 19 - 4 - 6 + 15) % 30
# = 100 % 30 = 10, i = 99 / 4 = 24, k = 99 % 4 = 3, l = (32 + 2*3 + 2*24 - 10 - 3) % 7 = 73 % 7
# = 3, m = (4 + 11*10 + 22*3) / 451 = 180 / 451 = 0, month = (10 + 3 + 114) / 31 = 127 / 31 = 4,
# day = 127 % 31 + 1 = 3 + 1 = 4 -> 4 April 1999.
@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1707, date(1707, 4, 24)),
        (1999, date(1999, 4, 4)),
        (3317, date(3317, 4, 18)),
        (1818, date(1818, 3, 22)),  # the earliest possible date, as in 2285
        (1943, date(1943, 4, 25)),  # the latest possible date, as in 2038
    ],
)
def test_easter_in_other_centuries(conn, year, easter):
    assert _q(conn, "select smf.easter_sunday(%s)", year) == easter


# ---------- 100 / 160 a posto schedule that starts inside the month


def test_schedule_must_cover_every_day_of_the_month(conn):
    # 100#7 and its twin in 160 (a `valid_during @> day` term dropped): a schedule valid from
    # 2026-10-15 leaves 1-14 October without postos, so October cannot be evaluated; the first
    # uncovered day, 2026-10-01, is named. A schedule from 2026-10-01 makes it evaluable.
    uc = make_uc(conn, 131, aneel="961", schedule=False)
    conn.execute(
        "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start,"
        " capacitive_start) values (%s, '[2026-10-15,)', '18:00', '00:00')",
        (uc.distributor_id,),
    )
    put_hours(conn, uc, [("2026-10-20 10:00", 1, 0, 0)])
    with (
        pytest.raises(errors.NotFound, match=f"consumer unit {uc.code} on 2026-10-01"),
        driver.translate_errors(),
        conn.transaction(),
    ):
        rules.billing_summary(conn, uc.code, OCT)
    with (
        pytest.raises(errors.NotFound, match="no posto schedule for distributor 961 on 2026-10-01"),
        driver.translate_errors(),
        conn.transaction(),
    ):
        rules.billing_summary_distributor(conn, "961", OCT)
    # the same schedule from the 1st: 1 kWh of fora ponta energy
    conn.execute(
        "update smf.posto_schedule set valid_during = '[2026-10-01,)' where distributor_id = %s",
        (uc.distributor_id,),
    )
    rows = rules.billing_summary(conn, uc.code, OCT)
    assert {(r["item"], r["posto"]): r["quantity"] for r in rows}[("energy", "fora_ponta")] == D(
        "1.000"
    )


# ---------- 150 / 160 rounding of loss-adjusted values (more decimals than shown)
#
# A loss factor of 1.234 % gives loss-adjusted energies with 4 or more decimals, so that each
# rounding of the outputs shows (a round(x, 3) -> round(x, 4) mutant changes the value).


def test_billing_items_of_a_loss_adjusted_overrun(conn):
    # 160#14 (overrun to 4 decimals) and the other item roundings. One quarter-hour, raw
    # 136.504 kWh, loss 1.234 %: 136.504 x 1.01234 = 136.504 + 1.68445936 = 138.18845936 kWh.
    # Demand 138.18845936 x 4 = 552.75383744 kW > 1.05 x 520 = 546 -> overrun
    # 552.75383744 - 520 = 32.75383744 kW. DMCR (Q = 0): P of the 10:00 hour x 60 / 60 =
    # 138.18845936 kW. Shown: energy 138.188, measured and billed 552.754, overrun 32.754 (3
    # decimals).
    # A second hour, 02:00 (capacitive window), raw P = 400, Q_cap = 420 kWh/kvarh (4 x 100000
    # and 4 x 105000 Wh): S = sqrt(400^2 + 420^2) = 580; adjusted P = 404.936, S = 580 x
    # 1.01234 = 587.1572, fR.S = 0.92 x 587.1572 = 540.184624 > P -> UFER 540.184624 - 404.936
    # = 135.248624 -> 135.25, DMCR 540.184624 -> 540.18 (the month's largest). The billable
    # demand is the measured 552.754 > DMCR: no DMCR excess (it is over the billable demand, not
    # over the contracted 520). Its quarter-hours (101.234 kWh x 4 = 404.936 kW)
    # stay below the 10:00 one; energy 138.18845936 + 404.936 = 543.12445936 -> 543.124.
    uc = make_uc(conn, 132, fora_kw=520, loss="0.01234")
    put_intervals(conn, uc, [(local("2026-10-06 10:00"), 136504, 0, 0)])
    put_hours(conn, uc, [("2026-10-06 02:00", 400, 0, 420)])
    items = {
        (r["item"], r["posto"]): r["quantity"] for r in rules.billing_summary(conn, uc.code, OCT)
    }
    assert items[("energy", "fora_ponta")] == D("543.124")
    assert items[("demand_measured", "fora_ponta")] == D("552.754")
    assert items[("demand_billed", "fora_ponta")] == D("552.754")
    assert items[("overrun", "fora_ponta")] == D("32.754")
    assert items[("ufer", "fora_ponta")] == D("135.25")
    # no ponta reading: no ponta energy nor UFER (160#6, 160#16)
    assert (items[("energy", "ponta")], items[("ufer", "ponta")]) == (D("0.000"), D("0.00"))
    assert items[("dmcr", "fora_ponta")] == D("540.18")
    assert items[("dmcr_excess", "fora_ponta")] == D("0.00")


def test_ufer_dmcr_roundings_with_a_loss_factor(conn):
    # 150#2 (P to 4 decimals) and the other roundings of ufer_dmcr_hourly / ufer_dmcr.
    # Loss 1.234 %, capacitive window 00:00-06:00, contracted fora ponta 250 kW.
    # 02:00: raw P = 200, Q_cap = 210 -> S = sqrt(200^2 + 210^2) = sqrt(84100) = 290, fT = 20/29.
    #   Adjusted (x 1.01234): P = 202.468, Q = 212.5914, S = 293.5786; fT = 20/29 = 0.689655...
    #   -> 0.6897; fR.S = 0.92 x 293.5786 = 270.092312 > P -> UFER = 270.092312 - 202.468 =
    #   67.624312 -> 67.624, DMCR = 270.092312 -> 270.092.
    # 03:00: raw P = 100.008, Q = 0 -> P = 100.008 x 1.01234 = 101.234 + 0.00809872 = 101.24209872
    #   -> 101.242 (P, S and DMCR), fT = 1, UFER 0.
    # Per posto (2 decimals): UFER 67.624312 -> 67.62, DMCR max 270.092312 -> 270.09 at 02:00,
    # excess 270.092312 - 250 = 20.092312 -> 20.09.
    uc = make_uc(conn, 133, fora_kw=250, loss="0.01234")
    put_hours(conn, uc, [("2026-10-06 02:00", 200, 0, 210), ("2026-10-06 03:00", "100.008", 0, 0)])
    a, b = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (a["p_kwh"], a["q_kvarh"], a["s_kvah"], a["power_factor"]) == (
        D("202.468"),
        D("212.591"),
        D("293.579"),
        D("0.6897"),
    )
    assert (a["ufer_kwh"], a["dmcr_kw"]) == (D("67.624"), D("270.092"))
    assert (b["p_kwh"], b["s_kvah"], b["power_factor"], b["ufer_kwh"], b["dmcr_kw"]) == (
        D("101.242"),
        D("101.242"),
        D("1.0000"),
        D("0.000"),
        D("101.242"),
    )
    fp = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["fora_ponta"]
    assert (fp["ufer_kwh"], fp["dmcr_kw"], fp["dmcr_at"], fp["dmcr_excess_kw"]) == (
        D("67.62"),
        D("270.09"),
        local("2026-10-06 02:00"),
        D("20.09"),
    )


# ---------- 170 contracts and lastro


def test_lastro_without_any_pld(conn):
    # 170#82: no PLD in the window -> mean null; price = max(VR 0, 0) = 0; consumption 1 MWh,
    # no contract -> shortfall 1 MWh, penalty 1 x 0 = 0.00 and its twelfth 0.00.
    uc = make_uc(conn, 134)
    put_hours(conn, uc, [("2026-10-06 10:00", 1000, 0, 0)])
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert (lp["shortfall_mwh"], lp["mean_pld"], lp["price"]) == (D("1.000000"), None, D(0))
    assert (lp["penalty_brl"], lp["penalty_month_brl"]) == (D("0.00"), D("0.00"))


def test_load_following_on_exactly_one_kwh(conn):
    # 170#39 (and the `lt.total > 0` of the volume): the buyer consumed 1.000 kWh in October
    # 2026, all at 10:00 on the 6th (4 x 250 Wh). Load following of a declared 744 MWh month:
    # q_h = 744 x C_h / 1 -> 744 MWh at that hour, 0 in the other 743; the method is
    # load_following (a total of 1 kWh is > 0), not flat (flat would be 744 / 744 = 1 MWh/h).
    uc = make_uc(conn, 135)
    put_hours(conn, uc, [("2026-10-06 10:00", 1, 0, 0)])
    cid = conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('LF1', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'load_following') returning id",
        (uc.id,),
    ).fetchone()[0]
    conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 744)", (cid,))
    rows = conn.execute("select hour, mwh, method from smf.contract_modulation('LF1', %s)", (OCT,))
    hours = rows.fetchall()
    assert len(hours) == 744
    assert {m for _, _, m in hours} == {"load_following"}
    assert {(h, v) for h, v, _ in hours if v != 0} == {(local("2026-10-06 10:00"), D(744))}


def test_schedule_gap_of_one_day(conn):
    # 100#5 / 160 twin (the day series stepping 2 days): two schedule versions leave only
    # 2026-10-02 uncovered; a check of every other day (1, 3, 5, ...) would miss it.
    uc = make_uc(conn, 136, aneel="964", schedule=False)
    for valid in ("[2020-01-01,2026-10-02)", "[2026-10-03,)"):
        conn.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start,"
            " capacitive_start) values (%s, %s, '18:00', '00:00')",
            (uc.distributor_id, valid),
        )
    put_hours(conn, uc, [("2026-10-20 10:00", 1, 0, 0)])
    with (
        pytest.raises(errors.NotFound, match=f"consumer unit {uc.code} on 2026-10-02"),
        driver.translate_errors(),
        conn.transaction(),
    ):
        rules.billing_summary(conn, uc.code, OCT)
    with (
        pytest.raises(errors.NotFound, match="no posto schedule for distributor 964 on 2026-10-02"),
        driver.translate_errors(),
        conn.transaction(),
    ):
        rules.billing_summary_distributor(conn, "964", OCT)


# ---------- 100 / 160 readings at the month edges decide whether the month can be evaluated
#
# October 2026 local = [2026-10-01 00:00, 2026-11-01 00:00) at -03:00. A reading whose interval
# starts at 2026-10-01 00:00 is October's; one at 2026-11-01 00:00 or 2026-09-30 23:45 is not.


@pytest.mark.parametrize(
    ("seq", "start", "evaluable"),
    [
        (137, "2026-10-01 00:00", True),  # the first interval of the month
        (138, "2026-11-01 00:00", False),  # the first of November (the month's end, excluded)
        (139, "2026-09-30 23:45", False),  # the last of September
    ],
)
def test_month_needs_a_reading_inside_it(conn, seq, start, evaluable):
    # 100#11-14 (the `bucket >= v_lo and bucket < v_hi` of require_cycle) and 100#4 (v_hi a
    # month late): 5 kWh in the one interval.
    uc = make_uc(conn, seq)
    put_intervals(conn, uc, [(local(start), 5000, 0, 0)])
    if evaluable:
        items = {
            (r["item"], r["posto"]): r["quantity"]
            for r in rules.billing_summary(conn, uc.code, OCT)
        }
        assert items[("energy", "fora_ponta")] == D("5.000")
    else:
        with (
            pytest.raises(
                errors.NotFound, match=f"no readings for consumer unit {uc.code} in 2026-10"
            ),
            driver.translate_errors(),
        ):
            rules.billing_summary(conn, uc.code, OCT)


def test_distributor_summary_takes_ucs_with_a_reading_inside_the_month(conn):
    # 160 twins of the above (billing_summary_distributor's `r.bucket >= v_lo and < v_hi`):
    # of three UCs with one reading each, only the one at 2026-10-01 00:00 is listed.
    ucs = {}
    for seq, start in (
        (141, "2026-10-01 00:00"),
        (142, "2026-11-01 00:00"),
        (143, "2026-09-30 23:45"),
    ):
        ucs[start] = make_uc(conn, seq, aneel="965")
        put_intervals(conn, ucs[start], [(local(start), 5000, 0, 0)])
    rows = rules.billing_summary_distributor(conn, "965", OCT)
    assert {r["uc_code"] for r in rows} == {ucs["2026-10-01 00:00"].code}


# ---------- 125 the P = 0 & Q > 0 flag at its edge


def test_p_zero_flag_with_one_kvarh(conn):
    # 125#34 (Q > 0 -> Q > 1) and 125#33 (Q >= 0). 10:00: P = 0, Q_ind = 1.000 kvarh (4 x 250
    # varh) -> flagged; S = 1, UFER = 0.92 x 1 - 0 = 0.92 kWh, DMCR = 0.92 kW. 11:00: P = 0,
    # Q = 0 -> not flagged (nothing was consumed), UFER 0, DMCR 0. One flagged hour.
    # 12:00 (125#24, fT shown only when S > 0 -> S > 1): P = 0.6, Q = 0.8 -> S = sqrt(0.36 +
    # 0.64) = 1.000, fT = 0.6 / 1 = 0.6000, UFER = 0.92 - 0.6 = 0.320, DMCR 0.920.
    uc = make_uc(conn, 144)
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 10:00", 0, 1, 0),
            ("2026-10-06 11:00", 0, 0, 0),
            ("2026-10-06 12:00", "0.6", "0.8", 0),
        ],
    )
    ten, eleven, noon = rules.ufer_dmcr_hourly(conn, uc.code, OCT)
    assert (noon["s_kvah"], noon["power_factor"], noon["ufer_kwh"], noon["dmcr_kw"]) == (
        D("1.000"),
        D("0.6000"),
        D("0.320"),
        D("0.920"),
    )
    assert (ten["p_zero"], ten["ufer_kwh"], ten["dmcr_kw"]) == (True, D("0.920"), D("0.920"))
    assert (eleven["p_zero"], eleven["ufer_kwh"], eleven["dmcr_kw"]) == (False, D(0), D(0))
    fp = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["fora_ponta"]
    assert (fp["hours"], fp["p_zero_hours"]) == (3, 1)


def test_single_demand_excess_rounding(conn):
    # 150#14 (the 'unica' row's excess to 3 decimals): verde, contracted 250 kW, loss 1.234 %,
    # the 02:00 hour of test_ufer_dmcr_roundings_with_a_loss_factor: DMCR 270.092312 -> 270.09,
    # excess 270.092312 - 250 = 20.092312 -> 20.09.
    uc = make_uc(conn, 145, modality="verde", ponta_kw=None, fora_kw=250, loss="0.01234")
    put_hours(conn, uc, [("2026-10-06 02:00", 200, 0, 210)])
    unica = {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}["unica"]
    assert (unica["dmcr_kw"], unica["contracted_kw"], unica["dmcr_excess_kw"]) == (
        D("270.09"),
        D(250),
        D("20.09"),
    )


# ---------- 110 schedule messages in full (times shown as HH:MM)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        # 22:00 + 180 min = 1500 > 1440
        (
            {"ponta": "22:00"},
            "ponta must be 180 consecutive minutes within one day, got 180 from 22:00",
        ),
        # 12:00 is 720 min -> -720 relative, before the span start -30 (23:30)
        (
            {"capacitive": "12:00"},
            "capacitive window 12:00-18:00 is not 360 consecutive minutes inside 23:30-06:30",
        ),
        ({"ponta": "18:07"}, "posto schedule time 18:07 is not on the 15-minute grid"),
        (
            {"intermediario": 0},
            "intermediario of 0 minutes around ponta 18:00 does not fit the day"
            " on the 15-minute grid",
        ),
    ],
)
def test_schedule_messages(conn, kw, message):
    # 110 left(x, 5) -> left(x, 6) mutants (would show "22:00:") and intermediario <= 0 -> < 0
    from tests.rules.conftest import distributor

    with pytest.raises(errors.InvalidParameter) as e, driver.translate_errors():
        distributor(conn, "966", **kw)
    assert str(e.value).splitlines()[0] == message


# ---------- 170 load following without consumption, declared hours at the month's edges


def test_load_following_on_zero_consumption_is_flat(conn):
    # 170#38 (total >= 0): the buyer's readings are all 0 kWh -> no load shape: flat,
    # 744 MWh / 744 h = 1 MWh every hour.
    uc = make_uc(conn, 146)
    put_hours(conn, uc, [("2026-10-06 10:00", 0, 0, 0)])
    cid = conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('LF0', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'load_following') returning id",
        (uc.id,),
    ).fetchone()[0]
    conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 744)", (cid,))
    hours = conn.execute("select mwh, method from smf.contract_modulation('LF0', %s)", (OCT,))
    assert set(hours.fetchall()) == {(D(1), "flat")}


@pytest.mark.parametrize(
    ("declared_at", "method", "at_first_hour"),
    [
        # an hour volume at the last hour of September only: October is not declared -> flat,
        # 744 / 744 = 1 MWh in each hour (170#23, the `v.hour >= b.lo` dropped)
        ("2026-09-30 23:00", "flat", D(1)),
        # at the first hour of October (2026-10-01 00:00 local): declared, 5 MWh there and 0 in
        # the other 743 hours (170#24, `v.hour > b.lo`)
        ("2026-10-01 00:00", "declared", D(5)),
    ],
)
def test_declared_hour_volumes_at_the_month_start(conn, declared_at, method, at_first_hour):
    uc = make_uc(conn, 147)
    cid = conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('DH1', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'flat') returning id",
        (uc.id,),
    ).fetchone()[0]
    conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 744)", (cid,))
    conn.execute(
        "insert into smf.contract_hour_volume (contract_id, hour, mwh) values (%s, %s, 5)",
        (cid, local(declared_at)),
    )
    hours = conn.execute("select hour, mwh, method from smf.contract_modulation('DH1', %s)", (OCT,))
    rows = hours.fetchall()
    assert len(rows) == 744 and {m for _, _, m in rows} == {method}
    assert rows[0][:2] == (local("2026-10-01 00:00"), at_first_hour)
    assert sum(v for _, v, _ in rows) == (D(744) if method == "flat" else D(5))


# ---------- 105 / 110 calendar versions apply by date


def test_calendar_versions_apply_by_date(conn):
    # 105#36 / 105#46 / 110#41 (the `valid_during @> day` of the calendar version dropped).
    # The shipped versions (all holidays of 2000-2100) are made valid from 2027 only, and a
    # version without any holiday covers 2000-2026. So in 2026 no day is a holiday:
    # - Mon 2026-11-02 (All Souls) is a CCEE business day, Tue 2027-11-02 is not;
    # - 2 CCEE business days after Mon 2026-10-05: Tue 6, Wed 7 -> 2026-10-07 (counting each day
    #   once per version would give the 6th);
    # - 2026-11-02 19:00 is ponta (ponta 18:00-21:00 on a weekday without a tariff holiday).
    conn.execute(
        "update smf.calendar set valid_during = '[2027-01-01,2101-01-01)'"
        " where purpose in ('ccee', 'tariff')"
    )
    conn.execute(
        "insert into smf.calendar (purpose, version, valid_during, description) values"
        " ('ccee', 2, '[2000-01-01,2027-01-01)', 'none'),"
        " ('tariff', 2, '[2000-01-01,2027-01-01)', 'none')"
    )
    assert rules.is_business_day(conn, date(2026, 11, 2)) is True
    assert rules.is_business_day(conn, date(2027, 11, 2)) is False
    assert rules.add_business_days(conn, date(2026, 10, 5), 2) == date(2026, 10, 7)
    uc = make_uc(conn, 148)
    assert rules.posto_at(conn, uc.code, local("2026-11-02 19:00"))["posto"] == "ponta"


def test_exposure_month_rounds_to_six_decimals(conn):
    # 170#53-55 (the month totals to 7 decimals). Flat contract of 1000 MWh/year in 2026
    # (8760 h): October (744 h) = 1000 x 744 / 8760 = 84.931506849315... -> 84.931507.
    # Consumption: raw 1000.008 kWh at one hour, loss 1.234 %: 1.000008 x 1.01234 =
    # 1.01234 + 0.00000809872 = 1.01234809872 MWh -> 1.012348.
    # Exposure 84.931506849315 - 1.012348098720 = 83.919158750595 -> 83.919159 (surplus).
    uc = make_uc(conn, 149, loss="0.01234")
    put_hours(conn, uc, [("2026-10-06 10:00", "1000.008", 0, 0)])
    conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, annual_mwh, modulation) values ('FA1', 'bilateral', 'Seller', %s,"
        " 'SE/CO', '[2026-01-01,2027-01-01)', 1000, 'flat')",
        (uc.id,),
    )
    month = rules.exposure_month(conn, uc.code, OCT)
    assert (month["consumption_mwh"], month["contracted_mwh"], month["exposure_mwh"]) == (
        D("1.012348"),
        D("84.931507"),
        D("83.919159"),
    )


def test_deadlines_in_due_date_then_code_order(conn):
    # 105#58 (ties broken by description instead of code): a second MS+7du deadline falls on the
    # measurement one (11 Nov 2026 for October, see test_deadlines_of_october_2026). By code
    # 'a_extra' < 'measurement'; by description 'Zz extra' > 'Measurement data ...'.
    conn.execute(
        "insert into smf.ccee_deadline (code, description, base, business_days, valid_during)"
        " values ('a_extra', 'Zz extra', 'MS', 7, '[2000-01-01,)')"
    )
    rows = rules.ccee_deadlines(conn, OCT)
    assert [(r["code"], r["due"]) for r in rows[:3]] == [
        ("contract_registration", date(2026, 10, 14)),
        ("a_extra", date(2026, 11, 11)),
        ("measurement", date(2026, 11, 11)),
    ]


# ---------- 100 a parameter with two validity periods


def test_parameter_value_of_each_period(conn):
    # 100#1 (the `valid_during @> day` of rule_param dropped): musd_factor 1.25 until
    # 2026-12-31, 1.30 from 2027-01-01; each day reads its own period's value, and a day
    # before every period has none.
    conn.execute(
        "update smf.rule_parameter set valid_during = '[2000-01-01,2027-01-01)'"
        " where key = 'musd_factor'"
    )
    conn.execute(
        "insert into smf.rule_parameter values ('musd_factor', '[2027-01-01,)', 1.30, '1', 'U',"
        " 'x')"
    )
    for day, value in (("2026-12-31", D("1.25")), ("2027-01-01", D("1.30"))):
        assert _q(conn, "select smf.rule_param('musd_factor', %s)", day) == value
    with (
        pytest.raises(errors.NotFound, match="no rule parameter musd_factor valid on 1999-12-31"),
        driver.translate_errors(),
    ):
        _q(conn, "select smf.rule_param('musd_factor', '1999-12-31')")


# ---------- 170 lastro totals to 6 decimals


def test_lastro_totals_round_to_six_decimals(conn):
    # 170#75-77 (consumption, contracts, shortfall to 7 decimals). Window Nov 2025 .. Oct 2026.
    # UC 1, no contract, loss 1.234 %: raw 1000.008 kWh -> 1.000008 x 1.01234 = 1.01234809872
    # MWh -> consumption and shortfall 1.012348.
    # UC 2, flat contract of 1000 MWh/year valid in 2026 only: Jan..Oct 2026 hold
    # (31+28+31+30+31+30+31+31+30+31) x 24 = 304 x 24 = 7296 of 8760 h -> 1000 x 7296 / 8760 =
    # 832.876712328767... -> 832.876712; consumption 1 MWh -> shortfall 0.
    uc1 = make_uc(conn, 150, loss="0.01234")
    put_hours(conn, uc1, [("2026-10-06 10:00", "1000.008", 0, 0)])
    lp1 = rules.lastro_penalty(conn, uc1.code, OCT)
    assert (lp1["consumption_mwh"], lp1["contracted_mwh"], lp1["shortfall_mwh"]) == (
        D("1.012348"),
        D(0),
        D("1.012348"),
    )
    uc2 = make_uc(conn, 151)
    put_hours(conn, uc2, [("2026-10-06 10:00", 1000, 0, 0)])
    conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, annual_mwh, modulation) values ('FA2', 'bilateral', 'Seller', %s,"
        " 'SE/CO', '[2026-01-01,2027-01-01)', 1000, 'flat')",
        (uc2.id,),
    )
    lp2 = rules.lastro_penalty(conn, uc2.code, OCT)
    assert (lp2["consumption_mwh"], lp2["contracted_mwh"], lp2["shortfall_mwh"]) == (
        D(1),
        D("832.876712"),
        D(0),
    )


def test_measured_demand_rows_ponta_first(conn):
    # 125#49 (cycle rows ordered by energy instead of posto): measured_demand lists ponta, then
    # fora ponta. Fora ponta 10:00 quarter 100 kWh -> 400 kW; ponta 19:00 quarter 50 kWh -> 200 kW.
    uc = make_uc(conn, 152)
    put_intervals(
        conn,
        uc,
        [(local("2026-10-06 10:00"), 100000, 0, 0), (local("2026-10-06 19:00"), 50000, 0, 0)],
    )
    rows = rules.measured_demand(conn, uc.code, OCT)
    assert [(r["demand_posto"], r["measured_kw"]) for r in rows] == [
        ("ponta", D("200.000")),
        ("fora_ponta", D("400.000")),
    ]


def test_lastro_of_a_uc_without_readings(conn):
    # 170#59 (no daily rollup in the window -> consumption coalesced to 0, not 1 Wh) and 170#64
    # (the window's end day included): a UC whose only reading is on 2026-11-01, the first day
    # after the window, consumed 0 MWh in Nov 2025..Oct 2026; without contracts the shortfall
    # and the penalty are 0.
    # 170#61 (the window's start dropped): another reading on 2025-10-31, the day before.
    uc = make_uc(conn, 153)
    put_hours(conn, uc, [("2026-11-01 10:00", 1000, 0, 0), ("2025-10-31 10:00", 1000, 0, 0)])
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert (lp["consumption_mwh"], lp["shortfall_mwh"], lp["penalty_brl"]) == (
        D(0),
        D(0),
        D(0),
    )


def test_lastro_counts_the_first_day_of_its_window(conn):
    # 170#62 (`d.bucket >= u.w0` -> `>`): the window of October 2026 is Nov 2025..Oct 2026, so
    # w0 = 2025-11-01. One hour of 1000 kWh on that very day (no loss factor, no contract):
    # consumption = 1000 kWh = 1 MWh, and all of it is shortfall.
    uc = make_uc(conn, 159)
    put_hours(conn, uc, [("2025-11-01 10:00", 1000, 0, 0)])
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert lp["window_from"] == date(2025, 11, 1)
    assert (lp["consumption_mwh"], lp["shortfall_mwh"]) == (D(1), D(1))


# ---------- 160 the tariff of each (modality, item, posto, day)


def test_tariff_price_picks_its_own_row(conn):
    # 160#1-4 (one term of tariff_price's where dropped): decoys that differ in one column each
    # are inserted first, so that a lookup missing that column would find them first.
    # The wanted price: azul, energy, fora ponta, valid from 2026-10-01 = 0.25 R$/kWh.
    uc = make_uc(conn, 154, aneel="967")
    for modality, item, posto, valid, price in (
        ("verde", "energy", "fora_ponta", "[2020-01-01,)", 9),  # another modality
        ("azul", "demand", "fora_ponta", "[2020-01-01,)", 8),  # another item
        ("azul", "energy", "ponta", "[2020-01-01,)", 7),  # another posto
        ("azul", "energy", "fora_ponta", "[2020-01-01,2026-10-01)", 5),  # another period
        ("azul", "energy", "fora_ponta", "[2026-10-01,)", "0.25"),
    ):
        conn.execute(
            "insert into smf.tariff (distributor_id, modality, item, posto, valid_during, price)"
            " values (%s, %s, %s, %s, %s, %s)",
            (uc.distributor_id, modality, item, posto, valid, price),
        )
    sql = "select smf.tariff_price(%s, 'azul', 'energy', 'fora_ponta', '2026-10-01')"
    assert _q(conn, sql, uc.distributor_id) == D("0.25")
    # billed: 4 kWh x 0.25 = 1.00 R$
    put_hours(conn, uc, [("2026-10-06 10:00", 4, 0, 0)])
    items = {(r["item"], r["posto"]): r for r in rules.billing_summary(conn, uc.code, OCT)}
    assert (
        items[("energy", "fora_ponta")]["price"],
        items[("energy", "fora_ponta")]["amount"],
    ) == (
        D("0.25"),
        D("1.00"),
    )


# ---------- 110 schedule versions and a distributor without a schedule


def test_schedule_versions_apply_by_day(conn):
    # 110#48 (the schedule's `valid_during @> day` dropped in uc_quarter_labels): ponta 18:00
    # until 2026-10-14, 17:00 from 2026-10-15. 17:30 on Wed 14 is fora ponta, on Thu 15 ponta.
    # One reading of 1 kWh on the 20th is counted once (not once per version).
    uc = make_uc(conn, 155, aneel="968", schedule=False)
    for valid, ponta in (("[2020-01-01,2026-10-15)", "18:00"), ("[2026-10-15,)", "17:00")):
        conn.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start,"
            " capacitive_start) values (%s, %s, %s, '00:00')",
            (uc.distributor_id, valid, ponta),
        )
    assert rules.posto_at(conn, uc.code, local("2026-10-14 17:30"))["posto"] == "fora_ponta"
    assert rules.posto_at(conn, uc.code, local("2026-10-15 17:30"))["posto"] == "ponta"
    put_hours(conn, uc, [("2026-10-20 10:00", 1, 0, 0)])
    items = {
        (r["item"], r["posto"]): r["quantity"] for r in rules.billing_summary(conn, uc.code, OCT)
    }
    assert items[("energy", "fora_ponta")] == D("1.000")


def test_labels_without_a_schedule_are_null(conn):
    # 110#51 / #54 / #63 (the `when d.ps / d.cs is null then null` branches dropped): a slot of
    # a distributor without any posto schedule has no posto, demand posto or reactive window.
    uc = make_uc(conn, 156, aneel="969", schedule=False)
    row = conn.execute(
        "select posto, demand_posto, reactive_window from smf.uc_quarter_labels(%s, %s, %s)",
        (uc.id, local("2026-10-06 10:00"), local("2026-10-06 10:15")),
    ).fetchall()
    assert row == [(None, None, None)]


# ---------- 150 row order of ufer_dmcr


def test_ufer_dmcr_rows_in_posto_order(conn):
    # 150#16 (rows ordered by UFER instead of posto): ponta 19:00 P = 0, Q = 1 -> UFER 0.92;
    # fora ponta 10:00 P = 0, Q = 2 -> UFER 1.84. Rows: ponta first, then fora ponta.
    uc = make_uc(conn, 157)
    put_hours(conn, uc, [("2026-10-06 19:00", 0, 1, 0), ("2026-10-06 10:00", 0, 2, 0)])
    rows = rules.ufer_dmcr(conn, uc.code, OCT)
    assert [(r["posto"], r["ufer_kwh"]) for r in rows] == [
        ("ponta", D("0.92")),
        ("fora_ponta", D("1.84")),
    ]


# ---------- 170 declared hours of another contract, loss periods and PLD window in the lastro


def test_declared_hours_of_another_contract_do_not_count(conn):
    # 170#42 (the `v.contract_id = c.id` of the hour-volume join dropped): contracts DH3 and
    # DH4 both declare 2026-10-06 10:00 (5 and 7 MWh). DH3's October: 5 MWh at that hour, 0 in
    # the other 743.
    uc = make_uc(conn, 158)
    for code, mwh in (("DH3", 5), ("DH4", 7)):
        cid = conn.execute(
            "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
            " valid_during, modulation) values (%s, 'bilateral', 'Seller', %s, 'SE/CO',"
            " '[2026-01-01,2027-01-01)', 'flat') returning id",
            (code, uc.id),
        ).fetchone()[0]
        conn.execute(
            "insert into smf.contract_hour_volume (contract_id, hour, mwh) values (%s, %s, %s)",
            (cid, local("2026-10-06 10:00"), mwh),
        )
    rows = conn.execute("select hour, mwh from smf.contract_modulation('DH3', %s)", (OCT,))
    hours = rows.fetchall()
    assert len(hours) == 744
    assert [(h, v) for h, v in hours if v] == [(local("2026-10-06 10:00"), D(5))]


def test_lastro_loss_periods_and_pld_window_start(conn):
    # 170#66 (the loss period's `valid_during @> day` dropped) and 170#70 (PLD at the window's
    # first hour left out). Loss 2 % until 2026-09-30, 5 % from 2026-10-01; 1000 kWh on
    # 2026-10-06 -> 1000 x 1.05 = 1050 kWh = 1.05 MWh (each day once, at its own factor).
    # PLD 100 at 2025-11-01 00:00 local (the window's first hour, in) and 200 at
    # 2026-10-31 23:00 (its last, in): mean 150.00; price max(VR 0, 150) = 150; no contract:
    # shortfall 1.05 x 150 = 157.50.
    uc = make_uc(conn, 159)
    for valid, factor in (("[2020-01-01,2026-10-01)", "0.02"), ("[2026-10-01,)", "0.05")):
        conn.execute("insert into smf.transformer_loss values (%s, %s, %s)", (uc.id, valid, factor))
    put_hours(conn, uc, [("2026-10-06 10:00", 1000, 0, 0)])
    for when, price in (("2025-11-01 00:00", 100), ("2026-10-31 23:00", 200)):
        conn.execute("insert into smf.pld values ('SE/CO', %s, %s)", (local(when), price))
    lp = rules.lastro_penalty(conn, uc.code, OCT)
    assert (lp["consumption_mwh"], lp["mean_pld"], lp["penalty_brl"]) == (
        D("1.050000"),
        D("150.00"),
        D("157.50"),
    )


def test_interval_energy_takes_the_loss_period_of_its_day(conn):
    # 120#38 (the loss period's `valid_during @> local day` dropped in uc_interval_energy):
    # loss 2 % until 2026-09-30, 5 % from 2026-10-01; one interval at 2026-10-06 10:00 of
    # 1000 Wh -> one row: factor 0.05, 1.000 kWh raw, 1.000 x 1.05 = 1.050 kWh adjusted.
    uc = make_uc(conn, 160)
    for valid, factor in (("[2020-01-01,2026-10-01)", "0.02"), ("[2026-10-01,)", "0.05")):
        conn.execute("insert into smf.transformer_loss values (%s, %s, %s)", (uc.id, valid, factor))
    # 120#34/#36/#37 (the [from, to) bounds): readings at 2026-10-05 23:45 and 2026-10-07
    # 00:00 lie outside [2026-10-06 00:00, 2026-10-07 00:00). 120#22-33: every column, with
    # 2000 varh inductive -> 2.000 and 2.100 kvarh, 3000 varh capacitive -> 3.000 and 3.150.
    # 120#2/#3 (transformer_loss_factor): 0.02 on 2026-09-30, 0.05 on 2026-10-01, and 0 for a UC
    # without losses.
    put_intervals(
        conn,
        uc,
        [
            (local("2026-10-05 23:45"), 7000, 0, 0),
            (local("2026-10-06 10:00"), 1000, 2000, 3000),
            (local("2026-10-07 00:00"), 9000, 0, 0),
        ],
    )
    rows = conn.execute(
        "select loss_factor, p_kwh_raw, q_ind_kvarh_raw, q_cap_kvarh_raw, p_kwh, q_ind_kvarh,"
        " q_cap_kvarh from smf.uc_interval_energy(%s, %s, %s)",
        (uc.code, local("2026-10-06 00:00"), local("2026-10-07 00:00")),
    ).fetchall()
    assert rows == [(D("0.05"), D(1), D(2), D(3), D("1.05"), D("2.1"), D("3.15"))]
    factor = "select smf.transformer_loss_factor(%s, %s)"
    assert _q(conn, factor, uc.code, date(2026, 9, 30)) == D("0.02")
    assert _q(conn, factor, uc.code, date(2026, 10, 1)) == D("0.05")
    assert _q(conn, factor, make_uc(conn, 161).code, date(2026, 10, 1)) == D(0)


# ---------- 105 holiday generation and deadlines from a month ending on a business day


def test_calendar_generate_one_year_and_rule_years(conn):
    # 105#35 (a one-year range refused) and 105#34 (rule years ignored). A tariff calendar
    # version for 2200 only, with Christmas and Black Consciousness (a holiday from 2024 on):
    # generating 2200..2200 adds 2 days; a rule limited to 1900..2023 adds none.
    cal = conn.execute(
        "insert into smf.calendar (purpose, version, valid_during, description)"
        " values ('tariff', 9, '[2200-01-01,2201-01-01)', 'test') returning id"
    ).fetchone()[0]
    conn.execute(
        "insert into smf.holiday_rule (code, name, fixed_month, fixed_day, first_year, last_year)"
        " values ('old_rule', 'Old', 3, 3, 1900, 2023)"
    )
    for code in ("christmas", "black_consciousness", "old_rule"):
        conn.execute("insert into smf.calendar_rule values (%s, %s)", (cal, code))
    assert _q(conn, "select smf.calendar_generate(%s, 2200, 2200)", cal) == 2
    days = conn.execute("select day from smf.holiday where calendar_id = %s order by 1", (cal,))
    assert [d for (d,) in days.fetchall()] == [date(2200, 11, 20), date(2200, 12, 25)]
    with (
        pytest.raises(errors.InvalidParameter, match=r"year range 2201\.\.2200 is empty"),
        driver.translate_errors(),
    ):
        _q(conn, "select smf.calendar_generate(%s, 2201, 2200)", cal)


def test_deadlines_counted_from_a_month_ending_on_a_business_day(conn):
    # 105#54 / #56 (counting from the second-to-last day of the previous month): September
    # 2026 ends on Wed 30, a business day. M+1du of October = Thu 1 Oct; MS+1du of September =
    # Thu 1 Oct (counting from Tue 29 would give Wed 30 Sep).
    assert _q(conn, "select smf.m_du('2026-10-01', 1)") == date(2026, 10, 1)
    assert _q(conn, "select smf.ms_du('2026-09-01', 1)") == date(2026, 10, 1)


def test_seasonalization_without_any_volume(conn):
    # 170#3 / #13 (the `annual_mwh is not null` of the flat branch dropped): a contract valid in
    # 2026 with neither an annual nor a month volume has 0 MWh and method 'none' in every month.
    uc = make_uc(conn, 162)
    conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('NV1', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'flat')",
        (uc.id,),
    )
    rows = conn.execute("select mwh, method from smf.contract_seasonalization('NV1', 2026)")
    assert rows.fetchall() == [(D(0), "none")] * 12


# ---------- 130 / 140 limits and demands shown to 3 decimals


def test_limits_and_demand_shown_to_three_decimals(conn):
    # 130#7 (the limit to 4 decimals): contracted fora ponta 100.001 kW x 1.05 = 105.00105 kW
    # -> 105.001. 140#12 (musd_check's limit to 4 decimals): MUSD 100.001 kW (the column keeps 3
    # decimals) x 1.25 x 1 h = 125.00125 kWh -> 125.001 (4 decimals: 125.0013). 130#5 / #8
    # (measured and overrun to 4 decimals): the quarter of
    # test_billing_items_of_a_loss_adjusted_overrun, 552.75383744 kW -> 552.754 against 520 kW:
    # overrun 32.75383744 -> 32.754.
    uc = make_uc(conn, 163, fora_kw=D("100.001"), musd_kw=D("100.001"))
    put_hours(conn, uc, [("2026-10-06 10:00", 1, 0, 0)])
    fp = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc.code, OCT)}["fora_ponta"]
    assert fp["limit_kw"] == D("105.001")
    assert rules.musd_check(conn, uc.code, OCT)["limit_kwh"] == D("125.001")
    uc2 = make_uc(conn, 164, fora_kw=520, loss="0.01234")
    put_intervals(conn, uc2, [(local("2026-10-06 10:00"), 136504, 0, 0)])
    fp2 = {r["demand_posto"]: r for r in rules.measured_demand(conn, uc2.code, OCT)}["fora_ponta"]
    assert (fp2["measured_kw"], fp2["limit_kw"], fp2["overrun_kw"]) == (
        D("552.754"),
        D("546.000"),
        D("32.754"),
    )


def test_demand_overrun_without_a_contracted_demand_is_unknown(conn):
    # 125#39 (`and p_contracted is not null` dropped): a measured 50 kW against no contracted
    # demand has no overrun to bill, null, not 0; 50 kW against 40 kW with 5 % tolerance
    # (limit 42 kW) overruns by 50 - 40 = 10 kW; 41 kW is within the tolerance: 0.
    sql = "select smf.demand_overrun_kw(%s, %s, 0.05)"
    assert _q(conn, sql, D(50), None) is None
    assert _q(conn, sql, None, D(40)) is None
    assert _q(conn, sql, D(50), D(40)) == D(10)
    assert _q(conn, sql, D(41), D(40)) == D(0)


def test_load_following_follows_loss_adjusted_consumption(conn):
    # 170#27 (the raw series instead of the loss-adjusted one): two loss periods in October
    # 2026, 0 up to the 15th and 0.125 from the 16th. The buyer consumed 1 kWh at 10:00 on the
    # 6th (adjusted 1 x 1.000 = 1) and 1 kWh at 10:00 on the 20th (adjusted 1 x 1.125 = 1.125);
    # total 2.125. A 17 MWh month follows it: 17 x 1 / 2.125 = 8 MWh and 17 x 1.125 / 2.125 =
    # 9 MWh (the raw series would give 8.5 and 8.5).
    uc = make_uc(conn, 160)
    for valid, factor in (("[2020-01-01,2026-10-16)", 0), ("[2026-10-16,)", "0.125")):
        conn.execute("insert into smf.transformer_loss values (%s, %s, %s)", (uc.id, valid, factor))
    put_hours(conn, uc, [("2026-10-06 10:00", 1, 0, 0), ("2026-10-20 10:00", 1, 0, 0)])
    cid = conn.execute(
        "insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket,"
        " valid_during, modulation) values ('LF9', 'bilateral', 'Seller', %s, 'SE/CO',"
        " '[2026-01-01,2027-01-01)', 'load_following') returning id",
        (uc.id,),
    ).fetchone()[0]
    conn.execute("insert into smf.contract_month_volume values (%s, '2026-10-01', 17)", (cid,))
    rows = conn.execute("select hour, mwh from smf.contract_modulation('LF9', %s)", (OCT,))
    got = {h: v for h, v in rows.fetchall() if v != 0}
    assert got == {local("2026-10-06 10:00"): D(8), local("2026-10-20 10:00"): D(9)}
