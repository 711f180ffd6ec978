"""Scheduled jobs: the APScheduler job store in PostgreSQL, catching up after downtime, each run
recorded, the PLD import, and a clean stop of `smf jobs run` on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ccee import emulator
from db.settings import REPO_ROOT, Settings
from jobs import pld_import, scheduler
from tests.ccee.helpers import make_uc, put_day

# pld_horario as CCEE's open data publishes it: ';' separated, decimal comma, hour beginning.
PLD_CSV = """MES_REFERENCIA;SUBMERCADO;DIA;HORA;PLD_HORA
202610;SUDESTE;1;0;61,07
202610;SUDESTE;1;1;100,50
202610;SUL;1;0;1.234,56
202610;NORDESTE;31;23;58,60
"""


def _runs(url: str, job: str) -> list[tuple]:
    with psycopg.connect(url) as c:
        return c.execute(
            "select outcome, counts, error from smf.job_run where job = %s order by id", (job,)
        ).fetchall()


@pytest.mark.slow
def test_pld_import_job(job_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pld_horario_2026.csv").write_text(PLD_CSV)
    monkeypatch.setenv("SMF_PLD_PATH", str(tmp_path))
    assert pld_import.run() == {"files": 1, "rows": 4, "changed": 4}
    assert pld_import.run()["changed"] == 0  # re-import changes nothing
    with psycopg.connect(job_env.url) as c:
        rows = c.execute(
            "select submarket::text, hour, price from smf.pld order by hour, 1"
        ).fetchall()
    # 2026-10-01 00:00 -03:00 = 03:00 UTC (hour beginning); 2026-10-31 23:00 -03:00 = Nov 1 02:00Z.
    utc = UTC
    assert rows == [
        ("S", datetime(2026, 10, 1, 3, tzinfo=utc), Decimal("1234.56")),
        ("SE/CO", datetime(2026, 10, 1, 3, tzinfo=utc), Decimal("61.07")),
        ("SE/CO", datetime(2026, 10, 1, 4, tzinfo=utc), Decimal("100.50")),
        ("NE", datetime(2026, 11, 1, 2, tzinfo=utc), Decimal("58.60")),
    ]
    assert [r[0] for r in _runs(job_env.url, "pld_import")] == ["ok", "ok"]
    # A malformed file: the run is recorded as an error naming the line; nothing is written.
    (tmp_path / "pld_horario_2026.csv").write_text(PLD_CSV + "202610;SUL;2;0;abc\n")
    with pytest.raises(pld_import.PldFormatError, match="line 6"):
        pld_import.run()
    (tmp_path / "pld_horario_2026.csv").write_text(PLD_CSV.replace(";1;1;", ";32;1;"))
    with pytest.raises(Exception, match="PLD row 2 is invalid"):
        pld_import.run()
    runs = _runs(job_env.url, "pld_import")
    assert [r[0] for r in runs] == ["ok", "ok", "error", "error"]
    assert "line 6" in runs[2][2]


@pytest.mark.slow
def test_scheduler_store_catch_up_and_recorded_runs(
    job_env: Settings, emu: emulator.Running
) -> None:
    with psycopg.connect(job_env.url, autocommit=True) as conn:
        today = conn.execute("select smf.ccee_today(now())").fetchone()[0]
        days = [today - timedelta(days=n) for n in (3, 2, 1)]
        uc = make_uc(conn, 1, registered=f"[{days[0]},)")
        for d in days:
            put_day(conn, uc, [120] * 288, day=d)
    emu.state.ucs[uc.code] = emulator.Uc(uc.agent, None)
    # The job store lives in PostgreSQL: a scheduler installs the jobs once, the next finds them.
    sched = scheduler.make_scheduler(job_env)
    sched.start(paused=True)
    scheduler.install_jobs(sched, job_env.local_timezone)
    assert sorted(j.id for j in sched.get_jobs()) == [
        "alarm_webhook",
        "backup",
        "ccee_deadline",
        "ccee_readback",
        "ccee_retry",
        "ccee_send",
        "parquet_export",
        "pld_import",
        "storage_seal",
        "uc_figures",
        "vee_daily",
    ]
    sched.remove_job("ccee_send")
    scheduler.shutdown(sched)
    # The scheduler was down for three days: ccee_send's stored run is three days overdue.
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    sched = scheduler.make_scheduler(job_env)
    spec = scheduler.by_name("ccee_send")
    sched.add_job(
        spec.func, spec.trigger(job_env.local_timezone), id=spec.name, next_run_time=three_days_ago
    )
    sched.start(paused=True)
    others = ("ccee_retry", "ccee_readback", "ccee_deadline", "pld_import", "parquet_export")
    for other in (*others, "vee_daily", "alarm_webhook", "uc_figures", "backup"):
        sched.pause_job(other)
    sched.resume()  # it catches up once (coalesced), within the misfire grace time
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = _runs(job_env.url, "ccee_send")
            if runs and runs[-1][0] != "running":
                break
            time.sleep(0.1)
    finally:
        scheduler.shutdown(sched)
    runs = _runs(job_env.url, "ccee_send")
    assert len(runs) == 1, runs
    outcome, counts, error = runs[0]
    assert outcome == "ok", error
    assert counts["accepted"] == 3 and counts["new_days"] == 3
    assert sorted(emu.state.posts) == sorted(f"{uc.code}|{d}" for d in days)
    with psycopg.connect(job_env.url) as c:
        n = c.execute("select count(*) from smf_jobs.apscheduler_jobs").fetchone()[0]
    assert n == len(scheduler.specs()) == 11  # every job of jobs/scheduler.py, once


@pytest.mark.slow
def test_jobs_run_stops_cleanly_on_sigterm(job_env: Settings) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "smf.cli", "jobs", "run"],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    seen = ""
    while "scheduler running" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.readline()
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, seen + err
    assert "scheduler stopped" in err


@pytest.mark.slow
def test_two_schedulers_send_job_at_once(job_env: Settings, emu: emulator.Running) -> None:
    """Two schedulers fire ccee_send at the same moment: every UC-day is posted once."""
    import threading

    from jobs import ccee_send

    with psycopg.connect(job_env.url, autocommit=True) as conn:
        today = conn.execute("select smf.ccee_today(now())").fetchone()[0]
        days = [today - timedelta(days=n) for n in (2, 1)]
        for i in range(1, 9):
            uc = make_uc(conn, i, registered=f"[{days[0]},)")
            for d in days:
                put_day(conn, uc, [100 + i] * 288, day=d)
            emu.state.ucs[uc.code] = emulator.Uc(uc.agent, None)
    emu.state.post_delay_s = 0.02
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(ccee_send.run())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(r["accepted"] for r in results) == 16
    assert len(emu.state.posts) == 16 and set(emu.state.posts.values()) == {1}
    assert [r[0] for r in _runs(job_env.url, "ccee_send")] == ["ok", "ok"]
