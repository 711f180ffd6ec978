"""Alarms (seed 003 §5.9, rules a-m), their thresholds, webhook outbox and 15-minute monitoring.

Why these tables:
- alarm_rule is the catalogue of rules a-m (what each compares, in which unit); it is data so the
  sheet and the CLI describe rules from one place.
- alarm_threshold holds every programmed value as data: per meter, per UC group (alarm_group /
  alarm_group_member) or as a default (both null), each with a validity range. The most specific
  row valid at the time of the data wins (meter > group > default). params carries the variant
  of a rule where the public record leaves one open (unbalance definition, demand basis).
- alarm is the permanent sheet: one row per episode of a rule on a meter. A partial unique index
  allows one active (open or acknowledged) alarm per rule and meter, so a repeat while active
  updates it. uc_id and distributor_id are copied onto each alarm so an analyst's scope can
  filter the sheet (row-level security is added with the API's accounts and scopes).
- alarm_notification is an outbox: every transition writes one row in the same transaction;
  the webhook sender delivers it (retry + backoff) and logs each try in alarm_delivery.
- meter_status_report receives what a read says about the meter's health (battery octet 147 of
  0x20/0x21, raw: its polarity is unverified) so rule l can be evaluated when it arrives.
- meter_monitoring: points put under 15-minute reading until an end time (§5.9 b).
Evaluation happens in triggers on the tables the data lands in (db/functions/6xx_*.sql).
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
create table smf.alarm_rule (
    code char(1) primary key check (code between 'a' and 'm'),
    name text not null,
    quantity text not null,
    unit text not null,
    description text not null
);
comment on table smf.alarm_rule is 'Catalogue of the alarm rules a-m of seed 003 §5.9: what each compares and in which unit.';
insert into smf.alarm_rule values
 ('a', 'minimum voltage', 'voltage', 'V', 'a phase voltage (0x14 or interval mean) below the programmed value'),
 ('b', 'maximum voltage', 'voltage', 'V', 'a phase voltage (0x14 or interval mean) above the programmed value'),
 ('c', 'voltage unbalance', 'voltage', '%', 'voltage unbalance above the programmed value (params.method: nema = max deviation from the mean / mean, ieee = (max - min) / mean)'),
 ('d', 'negative active power', 'power', 'kW', 'active power of any phase negative (0x14)'),
 ('e', 'reverse active power', 'power', 'kW', 'active power of any phase below the programmed (negative) value (0x14)'),
 ('f', 'minimum current', 'current', 'A', 'a phase current below the programmed value'),
 ('g', 'maximum current', 'current', 'A', 'a phase current above the programmed value'),
 ('h', 'current unbalance', 'current', '%', 'current unbalance above the programmed value (params.method as rule c)'),
 ('i', 'serial number changed', 'serial', '', 'the meter answers with a serial other than the registered one (meter replaced)'),
 ('j', 'clock deviation', 'clock', 's', 'meter clock ahead or behind by more than the programmed value'),
 ('k', 'contracted demand overrun', 'demand', 'kW', '15-minute demand above the programmed value (params.basis: contracted_pct = % of the contracted demand of the posto, kw = absolute)'),
 ('l', 'battery bad', 'battery', 'code', 'the meter reports its battery state with the programmed "bad" code (octet 147; polarity unverified)'),
 ('m', 'daily connectivity', 'connectivity', '%', 'share of successful sessions in the local day below the programmed value');

create table smf.alarm_group (
    id int generated always as identity primary key,
    name text not null unique check (name <> ''),
    distributor_id int references smf.distributor on delete cascade,
    created_at timestamptz not null default now()
);
comment on table smf.alarm_group is 'Groups of consumer units sharing alarm thresholds (an analyst''s universe of consumers).';

create table smf.alarm_group_member (
    consumer_unit_id int primary key references smf.consumer_unit on delete cascade,
    group_id int not null references smf.alarm_group on delete cascade
);
comment on table smf.alarm_group_member is 'The alarm group of a consumer unit (at most one).';

create table smf.alarm_threshold (
    id int generated always as identity primary key,
    rule_code char(1) not null references smf.alarm_rule,
    meter_id int references smf.meter on delete cascade,
    group_id int references smf.alarm_group on delete cascade,
    valid_during tstzrange not null default tstzrange(null, null) check (not isempty(valid_during)),
    value numeric not null,
    params jsonb not null default '{}',
    enabled boolean not null default true,
    created_by text not null default current_user,
    created_at timestamptz not null default now(),
    check (meter_id is null or group_id is null),
    exclude using gist (rule_code with =, (coalesce(meter_id, 0)) with =,
                        (coalesce(group_id, 0)) with =, valid_during with &&)
);
comment on table smf.alarm_threshold is 'Programmed alarm values, in the unit of their rule: per meter, per alarm group, or default (both null), each valid over a time range. The most specific valid row wins; enabled = false switches a rule off at that level.';

create table smf.alarm (
    id bigint generated always as identity primary key,
    rule_code char(1) not null references smf.alarm_rule,
    meter_id int not null references smf.meter on delete cascade,
    uc_id int references smf.consumer_unit on delete set null,
    distributor_id int references smf.distributor on delete set null,
    state text not null default 'open' check (state in ('open', 'acknowledged', 'cleared', 'closed')),
    opened_at timestamptz not null,
    last_at timestamptz not null,
    occurrences int not null default 1 check (occurrences >= 1),
    value numeric,
    value_text text,
    threshold numeric,
    phase text,
    source text not null check (source in ('instantaneous', 'interval', 'poll', 'event', 'status')),
    message text not null,
    detail jsonb not null default '{}',
    acknowledged_by text,
    acknowledged_at timestamptz,
    ack_comment text,
    cleared_at timestamptz,
    closed_by text,
    closed_at timestamptz,
    close_comment text,
    updated_at timestamptz not null default now(),
    check ((acknowledged_at is null) = (acknowledged_by is null)),
    check (state <> 'acknowledged' or acknowledged_at is not null),
    check (state <> 'closed' or closed_at is not null)
);
create unique index alarm_one_active on smf.alarm (rule_code, meter_id)
    where state in ('open', 'acknowledged');
create index alarm_active_by_meter on smf.alarm (meter_id) where state in ('open', 'acknowledged');
create index on smf.alarm (state, opened_at desc);
create index on smf.alarm (uc_id);
create index on smf.alarm (distributor_id);
comment on table smf.alarm is 'The alarm sheet: one row per episode of a rule on a meter. open -> acknowledged (explicit command only) -> cleared (condition ended) or closed (by command). A repeat while open or acknowledged updates the row. Times are those of the data (UTC).';

create table smf.alarm_notification (
    id bigint generated always as identity primary key,
    alarm_id bigint not null references smf.alarm on delete cascade,
    event text not null check (event in ('opened', 'acknowledged', 'cleared', 'closed')),
    created_at timestamptz not null default now(),
    delivered_at timestamptz,
    attempts int not null default 0,
    next_try_at timestamptz not null default now(),
    gave_up_at timestamptz
);
create index alarm_notification_pending on smf.alarm_notification (next_try_at)
    where delivered_at is null and gave_up_at is null;
comment on table smf.alarm_notification is 'Outbox of alarm transitions for the webhook: written in the transaction of the transition, delivered later with retry and backoff.';

create table smf.alarm_delivery (
    notification_id bigint not null references smf.alarm_notification on delete cascade,
    attempt int not null,
    at timestamptz not null default now(),
    url text not null,
    status_code int,
    error text,
    duration_ms int not null,
    primary key (notification_id, attempt)
);
comment on table smf.alarm_delivery is 'Each try to deliver a notification: target (without credentials), HTTP status or error, duration.';

create table smf.meter_status_report (
    meter_id int not null references smf.meter on delete cascade,
    at timestamptz not null,
    battery_raw smallint,
    source text not null default 'poll',
    primary key (meter_id, at)
);
comment on table smf.meter_status_report is 'Health fields a read reports about the meter: battery octet 147 of 0x20/0x21 as read (raw; polarity unverified, rule l''s threshold says which code means bad).';

create table smf.meter_monitoring (
    id int generated always as identity primary key,
    meter_id int not null references smf.meter on delete cascade,
    starts_at timestamptz not null default now(),
    ends_at timestamptz not null,
    requested_by text not null default current_user,
    reason text,
    created_at timestamptz not null default now(),
    check (ends_at > starts_at)
);
create index on smf.meter_monitoring (ends_at);
comment on table smf.meter_monitoring is 'Points under 15-minute monitoring (seed 003 §5.9 b): the poller reads the meter every 15 minutes from starts_at until ends_at.';

insert into smf.alarm_threshold (rule_code, value, params) values
 ('c', 3.0, '{"method": "nema"}'),
 ('d', 0, '{}'),
 ('i', 0, '{}'),
 ('h', 20.0, '{"method": "nema"}'),
 ('j', 300, '{}'),
 ('k', 105, '{"basis": "contracted_pct"}'),
 ('l', 1, '{}'),
 ('m', 80, '{}');
insert into smf.setting values
 ('instantaneous_power_unit', 'W', 'Unit of the power fields of 0x14 (W or kW): the real frame reads P3 5517 at 129 V x 14.7 A, i.e. W [L].')
 on conflict (key) do nothing;
""")


# smf_read holds one view per readable table (db/functions/510_scope_policies.sql, re-created at
# head); they depend on this revision's tables, so a downgrade drops them first.
DROP_READ_VIEWS = """
do $$
declare v text;
begin
    for v in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'smf_read' and c.relkind = 'v' loop
        execute format('drop view smf_read.%I', v);
    end loop;
end $$;
"""


def downgrade() -> None:
    op.execute(DROP_READ_VIEWS)
    op.execute("""
drop view if exists smf.fleet_poll_health;
drop view if exists smf.meter_connectivity_daily;
drop view if exists smf.uc_directory;
drop view if exists smf.alarm_coverage;
drop view if exists smf.alarm_sheet;
drop trigger if exists alarm_eval on smf.instantaneous_reading;
drop trigger if exists alarm_eval on smf.poll_attempt;
drop trigger if exists alarm_eval on smf.meter_event;
drop trigger if exists alarm_eval on smf.ingest_batch;
delete from smf.setting where key = 'instantaneous_power_unit';
drop table smf.meter_monitoring;
drop table smf.meter_status_report;
drop table smf.alarm_delivery;
drop table smf.alarm_notification;
drop table smf.alarm;
drop table smf.alarm_threshold;
drop table smf.alarm_group_member;
drop table smf.alarm_group;
drop table smf.alarm_rule;
""")
