"""On-demand reads: the API queues (202 + id), a poller claims through poller/read_requests.py
(woken by NOTIFY), completes, and the API shows the status and result."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from poller import read_requests


@pytest.mark.slow
def test_queue_claim_complete_through_the_api(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("ana")
    r = client.post("/api/v1/meters/M-A1/reads", json={"kind": "registers"}, headers=h)
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "queued" and body["kind"] == "registers"
    assert r.headers["location"] == f"/api/v1/reads/{body['id']}"
    claimed = read_requests.claim(seed.settings, "poller-a")
    assert [(c.id, c.serial, c.kind) for c in claimed] == [(body["id"], "M-A1", "registers")]
    assert read_requests.claim(seed.settings, "poller-b") == []  # never claimed twice
    got = client.get(f"/api/v1/reads/{body['id']}", headers=h).json()
    assert got["status"] == "running"
    assert not read_requests.complete(seed.settings, body["id"], "poller-b", ok=True)
    assert read_requests.complete(
        seed.settings, body["id"], "poller-a", ok=True, result={"intervals_read": 12}
    )
    got = client.get(f"/api/v1/reads/{body['id']}", headers=h).json()
    assert got["status"] == "done" and got["result"] == {"intervals_read": 12}
    # the status of a request on a meter outside the scope is not found
    assert (
        client.get(f"/api/v1/reads/{body['id']}", headers=seed.headers("other")).status_code == 404
    )


@pytest.mark.slow
def test_a_stale_claim_is_taken_over(fresh: Any) -> None:
    seed, client = fresh
    rid = client.post("/api/v1/meters/M-B1/reads", headers=seed.headers("root")).json()["id"]
    assert [c.id for c in read_requests.claim(seed.settings, "dead")] == [rid]
    assert read_requests.claim(seed.settings, "alive", stale_s=600) == []
    assert [c.id for c in read_requests.claim(seed.settings, "alive", stale_s=0)] == [rid]
    assert not read_requests.complete(seed.settings, rid, "dead", ok=True)


@pytest.mark.slow
def test_serve_is_woken_by_notify_and_records_failures(fresh: Any) -> None:
    seed, client = fresh
    seen: list[str] = []

    async def read_one(req: read_requests.ReadRequest) -> dict[str, Any]:
        seen.append(req.serial)
        if req.serial == "M-B1":
            raise ConnectionError("meter did not answer")
        return {"serial": req.serial}

    async def scenario() -> None:
        stop = asyncio.Event()
        # poll_s is far longer than the test: only NOTIFY can wake the loop in time
        task = asyncio.create_task(
            read_requests.serve(seed.settings, "svc-1", read_one, stop, poll_s=3600)
        )
        await asyncio.sleep(0.5)  # the loop found nothing and waits
        ids = [
            await asyncio.to_thread(
                lambda s=s: client.post(
                    f"/api/v1/meters/{s}/reads", headers=seed.headers("root")
                ).json()["id"]
            )
            for s in ("M-A1", "M-B1")
        ]
        deadline = time.monotonic() + 30
        statuses: list[str] = []
        while time.monotonic() < deadline:
            statuses = [
                await asyncio.to_thread(
                    lambda i=i: client.get(
                        f"/api/v1/reads/{i}", headers=seed.headers("root")
                    ).json()["status"]
                )
                for i in ids
            ]
            if "queued" not in statuses and "running" not in statuses:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await task
        assert statuses == ["done", "failed"]
        failed = client.get(f"/api/v1/reads/{ids[1]}", headers=seed.headers("root")).json()
        assert failed["error"] == "meter did not answer"

    asyncio.run(scenario())
    assert seen == ["M-A1", "M-B1"]


@pytest.mark.slow
def test_reads_are_refused_for_clients_and_retired_meters(fresh: Any) -> None:
    seed, client = fresh
    assert client.post("/api/v1/meters/M-A1/reads", headers=seed.headers("cli")).status_code == 403
    h = seed.headers("root")
    assert client.post("/api/v1/meters/M-A1/retire", headers=h).status_code == 200
    r = client.post("/api/v1/meters/M-A1/reads", headers=h)
    assert r.status_code == 422 and "retired" in r.json()["detail"]
    assert client.post("/api/v1/meters/NOPE/reads", headers=h).status_code == 404
