"""Job ccee_retry (every 15 minutes): send what is due again (failed sends whose backoff has
passed, held days to re-check, released days, claims left by a dead sender)."""

from __future__ import annotations

from typing import Any

from jobs.ccee_send import send_due
from jobs.runlog import recorded


@recorded("ccee_retry")
def run() -> dict[str, Any]:
    return send_due()
