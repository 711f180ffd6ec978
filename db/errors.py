"""Domain errors. Driver errors are translated into these once, in db.driver.

SQL functions raise with our own SQLSTATEs so the translation is a lookup, not message parsing:
  SMF01 batch rejected (malformed input; nothing written)
  SMF02 invalid parameter (out of range, overlapping validity, bad window)
  SMF04 not found (unknown UC, meter, distributor, month with no data)
"""

from __future__ import annotations

MAX_SHOWN = 200  # characters of a value or message shown to a user


def cut(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` cut to `limit` characters, saying how much was left out (a 10 MB field must not be
    echoed whole)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


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


class SchemaNotAtHead(SmfError):
    """The database schema is not at this checkout's head revision: run `smf db migrate`."""


class PermissionDenied(SmfError):
    """The principal may not do this (a row-level policy or a missing grant refused it)."""
