"""`smf meter add --protocol dlms`, `smf meter clock --check/--set` and `smf meter report`, as an
operator runs them (subprocesses against a real database and emulators): bad input gets a clear
message and writes nothing; keys come from a file, never the command line; an operator sets a
clock 90 minutes off (for NBR 14522 and DLMS), and the correction is logged before and after."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from db.settings import REPO_ROOT, Settings
from poller.emulator import MeterConfig
from poller.emulator.dlms import DlmsMeterConfig
from poller.emulator.meter import FixedClock
from tests.db.helpers import fingerprint
from tests.poller_service.conftest import site

from .conftest import AK, EK, dlms_site, q


async def smf(
    settings: Settings, *argv: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    full = {**os.environ, "SMF_DATABASE_URL": settings.url, **(env or {})}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smf.cli", *argv, env=full, cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--transport", "wrapper://127.0.0.1:4059"], "wrapper:// is NBR 14522's"),
        (["--transport", "tcp://127.0.0.1:4059", "--auth", "hls"], "bad DLMS authentication"),
        (["--transport", "tcp://127.0.0.1:4059", "--auth", "lls"], "LLS needs a password"),
        (["--transport", "tcp://127.0.0.1:4059", "--auth", "hls_gmac"], "HLS-GMAC needs"),
        (["--transport", "tcp://127.0.0.1:4059", "--client-address", "200"], "client address 200"),
        (["--transport", "tcp://127.0.0.1:4059", "--profile-obis", "1.0.99.1"], "bad OBIS code"),
        (["--transport", "hdlc://127.0.0.1"], "needs a host and a port"),
    ],
)
async def test_bad_dlms_input_is_refused_and_nothing_written(
    db_settings: Settings, args: list[str], message: str
) -> None:
    before = fingerprint(db_settings.url)
    code, _, err = await smf(
        db_settings,
        "meter",
        "add",
        "DLMS0001",
        "--protocol",
        "dlms",
        *args,
        env={"SMF_DLMS_PASSWORD": "", "SMF_DLMS_AK": "", "SMF_DLMS_EK": ""},
    )
    assert code == 2 and message in err, err
    assert fingerprint(db_settings.url) == before


@pytest.mark.slow
async def test_a_malformed_key_is_refused_without_echoing_it(
    db_settings: Settings, tmp_path: Path
) -> None:
    keys = tmp_path / "k"
    keys.write_text(
        "authentication_key=00112233445566778899aabbccddeeZZ\nencryption_key=" + EK.hex()
    )
    code, out, err = await smf(
        db_settings,
        "meter",
        "add",
        "DLMS0001",
        "--protocol",
        "dlms",
        "--transport",
        "tcp://127.0.0.1:4059",
        "--auth",
        "hls_gmac",
        "--keys-file",
        str(keys),
    )
    assert code == 2 and "authentication_key: malformed (value not shown)" in err
    assert "8899aabb" not in err + out and EK.hex() not in err + out


@pytest.mark.slow
async def test_add_read_and_report_a_hls_meter(
    db_settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"# HLS-GMAC keys\nauthentication_key={AK.hex()}\nencryption_key={EK.hex()}\n")
    code, out, err = await smf(
        db_settings,
        "meter",
        "add",
        "DLMS0009",
        "--protocol",
        "dlms",
        "--transport",
        "hdlc://127.0.0.1:4059",
        "--auth",
        "hls_gmac",
        "--server-physical",
        "17",
        "--keys-file",
        str(keys),
    )
    assert code == 0, err
    assert "authentication hls_gmac" in out and "server 1/17" in out and "15 min" in out
    assert AK.hex() not in out
    assert q(db_settings, "select server_physical, auth from smf.dlms_meter") == [(17, "hls_gmac")]
    code, out, _ = await smf(db_settings, "meter", "report", "config", "--csv")
    assert code == 0 and "DLMS0009,dlms,hdlc://127.0.0.1:4059" in out and AK.hex() not in out


@pytest.mark.slow
async def test_operator_sets_a_dlms_clock_90_minutes_off(
    db_settings: Settings, tmp_path: Path
) -> None:
    # the CLI runs in a child process with the real clock: the emulator runs on it too
    from poller.emulator.meter import system_clock

    c = DlmsMeterConfig(serial="DLMS0001", clock_offset=timedelta(minutes=90), profile_days=1)
    async with dlms_site(db_settings, system_clock, c) as s:  # type: ignore[arg-type]
        env = {"SMF_SECRET_KEY_FILE": os.environ["SMF_SECRET_KEY_FILE"]}
        code, out, err = await smf(db_settings, "meter", "clock", "DLMS0001", "--check", env=env)
        assert code == 0, err
        assert "(drift +5400 s)" in out
        code, out, err = await smf(db_settings, "meter", "clock", "DLMS0001", "--set", env=env)
        assert code == 0, err
        left = abs(s.meter.offset.total_seconds())
    assert left < 2  # set to the poller's time
    rows = q(
        db_settings,
        "select kind, outcome, round(drift_before_s), abs(drift_after_s) < 2 "
        "from smf.clock_correction order by id",
    )
    assert rows == [("operator", "checked", 5400, None), ("operator", "corrected", 5400, True)]
    assert q(
        db_settings, "select count(*) from smf.meter_event where kind = 'clock_operator_set'"
    ) == [(1,)]


@pytest.mark.slow
async def test_operator_sets_an_nbr_clock_90_minutes_off(db_settings: Settings) -> None:
    from poller.emulator.meter import system_clock

    cfg = MeterConfig(serial="32600760", clock_offset=timedelta(minutes=-90))
    async with site(db_settings, system_clock, cfg) as s:  # type: ignore[arg-type]
        code, out, err = await smf(db_settings, "meter", "clock", "32600760", "--set")
        assert code == 0, err
        # the meter keeps whole seconds on the system clock: read across a second's edge the
        # drift is one second more
        assert "(drift -5400 s)" in out or "(drift -5401 s)" in out, out
        left = abs((s.meter.meter_utc() - system_clock()).total_seconds())
    assert left < 2
    assert q(db_settings, "select method from smf.clock_correction") == [("nbr_0x29_0x30",)]
    code, _, err = await smf(db_settings, "meter", "clock", "32600760")
    assert code == 2 and "--check" in err


@pytest.mark.slow
async def test_probe_and_show_a_dlms_meter(db_settings: Settings) -> None:
    from poller.emulator.meter import system_clock

    c = DlmsMeterConfig(serial="DLMS0001", auth="lls", password=b"pw-1234", profile_days=1)
    async with dlms_site(db_settings, system_clock, c):  # type: ignore[arg-type]
        env = {"SMF_SECRET_KEY_FILE": os.environ["SMF_SECRET_KEY_FILE"]}
        code, out, err = await smf(db_settings, "meter", "probe", "DLMS0001", env=env)
    assert code == 0, err
    assert "device id        DLMS0001" in out and "capture period   900 s" in out
    assert "1.0.1.29.0.255 class 3: active_fwd_kwh (interval), scaler 0, unit Wh" in out
    assert "0.0.96.10.1.255 class 1: profile status" in out
    code, out, err = await smf(db_settings, "meter", "show", "DLMS0001")
    assert code == 0, err
    assert "dlms_auth" in out and "lls" in out and "pw-1234" not in out
