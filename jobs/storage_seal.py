"""Job storage_seal (daily): seal the meter-periods older than seal_after_days (default 62 days)
into compact sealed rows (db/storage.py, db/functions/025_storage.sql). Safe twice at once: a
second run finds the session lock taken and returns `busy`; a killed run leaves every batch
either sealed or as rows."""

from __future__ import annotations

from typing import Any

from db import storage
from jobs.runlog import recorded


@recorded("storage_seal")
def run() -> dict[str, Any]:
    return storage.seal().as_dict()
