"""Benchmark of a distributor's billing run (issue 21 item 4): the per-UC loop over
smf.billing_summary and smf.ufer_dmcr_of as they were on main at 7063499 (frozen in
bench/baseline/billing_7063499.sql, loaded into schema billing_main of the scratch database, so the
baseline runs in the same process, database and minute as the new code) against the set-based run
(smf.billing_summary_distributor, smf.ufer_dmcr_set) and the per-UC calls of today.

Data: a scratch database `smf_billing_bench` of the local cluster, migrated from scratch: one
distributor with N UCs (3 azul : 1 verde), 5-minute main meters, one month (October 2026, 8,928
intervals each) with a 2.5% loss factor, ponta 18:00, tariffs set; reactive load between fT 0.86 and
0.96, so about half of the hours carry UFER. Both sides must return the same rows (compared as
text, scales included) or the bench stops.

The old SQL runs twice: as it is (at N = 50 the planner picks a nested loop that probes each
meter's month once per slot) and with enable_nestloop off (its best plan, the one the 1,000-UC
bench/rules.py run got: the fair baseline).

Prints, per UC-month, the wall time and the CPU time of the database backend (from
/proc/<backend pid>/stat: the machine is shared, and wall time under load measures the neighbours
too), the ratio old / new, and the load average before and after.

    .venv/bin/python bench/billing.py [--ucs 50] [--runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import psycopg

from db import migrate
from db.settings import load

DB = "smf_billing_bench"
MONTH = "2026-10-01"
BASELINE = Path(__file__).parent / "baseline" / "billing_7063499.sql"


def setup(url: str, n: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
            " values (9992, '992', 'Bench billing')"
        )
        conn.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start)"
            " select id, '[2020-01-01,)', '18:00' from smf.distributor"
        )
        conn.execute(
            "insert into smf.meter (serial, interval_minutes)"
            " select 'BB' || i, 5 from generate_series(1, %s) i",
            (n,),
        )
        conn.execute(
            "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
            " tariff_group, modality, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw,"
            " musd_kw, supply_voltage_kv, main_meter_id)"
            " select smf.uc_code_with_check_digits(m.id, 992), d.id, 'Bench', 'SE/CO', 'A4',"
            " case when m.id % 4 = 0 then 'verde' else 'azul' end,"
            " case when m.id % 4 = 0 then null else 300 end, 500, 500, 13.8, m.id"
            " from smf.meter m, smf.distributor d"
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
            ("azul", "ufer", "ponta", 0.4),
            ("azul", "ufer", "fora_ponta", 0.4),
            ("verde", "energy", "ponta", 1.6),
            ("verde", "energy", "fora_ponta", 0.4),
            ("verde", "demand", "unica", 20),
            ("verde", "ufer", "ponta", 0.4),
            ("verde", "ufer", "fora_ponta", 0.4),
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


def backend_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` (the backend: same machine, local cluster)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    conn: psycopg.Connection[Any], pid: int, calls: list[tuple[str, tuple[Any, ...]]]
) -> tuple[float, float, list[str]]:
    """Wall and backend CPU seconds of running `calls` one after the other; their rows as text."""
    rows: list[str] = []
    t, c = time.perf_counter(), backend_cpu_s(pid)
    for sql, params in calls:
        rows += [r[0] for r in conn.execute(f"select t::text from ({sql}) t", params).fetchall()]
    return time.perf_counter() - t, backend_cpu_s(pid) - c, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ucs", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="runs of each path (best is kept)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    n = args.ucs
    base = load()
    admin = base.with_database("postgres").url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"drop database if exists {DB} with (force)")
        conn.execute(f"create database {DB}")
    s = base.with_database(DB)
    migrate.upgrade(s)
    setup(s.url, n)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with psycopg.connect(s.url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
        conn.execute(BASELINE.read_text())
        pid = int(conn.execute("select pg_backend_pid()").fetchone()[0])
        ucs = conn.execute(
            "select id, uc_code from smf.consumer_unit order by uc_code"
        ).fetchall()  # fmt: skip
        ids = [int(i) for i, _ in ucs]
        bill = "select * from {}.billing_summary(%s, %s)"
        ufer = "select %s::int as uc_id, * from {}.ufer_dmcr_of(%s, %s)"
        paths = {
            "old per-UC loop": (
                [(bill.format("billing_main"), (code, MONTH)) for _, code in ucs],
                [(ufer.format("billing_main"), (i, i, MONTH)) for i in ids],
            ),
            # the same SQL with the planner's nested loops off: the old code at its best plan
            # (at N = 50 it picks a nested loop that probes the meter's month once per slot)
            "old per-UC loop, nestloop off": (
                [(bill.format("billing_main"), (code, MONTH)) for _, code in ucs],
                [(ufer.format("billing_main"), (i, i, MONTH)) for i in ids],
            ),
            "new per-UC loop": (
                [(bill.format("smf"), (code, MONTH)) for _, code in ucs],
                [(ufer.format("smf"), (i, i, MONTH)) for i in ids],
            ),
            "new distributor run": (
                [("select * from smf.billing_summary_distributor('992', %s)", (MONTH,))],
                [
                    (
                        "select * from smf.ufer_dmcr_set(%s, %s)"
                        " order by array_position(%s::int[], uc_id), posto desc",
                        (ids, MONTH, ids),
                    )
                ],
            ),
        }
        results: dict[str, dict[str, tuple[float, float]]] = {}
        reference: dict[str, list[str]] = {}
        for name, (bill_calls, ufer_calls) in paths.items():
            results[name] = {}
            conn.execute(f"set enable_nestloop = {'off' if 'nestloop off' in name else 'on'}")
            for what, calls in (("billing_summary", bill_calls), ("ufer_dmcr_of", ufer_calls)):
                measure(conn, pid, calls[:1])  # warm-up (catalog, plans of the helpers)
                runs = []
                for _ in range(1 if name == "old per-UC loop" else args.runs):
                    wall, cpu, rows = measure(conn, pid, calls)
                    runs.append((wall, cpu))
                    if what not in reference:
                        reference[what] = rows
                    elif rows != reference[what]:
                        raise SystemExit(f"{name}: {what} rows differ from the old per-UC loop")
                results[name][what] = (min(w for w, _ in runs), min(c for _, c in runs))
                wall, cpu = results[name][what]
                print(
                    f"{name:>29}, {what:<16} {n} UC-months: wall {wall * 1000 / n:7.1f} ms,"
                    f" backend CPU {cpu * 1000 / n:7.1f} ms per UC-month"
                )
        print(f"same rows on every path ({len(reference['billing_summary'])} billing rows)")
        for base in ("old per-UC loop", "old per-UC loop, nestloop off"):
            for name in ("new per-UC loop", "new distributor run"):
                for what in ("billing_summary", "ufer_dmcr_of"):
                    (ow, oc), (nw, nc) = results[base][what], results[name][what]
                    print(
                        f"ratio {base} / {name}, {what}: wall {ow / nw:.1f}x,"
                        f" CPU {oc / nc if nc else float('inf'):.1f}x"
                    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.keep:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"drop database if exists {DB} with (force)")


if __name__ == "__main__":
    main()
