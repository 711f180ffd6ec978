"""DLMS/COSEM meters, and automatic clock correction for every protocol (issue 23).

Why:
* The tender asks for meters that speak DLMS/COSEM (IEC 62056) beside NBR 14522. A DLMS meter
  needs more than a transport URL: client and server addresses, an authentication mechanism and
  its keys, the load-profile OBIS, and what its data decided (cumulative or interval profile,
  energy unit, capture objects). ``smf.dlms_meter`` holds that, one row per meter.
* The keys (LLS password, HLS-GMAC authentication and block-cipher keys) are secrets: they live
  in schema ``smf_secret`` (no role but the owner may read it; the API, smf_read and Grafana never
  see it), and only as AES-GCM ciphertext under a key kept outside the database
  (``SMF_SECRET_KEY_FILE``). The HLS frame counter must only grow, so it is stored too.
* OBIS code -> channel is data (``smf.dlms_obis_channel``), as is the meaning of the profile
  status bits (``smf.dlms_status_bit``, IDIS "AMR profile status" by default): a meter with
  another convention gets rows, not code.
* Clock correction becomes a per-meter policy (``smf.meter_clock_policy``, defaults in
  ``smf.setting``) and every correction, deferral and refusal is logged with the meter's time
  before and after (``smf.clock_correction``). ``smf.poll_attempt.clock_drift_after_s`` is the
  drift left after a session's correction: alarm j judges what is left, not what was fixed.
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

EVENTS_OLD = (
    "'clock_corrected', 'clock_drift_large', 'serial_changed', 'plausibility_contradiction', "
    "'gap', 'mm_layout_decided', 'register_unit_decided', 'interval_mismatch', 'redecoded'"
)
EVENTS_NEW = EVENTS_OLD + (
    ", 'clock_correction_deferred', 'clock_operator_set', 'profile_kind_decided', "
    "'energy_unit_decided', 'unknown_obis', 'meter_log', 'profile_status'"
)
PROTOCOLS_OLD = "'nbr14522', 'nbr14522_wrapper', 'nbr14522_addressed', 'import_only'"
PROTOCOLS_NEW = PROTOCOLS_OLD + ", 'dlms'"

UPGRADE = f"""
alter table smf.meter drop constraint meter_protocol_check;
alter table smf.meter add constraint meter_protocol_check check (protocol in ({PROTOCOLS_NEW}));
alter table smf.meter_event drop constraint meter_event_kind_check;
alter table smf.meter_event add constraint meter_event_kind_check check (kind in ({EVENTS_NEW}));
alter table smf.poll_attempt add column clock_drift_after_s numeric(10,1);

create table smf.dlms_meter (
    meter_id int primary key references smf.meter (id),
    client_sap smallint not null default 16 check (client_sap between 1 and 127),
    server_logical smallint not null default 1 check (server_logical between 0 and 16383),
    server_physical smallint check (server_physical between 0 and 16383),
    auth text not null default 'none' check (auth in ('none', 'lls', 'hls_gmac')),
    profile_obis text not null default '1.0.99.1.0.255'
        check (profile_obis ~ '^[0-9]{{1,3}}(\\.[0-9]{{1,3}}){{5}}$'),
    status_scheme text not null default 'idis',
    profile_kind text not null default 'undetermined'
        check (profile_kind in ('undetermined', 'interval', 'cumulative')),
    energy_unit text not null default 'undetermined'
        check (energy_unit in ('undetermined', 'attribute3', 'wh', 'kwh')),
    capture_objects jsonb,
    decided_at timestamptz,
    updated_at timestamptz not null default now()
);
comment on table smf.dlms_meter is
    'DLMS/COSEM settings and decisions per meter (keys are in smf_secret.dlms_key, encrypted)';

create schema smf_secret;
revoke all on schema smf_secret from public;
create table smf_secret.dlms_key (
    meter_id int primary key references smf.meter (id),
    -- AES-256-GCM under the key of SMF_SECRET_KEY_FILE: nonce (12) || ciphertext || tag (16)
    secret bytea not null,
    key_id text not null,
    client_system_title bytea check (octet_length(client_system_title) = 8),
    invocation_counter bigint not null default 0 check (invocation_counter >= 0),
    updated_at timestamptz not null default now()
);

create table smf.dlms_obis_channel (
    obis text primary key check (obis ~ '^[0-9]{{1,3}}(\\.[0-9]{{1,3}}){{5}}$'),
    channel text not null check (channel in ('active_fwd_kwh', 'active_rev_kwh',
        'reactive_ind_fwd_kvarh', 'reactive_ind_rev_kvarh', 'reactive_cap_fwd_kvarh',
        'reactive_cap_rev_kvarh', 'voltage_a_v', 'voltage_b_v', 'voltage_c_v', 'current_a_a',
        'current_b_a', 'current_c_a')),
    kind text not null check (kind in ('interval', 'cumulative', 'mean')),
    description text not null
);
insert into smf.dlms_obis_channel (obis, channel, kind, description) values
 ('1.0.1.29.0.255', 'active_fwd_kwh', 'interval', '+A, energy of the recording period (D=29)'),
 ('1.0.2.29.0.255', 'active_rev_kwh', 'interval', '-A, energy of the recording period'),
 ('1.0.5.29.0.255', 'reactive_ind_fwd_kvarh', 'interval', 'Q1 reactive (import, inductive)'),
 ('1.0.6.29.0.255', 'reactive_cap_rev_kvarh', 'interval', 'Q2 reactive (export, capacitive)'),
 ('1.0.7.29.0.255', 'reactive_ind_rev_kvarh', 'interval', 'Q3 reactive (export, inductive)'),
 ('1.0.8.29.0.255', 'reactive_cap_fwd_kvarh', 'interval', 'Q4 reactive (import, capacitive)'),
 ('1.0.1.8.0.255', 'active_fwd_kwh', 'cumulative', '+A register (time integral 1, D=8)'),
 ('1.0.2.8.0.255', 'active_rev_kwh', 'cumulative', '-A register'),
 ('1.0.5.8.0.255', 'reactive_ind_fwd_kvarh', 'cumulative', 'Q1 register'),
 ('1.0.6.8.0.255', 'reactive_cap_rev_kvarh', 'cumulative', 'Q2 register'),
 ('1.0.7.8.0.255', 'reactive_ind_rev_kvarh', 'cumulative', 'Q3 register'),
 ('1.0.8.8.0.255', 'reactive_cap_fwd_kvarh', 'cumulative', 'Q4 register'),
 ('1.0.32.27.0.255', 'voltage_a_v', 'mean', 'L1 voltage, average of the period (D=27)'),
 ('1.0.52.27.0.255', 'voltage_b_v', 'mean', 'L2 voltage, average of the period'),
 ('1.0.72.27.0.255', 'voltage_c_v', 'mean', 'L3 voltage, average of the period'),
 ('1.0.31.27.0.255', 'current_a_a', 'mean', 'L1 current, average of the period'),
 ('1.0.51.27.0.255', 'current_b_a', 'mean', 'L2 current, average of the period'),
 ('1.0.71.27.0.255', 'current_c_a', 'mean', 'L3 current, average of the period');

create table smf.dlms_status_bit (
    scheme text not null,
    bit smallint not null check (bit between 0 and 7),
    meaning text not null check (meaning in ('critical_error', 'clock_invalid', 'invalid',
        'daylight_saving', 'clock_adjusted', 'power_failure', 'reserved')),
    quality smf.quality not null,
    primary key (scheme, bit)
);
insert into smf.dlms_status_bit (scheme, bit, meaning, quality) values
 ('idis', 0, 'critical_error', 'missing'),
 ('idis', 1, 'clock_invalid', 'adjusted'),
 ('idis', 2, 'invalid', 'missing'),
 ('idis', 3, 'daylight_saving', 'measured'),
 ('idis', 4, 'reserved', 'measured'),
 ('idis', 5, 'clock_adjusted', 'adjusted'),
 ('idis', 6, 'reserved', 'measured'),
 ('idis', 7, 'power_failure', 'adjusted');

create table smf.meter_clock_policy (
    meter_id int primary key references smf.meter (id),
    auto_correct boolean,
    correct_min_s int check (correct_min_s > 0),
    correct_max_s int check (correct_max_s > 0),
    boundary_guard_s int check (boundary_guard_s >= 0)
);
insert into smf.setting (key, value, description) values
 ('clock_auto_correct', 'on', 'Clock policy default: correct a meter clock automatically (on/off).'),
 ('clock_correct_min_s', '60', 'Clock policy default: drift (s) from which the poller corrects.'),
 ('clock_correct_max_s', '3600',
  'Clock policy default: drift (s) above which the poller leaves the clock alone (alarm j).'),
 ('clock_boundary_guard_s', '10',
  'Clock policy default: a correction keeps the meter this many s away from an interval boundary.')
on conflict (key) do nothing;

create table smf.clock_correction (
    id bigint generated always as identity primary key,
    meter_id int not null references smf.meter (id),
    at timestamptz not null,
    kind text not null check (kind in ('auto', 'operator')),
    outcome text not null check (outcome in ('corrected', 'partial', 'deferred', 'refused',
        'failed', 'checked')),
    method text,
    meter_before timestamptz,
    meter_after timestamptz,
    reference_time timestamptz not null,
    drift_before_s numeric(12,1),
    drift_after_s numeric(12,1),
    meter_interval_start timestamptz,
    reason text not null,
    by_whom text
);
create index clock_correction_meter_at on smf.clock_correction (meter_id, at desc);
create unique index clock_correction_once_per_interval on smf.clock_correction
    (meter_id, meter_interval_start) where kind = 'auto' and outcome in ('corrected', 'partial');
"""

DOWNGRADE = f"""
drop view if exists smf_read.clock_correction;
drop view if exists smf_read.meter_clock_policy;
drop view if exists smf_read.dlms_status_bit;
drop view if exists smf_read.dlms_obis_channel;
drop view if exists smf_read.dlms_meter;
drop table smf.clock_correction;
drop table smf.meter_clock_policy;
drop table smf.dlms_status_bit;
drop table smf.dlms_obis_channel;
drop table smf_secret.dlms_key;
drop schema smf_secret;
drop table smf.dlms_meter;
delete from smf.setting where key in ('clock_auto_correct', 'clock_correct_min_s',
    'clock_correct_max_s', 'clock_boundary_guard_s');
drop view if exists smf_read.poll_attempt;
alter table smf.poll_attempt drop column clock_drift_after_s;
do $$
begin
    -- the reader copy of poll_attempt, as smf.read_views_refresh() (510) makes it
    if to_regnamespace('smf_read') is not null
       and exists (select 1 from pg_roles where rolname = 'smf_api') then
        create view smf_read.poll_attempt with (security_barrier) as select * from smf.poll_attempt;
        alter view smf_read.poll_attempt owner to smf_api;
        grant select on smf_read.poll_attempt to smf_reader;
    end if;
end $$;
delete from smf.meter_event where kind not in ({EVENTS_OLD});
alter table smf.meter_event drop constraint meter_event_kind_check;
alter table smf.meter_event add constraint meter_event_kind_check check (kind in ({EVENTS_OLD}));
alter table smf.meter drop constraint meter_protocol_check;
alter table smf.meter add constraint meter_protocol_check check (protocol in ({PROTOCOLS_OLD}));
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
