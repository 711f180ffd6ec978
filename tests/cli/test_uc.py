"""`smf uc add | list | show | set | retire` against a committed test database.

Check digits worked by hand (REN 1.095/2024 Annex II, weights read from the right 8, 9, 10, then
1, 2, 3, ...): the published example 0.013.479.258.028-10.
  base 0013479258028, from the right: 8*8 + 2*9 + 0*10 + 8*1 + 5*2 + 2*3 + 9*4 + 7*5 + 4*6
  + 3*7 + 1*8 + 0*9 + 0*10 = 64+18+0+8+10+6+36+35+24+21+8 = 230; 230 mod 11 = 10 -> 11-10 = 1
  second over 00134792580281: 1*8 + 8*9 + 2*10 + 0*1 + 8*2 + 5*3 + 2*4 + 9*5 + 7*6 + 4*7 + 3*8
  + 1*9 + 0 + 0 = 8+72+20+0+16+15+8+45+42+28+24+9 = 287; 287 mod 11 = 1 -> r < 2 -> 0
  so the code is 001347925802810.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from db.settings import Settings
from smf import cli

CODE13 = "0013479258028"
CODE15 = "001347925802810"  # worked out above


@pytest.fixture
def registry(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A distributor 028 and three import-only meters; smf pointed at this database."""
    with psycopg.connect(db_settings.url) as conn:
        conn.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
            " values (4028, '028', 'Dist 028'), (4059, '059', 'Dist 059')"
        )
        conn.execute(
            "insert into smf.meter (serial, protocol, interval_minutes) values"
            " ('IMP-1', 'import_only', 5), ('IMP-2', 'import_only', 5),"
            " ('IMP-3', 'import_only', 15)"
        )
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    yield db_settings.url


def smf(*argv: str) -> int:
    return cli.main(list(argv))


def rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


ADD = [
    "uc", "add", CODE13, "--distributor", "028", "--customer", "Padaria Zeta",
    "--submarket", "SE/CO", "--tariff-group", "A4", "--modality", "azul",
    "--ponta-kw", "300", "--fora-ponta-kw", "520", "--musd-kw", "500,5",
    "--voltage-kv", "13.8", "--main-meter", "IMP-1", "--backup-meter", "IMP-2",
    "--loss-factor", "0.025", "--loss-from", "2026-01-01", "--ccee-from", "2026-11-01",
]  # fmt: skip


def test_add_with_13_digits_computes_the_check_digits_and_stores_every_field(
    registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert smf(*ADD) == 0
    out = capsys.readouterr().out
    assert f"registered UC {CODE15}" in out and "check digits computed: 10" in out
    [row] = rows(
        registry,
        "select cu.uc_code, d.aneel_code, cu.customer_name, cu.submarket::text, cu.tariff_group,"
        " cu.modality, cu.contracted_demand_ponta_kw::text,"
        " cu.contracted_demand_fora_ponta_kw::text,"
        " cu.musd_kw::text, cu.supply_voltage_kv::text, mm.serial, bm.serial"
        " from smf.consumer_unit cu join smf.distributor d on d.id = cu.distributor_id"
        " join smf.meter mm on mm.id = cu.main_meter_id"
        " join smf.meter bm on bm.id = cu.backup_meter_id",
    )
    assert row == (
        CODE15, "028", "Padaria Zeta", "SE/CO", "A4", "azul", "300.000", "520.000", "500.500",
        "13.800", "IMP-1", "IMP-2",
    )  # fmt: skip
    assert rows(registry, "select valid_during::text, factor::text from smf.transformer_loss") == [
        ("[2026-01-01,)", "0.02500")
    ]
    assert rows(registry, "select valid_during::text from smf.ccee_retail_uc") == [
        ("[2026-11-01,)",)
    ]


def test_add_with_15_digits_verifies_them(registry: str) -> None:
    args = list(ADD)
    args[2] = "0.013.479.258.028-10"  # as printed on a bill
    assert smf(*args) == 0
    assert rows(registry, "select uc_code from smf.consumer_unit") == [(CODE15,)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({2: "001347925802801"}, "check digits 01 do not match; for 0013479258028 they are 10"),
        ({2: "00134792580"}, "expected 13 digits"),
        ({4: "059"}, "digits 11-13 (028) must be the distributor's ANEEL code 059"),
        ({4: "999"}, "distributor '999': no distributor with that ANEEL code"),
        ({12: "roxa"}, "modality 'roxa': one of azul, verde, convencional, branca"),
        ({10: "A9"}, "tariff group 'A9': one of A1"),
        ({24: "NOPE"}, "backup meter: no meter 'NOPE' (register it first: smf meter add)"),
        ({22: "NOPE"}, "main meter: no meter 'NOPE'"),
        ({24: "IMP-1"}, "the backup meter must differ from the main meter"),
        ({26: "0.2"}, "loss factor 0.2: a fraction in [0, 0.2)"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    registry: str, capsys: pytest.CaptureFixture[str], change: dict[int, str], message: str
) -> None:
    args = list(ADD)
    for i, v in change.items():
        args[i] = v
    assert smf(*args) == 1
    err = capsys.readouterr().err
    assert message in err, err
    for table in ("consumer_unit", "transformer_loss", "ccee_retail_uc"):
        assert rows(registry, f"select count(*) from smf.{table}") == [(0,)], table


def test_azul_without_a_ponta_demand_is_refused(
    registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a for i, a in enumerate(ADD) if i not in (13, 14)]  # no --ponta-kw 300
    assert smf(*args) == 1
    assert "modality azul: give the contracted ponta demand" in capsys.readouterr().err


def test_a_negative_demand_is_refused_before_the_database(
    registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = list(ADD)
    args[16] = "-5"
    with pytest.raises(SystemExit) as stop:
        smf(*args)
    assert stop.value.code == 2
    assert "'-5' must be a number >= 0" in capsys.readouterr().err


@pytest.mark.slow
def test_a_meter_measures_one_uc_only(registry: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert smf(*ADD) == 0
    second = list(ADD)
    second[2] = "0013479259028"
    assert smf(*second) == 1
    assert f"main meter IMP-1 already measures UC {CODE15}" in capsys.readouterr().err
    assert smf(*ADD) == 1
    assert f"UC {CODE15} is already registered" in capsys.readouterr().err


@pytest.mark.slow
def test_set_changes_only_the_named_fields_and_splits_the_loss_period(
    registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert smf(*ADD) == 0
    assert (
        smf(
            "uc",
            "set",
            CODE15,
            "--musd-kw",
            "600",
            "--modality",
            "verde",
            "--no-backup-meter",
            "--main-meter",
            "IMP-3",
            "--loss-factor",
            "0.01",
            "--loss-from",
            "2026-11-01",
        )
        == 0
    )
    [row] = rows(
        registry,
        "select musd_kw::text, modality, contracted_demand_fora_ponta_kw::text,"
        " backup_meter_id, (select serial from smf.meter where id = main_meter_id)"
        " from smf.consumer_unit",
    )
    assert row == ("600.000", "verde", "520.000", None, "IMP-3")
    # the 2.5 % period that was open ends the day before the new one (local days, [from, to))
    assert rows(
        registry,
        "select valid_during::text, factor::text from smf.transformer_loss order by valid_during",
    ) == [("[2026-01-01,2026-11-01)", "0.02500"), ("[2026-11-01,)", "0.01000")]


@pytest.mark.slow
def test_set_a_bounded_loss_period_keeps_the_tail_of_the_open_one(registry: str) -> None:
    assert smf(*ADD) == 0
    assert (
        smf(
            "uc",
            "set",
            CODE15,
            "--loss-factor",
            "0",
            "--loss-from",
            "2026-03-01",
            "--loss-to",
            "2026-04-01",
        )
        == 0
    )
    assert rows(
        registry,
        "select valid_during::text, factor::text from smf.transformer_loss order by valid_during",
    ) == [
        ("[2026-01-01,2026-03-01)", "0.02500"),
        ("[2026-03-01,2026-04-01)", "0.00000"),
        ("[2026-04-01,)", "0.02500"),
    ]


@pytest.mark.slow
def test_set_with_bad_input_writes_nothing(
    registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert smf(*ADD) == 0
    # the loss factor would be valid, the meter is unknown: neither is written
    assert (
        smf(
            "uc",
            "set",
            CODE15,
            "--musd-kw",
            "1",
            "--main-meter",
            "NOPE",
            "--loss-factor",
            "0.01",
            "--loss-from",
            "2026-11-01",
        )
        == 1
    )
    assert "main meter: no meter 'NOPE'" in capsys.readouterr().err
    assert rows(registry, "select musd_kw::text from smf.consumer_unit") == [("500.500",)]
    assert rows(registry, "select count(*) from smf.transformer_loss") == [(1,)]
    assert smf("uc", "set", CODE15) == 1
    assert "nothing to change" in capsys.readouterr().err


@pytest.mark.slow
def test_list_show_and_retire(registry: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert smf("uc", "list") == 0
    assert "no consumer units" in capsys.readouterr().out
    assert smf(*ADD) == 0
    capsys.readouterr()
    assert smf("uc", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["uc_code", "distributor_aneel_code", "customer_name"]
    assert lines[2].split()[:2] == [CODE15, "028"]
    assert smf("uc", "show", CODE15) == 0
    out = capsys.readouterr().out
    assert "main_meter_serial" in out and "IMP-1" in out
    assert "2026-01-01" in out and "0.02500" in out
    assert smf("uc", "retire", CODE15) == 0
    assert f"UC {CODE15} retired at " in capsys.readouterr().out
    assert smf("uc", "list") == 0
    assert "no consumer units" in capsys.readouterr().out
    assert smf("uc", "list", "--all", "--csv") == 0
    assert CODE15 in capsys.readouterr().out
    assert smf("uc", "set", CODE15, "--musd-kw", "1") == 1
    assert f"UC {CODE15} is retired" in capsys.readouterr().err
    assert smf("uc", "show", "000000000000000") == 1
    assert "unknown consumer unit" in capsys.readouterr().err
