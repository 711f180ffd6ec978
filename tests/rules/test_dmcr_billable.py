"""The reactive demand excess is billed over the billable demand PAF(p) of each demand posto.

FDRE(p) = [max_T(PAM_T x fR / fT) - PAF(p)] x VR_DRE (REN 1000/2021; REN 414 art. 96), where PAF(p)
is the billable demand: the larger of the contracted and the measured demand. It is NOT the
contracted demand: a UC whose measured demand is above its contract already pays that demand, and
only the DMCR above it is an excess (contracted 400, measured 450, DMCR 480: excess 30, not 80).

Every expected value is worked out by hand below: put_hours spreads an hour's P and Q evenly over
its four quarter-hours, so the hour's measured 15-minute demand is P kW; DMCR_T = 0.92 x
sqrt(P^2 + Q^2) where that exceeds P. Tariffs: demand 20 R$/kW (50 on ponta), overrun = 2 x
demand (the default multiplier), no 'dmcr' tariff (the excess is priced at the demand tariff).
Tolerance 5 %.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from db import rules
from tests.rules.conftest import make_uc, put_hours

OCT = date(2026, 10, 1)  # 2026-10-06 is a Tuesday; ponta 18:00-21:00


def _tariffs(conn, dist: int, modality: str, demand_postos: dict[str, str]) -> None:
    for posto, price in demand_postos.items():
        conn.execute(
            "insert into smf.tariff (distributor_id, modality, item, posto, valid_during, price)"
            " values (%s, %s, 'demand', %s, '[2026-01-01,2027-01-01)', %s)",
            (dist, modality, posto, price),
        )


def _items(conn, uc) -> dict:
    return {
        (r["item"], r["posto"]): (r["quantity"], r["amount"])
        for r in rules.billing_summary(conn, uc.code, OCT)
    }


def _reactive(conn, uc) -> dict:
    return {r["posto"]: r for r in rules.ufer_dmcr(conn, uc.code, OCT)}


def test_contracted_above_measured_the_excess_is_over_the_contract(conn):
    # Fora ponta contracted 500. 10:00: P 400, Q 400 -> S = 400 x sqrt(2) = 565.685425,
    # DMCR = 0.92 S = 520.430591. Measured demand 400 < 500 -> PAF = 500 -> excess 20.430591.
    uc = make_uc(conn, 401, ponta_kw=300, fora_kw=500)
    put_hours(conn, uc, [("2026-10-06 10:00", 400, 400, 0)])
    _tariffs(conn, uc.distributor_id, "azul", {"fora_ponta": "20", "ponta": "50"})
    fp = _reactive(conn, uc)["fora_ponta"]
    assert (fp["dmcr_kw"], fp["dmcr_excess_kw"]) == (D("520.43"), D("20.43"))
    got = _items(conn, uc)
    assert got[("demand_billed", "fora_ponta")] == (D("500.000"), D("10000.00"))  # 500 x 20
    assert got[("dmcr_excess", "fora_ponta")] == (D("20.43"), D("408.60"))  # 20.43 x 20


def test_measured_above_contracted_within_tolerance(conn):
    # Contracted 500, limit 525. 10:00: P 520, Q 0 -> measured 520 (no overrun, billed 520).
    # 11:00: P 450, Q 450 -> S = 636.396103, DMCR = 585.484414. PAF = 520 ->
    # excess 65.484414 -> 65.48 (the contract-based rule would bill 85.48).
    uc = make_uc(conn, 402, ponta_kw=300, fora_kw=500)
    put_hours(conn, uc, [("2026-10-06 10:00", 520, 0, 0), ("2026-10-06 11:00", 450, 450, 0)])
    _tariffs(conn, uc.distributor_id, "azul", {"fora_ponta": "20", "ponta": "50"})
    fp = _reactive(conn, uc)["fora_ponta"]
    assert (fp["dmcr_kw"], fp["contracted_kw"], fp["dmcr_excess_kw"]) == (
        D("585.48"),
        D("500"),
        D("65.48"),
    )
    got = _items(conn, uc)
    assert got[("demand_billed", "fora_ponta")] == (D("520.000"), D("10400.00"))  # 520 x 20
    assert got[("overrun", "fora_ponta")] == (D("0.000"), D("0.00"))
    assert got[("dmcr_excess", "fora_ponta")] == (D("65.48"), D("1309.60"))  # 65.48 x 20


def test_measured_beyond_tolerance_bills_overrun_and_the_excess_over_the_measured(conn):
    # Contracted 500, limit 525. 10:00: P 560 -> measured 560 > 525: overrun 560 - 500 = 60 kW at
    # 2 x 20 = 40 R$/kW = 2400.00, billed demand 560 x 20 = 11200.00. 11:00: P 450, Q 450 ->
    # DMCR 585.484414; PAF = 560 -> excess 25.484414 -> 25.48 x 20 = 509.60.
    uc = make_uc(conn, 403, ponta_kw=300, fora_kw=500)
    put_hours(conn, uc, [("2026-10-06 10:00", 560, 0, 0), ("2026-10-06 11:00", 450, 450, 0)])
    _tariffs(conn, uc.distributor_id, "azul", {"fora_ponta": "20", "ponta": "50"})
    got = _items(conn, uc)
    assert got[("demand_billed", "fora_ponta")] == (D("560.000"), D("11200.00"))
    assert got[("overrun", "fora_ponta")] == (D("60.000"), D("2400.00"))
    assert got[("dmcr_excess", "fora_ponta")] == (D("25.48"), D("509.60"))


def test_azul_each_demand_posto_against_its_own_billable_demand(conn):
    # Ponta contracted 300 (limit 315): 19:00 P 310, Q 310 -> measured 310 (PAF 310, no overrun),
    # S = 438.406204, DMCR = 403.333708, UFER = 93.333708 -> excess 403.333708 - 310 = 93.33.
    # Fora ponta contracted 500: 10:00 P 400, Q 100 -> S = 412.310563, 0.92 S = 379.325718 < 400:
    # DMCR = P = 400; 11:00 P 300, Q 300 -> DMCR = 390.322943. DMCR fora = 400 < PAF 500 -> 0.
    uc = make_uc(conn, 404, ponta_kw=300, fora_kw=500)
    put_hours(
        conn,
        uc,
        [
            ("2026-10-06 19:00", 310, 310, 0),
            ("2026-10-06 10:00", 400, 100, 0),
            ("2026-10-06 11:00", 300, 300, 0),
        ],
    )
    _tariffs(conn, uc.distributor_id, "azul", {"fora_ponta": "20", "ponta": "50"})
    rows = _reactive(conn, uc)
    assert (rows["ponta"]["ufer_kwh"], rows["ponta"]["dmcr_kw"]) == (D("93.33"), D("403.33"))
    assert rows["ponta"]["dmcr_excess_kw"] == D("93.33")
    assert (rows["fora_ponta"]["dmcr_kw"], rows["fora_ponta"]["dmcr_excess_kw"]) == (
        D("400.00"),
        D("0.00"),
    )
    got = _items(conn, uc)
    assert got[("dmcr_excess", "ponta")] == (D("93.33"), D("4666.50"))  # 93.33 x 50
    assert got[("dmcr_excess", "fora_ponta")] == (D("0.00"), D("0.00"))


def test_verde_single_demand_against_its_billable_demand(conn):
    # Verde, single demand contracted 350 (limit 367.5). 19:00 P 300, Q 300 -> DMCR 390.322943;
    # 10:00 P 360, Q 0 -> measured 360 (within tolerance: billed 360, no overrun).
    # PAF = 360 -> excess 390.322943 - 360 = 30.322943 -> 30.32 (not 40.32 over the contract).
    uc = make_uc(conn, 405, modality="verde", ponta_kw=None, fora_kw=350)
    put_hours(conn, uc, [("2026-10-06 19:00", 300, 300, 0), ("2026-10-06 10:00", 360, 0, 0)])
    _tariffs(conn, uc.distributor_id, "verde", {"unica": "20"})
    unica = _reactive(conn, uc)["unica"]
    assert (unica["dmcr_kw"], unica["contracted_kw"], unica["dmcr_excess_kw"]) == (
        D("390.32"),
        D("350"),
        D("30.32"),
    )
    got = _items(conn, uc)
    assert got[("demand_billed", "unica")] == (D("360.000"), D("7200.00"))  # 360 x 20
    assert got[("dmcr_excess", "unica")] == (D("30.32"), D("606.40"))  # 30.32 x 20


def test_a_measured_demand_above_the_contract_is_the_reference(conn):
    # The shape of the notes' case (contracted 400, measured 450, DMCR 480 -> 30, not 80), with
    # whole numbers: contracted 400 (limit 420); 10:00 P 450, Q 0 -> measured 450 (overrun 50);
    # 11:00 P 400, Q 300 -> S = 500 (3-4-5), DMCR = 0.92 x 500 = 460 > 400. PAF = 450 ->
    # excess 460 - 450 = 10 (the contract-based rule would bill 60).
    uc = make_uc(conn, 406, ponta_kw=300, fora_kw=400)
    put_hours(conn, uc, [("2026-10-06 10:00", 450, 0, 0), ("2026-10-06 11:00", 400, 300, 0)])
    fp = _reactive(conn, uc)["fora_ponta"]
    assert (fp["dmcr_kw"], fp["dmcr_excess_kw"]) == (D("460.00"), D("10.00"))
