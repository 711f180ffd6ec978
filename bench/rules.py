"""Benchmark of the billing rules: billing summary and UFER/DMCR for 1 UC-month and for N UC-months
(default 1,000) of 5-minute data, in a scratch database of the local cluster (migrated from scratch,
filled with `insert ... select generate_series`), printing the time per UC-month.

    .venv/bin/python bench/rules.py [--ucs 1000] [--keep]
"""

from __future__ import annotations

import argparse
import time

import psycopg

from db import migrate
from db.settings import load

DB = "smf_rules_bench"
MONTH = "2026-10-01"


def setup(url: str, n: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
            " values (9991, '991', 'Bench')"
        )
        conn.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start)"
            " select id, '[2020-01-01,)', '18:00' from smf.distributor"
        )
        conn.execute(
            "insert into smf.meter (serial, interval_minutes)"
            " select 'B' || i, 5 from generate_series(1, %s) i",
            (n,),
        )
        conn.execute(
            "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
            " tariff_group, modality, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw,"
            " musd_kw, supply_voltage_kv, main_meter_id)"
            " select smf.uc_code_with_check_digits(m.id, 991), d.id, 'Bench', 'SE/CO', 'A4',"
            " 'azul',"
            " 300, 500, 500, 13.8, m.id from smf.meter m, smf.distributor d"
        )
        conn.execute(
            "insert into smf.transformer_loss select id, '[2020-01-01,)', 0.025"
            " from smf.consumer_unit"
        )
        for kind, item, posto, price in [
            ("azul", "energy", "ponta", 0.6),
            ("azul", "energy", "fora_ponta", 0.4),
            ("azul", "demand", "ponta", 50),
            ("azul", "demand", "fora_ponta", 20),
            ("azul", "ufer", "fora_ponta", 0.4),
            ("azul", "ufer", "ponta", 0.4),
        ]:
            conn.execute(
                "insert into smf.tariff (distributor_id, modality, item, posto, valid_during,"
                " price) select id, %s, %s, %s, '[2026-01-01,2027-01-01)', %s from smf.distributor",
                (kind, item, posto, price),
            )
        batch = conn.execute(
            "insert into smf.ingest_batch (source) values ('import') returning id"
        ).fetchone()[0]
        conn.commit()
        t = time.perf_counter()
        conn.execute(
            "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, reactive_ind_fwd_varh,"
            " reactive_cap_fwd_varh, batch_id)"
            " select m, ts,"
            " 30000 + ((m * 7919 + extract(epoch from ts)::bigint / 300) %% 10000)::int,"
            " 12000 + ((m * 104729 + extract(epoch from ts)::bigint / 300) %% 9000)::int,"
            " ((m + extract(epoch from ts)::bigint / 300) %% 2000)::int, %s"
            " from generate_series(1, %s) m,"
            " generate_series('2026-10-01 03:00+00'::timestamptz, '2026-11-01 02:55+00',"
            " '5 minutes') ts",
            (batch, n),
        )
        conn.execute(
            "select smf.rollup_refresh(array_agg(id),"
            " array_agg('2026-10-01 03:00+00'::timestamptz),"
            " array_agg('2026-11-01 02:55+00'::timestamptz)) from smf.meter"
        )
        conn.commit()
        print(f"data: {n} meters x 8928 intervals loaded in {time.perf_counter() - t:.1f} s")


def timed(conn: psycopg.Connection, sql: str, params: tuple) -> float:
    t = time.perf_counter()
    conn.execute(sql, params).fetchall()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ucs", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    base = load()
    admin = base.with_database("postgres").url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"drop database if exists {DB} with (force)")
        conn.execute(f"create database {DB}")
    s = base.with_database(DB)
    migrate.upgrade(s)
    setup(s.url, args.ucs)
    with psycopg.connect(s.url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
        code = conn.execute("select uc_code from smf.consumer_unit order by id limit 1").fetchone()[
            0
        ]
        for name, sql in [
            ("billing_summary", "select * from smf.billing_summary(%s, %s)"),
            ("ufer_dmcr", "select * from smf.ufer_dmcr(%s, %s)"),
        ]:
            timed(conn, sql, (code, MONTH))  # warm-up
            runs = [timed(conn, sql, (code, MONTH)) for _ in range(5)]
            print(
                f"{name}, 1 UC-month: best {min(runs) * 1000:.1f} ms, median "
                f"{sorted(runs)[2] * 1000:.1f} ms"
            )
        t = timed(conn, "select * from smf.billing_summary_distributor('991', %s)", (MONTH,))
        print(
            f"billing_summary_distributor, {args.ucs} UC-months: {t:.2f} s "
            f"= {t / args.ucs * 1000:.1f} ms per UC-month"
        )
        t = timed(
            conn,
            "select u.* from smf.consumer_unit cu, lateral smf.ufer_dmcr_of(cu.id, %s) u",
            (MONTH,),
        )
        print(
            f"ufer_dmcr_of, {args.ucs} UC-months: {t:.2f} s"
            f" = {t / args.ucs * 1000:.1f} ms per UC-month"
        )
    if not args.keep:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"drop database if exists {DB} with (force)")


if __name__ == "__main__":
    main()
