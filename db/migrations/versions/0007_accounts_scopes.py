"""Accounts, API keys, scopes, database roles and the on-demand read queue (the REST API).

Why these tables:
- account is who calls the API or connects with a scoped database role: role admin (everything),
  analyst (reads and writes within its scopes), client (read-only, its own UCs), service (jobs
  and the poller). db_role names a database login role that acts as this account in direct SQL
  (Grafana, psql), so the same row-level policies filter it.
- api_key holds argon2id hashes of API key secrets only (the secret is shown once, when created);
  the key id is the public first part of the token and the lookup key.
- uc_group names a set of UCs ("universes of consumers", seed 003); account_scope grants an
  account one distributor, one group or one UC per row.
- login_failure records failed logins per source address, so repeated failures are refused for a
  while (rate limit), across processes.
- read_request is the on-demand read queue: the API inserts and NOTIFYs, a running poller claims
  (skip locked), reads and completes.
- retired_at on distributor and consumer_unit (the meter has had it since 0005): registration "retire" keeps the rows and
  their data, and says since when the entity is out of service.

Database roles (cluster-wide, created once, never dropped by a downgrade because other databases
of the cluster may use them): smf_api (the role the API assumes per transaction, with the
principal in the `smf.principal` setting) and smf_reader (login roles for direct SQL are its
members). Readers get the views of schema smf_read only, never the smf tables: TimescaleDB copies
a hypertable's grants to its chunks, and a chunk read by its own name has no row-level policy.
The smf_read views belong to smf_api, which is subject to the policies; the policies find the
account of the login role (session_user), so each reader sees its own scope. Grants and policies live in
db/functions/510_scope_policies.sql, re-applied at head, because the policies call functions that
exist only once the function files are applied.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'smf_reader') then
        create role smf_reader nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'smf_api') then
        create role smf_api nologin;
    end if;
end $$;

create schema smf_read;
comment on schema smf_read is 'What database login roles of smf_reader (Grafana, psql) read: views over smf owned by smf_api, so the row-level policies filter them by the login role''s account.';

alter table smf.distributor add column retired_at timestamptz;
alter table smf.consumer_unit add column retired_at timestamptz;

create table smf.account (
    id int generated always as identity primary key,
    name text not null unique check (name ~ '^[a-z0-9][a-z0-9_.@-]{0,62}$'),
    role text not null check (role in ('admin', 'analyst', 'client', 'service')),
    db_role text unique check (db_role ~ '^[a-z][a-z0-9_]{0,62}$'),
    created_at timestamptz not null default now(),
    disabled_at timestamptz
);
comment on table smf.account is 'Who calls the API (API keys) or reads with a scoped database role (db_role).';

create table smf.api_key (
    id text primary key check (id ~ '^[a-z0-9]{12}$'),
    account_id int not null references smf.account on delete cascade,
    hash text not null check (hash like '$argon2id$%'),
    label text,
    created_at timestamptz not null default now(),
    revoked_at timestamptz,
    last_used_at timestamptz
);
create index on smf.api_key (account_id);
comment on table smf.api_key is 'API keys: the public id and the argon2id hash of the secret (never the secret).';

create table smf.uc_group (
    id int generated always as identity primary key,
    name text not null unique check (name <> '')
);
create table smf.uc_group_member (
    group_id int not null references smf.uc_group on delete cascade,
    uc_id int not null references smf.consumer_unit on delete cascade,
    primary key (group_id, uc_id)
);
create index on smf.uc_group_member (uc_id);

create table smf.account_scope (
    account_id int not null references smf.account on delete cascade,
    distributor_id int references smf.distributor on delete cascade,
    group_id int references smf.uc_group on delete cascade,
    uc_id int references smf.consumer_unit on delete cascade,
    check (num_nonnulls(distributor_id, group_id, uc_id) = 1),
    unique nulls not distinct (account_id, distributor_id, group_id, uc_id)
);
comment on table smf.account_scope is 'One distributor, UC group or UC an account may see (analyst, client).';

create table smf.login_failure (
    source text not null,
    at timestamptz not null default now()
);
create index on smf.login_failure (source, at);

create table smf.read_request (
    id bigint generated always as identity primary key,
    meter_id int not null references smf.meter on delete cascade,
    kind text not null default 'intervals'
        check (kind in ('intervals', 'registers', 'instantaneous', 'full')),
    requested_by int references smf.account on delete set null,
    requested_at timestamptz not null default now(),
    status text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed')),
    claimed_by text,
    claimed_at timestamptz,
    finished_at timestamptz,
    result jsonb,
    error text
);
create index on smf.read_request (requested_at) where status in ('queued', 'running');
create index on smf.read_request (meter_id, requested_at);
comment on table smf.read_request is 'On-demand reads asked through the API; the poller claims them (NOTIFY smf_read_request).';
""")


def downgrade() -> None:
    op.execute("""
do $$
declare t text;
begin
    for t in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'smf' and c.relkind = 'r' and c.relrowsecurity loop
        execute format('alter table smf.%I disable row level security', t);
    end loop;
    for t in select format('drop policy %I on %I.%I', policyname, schemaname, tablename)
             from pg_policies where schemaname = 'smf' loop
        execute t;
    end loop;
end $$;
drop schema smf_read cascade;
drop table smf.read_request;
drop table smf.login_failure;
drop table smf.account_scope;
drop table smf.uc_group_member;
drop table smf.uc_group;
drop table smf.api_key;
drop table smf.account;
alter table smf.consumer_unit drop column retired_at;
alter table smf.distributor drop column retired_at;
revoke all on all tables in schema smf from smf_reader, smf_api;
revoke all on all sequences in schema smf from smf_reader, smf_api;
revoke all on all functions in schema smf from smf_reader, smf_api;
revoke all on schema smf from smf_reader, smf_api;
""")
