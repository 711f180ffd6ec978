"""Nominal voltage per meter (issue 24): detection knows the secondaries of voltage transformers,
calls a mean between two close candidates ambiguous, `smf meter set --nominal-voltage` overrides
it (and `auto` gives it back to detection), and every voltage finding states the nominal it used.

Committed database, the CLI in this process. Day 2026-10-05 (local -03:00)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from db import driver
from db.settings import Settings
from smf import cli
from tests.vee.conftest import day_rows, put, unit

DAY = "2026-10-05"


@pytest.fixture
def env(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    yield db_settings


def smf(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def band(settings: Settings, serial: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(settings.url) as conn:
        return conn.execute(
            "select f.subject, f.status, f.detail from smf.vee_finding f join smf.meter m"
            " on m.id = f.meter_id where m.serial = %s and f.rule = 'voltage_band'"
            " order by f.status, f.subject",
            (serial,),
        ).fetchall()


def validate(settings: Settings, serial: str) -> None:
    rc = cli.main(["vee", "validate", "--meter", serial, "--from", DAY, "--to", DAY])
    assert rc == 0


@pytest.mark.slow
def test_a_vt_secondary_is_detected_and_stated(env: Settings) -> None:
    with driver.connect(env) as conn:
        unit(conn, 2431)
        rows = day_rows(DAY, 1.0, volts=66.0)
        rows[100][1]["voltage_a_v"] = 75.0
        put(conn, "V2431", rows)
    # mean of A: (287 x 66 + 75) / 288 = 66.031 V; nearest candidate 66.4 V (115 V / sqrt 3);
    # band 0.92 x 66.4 = 61.088 to 1.05 x 66.4 = 69.72 V: 75 V is above it
    [(subject, status, detail)] = band(env, "V2431")
    assert (subject, status) == ("A", "open")
    assert "outside 61.1-69.7 V" in detail
    assert "nominal 66.4 V (detected from mean 66.0 V)" in detail


@pytest.mark.slow
def test_setting_the_nominal_overrides_detection_and_auto_returns_to_it(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with driver.connect(env) as conn:
        unit(conn, 2432)
        # a VT-metered UC whose feeder runs high: 70.4 V on every phase all day. Detection takes
        # the nearest candidate, 69.3 V (120 V / sqrt 3): |70.4 - 69.3| = 1.1 < |70.4 - 66.4| = 4.0,
        # and 70.4 is inside 0.92 x 69.3 = 63.8 to 1.05 x 69.3 = 72.8 V: nothing is found.
        put(conn, "V2432", day_rows(DAY, 1.0, volts=70.4))
    assert band(env, "V2432") == []
    rc, out, err = smf(capsys, "meter", "set", "V2432", "--nominal-voltage", "66,4")
    assert rc == 0, err
    assert "nominal voltage of V2432 from 2000-01-01 on: 66.4 V" in out
    validate(env, "V2432")
    # with 66.4 V: 70.4 > 1.05 x 66.4 = 69.72 V on all three phases, one finding each
    got = band(env, "V2432")
    assert [(s, st) for s, st, _ in got] == [("A", "open"), ("B", "open"), ("C", "open")]
    assert all("nominal 66.4 V (configured)" in d and "61.1-69.7 V" in d for *_, d in got)
    rc, out, err = smf(capsys, "meter", "show", "V2432")
    assert rc == 0 and "nominal_voltage     66.4 V (configured)" in out
    rc, out, err = smf(capsys, "meter", "set", "V2432", "--nominal-voltage", "auto")
    assert rc == 0 and "detected from its data" in out
    validate(env, "V2432")
    assert [st for _, st, _ in band(env, "V2432")] == ["resolved", "resolved", "resolved"]


@pytest.mark.slow
def test_a_mean_between_two_close_candidates_is_called_ambiguous(env: Settings) -> None:
    with driver.connect(env) as conn:
        unit(conn, 2433)
        rows = day_rows(DAY, 1.0, volts=67.9)
        rows[10][1]["voltage_b_v"] = 80.0
        put(conn, "V2433", rows)
    # mean of B: (287 x 67.9 + 80) / 288 = 67.942 V: 1.358 V from 69.3 and 1.542 V from 66.4;
    # the two distances differ by 0.18 V, less than 1.5 % of the mean (1.02 V): ambiguous.
    # 80 V > 1.05 x 69.3 = 72.765 V: a finding, which says so.
    [(subject, _, detail)] = band(env, "V2433")
    assert subject == "B"
    assert (
        "nominal 69.3 V (detected from mean 67.9 V, ambiguous with 66.4 V: "
        "smf meter set V2433 --nominal-voltage V)" in detail
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5", "nominal voltage 5 V out of range: 20-1000 V phase to neutral, or 'auto'"),
        ("high", "bad nominal voltage 'high': volts phase to neutral (66.4, 127, 220) or 'auto'"),
    ],
)
def test_a_bad_nominal_voltage_is_refused_and_nothing_changes(
    env: Settings, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    with driver.connect(env) as conn:
        unit(conn, 2434)
    rc, _, err = smf(capsys, "meter", "set", "V2434", "--nominal-voltage", value)
    assert rc == 2 and message in err
    with psycopg.connect(env.url) as conn:
        assert conn.execute(
            "select count(*) from smf.vee_parameter where meter_id is not null"
        ).fetchone() == (0,)


@pytest.mark.slow
def test_nominal_from_a_day_keeps_the_earlier_value(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with driver.connect(env) as conn:
        unit(conn, 2435)
    assert smf(capsys, "meter", "set", "V2435", "--nominal-voltage", "127")[0] == 0
    rc, out, _ = smf(
        capsys, "meter", "set", "V2435", "--nominal-voltage", "66.4", "--nominal-from", "2026-11-01"
    )
    assert rc == 0 and "from 2026-11-01 on: 66.4 V" in out
    with psycopg.connect(env.url) as conn:
        rows = conn.execute(
            "select valid_during::text, value from smf.vee_parameter p join smf.meter m"
            " on m.id = p.meter_id where m.serial = 'V2435' order by lower(valid_during)"
        ).fetchall()
    assert [(r[0], float(r[1])) for r in rows] == [
        ("[2000-01-01,2026-11-01)", 127.0),
        ("[2026-11-01,)", 66.4),
    ]
