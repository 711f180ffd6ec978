"""Helpers for the archive tests: a registry of two distributors, a month of varied intervals
loaded through the ingest path, and a hash of every stored value, quality and source computed
in SQL (independently of db/archive.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg

from db import driver
from db.ingest import IntervalRow, ingest_rows

DIST = "059"
OTHER_DIST = "077"
MONTH = "2026-10"
# October 2026, local America/Sao_Paulo (-03:00 all year since 2019): the month starts at local
# midnight of 1 October = 03:00 UTC, and ends at local midnight of 1 November = 03:00 UTC.
MONTH_FROM = datetime(2026, 10, 1, 3, tzinfo=UTC)
MONTH_TO = datetime(2026, 11, 1, 3, tzinfo=UTC)
# 31 days x 288 five-minute intervals = 8,928; x 96 fifteen-minute intervals = 2,976.
MAIN, BACKUP, QUARTER, FOREIGN = "59000001", "59000002", "59000003", "77000001"
CHANNELS = (
    "active_fwd_wh",
    "active_rev_wh",
    "reactive_ind_fwd_varh",
    "reactive_ind_rev_varh",
    "reactive_cap_fwd_varh",
    "reactive_cap_rev_varh",
    "voltage_a_mv",
    "voltage_b_mv",
    "voltage_c_mv",
    "current_a_ma",
    "current_b_ma",
    "current_c_ma",
)
NAMES = (
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
)


def registry(url: str, *, max_kw: float = 100000, vee: bool = False) -> dict[str, int]:
    """Distributor 059 with UC 1 (main MAIN, backup BACKUP) and UC 2 (15-minute QUARTER);
    distributor 077 with UC 3 (FOREIGN). Returns serial -> meter id.

    vee=False switches validation on ingest off (setting vee_validate_on_ingest): validating
    a restored meter-month costs ~8 s on this machine, and only the round-trip test needs
    the ingest path with every default on."""
    ids: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        if not vee:
            conn.execute(
                "insert into smf.setting (key, value, description) "
                "values ('vee_validate_on_ingest', 'off', 'archive tests') "
                "on conflict (key) do update set value = 'off'"
            )
        dists = {}
        for code in (DIST, OTHER_DIST):
            dists[code] = conn.execute(
                "insert into smf.distributor (ccee_agent_code, aneel_code, name) "
                "values (%s, %s, %s) returning id",
                (9000 + int(code), code, f"Distribuidora {code}"),
            ).fetchone()[0]
        # Registered in another order than their serials sort: the file's order (by serial)
        # must not be the order of the ids.
        for serial, interval in ((QUARTER, 15), (BACKUP, 5), (MAIN, 5), (FOREIGN, 5)):
            ids[serial] = conn.execute(
                "insert into smf.meter (serial, interval_minutes, max_power_kw, channel_map) "
                "values (%s, %s, %s, %s) returning id",
                (serial, interval, max_kw, list(NAMES)),
            ).fetchone()[0]
        for seq, code, main, backup in (
            (1, DIST, MAIN, BACKUP),
            (2, DIST, QUARTER, None),
            (3, OTHER_DIST, FOREIGN, None),
        ):
            uc = conn.execute(
                "select smf.uc_code_with_check_digits(%s, %s)", (seq, int(code))
            ).fetchone()[0]
            conn.execute(
                "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, "
                "submarket, tariff_group, modality, contracted_demand_fora_ponta_kw, "
                "supply_voltage_kv, main_meter_id, backup_meter_id) "
                "values (%s, %s, 'Cliente', 'SE/CO', 'A4', 'verde', 500, 13.8, %s, %s)",
                (uc, dists[code], ids[main], ids[backup] if backup else None),
            )
    return ids


def month_rows(serial: str, interval: int, seed: int, *, margin_h: int = 3) -> list[IntervalRow]:
    """Every interval of MONTH (plus `margin_h` hours either side, which belong to the
    neighbouring months) with noisy values: a daily load shape, reverse energy in the
    afternoon, a zero run, a channel left empty here and there, and rows of every quality and
    source (estimates, backup fills, manual edits, a `missing` placeholder)."""
    rng = np.random.default_rng(seed)
    step = timedelta(minutes=interval)
    start = MONTH_FROM - timedelta(hours=margin_h)
    n = int((MONTH_TO - MONTH_FROM + 2 * timedelta(hours=margin_h)) / step)
    out: list[IntervalRow] = []
    scale = interval / 5
    for i in range(n):
        ts = start + i * step
        hour = (ts.hour - 3) % 24  # local hour
        load = 20000 + 15000 * np.sin((hour - 6) / 24 * 2 * np.pi)
        wh = max(0, int(scale * (load + rng.normal(0, 2500))))
        if 2000 <= i < 2040:  # a zero run
            wh = 0
        rev = int(rng.integers(0, 4000)) if 12 <= hour < 16 else 0
        values: dict[str, float | None] = {
            "active_fwd_kwh": wh / 1000,
            "active_rev_kwh": rev / 1000,
            "reactive_ind_fwd_kvarh": int(wh * 0.31 + rng.integers(0, 50)) / 1000,
            "reactive_ind_rev_kvarh": 0.0,
            "reactive_cap_fwd_kvarh": int(rng.integers(0, 800)) / 1000,
            "reactive_cap_rev_kvarh": None if i % 97 == 0 else 0.0,
            "voltage_a_v": int(127000 + rng.normal(0, 900)) / 1000,
            "voltage_b_v": int(127300 + rng.normal(0, 900)) / 1000,
            "voltage_c_v": None if i % 131 == 5 else int(126800 + rng.normal(0, 900)) / 1000,
            "current_a_a": int(abs(rng.normal(40000, 6000))) / 1000,
            "current_b_a": int(abs(rng.normal(38000, 6000))) / 1000,
            "current_c_a": int(abs(rng.normal(41000, 6000))) / 1000,
        }
        quality, source = "measured", "meter"
        if i % 500 == 17:
            quality, source = "estimated", "estimate"
        elif i % 700 == 33:
            quality, source = "adjusted", "backup_meter"
        elif i % 900 == 41:
            quality, source = "adjusted", "manual"
        elif i % 1100 == 59:
            quality, source = "missing", "meter"
            values = dict.fromkeys(NAMES)
        out.append(
            IntervalRow(ts=ts, values=values, meter_serial=serial, quality=quality, source=source)
        )
    return out


def load_month(url: str, *, seed: int = 19) -> int:
    """Load the month of every meter through the ingest path; returns the rows given."""
    n = 0
    with driver.connect(url) as conn:
        for k, (serial, interval) in enumerate(
            ((MAIN, 5), (BACKUP, 5), (QUARTER, 15), (FOREIGN, 5))
        ):
            rows = month_rows(serial, interval, seed + k)
            result = ingest_rows(conn, rows, source="meter", origin=f"test {serial}")
            assert result.quarantined_total == 0, result.summary()
            n += len(rows)
    return n


def value_hash(
    url: str,
    serials: tuple[str, ...] = (MAIN, BACKUP, QUARTER),
    lo: datetime = MONTH_FROM,
    hi: datetime = MONTH_TO,
) -> tuple[int, str]:
    """(rows, md5) over every stored interval of `serials` in [lo, hi): serial, ts (epoch
    microseconds), the 12 values (an empty field for NULL), quality, source; ordered by serial
    and ts. Written apart from db/archive.py, so an error there cannot hide itself."""
    cols = ", ".join(f"coalesce(r.{c}::text, '')" for c in CHANNELS)
    sql = f"""
        select count(*), md5(coalesce(string_agg(
            concat_ws('|', m.serial, (extract(epoch from r.ts) * 1000000)::bigint::text,
                      {cols}, r.quality::text, r.source::text),
            E'\\n' order by m.serial, r.ts), ''))
        from smf.interval_reading r join smf.meter m on m.id = r.meter_id
        where m.serial = any(%s) and r.ts >= %s and r.ts < %s"""
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, (list(serials), lo, hi)).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def wait_for_backend(url: str, like: str, timeout: float = 60) -> bool:
    """Wait until a session of the database at `url` runs a statement matching `like`."""
    dbname = psycopg.conninfo.conninfo_to_dict(url).get("dbname")
    end = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < end:
            row = conn.execute(
                "select count(*) from pg_stat_activity where datname = %s and state = 'active' "
                "and query ilike %s and pid <> pg_backend_pid()",
                (dbname, like),
            ).fetchone()
            if row and row[0]:
                return True
            time.sleep(0.01)
    return False


def wait_until_idle(url: str, timeout: float = 60) -> None:
    """Wait until no other session of the database at `url` is left (a killed client's backend
    ends its transaction, rolled back, when it notices the client is gone)."""
    dbname = psycopg.conninfo.conninfo_to_dict(url).get("dbname")
    end = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < end:
            row = conn.execute(
                "select count(*) from pg_stat_activity where datname = %s "
                "and pid <> pg_backend_pid() and backend_type = 'client backend' "
                "and state <> 'idle'",
                (dbname,),
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError("a killed client's session is still busy")


def stored_rows(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select m.serial, r.ts from smf.interval_reading r join smf.meter m on m.id = "
            "r.meter_id order by 1, 2"
        ).fetchall()
