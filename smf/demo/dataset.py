"""The demo dataset: a few distributors, consumer units and meters with a month of generated
5-minute data (a realistic daily and weekly shape), loaded through the ingest path, then a
summary per UC from the monthly rollups. Deterministic and idempotent: a re-run changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from db import driver, rules
from db.channels import LEGACY_3_CHANNELS, QUANTITY_NAMES
from db.ingest import IntervalRow, ingest_rows
from db.settings import load
from smf.demo import alarms as alarms_demo
from smf.demo import vee as vee_demo

DISTRIBUTORS = [
    (9001, "059", "Distribuidora Demo Sudeste"),
    (9002, "047", "Distribuidora Demo Sul"),
]
# (customer, distributor index, modality, peak kW, interval minutes, channels)
UNITS = [
    ("Metalurgica Alfa", 0, "azul", 900, 5, 12),
    ("Supermercado Beta", 0, "verde", 350, 5, 3),
    ("Hospital Gama", 0, "azul", 600, 5, 12),
    ("Frigorifico Delta", 1, "verde", 480, 15, 3),
    ("Shopping Epsilon", 1, "azul", 1200, 5, 12),
]
TWELVE = list(QUANTITY_NAMES)
THREE = list(LEGACY_3_CHANNELS)
LOCAL = timedelta(hours=-3)


def local_today(now: datetime | None = None, zone: str | None = None) -> date:
    """Today on the local calendar (SMF_LOCAL_TIMEZONE, America/Sao_Paulo by default), not UTC's:
    at 22:30 -03:00 on November 30 it is already December 1 in UTC, but the demo month must
    still be October (the month before the local one), not the unfinished November."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must carry its UTC offset")
    return moment.astimezone(ZoneInfo(zone or load().local_timezone)).date()


def previous_month(today: date) -> tuple[datetime, datetime]:
    """UTC start and end of the local calendar month before `today`."""
    first = today.replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    return (
        datetime(start.year, start.month, 1, tzinfo=UTC) - LOCAL,
        datetime(first.year, first.month, 1, tzinfo=UTC) - LOCAL,
    )


def load_shape(starts_local: np.ndarray, peak_kw: float, seed: int) -> np.ndarray:
    """Average power (kW) per interval: night base, a working-day plateau, lighter weekends."""
    rng = np.random.default_rng(seed)
    hours = (starts_local.astype("datetime64[m]").astype(np.int64) % 1440) / 60.0
    weekday = (starts_local.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 0 = Monday
    day = np.clip(np.sin((hours - 6.5) / 12.0 * np.pi), 0, None) ** 0.7
    level = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.55, 0.35))
    kw = peak_kw * (0.25 + 0.7 * day * level)
    return np.maximum(kw * rng.normal(1.0, 0.04, kw.shape), 0.0)


def generate(
    serial: str,
    peak_kw: float,
    minutes: int,
    channels: list[str],
    start: datetime,
    end: datetime,
    seed: int,
) -> list[IntervalRow]:
    n = int((end - start).total_seconds() // (minutes * 60))
    starts = np.datetime64(start.replace(tzinfo=None), "m") + np.arange(n) * minutes
    kw = load_shape(starts + np.timedelta64(-180, "m"), peak_kw, seed)
    kwh = np.round(kw * minutes / 60.0, 3)
    hours = (starts + np.timedelta64(-180, "m")).astype("datetime64[m]").astype(np.int64) % 1440
    night = hours < 360
    rows = []
    rng = np.random.default_rng(seed + 1)
    volts = np.round(220 + rng.normal(0, 2.0, n), 1)
    for i in range(n):
        values: dict[str, float | None] = {
            "active_fwd_kwh": float(kwh[i]),
            "reactive_ind_fwd_kvarh": 0.0 if night[i] else round(float(kwh[i]) * 0.38, 3),
            "reactive_cap_fwd_kvarh": round(float(kwh[i]) * 0.30, 3) if night[i] else 0.0,
        }
        if len(channels) == 12:
            amps = round(float(kw[i]) * 1000 / (3 * 127.0), 1)
            values.update(
                {
                    "active_rev_kwh": 0.0,
                    "reactive_ind_rev_kvarh": 0.0,
                    "reactive_cap_rev_kvarh": 0.0,
                    "voltage_a_v": float(volts[i]),
                    "voltage_b_v": float(volts[i]) - 0.4,
                    "voltage_c_v": float(volts[i]) + 0.3,
                    "current_a_a": amps,
                    "current_b_a": amps,
                    "current_c_a": amps,
                }
            )
        ts = start + timedelta(minutes=minutes * i)
        rows.append(IntervalRow(ts=ts, meter_serial=serial, values=values))
    return rows


def main(days: int | None = None, today: date | None = None, now: datetime | None = None) -> int:
    """Load the local month before `today` (default: the local date of `now`, default the clock)."""
    start, end = previous_month(today or local_today(now))
    if days:
        end = min(end, start + timedelta(days=days))
    month = (start + LOCAL).date().replace(day=1)
    with driver.connect() as conn:
        dist_ids = [
            driver.run_scalar(conn, "upsert_distributor", ccee_agent_code=c, aneel_code=a, name=n)
            for c, a, n in DISTRIBUTORS
        ]
        for dist_id in dist_ids:
            driver.run(conn, "demo_posto_schedule", distributor_id=dist_id)
            driver.run(conn, "demo_tariffs", distributor_id=dist_id)
        driver.run(conn, "demo_pld", start=start, end=end)
        for i, (name, d, modality, peak, minutes, nch) in enumerate(UNITS, start=1):
            serial = f"9900{i:04d}"
            channels = TWELVE if nch == 12 else THREE
            meter = driver.run_one(
                conn,
                "upsert_meter",
                serial=serial,
                manufacturer="Demo",
                model=f"DM{nch}",
                protocol="import_only",
                interval_minutes=minutes,
                channel_map=channels,
                channel_constants=None,
                utc_offset_minutes=-180,
                transport=None,
                max_power_kw=peak * 3,
            )
            assert meter is not None
            uc = driver.run_one(
                conn,
                "upsert_consumer_unit",
                sequential=1000 + i,
                aneel_code=DISTRIBUTORS[d][1],
                distributor_id=dist_ids[d],
                customer_name=name,
                submarket="SE/CO" if d == 0 else "S",
                tariff_group="A4",
                modality=modality,
                ponta_kw=round(peak * 0.6) if modality == "azul" else None,
                fora_ponta_kw=peak,
                musd_kw=peak if i != 5 else peak * 0.75,  # one UC breaks the MUSD rule
                supply_voltage_kv=13.8,
                main_meter_id=meter["id"],
            )
            assert uc is not None
            # ~95 % of a year at this load shape (about 0.45 x peak on average), in MWh
            driver.run(
                conn,
                "demo_contract",
                code=f"DEMO-{uc['uc_code']}",
                uc_code=uc["uc_code"],
                year_start=month.replace(month=1),
                annual_mwh=round(peak * 0.45 * 8.76 * 0.95, 3),
            )
            result = ingest_rows(
                conn,
                generate(serial, peak, minutes, channels, start, end, seed=i),
                source="import",
                origin="demo",
            )
            print(f"  meter {serial}: {result.summary()}")
        # gaps, a spike, a backup meter; VEE
        vee_demo.run(
            conn, start, end, dist_ids[0], aneel_code=DISTRIBUTORS[0][1], generate=generate
        )
        rows = driver.run(conn, "month_summary_per_uc", month=month)
        for r in rows:  # the billing rules on the same data (db/functions/1xx)
            items = rules.billing_summary(conn, r["uc_code"], month)
            r["bill"] = next((i["amount"] for i in items if i["item"] == "total"), None)
            r["musd"] = rules.musd_check(conn, r["uc_code"], month)["verdict"]
    print(f"\nMonth {month:%Y-%m} (local), per consumer unit:")
    print(
        f"{'UC':<16} {'customer':<20} {'energy kWh':>12} {'complete %':>10} {'max kW':>9} "
        f"{'bill R$':>11} {'MUSD check':>10}"
    )
    for r in rows:
        print(
            f"{r['uc_code']:<16} {r['customer_name']:<20} {r['energy_kwh'] or 0:>12} "
            f"{r['completeness_pct'] or 0:>10} {r['max_demand_kw'] or 0:>9} "
            f"{r['bill'] or 0:>11} {r['musd']:>10}"
        )
    print(f"\nNext: .venv/bin/smf report --uc {rows[0]['uc_code']} --month {month:%Y-%m}")
    alarms_demo.run(start)  # seeded alarms and the Grafana dashboards (issue 12)
    # The demo month goes to CCEE (our emulator on loopback), then the deadline board.
    from smf.demo import ccee as ccee_demo

    return ccee_demo.run(month, [r["uc_code"] for r in rows])
