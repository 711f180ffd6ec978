"""Poller bench, part 1: NBR 14522 wire time and emulated read throughput. Prints, asserts nothing.

1. Wire time of one day of 5-minute, 12-channel mass memory at 9600 baud 8N1, computed from
   frame sizes (66-octet commands, 258-octet blocks, 1-octet ACK/ENQ, turnaround Tminrev), and
   measured for a smaller sample through the emulator paced at 9600 baud over a pty.
2. Meters read per minute and CPU time per read for K emulated meters over loopback TCP with
   no line delay (each read = parameters + full 12-channel current-period mass memory).
3. With the database in the loop (poller.service into a scratch database migrated on the
   configured server): meters read and stored per minute, CPU per meter read (poller, emulator and
   driver share this process; the server's CPU is not counted), and the time from the meter's
   last answer to the committed transaction, p50/p95. A full read (registers, instantaneous,
   outages, alteration log, mass memory) on the first round stores two periods; later rounds
   store only the new intervals.

4. Poller CPU per meter-day read, storage included (``--cpu-meters N``): the emulated fleet runs
   in a SEPARATE process (its CPU is not counted); the poller runs in a child process
   (bench/poll_cpu_child.py) whose CPU (protocol, decode, layout detection, psycopg and its
   threads; not the PostgreSQL server) is divided by the meter-days read. Round 1: empty
   database, both periods, profile detection. Round 2: one day later. ``--baseline REV`` also
   measures the poller of git revision REV against the same fleet, in the same run.

5. DLMS/COSEM beside NBR 14522 (``--only-dlms [--dlms-meters N]``): N NBR 14522 and N DLMS
   emulated meters (DLMS: 15-minute profile of 4 energy channels + V, wrapper and HDLC over TCP,
   no/LLS/HLS-GMAC authentication in turn) served by one SEPARATE process; one poller in this
   process reads each fleet into a fresh database, two rounds (empty database; one day later).
   Printed: this process's CPU per meter-day read for each protocol and the DLMS/NBR ratio.

Usage: .venv/bin/python bench/poll.py [--meters K] [--rounds R] [--db-meters N] [--no-db]
       .venv/bin/python bench/poll.py --only-cpu [--cpu-meters N] [--baseline REV]
       .venv/bin/python bench/poll.py --only-dlms [--dlms-meters N]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from poller.emulator import EmulatedMeter, FixedClock, LinkBehaviour, MeterConfig, MeterEmulator
from poller.emulator.fleet import run_fleet
from poller.protocol.client import MeterClient
from poller.protocol.codec.massmem import WORDS_PER_BLOCK
from poller.protocol.link import Link, LinkTimers
from poller.protocol.transport import SerialTransport, TcpTransport

BAUD = 9600
TCAR = 10 / BAUD  # 8N1: 10 bits per octet
TMINREV = TCAR + 0.001
CMD, RSP = 66, 258


def exchange_seconds(blocks: int) -> float:
    """ENQ + command + per block (response + ACK), with a turnaround before each transmission."""
    octets = 1 + CMD + blocks * (RSP + 1)
    turnarounds = 2 + 2 * blocks
    return octets * TCAR + turnarounds * TMINREV


def computed_day() -> None:
    intervals, groups = 288, 4
    words = intervals * 3  # per group of 3 channels
    blocks = math.ceil(words / WORDS_PER_BLOCK)
    per_group = exchange_seconds(1) + exchange_seconds(blocks)  # parameter block + mass memory
    total = groups * per_group
    print("== wire time, one day of 5-min 12-channel mass memory at 9600 baud (computed)")
    print(f"  {words} words/group -> {blocks} blocks of 258 octets per group, {groups} groups")
    print(f"  per group {per_group:.2f} s (params + mass memory); total {total:.1f} s")
    print(f"  payload-only bound: {groups * blocks * RSP * TCAR:.1f} s")


async def measured_sample(hours: int) -> None:
    start = datetime(2024, 3, 8, 3, 0, tzinfo=UTC)
    clock = FixedClock(start + timedelta(hours=hours, seconds=1))
    meter = EmulatedMeter(MeterConfig(channels=12, last_reset=start), clock)
    paced = LinkBehaviour(enq_interval=0.05, response_timeout=1.0, baud=BAUD)
    async with MeterEmulator(meter, paced) as emu:
        tr = SerialTransport(await emu.start_pty())
        await tr.open()
        client = MeterClient(Link(tr, LinkTimers(2.0, 2.0, 0.2)))
        t0 = time.perf_counter()
        mm = await client.read_mass_memory()
        elapsed = time.perf_counter() - t0
        await tr.close()
    blocks = math.ceil(hours * 12 * 3 / WORDS_PER_BLOCK)
    predicted = 4 * (exchange_seconds(1) + exchange_seconds(blocks))  # 4 groups: params + MM
    day_blocks = math.ceil(288 * 3 / WORDS_PER_BLOCK)
    day_model = 4 * (exchange_seconds(1) + exchange_seconds(day_blocks))
    print(f"== measured through the emulator, 9600-baud pacing on a pty, {hours} h sample")
    print(f"  {len(mm.intervals)} intervals x 12 channels, {blocks} block(s)/group: "
          f"{elapsed:.2f} s measured vs {predicted:.2f} s frame-size model")  # fmt: skip
    print(f"  one day at the measured/model ratio {elapsed / predicted:.2f}: "
          f"~{day_model * elapsed / predicted:.1f} s")  # fmt: skip


async def throughput(k: int, rounds: int) -> None:
    clock = FixedClock(datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC))
    fast = LinkBehaviour(enq_interval=0.005, response_timeout=0.5)
    cfg = MeterConfig(channels=12)
    async with await run_fleet(k, config=cfg, behaviour=fast, clock=clock) as fleet:
        timers = LinkTimers(2.0, 1.0, 0.2)

        async def read(port: int) -> int:
            tr = TcpTransport(fleet.host, port)
            await tr.open()
            try:
                return len((await MeterClient(Link(tr, timers)).read_mass_memory()).intervals)
            finally:
                await tr.close()

        cpu0, t0 = time.process_time(), time.perf_counter()
        n = 0
        for _ in range(rounds):
            results = await asyncio.gather(*(read(p) for p in fleet.ports))
            n += len(results)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(f"== throughput: {k} emulated 12-channel meters, loopback TCP, no line delay")
    print(f"  {n} reads ({results[0]} intervals x 12 ch each) in {wall:.2f} s wall")
    print(f"  {n / wall * 60:.0f} meters read per minute; CPU {cpu / n * 1000:.1f} ms per read "
          "(client and emulator share this process)")  # fmt: skip


async def with_database(n: int, rounds: int) -> None:
    import statistics

    import psycopg

    from db import driver, migrate
    from db.cluster import Cluster
    from db.settings import load
    from poller import emulated, store
    from poller.service import Poller, PollerConfig

    base = load()  # a scratch database on the configured server, migrated from scratch
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    settings = base.with_database("smf_bench_poll")
    with psycopg.connect(base.with_database("postgres").url, autocommit=True) as c:
        c.execute("drop database if exists smf_bench_poll with (force)")
        c.execute("create database smf_bench_poll")
    migrate.upgrade(settings)
    clock = FixedClock(datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC))
    fast = LinkBehaviour(enq_interval=0.005, response_timeout=0.5)
    try:
        fleet = await emulated.start_fleet(n, clock=clock, behaviour=fast)
        store.register_meters(settings.url, emulated.fleet_registry_params(fleet))
        cfg = PollerConfig(max_connections=64, tcp_timers=LinkTimers(2.0, 1.0, 0.2), clock=clock)
        poller = Poller(settings.url, cfg)
        print(f"== with the database: {n} emulated meters (3/12 ch, 5/15 min), loopback TCP")
        for r in range(rounds):
            cpu0, t0 = time.process_time(), time.perf_counter()
            results = await poller.poll_once(due_only=False)
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            lat = sorted(x.answer_to_commit_s for x in results if x.answer_to_commit_s)
            ok = sum(x.ok and x.committed for x in results)
            p50 = statistics.median(lat) * 1000
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] * 1000
            stored = sum(x.intervals_stored for x in results)
            print(f"  round {r + 1}: {ok}/{n} stored, {stored} new intervals, {wall:.2f} s wall: "
                  f"{ok / wall * 60:.0f} meters/min; CPU {cpu / n * 1000:.1f} ms/meter; "
                  f"answer->commit p50 {p50:.0f} ms, p95 {p95:.0f} ms")  # fmt: skip
            clock.advance(timedelta(minutes=15))
        await fleet.close()
    finally:
        driver.dispose_all()
        with psycopg.connect(base.with_database("postgres").url, autocommit=True) as c:
            c.execute("drop database if exists smf_bench_poll with (force)")


class _SharedClock:
    """A FixedClock readable across processes (a shared double: seconds since the epoch)."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.value.value, UTC)  # type: ignore[attr-defined]


def _serve_fleet(n: int, shared: object, out: object) -> None:
    from poller import emulated

    async def serve() -> None:
        slow_enq = LinkBehaviour(enq_interval=0.05, response_timeout=2.0)  # Tminenq-like
        fleet = await emulated.start_fleet(n, clock=_SharedClock(shared), behaviour=slow_enq)
        out.put(emulated.fleet_registry_params(fleet, "daily"))  # type: ignore[attr-defined]
        await asyncio.Event().wait()

    asyncio.run(serve())


def cpu_per_meter_day(n: int, baseline: str | None) -> None:
    """Part 4: one emulated fleet in a separate process; each poller (this checkout, and the
    ``baseline`` revision when given) runs in a child process of its own (bench/poll_cpu_child.py)
    against the same fleet, into a fresh database, two rounds each, in this one run."""
    import json
    import multiprocessing as mp
    import os
    import subprocess
    import tempfile

    import psycopg

    from db import driver
    from db.cluster import Cluster
    from db.settings import load

    base = load()
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    now = datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC)
    ctx = mp.get_context("fork")
    shared, out = ctx.Value("d", now.timestamp()), ctx.Queue()
    proc = ctx.Process(target=_serve_fleet, args=(n, shared, out), daemon=True)
    proc.start()
    here = Path(__file__).resolve().parents[1]
    variants: list[tuple[str, Path]] = []
    tmp = tempfile.TemporaryDirectory(prefix="smf-bench-baseline-")
    if baseline:
        archive = subprocess.run(["git", "-C", str(here), "archive", baseline],
                                 check=True, capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", tmp.name], input=archive, check=True)
        variants.append((f"baseline {baseline}", Path(tmp.name)))
    variants.append(("this checkout", here))
    admin = base.with_database("postgres").url
    print(f"== poller CPU per meter-day: {n} emulated meters (3/12 ch, 5/15 min) served by one "
          "separate process, loopback TCP, database in the loop; poller CPU only")  # fmt: skip
    try:
        params = out.get(timeout=120)
        reg = Path(tmp.name) / "registry.json"
        reg.write_text(json.dumps([{**p, "channel_constants": [str(c) for c in
                                    p["channel_constants"]]} for p in params]))  # fmt: skip
        for name, root in variants:
            shared.value = now.timestamp()  # type: ignore[attr-defined]
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute("drop database if exists smf_bench_poll_cpu with (force)")
                c.execute("create database smf_bench_poll_cpu")
            url = base.with_database("smf_bench_poll_cpu").url
            env = {**os.environ, "SMF_DATABASE_URL": url}
            child = subprocess.Popen(
                [sys.executable, str(here / "bench" / "poll_cpu_child.py"), str(root), url,
                 str(reg)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            assert child.stdin is not None and child.stdout is not None
            for rnd in (1, 2):
                r = json.loads(child.stdout.readline())
                what = "empty database, both periods" if rnd == 1 else "one day later"
                cpu, loop_cpu = r["cpu"], r["loop_cpu"]
                print(f"  {name}, round {rnd} ({what}): {r['ok']}/{n} stored; "
                      f"{r['days_read']:.1f} meter-days read, {r['days_stored']:.1f} new, "
                      f"{r['wall']:.2f} s wall; CPU {cpu / r['days_read'] * 1000:.1f} ms per "
                      f"meter-day read ({cpu / n * 1000:.1f} ms per meter: event loop "
                      f"{loop_cpu / n * 1000:.1f} ms, database threads "
                      f"{(cpu - loop_cpu) / n * 1000:.1f} ms)")  # fmt: skip
                if rnd == 1:
                    shared.value += 86400.0  # type: ignore[attr-defined]
                    child.stdin.write("next\n")
                    child.stdin.flush()
            child.wait(timeout=120)
    finally:
        proc.kill()
        driver.dispose_all()
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute("drop database if exists smf_bench_poll_cpu with (force)")
        tmp.cleanup()


def _serve_mixed(n: int, shared: object, out: object) -> None:
    from poller import emulated

    async def serve() -> None:
        clock = _SharedClock(shared)
        slow_enq = LinkBehaviour(enq_interval=0.05, response_timeout=2.0)
        fleet = await emulated.start_fleet(n, clock=clock, behaviour=slow_enq)
        dlms = await emulated.start_dlms_fleet(n, clock=clock, profile_days=3)
        dl = [
            (e.meter.config.serial, port, scheme, e.meter.config.auth) for e, port, scheme in dlms
        ]
        out.put((emulated.fleet_registry_params(fleet, "daily"), dl))  # type: ignore[attr-defined]
        await asyncio.Event().wait()

    asyncio.run(serve())


def dlms_beside_nbr(n: int) -> None:
    """Part 5: CPU per meter-day read, DLMS beside NBR 14522, same method, same run."""
    import multiprocessing as mp

    import psycopg

    from db import driver, migrate
    from db.cluster import Cluster
    from db.settings import load
    from poller import emulated, registry, store
    from poller.service import Poller, PollerConfig

    base = load()
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    now = datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC)
    ctx = mp.get_context("fork")
    shared, out = ctx.Value("d", now.timestamp()), ctx.Queue()
    proc = ctx.Process(target=_serve_mixed, args=(n, shared, out), daemon=True)
    proc.start()
    admin = base.with_database("postgres").url
    print(
        f"== CPU per meter-day read, DLMS/COSEM beside NBR 14522: {n} + {n} emulated meters "
        "served by a separate process, loopback TCP, database in the loop; this process's CPU"
    )
    try:
        nbr_params, dl = out.get(timeout=120)
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute("drop database if exists smf_bench_poll_dlms with (force)")
            c.execute("create database smf_bench_poll_dlms")
        settings = base.with_database("smf_bench_poll_dlms")
        migrate.upgrade(settings)
        url = settings.url
        store.register_meters(url, nbr_params)
        for serial, port, scheme, auth in dl:
            opts = registry.DlmsOptions(
                auth=auth,
                password=b"demo-lls" if auth == "lls" else b"",
                authentication_key=emulated.DEMO_AK,
                encryption_key=emulated.DEMO_EK,
            )
            registry.add_dlms(
                url,
                serial,
                f"{scheme}://127.0.0.1:{port}",
                opts,
                interval_minutes=15,
                poll_schedule="daily",
            )
        meters = {m.serial: m for m, _ in store.load_registry(url)}
        clock = FixedClock(now)
        cfg = PollerConfig(max_connections=16, tcp_timers=LinkTimers(20.0, 10.0, 2.0), clock=clock)
        groups = {
            "NBR 14522": [meters[p["serial"]] for p in nbr_params],
            "DLMS/COSEM": [meters[d[0]] for d in dl],
        }
        per_round: dict[str, list[float]] = {k: [] for k in groups}

        async def rounds() -> None:
            for rnd in (1, 2):
                for name, targets in groups.items():
                    poller = Poller(url, cfg)
                    cpu0, t0 = time.process_time(), time.perf_counter()
                    results = await poller.poll_once(targets)
                    wall = time.perf_counter() - t0
                    cpu = time.process_time() - cpu0
                    days = sum(
                        r.intervals_read / (1440 // m.interval_minutes)
                        for r, m in zip(results, targets, strict=True)
                    )
                    ok = sum(r.ok and r.committed for r in results)
                    per_day = cpu / days * 1000 if days else float("nan")
                    per_round[name].append(per_day)
                    print(
                        f"  round {rnd}, {name}: {ok}/{n} stored, {days:.1f} meter-days read, "
                        f"{wall:.2f} s wall; CPU {per_day:.1f} ms per meter-day read "
                        f"({cpu / n * 1000:.1f} ms per meter)"
                    )
                clock.advance(timedelta(days=1))
                shared.value += 86400.0  # type: ignore[attr-defined]

        asyncio.run(rounds())
        for rnd in (0, 1):
            nbr, dlms = per_round["NBR 14522"][rnd], per_round["DLMS/COSEM"][rnd]
            print(f"  round {rnd + 1}: DLMS / NBR 14522 CPU per meter-day = {dlms / nbr:.2f}")
    finally:
        proc.kill()
        driver.dispose_all()
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute("drop database if exists smf_bench_poll_dlms with (force)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--sample-hours", type=int, default=6)
    ap.add_argument("--db-meters", type=int, default=200)
    ap.add_argument("--db-rounds", type=int, default=3)
    ap.add_argument("--no-db", action="store_true", help="skip part 3 (database in the loop)")
    ap.add_argument("--cpu-meters", type=int, default=50)
    ap.add_argument("--only-cpu", action="store_true", help="run part 4 only")
    ap.add_argument("--baseline", help="part 4: also measure this git revision's poller")
    ap.add_argument("--dlms-meters", type=int, default=20)
    ap.add_argument("--only-dlms", action="store_true", help="run part 5 only")
    args = ap.parse_args()
    if args.only_dlms:
        dlms_beside_nbr(args.dlms_meters)
        return
    cpu_per_meter_day(args.cpu_meters, args.baseline)
    if args.only_cpu:
        return
    if not args.no_db:
        asyncio.run(with_database(args.db_meters, args.db_rounds))
    computed_day()
    asyncio.run(measured_sample(args.sample_hours))
    asyncio.run(throughput(args.meters, args.rounds))


if __name__ == "__main__":
    main()
