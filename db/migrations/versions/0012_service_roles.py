"""Least privilege: a login role per service, and a registry of the roles the project made.

Why: the API, the poller and the scheduler logged in as the database superuser, so one admin
command (`smf user add ... --db-role smf`) could tie the superuser to a client account, and
every API key then acted as that client (issue 17). From this revision:
- smf_writer (no login, BYPASSRLS) holds the write grants of the ingest path, the poller, the jobs
  and the CCEE sender (granted in db/functions/510_scope_policies.sql, re-applied at head);
- smf_svc_poller and smf_svc_jobs (login, BYPASSRLS, members of smf_writer) are what the poller
  and the scheduler/CCEE sender log in as;
- smf_svc_api (login, NOINHERIT: it holds nothing by itself but the key lookup) is the API's
  pool user: each request assumes smf_api with the principal set, and an import by an admin or
  service account assumes smf_writer for its one transaction;
- api_key.expires_at: a key may expire (`smf user key --expires-days`, `--rotate`);
- smf.db_role records every role the project made (kind 'service' or 'reader'), so that
  `smf user add --db-role` accepts an existing role only when it made it as a reader, never a
  superuser nor a role it does not own.
Roles are cluster-wide: created when missing, never dropped by the downgrade (other databases of
the cluster may use them). The superuser stays for `smf db migrate` and admin commands.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'smf_writer') then
        create role smf_writer nologin bypassrls;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'smf_svc_api') then
        create role smf_svc_api login noinherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'smf_svc_poller') then
        create role smf_svc_poller login bypassrls;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'smf_svc_jobs') then
        create role smf_svc_jobs login bypassrls;
    end if;
end $$;
alter role smf_writer nosuperuser nocreatedb nocreaterole noreplication bypassrls;
alter role smf_svc_api nosuperuser nocreatedb nocreaterole noreplication nobypassrls noinherit;
alter role smf_svc_poller nosuperuser nocreatedb nocreaterole noreplication bypassrls inherit;
alter role smf_svc_jobs nosuperuser nocreatedb nocreaterole noreplication bypassrls inherit;
grant smf_api, smf_writer to smf_svc_api;
grant smf_writer to smf_svc_poller, smf_svc_jobs;

create table smf.db_role (
    name text primary key check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    kind text not null check (kind in ('service', 'reader')),
    created_at timestamptz not null default now()
);
comment on table smf.db_role is 'Database roles the project made: service login roles (migrations) and scoped reader login roles (smf user add --db-role). Only these may be re-used by --db-role, and only readers.';
insert into smf.db_role (name, kind)
values ('smf_writer', 'service'), ('smf_svc_api', 'service'), ('smf_svc_poller', 'service'),
       ('smf_svc_jobs', 'service'), ('smf_api', 'service'), ('smf_reader', 'service');
-- reader roles made before this revision: the account's db_role, a member of smf_reader and
-- nothing more powerful
insert into smf.db_role (name, kind)
select a.db_role, 'reader' from smf.account a join pg_roles r on r.rolname = a.db_role
where not r.rolsuper and not r.rolbypassrls and pg_has_role(r.oid, 'smf_reader', 'MEMBER')
  and not pg_has_role(r.oid, 'smf_api', 'MEMBER') and r.rolname not like 'smf\\_svc\\_%'
  and r.rolname not in ('smf_writer', 'smf_api', 'smf_reader')
on conflict do nothing;

-- API keys expire when their owner says so (smf user key --expires-days, --rotate)
alter table smf.api_key add column expires_at timestamptz;
drop function if exists smf.api_key_add(text, text, text, text);
""")


def downgrade() -> None:
    op.execute("""
drop function if exists smf.api_key_add(text, text, text, text, timestamptz);
alter table smf.api_key drop column expires_at;
drop table smf.db_role;
""")
