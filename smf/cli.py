"""`smf`: the platform's command line. Each verb is a thin call into db/, poller/, jobs/ or api/."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from db import errors
from db.cluster import Cluster, ClusterError
from db.local import ensure_database, setup_database, start_local
from db.settings import Settings, load
from smf import (
    alarms,
    archive,
    ccee,
    console,
    jobs,
    meter,
    poll,
    report,
    reports,
    serve,
    storage,
    uc,
    user,
    vee,
)
from smf.files import (
    binary_size_problem,
    check_input_file,
    import_public_format,
    is_public_format,
)

if TYPE_CHECKING:
    from db.ingest import MonthSpan

__all__ = [
    "check_input_file",
    "ensure_database",
    "import_public_format",
    "is_public_format",
    "main",
    "setup_database",
]


def _cluster() -> Cluster:
    return Cluster(load().cluster)


def cmd_db(args: argparse.Namespace) -> int:
    if args.action in DURABILITY_ACTIONS:  # backups, restore, failover, doctor: smf/durability.py
        from smf import durability

        return durability.cmd(args)
    s = load()
    cluster = _cluster()
    if args.action == "start":
        print(cluster.start())
        cluster.ensure_database(s.database)
    elif args.action == "stop":
        print(cluster.stop())
    elif args.action == "status":
        if not s.uses_local_cluster:
            return _external_status(s)
        st = cluster.status()
        print(st.detail)
        print(f"url: {s.url}")
        return 0 if st.running else 3
    elif args.action == "reset":
        if not args.yes:
            print("this deletes every database of the local cluster; add --yes", file=sys.stderr)
            return 2
        print(cluster.reset())
    elif args.action == "logs":
        print(cluster.tail_log(args.lines))
    elif args.action == "psql":
        os.execvp("psql", ["psql", s.url, *args.psql_args])
    elif args.action == "migrate":
        setup_database()
        print("migrated to head; functions re-applied")
    elif args.action == "schema":
        from db import schema

        start_local(s)
        if args.write:
            schema.write()
            print(f"wrote {schema.SCHEMA_FILE}")
        else:
            sys.stdout.write(schema.dump())
    return 0


# `smf db` verbs of smf/durability.py (pgBackRest, pg_auto_failover, the doctor)
DURABILITY_ACTIONS = ["backup", "backups", "restore", "ha", "doctor"]


def _external_status(s: Settings) -> int:
    """`smf db status` with SMF_DATABASE_URL: the local cluster is not used; say so, and whether
    that database answers (0) or not (3). The URL is shown without its password."""
    from urllib.parse import urlsplit

    from db import driver

    url = urlsplit(s.url)
    shown = url._replace(netloc=url.netloc.rsplit("@", 1)[-1]).geturl()
    print(f"using SMF_DATABASE_URL (the local cluster is not used): {shown}")
    try:
        with driver.connect() as conn:
            driver.run_scalar(conn, "schema_version_table_exists")
    except errors.DatabaseUnavailable as exc:
        print(f"not reachable: {errors.cut(' '.join(str(exc).split()))}")
        return 3
    print("reachable")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from db import ingest
    from smf import archive

    paths = [Path(f) for f in args.file]
    for path in paths:  # every file is checked before the first is imported
        check_input_file(path)
    if args.backfill:
        refused = [p.name for p in paths if archive.is_parquet(p) or is_public_format(p)]
        if refused:
            raise errors.InvalidParameter(
                f"--backfill loads CSV files; {', '.join(refused)} is not one (import it alone)"
            )
    if args.utc_offset or args.date_order:
        refused = [p.name for p in paths if archive.is_parquet(p) or is_public_format(p)]
        if refused:
            raise errors.InvalidParameter(
                f"--utc-offset and --date-order read CSV time stamps; {', '.join(refused)} "
                "carries its own (import it alone, without them)"
            )
    months: list[MonthSpan] = []
    for path in paths:
        if archive.is_parquet(path):  # an SMF Parquet archive (`smf import parquet FILE`)
            if archive.import_parquet(path, quiet=args.quiet):
                return 1
            continue
        ensure_database()
        if is_public_format(path):
            if import_public_format(path):
                return 1
            continue
        with path.open("rb") as fh:
            problem = binary_size_problem(fh.read(256), path.stat().st_size)
        if problem:
            raise errors.BatchRejected(f"{path.name}: {problem}")
        with console.progress(path.name, path.stat().st_size, enabled=not args.quiet) as update:
            try:
                result = ingest.ingest_csv(
                    path,
                    progress=update,
                    decimal=args.decimal,
                    backfill=args.backfill,
                    utc_offset=args.utc_offset,
                    date_order=args.date_order,
                )
            except errors.SmfError:
                # this file wrote nothing (its own transaction); those before it are stored and
                # are validated before the error is reported
                if args.backfill and months:
                    print(f"{path.name}: rejected; validating the files loaded before it")
                    _validate_backfill(months, quiet=args.quiet)
                raise
        print(result.summary())
        months += result.months
    if args.backfill:
        return _validate_backfill(months, quiet=args.quiet)
    return 0


def _utc_offset(text: str) -> str:
    """`--utc-offset`: ±HH:MM or Z (db/ingest_local_time.py says what is accepted)."""
    from db.ingest_local_time import parse_utc_offset

    try:
        return parse_utc_offset(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _offset_value_attached(argv: list[str]) -> list[str]:
    """`import ... --utc-offset -03:00` as `--utc-offset=-03:00`: argparse takes a value that
    starts with '-' (and is no plain negative number) for an option of its own."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] == "--utc-offset" and arg[:1] == "-" and arg[1:2].isdigit():
            out[-1] = f"--utc-offset={arg}"
        else:
            out.append(arg)
    return out


def _validate_backfill(months: list[MonthSpan], *, quiet: bool) -> int:
    """The back-fill's validation: each meter-month the files touched, once."""
    from db import ingest

    todo = {(m.meter_id, m.month) for m in months}
    print(f"back-fill: loaded without validation or alarms; validating {len(todo)} meter-month(s)")
    with console.progress("validation", len(todo), enabled=not quiet) as update:
        done = ingest.validate_months(months, progress=update)
    print(
        f"back-fill: validated {done.meter_months} meter-month(s): {done.found} finding(s), "
        f"{done.new} new (smf vee findings --meter SERIAL)"
    )
    for line in done.errors:
        print(f"warning: {line}; the readings are stored, the daily VEE job runs it again")
    return 0


NEXT_STEPS = """
Next steps (README has each in full):
  REST API   .venv/bin/smf serve                  then http://{host}:{port}/api/docs
             .venv/bin/smf user add alice --role admin && .venv/bin/smf user key alice
  Web view   .venv/bin/smf user add cliente1 --role client --scope uc:000000100105905
             .venv/bin/smf user key cliente1      then log in at http://{host}:{port}/web/login
  Grafana    .venv/bin/smf user add grafana --role analyst --scope distributor:059 \\
                 --db-role smf_grafana            then README "Grafana" (grafana/provisioning/)
  Your data  README "Registering consumer units": smf meter add, smf uc add, smf import
  Reports    .venv/bin/smf report --uc 000000100105905 --month previous
             .venv/bin/smf ccee status --month previous"""


def cmd_demo(args: argparse.Namespace) -> int:
    from smf.demo import dataset as demo
    from smf.demo import fleet as fleet_demo

    setup_database()
    status = demo.main(days=args.days)
    if args.fleet:
        print(
            f"\nReading an emulated fleet of {args.fleet} NBR 14522 and 8 DLMS/COSEM meters (TCP):"
        )
        status = fleet_demo.run(meters=args.fleet) or status
    host = os.environ.get("SMF_API_HOST", "127.0.0.1")
    print(NEXT_STEPS.format(host=host, port=os.environ.get("SMF_API_PORT", "8000")))
    return status


# Every module that adds verbs, in the order `smf --help` lists them after the core verbs above.
# Each has `register(subparsers)`: one parser per verb whose `func` default takes the parsed
# arguments and returns the exit status. A new verb module is added here by hand; a missing
# module is an ImportError at start, never a verb that silently disappears.
VERB_MODULES = (
    report,
    poll,
    serve,
    user,
    meter,
    uc,
    vee,
    alarms,
    reports,
    ccee,
    jobs,
    storage,
    archive,
)


def _version() -> str:
    try:
        return metadata.version("smf")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree: the core verbs (db, import, demo), then VERB_MODULES."""
    parser = argparse.ArgumentParser(prog="smf", description=__doc__)
    parser.add_argument(
        "--version",
        action="version",
        version=f"smf {_version()}",
        help="print the installed version and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("db", help="the local database cluster and the schema")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("start", help="start the local cluster (initialise it on first use)")
    actions.add_parser("stop", help="stop the local cluster")
    actions.add_parser(
        "status", help="is it running, on which port (from its pid file), and the URL in use"
    )
    a = actions.add_parser("reset", help="delete the local cluster and every database in it")
    a.add_argument("--yes", action="store_true", help="confirm: every database is lost")
    a = actions.add_parser("logs", help="the last lines of the server log")
    a.add_argument("--lines", type=int, default=50, help="how many lines (default 50)")
    actions.add_parser("psql", help="psql on the database in use; arguments after -- go to psql")
    actions.add_parser("migrate", help="migrate to head and re-apply db/functions")
    a = actions.add_parser("schema", help="print the declared schema of a fresh migration")
    a.add_argument("--write", action="store_true", help="write db/schema.sql instead")
    from smf import durability

    durability.add_parsers(actions)
    p.set_defaults(func=cmd_db)

    p = sub.add_parser(
        "import",
        help="import interval data: a CSV file (see README), an ABNT public-format file, or "
        "`smf import parquet FILE` (an SMF Parquet archive)",
    )
    p.add_argument(
        "file",
        nargs="+",
        help="CSV (see README: CSV import format) or ABNT public-format file; several are "
        "imported in order, each in its own transaction",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--backfill",
        action="store_true",
        help="loading history (CSV files): no VEE validation or alarm evaluation per file; "
        "each meter-month the files touched is validated once after the last file",
    )
    p.add_argument(
        "--decimal",
        choices=("auto", "point", "comma"),
        default="auto",
        help="decimal separator of the numbers; auto: a comma in a number of a ';' file "
        "(a Portuguese spreadsheet) means a decimal comma",
    )
    p.add_argument(
        "--utc-offset",
        type=_utc_offset,
        metavar="±HH:MM",
        help="read time stamps without a UTC offset at this one (e.g. -03:00; Z is +00:00); a "
        "time stamp with its own offset keeps it. Also reads a spreadsheet's DD/MM/YYYY HH:MM "
        "(or MM/DD) and YYYY-MM-DD HH:MM. Without it, such time stamps are refused",
    )
    p.add_argument(
        "--date-order",
        choices=("dmy", "mdy"),
        help="order of slash dates (with --utc-offset): dmy DD/MM/YYYY, mdy MM/DD/YYYY; "
        "default: the file tells (a field above 12 is a day), else it is refused",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("demo", help="load a generated demo dataset and print a summary")
    p.add_argument("--days", type=int, default=None, help="limit the month to N days")
    p.add_argument(
        "--fleet", type=int, default=50, help="emulated meters to read over the protocol (0: none)"
    )
    p.set_defaults(func=cmd_demo)

    for module in VERB_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    from smf.archive import route

    argv = route(argv)  # `export parquet ...` / `import parquet ...` (smf/archive.py)
    if argv[:1] == ["import"]:
        argv = _offset_value_attached(argv)
    psql_args: list[str] = []
    if argv[:2] == ["db", "psql"]:  # everything after `smf db psql [--]` goes to psql
        argv, psql_args = argv[:2], argv[2:]
        if psql_args[:1] == ["--"]:  # psql would read `--` as the end of its own options
            psql_args = psql_args[1:]
    args = parser.parse_args(argv)
    args.psql_args = psql_args
    if not os.environ.get("SMF_DEBUG"):
        # The driver's own log lines (e.g. "error ignored terminating <psycopg.Copy>" when the
        # server goes away mid-COPY) would print beside our one-line error: the error we print
        # says it. SMF_DEBUG=1 lets them through.
        logging.getLogger("psycopg").addHandler(logging.NullHandler())
        logging.getLogger("psycopg").propagate = False
    try:
        try:
            return int(args.func(args) or 0)
        finally:  # a service verb logs in as its service role (ensure_database) for this call
            from db.settings import use_service

            use_service(None)
    except errors.SmfError as exc:
        print(f"error: {errors.cut(' '.join(str(exc).split()))}", file=sys.stderr)
        return 1
    except ClusterError as exc:
        print(f"database cluster: {errors.cut(' '.join(str(exc).split()))}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # unreadable file, a directory, permission denied
        where = f"{exc.filename}: " if exc.filename else ""
        hint = (
            " (files of the local cluster belong to the OS user who created it: run smf as that "
            "user, or set SMF_PG_DATA or SMF_DATABASE_URL)"
            if isinstance(exc, PermissionError)
            else ""
        )
        print(f"error: {where}{exc.strerror or exc}{hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing of the unfinished transaction was written", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line; SMF_DEBUG=1 shows the traceback
        if os.environ.get("SMF_DEBUG"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        print(
            f"error: unexpected {type(exc).__name__}: {errors.cut(first)} "
            "(set SMF_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
