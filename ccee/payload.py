"""The document CCEE receives for one UC and day: pure, rows in, bytes out.

The values come from SQL (`smf.ccee_build` / `smf.ccee_day`, db/functions/400_ccee.sql), which
already applied losses, the 15-minute split and the tipoConsumo mapping on integer Wh. This module
only writes them in CCEE's shape (domain notes, "The submission call"):

    {"codigoUnidadeConsumidora": "...", "codigoAgenteConcessionaria": 1234,
     "diaReferencia": "YYYY-MM-DD",
     "horas": [{"hora": 1, "medicoes": [
         {"dataReferenciaConsumo": "YYYY-MM-DDTHH:MM:SS-03:00", "consumo": 0.123,
          "tipoConsumo": "MEDIDO"}, ... 12 items]}, ... 24 hours]}

Stamps are interval ENDS at -03:00; consumo is kWh written with exactly three decimals
(Wh // 1000 "." Wh % 1000), so no float ever touches a value. The bytes are compact UTF-8 JSON
with a fixed key order: the same rows always give the same bytes and the same SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

SLOTS = 288
TIPOS = frozenset({"MEDIDO", "AJUSTADO", "ESTIMADO"})


class PayloadError(ValueError):
    """The rows cannot make a valid document (a bug upstream: pre-checks hold such days)."""


@dataclass(frozen=True, slots=True)
class Payload:
    uc_code: str
    day: date
    body: bytes
    sha256: str
    total_wh: int


def kwh_text(wh: int) -> str:
    """Integer Wh as kWh with exactly three decimals: 1250 -> '1.250', 7 -> '0.007'."""
    if wh < 0:
        raise PayloadError(f"negative energy {wh} Wh")
    return f"{wh // 1000}.{wh % 1000:03d}"


def build(
    uc_code: str,
    agent_code: int,
    day: date,
    stamps: Sequence[str],
    wh: Sequence[int | None],
    tipos: Sequence[str | None],
) -> Payload:
    """The payload of one UC-day from its 288 slots (stamp, Wh, tipoConsumo) in slot order."""
    if not (len(stamps) == len(wh) == len(tipos) == SLOTS):
        raise PayloadError(
            f"UC {uc_code} {day}: {len(stamps)}/{len(wh)}/{len(tipos)} slots, expected {SLOTS}"
        )
    hours = []
    total = 0
    for h in range(24):
        items = []
        for i in range(h * 12, h * 12 + 12):
            value, tipo = wh[i], tipos[i]
            if value is None or tipo not in TIPOS:
                raise PayloadError(f"UC {uc_code} {day}: slot {i + 1} has no value ({tipo})")
            total += value
            items.append(
                f'{{"dataReferenciaConsumo":"{stamps[i]}","consumo":{kwh_text(value)},'
                f'"tipoConsumo":"{tipo}"}}'
            )
        hours.append(f'{{"hora":{h + 1},"medicoes":[{",".join(items)}]}}')
    body = (
        f'{{"codigoUnidadeConsumidora":{json.dumps(str(uc_code))},'
        f'"codigoAgenteConcessionaria":{int(agent_code)},'
        f'"diaReferencia":"{day.isoformat()}","horas":[{",".join(hours)}]}}'
    ).encode()
    return Payload(uc_code, day, body, hashlib.sha256(body).hexdigest(), total)


def pretty(payload: Payload) -> str:
    """The same bytes with one line per hour, for reading (`smf ccee submit --dry-run`)."""
    return payload.body.decode().replace('{"hora"', '\n  {"hora"').replace("]}]}", "]}\n]}")
