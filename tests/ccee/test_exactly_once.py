"""Exactly-once claiming across processes, counted on the emulator: kill -9 of a sender in the
middle of a batch then a restart, and two senders at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from ccee import emulator
from db.settings import REPO_ROOT, CceeSettings, Settings
from tests.ccee.helpers import make_uc, put_day

N_UCS = 15


@pytest.fixture
def loaded(db_settings: Settings, emu: emulator.Running) -> Iterator[psycopg.Connection[Any]]:
    """15 UCs x the two CCEE days before today = 30 UC-days due."""
    with psycopg.connect(db_settings.url, autocommit=True) as conn:
        today = conn.execute("select smf.ccee_today(now())").fetchone()[0]
        days = [today - timedelta(days=2), today - timedelta(days=1)]
        for i in range(1, N_UCS + 1):
            uc = make_uc(conn, i, registered=f"[{days[0]},)")
            for d in days:
                put_day(conn, uc, [100 + i] * 288, day=d)
            emu.state.ucs[uc.code] = emulator.Uc(uc.agent, None)
        conn.execute("select smf.ccee_enqueue(%s, %s)", (days[0], days[1]))
        yield conn


def _env(db_settings: Settings, ccee_settings: CceeSettings) -> dict[str, str]:
    return {
        **os.environ,
        "SMF_DATABASE_URL": db_settings.url,
        "SMF_CCEE_BASE_URL": ccee_settings.base_url,
        "SMF_CCEE_CLIENT_ID": ccee_settings.client_id,
        "SMF_CCEE_CLIENT_SECRET": str(ccee_settings.client_secret),
        "SMF_CCEE_AGENT_CODE": ccee_settings.agent_code,
        "SMF_CCEE_PROFILE_CODE": ccee_settings.profile_code,
        "SMF_CCEE_CONCURRENCY": "2",
        "SMF_CCEE_BACKOFF_S": "0.01",
    }


def _spawn(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ccee.run_sender", "4"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_exactly_once(conn: psycopg.Connection[Any], emu: emulator.Running) -> None:
    rows = conn.execute(
        "select d.state, count(a.id) filter (where a.outcome = 'accepted')"
        " from smf.ccee_uc_day d left join smf.ccee_attempt a"
        " on a.consumer_unit_id = d.consumer_unit_id and a.day = d.day"
        " group by d.consumer_unit_id, d.day, d.state"
    ).fetchall()
    assert len(rows) == 2 * N_UCS
    assert set(rows) == {("accepted", 1)}, rows  # recorded accepted exactly once each
    stats = emu.state.stats()
    assert len(stats["posts"]) == 2 * N_UCS
    # A UC-day posted twice (its sender died between CCEE's answer and the record) carried the
    # same bytes both times.
    assert all(n == 1 for n in stats["distinct_payloads"].values())


@pytest.mark.slow
def test_kill_9_mid_batch_then_restart(
    loaded: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    emu.state.post_delay_s = 0.05
    env = _env(db_settings, ccee_settings)
    first = _spawn(env)
    deadline = time.monotonic() + 60
    while emu.state.accepted < 6 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    assert first.returncode == -signal.SIGKILL
    claimed = loaded.execute("select count(*) from smf.ccee_uc_day where state = 'claimed'")
    assert claimed.fetchone()[0] > 0  # the killed sender left unfinished claims
    emu.state.post_delay_s = 0
    second = _spawn(env)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    report = json.loads(out)
    assert report["released"] >= 1  # it took back the dead sender's claims at once
    _check_exactly_once(loaded, emu)
    posts = sum(emu.state.stats()["posts"].values())
    assert 2 * N_UCS <= posts <= 2 * N_UCS + 4 + 2  # at most a batch in flight re-posted


@pytest.mark.slow
def test_two_senders_never_post_a_uc_day_twice(
    loaded: psycopg.Connection[Any],
    db_settings: Settings,
    emu: emulator.Running,
    ccee_settings: CceeSettings,
) -> None:
    emu.state.post_delay_s = 0.02
    env = _env(db_settings, ccee_settings)
    procs = [_spawn(env), _spawn(env)]
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        reports.append(json.loads(out))
    assert sum(r["accepted"] for r in reports) == 2 * N_UCS
    assert set(emu.state.stats()["posts"].values()) == {1}  # counted on the emulator
    _check_exactly_once(loaded, emu)
