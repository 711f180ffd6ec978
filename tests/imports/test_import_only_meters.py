"""An import-only meter needs no transport (issues 24 and 18): `smf meter add SERIAL` without
--transport registers it as protocol import_only, never polled; a polled protocol without a
transport is refused naming both ways out; `--channels` sets the channel map. Then the issue's
reproduction runs as an operator would: register, import the two rows with VEE on, see one
voltage_band finding per phase. The CLI runs in this process against a committed database."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from db.settings import Settings
from smf import cli
from tests.db.helpers import fingerprint


@pytest.fixture
def env(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    return db_settings


def smf(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def meter(settings: Settings, serial: str) -> tuple[Any, ...] | None:
    with psycopg.connect(settings.url) as conn:
        return conn.execute(
            "select protocol, transport, poll_schedule, channel_map from smf.meter"
            " where serial = %s",
            (serial,),
        ).fetchone()


def test_a_meter_without_transport_is_import_only_and_never_polled(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = smf(capsys, "meter", "add", "UC-77", "--interval", "15")
    assert rc == 0, err
    assert "meter UC-77 registered: import only (no transport, never polled), 15 min" in out
    assert meter(env, "UC-77") == (
        "import_only", None, "never",
        ["active_fwd_kwh", "reactive_ind_fwd_kvarh", "reactive_cap_fwd_kvarh"],
    )  # fmt: skip


def test_a_polled_protocol_without_transport_is_refused_and_nothing_written(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    before = fingerprint(env.url)
    rc, _, err = smf(capsys, "meter", "add", "12345678", "--protocol", "nbr14522")
    assert rc == 2
    assert "protocol nbr14522 is read by the poller and needs --transport" in err
    assert "leave out --transport (or --protocol import_only)" in err
    assert fingerprint(env.url) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ("active_fwd_kwh,volts_a", "unknown volts_a"),
        ("active_fwd_kwh,active_fwd_kwh", "a channel is named twice"),
        (",", "unknown (empty)"),
    ],
)
def test_a_bad_channel_list_is_refused(
    env: Settings, capsys: pytest.CaptureFixture[str], channels: str, message: str
) -> None:
    rc, _, err = smf(capsys, "meter", "add", "UC-78", "--channels", channels)
    assert rc == 2 and message in err
    assert meter(env, "UC-78") is None


@pytest.mark.slow
def test_the_issue_reproduction_as_an_operator_runs_it(
    env: Settings, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    rc, _, err = smf(
        capsys, "meter", "add", "REPRO-1", "--channels",
        "active_fwd_kwh,voltage_a_v,voltage_b_v,voltage_c_v",
    )  # fmt: skip
    assert rc == 0, err
    assert meter(env, "REPRO-1")[3] == [
        "active_fwd_kwh", "voltage_a_v", "voltage_b_v", "voltage_c_v",
    ]  # fmt: skip
    csv = tmp_path / "repro.csv"
    csv.write_text(
        "meter_serial,ts,active_fwd_kwh,voltage_a_v,voltage_b_v,voltage_c_v\n"
        "REPRO-1,2026-10-05T10:00:00-03:00,1.0,134.0,134.0,127.0\n"
        "REPRO-1,2026-10-05T10:05:00-03:00,1.0,127.0,127.0,127.0\n"
    )
    rc, _, err = smf(capsys, "import", "--quiet", str(csv))
    assert rc == 0, err
    with psycopg.connect(env.url) as conn:
        got = conn.execute(
            "select f.subject, f.ts_from::text from smf.vee_finding f join smf.meter m"
            " on m.id = f.meter_id where m.serial = 'REPRO-1' and f.rule = 'voltage_band'"
            " order by 1"
        ).fetchall()
        n = conn.execute(
            "select count(*) from smf.interval_reading r join smf.meter m on m.id = r.meter_id"
            " where m.serial = 'REPRO-1'"
        ).fetchone()
    # 134.0 V > 1.05 x 127 = 133.35 V on A and B at 10:00 (13:00 UTC); C and 10:05 inside
    assert got == [("A", "2026-10-05 13:00:00+00"), ("B", "2026-10-05 13:00:00+00")]
    assert n == (2,)
