"""Job uc_figures (every minute): refresh the precomputed UC-month figures left stale by a bulk
load or by a change of registration, tariffs or calendars (db/figures.py). Safe twice at once:
rows are claimed with FOR UPDATE SKIP LOCKED."""

from __future__ import annotations

from typing import Any

from db import figures
from jobs.runlog import recorded


@recorded("uc_figures")
def run() -> dict[str, Any]:
    return figures.refresh_stale()
