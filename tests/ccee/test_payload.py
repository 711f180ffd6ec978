"""Golden payloads of one UC-day: rows from smf.ccee_build (SQL), bytes from ccee.payload.

Expected documents are written from hand rules in this file (stamps spelt out as text, values
worked out below), never from the code under test. The second half pins ccee.payload alone, byte
for byte, against texts written by hand: the input is integer Wh per 5-minute interval; CCEE
reads kWh with exactly three decimals, stamped with the interval END at -03:00 (slot s of the
day ends 5(s+1) minutes after local midnight; the last one is the next day's 00:00)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ccee import payload
from tests.ccee.helpers import DAY, FAR, Uc, make_uc, put_day

GOLDEN = Path(__file__).parent / "golden"
UC = "001347925802810"  # the published example code (the byte-for-byte texts below)


def _build(conn: psycopg.Connection[Any], uc: Uc, day: date = DAY) -> tuple[payload.Payload, dict]:
    row = conn.execute(
        "select uc_code, agent_code, stamps, wh, tipos, reasons from smf.ccee_build(%s, %s, %s)",
        ([uc.id], day, FAR),
    ).fetchone()
    assert row is not None
    assert row[5] == [], row[5]  # nothing held
    p = payload.build(row[0], row[1], day, row[2], row[3], row[4])
    return p, json.loads(p.body, parse_float=Decimal)


def _stamp(day: str, next_day: str, slot: int) -> str:
    """Hand rule: slot s ends 5(s+1) minutes after local midnight; 24:00 is next day's 00:00."""
    minutes = 5 * (slot + 1)
    if minutes == 1440:
        return f"{next_day}T00:00:00-03:00"
    return f"{day}T{minutes // 60:02d}:{minutes % 60:02d}:00-03:00"


def _expected(uc: Uc, cells: list[tuple[str, str]]) -> dict:
    return {
        "codigoUnidadeConsumidora": uc.code,
        "codigoAgenteConcessionaria": uc.agent,
        "diaReferencia": "2026-10-01",
        "horas": [
            {
                "hora": h + 1,
                "medicoes": [
                    {
                        "dataReferenciaConsumo": _stamp("2026-10-01", "2026-10-02", s),
                        "consumo": Decimal(cells[s][0]),
                        "tipoConsumo": cells[s][1],
                    }
                    for s in range(h * 12, h * 12 + 12)
                ],
            }
            for h in range(24)
        ],
    }


@pytest.mark.slow
def test_end_stamps_and_midnight_value(conn: psycopg.Connection[Any]) -> None:
    uc = make_uc(conn, 1)
    # The interval starting at local 00:00 holds 1 Wh, the next 2 Wh, ..., 23:55 holds 288 Wh.
    put_day(conn, uc, [s + 1 for s in range(288)])
    # Neighbours that must NOT be in the day: 2026-09-30 23:55 and 2026-10-02 00:00 (-03:00).
    put_day(conn, uc, [None] * 287 + [9999], day=date(2026, 9, 30))
    put_day(conn, uc, [8888], day=date(2026, 10, 2))
    p, doc = _build(conn, uc)
    assert doc == _expected(uc, [(f"0.{s + 1:03d}", "MEDIDO") for s in range(288)])
    # The literal golden text of hours 1 and 24, byte for byte inside the body.
    golden = (GOLDEN / "end_stamp_hours_1_and_24.json").read_text().split()
    body = p.body.decode()
    assert golden[0] in body and golden[1] in body
    assert body.endswith(golden[1] + "]}")
    # Sum: 1 + 2 + ... + 288 = 288 * 289 / 2 = 41616 Wh.
    assert p.total_wh == 41616


def test_losses_2_5_percent_keep_the_days_sum(conn: psycopg.Connection[Any]) -> None:
    uc = make_uc(conn, 2, loss="0.025")
    put_day(conn, uc, [100] * 288)
    p, doc = _build(conn, uc)
    # Exact: 100 Wh x 1.025 = 102.5 Wh each. Cumulative rounding (half up): C_i = 102.5 i;
    # round(C_1) = 103, round(C_2) = 205, round(C_3) = 308 (307.5), round(C_4) = 410 ...
    # so the values alternate 103, 102, 103, 102 ... and the day is 288 x 102.5 = 29520 Wh.
    cells = [("0.103" if s % 2 == 0 else "0.102", "MEDIDO") for s in range(288)]
    assert doc == _expected(uc, cells)
    assert p.total_wh == 29520
    # Every consumo is written with exactly three decimals.
    assert len(re.findall(r'"consumo":\d+\.\d{3},', p.body.decode())) == 288


def test_losses_on_uneven_values(conn: psycopg.Connection[Any]) -> None:
    uc = make_uc(conn, 3, loss="0.025")
    # 333 Wh everywhere except 1 Wh in slot 0. Exact: 1.025, then 341.325 each.
    # C_1 = 1.025 -> 1; C_2 = 342.35 -> 342 (a_2 = 341); C_3 = 683.675 -> 684 (a_3 = 342);
    # C_4 = 1025.0 -> 1025 (a_4 = 341). Day: (1 + 287 x 333) x 1.025 = 95572 x 1.025
    # = 97961.3 -> 97961 Wh.
    put_day(conn, uc, [1] + [333] * 287)
    p, doc = _build(conn, uc)
    values = [m["consumo"] for h in doc["horas"] for m in h["medicoes"]]
    assert values[:4] == [Decimal("0.001"), Decimal("0.341"), Decimal("0.342"), Decimal("0.341")]
    assert p.total_wh == 97961
    assert all(abs(v * 1000 - Decimal("341.325")) < 1 for v in values[1:])


def test_mixed_medido_ajustado_and_estimated_setting(conn: psycopg.Connection[Any]) -> None:
    uc = make_uc(conn, 4)
    # Hour 14 (intervals starting 13:00..13:55, slots 156..167) adjusted; slot 200 estimated.
    quality = {s: "adjusted" for s in range(156, 168)} | {200: "estimated"}
    put_day(conn, uc, [250] * 288, quality=quality)
    _, doc = _build(conn, uc)
    cells = [("0.250", "AJUSTADO" if 156 <= s < 168 or s == 200 else "MEDIDO") for s in range(288)]
    assert doc == _expected(uc, cells)
    assert doc["horas"][13]["medicoes"][0]["dataReferenciaConsumo"] == "2026-10-01T13:05:00-03:00"
    conn.execute("update smf.setting set value = 'ESTIMADO' where key = 'ccee_estimated_as'")
    _, doc = _build(conn, uc)
    cells[200] = ("0.250", "ESTIMADO")
    assert doc == _expected(uc, cells)


def test_15_minute_meter_split_exact_in_wh(conn: psycopg.Connection[Any]) -> None:
    uc = make_uc(conn, 5, interval=15)
    # 96 quarter-hours: 1000 Wh -> 333 + 333 + 334; the 2nd is 1001 -> 333 + 333 + 335;
    # the last is 2 -> 0 + 0 + 2. All AJUSTADO (a split value is not what the meter measured).
    quarters = [1000] * 96
    quarters[1] = 1001
    quarters[95] = 2
    put_day(conn, uc, quarters, interval=15)
    p, doc = _build(conn, uc)
    cells = []
    for q in quarters:
        third, rest = divmod(q, 3)
        cells += [(f"0.{third:03d}", "AJUSTADO")] * 2 + [(f"0.{third + rest:03d}", "AJUSTADO")]
    assert cells[3:6] == [("0.333", "AJUSTADO")] * 2 + [("0.335", "AJUSTADO")]
    assert doc == _expected(uc, cells)
    assert p.total_wh == 94 * 1000 + 1001 + 2


def test_ccee_day_function_for_analysts(conn: psycopg.Connection[Any]) -> None:
    uc = make_uc(conn, 6, loss="0.025")
    put_day(conn, uc, [100] * 288)
    rows = conn.execute(
        "select hora, medicao, data_referencia_consumo, consumo, tipo_consumo, raw_wh"
        " from smf.ccee_day(%s, %s)",
        (uc.code, DAY),
    ).fetchall()
    assert len(rows) == 288
    assert rows[0] == (1, 1, "2026-10-01T00:05:00-03:00", Decimal("0.103"), "MEDIDO", 100)
    assert rows[-1] == (24, 12, "2026-10-02T00:00:00-03:00", Decimal("0.102"), "MEDIDO", 100)


def test_day_arrays_list_the_present_slots_with_losses_tipos_and_the_first_gap(
    conn: psycopg.Connection[Any],
) -> None:
    # A 5-minute meter, loss 2.5 % (k = 1.025 x 100000 = 102500): slot 0 100 Wh measured, slot 1
    # 100 Wh estimated, slot 2 none, slot 3 100 Wh measured. Cumulative rounding half up:
    # C_1 = 100 -> (100 x 102500 + 50000) div 100000 = 103 (102.5 up); C_2 = 200 -> 205 (exact),
    # a_2 = 205 - 103 = 102; C_3 = 300 -> 308 (307.5 up), a_3 = 308 - 205 = 103.
    # tipos: measured 5-minute MEDIDO, estimated -> setting ccee_estimated_as (AJUSTADO).
    # 3 present; the first missing slot 2. A 15-minute meter without data and without losses:
    # no arrays, 0 present, first missing slot 0, loss factor 0.
    uc = make_uc(conn, 7, loss="0.025")
    empty = make_uc(conn, 8, interval=15)
    put_day(conn, uc, [100, 100, None, 100], quality={1: "estimated"})
    rows = conn.execute(
        "select consumer_unit_id, slots, wh, raw_wh, tipos, qualities::text[], n_present,"
        " first_missing, interval_minutes, loss_factor from smf.ccee_day_arrays(%s, %s)"
        " order by consumer_unit_id",
        ([uc.id, empty.id], DAY),
    ).fetchall()
    assert rows == [
        (
            uc.id,
            [0, 1, 3],
            [103, 102, 103],
            [100, 100, 100],
            ["MEDIDO", "AJUSTADO", "MEDIDO"],
            ["measured", "estimated", "measured"],
            3,
            2,
            5,
            Decimal("0.025"),
        ),
        (empty.id, None, None, None, None, None, 0, 0, 15, Decimal(0)),
    ]
    # The analyst's view of the same day: Wh sent and its quality per slot; the gap is null.
    day = conn.execute(
        "select wh, raw_wh, quality::text from smf.ccee_day(%s, %s)", (uc.code, DAY)
    ).fetchall()
    assert day[:5] == [
        (103, 100, "measured"),
        (102, 100, "estimated"),
        (None, None, None),
        (103, 100, "measured"),
        (None, None, None),
    ]


def test_day_start_stamps_and_settings_text(conn: psycopg.Connection[Any]) -> None:
    # CCEE day 2026-10-01 begins at 00:00 -03:00 = 03:00 UTC; its 288 end stamps run from
    # 00:05 to the next day's 00:00. setting_text: a stored key's value, else the default.
    start = conn.execute("select smf.ccee_day_start(%s)", (DAY,)).fetchone()[0]
    assert start == datetime(2026, 10, 1, 3, tzinfo=UTC)
    stamps = conn.execute("select smf.ccee_stamps(%s)", (DAY,)).fetchone()[0]
    assert (len(stamps), stamps[0], stamps[12], stamps[-1]) == (
        288,
        "2026-10-01T00:05:00-03:00",
        "2026-10-01T01:05:00-03:00",
        "2026-10-02T00:00:00-03:00",
    )
    sql = "select smf.setting_text(%s, 'dflt')"
    assert conn.execute(sql, ("ccee_estimated_as",)).fetchone()[0] == "AJUSTADO"
    assert conn.execute(sql, ("no_such_key",)).fetchone()[0] == "dflt"


def test_build_names_each_uc_and_fingerprints_what_is_stored(conn: psycopg.Connection[Any]) -> None:
    # The fingerprint: day Wh : measured : adjusted : estimated : missing intervals [: loss factor]
    # : superseded versions [: last superseding batch] : UC code : agent [: tipo of estimates],
    # bracketed parts only when present. 288 x 100 Wh = 28800 Wh, agent 7000 + 391 = 7391.
    # a: all measured, loss 2.5 % (numeric(6,5): 0.02500), no history -> 0 versions.
    # b: slot 5 estimated, no loss -> 287 measured, 1 estimated, then the tipo AJUSTADO.
    # c: nothing stored for the day -> 'none'.
    a = make_uc(conn, 10, loss="0.025")
    b = make_uc(conn, 11)
    c = make_uc(conn, 12)
    put_day(conn, a, [100] * 288)
    put_day(conn, b, [100] * 288, quality={5: "estimated"})
    rows = conn.execute(
        "select consumer_unit_id, fingerprint from smf.ccee_build(%s, %s, %s)"
        " order by consumer_unit_id",
        ([a.id, b.id, c.id], DAY, FAR),
    ).fetchall()
    assert rows == [
        (a.id, f"28800:288:0:0:0:0.02500:0:{a.code}:7391"),
        (b.id, f"28800:287:0:1:0:0:{b.code}:7391:AJUSTADO"),
        (c.id, "none"),
    ]


def test_payload_refuses_incomplete_rows() -> None:
    with pytest.raises(payload.PayloadError, match="slot 3 has no value"):
        payload.build("x", 1, DAY, ["s"] * 288, [1, 1, None] + [1] * 285, ["MEDIDO"] * 288)
    with pytest.raises(payload.PayloadError, match="expected 288"):
        payload.build("x", 1, DAY, ["s"], [1], ["MEDIDO"])
    assert payload.kwh_text(1250) == "1.250" and payload.kwh_text(7) == "0.007"


# --- ccee.payload byte for byte, no database ---------------------------------------------------


def _stamps() -> list[str]:
    """The 288 end stamps spelt out by the hand rule above."""
    out = []
    for s in range(288):
        minutes = 5 * (s + 1)
        if minutes == 1440:
            out.append("2026-10-02T00:00:00-03:00")
        else:
            out.append(f"2026-10-01T{minutes // 60:02d}:{minutes % 60:02d}:00-03:00")
    return out


@pytest.mark.parametrize(
    ("wh", "text"),
    [
        (0, "0.000"),  # zero is a valid value, not an error
        (7, "0.007"),
        (999, "0.999"),
        (1000, "1.000"),
        (1001, "1.001"),
        (12345, "12.345"),
        (123456789, "123456.789"),
    ],
)
def test_kwh_text_by_hand(wh: int, text: str) -> None:
    assert payload.kwh_text(wh) == text


def test_negative_energy_named() -> None:
    with pytest.raises(payload.PayloadError, match=r"^negative energy -1 Wh$"):
        payload.kwh_text(-1)


def test_body_literal_prefix_suffix_and_totals() -> None:
    # Slot s holds s Wh (0, 1, ..., 287); slot 0 is 0 Wh = "0.000", slot 287 is 287 Wh.
    # Day total: 0 + 1 + ... + 287 = 287 x 288 / 2 = 41328 Wh.
    wh = list(range(288))
    tipos = ["MEDIDO"] * 288
    tipos[1] = "AJUSTADO"
    tipos[287] = "ESTIMADO"
    p = payload.build(UC, "7028", DAY, _stamps(), wh, tipos)  # type: ignore[arg-type]
    body = p.body.decode()
    head = (
        '{"codigoUnidadeConsumidora":"001347925802810","codigoAgenteConcessionaria":7028,'
        '"diaReferencia":"2026-10-01","horas":[{"hora":1,"medicoes":['
        '{"dataReferenciaConsumo":"2026-10-01T00:05:00-03:00","consumo":0.000,'
        '"tipoConsumo":"MEDIDO"},'
        '{"dataReferenciaConsumo":"2026-10-01T00:10:00-03:00","consumo":0.001,'
        '"tipoConsumo":"AJUSTADO"},'
    )
    tail = (
        '{"dataReferenciaConsumo":"2026-10-01T23:55:00-03:00","consumo":0.286,'
        '"tipoConsumo":"MEDIDO"},'
        '{"dataReferenciaConsumo":"2026-10-02T00:00:00-03:00","consumo":0.287,'
        '"tipoConsumo":"ESTIMADO"}]}]}'
    )
    assert body.startswith(head)
    assert body.endswith(tail)
    # Hour 2 starts at slot 12 (12 Wh, ends 01:05) right after hour 1's last item (11 Wh, 01:00).
    assert (
        '"consumo":0.011,"tipoConsumo":"MEDIDO"}]},{"hora":2,"medicoes":['
        '{"dataReferenciaConsumo":"2026-10-01T01:05:00-03:00","consumo":0.012,' in body
    )
    assert body.count('"hora":') == 24 and body.count('"dataReferenciaConsumo"') == 288
    assert '"hora":24,' in body and '"hora":25' not in body and '"hora":0' not in body
    assert p.total_wh == 41328
    assert p.uc_code == UC and p.day == DAY
    assert p.sha256 == hashlib.sha256(p.body).hexdigest() and len(p.sha256) == 64


def test_uc_code_is_a_json_string_escaped() -> None:
    p = payload.build('12"3', 5, DAY, _stamps(), [1] * 288, ["MEDIDO"] * 288)
    assert p.body.startswith(
        b'{"codigoUnidadeConsumidora":"12\\"3","codigoAgenteConcessionaria":5,'
    )


@pytest.mark.parametrize(
    ("wh", "tipos", "message"),
    [
        # A value but an unknown tipoConsumo (slot index 4 is slot 5 for people).
        (
            [10] * 288,
            ["MEDIDO"] * 4 + ["MEDIDA"] + ["MEDIDO"] * 283,
            "slot 5 has no value (MEDIDA)",
        ),
        ([10] * 288, ["MEDIDO"] * 287 + [None], "slot 288 has no value (None)"),
        ([None] + [10] * 287, ["MEDIDO"] * 288, "slot 1 has no value (MEDIDO)"),
    ],
)
def test_missing_value_or_tipo_refused(wh: list, tipos: list, message: str) -> None:
    with pytest.raises(payload.PayloadError) as err:
        payload.build(UC, 1, DAY, _stamps(), wh, tipos)
    assert str(err.value) == f"UC {UC} 2026-10-01: {message}"


@pytest.mark.parametrize(
    ("n_stamps", "n_wh", "n_tipos"), [(287, 288, 288), (288, 287, 288), (288, 288, 289)]
)
def test_slot_count_named(n_stamps: int, n_wh: int, n_tipos: int) -> None:
    with pytest.raises(payload.PayloadError) as err:
        payload.build(UC, 1, DAY, ["s"] * n_stamps, [1] * n_wh, ["MEDIDO"] * n_tipos)
    assert str(err.value) == (
        f"UC {UC} 2026-10-01: {n_stamps}/{n_wh}/{n_tipos} slots, expected 288"
    )


def test_pretty_one_line_per_hour() -> None:
    p = payload.build(UC, 7028, DAY, _stamps(), [1000] * 288, ["MEDIDO"] * 288)
    lines = payload.pretty(p).split("\n")
    assert len(lines) == 26  # header, 24 hours, closing
    assert lines[0] == (
        '{"codigoUnidadeConsumidora":"001347925802810","codigoAgenteConcessionaria":7028,'
        '"diaReferencia":"2026-10-01","horas":['
    )
    assert lines[1].startswith(
        '  {"hora":1,"medicoes":[{"dataReferenciaConsumo":"2026-10-01T00:05:00-03:00",'
        '"consumo":1.000,"tipoConsumo":"MEDIDO"},'
    )
    assert lines[1].endswith(
        '"2026-10-01T01:00:00-03:00","consumo":1.000,"tipoConsumo":"MEDIDO"}]},'
    )
    assert lines[24].startswith('  {"hora":24,')
    assert lines[24].endswith(
        '"2026-10-02T00:00:00-03:00","consumo":1.000,"tipoConsumo":"MEDIDO"}]}'
    )
    assert lines[25] == "]}"
    assert "".join(line.strip() for line in lines) == p.body.decode()
