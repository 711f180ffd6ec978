"""DLMS errors, classified like NBR 14522's (poller/protocol/errors.py): meter-reported errors
are not retried at once; poller-detected ones are retried, with a reconnect, by the service."""

from __future__ import annotations

from poller.protocol.errors import (
    CommandNotImplementedError,
    CrcError,
    DecodeError,
    MeterReportedError,
    ResponseTimeoutError,
    SequenceBreakError,
)


class DlmsFrameError(CrcError):
    """An HDLC frame whose HCS or FCS does not match, again after the allowed re-sends."""


class DlmsTimeoutError(ResponseTimeoutError):
    """No (sound) answer within the response timeout, again after the allowed re-sends. A serial
    read that times out is this error, never an empty success."""


class BlockGapError(SequenceBreakError):
    """A GET block transfer skipped a block number (or repeated an old one) after a re-request."""


class InvokeIdError(SequenceBreakError):
    """Answers kept carrying another invoke-id than our request's."""


class DlmsDecodeError(DecodeError):
    """A sound frame whose APDU or A-XDR data cannot be decoded."""


class AssociationRefusedError(MeterReportedError):
    """AARE result rejected (permanent or transient), with the ACSE diagnostic."""

    def __init__(self, message: str, *, result: int, diagnostic: int | None) -> None:
        super().__init__(message)
        self.result, self.diagnostic = result, diagnostic


class AuthenticationError(MeterReportedError):
    """HLS pass 4 failed: the meter's answer to our challenge does not verify (wrong key, or not
    the meter we think), or the meter refused our answer to its challenge."""


class DataAccessError(MeterReportedError):
    """The meter answered a GET/SET/ACTION with a data-access-result other than success."""

    def __init__(self, message: str, *, result: int) -> None:
        super().__init__(message)
        self.result = result


class ObjectUnavailableError(CommandNotImplementedError):
    """Data-access-result object-undefined / object-unavailable / read-write-denied /
    object-class-inconsistent: the meter does not offer this object (an optional read skips it,
    like NBR 14522's 0x39)."""

    def __init__(self, message: str, *, result: int) -> None:
        super().__init__(message)
        self.result = result
