"""A fake NBR 14522 meter: deterministic data (:mod:`.load`), state and answers
(:mod:`.meter`), link layer over TCP or a pty (:mod:`.server`), faults (:mod:`.faults`) and a
fleet runner (:mod:`.fleet`)."""

from .faults import Fault, FaultKind, FaultPlan
from .fleet import Fleet, run_fleet
from .meter import EmulatedMeter, FixedClock, MeterConfig
from .server import LinkBehaviour, MeterEmulator

__all__ = [
    "EmulatedMeter",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "FixedClock",
    "Fleet",
    "LinkBehaviour",
    "MeterConfig",
    "MeterEmulator",
    "run_fleet",
]
