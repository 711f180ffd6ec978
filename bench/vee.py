"""Benchmark of VEE: validation and estimation per meter-month of 5-minute, 12-channel data
with 2 % random gaps and a few spikes, in a scratch database of the local cluster (migrated from
scratch, filled with `insert ... select generate_series`, rolled up), printing the time per
meter-month. Every 10th UC also has a backup meter (complete data), so the main-vs-backup rule
and the backup fill run too. Baseline, measured in the same run: one scan of the meter-month
(count and sum of every channel), the least any per-meter rule pass must read.

    .venv/bin/python bench/vee.py [--meters 1000] [--sample 100] [--keep]

--sample: how many meter-months are validated and estimated (timed one by one); data is loaded
for --meters.
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg

from db import migrate
from db.settings import load

DB = "smf_vee_bench"
LO, HI = "2026-10-01 03:00+00", "2026-11-01 03:00+00"  # October 2026, local


def setup(url: str, n: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
            " values (9992, '992', 'Bench')"
        )
        conn.execute(
            "insert into smf.meter (serial, interval_minutes, channel_map)"
            " select 'M' || i, 5, array['active_fwd_kwh', 'active_rev_kwh',"
            " 'reactive_ind_fwd_kvarh', 'reactive_ind_rev_kvarh', 'reactive_cap_fwd_kvarh',"
            " 'reactive_cap_rev_kvarh', 'voltage_a_v', 'voltage_b_v', 'voltage_c_v',"
            " 'current_a_a', 'current_b_a', 'current_c_a']"
            " from generate_series(1, %s + %s / 10) i",
            (n, n),
        )
        conn.execute(
            "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
            " tariff_group, modality, contracted_demand_fora_ponta_kw, musd_kw, supply_voltage_kv,"
            " main_meter_id, backup_meter_id)"
            " select smf.uc_code_with_check_digits(i, 992), d.id, 'Bench', 'SE/CO', 'A4', 'verde',"
            " 500, 500, 13.8, i, case when i %% 10 = 0 then %s + i / 10 end"
            " from generate_series(1, %s) i, smf.distributor d",
            (n, n),
        )
        batch = conn.execute(
            "insert into smf.ingest_batch (source) values ('import') returning id"
        ).fetchone()[0]
        conn.commit()
        t = time.perf_counter()
        # the backup of main meter i (i % 10 = 0) is meter n + i/10 and reads the same values;
        # mains lose 2 % of intervals (a hash), backups none; ~1 in 5000 main intervals is x20
        conn.execute(
            "insert into smf.interval_reading select m, ts,"
            " case when spike then 20 else 1 end"
            " * (30000 + ((src * 7919 + e / 300) %% 10000))::int,"
            " 0, (12000 + ((src * 104729 + e / 300) %% 9000))::int, 0,"
            " ((src + e / 300) %% 2000)::int, 0,"
            " 220000 + ((src + e) %% 3000)::int, 219000 + ((src + e) %% 3000)::int,"
            " 221000 + ((src + e) %% 3000)::int,"
            " 150000 + ((src * 31 + e / 300) %% 20000)::int, 150000, 150000,"
            " 'measured', 'meter', %s"
            " from (select m, case when m > %s then (m - %s) * 10 else m end as src"
            "       from generate_series(1, %s + %s / 10) m) mm,"
            " generate_series(%s::timestamptz, %s::timestamptz - interval '5 minutes',"
            "                 '5 minutes') ts,"
            " lateral (select extract(epoch from ts)::bigint as e) x,"
            " lateral (select hashint8(m * 1000003 + e / 300) as h) hh,"
            " lateral (select m <= %s and abs(h) %% 5000 = 7 as spike) sp"
            " where m > %s or abs(h) %% 50 <> 0",
            (batch, n, n, n, n, LO, HI, n, n),
        )
        conn.execute(
            "select smf.rollup_refresh(array_agg(id), array_agg(%s::timestamptz),"
            " array_agg(%s::timestamptz - interval '5 minutes')) from smf.meter",
            (LO, HI),
        )
        conn.commit()
        rows = conn.execute("select count(*) from smf.interval_reading").fetchone()[0]
        print(
            f"data: {n} meter-months (+{n // 10} backup meters), {rows:,} rows of 12 channels,"
            f" loaded and rolled up in {time.perf_counter() - t:.1f} s"
        )


def per_meter(conn: psycopg.Connection, sql: str, meters: list[int]) -> list[float]:
    out = []
    for m in meters:
        t = time.perf_counter()
        conn.execute(sql, (m, LO, HI)).fetchall()
        conn.commit()
        out.append(time.perf_counter() - t)
    return out


SAMPLE: list[int] = []


def report(name: str, times: list[float], base: float | None = None) -> float:
    mean = statistics.fmean(times)
    slow = sorted(zip(times, SAMPLE, strict=True), reverse=True)[:3]
    ratio = f", {mean / base:.1f}x the baseline" if base else ""
    print(
        f"{name}: {len(times)} meter-months, mean {mean * 1000:.1f} ms, median"
        f" {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms per"
        f" meter-month{ratio}; slowest meters "
        + ", ".join(f"{m} ({t * 1000:.0f} ms)" for t, m in slow)
    )
    return mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    base = load()
    admin = base.with_database("postgres").url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"drop database if exists {DB} with (force)")
        conn.execute(f"create database {DB}")
    s = base.with_database(DB)
    migrate.upgrade(s)
    setup(s.url, args.meters)
    with psycopg.connect(s.url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
    step = max(1, args.meters // args.sample)
    meters = list(range(step, args.meters + 1, step))[: args.sample]  # every 10th has a backup
    SAMPLE[:] = meters
    with psycopg.connect(s.url) as conn:
        b = report(
            "baseline: one scan of the meter-month",
            per_meter(
                conn,
                "select count(*), sum(active_fwd_wh), sum(active_rev_wh),"
                " sum(reactive_ind_fwd_varh), sum(reactive_ind_rev_varh),"
                " sum(reactive_cap_fwd_varh), sum(reactive_cap_rev_varh),"
                " sum(voltage_a_mv), sum(voltage_b_mv), sum(voltage_c_mv), sum(current_a_ma),"
                " sum(current_b_ma), sum(current_c_ma) from smf.interval_reading"
                " where meter_id = %s and ts >= %s and ts < %s",
                meters,
            ),
        )
        report(
            "validation (smf.vee_validate, all rules)",
            per_meter(conn, "select smf.vee_validate(%s, %s, %s)", meters),
            b,
        )
        report(
            "validation re-run (nothing new)",
            per_meter(conn, "select smf.vee_validate(%s, %s, %s)", meters),
            b,
        )
        report(
            "estimation (smf.vee_estimate, through the ingest path)",
            per_meter(conn, "select smf.vee_estimate(%s, %s, %s, 'bench')", meters),
            b,
        )
        report(
            "estimation re-run (nothing to fill)",
            per_meter(conn, "select smf.vee_estimate(%s, %s, %s, 'bench')", meters),
            b,
        )
        r = conn.execute(
            "select count(*) filter (where rule = 'missing'),"
            " count(*) filter (where rule = 'spike'),"
            " count(*) filter (where rule like 'backup%%'), count(*)"
            " from smf.vee_finding"
        ).fetchone()
        q = conn.execute(
            "select count(*) filter (where quality = 'adjusted'), count(*) filter (where quality ="
            " 'estimated'), (select coalesce(sum(left_missing), 0) from smf.vee_estimation_run)"
            " from smf.interval_reading where source in ('estimate', 'backup_meter')"
        ).fetchone()
        print(
            f"findings: {r[3]} ({r[0]} missing runs, {r[1]} spikes, {r[2]} main-vs-backup);"
            f" estimated intervals: {q[0]} adjusted, {q[1]} estimated"
        )
    if not args.keep:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"drop database if exists {DB} with (force)")


if __name__ == "__main__":
    main()
