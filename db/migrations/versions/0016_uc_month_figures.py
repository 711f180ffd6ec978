"""Precomputed figures of each UC-month, kept fresh by the writes that change them.

Why: the client portal's home page, `smf report` and the API recomputed several billing functions
on every view (about 170 ms of work a page, 26-35 ms per UC-month of billing alone), and thousands
of customers open the same month's figures. smf.uc_month_figures keeps, per UC and local month,
what those readers show: energy per posto, demand per demand posto, UFER/DMCR, the MUSD verdict,
completeness and the bill simulation (the billing summary's rows), with a freshness stamp.

How it stays true (db/functions/180_uc_figures.sql):
- smf.rollup_refresh, the one function every write of interval data goes through (the ingest,
  VEE estimates and edits, re-decodes, Parquet re-imports), marks the UC-months it touched stale;
  smf.ingest_finish refreshes up to uc_figures_sync_max stale rows in the same transaction, so a
  poll, an edit or an estimate commits with its figures; a bulk load leaves the rest to the
  uc_figures job (every minute) and to the readers;
- a change of a UC's registration, loss factor, tariffs, posto schedule, holidays or rule
  parameters marks the rows it can change stale (statement triggers);
- readers (smf.uc_figures) never serve a stale row: they compute it live instead.
Sealing moves values between tiers without changing them, so it leaves the rows fresh.
Settings: uc_figures_sync_max (50).
"""

from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
create table smf.uc_month_figures (
    consumer_unit_id int not null references smf.consumer_unit on delete cascade,
    month date not null check (month = date_trunc('month', month)),
    stale boolean not null default true,
    computed_at timestamptz,
    energy_kwh numeric,
    completeness_pct numeric,
    musd_verdict text,
    billing jsonb,
    demand jsonb,
    ufer_dmcr jsonb,
    musd jsonb,
    primary key (consumer_unit_id, month),
    check (stale or computed_at is not null)
);
create index on smf.uc_month_figures (month) where stale;
comment on table smf.uc_month_figures is 'Per UC and local month (first day): the figures the portal, smf report and the API show (loss-adjusted series): total energy (kWh), completeness (%), MUSD verdict, and as JSON the billing summary rows (R$), the demand rows (kW), the UFER/DMCR rows (kWh, kW) and the MUSD check; computed_at is the freshness stamp; a stale row is never served (smf.uc_figures computes it live).';
insert into smf.setting values
    ('uc_figures_sync_max', '50', 'Precomputed UC-month figures: how many stale rows a write refreshes in its own transaction (the uc_figures job and the readers handle the rest).')
on conflict (key) do nothing;
"""
    )


def downgrade() -> None:
    op.execute(
        """
delete from smf.setting where key = 'uc_figures_sync_max';
drop view if exists smf_read.uc_month_figures;  -- the reader copy db/functions/999 made of it
drop table smf.uc_month_figures;
"""
    )
