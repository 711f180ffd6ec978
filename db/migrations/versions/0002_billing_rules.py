"""Billing and market rules: parameters, calendars, postos tarifários, tariffs, contracts, PLD.

Why these tables:
- Every regulatory number the rules use is data with a validity period (smf.rule_parameter), so a
  change of regulation is an insert, not a release. Values tagged [L]/[U] in the domain notes are
  documented defaults there.
- Two holiday calendars are kept apart and versioned (smf.calendar, purpose 'tariff' or 'ccee'):
  the tariff one decides ponta days, the CCEE one business days for deadlines. Holidays are generated
  for 2000-2100 from rules (fixed dates, Easter offsets) into smf.holiday, which operators may edit.
- Postos (ponta, capacitive window, reservado, intermediário) are per distributor and validity
  period; exclusion constraints forbid overlapping periods, a trigger rejects a capacitive window
  outside the span allowed by regulation with a specific message.
- Tariffs per distributor, modality, item and posto; energy contracts with optional declared
  seasonalization (month volumes) and modulation (hour volumes); hourly PLD per submarket.
The functions over these tables live in db/functions/1*.sql; frozen copies of three of those files
(db/migrations/frozen/0002) are applied here, because the holiday generation and the posto trigger
need them while migrating; the live files are applied once the database reaches head.
"""

from pathlib import Path

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FUNCTIONS = Path(__file__).resolve().parents[1] / "frozen" / "0002"


def upgrade() -> None:
    op.execute("""
create table smf.rule_parameter (
    key text not null check (key ~ '^[a-z][a-z0-9_]*$'),
    valid_during daterange not null check (not isempty(valid_during)),
    value numeric not null,
    unit text not null,
    confidence char(1) not null check (confidence in ('C', 'L', 'U')),
    description text not null,
    constraint rule_parameter_no_overlap exclude using gist (key with =, valid_during with &&)
);
comment on table smf.rule_parameter is 'Regulatory and business parameters of the billing and market rules, per validity period; confidence C certain, L likely, U unverified (a documented default).';

insert into smf.rule_parameter (key, valid_during, value, unit, confidence, description) values
    ('power_factor_reference', '[2000-01-01,)', 0.92, '1', 'C', 'Reference power factor fR of UFER/DMCR (Grupo A).'),
    ('demand_tolerance', '[2000-01-01,)', 0.05, '1', 'C', 'Demand overrun when measured > (1 + tolerance) x contracted; the whole difference is billed.'),
    ('overrun_tariff_multiplier', '[2000-01-01,)', 2, '1', 'L', 'Overrun price = multiplier x demand tariff, used when no explicit overrun tariff exists.'),
    ('musd_factor', '[2000-01-01,)', 1.25, '1', 'U', 'MUSD check: an hour is rejected when kWh > factor x MUSD kW x 1 h.'),
    ('loss_factor_up_to_threshold', '[2000-01-01,)', 0.025, '1', 'L', 'Proposed transformer-loss factor for supply voltage <= loss_voltage_threshold_kv.'),
    ('loss_factor_above_threshold', '[2000-01-01,)', 0.01, '1', 'L', 'Proposed transformer-loss factor for supply voltage > loss_voltage_threshold_kv.'),
    ('loss_voltage_threshold_kv', '[2000-01-01,)', 44, 'kV', 'L', 'Supply voltage separating the two proposed transformer-loss factors.'),
    ('ponta_minutes', '[2000-01-01,)', 180, 'min', 'C', 'Length of the ponta posto: 3 consecutive hours.'),
    ('capacitive_window_minutes', '[2000-01-01,)', 360, 'min', 'C', 'Length of the capacitive reactive window: 6 consecutive hours.'),
    ('capacitive_span_start_min', '[2000-01-01,)', -30, 'min', 'C', 'Earliest start of the 6-hour capacitive window, minutes from midnight (-30 = 23:30 of the day before).'),
    ('capacitive_span_end_min', '[2000-01-01,)', 390, 'min', 'C', 'Latest end of the capacitive window, minutes from midnight (390 = 06:30).'),
    ('lastro_months', '[2000-01-01,)', 12, 'month', 'L', 'Months of the moving window of the lastro (contract coverage) check.'),
    ('lastro_installments', '[2000-01-01,)', 12, 'month', 'L', 'The lastro penalty is charged in this many monthly parts (penalty / installments per month).'),
    ('lastro_reference_value', '[2000-01-01,)', 0, 'R$/MWh', 'U', 'VR of the lastro penalty: price = max(VR, mean PLD of the window). Set the published VR per period.');

create table smf.calendar (
    id int generated always as identity primary key,
    purpose text not null check (purpose in ('tariff', 'ccee')),
    version int not null check (version > 0),
    valid_during daterange not null check (not isempty(valid_during)),
    description text not null,
    created_at timestamptz not null default now(),
    unique (purpose, version),
    constraint calendar_no_overlap exclude using gist (purpose with =, valid_during with &&)
);
comment on table smf.calendar is 'Versioned holiday calendars: purpose tariff (days without ponta) or ccee (non-business days of CCEE deadlines); one version applies per date.';

create table smf.holiday_rule (
    code text primary key,
    name text not null,
    fixed_month smallint check (fixed_month between 1 and 12),
    fixed_day smallint check (fixed_day between 1 and 31),
    easter_offset smallint,
    first_year smallint not null default 1900,
    last_year smallint not null default 9999,
    check ((fixed_month is not null and fixed_day is not null and easter_offset is null)
        or (fixed_month is null and fixed_day is null and easter_offset is not null)),
    check (first_year <= last_year)
);
comment on table smf.holiday_rule is 'How a holiday falls each year: a fixed date or an offset in days from Easter Sunday, within [first_year, last_year].';

insert into smf.holiday_rule (code, name, fixed_month, fixed_day, easter_offset, first_year) values
    ('new_year', 'Confraternização Universal', 1, 1, null, 1900),
    ('tiradentes', 'Tiradentes', 4, 21, null, 1900),
    ('labour_day', 'Dia do Trabalho', 5, 1, null, 1900),
    ('independence', 'Independência do Brasil', 9, 7, null, 1900),
    ('aparecida', 'Nossa Senhora Aparecida', 10, 12, null, 1900),
    ('all_souls', 'Finados', 11, 2, null, 1900),
    ('republic', 'Proclamação da República', 11, 15, null, 1900),
    ('black_consciousness', 'Dia Nacional de Zumbi e da Consciência Negra', 11, 20, null, 2024),
    ('christmas', 'Natal', 12, 25, null, 1900),
    ('carnival_monday', 'Carnaval (segunda-feira)', null, null, -48, 1900),
    ('carnival_tuesday', 'Carnaval (terça-feira)', null, null, -47, 1900),
    ('ash_wednesday', 'Quarta-feira de Cinzas', null, null, -46, 1900),
    ('good_friday', 'Sexta-feira Santa', null, null, -2, 1900),
    ('corpus_christi', 'Corpus Christi', null, null, 60, 1900);

create table smf.calendar_rule (
    calendar_id int not null references smf.calendar on delete cascade,
    rule_code text not null references smf.holiday_rule,
    primary key (calendar_id, rule_code)
);
comment on table smf.calendar_rule is 'Which holiday rules a calendar version is generated from.';

create table smf.holiday (
    calendar_id int not null references smf.calendar on delete cascade,
    day date not null,
    name text not null,
    rule_code text references smf.holiday_rule,
    primary key (calendar_id, day)
);
comment on table smf.holiday is 'Holidays of each calendar version: generated from its rules (rule_code set), editable (rule_code null for days added by hand).';

with c as (
    insert into smf.calendar (purpose, version, valid_during, description) values
        ('tariff', 1, '[2000-01-01,2101-01-01)', 'Days without ponta: national holidays, Carnival Tuesday, Good Friday, Corpus Christi.'),
        ('ccee', 1, '[2000-01-01,2101-01-01)', 'CCEE non-business days: national holidays, Carnival Monday and Tuesday, Corpus Christi.')
    returning id, purpose
)
insert into smf.calendar_rule (calendar_id, rule_code)
select c.id, r.code
from c join smf.holiday_rule r on r.code in ('new_year', 'tiradentes', 'labour_day', 'independence',
    'aparecida', 'all_souls', 'republic', 'black_consciousness', 'christmas', 'good_friday',
    'corpus_christi', 'carnival_tuesday')
    or (c.purpose = 'ccee' and r.code = 'carnival_monday');

create table smf.ccee_deadline (
    code text not null,
    description text not null,
    base text not null check (base in ('M', 'MS')),
    business_days smallint not null check (business_days > 0),
    valid_during daterange not null check (not isempty(valid_during)),
    constraint ccee_deadline_no_overlap exclude using gist (code with =, valid_during with &&)
);
comment on table smf.ccee_deadline is 'CCEE deadlines of a reference month M: the n-th business day of M (base M) or of the month after (base MS).';

insert into smf.ccee_deadline (code, description, base, business_days, valid_during) values
    ('measurement', 'Measurement data consistent and consolidated', 'MS', 7, '[2000-01-01,)'),
    ('contract_registration', 'Registration of a new bilateral contract (seller)', 'M', 9, '[2000-01-01,)'),
    ('contract_volumes', 'Contract volumes: seasonalization and modulation (seller)', 'MS', 9, '[2000-01-01,)'),
    ('contract_validation', 'Validation of the contract and its volumes (buyer)', 'MS', 10, '[2000-01-01,)'),
    ('contract_adjustment', 'Adjustment of annual amounts, seasonalization, modulation (seller)', 'MS', 11, '[2000-01-01,)'),
    ('contract_adjustment_validation', 'Validation of the adjustment (buyer)', 'MS', 12, '[2000-01-01,)');

create table smf.posto_schedule (
    id int generated always as identity primary key,
    distributor_id int not null references smf.distributor on delete cascade,
    valid_during daterange not null check (not isempty(valid_during)),
    ponta_start time not null,
    ponta_minutes smallint not null default 180,
    capacitive_start time not null default '00:00',
    capacitive_minutes smallint not null default 360,
    reservado_start time,
    reservado_minutes smallint,
    intermediario_minutes smallint,
    created_at timestamptz not null default now(),
    check ((reservado_start is null) = (reservado_minutes is null)),
    constraint posto_schedule_no_overlap exclude using gist (distributor_id with =, valid_during with &&)
);
comment on table smf.posto_schedule is 'Postos tarifários of a distributor per validity period (local time): ponta (weekdays that are not tariff holidays), the capacitive reactive window (every day), reservado and intermediário (minutes before and after ponta) where they exist.';

create table smf.tariff (
    id int generated always as identity primary key,
    distributor_id int not null references smf.distributor on delete cascade,
    modality text not null check (modality in ('azul', 'verde', 'convencional', 'branca')),
    item text not null check (item in ('energy', 'demand', 'overrun', 'ufer', 'dmcr')),
    posto text not null check (posto in ('ponta', 'fora_ponta', 'intermediario', 'unica')),
    valid_during daterange not null check (not isempty(valid_during)),
    price numeric(14,6) not null check (price >= 0),
    constraint tariff_no_overlap exclude using gist (distributor_id with =, modality with =, item with =,
        posto with =, valid_during with &&)
);
comment on table smf.tariff is 'Tariffs per distributor, modality, item and posto: energy and ufer in R$/kWh, demand, overrun and dmcr (excess) in R$/kW. Posto unica = the single demand of non-azul modalities.';

create table smf.energy_contract (
    id int generated always as identity primary key,
    code text not null unique check (code <> ''),
    kind text not null check (kind in ('bilateral', 'incentivada', 'proinfa')),
    seller text not null check (seller <> ''),
    buyer_uc_id int references smf.consumer_unit on delete cascade,
    buyer_agent text,
    submarket smf.submarket not null,
    valid_during daterange not null check (not isempty(valid_during)),
    annual_mwh numeric(14,6) check (annual_mwh >= 0),
    modulation text not null default 'flat' check (modulation in ('flat', 'load_following')),
    created_at timestamptz not null default now(),
    check (buyer_uc_id is not null or buyer_agent is not null)
);
comment on table smf.energy_contract is 'Energy contracts (bilateral, incentivized, PROINFA): annual volume (long term) and/or month volumes; modulation used when no hourly volumes are declared.';
create index on smf.energy_contract (buyer_uc_id);

create table smf.contract_month_volume (
    contract_id int not null references smf.energy_contract on delete cascade,
    month date not null check (extract(day from month) = 1),
    mwh numeric(14,6) not null check (mwh >= 0),
    primary key (contract_id, month)
);
comment on table smf.contract_month_volume is 'Declared seasonalization (or the month volumes of a short-term contract), MWh per local month.';

create table smf.contract_hour_volume (
    contract_id int not null references smf.energy_contract on delete cascade,
    hour timestamptz not null check (extract(epoch from hour)::bigint % 3600 = 0),
    mwh numeric(14,6) not null check (mwh >= 0),
    primary key (contract_id, hour)
);
comment on table smf.contract_hour_volume is 'Declared modulation: MWh per hour (hour-beginning instant).';

create table smf.pld (
    submarket smf.submarket not null,
    hour timestamptz not null check (extract(epoch from hour)::bigint % 3600 = 0),
    price numeric(12,2) not null,
    primary key (submarket, hour)
);
comment on table smf.pld is 'Hourly spot price (PLD) per submarket, R$/MWh, by hour-beginning instant.';
""")
    for name in ("100_parameters.sql", "105_calendar.sql", "110_postos.sql"):
        op.execute((FUNCTIONS / name).read_text())
    op.execute("""
select smf.calendar_generate(id, 2000, 2100) from smf.calendar;
create trigger validate_windows before insert or update on smf.posto_schedule
    for each row execute function smf.posto_schedule_validate();
""")


def downgrade() -> None:
    op.execute("""
drop view if exists smf.interval_label, smf.hour_label;
drop table if exists smf.pld, smf.contract_hour_volume, smf.contract_month_volume,
    smf.energy_contract, smf.tariff, smf.posto_schedule, smf.ccee_deadline, smf.holiday,
    smf.calendar_rule, smf.holiday_rule, smf.calendar, smf.rule_parameter;
""")
