"""The 12 mass-memory quantities every interval row can carry, and their storage units.

Ingest takes engineering units (kWh, kvarh, V, A) and stores integers (Wh, varh, mV, mA) so that
sums in rollups are exact. Legacy 3-channel meters fill only active_fwd, reactive_ind_fwd and
reactive_cap_fwd.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quantity:
    name: str  # input name, in engineering units (CSV header, poller output)
    column: str  # stored column, integer units
    scale: int  # stored = round(input * scale)
    unit: str  # engineering unit of `name`
    is_energy: bool


QUANTITIES: tuple[Quantity, ...] = (
    Quantity("active_fwd_kwh", "active_fwd_wh", 1000, "kWh", True),  # Q1+Q4, delivered
    Quantity("active_rev_kwh", "active_rev_wh", 1000, "kWh", True),  # Q2+Q3, received
    Quantity("reactive_ind_fwd_kvarh", "reactive_ind_fwd_varh", 1000, "kvarh", True),  # Q1
    Quantity("reactive_ind_rev_kvarh", "reactive_ind_rev_varh", 1000, "kvarh", True),  # Q3
    Quantity("reactive_cap_fwd_kvarh", "reactive_cap_fwd_varh", 1000, "kvarh", True),  # Q4
    Quantity("reactive_cap_rev_kvarh", "reactive_cap_rev_varh", 1000, "kvarh", True),  # Q2
    Quantity("voltage_a_v", "voltage_a_mv", 1000, "V", False),
    Quantity("voltage_b_v", "voltage_b_mv", 1000, "V", False),
    Quantity("voltage_c_v", "voltage_c_mv", 1000, "V", False),
    Quantity("current_a_a", "current_a_ma", 1000, "A", False),
    Quantity("current_b_a", "current_b_ma", 1000, "A", False),
    Quantity("current_c_a", "current_c_ma", 1000, "A", False),
)
QUANTITY_NAMES: tuple[str, ...] = tuple(q.name for q in QUANTITIES)
LEGACY_3_CHANNELS: tuple[str, ...] = (
    "active_fwd_kwh",
    "reactive_ind_fwd_kvarh",
    "reactive_cap_fwd_kvarh",
)
