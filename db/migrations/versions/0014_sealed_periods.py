"""Storage: sealed meter-periods, the compact tier for closed data.

Why: one stored interval costs about 154 B as a row of smf.interval_reading, plus about 134 B of
15-minute and hourly rollups. A distributor with 40,000 meters at 5 minutes cannot keep five
years online at that size, and the Apache edition of TimescaleDB has no native compression. A
closed meter-period (default: a UTC week, older than the 62-day VEE/edit window) moves into ONE
row of smf.interval_sealed:

- every channel (12 quantities and the batch id) is frame-of-reference encoded: a base (the
  channel's minimum over the period) and per-slot offsets in the narrowest width that holds them
  all (1 byte as "char", 2 as smallint, 4 as integer); the offsets of the channels of one width
  are concatenated into v1 / v2 / v4 (channel k at pos[k], `slots` elements, NULL where the row
  had NULL or there was no row);
- qs: one byte per slot, 0 = no row, else 1 + 16 * quality index + source index;
- the arrays are TOASTed with lz4 (toast_tuple_target 128, so every row is compressed).

The 15-minute and hourly rollup rows of a sealed period are deleted: readers derive them from the
sealed row (db/functions/025_storage.sql). Daily and monthly rollups stay as rows (the CCEE
change detection fingerprints rollup_day). A hypertable by period start, 13-week chunks.

Settings: seal_after_days (62), seal_period_days (7), seal_batch_periods (200).
"""

from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
create table smf.interval_sealed (
    meter_id integer not null,
    period_start timestamptz not null,
    period_end timestamptz not null,
    interval_minutes smallint not null,
    slots integer not null,
    n_rows integer not null,
    width smallint[] not null,
    pos integer[] not null,
    base integer[] not null,
    v1 "char"[],
    v2 smallint[],
    v4 integer[],
    qs "char"[] not null,
    sealed_at timestamptz not null default now(),
    primary key (meter_id, period_start),
    check (period_end > period_start),
    check (cardinality(width) = 13 and cardinality(pos) = 13 and cardinality(base) = 13),
    check (cardinality(qs) = slots)
);
comment on table smf.interval_sealed is 'One row per meter and closed period (UTC [period_start, period_end)): the intervals of smf.interval_reading, frame-of-reference encoded per channel (base + offsets of 1, 2 or 4 bytes), a quality/source code per slot; read them through smf.intervals() or smf.interval_reading_all.';
select create_hypertable('smf.interval_sealed', by_range('period_start', interval '91 days'),
                         create_default_indexes => false);
alter table smf.interval_sealed set (toast_tuple_target = 128);
alter table smf.interval_sealed alter column v1 set compression lz4,
    alter column v2 set compression lz4, alter column v4 set compression lz4,
    alter column qs set compression lz4,
    -- the small per-channel metadata stays inline and uncompressed: readers use it per interval
    alter column width set storage plain, alter column pos set storage plain,
    alter column base set storage plain;
insert into smf.setting values
    ('seal_after_days', '62', 'Storage: a meter-period whose end is more than this many days old is sealed (moved from rows into one compact row of smf.interval_sealed); keep it at least the VEE/edit window.'),
    ('seal_period_days', '7', 'Storage: the length of a sealed period in days (1 to 28), aligned like time_bucket (weeks start on Monday 00:00 UTC). Periods sealed earlier keep their own length.'),
    ('seal_batch_periods', '200', 'Storage: meter-periods sealed per transaction by smf storage seal and the storage_seal job.');
"""
    )


def downgrade() -> None:
    op.execute(
        """
delete from smf.setting where key in ('seal_after_days', 'seal_period_days', 'seal_batch_periods');
-- the views db/functions makes over both tiers (025, 110, their smf_read copies) read this table
drop table smf.interval_sealed cascade;
"""
    )
