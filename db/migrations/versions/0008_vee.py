"""Validation, estimation and editing (VEE): findings, rule parameters, estimation runs with
per-interval provenance, manual edits, virtual meters, and the class of a consumer unit.

Why these tables:
- vee_finding holds what a validation rule found, one row per (meter, rule, interval range):
  re-running a rule updates the row (last_seen_at) instead of adding one. Status open ->
  accepted (an analyst says the data is right) or resolved (fixed by an estimate, an edit, or no
  longer found by a re-run), with who and when.
- vee_parameter: every threshold of the rules and the estimation is data, per meter, per
  distributor (the "group") or as the default (both null), with a validity period. The lookup
  takes the most specific row valid on the day. The defaults are inserted here and documented
  in the description column.
- vee_estimation_run records method set, parameters, range, who and when of an estimation; each
  interval it wrote has a vee_provenance row (method, inputs: the backup meter, the days averaged,
  the register delta), so "why is this value what it is?" is one query (smf.vee_explain).
- vee_manual_edit keeps who, when, why, the operation and the old values of every manual edit;
  the edited rows also land in interval_reading_history through the ingest path.
- virtual_meter: a formula over meters' channels (parsed outside the database into a JSON tree,
  compiled to SQL by smf.virtual_compile), with validity dates (no overlapping versions).
- consumer_unit_class: free or captive market and whether the UC generates; absent = free, no
  generation. Kept beside consumer_unit so the registry table stays as it is.
- The hypertables get no foreign keys (see 0003); these tables are small and may have them,
  except provenance, which grows with estimates and has none.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
create table smf.vee_parameter (
    id int generated always as identity primary key,
    key text not null,
    meter_id int references smf.meter on delete cascade,
    distributor_id int references smf.distributor on delete cascade,
    valid_during daterange not null default '[2000-01-01,)' check (not isempty(valid_during)),
    value numeric not null,
    unit text not null default '',
    description text not null default '',
    check (meter_id is null or distributor_id is null),
    constraint vee_parameter_no_overlap exclude using gist (
        key with =, coalesce(meter_id, 0) with =, coalesce(distributor_id, 0) with =,
        valid_during with &&)
);
comment on table smf.vee_parameter is 'Thresholds of the VEE rules and estimation: per meter, per distributor, or default (both null), per validity period. The most specific valid row wins.';

insert into smf.vee_parameter (key, value, unit, description) values
    ('missing_long_run', 12, 'intervals', 'A run of missing intervals at least this long is severity error (shorter: warning).'),
    ('spike_factor', 10, 'x', 'A value above spike_factor x the day''s third-highest value of the channel is a spike.'),
    ('spike_floor_wh', 100, 'Wh', 'The spike factor is not applied when the day''s third-highest value is below this.'),
    ('zero_run_intervals', 12, 'intervals', 'A run of at least this many zero active intervals is reported ...'),
    ('zero_normal_share', 0.8, 'share', '... when at least this share of the meter''s other intervals in the range is non-zero.'),
    ('reverse_min_wh', 1, 'Wh', 'Reverse active energy at or above this on a UC without generation is reported.'),
    ('voltage_nominal_v', 0, 'V', 'Nominal phase voltage (secondary); 0 = detect: the standard value nearest the median.'),
    ('voltage_low', 0.92, 'pu', 'Lower limit of adequate voltage (PRODIST module 8, <= 1 kV).'),
    ('voltage_high', 1.05, 'pu', 'Upper limit of adequate voltage (PRODIST module 8, <= 1 kV).'),
    ('phase_loss_pu', 0.1, 'pu', 'A phase below this while another phase is inside the band is a phase loss.'),
    ('register_tolerance', 0.02, 'share', 'Register delta and interval sum may differ by this share.'),
    ('register_wh_per_unit', 0, 'Wh', 'Wh per unit of the raw total register (channel 1); 0 = detect the power of ten.'),
    ('backup_interval_tolerance', 0.10, 'share', 'Main vs backup: largest relative deviation of one interval.'),
    ('backup_hour_tolerance', 0.05, 'share', 'Main vs backup: largest relative deviation of one hour.'),
    ('backup_day_tolerance', 0.02, 'share', 'Main vs backup: largest relative deviation of one local day.'),
    ('backup_floor_wh', 100, 'Wh', 'Main vs backup: deviations are relative to at least this energy.'),
    ('demand_sanity_factor', 3, 'x', 'A 15-minute demand above this x the largest contracted demand (or the meter''s max power) is reported.'),
    ('outage_min_minutes', 1, 'min', 'Outages reported by the meter at least this long become findings.'),
    ('short_gap_intervals', 6, 'intervals', 'Estimation: a gap up to this long with a known register delta is spread over a profile.'),
    ('daytype_days', 4, 'days', 'Estimation: valid days of the same day type averaged.'),
    ('daytype_lookback_days', 56, 'days', 'Estimation: how far back valid days are searched.'),
    ('daytype_valid_share', 0.9, 'share', 'Estimation: a valid day has at least this share of its intervals measured (and the interval used is measured).'),
    ('daytype_min_days', 1, 'days', 'Estimation: fewer valid days than this = no usable history (the gap stays missing).');

create table smf.vee_finding (
    id bigint generated always as identity primary key,
    meter_id int not null references smf.meter on delete cascade,
    rule text not null,
    ts_from timestamptz not null,
    ts_to timestamptz not null,
    severity text not null check (severity in ('info', 'warning', 'error')),
    detail text not null,
    status text not null default 'open' check (status in ('open', 'accepted', 'resolved')),
    resolved_by text,
    resolved_at timestamptz,
    first_seen_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    check (ts_to >= ts_from),
    check ((status = 'open') = (resolved_at is null)),
    unique (meter_id, rule, ts_from, ts_to)
);
create index on smf.vee_finding (meter_id, ts_from);
create index on smf.vee_finding (status) where status = 'open';
comment on table smf.vee_finding is 'What a validation rule found: meter, interval range [ts_from, ts_to) UTC, rule, severity, the values in words, status open/accepted/resolved and who resolved it when. One row per (meter, rule, range).';

create table smf.vee_estimation_run (
    id int generated always as identity primary key,
    meter_id int not null references smf.meter on delete cascade,
    ts_from timestamptz not null,
    ts_to timestamptz not null,
    parameters jsonb not null,
    operator text not null,
    started_at timestamptz not null default now(),
    batch_id int references smf.ingest_batch,
    filled jsonb not null default '{}',
    left_missing int not null default 0
);
comment on table smf.vee_estimation_run is 'One estimation of a meter over [ts_from, ts_to): parameters used, who ran it, the ingest batch that wrote its values, intervals filled per method and left missing.';

create table smf.vee_provenance (
    meter_id int not null,
    ts timestamptz not null,
    run_id int not null,
    method text not null check (method in ('backup_meter', 'register_profile', 'daytype_mean', 'daytype_mean_scaled')),
    active_fwd_wh bigint,
    inputs jsonb not null,
    primary key (meter_id, ts, run_id)
);
comment on table smf.vee_provenance is 'Why an estimated interval has its value: the method and its inputs (backup meter id, days averaged, register delta Wh and scale).';

create table smf.vee_manual_edit (
    id int generated always as identity primary key,
    meter_id int not null references smf.meter,
    ts_from timestamptz not null,
    ts_to timestamptz not null,
    channel text not null,
    operation text not null check (operation in ('set', 'scale', 'copy_from')),
    argument text not null,
    reason text not null check (btrim(reason) <> ''),
    operator text not null,
    at timestamptz not null default now(),
    batch_id int references smf.ingest_batch,
    old_values jsonb not null
);
comment on table smf.vee_manual_edit is 'Manual edits: who, when, why, what (set kWh / scale factor / copy from a meter) and the old values [{ts, wh, quality, source}].';

create table smf.virtual_meter (
    id int generated always as identity primary key,
    name text not null check (name ~ '^[0-9A-Za-z_-]{1,40}$'),
    channel text not null default 'active_fwd',
    formula text not null,
    tree jsonb not null,
    interval_minutes smallint not null,
    valid_during daterange not null check (not isempty(valid_during)),
    created_by text not null default current_user,
    created_at timestamptz not null default now(),
    constraint virtual_meter_no_overlap exclude using gist (name with =, valid_during with &&)
);
comment on table smf.virtual_meter is 'Virtual meters: a formula over meters'' channels (M(serial).channel, + - * /, constants, parentheses), its parsed tree, and validity (local dates).';

create table smf.consumer_unit_class (
    consumer_unit_id int primary key references smf.consumer_unit on delete cascade,
    market text not null default 'free' check (market in ('free', 'captive')),
    has_generation boolean not null default false
);
comment on table smf.consumer_unit_class is 'Market (free or captive) and generation of a UC; a UC without a row is free and does not generate.';

insert into smf.setting values
    ('vee_validate_on_ingest', 'on', 'Run the VEE validation rules on the meter-days of every ingest batch (on/off).')
on conflict do nothing;
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
delete from smf.setting where key = 'vee_validate_on_ingest';
drop table smf.consumer_unit_class;
drop table smf.virtual_meter;
drop table smf.vee_manual_edit;
drop table smf.vee_provenance;
drop table smf.vee_estimation_run;
drop table smf.vee_finding;
drop table smf.vee_parameter;
""")
