"""ABNT channel quantity codes (parameter octets 196-198) → our canonical quantity names.

The code table is [S] (fk7py). The mapping to ``db/channels.py`` names is ours; codes with no
canonical counterpart (kQh, V²h, PF·h, THD·h, ...) map to nothing and are not output.
Override by passing another mapping to :class:`poller.protocol.client.MeterClient`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType


class QuantityKind(Enum):
    """How pulses × constant become the engineering value of one interval."""

    ENERGY = "energy"  # kWh / kvarh accumulated in the interval: taken as is
    HOUR_INTEGRAL = "hour_integral"  # V·h or A·h: divided by the interval length in hours


QUANTITY_CODE_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0: "undefined", 1: "kWh delivered", 2: "kvarh", 3: "kQh", 4: "V2h", 5: "I2h",
        6: "disabled", 7: "undefined", 8: "Vh", 9: "Ih", 10: "kvarh inductive",
        11: "kvarh capacitive", 12: "kQh mostly inductive", 13: "kQh mostly capacitive",
        14: "kWh received", 15: "kvarh inductive received", 16: "kvarh capacitive received",
        17: "Vah", 18: "Vbh", 19: "Vch", 20: "Iah", 21: "Ibh", 22: "Ich", 99: "absent",
    }
)  # fmt: skip

#: ABNT quantity code → (canonical name, kind). 15/16 "received" reactive are the reverse
#: direction: inductive received = Q3, capacitive received = Q2 (db/channels.py comments).
DEFAULT_QUANTITY_MAP: Mapping[int, tuple[str, QuantityKind]] = MappingProxyType(
    {
        1: ("active_fwd_kwh", QuantityKind.ENERGY),
        14: ("active_rev_kwh", QuantityKind.ENERGY),
        10: ("reactive_ind_fwd_kvarh", QuantityKind.ENERGY),
        15: ("reactive_ind_rev_kvarh", QuantityKind.ENERGY),
        11: ("reactive_cap_fwd_kvarh", QuantityKind.ENERGY),
        16: ("reactive_cap_rev_kvarh", QuantityKind.ENERGY),
        17: ("voltage_a_v", QuantityKind.HOUR_INTEGRAL),
        18: ("voltage_b_v", QuantityKind.HOUR_INTEGRAL),
        19: ("voltage_c_v", QuantityKind.HOUR_INTEGRAL),
        20: ("current_a_a", QuantityKind.HOUR_INTEGRAL),
        21: ("current_b_a", QuantityKind.HOUR_INTEGRAL),
        22: ("current_c_a", QuantityKind.HOUR_INTEGRAL),
    }
)

#: Codes meaning "no channel here".
ABSENT_CODES: frozenset[int] = frozenset((0, 6, 7, 99))
