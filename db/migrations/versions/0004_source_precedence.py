"""Source precedence and disagreements: which stored reading an incoming one may replace, as data.

Why these tables:
- smf.source_precedence ranks the reading sources. An incoming row replaces a stored one when its
  source ranks at least as high (the same source again is a correction: the later row wins).
  Defaults: manual
  over everything (a deliberate edit), then the meter read, then an import, then a backup meter,
  then an estimate; so a measured value is never overwritten by an estimate or a backup fill,
  real data replaces an estimate when it arrives, and a meter read wins over an import. Operators
  change a rank with an UPDATE; history keeps every superseded row either way.
- smf.reading_disagreement records every channel where a measured incoming value and a measured
  stored value of another source differ (a poll against an import, or the reverse), with both
  values, both sources and which one was kept, so an analyst can list them.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
create table smf.source_precedence (
    source smf.reading_source primary key,
    rank int not null,
    description text not null
);
comment on table smf.source_precedence is 'Rank of each reading source: an incoming row replaces a stored one of lower or equal rank (equal: the later row wins), never one of higher rank.';
insert into smf.source_precedence values
    ('manual', 50, 'A deliberate edit by an operator: applied over any stored value.'),
    ('meter', 40, 'Read from the billing meter by the poller.'),
    ('import', 30, 'Imported from a file (CSV or ABNT public format); a meter read wins over it.'),
    ('backup_meter', 20, 'Filled from the backup meter (VEE); never replaces a main-meter or imported value.'),
    ('estimate', 10, 'Estimated (VEE); replaced by real data when it arrives.');

create table smf.reading_disagreement (
    id bigint generated always as identity primary key,
    batch_id int not null,
    meter_id int not null,
    ts timestamptz not null,
    channel text not null,  -- stored column, e.g. active_fwd_wh
    stored_value bigint not null,
    stored_source smf.reading_source not null,
    stored_batch_id int not null,
    incoming_value bigint not null,
    incoming_source smf.reading_source not null,
    kept text not null check (kept in ('stored', 'incoming')),
    created_at timestamptz not null default now()
);
create index on smf.reading_disagreement (meter_id, ts);
comment on table smf.reading_disagreement is 'Measured values of one interval and channel that two sources gave differently (stored integer units: Wh, varh, mV, mA), and which one was kept.';
""")


def downgrade() -> None:
    op.execute("""
drop table smf.reading_disagreement;
drop table smf.source_precedence;
""")
