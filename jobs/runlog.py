"""Every job run is recorded in smf.job_run: start, end, outcome, counts, error."""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from db import driver

log = logging.getLogger("smf.jobs")
JobFn = Callable[[], dict[str, Any]]


def holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class JobInputError(ValueError):
    """Bad input a job found (a malformed file, ...): its message tells the operator what to fix.
    A job's own input errors subclass it (jobs.pld_import.PldFormatError)."""


def _explained(exc: Exception) -> bool:
    """True for the errors whose message tells the operator what to fix."""
    from ccee.errors import CceeError
    from db.errors import SmfError

    return isinstance(exc, (CceeError, SmfError, OSError, JobInputError))


def recorded(name: str) -> Callable[[JobFn], JobFn]:
    """Wrap a job: open a run row, call it, close the row with its counts or its error."""

    def wrap(fn: JobFn) -> JobFn:
        @functools.wraps(fn)
        def run() -> dict[str, Any]:
            import json

            with driver.connect() as conn:
                run_id = driver.run_scalar(conn, "job_run_start", job=name, holder=holder())
            try:
                counts = fn()
            except Exception as exc:
                with driver.connect() as conn:
                    driver.run(
                        conn,
                        "job_run_finish",
                        id=run_id,
                        outcome="error",
                        counts=None,
                        error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                # A failure that says what to fix (a setting, a file, a refused batch) is one
                # line; anything else is a bug and keeps its traceback.
                log.error("job %s failed: %s", name, exc, exc_info=not _explained(exc))
                raise
            with driver.connect() as conn:
                driver.run(
                    conn,
                    "job_run_finish",
                    id=run_id,
                    outcome="ok",
                    counts=json.dumps(counts, default=str),
                    error=None,
                )
            log.info("job %s: %s", name, counts)
            return counts

        return run

    return wrap
