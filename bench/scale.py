"""Storage at utility volume: bytes per interval of every tier and rollup level, the sealed versus
row meter-month read, and the seal throughput, on >= 10 M realistic intervals, in one run.

    .venv/bin/python bench/scale.py [--meters5 600] [--meters15 300] [--weeks 8] [--reads 40]

Data (generated here with numpy, deterministic by --seed; tests/fleetgen.py, the fleet generator
of issue 19's ingest work, replaces it once merged): a fleet of customer types with their own
load shapes: residential (single phase: B and C channels NULL; evening peak; 127 V), commercial
(three phase, office hours, 220 V), industrial (three phase, two shifts, large loads that need
wider offsets, inductive reactive), prosumers (solar: reverse energy at midday); 5-minute and
15-minute meters side by side; voltage as a slow random walk plus noise (mV), currents following
the load with noise (mA); gaps (no row), 'missing' rows with NULL values, estimated and
adjusted rows, outages (zero runs with voltage near zero). The demo's data (bench/ingest.py,
smf/demo/dataset.py) is a smooth sine with constant voltages and currents: every channel but one
is a constant, which compresses unrealistically well; here every channel is noisy.

Steps, all in a scratch database `smf_scale` on the configured server:
1. COPY the rows into smf.interval_reading, refresh every rollup (as the ingest would).
2. Bytes on disk (table + indexes + TOAST) per interval: hot rows, each rollup level.
3. Meter-month reads from rows: smf.intervals() and the bare table, every column summed.
4. Seal everything (db.storage.seal, the default 62-day edge): meter-weeks per second.
5. Bytes per interval of the sealed tier with the rollups it keeps (day, month).
6. The same meter-month reads from sealed periods; the ratio sealed / rows (target <= 1.0).
7. Exactness: a hash of every value, quality, source and batch of sampled meters, before/after.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg

from db import migrate, storage
from db.cluster import Cluster
from db.settings import Settings, load

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday: whole UTC weeks
COLS = (
    "meter_id, ts, active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh, "
    "reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv, voltage_c_mv, "
    "current_a_ma, current_b_ma, current_c_ma, quality, source, batch_id"
)
KINDS = ("residential", "commercial", "industrial", "prosumer")
HASH_SQL = (
    "select count(*), md5(string_agg(concat_ws('|', r.ts, r.active_fwd_wh, r.active_rev_wh,"
    " r.reactive_ind_fwd_varh, r.reactive_ind_rev_varh, r.reactive_cap_fwd_varh,"
    " r.reactive_cap_rev_varh, r.voltage_a_mv, r.voltage_b_mv, r.voltage_c_mv, r.current_a_ma,"
    " r.current_b_ma, r.current_c_ma, r.quality, r.source, r.batch_id), E'\\n' order by r.ts))"
    " from smf.intervals(%s, '-infinity', 'infinity') r"
)
SUM_ALL = (
    "count(*), sum(active_fwd_wh), sum(active_rev_wh), sum(reactive_ind_fwd_varh),"
    " sum(reactive_ind_rev_varh), sum(reactive_cap_fwd_varh), sum(reactive_cap_rev_varh),"
    " sum(voltage_a_mv), sum(voltage_b_mv), sum(voltage_c_mv), sum(current_a_ma),"
    " sum(current_b_ma), sum(current_c_ma), count(*) filter (where quality = 'measured'),"
    " count(*) filter (where source = 'meter'), sum(batch_id)"
)


class Meter:
    """One generated meter: its customer type, interval, size and random state; `days(d0, k)`
    gives the COPY text (integer Wh, varh, mV, mA; UTC interval starts) of k days from day d0,
    one string per day, continuing the voltage walk from the previous call."""

    def __init__(self, rng: np.random.Generator, meter_id: int, kind: str, interval: int) -> None:
        self.rng, self.id, self.kind, self.interval = rng, meter_id, kind, interval
        self.size = {
            "residential": rng.uniform(0.5, 2.0),
            "commercial": rng.uniform(0.5, 3.0),
            "industrial": rng.uniform(0.5, 4.0),
            "prosumer": rng.uniform(0.7, 1.5),
        }[kind]
        self.nominal, self.phases = (
            (127_000, 1) if kind in ("residential", "prosumer") else (220_000, 3)
        )
        self.walk = 0.0

    def days(self, d0: int, k: int, batch: int) -> list[str]:
        rng, interval, kind, size = self.rng, self.interval, self.kind, self.size
        per_day = 1440 // interval
        n = per_day * k
        hours = (np.arange(n) % per_day) * interval / 60.0
        day = np.arange(n) // per_day
        weekday = (day + d0 + START.weekday()) % 7
        scale = interval / 5.0
        if kind == "residential":
            base = (
                25
                + 60 * np.exp(-(((hours - 20) / 2.2) ** 2))
                + 20 * np.exp(-(((hours - 7) / 1.5) ** 2))
            )
        elif kind == "commercial":
            office = ((hours >= 8) & (hours < 19) & (weekday < 5)).astype(float)
            base = 80 + 900 * office * (0.8 + 0.2 * np.sin((hours - 8) / 11 * np.pi))
        elif kind == "industrial":
            shift = ((hours >= 6) & (hours < 22) & (weekday < 6)).astype(float)
            base = 2_000 + 25_000 * shift
        else:  # prosumer: a household load, solar at midday
            base = 30 + 50 * np.exp(-(((hours - 20) / 2.5) ** 2))
        load = np.maximum(0, base * size * scale * rng.lognormal(0, 0.25, n))
        fwd = np.rint(load).astype(np.int64)
        rev = np.zeros(n, dtype=np.int64)
        if kind == "prosumer":
            sky = rng.uniform(0.3, 1.0, k)[day]
            solar = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None) * sky
            net = load - solar * 120 * size * scale * rng.lognormal(0, 0.15, n)
            fwd = np.rint(np.maximum(net, 0)).astype(np.int64)
            rev = np.rint(np.maximum(-net, 0)).astype(np.int64)
        pf = {"industrial": 0.45, "commercial": 0.25}.get(kind, 0.1)
        ind = np.rint(fwd * pf * rng.lognormal(0, 0.2, n)).astype(np.int64)
        cap = np.where(hours < 6, rng.poisson(2 * scale, n), 0).astype(np.int64)
        walk = (self.walk + np.cumsum(rng.normal(0, 80, n))).clip(-6_000, 6_000)
        self.walk = float(walk[-1])
        phases, nominal = self.phases, self.nominal
        volts = [
            np.rint(nominal + walk + rng.normal(0, 350, n)).astype(np.int64) for _ in range(phases)
        ]
        mean_ma = fwd / scale * 12 / (nominal / 1000) / phases * 1000
        amps = [
            np.rint(np.maximum(0, mean_ma * rng.normal(1, 0.04, n))).astype(np.int64)
            for _ in range(phases)
        ]
        zero = np.zeros(n, dtype=bool)  # outages: a few hours of zeros, voltage near zero
        for _ in range(rng.poisson(0.3 * k / 7)):
            at = int(rng.integers(0, n))
            zero[at : at + int(rng.integers(per_day // 24, per_day // 4))] = True
        u = rng.random(n)
        t0 = int(START.timestamp()) + d0 * 86_400
        pad = "\\N\t" * (3 - phases)
        out: list[str] = []
        buf = io.StringIO()
        for i in range(n):
            if i and i % per_day == 0:
                out.append(buf.getvalue())
                buf = io.StringIO()
            if u[i] < 0.004:  # a gap: no row
                continue
            ts = datetime.fromtimestamp(t0 + i * interval * 60, UTC).isoformat()
            if u[i] < 0.007:
                buf.write(f"{self.id}\t{ts}\t" + "\\N\t" * 12 + f"missing\tmeter\t{batch}\n")
                continue
            if zero[i]:
                e = "0\t0\t0\t\\N\t0\t0\t"
                v = "".join(f"{int(x[i]) // 200}\t" for x in volts)
                a = "0\t" * phases
            else:
                e = f"{fwd[i]}\t{rev[i]}\t{ind[i]}\t\\N\t{cap[i]}\t0\t"
                v = "".join(f"{x[i]}\t" for x in volts)
                a = "".join(f"{x[i]}\t" for x in amps)
            qs = (
                "estimated\testimate"
                if u[i] < 0.012
                else "adjusted\tmanual"
                if u[i] < 0.0135
                else "measured\tmeter"
            )
            buf.write(f"{self.id}\t{ts}\t{e}{v}{pad}{a}{pad}{qs}\t{batch}\n")
        out.append(buf.getvalue())
        return out


def size_of(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(
        "select case when exists (select 1 from timescaledb_information.hypertables"
        " where hypertable_schema = 'smf' and hypertable_name = %s)"
        " then hypertable_size(format('smf.%%I', %s::text)::regclass)"
        " else pg_total_relation_size(format('smf.%%I', %s::text)::regclass) end",
        (table, table, table),
    ).fetchone()
    assert row is not None
    return int(row[0])


def sealed_parts(conn: psycopg.Connection) -> dict[str, int]:
    """Heap, TOAST and index bytes of the sealed hypertable's chunks."""
    row = conn.execute(
        "select coalesce(sum(pg_relation_size(c.oid)), 0),"
        " coalesce(sum(pg_total_relation_size(c.reltoastrelid))"
        " filter (where c.reltoastrelid <> 0), 0),"
        " coalesce(sum(pg_indexes_size(c.oid)), 0)"
        " from timescaledb_information.chunks k"
        " join pg_class c on c.oid = format('%I.%I', k.chunk_schema, k.chunk_name)::regclass"
        " where k.hypertable_schema = 'smf' and k.hypertable_name = 'interval_sealed'"
    ).fetchone()
    assert row is not None
    return {"heap": int(row[0]), "toast": int(row[1]), "index": int(row[2])}


def timed_reads(
    conn: psycopg.Connection, meters: list[int], lo: datetime, hi: datetime, source: str
) -> tuple[list[float], list[float]]:
    """Per meter: the wall time of the read as a client sends it (planning included) and the
    server's execution time (EXPLAIN ANALYZE, TIMING OFF: what a caller with a cached plan,
    e.g. a rule function, pays), each on a warm cache."""
    frm = {
        "intervals": "smf.intervals(%(m)s, %(lo)s, %(hi)s)",
        "table": "smf.interval_reading where meter_id = %(m)s and ts >= %(lo)s and ts < %(hi)s",
    }[source]
    sql = f"select {SUM_ALL} from {frm}"
    wall, execution = [], []
    for m in meters:
        p = {"m": m, "lo": lo, "hi": hi}
        conn.execute(sql, p).fetchone()  # warm
        t = time.perf_counter()
        conn.execute(sql, p).fetchone()
        wall.append(time.perf_counter() - t)
        plan = conn.execute(
            f"explain (analyze, timing off, summary, format json) {sql}", p
        ).fetchone()[0]  # type: ignore[index]
        execution.append(plan[0]["Execution Time"] / 1000)
    return wall, execution


def evict(base: Settings, conn: psycopg.Connection) -> bool:
    """Restart our own local cluster (empties shared buffers) and drop the OS page cache of the
    smf_scale database's files only (posix_fadvise DONTNEED): the next reads come from disk, as
    at utility volume, where the data is many times the memory. False when the server is not our
    local cluster (then the cold figures are skipped)."""
    if base.external_url is not None or os.environ.get("SMF_DATABASE_URL"):
        return False
    oid = conn.execute("select oid from pg_database where datname = current_database()").fetchone()
    conn.close()
    cluster = Cluster(base.cluster)
    cluster.stop()
    folder = base.cluster.data_dir / "base" / str(oid[0])  # type: ignore[index]
    for f in folder.iterdir():
        fd = os.open(f, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    cluster.start()
    return True


def cold_reads(
    base: Settings, url: str, meters: list[int], warm_meter: int, lo: datetime, hi: datetime
) -> list[float] | None:
    """Wall time of each meter-month read through smf.intervals right after evict() (one
    warm-up read of another meter first, so catalogs and plans are not what is measured)."""
    conn = psycopg.connect(url, autocommit=True)
    if not evict(base, conn):
        conn.close()
        return None
    sql = f"select {SUM_ALL} from smf.intervals(%(m)s, %(lo)s, %(hi)s)"
    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql, {"m": warm_meter, "lo": lo, "hi": hi}).fetchone()
        for m in meters:
            t = time.perf_counter()
            conn.execute(sql, {"m": m, "lo": lo, "hi": hi}).fetchone()
            out.append(time.perf_counter() - t)
    return out


def record_sealed(
    conn: psycopg.Connection,
    settings: Settings,
    args: argparse.Namespace,
    n: int,
    sealed_b: int,
    hot: dict[str, int],
) -> None:
    """The sealed tier's figures into bench/storage_figures.json, one per interval class: the
    measured bytes of interval_sealed split between the classes by the stored size of their
    rows (pg_column_size: TOAST-compressed arrays), the kept rollups (day, month) likewise."""
    from storage_figures import machine  # bench/storage_figures.py, beside this script

    from db import storage_estimate

    per = conn.execute(
        "select m.interval_minutes, sum(pg_column_size(s.*))::float8, sum(s.n_rows)::int8"
        " from smf.interval_sealed s join smf.meter m on m.id = s.meter_id group by 1 order by 1"
    ).fetchall()
    stored = sum(r[1] for r in per)
    figures = []
    for minutes, size, rows in per:
        share = sealed_b * size / stored
        figures.append(
            {
                "interval_minutes": int(minutes),
                "channels": 12,
                "intervals": int(rows),
                "bytes_per_interval": round(share / rows, 2),
                "rollups": {
                    "rollup_day": round(hot["rollup_day"] / n, 2),
                    "rollup_month": round(hot["rollup_month"] / n, 2),
                },
            }
        )
    path = storage_estimate.update_figures(
        "sealed",
        what="smf.interval_sealed (heap, TOAST, index) and the rollups a sealed period keeps "
        "(day, month); 15-minute and hourly rollups are derived on read",
        online=True,
        figures=figures,
        command="SMF_PG_PORT=<port> .venv/bin/python bench/scale.py "
        f"--meters5 {args.meters5} --meters15 {args.meters15} --weeks {args.weeks} --record",
        machine=machine(settings),
        data={
            "generator": "bench/scale.py (numpy, seed fixed): residential single-phase, "
            "commercial, industrial, prosumer load shapes; noisy V and I; gaps, outages, "
            "estimated and adjusted rows",
            "meters": {"5": args.meters5, "15": args.meters15},
            "weeks": args.weeks,
            "seed": args.seed,
            "split": "interval_sealed bytes split between classes by pg_column_size of rows; "
            "day and month rollups per interval of the whole fleet",
        },
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    print(f"  recorded the sealed tier in {path}: {figures}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters5", type=int, default=600, help="5-minute meters")
    ap.add_argument("--meters15", type=int, default=300, help="15-minute meters")
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--reads", type=int, default=40, help="meter-month reads per tier")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--keep", action="store_true", help="keep the smf_scale database")
    ap.add_argument(
        "--record",
        action="store_true",
        help="write the sealed tier's bytes per interval into bench/storage_figures.json "
        "(what `smf storage estimate` reads)",
    )
    args = ap.parse_args()

    base = load()
    if base.external_url is None and os.environ.get("SMF_DATABASE_URL") is None:
        Cluster(base.cluster).start()
    settings = base.with_database("smf_scale")
    with psycopg.connect(base.with_database("postgres").url, autocommit=True) as admin:
        admin.execute("drop database if exists smf_scale with (force)")
        admin.execute("create database smf_scale")
    migrate.upgrade(settings)
    url = settings.url
    rng = np.random.default_rng(args.seed)
    days = args.weeks * 7
    end = START + timedelta(days=days)

    print(f"== bench/scale.py: {args.meters5} 5-min + {args.meters15} 15-min meters x {days} days")
    t = time.perf_counter()
    with psycopg.connect(url) as conn:
        batch = conn.execute(
            "insert into smf.ingest_batch (source, origin) values ('import', 'bench/scale.py')"
            " returning id"
        ).fetchone()[0]  # type: ignore[index]
        meters: list[Meter] = []
        for i in range(args.meters5 + args.meters15):
            interval = 5 if i < args.meters5 else 15
            kind = KINDS[int(rng.choice(4, p=[0.55, 0.2, 0.1, 0.15]))]
            mid = conn.execute(
                "insert into smf.meter (serial, interval_minutes) values (%s, %s) returning id",
                (f"S{i:05d}", interval),
            ).fetchone()[0]  # type: ignore[index]
            meters.append(Meter(np.random.default_rng([args.seed, i]), mid, kind, interval))
        conn.commit()
        # Stored as a daily collection stores it: day by day, every meter's day in turn, so a
        # meter's rows lie in 288-row runs across the table, as in production (loading meter by
        # meter would cluster them and flatter the row reads).
        for w in range(args.weeks):
            week = [m.days(7 * w, 7, batch) for m in meters]
            with conn.cursor().copy(f"copy smf.interval_reading ({COLS}) from stdin") as copy:
                for d in range(7):
                    for per_meter in week:
                        copy.write(per_meter[d])
            conn.commit()
        n = conn.execute("select count(*) from smf.interval_reading").fetchone()[0]  # type: ignore[index]
        print(f"generated and copied {n:,} intervals in {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        ids = [m.id for m in meters]
        for k in range(0, len(ids), 50):
            part = ids[k : k + 50]
            conn.execute(
                "select smf.rollup_refresh(%s::int[], array_fill(%s::timestamptz, array[%s]),"
                " array_fill(%s::timestamptz, array[%s]))",
                (part, START, len(part), end - timedelta(microseconds=1), len(part)),
            )
            conn.commit()
        print(f"rollups refreshed in {time.perf_counter() - t:.0f} s")
    with psycopg.connect(url, autocommit=True) as conn:
        for t_ in ("interval_reading", "rollup_15min", "rollup_hour", "rollup_day", "rollup_month"):
            conn.execute(f"vacuum analyze smf.{t_}")  # type: ignore[arg-type]

        tables = ("interval_reading", "rollup_15min", "rollup_hour", "rollup_day", "rollup_month")
        hot = {tb: size_of(conn, tb) for tb in tables}
        print(f"\n-- hot tier ({n:,} intervals): bytes on disk per interval (table+indexes+TOAST)")
        for tb in tables:
            print(f"  {tb:<18} {hot[tb] / n:8.1f} B/interval  ({hot[tb] / 2**20:,.0f} MiB)")
        print(f"  {'all rollups':<18} {sum(hot[tb] for tb in tables[1:]) / n:8.1f} B/interval")
        print(f"  {'rows + rollups':<18} {sum(hot.values()) / n:8.1f} B/interval")

        sample = random.Random(args.seed).sample(ids, min(args.reads, len(ids)))
        lo, hi = START + timedelta(days=7), START + timedelta(days=37)  # a 30-day meter-month
        hashes = {m: conn.execute(HASH_SQL, (m,)).fetchone() for m in sample}
        rows_fn, rows_fn_x = timed_reads(conn, sample, lo, hi, "intervals")
        rows_tab, rows_tab_x = timed_reads(conn, sample, lo, hi, "table")
        warm_meter = next(m for m in ids if m not in sample)
    rows_cold = cold_reads(base, url, sample, warm_meter, lo, hi)
    with psycopg.connect(url, autocommit=True) as conn:
        t = time.perf_counter()
        result = storage.seal(settings, progress=None)
        seal_s = time.perf_counter() - t
        print(
            f"\n-- seal: {result.sealed} meter-weeks ({result.rows:,} rows) in {seal_s:.1f} s ="
            f" {result.sealed / seal_s:.1f} meter-weeks/s, {result.rows / seal_s:,.0f} intervals/s"
            f" ({result.batches} transactions; left hot: {result.off_grid})"
        )
        for t_ in ("interval_reading", "interval_sealed", "rollup_15min", "rollup_hour"):
            conn.execute(f"vacuum analyze smf.{t_}")  # type: ignore[arg-type]
        sealed_b = size_of(conn, "interval_sealed")
        parts = sealed_parts(conn)
        kept = hot["rollup_day"] + hot["rollup_month"]
        left = {tb: size_of(conn, tb) for tb in ("interval_reading", "rollup_15min", "rollup_hour")}
        print(f"\n-- sealed tier ({n:,} intervals): bytes per interval")
        print(
            f"  interval_sealed    {sealed_b / n:8.1f} B/interval  (heap {parts['heap'] / n:.1f},"
            f" TOAST {parts['toast'] / n:.1f}, index {parts['index'] / n:.2f})"
        )
        print("  rollup_15min           0.0 B/interval  (derived from the sealed rows on read)")
        print("  rollup_hour            0.0 B/interval  (derived from the sealed rows on read)")
        print(f"  rollup_day         {hot['rollup_day'] / n:8.2f} B/interval  (kept)")
        print(f"  rollup_month       {hot['rollup_month'] / n:8.2f} B/interval  (kept)")
        print(
            f"  SEALED + ROLLUPS   {(sealed_b + kept) / n:8.1f} B/interval"
            "  (target <= 30, goal <= 25)"
        )
        print(
            f"  (left in the hot tables after sealing: {sum(left.values()) / 2**20:.1f} MiB of"
            " empty chunks and indexes, reclaimed by dropping empty chunks)"
        )
        print(
            f"  ratio rows+rollups / sealed+rollups: {sum(hot.values()) / (sealed_b + kept):.1f}x"
        )
        if args.record:
            record_sealed(conn, settings, args, n, sealed_b, hot)

        sealed_fn, sealed_x = timed_reads(conn, sample, lo, hi, "intervals")
    sealed_cold = cold_reads(base, url, sample, warm_meter, lo, hi)
    with psycopg.connect(url, autocommit=True) as conn:
        same = sum(conn.execute(HASH_SQL, (m,)).fetchone() == hashes[m] for m in sample)
        med = statistics.median
        print(f"\n-- meter-month read ({len(sample)} meters, 30 days, every column; warm; median)")
        print("                           execution   wall (planning included)")
        for name, (w, x) in (
            ("rows, bare table", (rows_tab, rows_tab_x)),
            ("rows, smf.intervals()", (rows_fn, rows_fn_x)),
            ("sealed, smf.intervals()", (sealed_fn, sealed_x)),
        ):
            print(f"  {name:<24} {med(x) * 1000:7.2f} ms  {med(w) * 1000:7.2f} ms")
        print(
            "  RATIO sealed / rows, execution (smf.intervals):"
            f" {med(sealed_x) / med(rows_fn_x):.2f}"
            " (target <= 1.0)"
        )
        print(
            f"  ratio sealed / rows, wall (smf.intervals):      {med(sealed_fn) / med(rows_fn):.2f}"
        )
        if rows_cold and sealed_cold:
            print(
                f"  cold (shared buffers and the OS cache of the database emptied):"
                f" rows {med(rows_cold) * 1000:.2f} ms, sealed {med(sealed_cold) * 1000:.2f} ms,"
                f" RATIO sealed / rows {med(sealed_cold) / med(rows_cold):.2f} (target <= 1.0)"
            )
        print(
            "  ratio sealed / bare table rows, execution:"
            f"      {med(sealed_x) / med(rows_tab_x):.2f}"
        )
        print(
            f"\n-- exactness: {same}/{len(sample)} sampled meters hash equal"
            " before and after sealing"
        )
    if not args.keep:
        with psycopg.connect(base.with_database("postgres").url, autocommit=True) as admin:
            admin.execute("drop database if exists smf_scale with (force)")


if __name__ == "__main__":
    main()
