"""`smf`: the platform's command line. Each verb is a thin call into db/, poller/, jobs/ or api/."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import subprocess
import sys
from pathlib import Path

from db import errors
from db.cluster import Cluster, ClusterError
from db.settings import Settings, load


def _cluster() -> Cluster:
    return Cluster(load().cluster)


def _start_local(s: Settings) -> None:
    if s.uses_local_cluster:
        msg = _cluster().start()
        print(f"database: {msg}", file=sys.stderr)
        _cluster().ensure_database(s.database)


def ensure_database() -> None:
    """Start the local cluster when it is the one in use, then check that the schema is at head
    (raises errors.SchemaNotAtHead naming both revisions). Only `setup_database` migrates."""
    from db import migrate

    s = load()
    _start_local(s)
    migrate.require_head(s)


def setup_database() -> None:
    """`smf db migrate` and the demo set-up: start the local cluster, create the database,
    migrate to head and re-apply the functions."""
    from db import migrate

    s = load()
    _start_local(s)
    migrate.upgrade(s)


def cmd_db(args: argparse.Namespace) -> int:
    s = load()
    cluster = _cluster()
    if args.action == "start":
        print(cluster.start())
        cluster.ensure_database(s.database)
    elif args.action == "stop":
        print(cluster.stop())
    elif args.action == "status":
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

        _start_local(s)
        if args.write:
            schema.write()
            print(f"wrote {schema.SCHEMA_FILE}")
        else:
            sys.stdout.write(schema.dump())
    return 0


def check_input_file(path: Path) -> None:
    """Raise errors.InvalidParameter unless `path` is a readable regular file."""
    if path.is_dir():
        raise errors.InvalidParameter(f"{path} is a directory, not a file")
    if not path.exists():
        raise errors.InvalidParameter(f"{path}: no such file")
    if not path.is_file():
        raise errors.InvalidParameter(f"{path} is not a regular file")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise errors.InvalidParameter(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def is_public_format(path: Path) -> bool:
    """ABNT public-format files are whole 256-octet blocks of binary data, not text. Reads only
    the first block."""
    size = path.stat().st_size
    if not size or size % 256:
        return False
    with path.open("rb") as fh:
        head = fh.read(256)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return not any(c in head for c in (b",", b";"))


def import_public_format(path: Path) -> int:
    """Ingest an ABNT public-format file (the meter must be registered)."""
    import asyncio

    from poller import public_io
    from poller.protocol.errors import NBR14522Error

    check_input_file(path)
    try:
        serial, result = asyncio.run(public_io.import_file(None, path.read_bytes(), path.name))
    except NBR14522Error as exc:
        print(f"error: {path.name} is not a valid ABNT public-format file: {exc}", file=sys.stderr)
        return 1
    print(f"meter {serial} (ABNT public format): {result.summary()}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from db import ingest

    path = Path(args.file)
    check_input_file(path)
    ensure_database()
    if is_public_format(path):
        return import_public_format(path)
    result = ingest.ingest_csv(path, progress=not args.quiet, decimal=args.decimal)
    print(result.summary())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from jobs import demo, fleet_demo

    setup_database()
    status = demo.main(days=args.days)
    if args.fleet:
        print(f"\nReading an emulated fleet of {args.fleet} meters over NBR 14522 (TCP):")
        status = fleet_demo.run(meters=args.fleet) or status
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smf", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("db", help="the local database cluster and the schema")
    p.add_argument(
        "action", choices=["start", "stop", "status", "reset", "logs", "psql", "migrate", "schema"]
    )
    p.add_argument("--yes", action="store_true", help="confirm reset")
    p.add_argument("--write", action="store_true", help="schema: write db/schema.sql")
    p.add_argument("--lines", type=int, default=50, help="logs: how many lines")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser(
        "import", help="import interval data: a CSV file (see README) or an ABNT public-format file"
    )
    p.add_argument("file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--decimal",
        choices=("auto", "point", "comma"),
        default="auto",
        help="decimal separator of the numbers; auto: a comma in a number of a ';' file "
        "(a Portuguese spreadsheet) means a decimal comma",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("demo", help="load a generated demo dataset and print a summary")
    p.add_argument("--days", type=int, default=None, help="limit the month to N days")
    p.add_argument(
        "--fleet", type=int, default=50, help="emulated meters to read over the protocol (0: none)"
    )
    p.set_defaults(func=cmd_demo)

    for module in _EXTENSIONS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(sub)

    argv = sys.argv[1:] if argv is None else argv
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
        return int(args.func(args) or 0)
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


# Modules that add verbs: each has `register(subparsers)` adding parsers with a `func` default.
_EXTENSIONS = [
    "smf.report",
    "smf.poll",
    "smf.serve",
    "smf.user",
    "smf.meter",
    "smf.vee",
    "smf.alarms",
    "smf.reports",
    "smf.ccee",
    "smf.jobs",
    "smf.storage",
]


if __name__ == "__main__":
    sys.exit(main())
