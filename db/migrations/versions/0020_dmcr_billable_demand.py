"""Billing: the reactive demand excess is billed over the billable demand, not the contracted one.

Why: FDRE(p) = [max_T(PAM_T x fR / fT) - PAF(p)] x VR_DRE (REN 1000/2021; REN 414 art. 96 before
it), where PAF(p) is the billable demand of the posto: the larger of the contracted and the
measured demand. The excess used to be DMCR - contracted demand, which bills a UC whose measured
demand is above its contracted demand for kilowatts it already pays as demand (contracted 400 kW,
measured 450 kW, DMCR 480 kW: 30 kW of excess, not 80). The rule now lives in
smf.dmcr_excess_kw(dmcr, measured, contracted) and smf.billable_demand_kw(measured, contracted)
(db/functions/125_cycle.sql); the old smf.demand_excess_kw(dmcr, contracted), which encoded the
wrong reference, is dropped so that no analyst query keeps using it.

Also: bills and reports flag the data they rest on (smf.billing_data_quality, 165_billing_quality.sql):
days below a completeness threshold and days an open VEE finding touches. The threshold is the
setting 'billing_min_completeness_pct' (default 99 %).
"""

from alembic import op

revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("drop function if exists smf.demand_excess_kw(numeric, numeric)")
    op.execute(
        "insert into smf.setting (key, value, description) values ('billing_min_completeness_pct',"
        " '99', 'Bills and reports flag a day or a month whose completeness (measured + adjusted +"
        " estimated intervals of the main meter, %) is below this.') on conflict (key) do nothing"
    )


def downgrade() -> None:
    op.execute("delete from smf.setting where key = 'billing_min_completeness_pct'")
    op.execute(
        "create function smf.demand_excess_kw(p_dmcr numeric, p_contracted numeric) returns numeric"
        " language sql immutable parallel safe set search_path = pg_catalog as"
        " $$ select greatest(p_dmcr - p_contracted, 0) $$"
    )
