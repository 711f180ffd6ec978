"""`smf vee` paths test_cli.py does not run (in this process, against a committed database):
argument mistakes refused with the rule, a virtual meter defined and its series printed with
sums worked by hand, an interval that is not stored, a finding accepted, the daily verb."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from db import driver
from db.settings import Settings
from smf import cli
from tests.vee.conftest import day_rows, put, unit


@pytest.fixture
def env(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """UC 71 (meters V71 main, B71 backup) with 2026-10-05: V71 1.0 kWh per interval except
    intervals 40-49 (missing); B71 0.5 kWh per interval."""
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    with driver.connect(db_settings) as conn:
        unit(conn, 71, backup=True)
        put(conn, "V71", day_rows("2026-10-05", 1.0, skip=range(40, 50)))
        put(conn, "B71", day_rows("2026-10-05", 0.5))
    yield db_settings


def smf(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli.main(["vee", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("explain", "--meter", "V71", "--at", "soon"),
         "'soon' is not a date (YYYY-MM-DD) or ISO time"),
        (("edit", "--meter", "V71", "--from", "2026-10-05", "--to", "2026-10-06", "--set", "abc",
          "--reason", "x"), "'abc' is not a number"),
    ],
)  # fmt: skip
def test_argument_mistakes(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["vee", *argv])
    assert exc.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.slow
def test_virtual_meter_define_and_series(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match="error: define needs NAME and FORMULA"):
        cli.main(["vee", "virtual", "define", "SUM71", "--from", "2026-10-01"])
    rc, out, err = smf(
        capsys, "virtual", "define", "SUM71", "M(V71).active_fwd + 2 * M(B71).active_fwd",
        "--from", "2026-10-01",
    )  # fmt: skip
    assert rc == 0, err
    assert out.startswith("virtual meter SUM71 defined (id ")
    with pytest.raises(SystemExit, match="error: series needs --to"):
        cli.main(["vee", "virtual", "series", "SUM71", "--from", "2026-10-05"])
    rc, out, err = smf(
        capsys, "virtual", "series", "SUM71", "--from", "2026-10-05T00:00",
        "--to", "2026-10-05T02:00", "--resolution", "hour",
    )  # fmt: skip
    assert rc == 0, err
    # Hours 00 and 01 (-03:00): 12 intervals each of 1.0 + 2 x 0.5 = 2.0 kWh -> 24.0 kWh an hour
    # (intervals 40-49, missing on V71, are at 03:20-04:05: not in these hours).
    lines = out.splitlines()
    assert lines[0].startswith("SUM71 per hour (kWh)")
    body = [ln for ln in lines if "2026-10-05" in ln]
    assert len(body) == 2 and all(" 24.0" in ln for ln in body), out


@pytest.mark.slow
def test_explain_an_interval_that_is_not_stored(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = smf(capsys, "explain", "--meter", "V71", "--at", "2026-10-05T03:20")
    assert (rc, out) == (1, "")  # interval 40 (03:20 local) is missing on V71
    assert err == "no stored interval of V71 starting at 2026-10-05T03:20:00-03:00\n"


@pytest.mark.slow
def test_accept_and_resolve_a_finding(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        smf(capsys, "validate", "--meter", "V71", "--from", "2026-10-05", "--to", "2026-10-05")[0]
        == 0
    )
    with psycopg.connect(env.url) as conn:
        found = conn.execute(
            "select f.id, f.rule from smf.vee_finding f join smf.meter m on m.id = f.meter_id"
            " where m.serial = 'V71' and f.status = 'open' order by f.id"
        ).fetchall()
    [fid] = [i for i, rule in found if rule == "missing"]  # the 10 intervals, one finding
    assert smf(capsys, "findings", "--accept", str(fid), "--operator", "ana") == (
        0,
        f"finding {fid}: accepted by ana\n",
        "",
    )
    assert smf(capsys, "findings", "--resolve", str(fid), "--operator", "bia")[1] == (
        f"finding {fid}: resolved by bia\n"
    )
    with psycopg.connect(env.url) as conn:
        assert conn.execute(
            "select status from smf.vee_finding where id = %s", (fid,)
        ).fetchone() == ("resolved",)
    # a listing that matches nothing says so (an empty screen reads as a hang or a failure)
    assert smf(capsys, "findings", "--meter", "V71", "--status", "accepted") == (
        0,
        "no findings (meter V71, status accepted)\n",
        "",
    )


@pytest.mark.slow
def test_daily_verb_fills_the_day_from_the_backup(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = smf(capsys, "daily", "--day", "2026-10-05")
    assert rc == 0, err
    # V71's 10 missing intervals come from B71; B71 has no backup of its own and misses nothing.
    assert "'day': '2026-10-05'" in out and "'filled': 10" in out and "'left_missing': 0" in out
