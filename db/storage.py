"""Storage tiers: sealing closed meter-periods, and the status of every tier.

Hot rows live in smf.interval_reading; a meter-period (default a UTC week) whose end is older
than `seal_after_days` (default 62, the VEE/edit window) is sealed into one compact row of
smf.interval_sealed by smf.storage_seal_periods (db/functions/025_storage.sql). Readers never
see the difference: they read through smf.intervals() and the rollup functions.

`seal()` lists the due meter-periods once, then seals them in batches of `seal_batch_periods`,
each batch in its own transaction: a process killed mid-batch leaves that batch's periods as rows
(the transaction rolls back) and every committed batch sealed, never both nor neither. One run at
a time: a session advisory lock; a second run returns at once with `busy` set. Then the hot
chunks wholly before the edge that hold no row any more are dropped, one transaction each
(smf.storage_drop_chunk_if_empty): deleted rows would otherwise leave their chunk's pages and
indexes on disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from db import driver, errors
from db.settings import Settings


@dataclass
class SealResult:
    """What a sealing run did: meter-periods sealed, left hot (a row off the interval grid),
    found already sealed by a concurrent run, hot rows moved, batches committed, empty hot chunks
    dropped and the bytes they took, wall seconds."""

    edge: datetime | None = None
    due: int = 0
    sealed: int = 0
    off_grid: int = 0
    empty: int = 0
    rows: int = 0
    batches: int = 0
    chunks_dropped: int = 0
    bytes_freed: int = 0
    seconds: float = 0.0
    busy: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "edge": self.edge.isoformat() if self.edge else None,
            "due": self.due,
            "sealed": self.sealed,
            "off_grid": self.off_grid,
            "empty": self.empty,
            "rows": self.rows,
            "batches": self.batches,
            "chunks_dropped": self.chunks_dropped,
            "bytes_freed": self.bytes_freed,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "busy": self.busy,
        }


Progress = Callable[[SealResult], None]


def seal(
    settings: Settings | str | None = None,
    *,
    edge: datetime | None = None,
    batch: int | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> SealResult:
    """Seal every hot meter-period that ends before `edge` (default: the period holding
    now() - seal_after_days), oldest first, `batch` meter-periods per transaction (default the
    setting seal_batch_periods), at most `limit` of them. Returns the counts.

    Raises db.errors.DatabaseUnavailable when the database cannot be reached and
    db.errors.InvalidParameter for a bad setting (e.g. seal_period_days outside 1..28)."""
    result = SealResult()
    t0 = time.perf_counter()
    with driver.connect(settings) as lock_conn:
        if not driver.run_scalar(lock_conn, "storage_seal_lock"):
            result.busy = True
            return result
        lock_conn.commit()  # the session lock outlives the transaction
        try:
            result.edge = driver.run_scalar(lock_conn, "storage_seal_edge", edge=edge)
            if batch is None:
                batch = int(
                    driver.run_scalar(
                        lock_conn, "storage_setting", key="seal_batch_periods", default=200
                    )
                )
            due = driver.run(lock_conn, "storage_seal_candidates", edge=result.edge)
            lock_conn.commit()
            if limit is not None:
                due = due[:limit]
            result.due = len(due)
            step = max(1, batch)
            for i in range(0, len(due), step):
                chunk = due[i : i + step]
                meters = [r["meter_id"] for r in chunk]
                starts = [r["period_start"] for r in chunk]

                def work(
                    conn: driver.Connection, meters: list[int] = meters, starts: list[Any] = starts
                ) -> dict[str, Any]:
                    row = driver.run_scalar(
                        conn, "storage_seal_periods", meters=meters, starts=starts
                    )
                    return dict(row)

                counts = driver.in_transaction(settings, work)
                result.sealed += int(counts["sealed"])
                result.off_grid += int(counts["off_grid"])
                result.empty += int(counts["empty"])
                result.rows += int(counts["rows"])
                result.batches += 1
                result.seconds = time.perf_counter() - t0
                if progress is not None:
                    progress(result)
            _drop_empty_chunks(settings, lock_conn, result)
        finally:
            driver.run(lock_conn, "storage_seal_unlock")
    result.seconds = time.perf_counter() - t0
    return result


def _drop_empty_chunks(
    settings: Settings | str | None, conn: driver.Connection, result: SealResult
) -> None:
    """Drop the hot chunks wholly before the edge that hold no row any more, one transaction per
    chunk (its lock is held only that long); a chunk that fails is named in result.errors and
    the others still go."""
    rows = driver.run(conn, "storage_empty_chunk_candidates", edge=result.edge)
    conn.commit()
    for chunk in [str(r["chunk"]) for r in rows]:

        def drop(c: driver.Connection, chunk: str = chunk) -> Any:
            return driver.run_scalar(c, "storage_drop_chunk_if_empty", chunk=chunk)

        try:
            freed = driver.in_transaction(settings, drop)
        except errors.SmfError as exc:
            result.errors.append(f"chunk {chunk} not dropped: {exc}")
            continue
        if freed is not None:
            result.chunks_dropped += 1
            result.bytes_freed += int(freed)


def status(settings: Settings | str | None = None) -> list[dict[str, Any]]:
    """One row per tier and rollup level: stored rows, intervals, bytes, bytes per interval,
    oldest and newest instant (smf.storage_status)."""
    with driver.connect(settings) as conn:
        return driver.run(conn, "storage_status")
