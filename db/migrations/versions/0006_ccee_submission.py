"""CCEE submission: retail-model registrations, the per-UC-day work state, the attempt ledger,
payload bodies, MUSD releases, the job-run log, the APScheduler job store, and the UC-code fix.

Why these tables:
- ccee_retail_uc says which UCs are in the simplified retail model and from when to when: only
  those are sent, and a day outside the period is held ("not registered").
- ccee_uc_day is the due-work queue and the state of each UC-day (due, claimed, accepted,
  rejected, failed, held, late). Senders claim rows with FOR UPDATE SKIP LOCKED and a lease
  (claimed_by, claim_expires): two processes never hold the same UC-day, and a claim left by a
  killed process is retried once its lease lapses (or at once when the process is known dead).
- ccee_attempt is the ledger: one row per attempt (UC, day, payload hash, when, HTTP status,
  response body, outcome, attempt number, trigger, holder). The body sent is kept once per hash in
  ccee_payload (TOAST compresses it), so every attempt can be rebuilt byte for byte.
- ccee_release records who released a held UC-day (MUSD rule) and why.
- job_run records every scheduled job run (start, end, outcome, counts, error).
- smf_jobs.apscheduler_jobs is APScheduler 3.x's SQLAlchemy job store, in its own schema.
- UC codes: smf.uc_check_digit now follows REN ANEEL 1.095/2024 Annex II (db/functions/
  001_uc_code.sql). Codes stored under the earlier guess are re-computed here (the 13 leading
  digits kept, the two check digits replaced) and the change is logged in uc_code_change.
"""

from pathlib import Path

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# A frozen copy of the check-digit functions this revision needs (the live file may change later).
FUNCTIONS = Path(__file__).resolve().parents[1] / "frozen" / "0006"


def upgrade() -> None:
    op.execute((FUNCTIONS / "001_uc_code.sql").read_text())
    op.execute("""
create table smf.uc_code_change (
    consumer_unit_id int not null references smf.consumer_unit on delete cascade,
    old_code char(15) not null,
    new_code char(15) not null,
    changed_at timestamptz not null default now(),
    reason text not null
);
comment on table smf.uc_code_change is 'UC codes re-computed when the check-digit algorithm was corrected (REN 1.095/2024 Annex II).';

alter table smf.consumer_unit drop constraint consumer_unit_uc_code_valid;
with changed as (
    select id, uc_code as old_code, smf.uc_code_with_check_digits(left(uc_code, 10)::bigint,
                                                                  substr(uc_code, 11, 3)::int) as new_code
    from smf.consumer_unit where not smf.uc_code_is_valid(uc_code)
), logged as (
    insert into smf.uc_code_change (consumer_unit_id, old_code, new_code, reason)
    select id, old_code, new_code, 'check digits re-computed (REN 1.095/2024 Annex II)' from changed
)
update smf.consumer_unit cu set uc_code = c.new_code from changed c where c.id = cu.id;
alter table smf.consumer_unit add constraint consumer_unit_uc_code_valid
    check (smf.uc_code_is_valid(uc_code));

insert into smf.setting (key, value, description) values
    ('ccee_estimated_as', 'AJUSTADO', 'tipoConsumo sent for estimated intervals: AJUSTADO (default; the tender names only measured and adjusted) or ESTIMADO.'),
    ('ccee_split_15min', 'on', 'on: a UC whose main meter integrates 15 minutes is sent as three 5-minute values (exact in Wh, remainder on the last, AJUSTADO); off: such days are held.'),
    ('ccee_musd_policy', 'hold', 'hold: a UC-day with an hour over the MUSD limit is held until released (smf ccee release); send: sent anyway with a warning in the ledger.'),
    ('ccee_retry_base_s', '900', 'Seconds before a failed UC-day is tried again (doubled per attempt, at most 6 h).'),
    ('ccee_held_recheck_s', '3600', 'Seconds before a held UC-day is checked again (data may have arrived).');

create table smf.ccee_retail_uc (
    consumer_unit_id int not null references smf.consumer_unit on delete cascade,
    valid_during daterange not null check (not isempty(valid_during)),
    created_at timestamptz not null default now(),
    constraint ccee_retail_uc_no_overlap exclude using gist (consumer_unit_id with =, valid_during with &&)
);
comment on table smf.ccee_retail_uc is 'UCs in the simplified retail model (their 5-minute consumption goes to CCEE daily), per validity period of local days.';

create table smf.ccee_payload (
    hash char(64) primary key,
    body text not null,
    created_at timestamptz not null default now()
);
do $$ begin  -- lz4 compresses a 27 kB payload several times faster than pglz; kept when available
    alter table smf.ccee_payload alter column body set compression lz4;
exception when feature_not_supported then null;
end $$;
comment on table smf.ccee_payload is 'Every distinct payload sent to CCEE, byte for byte (UTF-8 JSON), keyed by its SHA-256 (hex).';

create table smf.ccee_uc_day (
    consumer_unit_id int not null references smf.consumer_unit on delete cascade,
    day date not null,
    state text not null default 'due'
        check (state in ('due', 'claimed', 'accepted', 'rejected', 'failed', 'held', 'late')),
    attempts int not null default 0 check (attempts >= 0),
    next_try_at timestamptz not null default now(),
    claimed_by text,
    claim_expires timestamptz,
    trigger text,
    last_hash char(64),
    accepted_hash char(64),
    accepted_at timestamptz,
    fingerprint text,
    hold_reasons jsonb,
    late boolean not null default false,
    verdict_consistida int,
    verdict_rejeitada int,
    verdict_at timestamptz,
    verdict_detail jsonb,
    updated_at timestamptz not null default now(),
    primary key (consumer_unit_id, day),
    check ((state = 'claimed') = (claimed_by is not null and claim_expires is not null))
);
create index ccee_uc_day_due on smf.ccee_uc_day (next_try_at) where state in ('due', 'failed', 'held', 'claimed');
create index on smf.ccee_uc_day (day);
comment on table smf.ccee_uc_day is 'The state of each UC-day towards CCEE (local day D at -03:00): the due-work queue claimed with FOR UPDATE SKIP LOCKED, the last accepted payload hash, holds and CCEE''s read-back verdict.';

create table smf.ccee_attempt (
    id bigint generated always as identity primary key,
    consumer_unit_id int not null references smf.consumer_unit on delete cascade,
    uc_code char(15) not null,
    day date not null,
    attempt int not null check (attempt >= 1),
    trigger text not null check (trigger in ('schedule', 'retry', 'manual', 'late', 'release')),
    holder text not null,
    started_at timestamptz not null,
    finished_at timestamptz not null default now(),
    payload_hash char(64) references smf.ccee_payload,
    http_status smallint,
    response_body text,
    outcome text not null check (outcome in ('accepted', 'rejected', 'failed', 'held')),
    reasons jsonb,
    warning text,
    late boolean not null default false
);
create index on smf.ccee_attempt (consumer_unit_id, day);
create index on smf.ccee_attempt (started_at);
comment on table smf.ccee_attempt is 'Ledger of CCEE submissions: one row per attempt (held ones included), with the payload hash (body in ccee_payload), HTTP status, CCEE''s response body, outcome and who or what triggered it.';

create table smf.ccee_release (
    id bigint generated always as identity primary key,
    consumer_unit_id int not null references smf.consumer_unit on delete cascade,
    day date not null,
    hold_reason text not null check (hold_reason in ('musd_exceeded')),
    released_by text not null check (released_by <> ''),
    reason text not null check (length(reason) >= 3),
    released_at timestamptz not null default now()
);
create index on smf.ccee_release (consumer_unit_id, day);
comment on table smf.ccee_release is 'A held UC-day released for sending by an analyst: who, why and when.';

create table smf.job_run (
    id bigint generated always as identity primary key,
    job text not null,
    holder text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    outcome text not null default 'running' check (outcome in ('running', 'ok', 'error')),
    counts jsonb not null default '{}',
    error text
);
create index on smf.job_run (job, started_at);
comment on table smf.job_run is 'Every run of a scheduled job: start, end, outcome, counts and error.';

create schema smf_jobs;
comment on schema smf_jobs is 'APScheduler 3.x SQLAlchemy job store (jobs/scheduler.py).';
create table smf_jobs.apscheduler_jobs (
    id varchar(191) primary key,
    next_run_time double precision,
    job_state bytea not null
);
create index ix_smf_jobs_apscheduler_jobs_next_run_time on smf_jobs.apscheduler_jobs (next_run_time);
""")


def downgrade() -> None:
    op.execute("""
drop schema smf_jobs cascade;
drop table smf.job_run, smf.ccee_release, smf.ccee_attempt, smf.ccee_uc_day, smf.ccee_payload,
    smf.ccee_retail_uc, smf.uc_code_change;
delete from smf.setting where key like 'ccee\\_%';
""")
