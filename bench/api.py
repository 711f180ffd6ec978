"""Benchmark of the REST API served by `smf serve` on loopback.

One meter-month of 5-minute data (31 days = 8,928 intervals, 3 channels) in a scratch database
of the local cluster; `smf serve` runs as a subprocess; a bounded load loop (at most --seconds
per level and --requests per level) asks GET /api/v1/meters/{serial}/intervals for the month as
JSON and as CSV at 1, 10 and 50 concurrent clients and prints p50/p99 latency and throughput.
Then the streamed CSV export in rows/s against `psql \\copy` of the same rows (the same
function, columns and time zone), as a ratio measured in the same run.

    .venv/bin/python bench/api.py [--seconds 15] [--requests 500] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import auth  # noqa: E402
from db import driver, ingest, migrate  # noqa: E402
from db.cluster import Cluster  # noqa: E402
from db.settings import load  # noqa: E402

DB = "smf_api_bench"
SERIAL = "BENCH0001"
START = datetime(2026, 10, 1, 3, tzinfo=UTC)  # 2026-10-01 00:00 at -03:00
ROWS = 31 * 288
PARAMS = {"from": "2026-10-01T03:00:00Z", "to": "2026-11-01T03:00:00Z", "tz": "UTC"}


def setup(settings: object) -> str:
    """Migrate the scratch database, load the meter-month, make an admin key; return the key."""
    migrate.upgrade(settings)  # type: ignore[arg-type]
    lines = ["meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh,reactive_cap_fwd_kvarh"]
    for i in range(ROWS):
        ts = (START + timedelta(minutes=5 * i)).isoformat()
        lines.append(f"{SERIAL},{ts},{(i % 97) / 1000:.3f},{(i % 13) / 1000:.3f},0.000")
    with driver.connect(settings) as conn:  # type: ignore[arg-type]
        conn.execute("insert into smf.meter (serial, max_power_kw) values (%s, 1000)", (SERIAL,))
        ingest.ingest_csv_stream(conn, io.BytesIO(("\n".join(lines) + "\n").encode()))
        driver.run(conn, "user_add", name="bench", role="admin", db_role=None)
        key_id, token, hash_ = auth.new_key()
        driver.run(conn, "user_key_add", name="bench", key_id=key_id, hash=hash_, label="bench")
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def level(
    url: str, key: str, fmt: str, clients: int, seconds: float, max_requests: int
) -> tuple[list[float], float, int]:
    """Latencies (s), wall time and bytes of one load level: `clients` loops until the time or
    the request budget is spent."""
    lat: list[float] = []
    size = 0
    budget = max_requests
    stop_at = time.perf_counter() + seconds
    params = {**PARAMS, "format": fmt}
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def worker() -> None:
            nonlocal budget, size
            while budget > 0 and time.perf_counter() < stop_at:
                budget -= 1
                t0 = time.perf_counter()
                r = await client.get(
                    f"/api/v1/meters/{SERIAL}/intervals", params=params, headers=headers
                )
                lat.append(time.perf_counter() - t0)
                r.raise_for_status()
                size = len(r.content)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - t0
    return lat, wall, size


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def psql_copy(url: str, meter_id: int, repeat: int) -> float:
    """Best wall time of `psql -c "\\copy (...) to /dev/null csv header"` of the same rows."""
    sql = (
        "\\copy (select bucket_start, active_fwd as active_fwd_kwh, reactive_ind_fwd as "
        "reactive_ind_fwd_kvarh, reactive_cap_fwd as reactive_cap_fwd_kvarh, quality, "
        f"completeness_pct from smf.api_series({meter_id}, '{PARAMS['from']}', "
        f"'{PARAMS['to']}', '5m', 'UTC', false)) to '/dev/null' with (format csv, header)"
    )
    best = float("inf")
    env = {**os.environ, "PGTZ": "UTC"}
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(["psql", url, "-q", "-c", sql], check=True, env=env)
        best = min(best, time.perf_counter() - t0)
    return best


async def csv_once(url: str, key: str) -> float:
    params = {**PARAMS, "format": "csv", "channels": "active_fwd,reactive_ind_fwd,reactive_cap_fwd"}
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        t0 = time.perf_counter()
        n = 0
        async with client.stream(
            "GET",
            f"/api/v1/meters/{SERIAL}/intervals",
            params=params,
            headers={"Authorization": f"Bearer {key}"},
        ) as r:
            r.raise_for_status()
            async for chunk in r.aiter_bytes():
                n += chunk.count(b"\n")
        wall = time.perf_counter() - t0
    assert n == ROWS + 1, n
    return wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=15.0, help="time bound per level")
    ap.add_argument("--requests", type=int, default=500, help="request bound per level")
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = ap.parse_args()

    base = load()
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    settings = base.with_database(DB)
    admin = base.with_database("postgres").url
    driver.create_database(admin, DB, replace=True)
    proc = None
    try:
        key = setup(settings)
        with driver.connect(settings) as conn:
            meter_id = conn.execute(
                "select id from smf.meter where serial = %s", (SERIAL,)
            ).fetchone()[0]  # type: ignore[index]
        port = free_port()
        env = {
            **os.environ,
            "SMF_PG_DATABASE": DB,
            "SMF_API_PORT": str(port),
            "SMF_API_POOL_SIZE": "20",
        }
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/smf"), "serve"],
            env=env,
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
            f"meter-month: {ROWS} rows of 5-minute data, 3 channels; smf serve on {url} "
            f"(1 worker, pool 20); bounds {args.seconds:.0f} s / {args.requests} requests "
            "per level\n"
        )
        print("| format | clients | requests | p50 ms | p99 ms | requests/s | rows/s | bytes |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for fmt in ("json", "csv"):
            asyncio.run(level(url, key, fmt, 1, 2, 3))  # warm-up
            for clients in (1, 10, 50):
                lat, wall, size = asyncio.run(
                    level(url, key, fmt, clients, args.seconds, args.requests)
                )
                rps = len(lat) / wall
                print(
                    f"| {fmt} | {clients} | {len(lat)} | {pct(lat, 50) * 1000:.0f} | "
                    f"{pct(lat, 99) * 1000:.0f} | {rps:.1f} | {rps * ROWS:,.0f} | {size:,} |"
                )
        api = [asyncio.run(csv_once(url, key)) for _ in range(5)]
        best_api = min(api)
        best_psql = psql_copy(settings.url, meter_id, 5)
        print(
            f"\nstreamed CSV, one client, best of 5: API {best_api * 1000:.1f} ms "
            f"({ROWS / best_api:,.0f} rows/s); psql \\copy of the same rows "
            f"{best_psql * 1000:.1f} ms ({ROWS / best_psql:,.0f} rows/s; includes psql start "
            f"and connect); ratio API/psql = {best_psql / best_api:.2f} "
            f"(median API {statistics.median(api) * 1000:.1f} ms)"
        )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(15)
        driver.dispose_all()
        if not args.keep:
            driver.drop_database(admin, DB)
    return 0


if __name__ == "__main__":
    sys.exit(main())
