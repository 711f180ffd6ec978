"""How a session with a meter ended: the ONE list of outcomes, equal to the database's check
constraint on smf.poll_attempt.outcome (tests/poller_service/test_outcome.py holds them equal)."""

from __future__ import annotations

from enum import StrEnum

from poller.protocol.errors import (
    CommandNotImplementedError,
    MeterReportedError,
    NakStormError,
    WaitStormError,
    WrongMeterError,
)


class Outcome(StrEnum):
    OK = "ok"
    LINK_ERROR = "link_error"  # timeout, CRC, short frame, sequence break, bad transport URL
    METER_BUSY = "meter_busy"  # WAIT or NAK storm
    METER_REFUSED = "meter_refused"  # occurrence 0x40
    WRONG_METER = "wrong_meter"  # another serial answers
    NOT_IMPLEMENTED = "not_implemented"  # an essential command answered 0x39
    STORE_FAILED = "store_failed"  # the database rejected the read for good
    BUSY_ELSEWHERE = "busy_elsewhere"  # another poller holds the meter's session lease
    INTERVAL_MISMATCH = "interval_mismatch"  # meter's MM interval ≠ registered: quarantined


def classify(exc: BaseException) -> str:
    """smf.poll_attempt.outcome for a session that raised ``exc``."""
    if isinstance(exc, WrongMeterError):
        return Outcome.WRONG_METER.value
    if isinstance(exc, (WaitStormError, NakStormError)):
        return Outcome.METER_BUSY.value
    if isinstance(exc, CommandNotImplementedError):
        return Outcome.NOT_IMPLEMENTED.value
    if isinstance(exc, MeterReportedError):
        return Outcome.METER_REFUSED.value
    return Outcome.LINK_ERROR.value
