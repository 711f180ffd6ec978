"""A small registry for alarm, report and dashboard tests: one distributor, two UCs.

UC 1 (verde, contracted 100 kW) is measured by meter A12 (12 channels, 15-minute intervals,
polled over TCP); UC 2 by meter L3 (3 channels, import only, no 0x14).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg

TWELVE = [
    "active_fwd_kwh", "active_rev_kwh", "reactive_ind_fwd_kvarh", "reactive_ind_rev_kvarh",
    "reactive_cap_fwd_kvarh", "reactive_cap_rev_kvarh", "voltage_a_v", "voltage_b_v",
    "voltage_c_v", "current_a_a", "current_b_a", "current_c_a",
]  # fmt: skip
THREE = ["active_fwd_kwh", "reactive_ind_fwd_kvarh", "reactive_cap_fwd_kvarh"]


def seed_registry(url: str) -> dict[str, int]:
    """Create the registry; returns ids: dist, uc1, uc2, a12, l3."""
    with psycopg.connect(url) as c:
        dist = c.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name) "
            "values (9101, '059', 'Dist Teste') returning id"
        ).fetchone()[0]  # type: ignore[index]
        c.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start) "
            "values (%s, daterange('2020-01-01', null), '18:00')",
            (dist,),
        )
        ids = {"dist": dist}
        for serial, chans, minutes, transport in (
            ("A12", TWELVE, 15, "tcp://127.0.0.1:1"),
            ("L3", THREE, 15, None),
        ):
            ids[serial.lower()] = c.execute(
                "insert into smf.meter (serial, interval_minutes, channel_map, transport, protocol)"
                " values (%s, %s, %s, %s, %s) returning id",
                (serial, minutes, chans, transport, "nbr14522" if transport else "import_only"),
            ).fetchone()[0]  # type: ignore[index]
        for n, (name, meter) in enumerate((("Fabrica Um", "a12"), ("Loja Dois", "l3")), start=1):
            ids[f"uc{n}"] = c.execute(
                "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
                " tariff_group, modality, contracted_demand_fora_ponta_kw, musd_kw,"
                " supply_voltage_kv, main_meter_id) values (smf.uc_code_with_check_digits(%s, 59),"
                " %s, %s, 'SE/CO', 'A4', 'verde', 100, 100, 13.8, %s) returning id",
                (2000 + n, dist, name, ids[meter]),
            ).fetchone()[0]  # type: ignore[index]
    return ids


def insert_instant(url: str, meter_id: int, at: datetime, **values: float | None) -> None:
    with psycopg.connect(url) as c:
        c.execute(
            "insert into smf.instantaneous_reading (meter_id, at, values, reactive_characteristic)"
            " values (%s, %s, %s, 'LLLL')",
            (meter_id, at, json.dumps(values)),
        )


def rows(url: str, sql: str, *params: Any) -> list[dict[str, Any]]:
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as c:
        return c.execute(sql, params).fetchall()  # type: ignore[arg-type]


def execute(url: str, sql: str, *params: Any) -> None:
    with psycopg.connect(url) as c:
        c.execute(sql, params)  # type: ignore[arg-type]
