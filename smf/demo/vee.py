"""VEE in the demo: one more UC ("Laticinio Zeta") whose main meter has gaps and a spike and
whose backup meter drifts for a morning; its month is then estimated (backup fill where the
backup has the interval, day-type mean where it does not), so the demo shows findings and
estimates and every UC's month reaches 100 % complete, flagged measured/adjusted/estimated.
Deterministic and idempotent like smf/demo/dataset.py, whose generator it reuses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from db import driver, vee
from db.channels import QUANTITY_NAMES
from db.ingest import IntervalRow, ingest_rows

SERIAL, BACKUP = "99000006", "99009006"
PEAK_KW = 400.0


def _local(start: datetime, day: int, hour: int, minute: int = 0) -> datetime:
    """The instant of local day `day` (1-based, of the demo month) at hh:mm (-03:00)."""
    return start + timedelta(days=day - 1, hours=hour, minutes=minute)


def _scaled(rows: list[IntervalRow], serial: str, factor: Any) -> list[IntervalRow]:
    out = []
    for r in rows:
        f = factor(r.ts)
        values = {
            k: (round(v * f, 3) if v is not None and k.endswith(("kwh", "kvarh")) else v)
            for k, v in r.values.items()
        }
        out.append(IntervalRow(ts=r.ts, meter_serial=serial, values=values))
    return out


def run(
    conn: driver.Connection,
    start: datetime,
    end: datetime,
    distributor_id: int,
    *,
    aneel_code: str,
    generate: Callable[..., list[IntervalRow]],
) -> None:
    """Load the VEE case for the distributor `distributor_id` (ANEEL code `aneel_code`); the
    demo's `generate` makes the 5-minute rows (passed in: dataset.py imports this module)."""
    twelve = list(QUANTITY_NAMES)

    ids = {}
    for serial in (SERIAL, BACKUP):
        row = driver.run_one(
            conn, "upsert_meter", serial=serial, manufacturer="Demo", model="DM12",
            protocol="import_only", interval_minutes=5, channel_map=twelve,
            channel_constants=None, utc_offset_minutes=-180, transport=None,
            max_power_kw=PEAK_KW * 25,
        )  # fmt: skip
        assert row is not None
        ids[serial] = row["id"]
    uc = driver.run_one(
        conn, "upsert_consumer_unit", sequential=1006, aneel_code=aneel_code,
        distributor_id=distributor_id, customer_name="Laticinio Zeta", submarket="SE/CO",
        tariff_group="A4", modality="verde", ponta_kw=None, fora_ponta_kw=PEAK_KW,
        musd_kw=PEAK_KW, supply_voltage_kv=13.8, main_meter_id=ids[SERIAL],
    )  # fmt: skip
    assert uc is not None
    driver.run(conn, "vee_demo_backup", uc_id=uc["id"], backup_meter_id=ids[BACKUP])

    rows = generate(SERIAL, PEAK_KW, 5, twelve, start, end, seed=6)
    short = (_local(start, 12, 10), _local(start, 12, 10, 15))  # 3 intervals, backup has them
    long = (_local(start, 15, 14), _local(start, 15, 17))  # 36 intervals, backup lacks them
    drift = (_local(start, 20, 9), _local(start, 20, 12))  # backup reads 8 % high

    def in_(ts: datetime, span: tuple[datetime, datetime]) -> bool:
        return span[0] <= ts < span[1]

    backup = _scaled(rows, BACKUP, lambda ts: 1.08 if in_(ts, drift) else 1.0)
    backup = [r for r in backup if not in_(r.ts, long)]
    spike_at = _local(start, 18, 11)
    main = _scaled(rows, SERIAL, lambda ts: 12.0 if ts == spike_at else 1.0)
    main = [r for r in main if not in_(r.ts, short) and not in_(r.ts, long)]
    print(f"  meter {BACKUP} (backup of {SERIAL}): "
          f"{ingest_rows(conn, backup, source='import', origin='demo').summary()}")  # fmt: skip
    print(f"  meter {SERIAL}: {ingest_rows(conn, main, source='import', origin='demo').summary()}")

    [est] = vee.estimate(conn, "meter", SERIAL, start, end, "demo")
    filled = est["result"]["filled"] or "nothing (already estimated)"
    print(f"\nVEE for {SERIAL} (Laticinio Zeta): estimated {filled}")
    counts = driver.run(
        conn, "vee_findings_by_rule", meters=list(ids.values()), **{"from": start, "to": end}
    )
    print("  findings: " + ", ".join(f"{c['rule']} {c['status']} {c['n']}" for c in counts))
    month = (start - timedelta(hours=3)).date().replace(day=1)
    for q in driver.run(conn, "vee_quality_counts", meters=[ids[SERIAL]], month=month):
        print(
            f"  {q['serial']}: {q['measured']} measured, {q['adjusted']} adjusted, "
            f"{q['estimated']} estimated, {q['missing']} missing of {q['expected']} intervals"
        )
    print(f"  why: .venv/bin/smf vee explain --meter {SERIAL} --at {long[0].isoformat()}")
