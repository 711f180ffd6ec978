"""Writes grafana/dashboards/*.json (run after changing a panel: python grafana/generate.py).

Every panel has a unit (kWh/kvarh, V, A, %, a count) and, where a reference exists, a threshold
line (0.92 on power factor, 99 % completeness). Daily and monthly panels group by the local day
and month (smf_read.local_timezone(), America/Sao_Paulo by default), never by Grafana's UTC
buckets; the dashboards display in that zone (SMF_LOCAL_TIMEZONE when generating).

Every panel's SQL reads only schema smf_read (views and functions a scoped read-only login role
may use; db/functions/625_dashboards_read.sql), so the rows it shows are filtered by that role's
scope in the database. tests/grafana/ runs each of them AS such a role with the macros
substituted as Grafana's PostgreSQL data source does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
DS = {"type": "grafana-postgresql-datasource", "uid": "smf"}
ZONE = os.environ.get("SMF_LOCAL_TIMEZONE") or "America/Sao_Paulo"
# Grafana unit ids; reactive energy has none of its own: a suffix
KWH, KVARH, VOLT, AMP, PERCENT, COUNT, RATIO = (
    "kwatth", "suffix: kvarh", "volt", "amp", "percent", "short", "none"
)  # fmt: skip
# SQL: the local day an instant falls in, as the instant of its local midnight
LOCAL_DAY = (
    "(date_trunc('day', {t} at time zone smf_read.local_timezone())"
    " at time zone smf_read.local_timezone())"
)


def by_column(rules: dict[str, str]) -> list[dict[str, Any]]:
    """Field overrides: a unit per column-name pattern (regular expression)."""
    return [
        {
            "matcher": {"id": "byRegexp", "options": pattern},
            "properties": [{"id": "unit", "value": unit}],
        }
        for pattern, unit in rules.items()
    ]


CHANNEL_UNITS = {
    "/^active/": KWH,
    "/^reactive/": KVARH,
    "/^voltage/": VOLT,
    "/^current/": AMP,
    "/completeness_pct/": PERCENT,
}


def threshold_line(value: float, below: str = "red", above: str = "green") -> dict[str, Any]:
    """A reference drawn as a line (fieldConfig.defaults fragment)."""
    return {
        "thresholds": {
            "mode": "absolute",
            "steps": [{"color": below, "value": None}, {"color": above, "value": value}],
        },
        "custom": {"thresholdsStyle": {"mode": "line"}},
    }


_ids = iter(range(1, 1000))


def target(sql: str, fmt: str = "time_series") -> dict[str, Any]:
    return {
        "datasource": DS,
        "refId": "A",
        "editorMode": "code",
        "rawQuery": True,
        "format": fmt,
        "rawSql": sql.strip(),
    }


def panel(
    title: str,
    sql: str,
    kind: str = "timeseries",
    *,
    unit: str = "",
    w: int = 12,
    h: int = 8,
    fmt: str | None = None,
    desc: str = "",
    overrides: list[dict[str, Any]] | None = None,
    reference: float | None = None,
) -> dict[str, Any]:
    """A panel; `unit` is required (tests/grafana checks every panel has one), `reference` a
    threshold line at that value."""
    if not unit:
        raise ValueError(f"panel {title!r}: give its unit")
    fmt = fmt or ("table" if kind in ("table", "stat", "barchart") else "time_series")
    defaults: dict[str, Any] = {"unit": unit}
    if reference is not None:
        defaults.update(threshold_line(reference))
    return {
        "id": next(_ids),
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": DS,
        "gridPos": {"h": h, "w": w, "x": 0, "y": 0},
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": {},
        "targets": [target(sql, fmt)],
    }


def row(title: str, panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": next(_ids),
            "type": "row",
            "title": title,
            "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": 0},
            "panels": [],
        },
        *panels,
    ]


def layout(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    x = y = 0
    line_h = 0
    for p in panels:
        g = p["gridPos"]
        if p["type"] == "row" or x + g["w"] > 24:
            x, y = 0, y + line_h
            line_h = 0
        g["x"], g["y"] = x, y
        x += g["w"]
        line_h = max(line_h, g["h"])
        if p["type"] == "row":
            x, y, line_h = 0, y + 1, 0
    return panels


def dashboard(
    uid: str,
    title: str,
    panels: list[dict[str, Any]],
    variables: list[dict[str, Any]],
    time_from: str = "now-7d",
    desc: str = "",
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": desc,
        "tags": ["smf"],
        "timezone": ZONE,
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "time": {"from": time_from, "to": "now"},
        "templating": {"list": variables},
        "panels": layout(panels),
    }


def query_var(name: str, label: str, sql: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "query": sql,
        "definition": sql,
        "refresh": 1,
        "multi": False,
        "includeAll": False,
        "current": {},
    }


def custom_var(name: str, label: str, values: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "custom",
        "query": ",".join(values),
        "multi": False,
        "includeAll": False,
        "current": {"text": values[0], "value": values[0]},
        "options": [{"text": v, "value": v, "selected": i == 0} for i, v in enumerate(values)],
    }


ENERGY = (
    "active_fwd, active_rev, reactive_ind_fwd, reactive_ind_rev, reactive_cap_fwd, reactive_cap_rev"
)
SCALES = [
    ("15min", "Day - 15-minute intervals"),
    ("hour", "Week - hourly"),
    ("day", "Month - daily"),
    ("month", "Year - monthly"),
]


def uc_dashboard() -> dict[str, Any]:
    src = "smf_read.uc_channels('${uc}', $__timeFrom(), $__timeTo(), '{step}', '${mode}')"
    panels: list[dict[str, Any]] = []
    for step, title in SCALES:
        f = src.replace("{step}", step)
        panels += row(
            title,
            [
                panel(
                    f"Energy per bucket ({step}) - kWh / kvarh, or pulses",
                    f'select bucket_start as "time", {ENERGY} from {f} order by 1',
                    w=12,
                    unit=KWH,
                    overrides=by_column({"/^reactive/": KVARH}),
                    desc="In pulses (Units = pulses) the numbers are pulse counts, not kWh.",
                ),
                panel(
                    f"Voltages A, B, C ({step} mean) - V",
                    'select bucket_start as "time", '
                    f"voltage_a, voltage_b, voltage_c from {f} order by 1",
                    unit="volt",
                    w=6,
                ),
                panel(
                    f"Currents A, B, C ({step} mean) - A",
                    'select bucket_start as "time", '
                    f"current_a, current_b, current_c from {f} order by 1",
                    unit="amp",
                    w=6,
                ),
                panel(
                    f"Table ({step}): the 12 channels",
                    f"select * from {f} order by 1",
                    "table",
                    w=24,
                    h=8,
                    unit=RATIO,
                    overrides=by_column(CHANNEL_UNITS),
                ),
            ],
        )
    rsrc = "smf_read.uc_reactive_hourly('${uc}', $__timeFrom(), $__timeTo())"
    panels += row(
        "Power factor and excess reactive (billing rules, loss-adjusted)",
        [
            panel(
                "Power factor per hour (fT, reference 0.92)",
                f'select hour as "time", power_factor from {rsrc} order by 1',
                w=12,
                unit=RATIO,
                reference=0.92,
                desc="Below the 0.92 line the hour is billed excess reactive (UFER/DMCR).",
            ),
            panel(
                "Excess reactive UFER per local day (kWh)",
                f'select {LOCAL_DAY.format(t="hour")} as "time", sum(ufer_kwh) as ufer_kwh '
                f"from {rsrc} group by 1 order by 1",
                "barchart",
                w=12,
                fmt="time_series",
                unit=KWH,
            ),
            panel(
                "Table: hourly P, Q, fT, UFER",
                f"select * from {rsrc} order by 1",
                "table",
                w=24,
                unit=RATIO,
                overrides=by_column({"/kwh$/": KWH, "/kvarh$/": KVARH, "/_kw$/": "kwatt"}),
            ),
        ],
    )
    return dashboard(
        "smf-uc",
        "SMF - consumer unit",
        panels,
        [
            query_var(
                "uc",
                "UC",
                "select uc_code as __value, uc_code || ' ' || customer_name as "
                "__text from smf_read.uc_directory order by customer_name",
            ),
            custom_var("mode", "Units", ["units", "pulses"]),
        ],
        "now-30d",
        "The 12 mass-memory channels of a UC's main meter, power factor and excess "
        "reactive, at 15 minutes, hourly, daily and monthly; tables export as CSV.",
    )


def fleet_dashboard() -> dict[str, Any]:
    panels = [
        panel(
            "Completeness per meter and local day (%)",
            'select bucket_start as "time", serial as metric, completeness_pct '
            "from smf_read.meter_daily where $__timeFilter(bucket_start) order by 1",
            unit=PERCENT,
            reference=99,
            desc="smf_read.meter_daily: one row per local day; the line is the 99 % a bill needs.",
        ),
        panel(
            "Daily connectivity per meter (% sessions ok)",
            'select day_start as "time", serial as metric, connectivity_pct '
            "from smf_read.meter_connectivity_daily where $__timeFilter(day_start) order by 1",
            unit="percent",
        ),
        panel(
            "Completeness over the range per UC",
            "select u.uc_code, u.customer_name, u.meter_serial, sum(d.n_expected) as expected, "
            "sum(d.n_measured + d.n_adjusted + d.n_estimated) as present, "
            "round(100.0 * sum(d.n_measured + d.n_adjusted + d.n_estimated) / "
            "nullif(sum(d.n_expected), 0), 2) as completeness_pct "
            "from smf_read.uc_directory u join smf_read.meter_daily d on d.meter_id = u.meter_id "
            "where $__timeFilter(d.bucket_start) group by 1, 2, 3 order by 6, 1",
            "table",
            w=12,
            unit=COUNT,
            overrides=by_column({"/completeness_pct/": PERCENT}),
            desc="expected and present: counts of intervals.",
        ),
        panel(
            "Poll health",
            "select serial, uc_code, customer_name, poll_schedule, "
            "last_attempt_at, last_outcome, last_ok_at, failures_since_ok, monitoring "
            "from smf_read.fleet_poll_health order by failures_since_ok desc, serial",
            "table",
            w=12,
            unit=COUNT,
            desc="failures_since_ok: a count of sessions; times in the dashboard's zone.",
        ),
    ]
    return dashboard(
        "smf-fleet",
        "SMF - fleet",
        panels,
        [],
        "now-7d",
        "Completeness of interval data, daily connectivity and poll health.",
    )


def alarm_dashboard() -> dict[str, Any]:
    panels = [
        panel(
            "Alarm sheet (not closed)",
            "select id, state, rule_code || ' ' || rule_name as rule, uc_code, customer_name, "
            "meter_serial, opened_at, last_at, value, value_text, threshold, unit, phase, "
            "occurrences, acknowledged_by, acknowledged_at, cleared_at from smf_read.alarm_sheet "
            "where state <> 'closed' order by last_at desc",
            "table",
            w=24,
            h=10,
            unit=RATIO,
            desc="value and threshold are in the row's unit column (V, A, %, kW, s ...).",
        ),
        panel(
            "Active alarms per rule",
            "select rule_code || ' ' || rule_name as rule, count(*) as active "
            "from smf_read.alarm_sheet where state in ('open', 'acknowledged') "
            "group by 1 order by 1",
            "barchart",
            w=8,
            unit=COUNT,
        ),
        panel(
            "Alarms opened per local day",
            f'select {LOCAL_DAY.format(t="opened_at")} as "time", count(*) as opened '
            "from smf_read.alarm_sheet where $__timeFilter(opened_at) group by 1 order by 1",
            w=16,
            unit=COUNT,
        ),
        panel(
            "Rules not evaluated (meters that cannot report the quantity)",
            "select serial, uc_code, customer_name, rule_code, rule_name, status "
            "from smf_read.alarm_coverage where status like 'skipped:%' order by 1, 4",
            "table",
            w=24,
            unit=RATIO,
            desc="Text only: which rule a meter cannot report, and why.",
        ),
    ]
    return dashboard(
        "smf-alarms",
        "SMF - alarm sheet",
        panels,
        [],
        "now-30d",
        "Alarms a-m of seed 003 §5.9: acknowledge with `smf alarms ack`.",
    )


def main() -> None:
    for name, d in (
        ("smf-uc", uc_dashboard()),
        ("smf-fleet", fleet_dashboard()),
        ("smf-alarms", alarm_dashboard()),
    ):
        (OUT / f"{name}.json").write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {OUT / name}.json")


if __name__ == "__main__":
    main()
