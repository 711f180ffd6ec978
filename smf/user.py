"""Account verbs: `smf user add|key|revoke|list|group` (run as the database owner).

An API key is printed once, when it is made; the database keeps only its argon2id hash. A key
may expire (`--expires-days`); `smf user key NAME --rotate` makes a new key and retires the
account's others (at once, or after `--grace-hours`). A database login role (--db-role, for
Grafana or psql) gets a generated password, printed once; the server keeps only its SCRAM-SHA-256
verifier, computed here. --db-role takes a NEW name in the project's namespace (smf_...) or a
reader role smf made earlier, never a superuser, a service role or a role smf did not make
(smf.db_role_refusal, 500_accounts.sql).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from db.cluster import scram_verifier


def _scope(value: str) -> tuple[str, str]:
    kind, _, ref = value.partition(":")
    if kind not in ("distributor", "group", "uc") or not ref:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected distributor:<ANEEL code>, group:<name> or uc:<UC code>"
        )
    return kind, ref


def _positive_days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a number of days") from None
    if not 0 < days <= 3650:
        raise argparse.ArgumentTypeError(f"{value!r}: expected days in (0, 3650]")
    return days


def cmd_user(args: argparse.Namespace) -> int:
    from api import auth
    from api.startup import SchemaNotAtHead, check_schema_at_head
    from db import driver
    from db.settings import load
    from smf.serve import start_local_cluster

    settings = load()
    start_local_cluster(settings)
    try:
        check_schema_at_head(settings)  # the account tables come with the schema at head
    except SchemaNotAtHead as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with driver.connect(settings) as conn:
        if args.action == "add":
            driver.run(conn, "user_add", name=args.name, role=args.role, db_role=args.db_role)
            for kind, ref in args.scope or []:
                driver.run(conn, "user_scope_add", name=args.name, kind=kind, ref=ref)
            print(f"account {args.name} ({args.role}) added")
            if args.db_role:
                password = secrets.token_urlsafe(24)
                driver.run(
                    conn,
                    "user_db_role_create",
                    db_role=args.db_role,
                    verifier=scram_verifier(password),
                )
                print(
                    f"database role {args.db_role} (read-only, scoped as {args.name}); "
                    f"password, shown once:\n{password}"
                )
        elif args.action == "key":
            key_id, token, hash_ = auth.new_key()
            expires = None
            if args.expires_days is not None:
                expires = datetime.now(UTC) + timedelta(days=args.expires_days)
            driver.run(
                conn,
                "user_key_add_expiring",
                name=args.name,
                key_id=key_id,
                hash=hash_,
                label=args.label,
                expires_at=expires,
            )
            until = f", valid until {expires:%Y-%m-%d %H:%M} UTC" if expires else ""
            print(
                f"# key {key_id} of {args.name}{until}; shown once, keep it secret", file=sys.stderr
            )
            if args.rotate:
                at = datetime.now(UTC) + timedelta(hours=args.grace_hours)
                n = driver.run(conn, "user_key_retire_others", name=args.name, keep=key_id, at=at)[
                    0
                ]["retired"]
                when = "now" if args.grace_hours <= 0 else f"at {at:%Y-%m-%d %H:%M} UTC"
                print(
                    f"# rotated: {n} older key(s) of {args.name} stop working {when}",
                    file=sys.stderr,
                )
            print(token)
        elif args.action == "revoke":
            n = driver.run(conn, "user_key_revoke", ref=args.name)[0]["revoked"]
            print(f"{n} key(s) revoked")
            return 0 if n else 1
        elif args.action == "group":
            for uc in args.uc_codes:
                driver.run(conn, "user_group_add_member", group=args.name, uc_code=uc)
            print(f"group {args.name}: {len(args.uc_codes)} UC(s) added")
        else:
            for r in driver.run(conn, "user_list"):
                print(
                    f"{r['name']:24} {r['role']:8} keys={r['live_keys']} "
                    f"db_role={r['db_role'] or '-'} scopes={r['scopes'] or '-'}"
                    + (" (disabled)" if r["disabled_at"] else "")
                )
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("user", help="API accounts, keys, scopes and database roles")
    sub = p.add_subparsers(dest="action", required=True)
    a = sub.add_parser("add", help="add an account")
    a.add_argument("name", help="account name")
    a.add_argument(
        "--role",
        required=True,
        choices=["admin", "analyst", "client", "service"],
        help="what the account may do",
    )
    a.add_argument(
        "--scope",
        action="append",
        type=_scope,
        help="distributor:<ANEEL code>, group:<name> or uc:<UC code> (repeatable)",
    )
    a.add_argument(
        "--db-role",
        help="also create this database login role (Grafana, psql): a new name starting with "
        "smf_ (e.g. smf_grafana_sul), or a reader role smf made before; never an existing "
        "superuser, service or foreign role",
    )
    k = sub.add_parser("key", help="make an API key for an account (printed once)")
    k.add_argument("name", help="account name")
    k.add_argument("--label", help="a note on what the key is for")
    k.add_argument(
        "--expires-days",
        type=_positive_days,
        help="the key stops working this many days from now (default: until revoked)",
    )
    k.add_argument(
        "--rotate",
        action="store_true",
        help="the account's other live keys stop working (now, or after --grace-hours)",
    )
    k.add_argument(
        "--grace-hours",
        type=float,
        default=0.0,
        help="with --rotate: older keys keep working this many hours (default 0: revoked now)",
    )
    r = sub.add_parser("revoke", help="revoke a key (by key id) or every key of an account")
    r.add_argument(
        "name", metavar="KEY_ID_OR_ACCOUNT", help="key id or account name (all its keys)"
    )
    g = sub.add_parser("group", help="put UCs into a UC group (created when missing)")
    g.add_argument("name", help="group name")
    g.add_argument("uc_codes", nargs="+", help="UC codes (15 digits) in the group")
    sub.add_parser("list", help="list accounts")
    p.set_defaults(func=cmd_user)
