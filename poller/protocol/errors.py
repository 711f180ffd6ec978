"""Errors classified by who detected them (after minimalmodbus' Slave/MasterReportedException).

* :class:`MeterReportedError`: the meter answered, and the answer says "no" (occurrence 0x40,
  command not implemented 0x39, NAK storm, WAIT storm, another meter's serial). Retrying the
  same request at once is pointless; an operator or a later schedule must act.
* :class:`PollerDetectedError`: we could not get a sound answer (timeout, CRC mismatch, short
  frame, sequence break, connection lost, undecodable payload). A retry, possibly after a
  reconnect, may succeed.

So retry policy is ``isinstance(exc, PollerDetectedError)``. An error raised in the middle of a
composite (mass-memory) read carries the blocks already received in ``partial_blocks`` and is
always raised: a partial composite is never returned as if it were complete.
"""

from __future__ import annotations


class NBR14522Error(Exception):
    """Base of every protocol error."""

    retryable = False

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        #: Response bodies (256 octets) of the blocks received before a composite read failed.
        self.partial_blocks: tuple[bytes, ...] = ()


# --- reported by the meter -------------------------------------------------------------------
class MeterReportedError(NBR14522Error):
    """The meter answered, negatively."""


class MeterOccurrenceError(MeterReportedError):
    """Response code 0x40: "ocorrência no medidor". ``data`` holds octets 006-256."""

    def __init__(self, message: str, *, code: int | None = None, data: bytes = b"") -> None:
        super().__init__(message, code=code)
        self.data = data


class CommandNotImplementedError(MeterReportedError):
    """Response code 0x39: the meter does not implement the command."""


class NakStormError(MeterReportedError):
    """The meter rejected our command with NAK more than the allowed 7 times."""


class WaitStormError(MeterReportedError):
    """The meter answered WAIT more than the allowed 12 times (or for longer than Tsemwait)."""


class WrongMeterError(MeterReportedError):
    """The response carries a meter serial other than the one configured."""


# --- detected by the poller ------------------------------------------------------------------
class PollerDetectedError(NBR14522Error):
    """We could not obtain a sound response; retrying may help."""

    retryable = True


class ResponseTimeoutError(PollerDetectedError):
    """No ENQ, or no response to our transmissions within the limits."""


class CrcError(PollerDetectedError):
    """CRC mismatch in a response, persisting after the allowed NAKs."""


class ShortFrameError(PollerDetectedError):
    """A block stopped arriving before its last octet (inter-character timeout)."""


class SequenceBreakError(PollerDetectedError):
    """Unexpected bytes, response code or block number ("quebra de sequência")."""


class LinkClosedError(PollerDetectedError):
    """The byte pipe closed (peer disconnect, I/O error)."""


class DecodeError(PollerDetectedError):
    """A CRC-valid frame whose payload cannot be decoded (bad BCD, impossible date, ...)."""
