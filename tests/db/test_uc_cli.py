"""`smf uc add | list | show | set | retire` (issue 18, item 2): a consumer unit registered and
changed without SQL; check digits computed when omitted and verified when given; bad input
refused naming the field, nothing written. The CLI runs in this process against a committed
database."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from db.settings import Settings
from smf import cli
from tests.db.helpers import fingerprint

# The published example code 0.013.479.258.028-10: its first 13 digits 0013479258028 give,
# weights 8 9 10 then 1 2 3 ... from the right,
#   first check: 8x8 + 2x9 + 0x10 + 8x1 + 5x2 + 2x3 + 9x4 + 7x5 + 4x6 + 3x7 + 1x8 + 0x9 + 0x10
#              = 230; 230 mod 11 = 10; 11 - 10 = 1
#   second check (over the 14 digits ...0281): 1x8 + 8x9 + 2x10 + 0x1 + 8x2 + 5x3 + 2x4 + 9x5
#              + 7x6 + 4x7 + 3x8 + 1x9 + 0x10 + 0x11 = 287; 287 mod 11 = 1 < 2, so 0
CODE13 = "0013479258028"
CODE = "001347925802810"


@pytest.fixture
def env(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    with psycopg.connect(db_settings.url) as conn:
        conn.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
            " values (4028, '028', 'Dist 028')"
        )
    return db_settings


def smf(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def uc(settings: Settings) -> dict[str, Any] | None:
    with psycopg.connect(settings.url) as conn:
        cur = conn.execute(
            "select u.customer_name, u.tariff_group, u.modality, u.contracted_demand_ponta_kw,"
            " u.contracted_demand_fora_ponta_kw, u.musd_kw, u.supply_voltage_kv,"
            " mm.serial as main, bm.serial as backup, u.retired_at is not null as retired"
            " from smf.consumer_unit u left join smf.meter mm on mm.id = u.main_meter_id"
            " left join smf.meter bm on bm.id = u.backup_meter_id where u.uc_code = %s",
            (CODE,),
        )
        row = cur.fetchone()
        names = [d.name for d in cur.description]
        return None if row is None else dict(zip(names, row, strict=True))


def losses(settings: Settings) -> list[tuple[str, float]]:
    with psycopg.connect(settings.url) as conn:
        return [
            (r[0], float(r[1]))
            for r in conn.execute(
                "select valid_during::text, factor from smf.transformer_loss order by 1"
            )
        ]


ADD = (
    "uc", "add", CODE13, "--distributor", "028", "--customer", "Fábrica Sul",
    "--group", "A4", "--modality", "azul", "--demand-ponta", "400", "--demand-fora-ponta", "450,5",
    "--musd", "500", "--tension", "13,8", "--main", "UC-M1", "--loss-factor", "0.025",
)  # fmt: skip


def test_a_uc_with_import_only_meters_is_registered_and_changed(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    for serial in ("UC-M1", "UC-B1"):  # import-only meters: no transport
        assert smf(capsys, "meter", "add", serial)[0] == 0
    rc, out, err = smf(capsys, *ADD)
    assert rc == 0, err
    assert f"UC {CODE} (check digits computed) registered for Fábrica Sul" in out
    got = uc(env)
    assert got is not None
    assert (got["tariff_group"], got["modality"], got["main"], got["backup"]) == (
        "A4", "azul", "UC-M1", None,
    )  # fmt: skip
    assert [float(got[k]) for k in ("contracted_demand_ponta_kw",
            "contracted_demand_fora_ponta_kw", "musd_kw", "supply_voltage_kv")] == [
        400, 450.5, 500, 13.8,
    ]  # fmt: skip
    assert losses(env) == [("[2000-01-01,)", 0.025)]
    # the 15 digits with punctuation name the same UC
    rc, out, err = smf(
        capsys, "uc", "set", "0.013.479.258.028-10", "--backup", "UC-B1", "--musd", "520",
        "--loss-factor", "0.01", "--loss-from", "2026-11-01",
    )  # fmt: skip
    assert rc == 0, err
    got = uc(env)
    assert got["backup"] == "UC-B1" and float(got["musd_kw"]) == 520
    assert losses(env) == [("[2000-01-01,2026-11-01)", 0.025), ("[2026-11-01,)", 0.01)]
    rc, out, _ = smf(capsys, "uc", "show", CODE)
    assert rc == 0
    assert "backup_meter                     UC-B1" in out and "distributor_name" in out
    assert smf(capsys, "uc", "set", CODE, "--backup", "none")[0] == 0
    assert uc(env)["backup"] is None
    rc, out, _ = smf(capsys, "uc", "list", "--distributor", "028")
    assert rc == 0 and CODE in out and "main UC-M1" in out and "1 UC(s)" in out
    rc, out, _ = smf(capsys, "uc", "retire", CODE)
    assert rc == 0 and uc(env)["retired"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({2: "001347925802811"},
         "check digits 11 are wrong; 0013479258028 gives 10 (code 001347925802810)"),
        ({2: "00134792580"}, "bad UC code '00134792580': 15 digits (or 13"),
        ({8: "B9"}, "bad tariff group 'B9': one of A1, A2"),
        ({10: "cheap"}, "bad modality 'cheap': one of azul, verde"),
        ({12: "-1"}, "--demand-ponta (kW): '-1' must be a number >= 0"),
        ({18: "0"}, "--tension (kV): '0' must be above 0"),
        ({20: "NOPE"}, "--main: no meter 'NOPE'; register it first with `smf meter add NOPE`"),
        ({22: "0.3"}, "--loss-factor '0.3': a share below 0.2"),
        ({4: "999"}, "--distributor 999: no distributor with that ANEEL code"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    env: Settings, capsys: pytest.CaptureFixture[str], change: dict[int, str], message: str
) -> None:
    assert smf(capsys, "meter", "add", "UC-M1")[0] == 0
    argv = list(ADD)
    for i, v in change.items():
        argv[i] = v
    before = fingerprint(env.url)
    rc, _, err = smf(capsys, *argv)
    assert rc == 2 and message in err, err
    assert uc(env) is None and fingerprint(env.url) == before


def test_azul_without_a_ponta_demand_and_a_second_add_are_refused(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert smf(capsys, "meter", "add", "UC-M1")[0] == 0
    argv = [a for i, a in enumerate(ADD) if i not in (11, 12)]  # no --demand-ponta
    rc, _, err = smf(capsys, *argv)
    assert rc == 2 and "modality azul needs --demand-ponta (kW)" in err
    assert smf(capsys, *ADD)[0] == 0
    rc, _, err = smf(capsys, *ADD)
    assert rc == 2 and f"UC {CODE} is already registered" in err
