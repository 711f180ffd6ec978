"""ccee.payload byte for byte, from texts written by hand here (issue 13, mutation survivors).

Conventions: the input is integer Wh per 5-minute interval; CCEE reads kWh with exactly three
decimals, stamped with the interval END at -03:00 (slot s of the day ends 5(s+1) minutes after
local midnight; the last one is the next day's 00:00)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from ccee import payload

UC = "001347925802810"
DAY = date(2026, 10, 1)


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


def _item(stamp: str, consumo: str, tipo: str = "MEDIDO") -> str:
    return f'{{"dataReferenciaConsumo":"{stamp}","consumo":{consumo},"tipoConsumo":"{tipo}"}}'


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
