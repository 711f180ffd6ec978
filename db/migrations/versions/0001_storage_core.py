"""Storage core: registry (distributors, consumer units, meters), interval hypertable, history,
ingest batches and quarantine, and the per-meter rollup tables kept exact by the ingest path.

Why these choices:
- Energies are integers (Wh, varh) and voltages/currents integers (mV, mA): sums are exact, so a
  rollup always equals the sum of its intervals.
- interval_reading has no foreign key to meter: the ingest validates meters before inserting
  (a FK would cost an index probe per row), and a trigger stops deleting a meter with readings.
- Chunks of 7 days: one meter over a period is an index range scan on (meter_id, ts) inside few
  chunks; all meters for one day touches one chunk and its ts index. At 40k meters x 288
  intervals a 7-day chunk holds ~80M rows (~9 GB with indexes), within a 24 GB machine.
- Rollups are plain tables (continuous aggregates do not exist in the Apache edition); the 15-min
  and hourly ones are hypertables because they grow like the raw data.
"""

from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ENERGY = [
    "active_fwd_wh",
    "active_rev_wh",
    "reactive_ind_fwd_varh",
    "reactive_ind_rev_varh",
    "reactive_cap_fwd_varh",
    "reactive_cap_rev_varh",
]
ANALOG = [
    "voltage_a_mv",
    "voltage_b_mv",
    "voltage_c_mv",
    "current_a_ma",
    "current_b_ma",
    "current_c_ma",
]


def _rollup_table(name: str, bucket_type: str) -> str:
    cols = [f"{c} bigint" for c in ENERGY]
    cols += [
        "n_measured int not null",
        "n_adjusted int not null",
        "n_estimated int not null",
        "n_missing int not null",
        "n_expected int not null",
    ]
    for c in ANALOG:
        cols += [f"{c}_min int", f"{c}_max int", f"{c}_sum bigint", f"{c}_n int not null"]
    cols += ["max_demand_kw numeric(14,3)", "max_demand_at timestamptz"]
    body = ",\n    ".join(
        [
            "meter_id int not null",
            f"bucket {bucket_type} not null",
            *cols,
            "primary key (meter_id, bucket)",
        ]
    )
    return f"create table smf.{name} (\n    {body}\n);"


def upgrade() -> None:
    op.execute("create extension if not exists timescaledb")
    op.execute("create extension if not exists btree_gist")
    op.execute("create schema smf")
    # Frozen copies of the SQL this revision needs (db/migrations/frozen/0001): the live files in
    # db/functions/ change, and are applied once the database reaches head.
    functions = Path(__file__).resolve().parents[1] / "frozen" / "0001"
    op.execute((functions / "001_uc_code.sql").read_text())  # used by a check constraint below
    op.execute("""
create table smf.setting (
    key text primary key,
    value text not null,
    description text not null
);
insert into smf.setting values
    ('local_timezone', 'America/Sao_Paulo', 'IANA time zone of daily and monthly buckets (local days and months).');

create type smf.quality as enum ('measured', 'adjusted', 'estimated', 'missing');
create type smf.reading_source as enum ('meter', 'backup_meter', 'estimate', 'import', 'manual');
create type smf.submarket as enum ('SE/CO', 'S', 'NE', 'N');

create table smf.distributor (
    id int generated always as identity primary key,
    ccee_agent_code int not null unique check (ccee_agent_code > 0),
    aneel_code char(3) not null unique check (aneel_code ~ '^[0-9]{3}$'),
    name text not null check (name <> ''),
    created_at timestamptz not null default now()
);
comment on table smf.distributor is 'Distribution utilities (connected agents), with their CCEE agent code and the 3-digit ANEEL code used in UC codes.';

create table smf.meter (
    id int generated always as identity primary key,
    serial text not null unique check (serial ~ '^[0-9A-Za-z-]{1,20}$'),
    manufacturer text,
    model text,
    protocol text not null default 'nbr14522'
        check (protocol in ('nbr14522', 'nbr14522_wrapper', 'nbr14522_addressed', 'import_only')),
    interval_minutes smallint not null default 5 check (interval_minutes in (5, 15)),
    channel_map text[] not null default array['active_fwd_kwh', 'reactive_ind_fwd_kvarh', 'reactive_cap_fwd_kvarh'],
    channel_constants numeric[],
    utc_offset_minutes smallint not null default -180 check (utc_offset_minutes between -720 and 840),
    transport text,
    max_power_kw numeric not null default 100000 check (max_power_kw > 0),
    max_voltage_v numeric not null default 600000 check (max_voltage_v > 0),
    max_current_a numeric not null default 20000 check (max_current_a > 0),
    poll_schedule text not null default 'daily' check (poll_schedule in ('15min', 'hourly', 'daily', 'never')),
    enabled boolean not null default true,
    created_at timestamptz not null default now(),
    check (cardinality(channel_map) between 1 and 12),
    check (channel_map <@ array['active_fwd_kwh', 'active_rev_kwh', 'reactive_ind_fwd_kvarh',
        'reactive_ind_rev_kvarh', 'reactive_cap_fwd_kvarh', 'reactive_cap_rev_kvarh', 'voltage_a_v',
        'voltage_b_v', 'voltage_c_v', 'current_a_a', 'current_b_a', 'current_c_a']),
    check (channel_constants is null or cardinality(channel_constants) = cardinality(channel_map))
);
comment on column smf.meter.channel_map is 'Quantity carried by each meter channel, in channel order (1-based); 3 entries for legacy meters, up to 12.';
comment on column smf.meter.channel_constants is 'Multiplication constant of each channel: engineering units per pulse (kWh, kvarh, V, A).';
comment on column smf.meter.utc_offset_minutes is 'Offset of the meter clock from UTC, in minutes (Brazil: -180); the DST flag of the protocol adds 60.';
comment on column smf.meter.max_power_kw is 'Physical maximum of energy channels, as power: a value above max_power_kw x interval is quarantined.';

create table smf.consumer_unit (
    id int generated always as identity primary key,
    uc_code char(15) not null unique
        constraint consumer_unit_uc_code_valid check (smf.uc_code_is_valid(uc_code)),
    distributor_id int not null references smf.distributor,
    customer_name text not null check (customer_name <> ''),
    submarket smf.submarket not null,
    tariff_group text not null check (tariff_group in ('A1', 'A2', 'A3', 'A3a', 'A4', 'AS', 'B1', 'B2', 'B3')),
    modality text not null check (modality in ('azul', 'verde', 'convencional', 'branca')),
    contracted_demand_ponta_kw numeric(12,3) check (contracted_demand_ponta_kw >= 0),
    contracted_demand_fora_ponta_kw numeric(12,3) check (contracted_demand_fora_ponta_kw >= 0),
    musd_kw numeric(12,3) check (musd_kw >= 0),
    supply_voltage_kv numeric(8,3) not null check (supply_voltage_kv > 0),
    main_meter_id int unique references smf.meter,
    backup_meter_id int unique references smf.meter,
    created_at timestamptz not null default now(),
    constraint consumer_unit_backup_differs check (backup_meter_id <> main_meter_id),
    constraint consumer_unit_azul_needs_ponta_demand
        check (modality <> 'azul' or contracted_demand_ponta_kw is not null)
);
comment on table smf.consumer_unit is 'Consumer units / metering points. uc_code: 15 digits with two mod-11 check digits.';

create table smf.transformer_loss (
    consumer_unit_id int not null references smf.consumer_unit on delete cascade,
    valid_during daterange not null check (not isempty(valid_during)),
    factor numeric(6,5) not null check (factor >= 0 and factor < 0.2),
    exclude using gist (consumer_unit_id with =, valid_during with &&)
);
comment on table smf.transformer_loss is 'Transformer-loss factor per UC and validity period (0.025 at <= 44 kV, 0.01 above), applied to every interval before demand and UFER/DMCR.';

create table smf.ingest_batch (
    id int generated always as identity primary key,
    source smf.reading_source not null,
    origin text,
    operator text not null default current_user,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    rows_in bigint,
    inserted bigint,
    updated bigint,
    unchanged bigint,
    quarantined jsonb
);

create table smf.ingest_quarantine (
    id bigint generated always as identity primary key,
    batch_id int not null references smf.ingest_batch on delete cascade,
    line_no bigint,
    meter_ref text,
    ts timestamptz,
    reason text not null,
    detail text,
    created_at timestamptz not null default now()
);
create index on smf.ingest_quarantine (batch_id);
""")
    analog = ",\n    ".join(f"{c} int" for c in ANALOG)
    energy = ",\n    ".join(f"{c} int" for c in ENERGY)
    op.execute(f"""
create table smf.interval_reading (
    meter_id int not null,
    ts timestamptz not null,
    {energy},
    {analog},
    quality smf.quality not null default 'measured',
    source smf.reading_source not null default 'meter',
    batch_id int not null,
    primary key (meter_id, ts)
);
comment on table smf.interval_reading is 'One row per meter and interval start (UTC). Energies in Wh/varh, voltages in mV, currents in mA, all integers.';
select create_hypertable('smf.interval_reading', by_range('ts', interval '7 days'));

create table smf.interval_reading_history (
    meter_id int not null,
    ts timestamptz not null,
    {energy},
    {analog},
    quality smf.quality not null,
    source smf.reading_source not null,
    batch_id int not null,
    superseded_at timestamptz not null default now(),
    superseded_by_batch int,
    changed_by text not null default current_user,
    reason text
);
create index on smf.interval_reading_history (meter_id, ts);
comment on table smf.interval_reading_history is 'Every superseded version of an interval row, with when, by whom, by which batch and why.';
""")
    op.execute((functions / "010_reading_history.sql").read_text())  # trigger functions
    op.execute("""
create trigger keep_history before update on smf.interval_reading
    for each row execute function smf.interval_reading_keep_history();
create trigger refuse_delete_with_readings before delete on smf.meter
    for each row execute function smf.meter_refuse_delete_with_readings();
""")
    op.execute(_rollup_table("rollup_15min", "timestamptz"))
    # Rollups are read per meter (the primary key); no separate bucket index to maintain.
    op.execute(
        "select create_hypertable('smf.rollup_15min', by_range('bucket', interval '28 days'), create_default_indexes => false)"
    )
    op.execute(_rollup_table("rollup_hour", "timestamptz"))
    op.execute(
        "select create_hypertable('smf.rollup_hour', by_range('bucket', interval '84 days'), create_default_indexes => false)"
    )
    op.execute(_rollup_table("rollup_day", "date"))
    op.execute(_rollup_table("rollup_month", "date"))
    op.execute("""
comment on table smf.rollup_15min is 'Per meter and 15-minute bucket (UTC start): sums, counts by quality, min/max/sum of V and A, demand (kW).';
comment on table smf.rollup_hour is 'Per meter and UTC hour: same shape as rollup_15min, derived from it.';
comment on table smf.rollup_day is 'Per meter and local day (SMF local time zone): derived from rollup_hour.';
comment on table smf.rollup_month is 'Per meter and local month (first day): derived from rollup_day.';
""")


def downgrade() -> None:
    op.execute("drop schema smf cascade")
