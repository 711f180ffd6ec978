"""Domain errors. Driver errors are translated into these once, in db.driver.

SQL functions raise with our own SQLSTATEs so the translation is a lookup, not message parsing:
  SMF01 batch rejected (malformed input; nothing written)
  SMF02 invalid parameter (out of range, overlapping validity, bad window)
  SMF04 not found (unknown UC, meter, distributor, month with no data)
"""

from __future__ import annotations


class SmfError(Exception):
    """Base of every error the platform reports on purpose."""


class BatchRejected(SmfError):
    """A malformed batch: nothing was written. `line` is the 1-based input line when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class InvalidParameter(SmfError):
    pass


class NotFound(SmfError):
    pass


class Conflict(SmfError):
    """A uniqueness or exclusion constraint refused the change (duplicate, overlapping period)."""


class DatabaseUnavailable(SmfError):
    """The server cannot be reached or is restarting: nothing was written; retry later."""


class RetryableConflict(SmfError):
    """A deadlock or serialization failure: the transaction was rolled back; run it again."""


class PermissionDenied(SmfError):
    """The principal may not do this (a row-level policy or a missing grant refused it)."""
