"""`smf uc add | list | show | set | retire`: consumer units (UCs) without SQL.

The checks live in SQL (db/functions/090_uc_registry.sql), shared with the API: a UC code typed
with 13 digits gets its check digits computed, one typed with 15 has them verified; an unknown
distributor or meter, a bad modality or a negative demand is refused naming the field, and
nothing is written (one transaction). Demands and MUSD are kW, the supply voltage kV, the loss
factor a fraction (0.025 = 2.5 %) valid from a local day.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from db.local import ensure_database
from smf import console

COLUMNS = [
    "uc_code",
    "distributor_aneel_code",
    "customer_name",
    "modality",
    "tariff_group",
    "contracted_demand_ponta_kw",
    "contracted_demand_fora_ponta_kw",
    "musd_kw",
    "supply_voltage_kv",
    "main_meter_serial",
    "backup_meter_serial",
    "loss_factor",
    "retired_at",
]


def number(text: str) -> Decimal:
    """A non-negative number; a decimal comma (`8,5`) is read like a point."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number >= 0")
    return value


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def code(text: str) -> str:
    if not re.fullmatch(r"[0-9][0-9.\s-]*", text.strip()):
        raise argparse.ArgumentTypeError(
            f"UC code {text!r}: 13 digits (check digits computed) or 15 digits (verified)"
        )
    return text.strip()


def cmd_add(args: argparse.Namespace) -> int:
    from db import driver

    ensure_database()
    with driver.connect() as conn:
        uc_code = driver.run_scalar(
            conn,
            "uc_register",
            code=args.code,
            distributor=args.distributor,
            customer=args.customer,
            submarket=args.submarket,
            tariff_group=args.tariff_group,
            modality=args.modality,
            supply_voltage_kv=args.voltage_kv,
            ponta_kw=args.ponta_kw,
            fora_ponta_kw=args.fora_ponta_kw,
            musd_kw=args.musd_kw,
            main_meter=args.main_meter,
            backup_meter=args.backup_meter,
            loss_factor=args.loss_factor,
            loss_from=args.loss_from,
        )
        if args.ccee_from:
            driver.run(conn, "ccee_register_retail", uc_code=uc_code, first=args.ccee_from)
    print(f"registered UC {uc_code}")
    if len(re.sub(r"\D", "", args.code)) == 13:
        print(f"  check digits computed: {uc_code[-2:]} (REN 1.095/2024 Annex II)")
    print(f"next: .venv/bin/smf uc show {uc_code}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from db import driver

    ensure_database()
    with driver.connect() as conn:
        rows = driver.run(conn, "uc_list", include_retired=args.all, distributor=args.distributor)
    if args.csv:
        console.write_csv(rows, COLUMNS)
    else:
        console.table(rows, columns=COLUMNS, empty="no consumer units (smf uc add registers one)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from db import driver, errors

    ensure_database()
    with driver.connect() as conn:
        card = driver.run_one(conn, "uc_card", uc_code=args.code)
        if card is None:
            raise errors.NotFound(f"unknown consumer unit {args.code} (smf uc list shows them)")
        losses = driver.run(conn, "uc_losses", uc_code=args.code)
    width = max(len(k) for k in card)
    for key, value in card.items():
        print(f"{key:<{width}}  {console.cell(value)}")
    print()
    console.table(
        losses,
        title="loss factor periods (local days, from inclusive, to exclusive)",
        empty="no loss factor periods (the default by supply voltage applies)",
    )
    return 0


def changes_of(args: argparse.Namespace) -> dict[str, Any]:
    """The UC fields `smf uc set` was asked to change, as smf.uc_update's jsonb keys."""
    out: dict[str, Any] = {}
    for key, attr in (
        ("customer", "customer"),
        ("submarket", "submarket"),
        ("tariff_group", "tariff_group"),
        ("modality", "modality"),
        ("contracted_demand_ponta_kw", "ponta_kw"),
        ("contracted_demand_fora_ponta_kw", "fora_ponta_kw"),
        ("musd_kw", "musd_kw"),
        ("supply_voltage_kv", "voltage_kv"),
        ("main_meter", "main_meter"),
        ("backup_meter", "backup_meter"),
    ):
        value = getattr(args, attr)
        if value is not None:
            out[key] = str(value) if isinstance(value, Decimal) else value
    if args.no_backup_meter:
        out["backup_meter"] = None
    return out


def cmd_set(args: argparse.Namespace) -> int:
    from db import driver, errors

    changes = changes_of(args)
    if args.no_backup_meter and args.backup_meter:
        raise errors.InvalidParameter("give --backup-meter or --no-backup-meter, not both")
    if (args.loss_factor is None) != (args.loss_from is None) and not args.no_loss_factor:
        raise errors.InvalidParameter("a loss factor needs --loss-from (the first local day)")
    if not changes and args.loss_factor is None and not args.no_loss_factor and not args.ccee_from:
        raise errors.InvalidParameter("nothing to change: give at least one option (see --help)")
    ensure_database()
    with driver.connect() as conn:
        if changes:
            driver.run(conn, "uc_update", uc_code=args.code, changes=json.dumps(changes))
        if args.loss_factor is not None or args.no_loss_factor:
            if args.loss_from is None:
                raise errors.InvalidParameter("--no-loss-factor needs --loss-from")
            driver.run(
                conn,
                "uc_loss_set",
                uc_code=args.code,
                factor=args.loss_factor,
                **{"from": args.loss_from, "to": args.loss_to},
            )
        if args.ccee_from:
            driver.run(conn, "ccee_register_retail", uc_code=args.code, first=args.ccee_from)
    print(f"UC {args.code} updated")
    return 0


def cmd_retire(args: argparse.Namespace) -> int:
    from db import driver

    ensure_database()
    with driver.connect() as conn:
        at = driver.run_scalar(conn, "uc_retire", uc_code=args.code)
    print(f"UC {args.code} retired at {console.when(at)} (its data are kept)")
    return 0


def _fields(p: argparse.ArgumentParser, *, adding: bool) -> None:
    p.add_argument("--customer", required=adding, help="customer name")
    p.add_argument(
        "--submarket",
        required=adding,
        choices=["SE/CO", "S", "NE", "N"],
        help="CCEE submarket",
    )
    p.add_argument(
        "--tariff-group",
        required=adding,
        help="A1, A2, A3, A3a, A4, AS, B1, B2 or B3",
    )
    p.add_argument("--modality", required=adding, help="azul, verde, convencional or branca")
    p.add_argument("--ponta-kw", type=number, help="contracted ponta demand, kW (Azul)")
    p.add_argument("--fora-ponta-kw", type=number, help="contracted fora-ponta demand, kW")
    p.add_argument("--musd-kw", type=number, help="MUSD (contracted use of the system), kW")
    p.add_argument(
        "--voltage-kv", type=number, required=adding, help="supply voltage, kV (e.g. 13.8)"
    )
    p.add_argument("--main-meter", required=False, help="serial of the main (billing) meter")
    p.add_argument("--backup-meter", help="serial of the backup meter")
    p.add_argument(
        "--loss-factor",
        type=number,
        help="transformer-loss factor, a fraction (0.025 = 2.5 %%)",
    )
    p.add_argument("--loss-from", type=day, help="first local day of the loss factor")
    p.add_argument(
        "--ccee-from", type=day, help="in CCEE's simplified retail model from this local day"
    )


def register(sub: Any) -> None:
    p = sub.add_parser("uc", help="consumer units: add, list, show, set, retire")
    verbs = p.add_subparsers(dest="uc_action", required=True, metavar="ACTION")

    a = verbs.add_parser("add", help="register a consumer unit")
    a.add_argument(
        "code",
        type=code,
        help="UC code: 13 digits (check digits computed) or 15 (verified)",
    )
    a.add_argument("--distributor", required=True, help="the distributor's 3-digit ANEEL code")
    _fields(a, adding=True)
    a.set_defaults(func=cmd_add)

    v = verbs.add_parser("list", help="consumer units with their meters and loss factor")
    v.add_argument("--all", action="store_true", help="include retired units")
    v.add_argument("--distributor", help="only this distributor (3-digit ANEEL code)")
    v.add_argument("--csv", action="store_true", help="CSV on stdout")
    v.set_defaults(func=cmd_list)

    v = verbs.add_parser("show", help="one consumer unit and its loss-factor periods")
    v.add_argument("code", help="15-digit UC code")
    v.set_defaults(func=cmd_show)

    v = verbs.add_parser("set", help="change fields of a consumer unit")
    v.add_argument("code", help="15-digit UC code")
    _fields(v, adding=False)
    v.add_argument("--loss-to", type=day, help="loss factor valid until this day (exclusive)")
    v.add_argument(
        "--no-loss-factor", action="store_true", help="no loss factor from --loss-from on"
    )
    v.add_argument("--no-backup-meter", action="store_true", help="remove the backup meter")
    v.set_defaults(func=cmd_set)

    v = verbs.add_parser("retire", help="retire a consumer unit (its data are kept)")
    v.add_argument("code", help="15-digit UC code")
    v.set_defaults(func=cmd_retire)
