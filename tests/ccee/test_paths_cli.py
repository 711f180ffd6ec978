"""`smf ccee submit|release|emulate` as an operator runs them (in this process, against a fresh
database and our CCEE emulator on loopback): the dry run prints the payload and sends nothing,
a held day says why, usage mistakes are refused with the rule, a missing setting is one line."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ccee import emulator
from db.settings import CceeSettings, Settings
from smf import cli
from tests.ccee.helpers import DAY, Uc, make_uc, put_day


@pytest.fixture
def env(
    db_settings: Settings,
    ccee_settings: CceeSettings,
    emu: emulator.Running,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, Uc, Uc]]:
    """Two registered UCs: `full` has all 288 intervals of DAY (100 Wh each), `gap` misses one."""
    for k, v in {
        "SMF_DATABASE_URL": db_settings.url,
        "SMF_CCEE_BASE_URL": ccee_settings.base_url,
        "SMF_CCEE_CLIENT_ID": ccee_settings.client_id,
        "SMF_CCEE_CLIENT_SECRET": str(ccee_settings.client_secret),
        "SMF_CCEE_AGENT_CODE": ccee_settings.agent_code,
        "SMF_CCEE_PROFILE_CODE": ccee_settings.profile_code,
        "SMF_CCEE_BACKOFF_S": "0.01",
    }.items():
        monkeypatch.setenv(k, v)
    with psycopg.connect(db_settings.url, autocommit=True) as conn:
        full, gap = make_uc(conn, 1), make_uc(conn, 2)
        put_day(conn, full, [100] * 288)
        put_day(conn, gap, [100] * 100 + [None] + [100] * 187)
    for uc in (full, gap):
        emu.state.ucs[uc.code] = emulator.Uc(uc.agent, None)
    yield db_settings, full, gap


def smf(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _attempts(settings: Settings) -> int:
    with psycopg.connect(settings.url) as conn:
        return int(conn.execute("select count(*) from smf.ccee_attempt").fetchone()[0])


@pytest.mark.slow
def test_dry_run_prints_the_payload_and_sends_nothing(
    env: tuple[Settings, Uc, Uc], emu: emulator.Running, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, full, _ = env
    rc, out, err = smf(capsys, "ccee", "submit", "--uc", full.code, "--day", str(DAY), "--dry-run")
    assert rc == 0, err
    doc = json.loads(out)  # the pretty form is the same JSON
    assert doc["codigoUnidadeConsumidora"] == full.code and doc["diaReferencia"] == "2026-10-01"
    assert len(doc["horas"]) == 24 and all(len(h["medicoes"]) == 12 for h in doc["horas"])
    assert doc["horas"][0]["medicoes"][0]["consumo"] == 0.1  # 100 Wh = 0.100 kWh
    # the bytes sent are the printed ones without the line breaks added for reading
    body = out.rstrip("\n").replace('\n  {"hora"', '{"hora"').replace("]}\n]}", "]}]}").encode()
    assert b"\n" not in body and body.count(b'"consumo":0.100,') == 288
    # 288 intervals x 100 Wh = 28 800 Wh; the digest is of the compact bytes that would be sent
    assert err == f"sha256 {hashlib.sha256(body).hexdigest()}, {len(body)} bytes, 28800 Wh\n"
    assert emu.state.posts == {} and _attempts(settings) == 0


@pytest.mark.slow
def test_dry_run_of_a_held_day_says_why(
    env: tuple[Settings, Uc, Uc], capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, gap = env
    rc, out, err = smf(capsys, "ccee", "submit", "--uc", gap.code, "--day", str(DAY), "--dry-run")
    assert (rc, out) == (1, "")
    assert err.startswith("held: incomplete: ") and "287" in err, err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--day", "2026-10-01"), "error: --day needs --uc\n"),
        (("--uc", "x", "--dry-run"), "error: --dry-run needs --uc and --day\n"),
        (("--month", "2026-10", "--dry-run"), "error: --dry-run needs --uc and --day\n"),
    ],
)
def test_usage_mistakes_are_refused(
    env: tuple[Settings, Uc, Uc],
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    message: str,
) -> None:
    assert smf(capsys, "ccee", "submit", *argv) == (2, "", message)
    assert _attempts(env[0]) == 0


def test_a_day_that_is_not_a_date(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["ccee", "submit", "--uc", "1", "--day", "2026-10-32"])
    assert exc.value.code == 2
    assert "day '2026-10-32' is not YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.slow
def test_submit_one_day_then_the_month(
    env: tuple[Settings, Uc, Uc], emu: emulator.Running, capsys: pytest.CaptureFixture[str]
) -> None:
    _, full, gap = env
    rc, out, err = smf(capsys, "ccee", "submit", "--uc", full.code, "--day", str(DAY))
    assert rc == 0, err
    assert out == "claimed 1: accepted 1, rejected 0, failed 0, held 0, unchanged 0\n"
    assert emu.state.posts == {f"{full.code}|2026-10-01": 1}
    # The month of the UC with a gap: DAY is incomplete and the 30 other days have no data.
    rc, out, err = smf(capsys, "ccee", "submit", "--month", "2026-10", "--uc", gap.code)
    assert rc == 0, err
    assert out.startswith("claimed 31: accepted 0, rejected 0, failed 0, held 31 ("), out
    assert "incomplete 31" in out
    assert f"  held     UC {gap.code} 2026-10-01: incomplete: 287 of 288" in out
    assert err.startswith("queued: ") and "{" not in err, err  # words, not a Python dict
    assert emu.state.posts == {f"{full.code}|2026-10-01": 1}  # nothing more was posted


@pytest.mark.slow
def test_hold_release_and_send_through_the_cli(
    env: tuple[Settings, Uc, Uc], emu: emulator.Running, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _, gap = env
    with psycopg.connect(settings.url, autocommit=True) as conn:
        # MUSD 10 kW: at most 1.25 x 10 kW x 1 h = 12.5 kWh an hour; 12 x 1100 Wh = 13.2 kWh.
        musd = make_uc(conn, 3, musd_kw=10)
        put_day(conn, musd, [1100] * 288)
    emu.state.ucs[musd.code] = emulator.Uc(musd.agent, 10)
    rc, out, _ = smf(capsys, "ccee", "submit", "--uc", musd.code, "--day", str(DAY))
    assert rc == 0
    first, held, step = out.splitlines()
    assert first == (
        "claimed 1: accepted 0, rejected 0, failed 0, held 1 (musd_exceeded 1), unchanged 0"
    )
    # the day, its reason inline and the command that moves it on
    assert held.startswith(
        f"  held     UC {musd.code} 2026-10-01: musd_exceeded: hourly consumption over the MUSD"
    ), held
    assert step == (
        f'           next: smf ccee release --uc {musd.code} --day 2026-10-01 --reason "..."'
    )
    # A release needs a reason; only an MUSD hold may be released (the state is named).
    rc, out, err = smf(
        capsys, "ccee", "release", "--uc", musd.code, "--day", str(DAY), "--reason", "x",
    )  # fmt: skip
    assert (rc, out, err) == (1, "", "error: a release needs a reason (at least 3 characters)\n")
    rc, out, err = smf(
        capsys, "ccee", "release", "--uc", gap.code, "--day", str(DAY), "--reason", "checked",
    )  # fmt: skip
    assert (rc, out) == (1, "")
    assert err == (
        f"error: UC {gap.code} day 2026-10-01 is not held by the MUSD rule (state never queued);"
        " only MUSD holds are released\n"
    )
    rc, out, err = smf(
        capsys, "ccee", "release", "--uc", musd.code, "--day", str(DAY),
        "--reason", "CT ratio confirmed on site", "--by", "ana",
    )  # fmt: skip
    assert rc == 0, err
    with psycopg.connect(settings.url) as conn:
        rid, by, reason = conn.execute(
            "select id, released_by, reason from smf.ccee_release"
        ).fetchone()
    assert (by, reason) == ("ana", "CT ratio confirmed on site")
    assert out == (
        f"released UC {musd.code} day 2026-10-01 (release {rid}, by ana): sent on the next run\n"
    )
    rc, out, _ = smf(capsys, "ccee", "submit", "--uc", musd.code, "--day", str(DAY))
    assert out.startswith("claimed 1: ") and "held 0" in out, out  # released: it was sent
    assert emu.state.stats()["requests"] >= 1


@pytest.mark.slow
def test_missing_ccee_settings_are_one_line(
    env: tuple[Settings, Uc, Uc],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, full, _ = env
    monkeypatch.delenv("SMF_CCEE_PROFILE_CODE")
    rc, out, err = smf(capsys, "ccee", "submit", "--uc", full.code, "--day", str(DAY))
    assert (rc, out, err) == (
        1,
        "",
        "error: CCEE settings: not set: SMF_CCEE_PROFILE_CODE (README: CCEE, settings)\n",
    )
    assert _attempts(settings) == 0
    # Every missing setting at once, in one line (the agent code is not one of them: each
    # request carries its payload's distributor)
    for name in ("SMF_CCEE_CLIENT_ID", "SMF_CCEE_AGENT_CODE"):
        monkeypatch.delenv(name)
    rc, out, err = smf(capsys, "ccee", "submit", "--uc", full.code, "--day", str(DAY))
    assert (rc, out, err) == (
        1,
        "",
        "error: CCEE settings: not set: SMF_CCEE_CLIENT_ID, SMF_CCEE_PROFILE_CODE "
        "(README: CCEE, settings)\n",
    )
    monkeypatch.delenv("SMF_CCEE_CLIENT_SECRET")
    rc, _, err = smf(capsys, "ccee", "emulate", "--port", "0", "--accept-any-uc")
    assert rc == 2
    assert err.startswith("error: set SMF_CCEE_CLIENT_ID and SMF_CCEE_CLIENT_SECRET")


@pytest.mark.slow
def test_a_secret_file_that_is_not_there(
    env: tuple[Settings, Uc, Uc],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """SMF_CCEE_CLIENT_SECRET_FILE naming a missing file: the path and the reason, one line."""
    settings, full, _ = env
    missing = tmp_path / "ccee-secret"
    monkeypatch.delenv("SMF_CCEE_CLIENT_SECRET")
    monkeypatch.setenv("SMF_CCEE_CLIENT_SECRET_FILE", str(missing))
    rc, out, err = smf(capsys, "ccee", "submit", "--uc", full.code, "--day", str(DAY))
    assert (rc, out, err) == (1, "", f"error: {missing}: No such file or directory\n")
    assert _attempts(settings) == 0
