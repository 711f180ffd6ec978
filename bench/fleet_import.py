"""The generator's fleet month imported with every default on, VEE on ingest on and off (issue 24).

    .venv/bin/python bench/fleet_import.py [--meters 1000] [--days 30] [--seed 1]

tests/fleetgen.py writes one CSV file (5- and 15-minute meters, outages mid-interval, blown
fuses, unbalance, sags and tap changes, PV, capacitive nights, estimated/adjusted rows, missing
days). Two scratch databases on the local cluster (`smf_bench_fleet_off`, `smf_bench_fleet_on`),
migrated by this checkout, get the same registered fleet; the file is imported into each in one
transaction (db.ingest.ingest_csv, as `smf import` does), alarms evaluated on both, VEE on
ingest switched off (setting vee_validate_on_ingest) in the first. Prints the generator's time,
each import's wall time and rows/s, their ratio, and the checks of the VEE-on import: rows and
per-channel sums equal the generator's, findings per rule, duplicate identities, validation
errors. Asserts nothing; the machine's load shows in `loadavg` (printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import migrate
from db.cluster import Cluster
from db.ingest import ingest_csv
from db.settings import load
from tests.fleetgen import NAMES, Fleet

STORED = (
    "active_fwd_wh", "active_rev_wh", "reactive_ind_fwd_varh", "reactive_ind_rev_varh",
    "reactive_cap_fwd_varh", "reactive_cap_rev_varh", "voltage_a_mv", "voltage_b_mv",
    "voltage_c_mv", "current_a_ma", "current_b_ma", "current_c_ma",
)  # fmt: skip


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=1000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 1))
    ap.add_argument("--keep", action="store_true", help="keep the scratch databases")
    ap.add_argument("--no-alarms", action="store_true", help="alarm evaluation off in both")
    ap.add_argument("--only", choices=("off", "on"), help="one of the two imports only")
    args = ap.parse_args()
    base = load()
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    admin = base.with_database("postgres").url
    fleet = Fleet(meters=args.meters, days=args.days, start=args.start, seed=args.seed)

    tmp = Path(tempfile.mkdtemp(prefix="smf-bench-fleet-"))
    csv = tmp / "fleet.csv"
    t = time.perf_counter()
    size = fleet.write_csv(csv)
    gen_s = time.perf_counter() - t
    totals = np.zeros(len(NAMES), dtype=np.int64)
    rows = 0
    for d in fleet.data():
        rows += len(d)
        totals += np.array([int(d.values[k].sum()) for k in NAMES], dtype=np.int64)
    fives = sum(m.interval_minutes == 5 for m in fleet.meters)
    print(
        f"fleet: {args.meters} meters ({fives} of 5 min, {args.meters - fives} of 15 min) x "
        f"{args.days} days from {args.start}, seed {args.seed}: {rows:,} rows, "
        f"{size / 1e6:.0f} MB CSV, generated in {gen_s:.1f} s ({rows / gen_s:,.0f} rows/s); "
        f"load {_load()}"
    )
    times: dict[str, float] = {}
    try:
        for mode in (args.only,) if args.only else ("off", "on"):
            db = f"smf_bench_fleet_{mode}"
            s = base.with_database(db)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"drop database if exists {db} with (force)")
                conn.execute(f"create database {db}")
            migrate.upgrade(s)
            with psycopg.connect(s.url) as conn:
                fleet.register(conn)
                conn.execute(
                    "insert into smf.setting (key, value, description)"
                    " values ('vee_validate_on_ingest', %s, 'VEE rules after every ingest batch')"
                    " on conflict (key) do update set value = excluded.value",
                    (mode,),
                )
            if args.no_alarms:  # a session default of the scratch database
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f"alter database {db} set smf.alarm_evaluation = 'off'")
            t = time.perf_counter()
            result = ingest_csv(csv, settings=s)
            times[mode] = time.perf_counter() - t
            print(
                f"VEE on ingest {mode:3}: {times[mode]:7.1f} s ({rows / times[mode]:,.0f} rows/s); "
                f"load {_load()}\n  {result.summary()}"
            )
            with psycopg.connect(s.url) as conn:
                got = conn.execute(
                    f"select count(*), {', '.join(f'sum({c})::bigint' for c in STORED)}"
                    " from smf.interval_reading"
                ).fetchone()
                exact = got[0] == rows and list(got[1:]) == totals.tolist()
                print(f"  stored rows and per-channel sums equal the generator's: {exact}")
                if mode == "on":
                    by_rule = conn.execute(
                        "select rule, count(*) from smf.vee_finding group by 1 order by 2 desc"
                    ).fetchall()
                    dup = conn.execute(
                        "select count(*) - count(distinct (meter_id, rule, subject, ts_from,"
                        " ts_to)) from smf.vee_finding"
                    ).fetchone()[0]
                    errs = conn.execute(
                        "select count(*) from smf.job_run where outcome = 'error'"
                    ).fetchone()[0]
                    print(
                        f"  findings: {sum(n for _, n in by_rule):,} "
                        f"({', '.join(f'{r} {n:,}' for r, n in by_rule)}); duplicate identities "
                        f"{dup}; job_run errors {errs}"
                    )
            if not args.keep:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f"drop database if exists {db} with (force)")
        if len(times) == 2:
            print(f"ratio VEE on / off: {times['on'] / times['off']:.2f}")
    finally:
        csv.unlink(missing_ok=True)
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
