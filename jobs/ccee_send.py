"""Job ccee_send (daily, 06:00 local by default): queue every UC-day of open months up to
yesterday (so a scheduler that was down catches up), then send what is due."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from ccee import sender
from ccee.client import CceeClient
from db import driver
from db.settings import load_ccee
from jobs.runlog import recorded


def _today() -> Any:
    return (datetime.now(UTC) - timedelta(hours=3)).date()


def send_due() -> dict[str, Any]:
    sender.release_dead_claims()
    cfg = load_ccee()
    # a database restart or failover during the run is waited out (SMF_CCEE_OUTAGE_S, 120 s)
    outage_s = float(os.environ.get("SMF_CCEE_OUTAGE_S", "120"))
    with sender.Sender(None, CceeClient(cfg), cfg) as s:
        rep = s.run_through_outages(outage_s=outage_s)
    return rep.counts() | {"held_reasons": rep.held_reasons}


@recorded("ccee_send")
def run() -> dict[str, Any]:
    yesterday = _today() - timedelta(days=1)
    with driver.connect() as conn:
        first = driver.run_scalar(conn, "ccee_open_from", now=None)
    queued = sender.enqueue(None, min(first, yesterday), yesterday)
    return queued | send_due()
