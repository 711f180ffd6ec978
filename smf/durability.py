"""`smf db backup | backups | restore | ha | doctor`: backups with point-in-time recovery
(db/backup.py, pgBackRest), the failover formation (db/ha.py, pg_auto_failover) and the health
report (db/doctor.py). Thin: each verb parses, calls one function and prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from db.cluster import Cluster, ClusterError
from db.settings import load

HA_ACTIONS = ("init", "status", "failover", "stop", "start", "url")


def add_parsers(actions: Any) -> None:
    """The durability verbs as sub-commands of `smf db` (backup, backups, restore, ha, doctor)."""
    b = actions.add_parser("backup", help="pgBackRest backup of the local cluster")
    kind = b.add_mutually_exclusive_group()
    for k, what in (
        ("full", "a full copy"),
        ("diff", "the files changed since the last full backup"),
        ("incr", "the files changed since the last backup (default)"),
    ):
        kind.add_argument(f"--{k}", dest="kind", action="store_const", const=k, help=what)
    actions.add_parser("backups", help="the backups kept, and the WAL archive's range")
    r = actions.add_parser("restore", help="point-in-time recovery from the backups")
    r.add_argument("--to", help="TIMESTAMP (ISO 8601 with an offset) or latest")
    r.add_argument("--target", type=Path, help="a new directory for a copy beside the cluster")
    r.add_argument("--port", type=int, help="with --target: the copy's port (default: a free one)")
    r.add_argument("--yes", action="store_true", help="confirm: the cluster is replaced")
    h = actions.add_parser("ha", help="failover formation (pg_auto_failover)")
    h.add_argument("sub", nargs="?", help=f"one of {', '.join(HA_ACTIONS)}")
    h.add_argument("--dir", type=Path, help="the formation's directory (default .smf/ha)")
    h.add_argument("--base-port", type=int, help="init: monitor port; nodes take the next ones")
    h.add_argument("--monitor", help="init: a monitor URL (production: a monitor on its own host)")
    h.add_argument("--hostname", help="init: this node's host name as the others reach it")
    h.add_argument("--nodes", type=int, default=2, help="init: local nodes to create (default 2)")
    d = actions.add_parser("doctor", help="health report: cluster, formation, backups, disk, jobs")
    d.add_argument("--dir", type=Path, help="the formation's directory (default .smf/ha)")
    d.add_argument("--json", action="store_true", help="the checks as JSON")


def cmd(args: argparse.Namespace) -> int:
    from db import backup

    try:
        if args.action == "backup":
            return _backup(args)
        if args.action == "backups":
            return _backups()
        if args.action == "restore":
            return _restore(args)
        if args.action == "ha":
            return _ha(args)
        if args.action == "doctor":
            return _doctor(args)
    except backup.BackupError as exc:
        print(f"backup: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    raise AssertionError(args.action)


def _human(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError


def _local_cluster() -> Cluster:
    s = load()
    if not s.uses_local_cluster:
        raise ClusterError(
            "SMF_DATABASE_URL points at another server: backups and restores work on the "
            "project-managed cluster here (a formation's nodes: see docs/operations.md)"
        )
    return Cluster(s.cluster)


def _backup(args: argparse.Namespace) -> int:
    from db import backup

    cluster = _local_cluster()
    if not cluster.status().running:
        print(cluster.start(), file=sys.stderr)
    b = backup.Repository(cluster.s).backup(args.kind or "incr")
    took = (b["stop"] - b["start"]).total_seconds()
    print(
        f"backup {b['label']} ({b['type']}) done in {took:.0f} s: database "
        f"{_human(b['database_bytes'])}, copied {_human(b['delta_bytes'])}, stored "
        f"{_human(b['repo_bytes'])}; WAL {b['wal_start']}..{b['wal_stop']}"
    )
    return 0


def backups_table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'label':<26} {'type':<5} {'started (UTC)':<20} {'secs':>5} {'database':>10} "
        f"{'copied':>10} {'stored':>10}  WAL range"
    )
    lines = [head]
    for b in rows:
        lines.append(
            f"{b['label']:<26} {b['type']:<5} {b['start']:%Y-%m-%d %H:%M:%S} "
            f"{(b['stop'] - b['start']).total_seconds():>5.0f} {_human(b['database_bytes']):>10} "
            f"{_human(b['delta_bytes']):>10} {_human(b['repo_bytes']):>10}  "
            f"{b['wal_start']}..{b['wal_stop']}"
        )
    return "\n".join(lines)


def _backups() -> int:
    from db import backup

    cluster = _local_cluster()
    repo = backup.Repository(cluster.s)
    rows = repo.info()
    if not rows:
        print(f"no backup in {repo.bs.repo} yet (smf db backup --full)")
        return 0
    print(backups_table(rows))
    first, last = repo.wal_range()
    print(
        f"archived WAL: {first}..{last}; a restore can reach any moment from the end of the "
        f"oldest backup ({rows[0]['stop']:%Y-%m-%d %H:%M:%S} UTC) to the last archived segment"
    )
    print(f"repository: {repo.bs.repo} (keeps {repo.bs.retention_full} full backups)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from db import backup

    if not args.to:
        print(
            "restore needs --to TIMESTAMP (e.g. 2026-12-07T06:15:00-03:00) or --to latest",
            file=sys.stderr,
        )
        return 2
    to = backup.parse_target(args.to)
    cluster = _local_cluster()
    if args.target is None and not args.yes and not cluster.status().running:
        print(
            f"restoring in place replaces every file of {cluster.s.data_dir} with the state at "
            f"{args.to}; what was written after it is lost: add --yes (or restore a copy with "
            "--target DIR)",
            file=sys.stderr,
        )
        return 2
    restored = backup.restore(
        cluster.s, to, target_dir=args.target, port=args.port, cluster_status=cluster.status
    )
    where = "latest archived WAL" if to is None else to.isoformat()
    if restored.in_place:
        print(f"restored {cluster.s.data_dir} to {where}; starting (WAL replay, then promotion)")
        print(Cluster(cluster.s).start())
        return 0
    copy = Cluster(restored.cluster, archive=False)
    print(f"restored a copy in {restored.cluster.data_dir} to {where}; starting")
    print(copy.start())
    print(
        f"reach it with SMF_PG_DATA={restored.cluster.data_dir} SMF_PG_PORT={restored.cluster.port}"
        " smf db psql; stop it with the same variables and `smf db stop`"
    )
    return 0


def _ha(args: argparse.Namespace) -> int:
    from db.ha import cli as ha_cli

    if args.sub not in HA_ACTIONS:
        print(f"smf db ha needs one of: {', '.join(HA_ACTIONS)}", file=sys.stderr)
        return 2
    return ha_cli(args)


def _doctor(args: argparse.Namespace) -> int:
    from db.doctor import cli as doctor_cli

    return doctor_cli(args)
