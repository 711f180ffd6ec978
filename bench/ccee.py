"""CCEE bench: build and send 1,000 UC-days (288 values each) to our emulator on loopback.

A scratch database (smf_bench_ccee on the configured server, migrated from scratch) gets N UCs
(default 100) in the retail model with D days (default 10) of 5-minute data before today; the
emulator runs in its own process (strict validation of every body). Three runs, same data:
1. baseline "build only": smf.ccee_build (SQL) + ccee.payload.build for every UC-day, no HTTP;
2. baseline "HTTP only": the same prebuilt body posted N x D times through ccee.client
   (token, headers, rate limit off), `--concurrency` requests in flight, no database;
3. the real thing: smf.ccee_enqueue + the sender (claim with SKIP LOCKED, build, check, post,
   record each attempt in the ledger).
Prints UC-days per second, CPU per UC-day (this process; the emulator's process separately; the
PostgreSQL server is not counted), and the split between building, HTTP and recording.

Usage: .venv/bin/python bench/ccee.py [--ucs 100] [--days 10] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from ccee import payload, sender  # noqa: E402
from ccee.client import CceeClient  # noqa: E402
from db import driver, migrate  # noqa: E402
from db.cluster import Cluster  # noqa: E402
from db.settings import CceeSettings, Secret, load  # noqa: E402

DB = "smf_bench_ccee"


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def setup(url: str, n_ucs: int, n_days: int) -> list:
    with psycopg.connect(url, autocommit=True) as conn:
        today = conn.execute("select smf.ccee_today(now())").fetchone()[0]
        days = [today - timedelta(days=n_days - i) for i in range(n_days)]
        dist = conn.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
            " values (8888, '888', 'Bench') returning id"
        ).fetchone()[0]
        batch = conn.execute(
            "insert into smf.ingest_batch (source) values ('import') returning id"
        ).fetchone()[0]
        for i in range(1, n_ucs + 1):
            meter = conn.execute(
                "insert into smf.meter (serial, interval_minutes) values (%s, 5) returning id",
                (f"B{i}",),
            ).fetchone()[0]
            uc = conn.execute(
                "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
                " tariff_group, modality, musd_kw, supply_voltage_kv, main_meter_id)"
                " values (smf.uc_code_with_check_digits(%s, 888), %s, 'B', 'SE/CO', 'A4', 'verde',"
                " 5000, 13.8, %s) returning id",
                (i, dist, meter),
            ).fetchone()[0]
            if i % 2:
                conn.execute(
                    "insert into smf.transformer_loss values (%s, '[2020-01-01,)', 0.025)", (uc,)
                )
            conn.execute(
                "insert into smf.ccee_retail_uc (consumer_unit_id, valid_during)"
                " values (%s, daterange(%s, null))",
                (uc, days[0]),
            )
            t0 = datetime(days[0].year, days[0].month, days[0].day, 3, tzinfo=UTC)
            with (
                conn.cursor() as cur,
                cur.copy(
                    "copy smf.interval_reading (meter_id, ts, active_fwd_wh, quality, batch_id)"
                    " from stdin"
                ) as cp,
            ):
                for k in range(288 * n_days):
                    cp.write_row(
                        (
                            meter,
                            t0 + timedelta(minutes=5 * k),
                            1000 + (k * 37 + i) % 900,
                            "measured" if k % 97 else "adjusted",
                            batch,
                        )
                    )
            conn.execute(
                "select smf.rollup_refresh_meter(%s, %s, %s)",
                (meter, t0, t0 + timedelta(days=n_days)),
            )
        conn.execute("vacuum analyze")
    return days


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ucs", type=int, default=100)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = ap.parse_args()
    n = args.ucs * args.days
    base = load()
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    with psycopg.connect(base.with_database("postgres").url, autocommit=True) as c:
        c.execute(f"drop database if exists {DB} with (force)")
        c.execute(f"create database {DB}")
    s = base.with_database(DB)
    migrate.upgrade(s)
    t = time.perf_counter()
    days = setup(s.url, args.ucs, args.days)
    print(
        f"setup: {args.ucs} UCs x {args.days} days = {n} UC-days, {n * 288:,} intervals, "
        f"{time.perf_counter() - t:.1f} s"
    )

    secret = secrets.token_urlsafe(16)
    port = free_port()
    env = {
        **os.environ,
        "SMF_DATABASE_URL": s.url,
        "SMF_CCEE_CLIENT_ID": "bench",
        "SMF_CCEE_CLIENT_SECRET": secret,
    }
    emu = subprocess.Popen(
        [sys.executable, "-m", "smf.cli", "ccee", "emulate", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert emu.stderr is not None
    line = emu.stderr.readline()
    while "CCEE emulator on" not in line:
        if emu.poll() is not None:
            raise SystemExit(f"emulator failed: {line}{emu.stderr.read()}")
        line = emu.stderr.readline()
    cfg = replace(
        CceeSettings(),
        base_url=f"http://127.0.0.1:{port}",
        client_id="bench",
        client_secret=Secret(secret),
        agent_code="8888",
        profile_code="1",
        rate_per_s=0,
        concurrency=args.concurrency,
    )
    try:
        # 1. build only
        with driver.connect(s.url) as conn:
            ids = [row[0] for row in conn.execute("select id from smf.consumer_unit")]
        cpu0, t0 = time.process_time(), time.perf_counter()
        bodies = []
        with driver.connect(s.url) as conn:
            for d in days:
                for r in driver.run(conn, "ccee_build", uc_ids=ids, day=d, now=None):
                    bodies.append(
                        payload.build(
                            r["uc_code"], r["agent_code"], d, r["stamps"], r["wh"], r["tipos"]
                        )
                    )
        build_wall = time.perf_counter() - t0
        build_cpu = time.process_time() - cpu0
        assert len(bodies) == n
        print(
            f"1. build only: {n / build_wall:,.0f} UC-days/s, {build_cpu / n * 1000:.2f} ms "
            f"CPU per UC-day (this process), {sum(len(b.body) for b in bodies) / n:,.0f} "
            "bytes per payload"
        )

        # 2. HTTP only
        with CceeClient(cfg) as client, ThreadPoolExecutor(args.concurrency) as pool:
            client.token()
            e0, cpu0, t0 = cpu_of(emu.pid), time.process_time(), time.perf_counter()
            results = list(pool.map(lambda b: client.submit(b.body), bodies))
            http_wall = time.perf_counter() - t0
            http_cpu, emu_cpu = time.process_time() - cpu0, cpu_of(emu.pid) - e0
        assert all(r.outcome == "accepted" for r in results), results[0]
        print(
            f"2. HTTP only: {n / http_wall:,.0f} UC-days/s, {http_cpu / n * 1000:.2f} ms CPU "
            f"per UC-day here, {emu_cpu / n * 1000:.2f} ms in the emulator"
        )

        # 3. the real thing
        e0, cpu0, t0 = cpu_of(emu.pid), time.process_time(), time.perf_counter()
        queued = sender.enqueue(s.url, days[0], days[-1])
        with sender.Sender(s.url, CceeClient(cfg), cfg, holder="bench:1") as snd:
            rep = snd.run(batch=200)
        wall = time.perf_counter() - t0
        cpu, emu_cpu = time.process_time() - cpu0, cpu_of(emu.pid) - e0
        assert rep.accepted == n, rep
        print(
            f"3. sender (enqueue {queued['new_days']}, claim, build, check, post, record): "
            f"{n / wall:,.0f} UC-days/s ({wall:.2f} s), {cpu / n * 1000:.2f} ms CPU per UC-day "
            f"here + {emu_cpu / n * 1000:.2f} ms in the emulator"
        )
        other = wall - rep.build_s - rep.http_s - rep.record_s
        print(
            f"   split: build {rep.build_s:.2f} s ({rep.build_s / wall:.0%}), HTTP "
            f"{rep.http_s:.2f} s ({rep.http_s / wall:.0%}), record {rep.record_s:.2f} s "
            f"({rep.record_s / wall:.0%}), claim/other {other:.2f} s"
        )
        print(
            f"   vs baselines: {(n / wall) / (n / build_wall):.2f} x build-only rate, "
            f"{(n / wall) / (n / http_wall):.2f} x HTTP-only rate; "
            f"40,000 UC-days would take {40000 / (n / wall) / 60:.1f} min"
        )
    finally:
        emu.terminate()
        emu.wait(10)
        driver.dispose_all()
        if not args.keep:
            with psycopg.connect(base.with_database("postgres").url, autocommit=True) as c:
                c.execute(f"drop database if exists {DB} with (force)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
