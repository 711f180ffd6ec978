"""Job pld_import (hourly): import hourly PLD from CCEE's open-data CSV (dataset pld_horario)
found in SMF_PLD_PATH (a file or a folder of *.csv; the machine has no internet).

The format is detected, not assumed: ';' or ',' separated, a header naming the month
(MES_REFERENCIA: YYYYMM or YYYY-MM), submarket (SUBMERCADO), day (DIA), hour (HORA, 0-23, hour
beginning) and price (PLD_HORA or PLD) columns in any order and case, decimal comma or point.
A malformed file is rejected whole with the line and the problem; re-importing changes nothing.
"""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from db import driver
from jobs.runlog import JobInputError, recorded

COLUMNS = {
    "month": ("mes_referencia", "mes", "month"),
    "submarket": ("submercado", "submarket"),
    "day": ("dia", "day"),
    "hour": ("hora", "hour"),
    "price": ("pld_hora", "pld", "valor", "price"),
}


class PldFormatError(JobInputError):
    """A PLD file that cannot be read: the message names the file, the line and the problem."""


def parse(text: str, name: str = "PLD file") -> dict[str, list[Any]]:
    """Columns of a pld_horario CSV as lists (month, submarket, day, hour, price)."""
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    sep = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header = [h.strip().lower() for h in next(reader, [])]
    idx: dict[str, int] = {}
    for key, names in COLUMNS.items():
        found = [i for i, h in enumerate(header) if h in names]
        if not found:
            raise PldFormatError(f"{name}: no {key} column (expected one of {', '.join(names)})")
        idx[key] = found[0]
    out: dict[str, list[Any]] = {k: [] for k in COLUMNS}
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        try:
            price_text = row[idx["price"]].strip()
            if sep == ";" and "," in price_text:  # decimal comma (1.234,56 or 61,07)
                price_text = price_text.replace(".", "").replace(",", ".")
            out["price"].append(Decimal(price_text))
            out["month"].append(row[idx["month"]].strip())
            out["submarket"].append(row[idx["submarket"]].strip())
            out["day"].append(int(row[idx["day"]]))
            out["hour"].append(int(row[idx["hour"]]))
        except (IndexError, ValueError, InvalidOperation) as exc:
            raise PldFormatError(f"{name} line {line_no}: {exc or 'bad value'}: {row}") from None
    return out


def files(path: Path) -> list[Path]:
    return sorted(path.glob("*.csv")) if path.is_dir() else [path]


@recorded("pld_import")
def run() -> dict[str, Any]:
    where = os.environ.get("SMF_PLD_PATH")
    if not where:
        return {"skipped": "SMF_PLD_PATH is not set"}
    path = Path(where)
    if not path.exists():
        raise FileNotFoundError(f"SMF_PLD_PATH {path} does not exist")
    counts = {"files": 0, "rows": 0, "changed": 0}
    for f in files(path):
        cols = parse(f.read_text(encoding="utf-8", errors="strict"), f.name)
        with driver.connect() as conn:
            counts["changed"] += int(
                driver.run_scalar(
                    conn,
                    "pld_import",
                    months=cols["month"],
                    submarkets=cols["submarket"],
                    days=cols["day"],
                    hours=cols["hour"],
                    prices=cols["price"],
                )
            )
        counts["files"] += 1
        counts["rows"] += len(cols["month"])
    return counts
