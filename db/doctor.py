"""`smf db doctor`: one look at what keeps the data safe and flowing, on the local cluster or on
a formation (SMF_DATABASE_URL with several hosts).

Checks, each ok / warn / fail with a line of detail:
  cluster       the server answers through the configured URL (version, port, primary or not)
  schema        (only when it fails) the database is not at this checkout's head: smf db migrate
  formation     pg_auto_failover's view of the nodes (when a formation is found: --dir or .smf/ha)
  replication   every standby streaming from the primary, synchronous or not, and its lag;
                fail when the formation expects a standby and none streams
  archive       WAL archiving on, the last segment archived, no failure since the last success
  backup        age of the newest pgBackRest backup (warn after 26 h, none: warn)
  disk          bytes per kind of data (interval data, rollups, raw frames, other tables), the
                WAL directory, the database, and the free space of the data directory's disk
  jobs          each scheduled job's last run (fail when the last run of a job failed)
  meters        polled meters (enabled, with a transport) without a successful read today
                (local day, smf.local_timezone())
The exit status is 1 when a check fails, else 0.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from db import driver, errors
from db.settings import Settings, load, multi_host

BACKUP_WARN_AGE = timedelta(hours=26)  # a daily backup job that missed one run
LAG_WARN_BYTES = 16 * 1024 * 1024  # one WAL segment behind


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def _formation_dir(explicit: Path | None, settings: Settings) -> Path | None:
    from db import ha

    if explicit is not None:
        return explicit
    default = ha.default_dir()
    if (default / "formation.json").exists() and settings.external_url:
        return default
    return None


def checks(settings: Settings | None = None, formation_dir: Path | None = None) -> list[Check]:
    s = settings or load()
    out: list[Check] = []
    from db import migrate

    schema_problem: str | None = None
    tiers: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    unread: list[str] = []
    try:
        with driver.connect(s) as conn:
            server = driver.run_one(conn, "doctor_server")
            assert server is not None
            replicas = driver.run(conn, "doctor_replication")
            archiver = driver.run_one(conn, "backup_archiver")
        try:
            migrate.require_head(s)
        except errors.SchemaNotAtHead as exc:
            schema_problem = str(exc)
        else:
            with driver.connect(s) as conn:
                tiers = driver.run(conn, "doctor_disk_tiers")
                jobs = driver.run(conn, "doctor_job_runs")
                unread = [r["serial"] for r in driver.run(conn, "doctor_meters_not_read_today")]
    except errors.DatabaseUnavailable as exc:
        first = str(exc).splitlines()[0] if str(exc) else "no connection"
        return [Check("cluster", "fail", f"no connection through the configured URL: {first}")]
    role = "standby (read-only)" if server["standby"] else "primary"
    tsdb = server["timescaledb"] or "not installed"
    out.append(
        Check(
            "cluster",
            "ok",
            f"PostgreSQL {server['version']}, TimescaleDB {tsdb}, {role} on port "
            f"{server['port']}, up {str(server['uptime']).split('.')[0]}",
        )
    )
    fdir = _formation_dir(formation_dir, s)
    expects_standby = bool(server["sync_standbys"]) or fdir is not None or multi_host(s.url)
    if fdir is not None:
        out.append(_formation_check(fdir))
    out.append(_replication_check(replicas, expects_standby, server["sync_standbys"]))
    out.append(_archive_check(server["archive_mode"], archiver))
    out.append(_backup_check(s))
    if schema_problem is not None:  # the checks below read the smf schema
        out.append(Check("schema", "fail", schema_problem))
        return out
    out.append(_disk_check(s, tiers))
    out.append(_jobs_check(jobs))
    if unread:
        shown = ", ".join(unread[:10]) + (
            f" … ({len(unread) - 10} more)" if len(unread) > 10 else ""
        )
        out.append(Check("meters", "warn", f"{len(unread)} polled meters not read today: {shown}"))
    else:
        out.append(Check("meters", "ok", "every polled meter was read today"))
    return out


def _formation_check(fdir: Path) -> Check:
    from db import ha

    try:
        nodes = ha.state(ha.Formation.load(fdir))
    except (ha.HaError, json.JSONDecodeError) as exc:
        return Check("formation", "fail", f"{fdir}: monitor not reachable ({exc})")
    parts = [
        f"{n['nodename']} {n['current_group_state']}"
        + (
            ""
            if n["current_group_state"] == n["assigned_group_state"]
            else f"→{n['assigned_group_state']}"
        )
        + ("" if n["health"] == 1 else " (unhealthy)")
        for n in nodes
    ]
    states = {n["current_group_state"] for n in nodes}
    healthy = all(n["health"] == 1 for n in nodes)
    if "primary" in states and "secondary" in states and healthy:
        status = "ok"
    elif states & {"primary", "wait_primary", "single"}:
        status = "warn"  # writes go on, but no failover is possible now
    else:
        status = "fail"
    return Check("formation", status, "; ".join(parts))


def _replication_check(replicas: list[dict[str, Any]], expects: bool, sync_names: str) -> Check:
    if not replicas:
        if expects:
            return Check("replication", "fail", "no standby is streaming: a failover is impossible")
        return Check("replication", "ok", "single node (no standby configured)")
    parts = []
    worst = "ok"
    for r in replicas:
        lag = int(r["replay_lag_bytes"] or 0)
        if r["state"] != "streaming" or lag > LAG_WARN_BYTES:
            worst = "warn"
        parts.append(
            f"{r['application_name']} {r['state']} {r['sync_state']}, replay lag "
            f"{_human(lag)} / {float(r['replay_lag_s']):.1f} s"
        )
    if sync_names and not any(r["sync_state"] in ("sync", "quorum") for r in replicas):
        worst = "warn"
        parts.append(f"none synchronous for '{sync_names}'")
    return Check("replication", worst, "; ".join(parts))


def _archive_check(mode: str, a: dict[str, Any] | None) -> Check:
    if mode == "off":
        return Check("archive", "warn", "WAL archiving is off: no point-in-time recovery")
    if a is None or not a["last_archived_wal"]:
        if a and a["failed_count"]:
            return Check(
                "archive",
                "fail",
                f"archiving fails: {a['last_failed_wal']} at {a['last_failed_time']}",
            )
        return Check("archive", "warn", "archiving on, nothing archived yet")
    failed_after = a["last_failed_time"] and a["last_failed_time"] > a["last_archived_time"]
    if failed_after:
        return Check(
            "archive",
            "fail",
            f"archiving fails since {a['last_failed_time']:%Y-%m-%d %H:%M:%S} UTC "
            f"({a['last_failed_wal']}); WAL piles up in pg_wal",
        )
    age = datetime.now(UTC) - a["last_archived_time"]
    return Check(
        "archive",
        "ok",
        f"{a['archived_count']} segments archived, last {a['last_archived_wal']} "
        f"{age.total_seconds():.0f} s ago; {a['failed_count']} failures",
    )


def _backup_check(s: Settings) -> Check:
    from db import backup

    if not s.uses_local_cluster:
        return Check(
            "backup", "warn", "not managed here (SMF_DATABASE_URL): see docs/operations.md, Backups"
        )
    try:
        rows = backup.Repository(s.cluster).info()
    except backup.BackupError as exc:
        return Check("backup", "fail", f"repository not readable: {exc}")
    if not rows:
        return Check("backup", "warn", "no backup yet (smf db backup --full; job `backup` daily)")
    newest = rows[-1]
    age = datetime.now(UTC) - newest["stop"]
    hours = age.total_seconds() / 3600
    status = "ok" if age <= BACKUP_WARN_AGE else "warn"
    return Check(
        "backup",
        status,
        f"newest {newest['label']} ({newest['type']}) {hours:.1f} h old; {len(rows)} kept",
    )


def _disk_check(s: Settings, tiers: list[dict[str, Any]]) -> Check:
    parts = [f"{t['tier']} {_human(int(t['bytes']))}" for t in tiers]
    status = "ok"
    if s.uses_local_cluster and s.cluster.data_dir.exists():
        usage = shutil.disk_usage(s.cluster.data_dir)
        free = usage.free / usage.total
        parts.append(f"disk free {_human(usage.free)} ({free:.0%})")
        if free < 0.10:
            status = "fail"
        elif free < 0.20:
            status = "warn"
    return Check("disk", status, "; ".join(parts))


def _jobs_check(jobs: list[dict[str, Any]]) -> Check:
    if not jobs:
        return Check("jobs", "warn", "no job has run yet (smf jobs run)")
    parts = []
    status = "ok"
    for j in jobs:
        when = f"{j['started_at']:%Y-%m-%d %H:%M}"
        parts.append(f"{j['job']} {j['outcome']} {when}")
        if j["outcome"] == "error":
            status = "fail"
            parts[-1] += f" ({j['error']})"
    return Check("jobs", status, "; ".join(parts))


def render(found: list[Check]) -> str:
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    return "\n".join(f"{marks[c.status]}  {c.name:<12} {c.detail}" for c in found)


def cli(args: argparse.Namespace) -> int:
    s = load()
    if s.uses_local_cluster:
        from db.cluster import Cluster

        st = Cluster(s.cluster).status()
        if not st.running:
            found = [Check("cluster", "fail", f"local cluster {st.detail} (smf db start)")]
            print(json.dumps([asdict(c) for c in found]) if args.json else render(found))
            return 1
    found = checks(s, args.dir)
    if args.json:
        print(json.dumps([asdict(c) for c in found], indent=2))
    else:
        print(render(found))
    return 1 if any(c.status == "fail" for c in found) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli(argparse.Namespace(json=False, dir=None)))
