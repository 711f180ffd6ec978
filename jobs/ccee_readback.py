"""Job ccee_readback (daily): read CCEE's verdict (CONSISTIDA / REJEITADA) of every value of the
UC-days accepted since the last read-back, and keep it with the ledger."""

from __future__ import annotations

from typing import Any

from ccee import sender
from ccee.client import CceeClient
from db.settings import load_ccee
from jobs.runlog import recorded


@recorded("ccee_readback")
def run() -> dict[str, Any]:
    with CceeClient(load_ccee()) as client:
        return sender.read_back(None, client)
