"""Benchmark of serving at load (issue 21 item 5): `smf serve` with 1 and 2 workers, side by side.

A scratch database of the local cluster gets the demo data (`smf demo`: 5 UCs, a month of
5-minute data, figures precomputed by the ingest and then by smf.uc_figures_refresh_stale).
Then, for each worker count (1, 2), a real `smf serve --workers N` on a loopback port and:

- series of meter 99000001 (12 channels, 5-minute data), meter-day (288 rows) and meter-month
  (the demo month), as JSON and CSV, at 1, 10 and 50 concurrent clients: requests/s, MB/s and
  p50/p95/p99 latency; against the COPY ceiling measured in the same run: the same bytes (the
  same query of smf.api_series, as the same role acting for the same account) fetched with
  COPY ... TO STDOUT by 2 parallel psycopg sessions, as fast as they go;
- the client home page /web/uc/{uc} (logged in through the login form with its CSRF token) at
  1, 10 and 50 clients, against /health at the same concurrency in the same run.

Each load level is bounded (--seconds and --requests per level). The load generator is a
minimal HTTP/1.1 keep-alive client on asyncio streams (one connection per client), so the
client's own cost stays small beside the server's on a 2-core machine; it runs in this process.

    .venv/bin/python bench/serve.py [--seconds 8] [--requests 2000] [--keep] [--only home]

`--only home` measures only the home page and its /health baseline (no series, no COPY ceiling).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import auth, series  # noqa: E402
from api.series import CHANNELS  # noqa: E402
from db import driver, figures  # noqa: E402
from db.cluster import Cluster  # noqa: E402
from db.settings import load  # noqa: E402

DB = "smf_serve_bench"
SERIAL = "99000001"  # the demo's Metalurgica Alfa: 12 channels, 5 minutes
CUSTOMER = "Metalurgica Alfa"
LEVELS = (1, 10, 50)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))] if xs else float("nan")


# --- a minimal HTTP/1.1 client -------------------------------------------------------------


class Conn:
    """One keep-alive HTTP/1.1 connection: GET or POST, the status, headers and whole body."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.r: asyncio.StreamReader | None = None
        self.w: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.r, self.w = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.w is not None:
            self.w.close()
            await self.w.wait_closed()

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.w is None:
            await self.open()
        assert self.r is not None and self.w is not None
        h = {"host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            h["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body:
            h["content-length"] = str(len(body))
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
        self.w.write(head.encode() + b"\r\n" + body)
        status_line = await self.r.readline()
        status = int(status_line.split()[1])
        out: dict[str, str] = {}
        while (line := await self.r.readline()) not in (b"\r\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if value in ('""', "") or "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            out[k] = v
        if "content-length" in out:
            data = await self.r.readexactly(int(out["content-length"]))
        elif out.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self.r.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.r.readline()
                    break
                parts.append(await self.r.readexactly(size))
                await self.r.readline()
            data = b"".join(parts)
        else:
            data = b""
        return status, out, data


@dataclass
class Level:
    latencies: list[float]
    wall: float
    size: int
    errors: dict[str, int]  # status (or "conn") -> count
    workers: set[str]

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


async def run_level(
    conns: list[Conn],
    path: str,
    headers: dict[str, str],
    seconds: float,
    max_requests: int,
) -> Level:
    """Every connection loops GET `path` until the time or the request budget is spent."""
    lat: list[float] = []
    size = 0
    errors: dict[str, int] = {}
    budget = max_requests
    workers: set[str] = set()
    stop_at = time.perf_counter() + seconds

    async def loop(c: Conn) -> None:
        nonlocal budget, size
        while budget > 0 and time.perf_counter() < stop_at:
            budget -= 1
            t0 = time.perf_counter()
            try:
                status, h, body = await c.request("GET", path, headers)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors["conn"] = errors.get("conn", 0) + 1
                await c.close()
                c.w = None
                continue
            lat.append(time.perf_counter() - t0)
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1
            size = len(body)
            workers.add(h.get("x-smf-worker", "?"))

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in conns))
    return Level(lat, time.perf_counter() - t0, size, errors, workers)


async def web_sessions(host: str, port: int, key: str, n: int) -> list[Conn]:
    """`n` connections, each logged in through the login form (its CSRF token, then POST)."""
    out = []
    for _ in range(n):
        c = Conn(host, port)
        status, _, page = await c.request("GET", "/web/login")
        m = re.search(rb'name="_csrf_token" value="([^"]+)"', page)
        assert status == 200 and m, status
        body = urlencode({"key": key, "_csrf_token": m.group(1).decode()}).encode()
        status, _, _ = await c.request(
            "POST",
            "/web/login",
            {"content-type": "application/x-www-form-urlencoded"},
            body,
        )
        assert status == 303 and "smf_web" in c.cookies, status
        out.append(c)
    return out


async def measure(
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    clients: int,
    args: argparse.Namespace,
    web_key: str | None = None,
) -> Level:
    conns = (
        await web_sessions(host, port, web_key, clients)
        if web_key
        else [Conn(host, port) for _ in range(clients)]
    )
    try:
        await run_level(conns[:2], path, headers, 1.0, 4)  # warm-up
        return await run_level(conns, path, headers, args.seconds, args.requests)
    finally:
        for c in conns:
            await c.close()


# --- the COPY ceiling ----------------------------------------------------------------------


def copy_statement(fmt: str, meter_id: int, lo: datetime, hi: datetime) -> sql.Composed:
    """COPY of the same bytes the API sends: the CSV rows (api_series_copy) or the JSON rows
    array (api_series_json or, for a long window, its parts), every channel in engineering
    units, UTC."""
    cols = ["bucket_start", *(c for c, _ in CHANNELS.values()), "quality", "completeness_pct"]
    names = ["bucket_start", *(f"{ch}_{u}" for ch, (_, u) in CHANNELS.items())]
    names += ["quality", "completeness_pct"]
    lits = {
        "meter_id": sql.Literal(meter_id),
        "lo": sql.Literal(lo),
        "hi": sql.Literal(hi),
        "resolution": sql.Literal("5m"),
        "tz": sql.Literal("UTC"),
        "pulses": sql.Literal(False),
    }
    if fmt == "csv":
        select = sql.SQL(driver.query("api_series_copy")).format(
            columns=sql.SQL(", ").join(
                sql.SQL("{} as {}").format(sql.Identifier(c), sql.Identifier(a))
                for c, a in zip(cols, names, strict=True)
            ),
            **lits,
        )
        return sql.SQL("copy ({}) to stdout with (format csv, header)").format(select)
    # the query the API runs for this window: one json_agg value, or the streamed parts
    long = series.estimate_rows(lo, hi, "5m") > series.STREAM_ROWS
    text = driver.query("api_series_json_parts" if long else "api_series_json")
    lits["part_rows"] = sql.Literal(series.PART_ROWS)
    for k in lits:
        text = text.replace(f"%({k})s", "{" + k + "}")
    select = sql.SQL(text.rstrip().rstrip(";")).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, cols)), **lits
    )
    return sql.SQL("copy ({}) to stdout").format(select)


def copy_ceiling(url: str, account: int, stmt: sql.Composed, seconds: float) -> tuple[float, int]:
    """Fetches/s of `stmt` by 2 parallel sessions (each its own connection, acting as smf_api
    for `account`, as the API's requests do), and the bytes of one fetch."""
    import psycopg

    counts = [0, 0]
    size = [0]
    stop_at = time.perf_counter() + seconds

    def session(i: int) -> None:
        with psycopg.connect(url) as conn:
            conn.execute(driver.query("api_enter"), {"account": account})
            conn.execute("set timezone = 'UTC'")
            while time.perf_counter() < stop_at:
                n = 0
                with conn.cursor() as cur, cur.copy(stmt) as copy:
                    for chunk in copy:
                        n += len(chunk)
                size[0] = n
                counts[i] += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=session, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - t0), size[0]


# --- set-up --------------------------------------------------------------------------------


def keys(settings: object) -> tuple[str, str, str, int]:
    """(client's UC code, client key, admin key, admin account id)."""
    with driver.connect(settings) as conn:  # type: ignore[arg-type]
        row = conn.execute(
            "select uc_code from smf.consumer_unit where customer_name = %s", (CUSTOMER,)
        ).fetchone()
        assert row is not None
        uc = str(row[0])
        # a reused database: the accounts of an earlier run go (with their keys and sessions)
        conn.execute("delete from smf.account where name like 'servebench%'")
        out = []
        for name, role in (("servebench_cli", "client"), ("servebench_adm", "admin")):
            driver.run(conn, "user_add", name=name, role=role, db_role=None)
            if role == "client":
                driver.run(conn, "user_scope_add", name=name, kind="uc", ref=uc)
            key_id, token, hash_ = auth.new_key()
            driver.run(conn, "user_key_add", name=name, key_id=key_id, hash=hash_, label="bench")
            out.append(token)
        adm = conn.execute("select id from smf.account where name = 'servebench_adm'").fetchone()
        assert adm is not None
    return uc, out[0], out[1], int(adm[0])


def start_server(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/smf"), "serve", "--workers", str(workers)],
        env={**env, "SMF_API_PORT": str(port)},
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    time.sleep(1.0)  # the second worker's pool
    return proc, port


def fmt_row(label: str, lv: Level, ceiling: float | None = None) -> str:
    ratio = f"{lv.rps / ceiling:.2f}" if ceiling else ""
    errs = " ".join(f"{n}x{k}" for k, n in sorted(lv.errors.items()))
    return (
        f"| {label} | {len(lv.latencies)} | {errs or 0} | {pct(lv.latencies, 50) * 1000:.0f} | "
        f"{pct(lv.latencies, 95) * 1000:.0f} | {pct(lv.latencies, 99) * 1000:.0f} | "
        f"{lv.rps:.1f} | {lv.rps * lv.size / 1e6:.1f} | {ratio} | {len(lv.workers)} | "
        f"{os.getloadavg()[0]:.2f} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=8.0, help="time bound per level")
    ap.add_argument("--requests", type=int, default=2000, help="request bound per level")
    ap.add_argument("--pool", type=int, default=10, help="SMF_API_POOL_SIZE (per worker)")
    ap.add_argument("--workers", default="1,2", help="worker counts to compare")
    ap.add_argument("--db-wait", type=float, default=30.0, help="SMF_API_DB_WAIT_S of the server")
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    ap.add_argument("--reuse", action="store_true", help="reuse a kept scratch database")
    ap.add_argument(
        "--only",
        choices=("all", "series", "home"),
        default="all",
        help="measure only the series requests or only the home page (with /health)",
    )
    args = ap.parse_args()

    base = load()
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    settings = base.with_database(DB)
    admin = base.with_database("postgres").url
    env = {
        **os.environ,
        "SMF_PG_DATABASE": DB,
        "SMF_API_POOL_SIZE": str(args.pool),
        # a saturated server queues requests for a connection; the bench measures throughput,
        # so they wait up to --db-wait s before a 503 (the default is 5 s)
        "SMF_API_DB_WAIT_S": str(args.db_wait),
    }
    if not args.reuse:
        driver.create_database(admin, DB, replace=True)
        t0 = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv/bin/smf"), "demo"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(f"demo data loaded in {time.perf_counter() - t0:.0f} s")
    os.environ["SMF_PG_DATABASE"] = DB
    print("figures refreshed:", figures.refresh_stale())
    uc, cli_key, adm_key, adm_id = keys(settings)
    with driver.connect(settings) as conn:
        row = conn.execute(
            "select m.id, min(r.bucket), max(r.bucket) from smf.meter m"
            " join smf.rollup_day r on r.meter_id = m.id where m.serial = %s group by m.id",
            (SERIAL,),
        ).fetchone()
    assert row is not None
    meter_id, first_day, last_day = row
    # local days (-03:00) as UTC instants: a day in the middle, and the demo month
    day_lo = datetime.fromisoformat(f"{first_day + timedelta(days=14)}T03:00:00+00:00")
    month_lo = datetime.fromisoformat(f"{first_day}T03:00:00+00:00")
    month_hi = datetime.fromisoformat(f"{last_day + timedelta(days=1)}T03:00:00+00:00")
    windows = {
        "meter-day": (day_lo, day_lo + timedelta(days=1)),
        "meter-month": (month_lo, month_hi),
    }
    svc_url = settings.as_service("api").url

    print(
        f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
        f"(1/5/15 min) on {os.cpu_count()} cores; bounds {args.seconds:.0f} s / "
        f"{args.requests} requests per level; pool {args.pool} per worker\n"
    )

    def measure_ceilings() -> dict[tuple[str, str], tuple[float, int]]:
        out = {}
        la = os.getloadavg()[0]
        print(
            f"COPY ceiling (2 parallel psycopg sessions, the API's query and role; "
            f"load {la:.2f}):\n"
        )
        print("| series | format | fetches/s | MB/s | bytes |")
        print("| --- | --- | --- | --- | --- |")
        for win, (lo, hi) in windows.items():
            for fmt in ("json", "csv"):
                rate, size = copy_ceiling(
                    svc_url, adm_id, copy_statement(fmt, meter_id, lo, hi), args.seconds
                )
                out[win, fmt] = (rate, size)
                print(f"| {win} | {fmt} | {rate:.1f} | {rate * size / 1e6:.1f} | {size:,} |")
        return out

    host = "127.0.0.1"
    adm_headers = {"authorization": f"Bearer {adm_key}"}
    for workers in (int(w) for w in args.workers.split(",")):
        print()
        # again before each server: the machine's load moves
        ceilings = measure_ceilings() if args.only != "home" else {}
        proc, port = start_server(env, workers)
        try:
            print(f"\n### smf serve --workers {workers} (pool {args.pool} per worker)\n")
            print(
                "| request | clients | requests | errors | p50 ms | p95 ms | p99 ms | "
                "requests/s | MB/s | x COPY ceiling | workers seen | load 1 min |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            for win, (lo, hi) in windows.items() if args.only != "home" else ():
                for fmt in ("json", "csv"):
                    q = urlencode(
                        {"from": lo.isoformat(), "to": hi.isoformat(), "format": fmt, "tz": "UTC"}
                    )
                    path = f"/api/v1/meters/{SERIAL}/intervals?{q}"
                    for clients in LEVELS:
                        lv = asyncio.run(measure(host, port, path, adm_headers, clients, args))
                        if lv.size != ceilings[win, fmt][1] and fmt == "csv":
                            print(f"(note: API {lv.size} bytes, COPY {ceilings[win, fmt][1]})")
                        label = f"{win} {fmt}"
                        print(
                            fmt_row(
                                label.replace(" ", " ") + f" | {clients}", lv, ceilings[win, fmt][0]
                            )
                        )
            for clients in LEVELS if args.only != "series" else ():
                for label, path, key in (
                    ("/health (baseline)", "/health", cli_key),
                    (f"home /web/uc/{uc}", f"/web/uc/{uc}", cli_key),
                ):
                    lv = asyncio.run(measure(host, port, path, {}, clients, args, web_key=key))
                    print(fmt_row(f"{label} | {clients}", lv))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    la = os.getloadavg()
    print(f"\nload at the end: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}")
    if not args.keep:
        driver.drop_database(admin, DB)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
