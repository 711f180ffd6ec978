"""Job ccee_deadline (daily): from MS+5du of the previous month, a warning for every UC-month
that is not complete and accepted (smf.ccee_deadline_warnings); logged and counted in the run."""

from __future__ import annotations

import logging
from typing import Any

from db import driver
from jobs.runlog import recorded

log = logging.getLogger("smf.jobs")


@recorded("ccee_deadline")
def run() -> dict[str, Any]:
    with driver.connect() as conn:
        rows = driver.run(conn, "ccee_deadline_warnings", now=None)
    for r in rows:
        log.warning(
            "CCEE deadline %s for %s (UC %s, %s): %s of %s days accepted, %s held, %s missing, "
            "%s business days left",
            r["deadline"],
            f"{r['month']:%Y-%m}",
            r["uc_code"],
            r["distributor"],
            r["accepted"],
            r["days_due"],
            r["held"],
            r["missing"],
            r["business_days_left"],
        )
    return {"warnings": len(rows), "ucs": [r["uc_code"] for r in rows][:100]}
