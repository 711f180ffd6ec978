"""Storage figures: bytes per interval of the hot tier (smf.interval_reading rows), of each
rollup level, and of the Parquet archive, measured on generated realistic data, written into
bench/storage_figures.json (tiers `hot` and `archive`; other tiers are kept) for
`smf storage estimate`.

    .venv/bin/python bench/storage_figures.py [--meters 40] [--no-write]

For each meter class (5- and 15-minute meters; 12 channels, and 3 channels as legacy meters
record: active forward, inductive and capacitive reactive forward) it loads one calendar month
(October 2026, 31 days) of N meters through the ingest path (validation on ingest off: findings
are not a storage tier) into a scratch database `smf_bench_storage`, measures the hypertable and
table sizes (heap, indexes, TOAST), exports the distributor-month to Parquet with
`db.archive.export_month` and measures the file. Prints figures; asserts nothing.

The data (generated here with numpy, seed fixed), and how it differs from the demo's: the demo's
intervals follow a smooth sine with constant voltages and currents, which compresses far better
than the field. Here each meter has a customer type (residential, commercial, industrial one
shift, industrial continuous) with its own hourly shape and business-day/weekend factors, a
peak demand drawn log-normally (30 kW to 3 MW), 8 % multiplicative noise per interval, PV export
on 15 % of the meters (midday reverse energy), reactive energy following the load with its own
noise and capacitive nights, phase voltages around 127 V with a slow feeder drift, per-phase
unbalance and 0.3 % noise in 10 mV steps (meters report V with two decimals), currents from the
per-phase power with their own noise (1 mA steps), a few outages (zero energy, zero voltage for
1-6 hours) and missing runs (no row, 1 % of intervals). It is not the fleet generator of issue
24 (tests/fleetgen.py): when that is on the branch, bench/scale.py measures on it.

bench/scale.py (issue 19) measures the sealed tier and rewrites the `sealed` (and `hot`) figures
with db.storage_estimate.update_figures(); this script rewrites `hot` and `archive`.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db import archive, driver, migrate, storage_estimate
from db.cluster import Cluster
from db.ingest import ingest_csv_stream
from db.settings import Settings, load

DB = "smf_bench_storage"
MONTH = "2026-10"
START = datetime(2026, 10, 1, 3, tzinfo=UTC)  # local midnight of 1 October (-03:00)
DAYS = 31
LEGACY = ("active_fwd_wh", "reactive_ind_fwd_varh", "reactive_cap_fwd_varh")
SHAPES = {  # hourly share of the peak (local hour 0..23), and (business, Saturday, Sunday)
    "residential": (
        [
            *(0.35, 0.3, 0.28, 0.27, 0.27, 0.3, 0.42, 0.5, 0.45, 0.42, 0.42, 0.45),
            *(0.5, 0.48, 0.45, 0.45, 0.5, 0.62, 0.85, 1.0, 0.95, 0.8, 0.6, 0.45),
        ],
        (1.0, 1.05, 1.1),
    ),
    "commercial": (
        [
            *(0.2, 0.2, 0.2, 0.2, 0.2, 0.22, 0.3, 0.55, 0.85, 0.95, 1.0, 1.0),
            *(0.95, 0.98, 1.0, 0.98, 0.92, 0.85, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2),
        ],
        (1.0, 0.6, 0.3),
    ),
    "industrial_shift": (
        [
            *(0.15, 0.15, 0.15, 0.15, 0.15, 0.2, 0.6, 0.95, 1.0, 1.0, 1.0, 0.9),
            *(0.85, 1.0, 1.0, 1.0, 0.95, 0.6, 0.25, 0.18, 0.15, 0.15, 0.15, 0.15),
        ],
        (1.0, 0.45, 0.15),
    ),
    "industrial_continuous": ([0.9] * 24, (1.0, 0.95, 0.9)),
}


def month_table(meters: int, interval: int, channels: int, seed: int) -> pa.Table:
    """The archive-schema table of `meters` meters (serials B<interval>C<channels>-<i>)."""
    rng = np.random.default_rng(seed)
    per_day = 1440 // interval
    n = DAYS * per_day
    idx = np.arange(n)
    ts_us = (int(START.timestamp()) + idx * interval * 60).astype(np.int64) * 1_000_000
    local_hour = (idx * interval // 60) % 24
    weekday = (START.weekday() + idx // per_day) % 7  # 0 Monday
    day_kind = np.where(weekday < 5, 0, np.where(weekday == 5, 1, 2))
    hours = interval / 60
    tables = []
    for m in range(meters):
        kind = list(SHAPES)[int(rng.integers(0, len(SHAPES)))]
        shape, factors = SHAPES[kind]
        peak_kw = float(np.exp(rng.uniform(np.log(30), np.log(3000))))
        load_kw = (
            peak_kw
            * np.asarray(shape)[local_hour]
            * np.asarray(factors)[day_kind]
            * rng.lognormal(0, 0.08, n)
        )
        pv = rng.random() < 0.15
        gen_kw = np.zeros(n)
        if pv:
            hour_of_day = (idx * interval % 1440) / 60
            sun = np.clip(np.sin((hour_of_day - 6) / 12 * np.pi), 0, None)
            gen_kw = peak_kw * rng.uniform(0.3, 1.2) * sun * rng.uniform(0.5, 1.0, n)
        net = load_kw - gen_kw
        fwd = np.round(np.clip(net, 0, None) * hours * 1000)
        rev = np.round(np.clip(-net, 0, None) * hours * 1000)
        ind = np.round(fwd * rng.uniform(0.2, 0.5) * rng.lognormal(0, 0.1, n))
        night = (local_hour < 6) | (local_hour >= 22)
        cap = np.round(np.where(night, peak_kw * 0.05 * hours * 1000 * rng.random(n), 0))
        drift = 1 + 0.02 * np.sin(idx / per_day * 2 * np.pi + rng.uniform(0, 6.3))
        unbalance = rng.normal(1, 0.01, 3)
        volts = [
            np.round(127000 * drift * unbalance[k] * rng.normal(1, 0.003, n) / 10) * 10
            for k in range(3)
        ]
        amps = [
            np.round(
                np.clip(load_kw, 0, None)
                * 1000
                / 3
                / (volts[k] / 1000)
                * 1000
                * rng.normal(1, 0.02, n)
            )
            for k in range(3)
        ]
        cols = {
            "active_fwd_wh": fwd,
            "active_rev_wh": rev,
            "reactive_ind_fwd_varh": ind,
            "reactive_ind_rev_varh": np.zeros(n),
            "reactive_cap_fwd_varh": cap,
            "reactive_cap_rev_varh": np.zeros(n),
            "voltage_a_mv": volts[0],
            "voltage_b_mv": volts[1],
            "voltage_c_mv": volts[2],
            "current_a_ma": amps[0],
            "current_b_ma": amps[1],
            "current_c_ma": amps[2],
        }
        # outages: zero energy and voltage for 1-6 hours, a few per month
        for _ in range(int(rng.integers(0, 3))):
            a = int(rng.integers(0, n - per_day // 4))
            b = a + int(rng.integers(1, 7) * 60 / interval)
            for c in cols:
                cols[c][a:b] = 0
        keep = rng.random(n) >= 0.01  # 1 % of the intervals never arrive
        arrays: dict[str, Any] = {}
        for c, v in cols.items():
            v = np.clip(v, 0, 2**31 - 1).astype(np.int32)[keep]
            mask = None if channels == 12 or c in LEGACY else np.ones(len(v), dtype=bool)
            arrays[c] = pa.array(v, pa.int32(), mask=mask)
        rows = int(keep.sum())
        tables.append(
            pa.Table.from_arrays(
                [
                    pa.array([f"B{interval}C{channels}-{m:05d}"] * rows, pa.string()),
                    pa.array(ts_us[keep], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
                    *(arrays[c] for c in archive.CHANNEL_COLUMNS),
                    pa.array(["measured"] * rows, pa.string()),
                    pa.array(["meter"] * rows, pa.string()),
                ],
                schema=archive.SCHEMA,
            )
        )
    return pa.concat_tables(tables)


def machine(settings: Settings) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with psycopg.connect(settings.url) as c:
        pg = c.execute("show server_version").fetchone()[0]
        tsdb = c.execute(
            "select extversion from pg_extension where extname = 'timescaledb'"
        ).fetchone()[0]
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "os": platform.platform(terse=True),
        "postgresql": pg,
        "timescaledb": tsdb,
        "pyarrow": version("pyarrow"),
    }


SIZES = """
select (select count(*) from smf.interval_reading) as intervals,
       hypertable_size('smf.interval_reading') as hot,
       hypertable_size('smf.rollup_15min') as rollup_15min,
       hypertable_size('smf.rollup_hour') as rollup_hour,
       pg_total_relation_size('smf.rollup_day') as rollup_day,
       pg_total_relation_size('smf.rollup_month') as rollup_month
"""


def measure(settings: Settings, table: pa.Table, interval: int, channels: int, tmp: Path) -> tuple:
    with psycopg.connect(settings.url, autocommit=True) as c:
        c.execute(
            "truncate smf.interval_reading, smf.interval_reading_history, smf.rollup_15min, "
            "smf.rollup_hour, smf.rollup_day, smf.rollup_month, smf.ingest_quarantine"
        )
        c.execute("delete from smf.consumer_unit")
        c.execute("delete from smf.meter")
        serials = sorted(set(table.column("meter_serial").to_pylist()))
        ids = [
            c.execute(
                "insert into smf.meter (serial, interval_minutes, max_power_kw) "
                "values (%s, %s, 100000) returning id",
                (s, interval),
            ).fetchone()[0]
            for s in serials
        ]
        for k, mid in enumerate(ids):
            uc = c.execute("select smf.uc_code_with_check_digits(%s, 900)", (k + 1,)).fetchone()[0]
            c.execute(
                "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, "
                "submarket, tariff_group, modality, contracted_demand_fora_ponta_kw, "
                "supply_voltage_kv, main_meter_id) select %s, id, 'bench', 'SE/CO', 'A4', "
                "'verde', 500, 13.8, %s from smf.distributor where aneel_code = '900'",
                (uc, mid),
            )
    t = time.perf_counter()
    step = 200_000
    for i in range(0, table.num_rows, step):  # poller-like arrival is smaller; see RESULTS
        part = table.slice(i, step)
        body = (archive._CSV_HEADER + "\n").encode() + archive._to_csv(part)
        with driver.connect(settings) as conn:
            ingest_csv_stream(conn, io.BytesIO(body), origin="bench", source="meter")
    load_s = time.perf_counter() - t
    with psycopg.connect(settings.url, autocommit=True) as c:
        c.execute("vacuum analyze")
        sizes = c.execute(SIZES).fetchone()
    n = sizes[0]
    t = time.perf_counter()
    exp = archive.export_month("900", MONTH, tmp, settings=settings)
    export_s = time.perf_counter() - t
    assert exp.rows == n, (exp.rows, n)
    hot = {
        "interval_minutes": interval,
        "channels": channels,
        "intervals": n,
        "bytes_per_interval": round(sizes[1] / n, 2),
        "rollups": {
            "rollup_15min": round(sizes[2] / n, 2),
            "rollup_hour": round(sizes[3] / n, 2),
            "rollup_day": round(sizes[4] / n, 2),
            "rollup_month": round(sizes[5] / n, 2),
        },
    }
    arch = {
        "interval_minutes": interval,
        "channels": channels,
        "intervals": n,
        "bytes_per_interval": round(exp.bytes / n, 2),
        "rollups": {},
    }
    return hot, arch, load_s, export_s, exp.bytes


def scratch_database() -> Settings:
    """A fresh migrated database DB on the configured server, with distributor 900 and
    validation on ingest off."""
    base = load()
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    settings = base.with_database(DB)
    with psycopg.connect(base.with_database("postgres").url, autocommit=True) as admin:
        admin.execute(f"drop database if exists {DB} with (force)")
        admin.execute(f"create database {DB}")
    migrate.upgrade(settings)
    with psycopg.connect(settings.url, autocommit=True) as c:
        c.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name) "
            "values (9900, '900', 'bench')"
        )
        c.execute(
            "insert into smf.setting (key, value, description) values "
            "('vee_validate_on_ingest', 'off', 'bench') "
            "on conflict (key) do update set value = 'off'"
        )
    return settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=40, help="meters per class (4 classes)")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    settings = scratch_database()
    tmp = Path(tempfile.mkdtemp(prefix="smf-storage-figures-"))
    hot_figs, arch_figs = [], []
    print(f"{args.meters} meters per class, {DAYS} days ({MONTH}), realistic noise (see docstring)")
    print(
        f"{'class':<14}{'intervals':>11}{'hot B':>8}{'15min':>7}{'hour':>7}{'day':>6}"
        f"{'month':>7}{'rows+rollups':>14}{'parquet B':>11}{'load s':>8}{'export s':>9}"
    )
    for seed_k, (interval, channels) in enumerate(((5, 12), (5, 3), (15, 12), (15, 3))):
        table = month_table(args.meters, interval, channels, args.seed + seed_k)
        hot, arch, load_s, export_s, _ = measure(settings, table, interval, channels, tmp)
        hot_figs.append(hot)
        arch_figs.append(arch)
        r = hot["rollups"]
        total = hot["bytes_per_interval"] + sum(r.values())
        print(
            f"{f'{interval} min, {channels} ch':<14}{hot['intervals']:>11,}"
            f"{hot['bytes_per_interval']:>8.1f}{r['rollup_15min']:>7.1f}{r['rollup_hour']:>7.1f}"
            f"{r['rollup_day']:>6.1f}{r['rollup_month']:>7.2f}{total:>14.1f}"
            f"{arch['bytes_per_interval']:>11.2f}{load_s:>8.1f}{export_s:>9.1f}"
        )
    driver.dispose_all()
    command = ".venv/bin/python bench/storage_figures.py " + shlex.join(sys.argv[1:])
    when = datetime.now(UTC).isoformat(timespec="seconds")
    where = machine(settings)
    data = {
        "generator": "bench/storage_figures.py month_table (numpy, seed fixed)",
        "meters_per_class": args.meters,
        "days": DAYS,
        "month": MONTH,
        "seed": args.seed,
        "load": "ingest path (COPY + smf.ingest_finish + rollups), 200,000-row batches, "
        "validation on ingest off; sizes after VACUUM ANALYZE",
    }
    print(
        f"\nmeasured {when} on {where['cpu']}, {where['cores']} cores, PostgreSQL "
        f"{where['postgresql']}, TimescaleDB {where['timescaledb']}"
    )
    if args.no_write:
        return
    storage_estimate.update_figures(
        "hot",
        what="rows of smf.interval_reading (heap, indexes, TOAST) and the rollup tables",
        online=True,
        figures=hot_figs,
        command=command,
        machine=where,
        data=data,
        measured_at=when,
    )
    path = storage_estimate.update_figures(
        "archive",
        what="Parquet files, one per distributor-month (smf export parquet): zstd, delta",
        online=False,
        figures=arch_figs,
        command=command,
        machine=where,
        data=data,
        measured_at=when,
    )
    print(f"wrote tiers hot and archive of {path}")


if __name__ == "__main__":
    main()
