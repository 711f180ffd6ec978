"""Writes that land in a sealed period go through the same ingest path and behave exactly as on
rows: a late reading, an estimate that loses to a measured value (precedence), a manual edit
(history kept), an unchanged re-import. The same scenario runs on a database that never sealed
and on one that sealed everything before each write and seals again after: every interval,
history row, rollup, batch count, VEE finding and CCEE fingerprint must be equal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from db import driver
from db.ingest import IntervalRow, ingest_rows
from db.settings import Settings
from tests.ccee.helpers import make_uc
from tests.conftest import TEMPLATE, clone, drop
from tests.storage.helpers import counts, interval_hash, rollup_hash, seal_all

START = datetime(2024, 1, 1, tzinfo=UTC)  # Monday
STEP = timedelta(minutes=5)


def _setup(url: str) -> int:
    with psycopg.connect(url) as conn:
        return make_uc(conn, 1).meter_id


def _rows(meter: int, days: int, skip: set[int]) -> list[IntervalRow]:
    out = []
    for i in range(days * 288):
        if i in skip:
            continue
        wh = 20 + (i * 7919) % 50  # deterministic, 20..69 Wh
        out.append(
            IntervalRow(
                ts=START + STEP * i,
                values={
                    "active_fwd_kwh": Decimal(wh) / 1000,
                    "reactive_ind_fwd_kvarh": Decimal(wh // 3) / 1000,
                },
                meter_id=meter,
            )
        )
    return out


def _ingest(url: str, rows: list[IntervalRow], source: str) -> dict[str, Any]:
    with driver.connect(url) as conn:
        r = ingest_rows(conn, rows, source=source)
    return {"inserted": r.inserted, "updated": r.updated, "unchanged": r.unchanged}


def _state(url: str, meter: int) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        hist = conn.execute(
            "select count(*), md5(string_agg(concat_ws('|', h.meter_id, h.ts, h.active_fwd_wh,"
            " h.reactive_ind_fwd_varh, h.quality, h.source, h.batch_id, h.superseded_by_batch,"
            "  h.changed_by, h.reason), E'\\n' order by h.ts, h.batch_id))"
            " from smf.interval_reading_history h where meter_id = %s",
            (meter,),
        ).fetchone()
        fps = conn.execute(
            "select array_agg(smf.ccee_fingerprint(cu.id, d::date) order by d)"
            " from smf.consumer_unit cu,"
            " generate_series('2024-01-01'::date, '2024-01-21', '1 day') d"
            " where cu.main_meter_id = %s",
            (meter,),
        ).fetchone()
        conn.execute(
            "select smf.vee_validate(%s, '2024-01-01 03:00+00', '2024-01-22 03:00+00')", (meter,)
        )
        findings = conn.execute(
            "select array_agg(concat_ws('|', rule, ts_from, ts_to, severity, status, detail)"
            " order by ts_from, rule) from smf.vee_finding where meter_id = %s",
            (meter,),
        ).fetchone()
        return {
            "intervals": interval_hash(conn, meter),
            "history": hist,
            "fingerprints": fps,
            "findings": findings,
            **{lvl: rollup_hash(conn, meter, lvl) for lvl in ("15min", "hour", "day", "month")},
        }


def _seal(url: str) -> None:
    with psycopg.connect(url) as conn:
        seal_all(conn)


@pytest.mark.slow
def test_late_reading_estimate_edit_and_reimport_in_sealed_periods_match_rows(
    db_settings: Settings, test_cluster: Settings
) -> None:
    control = db_settings.url
    sealed_settings = clone(test_cluster, TEMPLATE)
    sealed = sealed_settings.url
    try:
        meter = _setup(control)
        assert _setup(sealed) == meter
        base = _rows(meter, 21, skip={100, 101, 2500})  # three gaps

        def one(slot: int, kwh: str, quality: str | None = None) -> IntervalRow:
            return IntervalRow(
                ts=START + STEP * slot,
                values={"active_fwd_kwh": Decimal(kwh)},
                meter_id=meter,
                quality=quality,
            )

        ops: list[tuple[str, list[IntervalRow]]] = [
            ("meter", base),
            # a late reading fills the gap at slot 100 (week 1)
            ("meter", [one(100, "0.031")]),
            # an estimate for a measured slot (week 2) loses to the meter's value; the gap at
            # slot 2500 (week 2) takes it
            ("estimate", [one(2100, "0.999", "estimated"), one(2500, "0.044", "estimated")]),
            # a manual edit replaces a measured value (week 3): history keeps the old one
            ("manual", [one(5000, "0.012", "adjusted")]),
            # the same week re-imported unchanged: nothing changes
            ("meter", base[4700:4800]),
        ]
        results: dict[str, list[dict[str, Any]]] = {"control": [], "sealed": []}
        for source, rows in ops:
            results["control"].append(_ingest(control, rows, source))
            _seal(sealed)
            with psycopg.connect(sealed) as conn:
                assert counts(conn, meter)[0] == 0  # everything sealed before the write
            results["sealed"].append(_ingest(sealed, rows, source))
        _seal(sealed)
        with psycopg.connect(sealed) as conn:
            assert counts(conn, meter) == (0, 3)  # re-sealed: three weeks, no hot row
        assert results["sealed"] == results["control"]
        # the estimate lost at slot 2100 and won the gap: 1 inserted, 0 updated, 1 unchanged
        assert results["control"][2] == {"inserted": 1, "updated": 0, "unchanged": 1}
        assert results["control"][3] == {"inserted": 0, "updated": 1, "unchanged": 0}
        assert results["control"][4] == {"inserted": 0, "updated": 0, "unchanged": 100}
        want = _state(control, meter)
        assert want["history"][0] == 1  # the manual edit superseded one row
        assert _state(sealed, meter) == want
    finally:
        drop(sealed_settings)
