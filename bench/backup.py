"""Backup and restore benchmark: pgBackRest through `db/backup.py` against PostgreSQL's own copy
(`pg_basebackup`, tar, no compression) of the same cluster, measured in the same run.

    .venv/bin/python bench/backup.py [--meters 100] [--days 31]

A scratch cluster of its own (ephemeral port, WAL archiving on, repository beside it) is
migrated and loaded with N meters x D days of 5-minute, 3-channel data through the ingest path;
then: pg_basebackup (baseline), a full backup, a day more of data, an incremental backup, a
restore of the full + incremental + WAL into a new directory (to `latest`), the restored
cluster's start (WAL replay). Prints times, sizes and ratios; asserts nothing. Removes its
directory at the end.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from db import backup, driver, migrate
from db.cluster import SERVICE_USER, Cluster
from db.ingest import ingest_csv
from db.settings import ClusterSettings, Settings


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def write_csv(path: Path, meters: int, first: datetime, days: int) -> int:
    rows = 0
    with path.open("w") as fh:
        fh.write("meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh,voltage_a_v\n")
        t = first
        end = first + timedelta(days=days)
        while t < end:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%SZ")
            for m in range(meters):
                wh = 20000 + (m * 37 + t.hour * 911 + t.minute * 13) % 9973
                fh.write(f"B{m:05d},{stamp},{wh / 1000:.3f},{wh // 7 / 1000:.3f},220.1\n")
                rows += 1
            t += timedelta(minutes=5)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--meters", type=int, default=100)
    ap.add_argument("--days", type=int, default=31)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="smf-bench-backup-"))
    base.chmod(0o755)
    cs = ClusterSettings(data_dir=base / "pgdata", port=backup.free_port())
    cluster = Cluster(cs, extra_conf={"shared_buffers": "'256MB'"}, archive=True)
    copy: Cluster | None = None
    try:
        cluster.start()
        cluster.ensure_database("smf")
        s = Settings(cluster=cs, database="smf", external_url=None, local_timezone="UTC")
        migrate.upgrade(s)
        with psycopg.connect(s.url) as conn:
            conn.cursor().executemany(
                "insert into smf.meter (serial, interval_minutes, channel_map) values (%s, 5,"
                " array['active_fwd_kwh', 'reactive_ind_fwd_kvarh', 'voltage_a_v'])",
                [(f"B{m:05d}",) for m in range(args.meters)],
            )
        first = datetime(2026, 9, 1, 3, tzinfo=UTC)
        csv = base / "month.csv"
        rows = write_csv(csv, args.meters, first, args.days)
        t = time.perf_counter()
        ingest_csv(csv, settings=s)
        load_s = time.perf_counter() - t
        with psycopg.connect(s.url) as conn:
            db_bytes = conn.execute("select pg_database_size('smf')").fetchone()[0]
        print(
            f"data: {args.meters} meters x {args.days} days = {rows:,} rows, loaded in "
            f"{load_s:.1f} s; database {db_bytes / 2**20:.1f} MiB"
        )

        # baseline: PostgreSQL's own copy of the same cluster (tar, no compression); this scratch
        # cluster lets local replication connections in for it (the project's pg_hba.conf,
        # db/cluster.py, does not: pgBackRest needs none)
        hba = cs.data_dir / "pg_hba.conf"
        hba.write_text(hba.read_text() + "local   replication  all                 trust\n")
        with psycopg.connect(s.url, autocommit=True) as conn:
            conn.execute("select pg_reload_conf()")
        target = base / "basebackup"
        target.mkdir()
        if _root():
            shutil.chown(target, SERVICE_USER, SERVICE_USER)
        t = time.perf_counter()
        cmd = [
            str(cs.bin_dir / "pg_basebackup"),
            "-h",
            str(cs.socket_dir),
            "-p",
            str(cs.port),
            "-U",
            cs.user,
            "-D",
            str(target),
            "-Ft",
            "-X",
            "none",
            "-c",
            "fast",
        ]
        proc = subprocess.run(
            (["runuser", "-u", SERVICE_USER, "--"] if _root() else []) + cmd,
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            raise SystemExit(f"pg_basebackup failed: {proc.stderr.strip()}")
        base_s = time.perf_counter() - t
        base_bytes = dir_bytes(target)

        repo = backup.Repository(cs)
        t = time.perf_counter()
        full = repo.backup("full")
        full_s = time.perf_counter() - t
        day_csv = base / "day.csv"
        write_csv(day_csv, args.meters, first + timedelta(days=args.days), 1)
        ingest_csv(day_csv, settings=s)
        t = time.perf_counter()
        incr = repo.backup("incr")
        incr_s = time.perf_counter() - t
        backup.archive_now(cs)

        t = time.perf_counter()
        restored = backup.restore(
            cs, None, target_dir=base / "restored", cluster_status=cluster.status
        )
        restore_s = time.perf_counter() - t
        copy = Cluster(restored.cluster, archive=False)
        t = time.perf_counter()
        copy.start()
        start_s = time.perf_counter() - t
        with psycopg.connect(restored.cluster.url("smf")) as conn:
            n = conn.execute("select count(*) from smf.interval_reading").fetchone()[0]
        print(
            f"pg_basebackup -Ft (baseline): {base_s:.1f} s, {base_bytes / 2**20:.1f} MiB, "
            f"{base_bytes / 2**20 / base_s:.1f} MiB/s"
        )
        print(
            f"smf db backup --full: {full_s:.1f} s ({full_s / base_s:.2f}x the baseline), "
            f"database {full['database_bytes'] / 2**20:.1f} MiB stored as "
            f"{full['repo_bytes'] / 2**20:.1f} MiB (zstd: {full['repo_bytes'] / base_bytes:.2f}"
            " of the baseline's bytes)"
        )
        print(
            f"smf db backup --incr after one more day: {incr_s:.1f} s, copied "
            f"{incr['delta_bytes'] / 2**20:.1f} MiB, stored {incr['repo_bytes'] / 2**20:.1f} MiB"
        )
        print(
            f"smf db restore --to latest --target: {restore_s:.1f} s; start with WAL replay "
            f"{start_s:.1f} s; rows restored {n:,} of {rows + args.meters * 288:,}"
        )
    finally:
        driver.dispose_all()
        for c in (copy, cluster):
            if c is not None and c.status().running:
                c.stop()
        shutil.rmtree(base, ignore_errors=True)


def _root() -> bool:
    import os

    return os.geteuid() == 0


if __name__ == "__main__":
    main()
