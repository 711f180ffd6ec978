"""`smf uc add | list | show | set | retire`: consumer units (UCs) without SQL (issue 18).

A UC carries its distributor, customer, submarket, tariff group and modality, contracted demands
(ponta / fora ponta, kW), MUSD (kW), supply tension (kV), main and backup meter, and the
transformer-loss factor (with the local day it applies from). The code is 15 digits with two
check digits (REN ANEEL 1.095/2024, db/functions/001_uc_code.sql): given 13 digits, the check
digits are computed; given 15, they are verified and a wrong one is refused naming the right
code. Dots, dashes and spaces in a code are ignored (0.013.479.258.028-10).

Every input is checked before anything is written: a bad value gets a message naming the field
and exit status 2, and nothing changes. Meters must be registered first (`smf meter add`; an
import-only meter needs no transport).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

SUBMARKETS = ("SE/CO", "S", "NE", "N")
GROUPS = ("A1", "A2", "A3", "A3a", "A4", "AS", "B1", "B2", "B3")
MODALITIES = ("azul", "verde", "convencional", "branca")


class UcError(ValueError):
    """Bad input to a UC operation (nothing was written)."""


def _digits(code: str) -> str:
    d = re.sub(r"[.\-\s/]", "", code.strip())
    if not re.fullmatch(r"[0-9]{13}|[0-9]{15}", d):
        raise UcError(
            f"bad UC code {code!r}: 15 digits (or 13 without the check digits, which are then "
            "computed)"
        )
    return d


def _kw(text: str | None, what: str) -> Decimal | None:
    if text is None:
        return None
    try:
        v = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise UcError(f"{what}: {text!r} is not a number") from None
    if not v.is_finite() or v < 0:
        raise UcError(f"{what}: {text!r} must be a number >= 0")
    return v


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is not None and value not in allowed:
        raise UcError(f"bad {what} {value!r}: one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True, slots=True)
class Fields:
    """The UC fields of `smf uc add | set` (None: not given / unchanged), checked."""

    distributor: str | None = None
    customer_name: str | None = None
    submarket: str | None = None
    tariff_group: str | None = None
    modality: str | None = None
    demand_ponta_kw: Decimal | None = None
    demand_fora_ponta_kw: Decimal | None = None
    musd_kw: Decimal | None = None
    supply_voltage_kv: Decimal | None = None
    main_meter: str | None = None
    backup_meter: str | None = None  # "none" detaches it (set)
    loss_factor: Decimal | None = None
    loss_from: date | None = None

    @classmethod
    def from_args(cls, a: argparse.Namespace) -> Fields:
        if a.distributor is not None and not re.fullmatch(r"[0-9]{3}", a.distributor):
            raise UcError(f"bad distributor {a.distributor!r}: its 3-digit ANEEL code")
        if a.customer is not None and not a.customer.strip():
            raise UcError("customer: the name is empty")
        tension = _kw(a.tension, "--tension (kV)")
        if tension is not None and tension <= 0:
            raise UcError(f"--tension (kV): {a.tension!r} must be above 0")
        loss = _kw(a.loss_factor, "--loss-factor")
        if loss is not None and loss >= Decimal("0.2"):
            raise UcError(
                f"--loss-factor {a.loss_factor!r}: a share below 0.2 (0.025 = 2.5 %, the "
                "regulatory value up to 44 kV; 0.01 above)"
            )
        loss_from = None
        if a.loss_from is not None:
            if loss is None:
                raise UcError("--loss-from goes with --loss-factor")
            try:
                loss_from = date.fromisoformat(a.loss_from)
            except ValueError:
                raise UcError(f"--loss-from {a.loss_from!r}: a date YYYY-MM-DD") from None
        return cls(
            distributor=a.distributor,
            customer_name=a.customer.strip() if a.customer is not None else None,
            submarket=_choice(a.submarket, SUBMARKETS, "submarket"),
            tariff_group=_choice(a.group, GROUPS, "tariff group"),
            modality=_choice(a.modality, MODALITIES, "modality"),
            demand_ponta_kw=_kw(a.demand_ponta, "--demand-ponta (kW)"),
            demand_fora_ponta_kw=_kw(a.demand_fora_ponta, "--demand-fora-ponta (kW)"),
            musd_kw=_kw(a.musd, "--musd (kW)"),
            supply_voltage_kv=tension,
            main_meter=a.main,
            backup_meter=a.backup,
            loss_factor=loss,
            loss_from=loss_from,
        )


# ------------------------------------------------------------------ data access (named queries)
def complete_code(conn: Any, code: str) -> tuple[str, bool]:
    """(the 15-digit code, whether its check digits were computed). Raises UcError for a
    15-digit code whose check digits are wrong, naming the right ones."""
    from db import driver

    d = _digits(code)
    expected = str(driver.run_scalar(conn, "uc_code_check", digits=d[:13]))
    if len(d) == 13:
        return expected, True
    if d != expected:
        raise UcError(
            f"UC code {code!r}: check digits {d[13:]} are wrong; {d[:13]} gives {expected[13:]} "
            f"(code {expected}); give the 13 digits alone to have them computed"
        )
    return d, False


def _meter_id(conn: Any, serial: str | None, what: str) -> int | None:
    from db import driver

    if serial is None:
        return None
    row = driver.run_one(conn, "uc_meter_id", serial=serial)
    if row is None:
        raise UcError(
            f"{what}: no meter {serial!r}; register it first with `smf meter add {serial}` "
            "(without --transport for an import-only meter)"
        )
    return int(row["id"])


def _set_loss(conn: Any, uc_id: int, factor: Decimal, valid_from: date | None) -> date:
    from db import driver

    start = valid_from or date(2000, 1, 1)
    for q in ("uc_loss_drop_later", "uc_loss_cut", "uc_loss_insert"):
        driver.run(conn, q, uc_id=uc_id, valid_from=start, factor=factor)
    return start


def add(settings: Any, code: str, f: Fields) -> dict[str, Any]:
    """Register a UC; returns {"uc_code", "computed", "distributor_digits_differ"}. Raises
    UcError (nothing written)."""
    from db import driver

    missing = [
        name
        for name, v in (
            ("--distributor", f.distributor),
            ("--customer", f.customer_name),
            ("--group", f.tariff_group),
            ("--modality", f.modality),
            ("--tension", f.supply_voltage_kv),
        )
        if v is None
    ]
    if missing:
        raise UcError(f"uc add needs {', '.join(missing)}")
    if f.modality == "azul" and f.demand_ponta_kw is None:
        raise UcError("modality azul needs --demand-ponta (kW): it bills two contracted demands")
    if f.backup_meter is not None and f.backup_meter == f.main_meter:
        raise UcError(f"--backup {f.backup_meter}: the backup meter must differ from the main")
    with driver.connect(settings) as conn:
        full, computed = complete_code(conn, code)
        dist = driver.run_one(conn, "uc_distributor_id", aneel_code=f.distributor)
        if dist is None:
            raise UcError(f"--distributor {f.distributor}: no distributor with that ANEEL code")
        row = driver.run_one(
            conn,
            "uc_add",
            uc_code=full,
            distributor_id=dist["id"],
            customer_name=f.customer_name,
            submarket=f.submarket or "SE/CO",
            tariff_group=f.tariff_group,
            modality=f.modality,
            demand_ponta_kw=f.demand_ponta_kw,
            demand_fora_ponta_kw=f.demand_fora_ponta_kw,
            musd_kw=f.musd_kw,
            supply_voltage_kv=f.supply_voltage_kv,
            main_meter_id=_meter_id(conn, f.main_meter, "--main"),
            backup_meter_id=_meter_id(conn, f.backup_meter, "--backup"),
        )
        if row is None:
            raise UcError(f"UC {full} is already registered (change it with `smf uc set`)")
        if f.loss_factor is not None:
            _set_loss(conn, row["id"], f.loss_factor, f.loss_from)
    return {
        "uc_code": full,
        "computed": computed,
        # the code's N5..N3 name the distributor (REN 1.095/2024); ours is its ANEEL code
        "distributor_digits_differ": full[10:13] != f.distributor,
    }


def update(settings: Any, code: str, f: Fields) -> str:
    """Change the given fields of a UC; returns its code. Raises UcError (nothing written)."""
    from db import driver

    if f.distributor is not None:
        raise UcError("a UC's distributor is part of its code: register a new UC instead")
    with driver.connect(settings) as conn:
        full, _ = complete_code(conn, code)
        clear = f.backup_meter == "none"
        row = driver.run_one(
            conn,
            "uc_set",
            uc_code=full,
            customer_name=f.customer_name,
            submarket=f.submarket,
            tariff_group=f.tariff_group,
            modality=f.modality,
            demand_ponta_kw=f.demand_ponta_kw,
            demand_fora_ponta_kw=f.demand_fora_ponta_kw,
            musd_kw=f.musd_kw,
            supply_voltage_kv=f.supply_voltage_kv,
            main_meter_id=_meter_id(conn, f.main_meter, "--main"),
            backup_meter_id=None if clear else _meter_id(conn, f.backup_meter, "--backup"),
            clear_backup=clear,
        )
        if row is None:
            raise UcError(f"no UC {full} (see `smf uc list`)")
        if f.loss_factor is not None:
            _set_loss(conn, row["id"], f.loss_factor, f.loss_from)
    return full


def show(settings: Any, code: str) -> dict[str, Any]:
    from db import driver

    with driver.connect(settings) as conn:
        full, _ = complete_code(conn, code)
        row = driver.run_one(conn, "uc_get", uc_code=full)
    if row is None:
        raise UcError(f"no UC {full} (see `smf uc list`)")
    return row


def list_ucs(settings: Any, distributor: str | None) -> list[dict[str, Any]]:
    from db import driver

    with driver.connect(settings) as conn:
        return driver.run(conn, "uc_list", distributor=distributor)


def retire(settings: Any, code: str) -> Any:
    from db import driver

    with driver.connect(settings) as conn:
        full, _ = complete_code(conn, code)
        row = driver.run_one(conn, "uc_retire", uc_code=full)
    if row is None:
        raise UcError(f"no UC {full} (see `smf uc list`)")
    return row["retired_at"]


# ------------------------------------------------------------------ the verbs
def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def cmd_uc(args: argparse.Namespace) -> int:
    from db.errors import Conflict, InvalidParameter
    from smf.cli import ensure_database

    try:
        fields = Fields.from_args(args) if args.uc_action in ("add", "set") else Fields()
        if args.uc_action in ("add", "set", "show", "retire"):
            _digits(args.code)  # before the database is started
        ensure_database()
        return _dispatch(args, fields)
    except (UcError, InvalidParameter, Conflict) as exc:
        return _fail(str(exc))


def _dispatch(args: argparse.Namespace, f: Fields) -> int:
    action = args.uc_action
    if action == "add":
        out = add(None, args.code, f)
        how = " (check digits computed)" if out["computed"] else ""
        print(f"UC {out['uc_code']}{how} registered for {f.customer_name}")
        if out["distributor_digits_differ"]:
            print(
                f"note: digits 11-13 of the code ({out['uc_code'][10:13]}) differ from the "
                f"distributor's ANEEL code {f.distributor}"
            )
        return 0
    if action == "set":
        print(f"UC {update(None, args.code, f)} updated")
        return 0
    if action == "show":
        r = show(None, args.code)
        for key in (
            "uc_code", "distributor", "distributor_name", "customer_name", "submarket",
            "tariff_group", "modality", "contracted_demand_ponta_kw",
            "contracted_demand_fora_ponta_kw", "musd_kw", "supply_voltage_kv", "main_meter",
            "backup_meter", "loss_factor", "loss_from", "created_at", "retired_at",
        ):  # fmt: skip
            v = r[key]
            print(f"{key:32} {'-' if v is None else v}")
        return 0
    if action == "list":
        rows = list_ucs(None, args.distributor)
        for r in rows:
            state = "retired" if r["retired_at"] else "active"
            print(
                f"{r['uc_code']}  {r['distributor']}  {state:7}  {r['tariff_group']:3}  "
                f"{r['modality']:12}  {r['supply_voltage_kv']:>7} kV  main {r['main_meter'] or '-'}"
                f"  backup {r['backup_meter'] or '-'}  {r['customer_name']}"
            )
        print(f"{len(rows)} UC(s)")
        return 0
    if action == "retire":
        at = retire(None, args.code)
        print(f"UC {_digits(args.code)} retired at {at.isoformat()} (its data are kept)")
        return 0
    return _fail(f"unknown action {action}")


def _fields(p: argparse.ArgumentParser, *, adding: bool) -> None:
    if adding:
        p.add_argument("--distributor", help="the distributor's 3-digit ANEEL code (required)")
        p.add_argument("--customer", help="customer name (required)")
    else:
        p.set_defaults(distributor=None)
        p.add_argument("--customer", help="customer name")
    p.add_argument("--submarket", help="SE/CO (default), S, NE or N")
    p.add_argument("--group", help="tariff group: A1, A2, A3, A3a, A4, AS, B1, B2, B3")
    p.add_argument("--modality", help="azul, verde, convencional or branca")
    p.add_argument("--demand-ponta", help="contracted demand in the ponta posto, kW (azul)")
    p.add_argument("--demand-fora-ponta", help="contracted demand fora ponta (or the only one), kW")
    p.add_argument("--musd", help="MUSD (amount of use of the distribution system), kW")
    p.add_argument("--tension", help="supply tension, kV (13.8, 0.22 ...)")
    p.add_argument("--main", help="serial of the main meter (registered with smf meter add)")
    p.add_argument(
        "--backup",
        help="serial of the backup meter" + ("" if adding else "; 'none' detaches it"),
    )
    p.add_argument(
        "--loss-factor", help="transformer-loss factor, a share (0.025 up to 44 kV, 0.01 above)"
    )
    p.add_argument("--loss-from", help="local day the loss factor applies from (default: always)")


def register(sub: Any) -> None:
    p = sub.add_parser("uc", help="register and inspect consumer units (add, list, show, set, ...)")
    verbs = p.add_subparsers(dest="uc_action", required=True)
    a = verbs.add_parser("add", help="register a consumer unit")
    a.add_argument("code", help="UC code: 15 digits, or 13 (the check digits are computed)")
    _fields(a, adding=True)
    ls = verbs.add_parser("list", help="every UC (of one distributor)")
    ls.add_argument("--distributor", help="3-digit ANEEL code")
    s = verbs.add_parser("show", help="one UC with its meters and loss factor")
    s.add_argument("code")
    st = verbs.add_parser("set", help="change a UC's fields")
    st.add_argument("code")
    _fields(st, adding=False)
    r = verbs.add_parser("retire", help="retire a UC for good (its data are kept)")
    r.add_argument("code")
    p.set_defaults(func=cmd_uc)
