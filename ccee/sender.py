"""The sender: claim due UC-days in the database, build, check, post, record every attempt.

Delivery guarantee. Claims are taken with FOR UPDATE SKIP LOCKED and a lease (smf.ccee_claim),
so two senders never hold the same UC-day and never post it concurrently. Each outcome is
recorded (and committed) as soon as CCEE answers. A sender killed between CCEE's answer and the
record leaves a claim that is retried when its lease lapses, or at once when a sender restarts on
the same host and finds the holder's process gone: that UC-day is then posted again with the same
payload (same hash), which CCEE treats as a replacement of identical values. So: every UC-day is
recorded accepted exactly once per payload, and posted at least once; a second post can only
carry identical bytes.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from ccee import payload
from ccee.client import CceeClient, Result
from db import driver, errors
from db.settings import CceeSettings, Settings

log = logging.getLogger("smf.ccee")
BRT = timezone(timedelta(hours=-3))


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Report:
    claimed: int = 0
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    held: int = 0
    unchanged: int = 0
    build_s: float = 0.0
    http_s: float = 0.0
    record_s: float = 0.0
    held_reasons: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in ("claimed", "accepted", "rejected", "failed", "held", "unchanged")
        }

    def add(self, other: Report) -> None:
        for k in ("claimed", "accepted", "rejected", "failed", "held", "unchanged"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.build_s += other.build_s
        self.http_s += other.http_s
        self.record_s += other.record_s
        for k, v in other.held_reasons.items():
            self.held_reasons[k] = self.held_reasons.get(k, 0) + v


@dataclass(frozen=True)
class Job:
    """One claimed UC-day, built: its payload, or why it is held."""

    uc_id: int
    uc_code: str
    day: date
    attempt: int
    trigger: str
    accepted_hash: str | None
    fingerprint: str
    payload: payload.Payload | None
    reasons: list[dict[str, str]]
    warnings: list[dict[str, str]]


def release_dead_claims(db: Settings | str | None = None) -> int:
    """Give back the claims of senders on this host whose process is gone (a restart after a
    crash or kill -9), so their UC-days are retried now rather than when the lease lapses."""
    host = socket.gethostname()
    with driver.connect(db) as conn:
        holders = [
            r["claimed_by"] for r in driver.run(conn, "ccee_claim_holders", prefix=f"{host}:")
        ]
        dead = []
        for h in holders:
            pid = h.rsplit(":", 1)[1]
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                dead.append(h)
            except PermissionError:
                pass
        if not dead:
            return 0
        return int(driver.run_scalar(conn, "ccee_release_claims", holders=dead))


def enqueue(
    db: Settings | str | None, first: date, last: date, now: datetime | None = None
) -> dict[str, int]:
    with driver.connect(db) as conn:
        row = driver.run_one(conn, "ccee_enqueue", first=first, last=last, now=now)
    assert row is not None
    return {k: int(v) for k, v in row.items()}


def build_jobs(
    conn: driver.Connection, claimed: list[dict[str, Any]], now: datetime | None
) -> list[Job]:
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for c in claimed:
        by_day[c["day"]].append(c)
    jobs = []
    for day, items in sorted(by_day.items()):
        rows = {
            r["consumer_unit_id"]: r
            for r in driver.run(
                conn,
                "ccee_build",
                uc_ids=[c["consumer_unit_id"] for c in items],
                day=day,
                now=now or datetime.now(UTC_),
            )
        }
        for c in items:
            r = rows[c["consumer_unit_id"]]
            reasons = list(r["reasons"] or [])
            p = None
            if not reasons:
                p = payload.build(
                    r["uc_code"], r["agent_code"], day, r["stamps"], r["wh"], r["tipos"]
                )
            jobs.append(
                Job(
                    c["consumer_unit_id"],
                    c["uc_code"],
                    day,
                    c["attempt"],
                    c["trigger"],
                    c["accepted_hash"],
                    r["fingerprint"],
                    p,
                    reasons,
                    list(r["warnings"] or []),
                )
            )
    return jobs


UTC_ = UTC


class Sender:
    """Claims and sends due UC-days for one holder, `concurrency` posts in flight."""

    def __init__(
        self,
        db: Settings | str | None,
        client: CceeClient | None,
        ccee: CceeSettings,
        *,
        holder: str | None = None,
        now: Callable[[], datetime | None] = lambda: None,
    ) -> None:
        self.db = db
        self.client = client
        self.ccee = ccee
        self.holder = holder or holder_name()
        self.now = now
        self.pool = ThreadPoolExecutor(max(1, ccee.concurrency), thread_name_prefix="ccee-post")

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        if self.client is not None:
            self.client.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, *, batch: int = 50, max_batches: int | None = None) -> Report:
        """Claim and send until nothing is due (or max_batches batches)."""
        total = Report()
        n = 0
        while max_batches is None or n < max_batches:
            with driver.connect(self.db) as conn:
                claimed = driver.run(
                    conn,
                    "ccee_claim",
                    holder=self.holder,
                    limit=batch,
                    lease_s=self.ccee.lease_s,
                    now=self.now(),
                )
            if not claimed:
                break
            total.add(self.process(claimed))
            n += 1
        return total

    def send_one(self, uc_code: str, day: date) -> Report:
        """An explicit send of one UC-day (any state; a day past its deadline is sent late)."""
        with driver.connect(self.db) as conn:
            claimed = driver.run(
                conn,
                "ccee_claim_one",
                uc_code=uc_code,
                day=day,
                holder=self.holder,
                lease_s=self.ccee.lease_s,
                now=self.now(),
            )
        return self.process(claimed)

    def send_days(self, pairs: Iterable[tuple[str, date]], *, batch: int = 50) -> Report:
        """Explicit sends of the given UC-days (skipping any another sender holds now)."""
        total = Report()
        chunk: list[dict[str, Any]] = []
        for uc_code, day in pairs:
            try:
                with driver.connect(self.db) as conn:
                    chunk += driver.run(
                        conn,
                        "ccee_claim_one",
                        uc_code=uc_code,
                        day=day,
                        holder=self.holder,
                        lease_s=self.ccee.lease_s,
                        now=self.now(),
                    )
            except errors.InvalidParameter as exc:
                log.warning("%s", exc)
            if len(chunk) >= batch:
                total.add(self.process(chunk))
                chunk = []
        if chunk:
            total.add(self.process(chunk))
        return total

    def process(self, claimed: list[dict[str, Any]]) -> Report:
        rep = Report(claimed=len(claimed))
        t0 = time.perf_counter()
        started = datetime.now(UTC_)
        with driver.connect(self.db) as conn:
            jobs = build_jobs(conn, claimed, self.now())
        rep.build_s += time.perf_counter() - t0
        to_send: list[Job] = []
        with driver.connect(self.db) as conn:
            for j in jobs:
                if j.reasons:
                    rep.held += 1
                    for r in j.reasons:
                        rep.held_reasons[r["code"]] = rep.held_reasons.get(r["code"], 0) + 1
                    self._record(conn, j, started, "held", None, None)
                elif j.payload is not None and j.payload.sha256 == j.accepted_hash:
                    rep.unchanged += 1
                    self._record(conn, j, started, "unchanged", None, None)
                else:
                    to_send.append(j)
            conn.commit()
        if not to_send:
            return rep
        assert self.client is not None, "a client is needed to send"
        client = self.client
        t1 = time.perf_counter()
        futures = [
            (j, self.pool.submit(client.submit, j.payload.body)) for j in to_send if j.payload
        ]
        with driver.connect(self.db) as conn:
            for j, fut in futures:
                res: Result = fut.result()
                t2 = time.perf_counter()
                setattr(rep, res.outcome, getattr(rep, res.outcome) + 1)
                self._record(conn, j, started, res.outcome, res.status, res.body)
                conn.commit()  # each outcome is durable as soon as it is known
                rep.record_s += time.perf_counter() - t2
        rep.http_s += time.perf_counter() - t1 - rep.record_s
        return rep

    def _record(
        self,
        conn: driver.Connection,
        j: Job,
        started: datetime,
        outcome: str,
        status: int | None,
        body: str | None,
    ) -> None:
        p = j.payload
        warning = "; ".join(w["message"] for w in j.warnings) or None
        moved = driver.run_scalar(
            conn,
            "ccee_record",
            uc_id=j.uc_id,
            day=j.day,
            holder=self.holder,
            attempt=j.attempt,
            trigger=j.trigger,
            started=started,
            hash=p.sha256 if p and outcome != "held" else None,
            body=p.body.decode() if p and outcome not in ("held", "unchanged") else None,
            status=status,
            response=body,
            outcome=outcome,
            reasons=json.dumps(j.reasons) if j.reasons else None,
            warning=warning if outcome != "held" else None,
            fingerprint=j.fingerprint,
            now=self.now(),
        )
        if not moved:
            log.warning("UC %s %s: claim lost before recording %s", j.uc_code, j.day, outcome)


def day_of_stamp(stamp: str) -> date:
    """The CCEE day a value belongs to, from its end stamp (with or without seconds)."""
    text = stamp.strip()
    if len(text) >= 16 and text[16:17] != ":":  # "YYYY-MM-DDTHH:MM-03:00": no seconds
        text = text[:16] + ":00" + text[16:]
    end = datetime.fromisoformat(text).astimezone(BRT)
    return (end - timedelta(minutes=5)).date()


def read_back(
    db: Settings | str | None, client: CceeClient, now: datetime | None = None
) -> dict[str, int]:
    """Fetch CCEE's verdicts of accepted UC-days not read since acceptance; keep them."""
    counts = {"ucs": 0, "days": 0, "consistida": 0, "rejeitada": 0}
    with driver.connect(db) as conn:
        due = driver.run(conn, "ccee_readback_due", now=now)
    for group in due:
        per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        rejected: dict[date, list[str]] = defaultdict(list)
        for v in client.read_back(group["uc_code"], group["first"], group["last"]):
            d = day_of_stamp(v["dataReferenciaConsumo"])
            ok = v.get("status") == "CONSISTIDA"
            per_day[d][0 if ok else 1] += 1
            if not ok:
                rejected[d].append(v["dataReferenciaConsumo"])
        with driver.connect(db) as conn:
            for d, (n_ok, n_rej) in per_day.items():
                driver.run(
                    conn,
                    "ccee_record_verdict",
                    uc_code=group["uc_code"],
                    day=d,
                    consistida=n_ok,
                    rejeitada=n_rej,
                    detail=json.dumps(rejected.get(d, [])),
                )
                counts["days"] += 1
                counts["consistida"] += n_ok
                counts["rejeitada"] += n_rej
        counts["ucs"] += 1
    return counts


def iter_days(first: date, last: date) -> Iterable[date]:
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)
