"""Scheduled jobs: `smf jobs run | list | trigger NAME`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from db.local import ensure_database
from smf import console


def _logging(fmt: str) -> None:
    """INFO for the jobs, stamped in local time with its offset (the time policy, smf.console);
    httpx and httpcore only from WARNING (their INFO lines carry full request URLs, which may hold
    a webhook's credentials or token)."""
    console.configure_logging(fmt)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def counts_text(counts: Any) -> str:
    """A job's counts in words: `sent 3, held 1` (nested dicts in parentheses)."""
    if not isinstance(counts, dict):
        return "" if counts is None else str(counts)
    parts = []
    for k, v in counts.items():
        if isinstance(v, dict):
            shown = f"({counts_text(v)})"
        elif isinstance(v, list | tuple) and not v:
            shown = "none"
        else:
            shown = console.cell(v)
        parts.append(f"{str(k).replace('_', ' ')} {shown}")
    return ", ".join(parts)


def cmd_run(args: argparse.Namespace) -> int:
    from jobs import scheduler

    ensure_database("jobs")  # as its login role, not the owner
    _logging("%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler.run_forever()
    print("scheduler stopped", file=sys.stderr)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from db import driver
    from jobs import scheduler

    ensure_database()
    # Read the store, never start a scheduler here (it would consume a due run).
    with driver.connect() as conn:
        stored = {r["id"]: r["next_run"] for r in driver.run(conn, "job_store_next_runs")}
        last = {r["job"]: r for r in driver.run(conn, "job_last_runs")}
    for spec in scheduler.specs():
        nxt = stored.get(spec.name)
        r = last.get(spec.name)
        last_txt = (
            " ".join(
                x
                for x in (
                    "last",
                    console.when(r["started_at"]),
                    r["outcome"],
                    counts_text(r["counts"]),
                )
                if x
            )
            if r
            else "never run"
        )
        shown_next = console.when(nxt) if nxt else "(not scheduled yet)"
        print(f"{spec.name:<14} next {shown_next}  {last_txt}\n{'':<14} {spec.what}")
    return 0


def cmd_trigger(args: argparse.Namespace) -> int:
    from jobs import scheduler

    ensure_database("jobs")  # as its login role, not the owner
    _logging("%(levelname)s %(name)s %(message)s")
    try:
        spec = scheduler.by_name(args.name)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    from ccee.errors import CceeError
    from jobs.pld_import import PldFormatError

    try:
        counts = scheduler.call(spec)
    except (CceeError, PldFormatError) as exc:  # recorded in smf.job_run as well
        print(f"error: {spec.name}: {exc}", file=sys.stderr)
        return 1
    print(f"{spec.name}: {json.dumps(counts, default=str)}")  # JSON: scripts read it
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("jobs", help="scheduled jobs (APScheduler): run, list, trigger")
    verbs = p.add_subparsers(dest="jobs_command", required=True)
    verbs.add_parser("run", help="run the scheduler until Ctrl-C / SIGTERM").set_defaults(
        func=cmd_run
    )
    verbs.add_parser("list", help="jobs, next run, last run").set_defaults(func=cmd_list)
    t = verbs.add_parser("trigger", help="run one job now (recorded like a scheduled run)")
    t.add_argument("name", help="job name (see `smf jobs list`)")
    t.set_defaults(func=cmd_trigger)
