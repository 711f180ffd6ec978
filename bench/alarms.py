"""Benchmark of alarm evaluation (issue 12 §5): its cost per meter read and for a 1,000-meter
import, measured against the same work with evaluation switched off, in the same run.

A scratch database of the local cluster (migrated from scratch) gets N meters (default 1,000,
12 channels, 15 minutes) with UCs, and thresholds for every rule a-m, so each read evaluates
every rule. Then:
1. per meter read, as the poller stores one: a day of intervals (96, one ingest batch), one 0x14
   reading and the session row, one transaction per read; R reads with evaluation and R with it
   switched off (smf.alarm_evaluation = off: the triggers still fire and return at once),
   different meters, fresh data each; and the evaluation functions timed on their own;
2. one import of a day of all N meters (N x 96 rows, one batch), with evaluation on and off.

    .venv/bin/python bench/alarms.py [--meters 1000] [--reads 200] [--keep]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from db import driver, migrate
from db.ingest import IntervalRow, ingest_rows
from db.settings import load

DB = "smf_alarms_bench"
DAY0 = datetime(2026, 10, 5, 3, tzinfo=UTC)  # a local midnight
TWELVE = [
    "active_fwd_kwh",
    "active_rev_kwh",
    "reactive_ind_fwd_kvarh",
    "reactive_ind_rev_kvarh",
    "reactive_cap_fwd_kvarh",
    "reactive_cap_rev_kvarh",
    "voltage_a_v",
    "voltage_b_v",
    "voltage_c_v",
    "current_a_a",
    "current_b_a",
    "current_c_a",
]


def setup(url: str, n: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
            " values (9992, '992', 'Bench')"
        )
        conn.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start)"
            " select id, '[2020-01-01,)', '18:00' from smf.distributor"
        )
        conn.execute(
            "insert into smf.meter (serial, interval_minutes, channel_map, transport)"
            " select 'AB' || i, 15, %s, 'tcp://127.0.0.1:1' from generate_series(1, %s) i",
            (TWELVE, n),
        )
        conn.execute(
            "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
            " tariff_group, modality, contracted_demand_fora_ponta_kw, musd_kw,"
            " supply_voltage_kv, main_meter_id)"
            " select smf.uc_code_with_check_digits(m.id, 992), d.id, 'Bench', 'SE/CO', 'A4',"
            " 'verde', 500, 500, 13.8, m.id from smf.meter m, smf.distributor d"
        )
        for rule, value in (("a", 200), ("b", 250), ("e", -50), ("f", 0.5), ("g", 1000)):
            conn.execute(
                "insert into smf.alarm_threshold (rule_code, value) values (%s, %s)", (rule, value)
            )


def day_rows(meter: int, day: datetime, breach: bool) -> list[IntervalRow]:
    """96 quarter-hours; with breach, the noon interval is unbalanced (c) and over demand (k)."""
    out = []
    for q in range(96):
        bad = breach and q == 48
        v = {name: 0.0 for name in TWELVE[:6]}
        v.update(
            active_fwd_kwh=150.0 if bad else 80.0 + (q % 7),
            voltage_a_v=230.0 if bad else 220.0,
            voltage_b_v=210.0 if bad else 219.0,
            voltage_c_v=221.0,
            current_a_a=300.0,
            current_b_a=301.0,
            current_c_a=299.0,
        )
        out.append(IntervalRow(ts=day + timedelta(minutes=15 * q), meter_id=meter, values=v))
    return out


def evaluation(conn: Any, enabled: bool) -> None:
    """Switch alarm evaluation for this transaction (the triggers still fire and return)."""
    conn.execute(
        "select set_config('smf.alarm_evaluation', %s, true)", ("on" if enabled else "off",)
    )


def one_read(url: str, meter: int, day: datetime, breach: bool, enabled: bool = True) -> float:
    """Store one read like the poller (one transaction); returns seconds."""
    values = {
        "VA": 220.0,
        "VB": 200.0 if breach else 219.0,
        "VC": 221.0,
        "IA": 30.0,
        "IB": 31.0,
        "IC": 29.0,
        "PA": 6000.0,
        "PB": 6100.0,
        "PC": 5900.0,
    }
    rows = day_rows(meter, day, breach)
    t = time.perf_counter()
    with driver.connect(url) as conn:
        evaluation(conn, enabled)
        ingest_rows(conn, rows, source="meter", origin="bench")
        conn.execute(
            "insert into smf.instantaneous_reading (meter_id, at, values) values (%s, %s, %s)",
            (meter, day + timedelta(hours=23), json.dumps(values)),
        )
        conn.execute(
            "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome,"
            " clock_drift_s) values (%s, %s, 900, 'schedule', 'ok', %s)",
            (meter, day + timedelta(hours=23, minutes=1), 400 if breach else 2),
        )
    return time.perf_counter() - t


def eval_only(url: str, r: int, day: datetime, rounds: int = 5) -> tuple[list[float], list[float]]:
    """Seconds per read of the evaluation functions alone, measured inside the server (one
    statement evaluating meters 1..r, so no client round trip), per round: (0x14 + session,
    96 intervals). Warm session, rolled back."""
    inst = json.dumps(
        {
            "VA": 220,
            "VB": 219,
            "VC": 221,
            "IA": 30,
            "IB": 31,
            "IC": 29,
            "PA": 6000,
            "PB": 6100,
            "PC": 5900,
        }
    )
    a: list[float] = []
    b: list[float] = []
    with psycopg.connect(url) as conn:
        for _ in range(rounds + 1):  # the first round compiles the functions' plans
            t = time.perf_counter()
            conn.execute(
                "select count(smf.alarm_eval_instantaneous(m, %s, %s::jsonb)),"
                " count(smf.alarm_eval_poll(m, %s, 'ok', 2)) from generate_series(1, %s) m",
                (day, inst, day, r),
            )
            a.append((time.perf_counter() - t) / r)
            t = time.perf_counter()
            conn.execute(
                "select count(smf.alarm_eval_intervals(array[m], array[%s::timestamptz],"
                " array[%s::timestamptz])) from generate_series(1, %s) m",
                (DAY0, DAY0 + timedelta(minutes=15 * 95), r),
            )
            b.append((time.perf_counter() - t) / r)
        conn.rollback()
    return a[1:], b[1:]


def import_eval_only(url: str, n: int, day: datetime) -> float:
    """Seconds of smf.alarm_eval_intervals over the spans of the whole import, rolled back."""
    with psycopg.connect(url) as conn:
        t = time.perf_counter()
        conn.execute(
            "select smf.alarm_eval_intervals(array_agg(m), array_agg(%s::timestamptz),"
            " array_agg(%s::timestamptz)) from generate_series(1, %s) m",
            (day, day + timedelta(minutes=15 * 95), n),
        )
        elapsed = time.perf_counter() - t
        conn.rollback()
    return elapsed


def med(xs: list[float]) -> float:
    return statistics.median(xs) * 1000


def stats(xs: list[float]) -> str:
    ms = sorted(x * 1000 for x in xs)
    return (
        f"mean {statistics.mean(ms):.1f} ms, p50 {ms[len(ms) // 2]:.1f}, "
        f"p95 {ms[int(len(ms) * 0.95)]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=200)
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
    r = min(args.reads, args.meters // 2)
    # 1. per read: warm up, then alternate blocks so both modes see the same cache state.
    one_read(s.url, 1, DAY0 - timedelta(days=1), False)
    on: list[float] = []
    off: list[float] = []
    for k in range(r):
        breach = k % 4 == 0  # a quarter of the reads raise alarms, the others clear or pass
        on.append(one_read(s.url, 1 + k, DAY0, breach, True))
        off.append(one_read(s.url, 1 + r + k, DAY0, breach, False))
    alarms = driver_count(s.url)
    a, b = eval_only(s.url, r, DAY0 + timedelta(hours=23, minutes=30))
    tot = [x + y for x, y in zip(a, b, strict=True)]
    print(f"per read (96 intervals + 0x14 + session, {r} reads each, {alarms} alarms raised):")
    print(f"  evaluation on:          {stats(on)}")
    print(f"  evaluation off (base):  {stats(off)}")
    diff = statistics.mean(on) * 1000 - statistics.mean(off) * 1000
    print(f"  difference: {diff:+.2f} ms per read ({diff / (statistics.mean(off) * 1000):+.1%})")
    print(f"  evaluation alone, in the server, per read ({len(a)} rounds of {r} meters):")
    print(f"    0x14 + session: best round {min(a) * 1000:.2f} ms, median {med(a):.2f} ms")
    print(f"    96 intervals:   best round {min(b) * 1000:.2f} ms, median {med(b):.2f} ms")
    print(f"    total:          best round {min(tot) * 1000:.2f} ms, median {med(tot):.2f} ms")
    # 2. a day of all meters in one import batch, with evaluation on and off.
    res = {}
    for enabled, day in ((False, DAY0 + timedelta(days=1)), (True, DAY0 + timedelta(days=2))):
        rows = [x for m in range(1, args.meters + 1) for x in day_rows(m, day, m % 10 == 0)]
        t = time.perf_counter()
        with driver.connect(s.url) as conn:
            evaluation(conn, enabled)
            ingest_rows(conn, rows, source="import", origin="bench")
        res[enabled] = time.perf_counter() - t
    n_rows = args.meters * 96
    print(f"import of {args.meters} meters x 96 intervals ({n_rows} rows, 10 % with breaches):")
    print(
        f"  evaluation on {res[True]:.2f} s, off {res[False]:.2f} s:"
        f" evaluation {res[True] - res[False]:+.2f} s"
        f" ({(res[True] - res[False]) / res[False]:+.1%}),"
        f" {(res[True] - res[False]) / args.meters * 1000:+.2f} ms per meter"
    )
    t = import_eval_only(s.url, args.meters, DAY0 + timedelta(days=2))
    print(
        f"  evaluation alone over the import's spans (re-run, rolled back): {t:.2f} s"
        f" = {t / args.meters * 1000:.2f} ms per meter"
    )
    print(f"  alarms on the sheet now: {driver_count(s.url)}")
    if not args.keep:
        driver.dispose_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"drop database if exists {DB} with (force)")


def driver_count(url: str) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute("select count(*) from smf.alarm").fetchone()
        return row[0] if row else 0


if __name__ == "__main__":
    main()
