"""Grafana's PostgreSQL macros and template variables, substituted as the data source does
(pkg/tsdb/grafana-postgresql-datasource/macros.go): times in RFC 3339 UTC, $__timeFilter as
BETWEEN, $__timeGroup as epoch-second floors."""

from __future__ import annotations

import re
from datetime import datetime

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def seconds(interval: str) -> int:
    m = re.fullmatch(r"'?(\d+)([smhdw])'?", interval.strip())
    if not m:
        raise ValueError(f"interval {interval!r} is not like '15m' or '1d'")
    return int(m.group(1)) * _UNITS[m.group(2)]


def rfc3339(t: datetime) -> str:
    return (
        t.astimezone().strftime("%Y-%m-%dT%H:%M:%S")
        + t.strftime("%z")[:3]
        + ":"
        + t.strftime("%z")[3:]
    )


def interpolate(
    sql: str, t0: datetime, t1: datetime, variables: dict[str, str], interval: str = "1h"
) -> str:
    """The SQL Grafana sends for a panel over [t0, t1] with these template variable values."""
    for name, value in sorted(variables.items(), key=lambda kv: -len(kv[0])):
        sql = sql.replace("${" + name + "}", value).replace("[[" + name + "]]", value)
        sql = re.sub(r"\$" + re.escape(name) + r"\b", value, sql)
    sql = sql.replace("$__interval_ms", str(seconds(interval) * 1000))
    sql = sql.replace("$__interval", interval)
    f, t = f"'{rfc3339(t0)}'", f"'{rfc3339(t1)}'"

    def args(text: str) -> list[str]:
        return [a.strip() for a in text.split(",")]

    def group(m: re.Match[str], alias: bool) -> str:
        a = args(m.group(1))
        s = seconds(a[1])
        out = f"floor(extract(epoch from {a[0]})/{s})*{s}"
        return out + (' AS "time"' if alias else "")

    sql = re.sub(r"\$__timeGroupAlias\(([^)]*)\)", lambda m: group(m, True), sql)
    sql = re.sub(r"\$__timeGroup\(([^)]*)\)", lambda m: group(m, False), sql)
    sql = re.sub(
        r"\$__timeFilter\(([^)]*)\)", lambda m: f"{m.group(1).strip()} BETWEEN {f} AND {t}", sql
    )
    sql = re.sub(
        r"\$__timeEpoch\(([^)]*)\)", lambda m: f'extract(epoch from {m.group(1)}) as "time"', sql
    )
    sql = re.sub(r"\$__time\(([^)]*)\)", lambda m: f'{m.group(1)} AS "time"', sql)
    sql = sql.replace("$__timeFrom()", f).replace("$__timeTo()", t)
    if "$" in re.sub(r"\$\$|'[^']*'", "", sql):
        raise ValueError(f"unsubstituted macro or variable left in: {sql}")
    return sql
