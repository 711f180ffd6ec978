"""GET /api/v1/units/{uc_code}/rules/{rule}?month=YYYY-MM: the rule functions as they are.

billing (summary), figures (the precomputed figures of the UC-month: energy, completeness, MUSD
verdict, billing, demand, UFER/DMCR and MUSD rows, with `fresh` and `computed_at`), data-quality
(the days the bill rests on that are incomplete or under an open VEE finding), demand, musd
(check with verdict), musd-hours, ufer-dmcr, ufer-dmcr-hourly, exposure, exposure-hourly,
lastro. Units as the SQL functions say (kWh, kW, R$).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from litestar import get
from litestar.params import FromQuery, QueryParameter

from api.controllers.registry import unit_of
from api.deps import Db
from api.errors import ApiError
from api.params import Month, Name, UcCode
from api.schemas import RULES, RuleResult, exact_row

_QUERY = {
    "billing": "rules_billing_summary",
    "data-quality": "rules_billing_data_quality",
    "figures": "figures_of",
    "demand": "rules_measured_demand",
    "musd": "rules_musd_check",
    "musd-hours": "rules_musd_check_hours",
    "ufer-dmcr": "rules_ufer_dmcr",
    "ufer-dmcr-hourly": "rules_ufer_dmcr_hourly",
    "exposure": "rules_exposure_month",
    "exposure-hourly": "rules_exposure_hourly",
    "lastro": "rules_lastro_penalty",
}


def parse_month(month: str) -> date:
    try:
        y, m = month.split("-")
        return date(int(y), int(m), 1)
    except ValueError:
        raise ApiError(422, f"month {month!r} is not YYYY-MM", field="month") from None


@get(
    "/api/v1/units/{uc_code:str}/rules/{rule:str}",
    tags=["rules"],
    summary="A rule for a UC and month",
)
async def unit_rule(
    db: Db,
    uc_code: UcCode,
    rule: Name,
    month: Month,
    with_losses: FromQuery[bool] = True,
    factor: Annotated[
        float | None,
        QueryParameter(gt=0, le=10, description="MUSD factor (default: the rule parameter)"),
    ] = None,
) -> RuleResult:
    if rule not in _QUERY:
        raise ApiError(404, f"no rule {rule!r}; rules: {', '.join(_QUERY)}")
    await unit_of(db, uc_code)  # 404 outside the scope
    params: dict[str, Any] = {"uc_code": uc_code, "month": parse_month(month)}
    if not rule.startswith(("exposure", "lastro", "data-quality", "figures")):
        params["with_losses"] = with_losses
    if rule.startswith("musd"):
        params["factor"] = None if factor is None else Decimal(str(factor))
    rows = await db.rows(_QUERY[rule], **params)
    result, row = RULES[rule]
    out = result(uc_code=uc_code, month=month, rows=[row(**exact_row(r)) for r in rows])  # type: ignore[call-arg]
    return out  # type: ignore[return-value]
