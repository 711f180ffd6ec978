"""Metering logs: what the poller reads besides intervals, and how every attempt went.

Why these tables:
- poll_attempt is the connectivity log: one row per session with a meter (committed even when the
  read fails), so availability, bytes and error classes can be reported per meter and per day.
  It grows with every poll (40k meters x 96 polls a day): a hypertable on started_at.
- register_reading (0x23/0x24) and instantaneous_reading (0x14) are snapshots per read and grow
  like the attempts: hypertables. Registers are stored raw (BCD integers as read) because their
  decimal position is unverified (poller/protocol/codec/registers.py); the previous-period
  snapshot is keyed by the demand reset that froze it, so re-reading it stores nothing new.
- meter_outage and meter_alteration hold every record a meter ever reported, deduplicated by
  their natural key: meters only keep the last 20 outages / 25 alterations, the platform keeps all.
- meter_event holds what needs attention (clock corrected or drifting, serial changed, a
  plausibility contradiction, gaps); dedupe_key stops a persisting condition from logging one
  event per poll.
- meter_session_lease makes "never two sessions on one meter" hold across processes and
  machines: a poller takes a lease row before it opens a session and drops it after; a lease
  left by a crashed poller expires.
- The hypertables have no foreign keys: creating a chunk of a hypertable with a foreign key
  locks the referenced table (ShareRowExclusive), which deadlocked concurrent stores that had
  already written ingest_batch. Meters with readings cannot be deleted (a trigger on smf.meter).
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
create table smf.poll_attempt (
    meter_id int not null,
    started_at timestamptz not null,
    duration_ms int not null check (duration_ms >= 0),
    trigger text not null check (trigger in ('schedule', 'on_demand', 'retry')),
    attempt smallint not null default 1 check (attempt >= 1),
    bytes_in bigint not null default 0 check (bytes_in >= 0),
    bytes_out bigint not null default 0 check (bytes_out >= 0),
    outcome text not null check (outcome in ('ok', 'link_error', 'meter_busy', 'meter_refused',
        'wrong_meter', 'not_implemented', 'store_failed')),
    error_class text,
    error_message text,
    clock_drift_s numeric(10,1),
    intervals_read int not null default 0,
    intervals_stored int not null default 0,
    batch_id int,
    primary key (meter_id, started_at),
    check ((outcome = 'ok') = (error_class is null))
);
comment on table smf.poll_attempt is 'Connectivity log: one row per session with a meter (its outcome, error class and message, bytes, duration, clock drift in seconds, intervals read and newly stored).';
select create_hypertable('smf.poll_attempt', by_range('started_at', interval '7 days'));
create index on smf.poll_attempt (started_at);

create table smf.register_reading (
    meter_id int not null,
    at timestamptz not null,
    period text not null check (period in ('current', 'previous')),
    channel smallint not null check (channel between 1 and 3),
    registers bigint[] not null check (cardinality(registers) = 7),
    demands bigint[] not null check (cardinality(demands) = 7),
    read_at timestamptz not null default now(),
    primary key (meter_id, at, period, channel)
);
comment on table smf.register_reading is 'Registers 0x23 (current period, at = meter clock of the read, UTC) and 0x24 (previous period, at = the demand reset that closed it), raw as read. registers: total, ponta, ufer_ponta, fora_ponta, ufer_fora_ponta, reservado, ufer_reservado; demands: last_interval, max_ponta, dmcr_ponta, max_fora_ponta, dmcr_fora_ponta, max_reservado, dmcr_reservado.';
select create_hypertable('smf.register_reading', by_range('at', interval '30 days'));

create table smf.instantaneous_reading (
    meter_id int not null,
    at timestamptz not null,
    "values" jsonb not null,
    reactive_characteristic text,
    primary key (meter_id, at)
);
comment on table smf.instantaneous_reading is 'Instantaneous values 0x14 at the meter clock (UTC): V, A, W, var, cos phi, frequency, THD ... as read (units of power fields depend on the meter).';
select create_hypertable('smf.instantaneous_reading', by_range('at', interval '30 days'));

create table smf.meter_session_lease (
    meter_id int primary key references smf.meter on delete cascade,
    holder text not null,
    expires_at timestamptz not null
);
comment on table smf.meter_session_lease is 'Who is talking to a meter now (host:pid of a poller) and until when the lease holds if that poller dies.';

create table smf.meter_outage (
    meter_id int not null references smf.meter on delete cascade,
    start_at timestamptz not null,
    end_at timestamptz,
    first_seen_at timestamptz not null default now(),
    primary key (meter_id, start_at),
    check (end_at is null or end_at >= start_at)
);
comment on table smf.meter_outage is 'Supply outages reported by meters (0x25), UTC; every record ever reported, once. end_at null: still open when read.';

create table smf.meter_alteration (
    meter_id int not null references smf.meter on delete cascade,
    at timestamptz not null,
    command_code smallint not null,
    reader_serial text not null,
    first_seen_at timestamptz not null default now(),
    primary key (meter_id, at, command_code)
);
comment on table smf.meter_alteration is 'Alteration log of meters (0x28): which command (0x29 date, 0x30 time, 0x20 demand reset ...) changed the meter, when (UTC) and from which reader.';

create table smf.meter_event (
    id bigint generated always as identity primary key,
    meter_id int not null references smf.meter on delete cascade,
    at timestamptz not null default now(),
    kind text not null check (kind in ('clock_corrected', 'clock_drift_large', 'serial_changed',
        'plausibility_contradiction', 'gap')),
    message text not null,
    detail jsonb not null default '{}',
    dedupe_key text,
    unique (meter_id, kind, dedupe_key)
);
create index on smf.meter_event (meter_id, at);
comment on table smf.meter_event is 'Conditions found while polling that need attention. Rows with the same (meter, kind, dedupe_key) are logged once.';
""")


def downgrade() -> None:
    op.execute("drop table if exists smf.meter_session_lease")
    op.execute("""
drop table smf.meter_event;
drop table smf.meter_alteration;
drop table smf.meter_outage;
drop table smf.instantaneous_reading;
drop table smf.register_reading;
drop table smf.poll_attempt;
""")
