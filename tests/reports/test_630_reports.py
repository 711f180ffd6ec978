"""Operator reports (630_reports.sql, smf reports): outages, alterations, phasors, display.
Expected values worked out by hand."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from db import driver, errors
from db.ingest import IntervalRow, ingest_rows
from formats.phasors import phasor_svg
from smf.cli import main
from tests.alarms.helpers import execute, insert_instant

T0 = datetime(2026, 10, 5, 3, tzinfo=UTC)


def run(reg: dict[str, Any], name: str, **params: Any) -> list[dict[str, Any]]:
    with driver.connect(reg["settings"]) as c:
        return driver.run(c, name, **params)


@pytest.mark.slow
def test_last_20_outages_from_the_meter_log(reg: dict[str, Any]) -> None:
    for k in range(22):  # outage k starts k days after T0 and lasts k + 1 minutes
        execute(
            reg["url"],
            "insert into smf.meter_outage (meter_id, start_at, end_at) values (%s, %s, %s)",
            reg["a12"],
            T0 + timedelta(days=k),
            T0 + timedelta(days=k, minutes=k + 1),
        )
    got = run(reg, "report_outages", uc_code=reg["code1"], n=20)
    assert len(got) == 20 and {r["source"] for r in got} == {"meter"}
    assert got[0]["start_at"] == T0 + timedelta(days=21)  # newest first
    assert got[0]["duration_s"] == 22 * 60  # outage 21 lasted 22 minutes
    assert got[-1]["start_at"] == T0 + timedelta(days=2)  # the two oldest are left out


@pytest.mark.slow
def test_outages_from_gaps_when_the_meter_keeps_no_log(reg: dict[str, Any]) -> None:
    # 15-minute intervals at 0, 15, 60, 90 min: holes [30, 60) and [75, 90) minutes after T0
    with driver.connect(reg["settings"]) as c:
        ingest_rows(
            c,
            [
                IntervalRow(
                    ts=T0 + timedelta(minutes=m), meter_serial="L3", values={"active_fwd_kwh": 1.0}
                )
                for m in (0, 15, 60, 90)
            ],
        )
    got = run(reg, "report_outages", uc_code=reg["code2"], n=20)
    assert [(r["start_at"], r["end_at"], r["duration_s"], r["source"]) for r in got] == [
        (T0 + timedelta(minutes=75), T0 + timedelta(minutes=90), 900, "gaps"),
        (T0 + timedelta(minutes=30), T0 + timedelta(minutes=60), 1800, "gaps"),
    ]
    with pytest.raises(errors.InvalidParameter, match="not positive"):
        run(reg, "report_outages", uc_code=reg["code2"], n=0)


@pytest.mark.slow
def test_last_16_alterations_with_command_names(reg: dict[str, Any]) -> None:
    for k in range(18):
        code = 0x29 if k % 2 else 0x30  # set date / set time
        execute(
            reg["url"],
            "insert into smf.meter_alteration (meter_id, at, command_code, "
            "reader_serial) values (%s, %s, %s, '000123')",
            reg["a12"],
            T0 + timedelta(hours=k),
            code,
        )
    got = run(reg, "report_alterations", uc_code=reg["code1"], n=16)
    assert len(got) == 16 and got[0]["at"] == T0 + timedelta(hours=17)
    assert (got[0]["command_hex"], got[0]["command"]) == ("0x29", "date changed")  # k = 17 odd
    assert (got[1]["command_hex"], got[1]["command"]) == ("0x30", "time changed")
    assert got[-1]["at"] == T0 + timedelta(hours=2)


@pytest.mark.slow
def test_phasors_wye_3_element_by_hand(reg: dict[str, Any]) -> None:
    # Phase A: 127 V, 10 A, lagging 30 deg: P = 1270 cos 30 = 1099.85 W, Q = 1270 sin 30 = 635 var
    # (0x14 powers in W). Phase C capacitive: Q = -300 var, P = 400 W, no shift reported:
    # |phi| = atan(300 / 400) = 36.87 deg, current leads: angle 120 + 36.9 = 156.9 deg.
    insert_instant(
        reg["url"],
        reg["a12"],
        T0,
        VA=127,
        VB=127,
        VC=127,
        IA=10,
        IB=10,
        IC=5,
        PA=1099.85,
        QA=635,
        PB=1000,
        QB=0,
        PC=400,
        QC=-300,
        phase_shift_A=30,
        phase_shift_B=0,
    )
    got = run(reg, "report_phasors", uc_code=reg["code1"], at=None)
    assert [r["element"] for r in got] == ["A", "B", "C"]
    a, b, c = got
    assert a["connection"] == "wye_3_element"
    assert (a["voltage_angle_deg"], a["current_angle_deg"], a["shift_deg"]) == (0, -30, 30)
    assert (a["p_kw"], a["q_kvar"], a["s_kva"]) == (
        Decimal("1.100"),
        Decimal("0.635"),
        Decimal("1.270"),
    )
    assert a["power_factor"] == Decimal("0.8661")  # 1.100 / 1.270
    assert (b["voltage_angle_deg"], b["current_angle_deg"]) == (-120, -120)
    assert (c["shift_deg"], c["current_angle_deg"]) == (Decimal("-36.9"), Decimal("156.9"))
    assert (c["s_kva"], c["power_factor"]) == (Decimal("0.500"), Decimal("0.8000"))
    assert "ABC sequence" in a["angle_source"] and "from P, Q" in c["angle_source"]


def test_phasors_delta_2_element_by_hand(reg: dict[str, Any]) -> None:
    # Aron metering: line voltages, currents A and C only. Unity-power-factor balanced load:
    # I_A lags V_AB by 30 deg, I_C leads V_CB by 30 deg.
    insert_instant(
        reg["url"],
        reg["a12"],
        T0,
        VAB=220,
        VBC=220,
        VCA=220,
        IA=10,
        IC=10,
        PA=1905.3,
        QA=1100,
        PC=1905.3,
        QC=-1100,
    )
    e1, e2 = run(reg, "report_phasors", uc_code=reg["code1"], at=None)
    assert e1["connection"] == "delta_2_element"
    assert (e1["element"], e1["voltage_v"], e1["voltage_angle_deg"]) == ("1 (V_AB, I_A)", 220, 30)
    assert (e2["element"], e2["voltage_angle_deg"]) == ("2 (V_CB, I_C)", 90)
    # |phi| = atan(1100 / 1905.3) = 30.0 deg: I_A at 30 - 30 = 0, I_C at 90 + 30 = 120
    assert (e1["current_angle_deg"], e2["current_angle_deg"]) == (0, 120)
    # P1 + P2 = 3.811 kW = sqrt(3) x 220 x 10 (3.811 kW): the two-wattmeter sum
    assert e1["p_kw"] + e2["p_kw"] == Decimal("3.810") or e1["p_kw"] + e2["p_kw"] == Decimal(
        "3.811"
    )


def test_phasors_need_a_0x14_reading(reg: dict[str, Any]) -> None:
    with pytest.raises(errors.NotFound, match="no 0x14"):
        run(reg, "report_phasors", uc_code=reg["code2"], at=None)


@pytest.mark.slow
def test_svg_one_diagram_per_uc_with_angles_drawn(reg: dict[str, Any]) -> None:
    insert_instant(
        reg["url"],
        reg["a12"],
        T0,
        VA=127,
        VB=127,
        VC=127,
        IA=10,
        IB=10,
        IC=10,
        PA=1099.85,
        QA=635,
        PB=1000,
        QB=0,
        PC=1000,
        QC=0,
        phase_shift_A=30,
    )
    svg = phasor_svg({reg["code1"]: run(reg, "report_phasors", uc_code=reg["code1"], at=None)})
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    [g] = root.findall("s:g", ns)
    assert g.get("data-uc") == reg["code1"]
    lines = {
        ln.find("s:title", ns).text.split(" ")[0]: ln  # type: ignore[union-attr]
        for ln in g.findall("s:line", ns)
        if ln.find("s:title", ns) is not None
    }
    va, ia = lines["VA"], lines["IA"]
    assert float(va.get("y2")) == pytest.approx(float(va.get("y1")))  # type: ignore[arg-type]
    assert float(va.get("x2")) > float(va.get("x1"))  # type: ignore[arg-type]  # 0 deg: right
    dx = float(ia.get("x2")) - float(ia.get("x1"))  # type: ignore[arg-type]
    dy = float(ia.get("y2")) - float(ia.get("y1"))  # type: ignore[arg-type]
    assert math.degrees(math.atan2(-dy, dx)) == pytest.approx(-30, abs=0.2)  # lagging 30 deg


@pytest.mark.slow
def test_display_simulation_registers_and_instantaneous(reg: dict[str, Any]) -> None:
    execute(
        reg["url"],
        "insert into smf.register_reading (meter_id, at, period, channel, "
        "registers, demands) values (%s, %s, 'current', 1, %s, %s)",
        reg["a12"],
        T0,
        [123456, 2000, 0, 121456, 0, 0, 0],
        [350, 400, 0, 512, 0, 0, 0],
    )
    insert_instant(reg["url"], reg["a12"], T0, VA=127.1, P3=5517, frequency=60.0)
    got = {r["code"]: r for r in run(reg, "report_display", uc_code=reg["code1"])}
    assert got["c1.total"]["value"] == 123456 and got["c1.fora_ponta"]["value"] == 121456
    assert got["c1.d.max_fora_ponta"]["value"] == 512
    assert (got["P3"]["value"], got["P3"]["unit"]) == (Decimal("5.517"), "kW")  # 5517 W
    assert got["VA"]["value"] == Decimal("127.100") and got["frequency"]["value"] == 60


@pytest.mark.slow
def test_cli_reports_on_screen_and_csv(
    reg: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    execute(
        reg["url"],
        "insert into smf.meter_outage (meter_id, start_at, end_at) values (%s, %s, %s)",
        reg["a12"],
        T0,
        T0 + timedelta(minutes=5),
    )
    assert main(["reports", "outages", "--uc", reg["code1"], "--csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "start_at,end_at,duration_s,source"
    # the same instants (03:00 UTC), in local time with the offset (the time policy)
    assert out[1].startswith("2026-10-05T00:00:00-03:00,2026-10-05T00:05:00-03:00,300")
    insert_instant(
        reg["url"],
        reg["a12"],
        T0,
        VA=127,
        VB=127,
        VC=127,
        IA=1,
        IB=1,
        IC=1,
        PA=127,
        PB=127,
        PC=127,
        QA=0,
        QB=0,
        QC=0,
    )
    svg = tmp_path / "all.svg"
    assert main(["reports", "phasors", "--all", "--svg", str(svg)]) == 0
    assert "Phasor analysis" in capsys.readouterr().out and svg.read_text().count('class="uc"') == 1
    assert main(["reports", "display"]) == 2


@pytest.mark.slow
def test_phasor_current_angle_unknown_without_shift_p_or_q(reg: dict[str, Any]) -> None:
    insert_instant(reg["url"], reg["a12"], T0, VA=127, VB=127, VC=127, IA=10, IB=10, IC=10)
    a = run(reg, "report_phasors", uc_code=reg["code1"], at=None)[0]
    assert a["current_a"] == 10 and a["current_angle_deg"] is None
    assert "shift: unknown" in a["angle_source"]
