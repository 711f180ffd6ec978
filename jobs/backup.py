"""Job backup (daily, 01:30 local by default): a pgBackRest backup of the local cluster, full
when the newest full one is SMF_BACKUP_FULL_EVERY_DAYS (7) days old or there is none, else
differential (a restore then needs the full and one differential); pgBackRest expires what the
retention (SMF_BACKUP_RETENTION_FULL) no longer keeps. Two schedulers at once: pgBackRest's own
lock lets one run, the other records `skipped`. With SMF_DATABASE_URL (a formation, a managed
server) the backup is not ours to take here: recorded as skipped (docs/operations.md)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from db import backup
from db.settings import load
from jobs.runlog import recorded


def choose_kind(backups: list[dict[str, Any]], now: datetime, full_every: timedelta) -> str:
    """full when no full backup exists or the newest is `full_every` old, else diff."""
    fulls = [b for b in backups if b["type"] == "full"]
    if not fulls or now - fulls[-1]["stop"] >= full_every:
        return "full"
    return "diff"


@recorded("backup")
def run() -> dict[str, Any]:
    s = load()
    if not s.uses_local_cluster:
        return {"skipped": "SMF_DATABASE_URL is set: backups of that server are taken elsewhere"}
    repo = backup.Repository(s.cluster)
    every = timedelta(days=float(os.environ.get("SMF_BACKUP_FULL_EVERY_DAYS", "7")))
    kind = choose_kind(repo.info(), datetime.now(UTC), every)
    try:
        b = repo.backup(kind)
    except backup.BackupError as exc:
        if "unable to acquire lock" in str(exc):
            return {"skipped": "another backup is running"}
        raise
    return {
        "label": b["label"],
        "type": b["type"],
        "database_bytes": b["database_bytes"],
        "repo_bytes": b["repo_bytes"],
        "seconds": (b["stop"] - b["start"]).total_seconds(),
    }
