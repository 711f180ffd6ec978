"""`smf meter add | list | show | set | retire | probe | redecode`, as an operator runs them:
bad input gets a clear message and writes nothing; a probe sends 0x21 and 0x14 only; a changed
layout re-decodes stored reads; the registered-versus-own interval mismatch is quarantined and
adopted with one command."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace

import psycopg
import pytest

from db.settings import REPO_ROOT, Settings
from poller import registry
from poller.emulator import FixedClock, MeterConfig
from poller.registry import RegistryError
from tests.db.helpers import fingerprint

from .conftest import assert_matches, poller, q, site


def ex(settings: Settings, sql: str) -> None:
    with psycopg.connect(settings.url) as conn:
        conn.execute(sql)


async def smf(settings: Settings, *argv: str) -> tuple[int, str, str]:
    """Run the CLI in a subprocess while this event loop keeps serving emulated meters."""
    env = {**os.environ, "SMF_DATABASE_URL": settings.url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smf.cli", *argv, env=env, cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("serial", "url", "message"),
    [
        ("1234", "tcp://127.0.0.1:4001", "bad serial '1234': an NBR 14522 meter serial is 8"),
        ("12345678", "ftp://127.0.0.1:4001", "unknown transport scheme 'ftp'"),
        ("12345678", "tcp://127.0.0.1", "needs a host and a port"),
        ("12345678", "tcp://127.0.0.1:99999", "the port must be 1-65535"),
        ("12345678", "127.0.0.1:4001", "is not a URL"),
        ("12345678", "serial://dev/ttyS0", "serial:///dev/DEVICE (three slashes)"),
        ("12345678", "serial:///dev/ttyS0?baud=9601", "baud must be one of"),
        ("12345678", "serial:///dev/ttyS0?parity=E", "unknown option(s) parity"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    db_settings: Settings, serial: str, url: str, message: str
) -> None:
    before = fingerprint(db_settings.url)
    with pytest.raises(RegistryError) as ei:
        registry.add(db_settings.url, serial, url)
    assert message in str(ei.value)
    assert fingerprint(db_settings.url) == before


@pytest.mark.slow
def test_out_of_range_values_are_refused(db_settings: Settings) -> None:
    with pytest.raises(RegistryError, match="bad interval"):
        registry.add(db_settings.url, "12345678", "tcp://h:1", interval_minutes=10)
    with pytest.raises(RegistryError, match="bad schedule"):
        registry.add(db_settings.url, "12345678", "tcp://h:1", poll_schedule="weekly")
    with pytest.raises(RegistryError, match="out of range"):
        registry.parse_utc_offset("-13:00")
    assert registry.parse_utc_offset("-03:00") == registry.parse_utc_offset("-180") == -180
    registry.add(db_settings.url, "12345678", "wrapper://h:1")
    with pytest.raises(RegistryError, match="already registered"):
        registry.add(db_settings.url, "12345678", "tcp://h:2")
    assert q(db_settings, "select transport from smf.meter") == [("wrapper://h:1",)]


@pytest.mark.slow
async def test_add_list_show_set_retire_redecode_through_the_cli(
    db_settings: Settings, clock: FixedClock
) -> None:
    bad = await smf(db_settings, "meter", "add", "12AB5678", "--transport", "tcp://h:1")
    assert bad[0] == 2 and "bad serial '12AB5678'" in bad[2]
    bad = await smf(db_settings, "meter", "add", "12345678", "--transport", "udp://h:1")
    assert bad[0] == 2 and "unknown transport scheme 'udp'" in bad[2]
    assert q(db_settings, "select count(*) from smf.meter") == [(0,)]
    rc, out, err = await smf(
        db_settings, "meter", "add", "12345678", "--transport", "tcp://127.0.0.1:4999",
        "--interval", "15", "--utc-offset=-03:00", "--schedule", "hourly", "--model", "E750",
    )  # fmt: skip
    assert rc == 0, err
    assert "meter 12345678 registered: tcp://127.0.0.1:4999, 15 min, UTC-3 h" in out
    assert q(
        db_settings,
        "select serial, transport, interval_minutes, utc_offset_minutes, poll_schedule, model, "
        "mm_layout, enabled from smf.meter",
    ) == [("12345678", "tcp://127.0.0.1:4999", 15, -180, "hourly", "E750", "undetermined", True)]
    rc, out, _ = await smf(db_settings, "meter", "list")
    assert rc == 0 and out.startswith("12345678  enabled") and "1 meter(s)" in out
    rc, out, _ = await smf(db_settings, "meter", "set", "12345678", "--interval", "7")
    assert rc == 2
    rc, out, _ = await smf(db_settings, "meter", "set", "12345678", "--schedule", "daily")
    assert rc == 0 and q(db_settings, "select poll_schedule from smf.meter") == [("daily",)]
    rc, out, _ = await smf(db_settings, "meter", "redecode", "12345678")
    assert rc == 2 and "layout undetermined" in _
    rc, out, _ = await smf(db_settings, "meter", "retire", "12345678")
    assert rc == 0 and "retired at" in out and "readings are kept" in out
    assert q(db_settings, "select enabled, retired_at is not null from smf.meter") == [
        (False, True)
    ]
    rc, out, _ = await smf(db_settings, "meter", "show", "12345678")
    assert rc == 0 and "retired_at" in out and "mm_layout           undetermined" in out


@pytest.mark.slow
async def test_probe_reads_parameters_and_instantaneous_only(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock, MeterConfig(serial="32600999", model="8721")) as s:
        resets = s.meter.reset_count
        rc, out, err = await smf(db_settings, "meter", "probe", "32600999")
        served = s.emulator.commands_served
    assert rc == 0, err
    assert served == 2  # 0x21 and 0x14
    assert s.meter.reset_count == resets and s.meter.alterations == []  # no 0x20
    assert "model:             8721" in out
    assert "MM interval:       5 min" in out and "demand interval:   15 min" in out
    assert "constants:         1/100, 1/100, 1/100" in out
    assert "channel codes:     1 (active_fwd_kwh), 10 (reactive_ind_fwd_kvarh)" in out
    assert "mass-memory layout: undetermined (undetermined: no read" in out


@pytest.mark.slow
async def test_operator_layout_change_re_decodes_stored_reads(
    db_settings: Settings, clock: FixedClock
) -> None:
    """A meter registered with the wrong layout is read wrongly; `smf meter set --layout`
    corrects every stored interval from the raw blocks, without a re-read."""
    cfg = MeterConfig(serial="32600999", mm_layout="lo-first/bin")
    async with site(db_settings, clock, cfg) as s:
        ex(db_settings, "update smf.meter set mm_layout = 'hi-first/bin'")
        res = await poller(db_settings, clock).read_meter(replace(s.info, mm_layout="hi-first/bin"))
        served = s.emulator.commands_served
        assert res.ok
        with pytest.raises(AssertionError):
            assert_matches(db_settings, s.meter, *_span())
        rc, out, err = await smf(
            db_settings, "meter", "set", "32600999", "--layout", "lo-first/bin"
        )
        assert rc == 0, err
        assert s.emulator.commands_served == served  # no re-read
    assert "re-decoded 1 stored read(s) as lo-first/bin" in out
    assert_matches(db_settings, s.meter, *_span())


@pytest.mark.slow
async def test_interval_mismatch_is_quarantined_and_adopted_with_one_command(
    db_settings: Settings, clock: FixedClock
) -> None:
    cfg = MeterConfig(serial="32600999", interval_min=15)
    async with site(db_settings, clock, cfg) as s:
        ex(db_settings, "update smf.meter set interval_minutes = 5")
        res = await poller(db_settings, clock).read_meter(replace(s.info, interval_minutes=5))
        assert res.outcome == "interval_mismatch" and res.events == ["interval_mismatch"]
        assert q(db_settings, "select count(*) from smf.interval_reading") == [(0,)]
        (msg,) = q(db_settings, "select message from smf.meter_event")[0]
        assert msg.startswith("meter 32600999 integrates over 15 min, registered as 5 min")
        assert "smf meter set 32600999 --interval 15" in msg
        rc, _, err = await smf(db_settings, "meter", "set", "32600999", "--interval", "15")
        assert rc == 0, err
        again = await poller(db_settings, clock).read_meter(s.info)
    assert again.ok and again.intervals_stored == 144
    assert q(db_settings, "select outcome from smf.poll_attempt order by started_at") == [
        ("interval_mismatch",),
        ("ok",),
    ]


def _span() -> tuple[object, object]:
    from datetime import UTC, datetime

    return datetime(2024, 3, 7, 3, tzinfo=UTC), datetime(2024, 3, 8, 15, tzinfo=UTC)
