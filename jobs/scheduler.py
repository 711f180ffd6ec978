"""The scheduler: APScheduler 3.x with its job store in the project's PostgreSQL (SQLAlchemy job
store, schema smf_jobs, created by migration 0006).

Each job is one thin module (jobs/<name>.py, a `run()` that calls SQL functions and is recorded in
smf.job_run). Defaults: coalesce (missed runs collapse into one), max_instances=1, a misfire
grace time of 4 days, so a scheduler that was down for three days runs each job once when it
starts, and ccee_send then queues every day it missed. Two schedulers may run at once: the work
itself is claimed in the database (FOR UPDATE SKIP LOCKED), so no UC-day is sent twice.

Settings (environment): SMF_JOBS_VEE_AT (05:30), SMF_JOBS_SEND_AT (06:00),
SMF_JOBS_RETRY_MINUTES (15), SMF_JOBS_READBACK_AT (07:30), SMF_JOBS_DEADLINE_AT (08:00),
SMF_JOBS_ALARM_WEBHOOK_MINUTES (1), SMF_JOBS_MISFIRE_GRACE_S (345600); times are local (smf local
time zone, SMF_LOCAL_TIMEZONE). vee_daily estimates and validates yesterday before ccee_send
sends it, so keep SMF_JOBS_VEE_AT after the daily reads and before SMF_JOBS_SEND_AT.
backup: SMF_JOBS_BACKUP_AT (01:30).
parquet_export: SMF_JOBS_PARQUET_DAY (10), SMF_JOBS_PARQUET_AT (04:00), SMF_JOBS_PARQUET_MONTHS
(2), SMF_ARCHIVE_DIR (see jobs/parquet_export.py).

The scheduler never migrates: run_forever() checks that the schema is at head first
(db.migrate.require_head; `smf db migrate` is the only command that migrates).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from db.driver import sqlalchemy_url
from db.settings import Settings, load

JOB_SCHEMA = "smf_jobs"


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: str  # "module:function", stored by reference in the job store
    trigger: Callable[[str], Any]
    what: str


def _at(env: str, default: str) -> tuple[int, int]:
    hh, mm = os.environ.get(env, default).split(":")
    return int(hh), int(mm)


def specs() -> list[JobSpec]:
    vee_h, vee_m = _at("SMF_JOBS_VEE_AT", "05:30")
    send_h, send_m = _at("SMF_JOBS_SEND_AT", "06:00")
    rb_h, rb_m = _at("SMF_JOBS_READBACK_AT", "07:30")
    dl_h, dl_m = _at("SMF_JOBS_DEADLINE_AT", "08:00")
    retry = int(os.environ.get("SMF_JOBS_RETRY_MINUTES", "15"))
    hook = int(os.environ.get("SMF_JOBS_ALARM_WEBHOOK_MINUTES", "1"))
    seal_h, seal_m = _at("SMF_JOBS_SEAL_AT", "03:00")
    pq_day = int(os.environ.get("SMF_JOBS_PARQUET_DAY", "10"))
    pq_h, pq_m = _at("SMF_JOBS_PARQUET_AT", "04:00")
    bk_h, bk_m = _at("SMF_JOBS_BACKUP_AT", "01:30")
    return [
        JobSpec(
            "vee_daily",
            "jobs.vee_daily:scheduled",
            lambda tz: CronTrigger(hour=vee_h, minute=vee_m, timezone=tz),
            f"estimate and validate yesterday, before ccee_send (daily {vee_h:02d}:{vee_m:02d})",
        ),
        JobSpec(
            "ccee_send",
            "jobs.ccee_send:run",
            lambda tz: CronTrigger(hour=send_h, minute=send_m, timezone=tz),
            f"send yesterday's UC-days to CCEE (daily {send_h:02d}:{send_m:02d})",
        ),
        JobSpec(
            "ccee_retry",
            "jobs.ccee_retry:run",
            lambda tz: IntervalTrigger(minutes=retry, timezone=tz),
            f"retry failed, held and released UC-days (every {retry} min)",
        ),
        JobSpec(
            "ccee_readback",
            "jobs.ccee_readback:run",
            lambda tz: CronTrigger(hour=rb_h, minute=rb_m, timezone=tz),
            f"read CCEE's verdicts back (daily {rb_h:02d}:{rb_m:02d})",
        ),
        JobSpec(
            "ccee_deadline",
            "jobs.ccee_deadline:run",
            lambda tz: CronTrigger(hour=dl_h, minute=dl_m, timezone=tz),
            f"warn from MS+5du about UC-months not accepted (daily {dl_h:02d}:{dl_m:02d})",
        ),
        JobSpec(
            "pld_import",
            "jobs.pld_import:run",
            lambda tz: CronTrigger(minute=5, timezone=tz),
            "import hourly PLD CSV files from SMF_PLD_PATH (hourly at :05)",
        ),
        JobSpec(
            "alarm_webhook",
            "jobs.alarm_webhook:run",
            lambda tz: IntervalTrigger(minutes=hook, timezone=tz),
            f"deliver the alarm outbox to SMF_ALARM_WEBHOOK_URL (every {hook} min)",
        ),
        JobSpec(
            "uc_figures",
            "jobs.uc_figures:run",
            lambda tz: IntervalTrigger(minutes=1, timezone=tz),
            "refresh the UC-month figures a bulk load or a change left stale (every 1 min)",
        ),
        JobSpec(
            "storage_seal",
            "jobs.storage_seal:run",
            lambda tz: CronTrigger(hour=seal_h, minute=seal_m, timezone=tz),
            f"seal meter-periods older than seal_after_days (daily {seal_h:02d}:{seal_m:02d})",
        ),
        JobSpec(
            "parquet_export",
            "jobs.parquet_export:run",
            lambda tz: CronTrigger(day=pq_day, hour=pq_h, minute=pq_m, timezone=tz),
            f"archive the last closed months to Parquet, one file per distributor-month "
            f"(monthly, day {pq_day} {pq_h:02d}:{pq_m:02d})",
        ),
        JobSpec(
            "backup",
            "jobs.backup:run",
            lambda tz: CronTrigger(hour=bk_h, minute=bk_m, timezone=tz),
            f"pgBackRest backup of the local cluster, weekly full (daily {bk_h:02d}:{bk_m:02d})",
        ),
    ]


def by_name(name: str) -> JobSpec:
    for s in specs():
        if s.name == name:
            return s
    raise KeyError(f"no job named {name!r} (jobs: {', '.join(s.name for s in specs())})")


def call(spec: JobSpec) -> dict[str, Any]:
    module, fn = spec.func.split(":")
    result: dict[str, Any] = getattr(import_module(module), fn)()
    return result


def make_scheduler(settings: Settings | None = None) -> BackgroundScheduler:
    s = settings or load()
    store = SQLAlchemyJobStore(
        url=sqlalchemy_url(s.url),
        tablename="apscheduler_jobs",
        tableschema=JOB_SCHEMA,
        # a pooled connection is tested before use: after a database restart or a failover the
        # store reconnects (to the new primary behind a multi-host URL) instead of failing once
        engine_options={"pool_pre_ping": True},
    )
    sched = BackgroundScheduler(
        jobstores={"default": store},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(os.environ.get("SMF_JOBS_MISFIRE_GRACE_S", 4 * 86400)),
        },
        timezone=s.local_timezone,
    )
    return sched


def shutdown(sched: BackgroundScheduler) -> None:
    """Stop the scheduler, waiting for running jobs, and close the job store's connections.
    (APScheduler 3 looks at its store once more after shutting it down, which re-opens a pooled
    connection; disposing the engine again after the thread has ended closes it.)"""
    sched.shutdown(wait=True)
    for store in list(getattr(sched, "_jobstores", {}).values()):
        engine = getattr(store, "engine", None)
        if engine is not None:
            engine.dispose()


def install_jobs(sched: BackgroundScheduler, tz: str) -> None:
    """Add (or keep) every job in the store: an existing job keeps its next run time, so runs
    missed while the scheduler was down are caught up (coalesced) when it starts."""
    for spec in specs():
        existing = sched.get_job(spec.name)
        if existing is not None:
            continue
        sched.add_job(
            spec.func, spec.trigger(tz), id=spec.name, name=spec.what, replace_existing=True
        )


def run_forever(settings: Settings | None = None, stop: threading.Event | None = None) -> None:
    """Run until Ctrl-C or SIGTERM (or `stop` set); running jobs finish first."""
    from db import migrate

    s = settings or load()
    migrate.require_head(s)  # raises errors.SchemaNotAtHead: never migrate here
    stop = stop or threading.Event()
    sched = make_scheduler(s)
    sched.start(paused=True)
    install_jobs(sched, s.local_timezone)
    sched.resume()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    print("scheduler running; Ctrl-C or SIGTERM to stop", file=sys.stderr, flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        shutdown(sched)
