"""Alarm part of the demo: seeds a voltage unbalance (0x14 reading), a contracted-demand overrun
(an import) and a connectivity drop (a session log), all evaluated by the database's triggers as
they land, then prints the alarm sheet and the Grafana dashboards shipped. Idempotent."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from db import driver
from db.ingest import IntervalRow, ingest_rows
from smf.alarms import sheet, skipped
from smf.console import table

DASHBOARDS = Path(__file__).resolve().parents[2] / "grafana" / "dashboards"


def seed(start: datetime) -> None:
    """Data that breaks rules c, k and m, before/at the start of the demo month (UTC instants)."""
    with driver.connect() as conn:

        def meter(serial: str) -> int:
            row = driver.run_one(conn, "alarm_demo_meter", serial=serial)
            assert row is not None, f"demo meter {serial} missing"
            return int(row["id"])

        # c: VA 127, VB 118, VC 127 V -> mean 124, deviation 6 -> 4.84 % > 3 %
        driver.run(
            conn,
            "alarm_demo_instantaneous",
            meter_id=meter("99000001"),
            at=start + timedelta(days=1, hours=12),
            values=json.dumps(
                {
                    "VA": 127.0,
                    "VB": 118.0,
                    "VC": 127.0,
                    "IA": 40.0,
                    "IB": 41.0,
                    "IC": 40.0,
                    "PA": 4800.0,
                    "PB": 4600.0,
                    "PC": 4800.0,
                }
            ),
        )
        # k: Shopping Epsilon (contracted 1200 kW) at 1500 kW for 15 minutes, the day before
        ingest_rows(
            conn,
            [
                IntervalRow(
                    ts=start - timedelta(hours=11) + timedelta(minutes=5 * i),
                    meter_serial="99000005",
                    values={"active_fwd_kwh": 125.0},  # 125 kWh in 5 min = 1500 kW
                )
                for i in range(3)
            ],
            source="import",
            origin="alarm demo",
        )
        # m: 2 of 4 sessions ok in a day = 50 % < 80 %
        m3 = meter("99000003")
        day = start + timedelta(days=2)
        for h, outcome in enumerate(["ok", "link_error", "link_error", "ok"]):
            driver.run(
                conn,
                "alarm_demo_session",
                meter_id=m3,
                at=day + timedelta(hours=6 * h),
                outcome=outcome,
                error_class=None if outcome == "ok" else "timeout",
                message=None if outcome == "ok" else "no answer (simulated)",
            )


def run(start: datetime) -> None:
    seed(start)
    rows = sheet(state=None)
    table(
        [
            {
                "id": r["id"],
                "state": r["state"],
                "rule": f"{r['rule_code']} {r['rule_name']}",
                "UC": r["uc_code"],
                "customer": r["customer_name"],
                "violation": r["opened_at"],  # local time with its offset (smf.console)
                "value": r["value"],
                "threshold": r["threshold"],
                "unit": r["unit"],
            }
            for r in rows
        ],
        title=(
            f"\nAlarm sheet ({len(rows)} not closed; `smf alarms list`, "
            "`smf alarms ack ID --comment`)"
        ),
    )
    n_skipped = len(skipped())
    if n_skipped:
        print(
            f"{n_skipped} meter/rule group(s) not evaluated (no 0x14, import only ...): "
            "see `smf alarms list`"
        )
    print("Grafana dashboards (README: Grafana):")
    for p in sorted(DASHBOARDS.glob("*.json")):
        print(f"  {p.relative_to(DASHBOARDS.parents[1])}")
