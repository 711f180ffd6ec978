"""Errors of the CCEE client. A rejection is CCEE saying no (recorded, not retried blindly); a
failure is not having an answer (retried later)."""

from __future__ import annotations


class CceeError(Exception):
    """Base of the CCEE errors."""


class ConfigError(CceeError):
    """A CCEE setting is missing or unsafe (named in the message; secrets never shown)."""


class AuthError(CceeError):
    """The token endpoint refused our credentials (the body, never the secret, in the message)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"CCEE token endpoint answered {status}: {body[:500]}")
        self.status = status
        self.body = body
