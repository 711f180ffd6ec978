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
FLUSH_EVERY = 25  # outcomes recorded per transaction, at most
FLUSH_S = 0.25  # and at most this old


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
    # (uc_code, day, outcome, reason) of each held, rejected or failed UC-day, for the operator
    problems: list[tuple[str, date, str, str]] = field(default_factory=list)

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
        self.problems.extend(other.problems)


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
    agent_code: int | None = None  # the UC's distributor: the request's codigoAgente header


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
                    r["agent_code"],
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
        """Claim and send until nothing is due (or max_batches batches). The next batch is
        claimed and built while the posts of the current one are in flight."""
        total = Report()
        n = 0
        inflight: tuple[Report, list[tuple[Job, Any]], list[dict[str, Any]]] | None = None
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
            started = self.start(claimed)
            if inflight is not None:
                total.add(self.finish(*inflight))
            inflight = started
            n += 1
        if inflight is not None:
            total.add(self.finish(*inflight))
        return total

    def run_through_outages(
        self, *, batch: int = 50, outage_s: float = 120.0, pause_s: float = 0.5
    ) -> Report:
        """run(), carrying on across a database outage (a restart, a failover to a standby):
        when the database goes away mid-run, wait for it (at most `outage_s` in all, retrying
        every `pause_s` doubled up to 5 s), give back this sender's own claims (outcomes it
        could not record: those UC-days are posted again with the same bytes, as after a
        sender restart) and run again. Raises DatabaseUnavailable after `outage_s`."""
        total = Report()
        waited = 0.0
        while True:
            try:
                total.add(self.run(batch=batch))
                return total
            except errors.DatabaseUnavailable as exc:
                log.warning("database unavailable while sending (%s); waiting for it", exc)
                delay = pause_s
                while True:
                    if waited > outage_s:
                        raise
                    time.sleep(delay)
                    waited += delay
                    delay = min(delay * 2, 5.0)
                    try:
                        with driver.connect(self.db) as conn:
                            back = driver.run_scalar(
                                conn, "ccee_release_claims", holders=[self.holder]
                            )
                    except errors.DatabaseUnavailable:
                        continue
                    log.warning("database back after %.1f s; %d claims given back", waited, back)
                    break

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
        return self.finish(*self.start(claimed))

    def start(
        self, claimed: list[dict[str, Any]]
    ) -> tuple[Report, list[tuple[Job, Any]], list[dict[str, Any]]]:
        """Build the claimed UC-days, record holds and unchanged ones, start the posts."""
        rep = Report(claimed=len(claimed))
        t0 = time.perf_counter()
        started = datetime.now(UTC_)
        with driver.connect(self.db) as conn:
            jobs = build_jobs(conn, claimed, self.now())
        rep.build_s += time.perf_counter() - t0
        to_send: list[Job] = []
        pending: list[dict[str, Any]] = []
        for j in jobs:
            if j.reasons:
                rep.held += 1
                for r in j.reasons:
                    rep.held_reasons[r["code"]] = rep.held_reasons.get(r["code"], 0) + 1
                rep.problems.append(
                    (
                        j.uc_code,
                        j.day,
                        "held",
                        "; ".join(f"{r['code']}: {r['message']}" for r in j.reasons),
                    )
                )
                pending.append(self._item(j, started, "held", None, None))
            elif j.payload is not None and j.payload.sha256 == j.accepted_hash:
                rep.unchanged += 1
                pending.append(self._item(j, started, "unchanged", None, None))
            else:
                to_send.append(j)
        t1 = time.perf_counter()
        self._flush(pending)
        rep.record_s += time.perf_counter() - t1
        if to_send:
            assert self.client is not None, "a client is needed to send"
        client = self.client
        futures = [
            (j, self.pool.submit(client.submit, j.payload.body, j.agent_code))  # type: ignore[union-attr]
            for j in to_send
            if j.payload
        ]
        return rep, futures, [{"started": started}]

    def finish(
        self, rep: Report, futures: list[tuple[Job, Any]], ctx: list[dict[str, Any]]
    ) -> Report:
        """Collect the posts' outcomes and record them."""
        started = ctx[0]["started"]
        pending: list[dict[str, Any]] = []
        t1 = time.perf_counter()
        record0 = rep.record_s
        last_flush = time.monotonic()
        for j, fut in futures:
            res: Result = fut.result()
            setattr(rep, res.outcome, getattr(rep, res.outcome) + 1)
            if res.outcome in ("rejected", "failed"):
                rep.problems.append(
                    (j.uc_code, j.day, res.outcome, reason_text(res.status, res.body))
                )
            pending.append(self._item(j, started, res.outcome, res.status, res.body))
            # Outcomes are committed in small groups (at most FLUSH_EVERY or FLUSH_S old): a
            # sender killed before a flush re-posts those UC-days with the same bytes later.
            if len(pending) >= FLUSH_EVERY or time.monotonic() - last_flush > FLUSH_S:
                t2 = time.perf_counter()
                self._flush(pending)
                rep.record_s += time.perf_counter() - t2
                last_flush = time.monotonic()
        t2 = time.perf_counter()
        self._flush(pending)
        rep.record_s += time.perf_counter() - t2
        rep.http_s += time.perf_counter() - t1 - (rep.record_s - record0)
        return rep

    def _item(
        self, j: Job, started: datetime, outcome: str, status: int | None, body: str | None
    ) -> dict[str, Any]:
        p = j.payload
        warning = "; ".join(w["message"] for w in j.warnings) or None
        return {
            "uc": j.uc_id,
            "day": j.day.isoformat(),
            "holder": self.holder,
            "attempt": j.attempt,
            "trigger": j.trigger,
            "started": started.isoformat(),
            "hash": p.sha256 if p and outcome != "held" else None,
            "body": p.body.decode() if p and outcome not in ("held", "unchanged") else None,
            "status": status,
            "response": body,
            "outcome": outcome,
            "reasons": j.reasons or None,
            "warning": warning if outcome != "held" else None,
            "fingerprint": j.fingerprint,
        }

    def _flush(self, pending: list[dict[str, Any]]) -> None:
        if not pending:
            return
        with driver.connect(self.db) as conn:
            moved = driver.run_scalar(
                conn, "ccee_record_batch", items=json.dumps(pending), now=self.now()
            )
        if moved != len(pending):
            log.warning(
                "%d of %d outcomes found their claim lost", len(pending) - moved, len(pending)
            )
        pending.clear()


def reason_text(status: int | None, body: str | None) -> str:
    """One line from CCEE's answer (the same words as smf.ccee_reason_text): `CODE: message` from
    a JSON error body, else the HTTP status and the start of the body."""
    try:
        doc = json.loads(body or "")
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        code = doc.get("error") or doc.get("codigo") or doc.get("code")
        msg = doc.get("message") or doc.get("mensagem") or doc.get("detail")
        if code or msg:
            return ": ".join(str(x) for x in (code, msg) if x)
    text = " ".join((body or "").split())[:200]
    return " ".join(x for x in (f"HTTP {status}" if status else "no answer", text) if x)


def day_of_stamp(stamp: str) -> date:
    """The CCEE day a value belongs to, from its end stamp (with or without seconds: the
    fromisoformat of Python 3.11+ reads "YYYY-MM-DDTHH:MM-03:00" too)."""
    end = datetime.fromisoformat(stamp.strip()).astimezone(BRT)
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
        for v in client.read_back(
            group["uc_code"], group["first"], group["last"], group.get("agent_code")
        ):
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
