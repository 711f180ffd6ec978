"""Benchmark of the client web view (issue 12 §5, part 2): the home page of a UC
(/web/uc/{uc}: registration, partial bill of the cycle in progress, last-24-h demand, past bills)
at 10 concurrent clients (and 1, for reference) against `smf serve` on loopback, with /health
(one small query) as the baseline measured in the same run, at the same concurrency.

A scratch database of the local cluster gets the demo data (`smf demo`: 5 UCs, a month of
5-minute data); a client account scoped to one UC (--customer, default Metalurgica Alfa: 12
channels, 5 minutes) gets a key; each of the 10 clients logs
in through the login form (POST /web/login, the session cookie) and then loops until the time or
request budget of the level is spent (bounded: --seconds, --requests per level).

    .venv/bin/python bench/web.py [--clients 10] [--seconds 20] [--requests 400] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import auth  # noqa: E402
from db import driver  # noqa: E402
from db.cluster import Cluster  # noqa: E402
from db.settings import load  # noqa: E402

DB = "smf_web_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def client_key(settings: object, customer: str) -> tuple[str, str]:
    """A client account scoped to the demo UC of `customer`: (UC code, API key)."""
    with driver.connect(settings) as conn:  # type: ignore[arg-type]
        row = conn.execute(
            "select uc_code from smf.consumer_unit where customer_name = %s", (customer,)
        ).fetchone()
        assert row is not None
        uc = str(row[0])
        driver.run(conn, "user_add", name="webbench", role="client", db_role=None)
        driver.run(conn, "user_scope_add", name="webbench", kind="uc", ref=uc)
        key_id, token, hash_ = auth.new_key()
        driver.run(conn, "user_key_add", name="webbench", key_id=key_id, hash=hash_, label="bench")
    return uc, token


async def level(
    url: str, key: str, path: str, clients: int, seconds: float, max_requests: int
) -> tuple[list[float], float, int]:
    """Latencies (s), wall time and the last body size: `clients` logged-in sessions, each its
    own connection, loop over GET `path` until the time or the request budget is spent."""
    lat: list[float] = []
    size = 0
    budget = max_requests
    sessions = [httpx.AsyncClient(base_url=url, timeout=60) for _ in range(clients)]
    try:
        for s in sessions:  # log in through the form, as a browser does
            r = await s.post("/web/login", data={"key": key})
            assert r.status_code == 303, (r.status_code, r.text[:200])
        stop_at = time.perf_counter() + seconds

        async def worker(s: httpx.AsyncClient) -> None:
            nonlocal budget, size
            while budget > 0 and time.perf_counter() < stop_at:
                budget -= 1
                t0 = time.perf_counter()
                r = await s.get(path)
                lat.append(time.perf_counter() - t0)
                assert r.status_code == 200, (path, r.status_code, r.text[:200])
                size = len(r.content)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(s) for s in sessions))
        wall = time.perf_counter() - t0
    finally:
        for s in sessions:
            await s.aclose()
    return lat, wall, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=20.0, help="time bound per level")
    ap.add_argument("--requests", type=int, default=400, help="request bound per level")
    ap.add_argument(
        "--customer", default="Metalurgica Alfa", help="demo UC (12 channels, 5 minutes)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = ap.parse_args()

    base = load()
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    settings = base.with_database(DB)
    admin = base.with_database("postgres").url
    driver.create_database(admin, DB, replace=True)
    env = {**os.environ, "SMF_PG_DATABASE": DB}
    proc = None
    try:
        t0 = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv/bin/smf"), "demo"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(f"demo data loaded in {time.perf_counter() - t0:.0f} s")
        uc, key = client_key(settings, args.customer)
        port = free_port()
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/smf"), "serve"],
            env={**env, "SMF_API_PORT": str(port), "SMF_API_POOL_SIZE": "20"},
        )
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        print(
            f"smf serve on {url} (1 worker, pool 20); {args.clients} clients logged in through "
            f"/web/login; bounds {args.seconds:.0f} s / {args.requests} requests per level\n"
        )
        print("| page | clients | requests | p50 ms | p95 ms | max ms | requests/s | bytes |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        p95 = {}
        for clients in (1, args.clients):
            for name, path in (
                ("/health (baseline)", "/health"),
                (f"/web/uc/{uc}", f"/web/uc/{uc}"),
            ):
                asyncio.run(level(url, key, path, 2, 2, 4))  # warm-up
                lat, wall, size = asyncio.run(
                    level(url, key, path, clients, args.seconds, args.requests)
                )
                p95[path, clients] = pct(lat, 95)
                print(
                    f"| {name} | {clients} | {len(lat)} | {pct(lat, 50) * 1000:.0f} | "
                    f"{p95[path, clients] * 1000:.0f} | {max(lat) * 1000:.0f} | "
                    f"{len(lat) / wall:.1f} | {size:,} |"
                )
        ratio = p95[f"/web/uc/{uc}", args.clients] / p95["/health", args.clients]
        print(f"\nhome page p95 / /health p95 at {args.clients} clients: {ratio:.1f}x")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        if not args.keep:
            driver.drop_database(admin, DB)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
