"""A 2-million-row `smf import`, as a user runs it: wall time, and peak memory of the client
process and of the server backend that runs the import, for one or more checkouts (e.g. the
code before and after a change) against the same server in the same run.

    .venv/bin/python bench/import_cli.py [--meters 224 --days 31] [--checkout DIR ...]

Each checkout gets a scratch database `smf_bench_cli_<n>`, migrated by its own code, with the
same registered meters and the same generated kWh CSV (bench/ingest.py's generator: 224 meters
x 31 days x 288 = 1,999,872 rows, 12 channels). The file is imported twice: into an empty
table, then again (every row unchanged). Client peak = the child's max RSS (GNU time %M); server
peak = the backend's VmHWM and its largest sampled private RSS (RssAnon; VmHWM also counts the
shared buffers it touched), read from /proc every 50 ms. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import generate
from db.channels import QUANTITY_NAMES
from db.cluster import Cluster
from db.settings import REPO_ROOT, load


def _kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class BackendWatch(threading.Thread):
    """Samples the memory of every client backend of `database` until stopped."""

    def __init__(self, admin_url: str, database: str):
        super().__init__(daemon=True)
        self.admin_url, self.database = admin_url, database
        self.hwm_kb = self.anon_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self.stop.is_set():
                pids = [
                    r[0]
                    for r in conn.execute(
                        "select pid from pg_stat_activity where datname = %s "
                        "and backend_type = 'client backend' and pid <> pg_backend_pid()",
                        (self.database,),
                    )
                ]
                for pid in pids:
                    self.hwm_kb = max(self.hwm_kb, _kb(pid, "VmHWM"))
                    self.anon_kb = max(self.anon_kb, _kb(pid, "RssAnon"))
                time.sleep(0.05)


def smf(
    checkout: Path, url: str, *argv: str, rss_file: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMF_DATABASE_URL": url, "PYTHONPATH": str(checkout)}
    timer = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file)] if rss_file else []
    return subprocess.run(
        [*timer, sys.executable, "-m", "smf.cli", *argv],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )


def measure(
    checkout: Path, url: str, admin: str, db: str, csv: Path
) -> tuple[float, int, int, int, str]:
    """(seconds, client max RSS kB, server VmHWM kB, server max RssAnon kB, summary line)."""
    watch = BackendWatch(admin, db)
    watch.start()
    rss_file = csv.with_suffix(".rss")
    t = time.perf_counter()
    proc = smf(checkout, url, "import", "--quiet", str(csv), rss_file=rss_file)
    elapsed = time.perf_counter() - t
    watch.stop.set()
    watch.join()
    if proc.returncode != 0:
        raise SystemExit(f"import failed in {checkout}: {proc.stderr.strip()}")
    client = int(rss_file.read_text().split()[-1])  # GNU time %M: max RSS in kB
    rss_file.unlink()
    return elapsed, client, watch.hwm_kb, watch.anon_kb, proc.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=224)
    ap.add_argument("--days", type=int, default=31)
    ap.add_argument("--checkout", action="append", type=Path, help="default: this checkout")
    args = ap.parse_args()
    checkouts = args.checkout or [REPO_ROOT]
    base = load()
    if base.uses_local_cluster:
        Cluster(base.cluster).start()
    admin = base.with_database("postgres").url
    tmp = Path(tempfile.mkdtemp(prefix="smf-bench-cli-"))
    csv = tmp / "kwh.csv"
    rows = args.meters * args.days * 288
    try:
        for n, checkout in enumerate(checkouts):
            db = f"smf_bench_cli_{n}"
            s = base.with_database(db)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"drop database if exists {db} with (force)")
                conn.execute(f"create database {db}")
            mig = smf(checkout, s.url, "db", "migrate")
            if mig.returncode != 0:
                raise SystemExit(f"migrate failed in {checkout}: {mig.stderr.strip()}")
            with psycopg.connect(s.url, autocommit=True) as conn:
                conn.execute(
                    "insert into smf.meter (serial, interval_minutes, channel_map) "
                    "select 'B' || g, 5, %s from generate_series(1, %s) g",
                    (list(QUANTITY_NAMES), args.meters),
                )
                if not csv.exists():
                    generate(conn, csv, args.meters, args.days, kwh=True)
            print(f"\n{checkout}: {rows:,} rows ({csv.stat().st_size / 1e6:.0f} MB CSV)")
            for label in ("first import", "re-import (unchanged)"):
                sec, client, hwm, anon, summary = measure(checkout, s.url, admin, db, csv)
                print(
                    f"  {label}: {sec:6.1f} s ({rows / sec:,.0f} rows/s); client peak RSS "
                    f"{client / 1024:.0f} MB; server backend peak RSS {hwm / 1024:.0f} MB "
                    f"(private {anon / 1024:.0f} MB)\n    {summary}"
                )
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"drop database if exists {db} with (force)")
    finally:
        if csv.exists():
            csv.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
