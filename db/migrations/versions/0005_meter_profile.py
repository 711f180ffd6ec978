"""Meter profile (mass-memory layout, register unit), raw response blocks, outcome fixes.

Why:
- The mass-memory word layout (nibble placement x binary/BCD) and the unit of the energy
  registers are not settled by the public record and differ between meter models
  (poller/protocol/codec/mmlayout.py, poller/detect.py). Each meter carries both, 'undetermined'
  until its own data decide; the decision and its evidence are meter events.
- raw_read keeps the response bodies of every successful read (zlib-compressed concatenation of
  256-octet bodies, the order they arrived), so that a layout decided late or changed by an
  operator re-decodes stored frames instead of re-reading the meter. Kept for
  smf.setting 'raw_block_retention_days' (default 90), pruned by smf.raw_read_prune().
- A read whose meter integrates over another interval than the registered one is quarantined:
  nothing stored, outcome 'interval_mismatch', an event, and `smf meter set --interval` adopts.
- poll_attempt.outcome gains 'busy_elsewhere' (another poller holds the meter's lease) and
  'interval_mismatch'; the Python Outcome enum (poller/outcome.py) is tested equal to this list.
- meter.retired_at: a meter with readings is retired (disabled, kept), never deleted.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OUTCOMES_OLD = (
    "'ok', 'link_error', 'meter_busy', 'meter_refused', 'wrong_meter', 'not_implemented', "
    "'store_failed'"
)
EVENTS_OLD = (
    "'clock_corrected', 'clock_drift_large', 'serial_changed', 'plausibility_contradiction', 'gap'"
)


def upgrade() -> None:
    op.execute(f"""
alter table smf.meter
    add column mm_layout text not null default 'undetermined'
        check (mm_layout in ('undetermined', 'hi-first/bin', 'hi-first/bcd', 'lo-first/bin',
                             'lo-first/bcd')),
    add column register_unit text not null default 'undetermined'
        check (register_unit in ('undetermined', 'pulses', 'kwh_x1', 'kwh_x10', 'kwh_x100',
                                 'kwh_x1000', 'kwh_x10000')),
    add column retired_at timestamptz;
comment on column smf.meter.mm_layout is 'Mass-memory word layout: which nibble of the shared middle octet belongs to the first word (hi-first / lo-first) and binary or BCD words; undetermined until the meter''s data decide (poller/detect.py).';
comment on column smf.meter.register_unit is 'Unit of the 0x23/0x24 energy registers: pulses or kWh (kvarh) x N; undetermined until the meter''s data decide.';
comment on column smf.meter.retired_at is 'When the meter was retired (it is then disabled; a meter with readings is never deleted).';

alter table smf.poll_attempt drop constraint poll_attempt_outcome_check;
alter table smf.poll_attempt add constraint poll_attempt_outcome_check
    check (outcome in ({OUTCOMES_OLD}, 'busy_elsewhere', 'interval_mismatch'));

alter table smf.meter_event drop constraint meter_event_kind_check;
alter table smf.meter_event add constraint meter_event_kind_check
    check (kind in ({EVENTS_OLD}, 'mm_layout_decided', 'register_unit_decided',
                    'interval_mismatch', 'redecoded'));

create table smf.raw_read (
    meter_id int not null,
    read_at timestamptz not null,
    layout text not null,
    n_blocks int not null check (n_blocks >= 0),
    blocks bytea not null,
    primary key (meter_id, read_at)
);
create index on smf.raw_read (read_at);
comment on table smf.raw_read is 'Raw response bodies of each successful read (read_at = the session start, as in poll_attempt): zlib-compressed concatenation of 256-octet bodies in arrival order, and the mass-memory layout they were decoded with.';

insert into smf.setting values
    ('raw_block_retention_days', '90', 'Days the raw response blocks of meter reads are kept (smf.raw_read).')
on conflict (key) do nothing;
""")


def downgrade() -> None:
    op.execute(f"""
delete from smf.setting where key = 'raw_block_retention_days';
drop table smf.raw_read;
delete from smf.meter_event where kind not in ({EVENTS_OLD});
alter table smf.meter_event drop constraint meter_event_kind_check;
alter table smf.meter_event add constraint meter_event_kind_check check (kind in ({EVENTS_OLD}));
delete from smf.poll_attempt where outcome not in ({OUTCOMES_OLD});
alter table smf.poll_attempt drop constraint poll_attempt_outcome_check;
alter table smf.poll_attempt add constraint poll_attempt_outcome_check
    check (outcome in ({OUTCOMES_OLD}));
alter table smf.meter drop column retired_at, drop column register_unit, drop column mm_layout;
""")
