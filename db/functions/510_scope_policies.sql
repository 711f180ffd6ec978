-- Row-level security: grants of the database roles and the policies that filter every row a
-- client, analyst or scoped database role reads. Re-applied at head (drop + create): the policies
-- call the functions of 500_accounts.sql, which exist only once the function files are applied.
-- The schema owner (the poller, jobs, ingest, migrations) bypasses these policies; smf_api (the
-- API, per transaction) does not, and neither do the smf_read views (owned by smf_api) through
-- which every login role in smf_reader (Grafana, psql) reads.

-- The tables every principal may read whole: reference data the rules read (calendars, tariffs,
-- postos, PLD, parameters and settings, rule definitions). Everything else in smf is filtered.
create or replace function smf.scope_reference_tables() returns text[]
    language sql immutable set search_path = smf, pg_catalog
    as $f$ select array['calendar', 'calendar_rule', 'holiday', 'holiday_rule', 'tariff',
                        'posto_schedule', 'pld', 'rule_parameter', 'setting', 'source_precedence',
                        'ccee_deadline', 'alarm_rule'] $f$;

-- read_view_refuse_write: trigger on the smf_read views over both storage tiers; they are
-- read-only (a role with DELETE on one would still be refused here).
create or replace function smf.read_view_refuse_write() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
begin
    raise exception using errcode = '42501',
        message = format('smf_read.%s is read-only', tg_table_name);
end
$$;

-- read_views_refresh: (re)create schema smf_read: one view per table or view smf_api may read,
-- owned by smf_api (so the policies apply to whoever reads them). Called below and again by
-- 625_dashboards_read.sql, so that the views of later files (alarms, dashboards) get their copy.
-- (Owner-only: it drops and re-creates every view of smf_read.)
create or replace function smf.read_views_refresh() returns void
language plpgsql volatile set search_path = smf, pg_catalog as $f$
declare
    v text;
begin
    grant usage on schema smf_read to smf_reader;
    for v in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'smf_read' and c.relkind = 'v' loop
        execute format('drop view smf_read.%I', v);
    end loop;
    for v in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'smf' and c.relkind in ('r', 'v', 'p')
               and has_table_privilege('smf_api', c.oid, 'select')
               and c.relname <> all (array['ingest_batch', 'ingest_quarantine', 'read_request'])
             order by 1 loop
        -- (a view of smf is copied by its definition: as a security-invoker view it would check
        -- its tables against the reader, not against smf_api). The interval and 15-minute/hourly
        -- rollup tables are read with their sealed periods (025_storage.sql).
        execute format('create view smf_read.%I with (security_barrier) as %s', v,
                       coalesce(pg_get_viewdef(format('smf.%I', v)::regclass),
                                case when v in ('interval_reading', 'rollup_15min', 'rollup_hour')
                                          and to_regclass(format('smf.%I_all', v)) is not null
                                     then pg_get_viewdef(format('smf.%I_all', v)::regclass)
                                     else format('select * from smf.%I', v) end));
        execute format('alter view smf_read.%I owner to smf_api', v);
        execute format('grant select on smf_read.%I to smf_reader', v);
        if v in ('interval_reading', 'rollup_15min', 'rollup_hour') then
            -- a union is not an updatable view: without this a write would fail for the view's
            -- shape, before the privilege check (readers have SELECT only)
            execute format('create trigger read_only instead of insert or update or delete on '
                           'smf_read.%I for each row execute function smf.read_view_refuse_write()', v);
        end if;
    end loop;
end $f$;
revoke execute on function smf.read_views_refresh() from public;

-- database_grants: readers (and any other login role) lose TEMP and TimescaleDB's internal
-- catalogs, which PUBLIC has by default; the roles that need TEMP (smf_api, smf_writer) get it
-- by name. The catalog schemas stay usable: the extension looks itself up there on every
-- statement of every session and refuses the statement otherwise; their tables and the
-- information views do not. Database privileges are not copied by CREATE DATABASE ... TEMPLATE:
-- call this again in a database cloned from a template (the tests do). Owner-only.
create or replace function smf.database_grants() returns void
language plpgsql volatile set search_path = pg_catalog as $f$
declare
    ts_schema text;
begin
    execute format('revoke temporary on database %I from public', current_database());
    execute format('grant temporary on database %I to smf_api', current_database());
    if to_regclass('smf.db_role') is not null then
        execute format('grant temporary on database %I to smf_writer', current_database());
    end if;
    for ts_schema in select nspname from pg_namespace
                     where nspname in ('_timescaledb_catalog', '_timescaledb_config',
                                       '_timescaledb_cache', '_timescaledb_internal') loop
        execute format('revoke select on all tables in schema %I from public', ts_schema);
    end loop;
    for ts_schema in select nspname from pg_namespace
                     where nspname in ('timescaledb_information', 'timescaledb_experimental') loop
        execute format('revoke usage on schema %I from public', ts_schema);
    end loop;
end $f$;
revoke execute on function smf.database_grants() from public;

do $$
declare
    t text;
    v text;
    by_meter text[] := array['interval_reading', 'interval_reading_history', 'rollup_15min',
        'rollup_hour', 'rollup_day', 'rollup_month', 'register_reading', 'instantaneous_reading',
        'meter_event', 'meter_outage', 'meter_alteration', 'poll_attempt', 'read_request'];
    private text[] := array['account', 'api_key', 'account_scope', 'login_failure', 'uc_group',
        'uc_group_member', 'ingest_batch', 'ingest_quarantine', 'meter_session_lease', 'db_role',
        'web_session'];
    explicit constant text[] := array['interval_reading', 'interval_reading_history',
        'rollup_15min', 'rollup_hour', 'rollup_day', 'rollup_month', 'register_reading',
        'instantaneous_reading', 'meter_event', 'meter_outage', 'meter_alteration', 'poll_attempt',
        'read_request', 'meter', 'consumer_unit', 'distributor', 'energy_contract',
        'contract_month_volume', 'contract_hour_volume', 'ingest_batch', 'ingest_quarantine',
        'alarm_threshold'];
    c text[];
    visible_meter constant text :=
        '(select smf.scope_all()) or meter_id = any ((select smf.scope_meter_ids())::int[])';
    -- Service login roles (revision 0012; superuser only for migrations and admin commands):
    -- smf_writer (BYPASSRLS; smf_svc_poller and smf_svc_jobs inherit it, smf_svc_api assumes it
    -- for an import) writes what the ingest path, the poller, the jobs and the CCEE sender write;
    -- smf_svc_api by itself may only look a key up and count failed logins, then assumes smf_api.
    -- No login role but the services may create temporary objects or read TimescaleDB's
    -- catalogs (readers read smf_read views, owned by smf_api, which keeps both).
    service_grants constant text := $g$
        grant usage on schema smf, smf_jobs to smf_writer;
        grant select, insert, update, delete on all tables in schema smf, smf_jobs to smf_writer;
        grant usage, select, update on all sequences in schema smf, smf_jobs to smf_writer;
        grant execute on all functions in schema smf to smf_writer;
        revoke execute on function smf.api_key_lookup(text), smf.account_add(text, text, text),
            smf.account_scope_add(text, text, text), smf.api_key_revoke(text),
            smf.db_role_create(text, text), smf.uc_group_add_member(text, text),
            smf.api_key_add(text, text, text, text, timestamptz),
            smf.api_key_retire_others(text, text, timestamptz), smf.read_views_refresh()
            from smf_writer;
        revoke all on smf.account, smf.api_key, smf.account_scope, smf.db_role, smf.login_failure
            from smf_writer;
        grant select on smf.account, smf.account_scope, smf.uc_group, smf.uc_group_member
            to smf_writer;
        grant select on public.alembic_version to smf_writer, smf_svc_api, smf_api;
        grant usage on schema smf to smf_svc_api;
        grant execute on function smf.api_key_lookup(text), smf.login_failed(text),
            smf.login_blocked(text, int, interval) to smf_svc_api;
        -- the client web view's sessions (505_web_sessions.sql): the API's login role only
        revoke execute on function smf.web_session_open(bytea, text, interval),
            smf.web_session_principal(bytea, text), smf.web_session_close(bytea)
            from public, smf_writer;
        revoke all on smf.web_session from smf_writer;
        grant execute on function smf.web_session_open(bytea, text, interval),
            smf.web_session_principal(bytea, text), smf.web_session_close(bytea) to smf_svc_api;
    $g$;
begin
    -- Before revision 0007 (an upgrade that stops at an earlier revision) there is nothing to do.
    if to_regclass('smf.account') is null then
        return;
    end if;
    -- Grants: smf_api reads everything but the private tables; rows are filtered below.
    grant usage on schema smf to smf_api;
    grant select on all tables in schema smf to smf_api;
    revoke all on all tables in schema smf from smf_reader;
    foreach t in array private loop
        execute format('revoke all on smf.%I from smf_reader, smf_api', t);
    end loop;
    grant insert, update on smf.distributor, smf.consumer_unit, smf.meter to smf_api;
    grant insert on smf.read_request to smf_api;
    -- Import batches: the API shows them to admin and service principals only.
    grant select on smf.ingest_batch, smf.ingest_quarantine to smf_api;
    foreach t in array array['ingest_batch', 'ingest_quarantine'] loop
        execute format('alter table smf.%I enable row level security', t);
        execute format('drop policy if exists scope_read on smf.%I', t);
        execute format('create policy scope_read on smf.%I for select using ((select smf.scope_all()))', t);
    end loop;
    grant usage on all sequences in schema smf to smf_api;
    revoke execute on function smf.api_key_lookup(text), smf.login_failed(text),
        smf.login_blocked(text, int, interval), smf.account_add(text, text, text),
        smf.account_scope_add(text, text, text), smf.api_key_revoke(text),
        smf.db_role_create(text, text), smf.uc_group_add_member(text, text) from public;
    if to_regclass('smf.db_role') is not null then
        revoke execute on function smf.api_key_add(text, text, text, text, timestamptz),
            smf.api_key_retire_others(text, text, timestamptz), smf.db_role_refusal(text)
            from public;
        execute service_grants;
    end if;

    -- Views run with the reader's rights, so the policies of their tables apply.
    for v in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'smf' and c.relkind = 'v' loop
        execute format('alter view smf.%I set (security_invoker = on)', v);
    end loop;

    foreach t in array by_meter loop
        execute format('alter table smf.%I enable row level security', t);
        execute format('drop policy if exists scope_read on smf.%I', t);
        execute format('create policy scope_read on smf.%I for select using (%s)', t, visible_meter);
    end loop;

    alter table smf.meter enable row level security;
    drop policy if exists scope_read on smf.meter;
    create policy scope_read on smf.meter for select
        using ((select smf.scope_all()) or id = any ((select smf.scope_meter_ids())::int[]));
    drop policy if exists scope_insert on smf.meter;
    create policy scope_insert on smf.meter for insert with check ((select smf.scope_all()));
    drop policy if exists scope_update on smf.meter;
    create policy scope_update on smf.meter for update
        using ((select smf.scope_all())
               or ((select smf.scope_writes()) and id = any ((select smf.scope_meter_ids())::int[])));

    alter table smf.consumer_unit enable row level security;
    drop policy if exists scope_read on smf.consumer_unit;
    -- (the distributor term lets an analyst see the UC it has just inserted: scope_uc_ids()
    -- reads the statement's snapshot, which does not hold the new row)
    create policy scope_read on smf.consumer_unit for select
        using ((select smf.scope_all()) or id = any ((select smf.scope_uc_ids())::int[])
               or distributor_id = any ((select smf.scope_distributor_ids())::int[]));
    drop policy if exists scope_insert on smf.consumer_unit;
    create policy scope_insert on smf.consumer_unit for insert
        with check ((select smf.scope_all())
                    or ((select smf.scope_writes())
                        and distributor_id = any ((select smf.scope_distributor_ids())::int[])));
    drop policy if exists scope_update on smf.consumer_unit;
    create policy scope_update on smf.consumer_unit for update
        using ((select smf.scope_all())
               or ((select smf.scope_writes()) and id = any ((select smf.scope_uc_ids())::int[])))
        with check ((select smf.scope_all())
                    or ((select smf.scope_writes()) and id = any ((select smf.scope_uc_ids())::int[]))
                    or distributor_id = any ((select smf.scope_distributor_ids())::int[]));

    alter table smf.distributor enable row level security;
    drop policy if exists scope_read on smf.distributor;
    create policy scope_read on smf.distributor for select using (true);
    drop policy if exists scope_insert on smf.distributor;
    create policy scope_insert on smf.distributor for insert with check ((select smf.scope_all()));
    drop policy if exists scope_update on smf.distributor;
    create policy scope_update on smf.distributor for update using ((select smf.scope_all()));

    alter table smf.read_request enable row level security;
    drop policy if exists scope_insert on smf.read_request;
    create policy scope_insert on smf.read_request for insert
        with check ((select smf.scope_all())
                    or ((select smf.scope_writes())
                        and meter_id = any ((select smf.scope_meter_ids())::int[])));

    alter table smf.energy_contract enable row level security;
    drop policy if exists scope_read on smf.energy_contract;
    create policy scope_read on smf.energy_contract for select
        using ((select smf.scope_all()) or buyer_uc_id = any ((select smf.scope_uc_ids())::int[]));
    foreach t in array array['contract_month_volume', 'contract_hour_volume'] loop
        execute format('alter table smf.%I enable row level security', t);
        execute format('drop policy if exists scope_read on smf.%I', t);
        execute format('create policy scope_read on smf.%I for select using ((select smf.scope_all())'
                       ' or exists (select 1 from smf.energy_contract c where c.id = contract_id))', t);
    end loop;

    -- Alarm thresholds: a meter's own, its UC group's, and the defaults (no meter, no group: the
    -- same for everyone; without them a scoped reader's alarm coverage says 'not programmed').
    if to_regclass('smf.alarm_threshold') is not null then
        alter table smf.alarm_threshold enable row level security;
        drop policy if exists scope_read on smf.alarm_threshold;
        create policy scope_read on smf.alarm_threshold for select
            using ((select smf.scope_all())
                   or meter_id = any ((select smf.scope_meter_ids())::int[])
                   or (meter_id is null and group_id is null)
                   or exists (select 1 from smf.alarm_group_member gm where gm.group_id = alarm_threshold.group_id));
        -- Writes through the API run as the caller (smf.alarm_set_threshold, acknowledge and
        -- close): a writer (smf.scope_writes()) may program a meter of its scope; a default or a
        -- group threshold, which applies to meters outside any one scope, needs scope_all.
        grant insert, update, delete on smf.alarm_threshold to smf_api;
        drop policy if exists scope_insert on smf.alarm_threshold;
        create policy scope_insert on smf.alarm_threshold for insert
            with check ((select smf.scope_all())
                        or ((select smf.scope_writes())
                            and meter_id = any ((select smf.scope_meter_ids())::int[])));
        drop policy if exists scope_update on smf.alarm_threshold;
        create policy scope_update on smf.alarm_threshold for update
            using ((select smf.scope_all())
                   or ((select smf.scope_writes())
                       and meter_id = any ((select smf.scope_meter_ids())::int[])));
        drop policy if exists scope_delete on smf.alarm_threshold;
        create policy scope_delete on smf.alarm_threshold for delete
            using ((select smf.scope_all())
                   or ((select smf.scope_writes())
                       and meter_id = any ((select smf.scope_meter_ids())::int[])));
        -- The lifecycle columns of an alarm of the writer's scope (acknowledge, close); the
        -- evaluation columns stay the owner's. The transition's outbox row (trigger
        -- smf.alarm_notify) is inserted as the caller too, for an alarm it can see.
        grant update (state, acknowledged_by, acknowledged_at, ack_comment, closed_by, closed_at,
                      close_comment, updated_at) on smf.alarm to smf_api;
        drop policy if exists scope_update on smf.alarm;
        create policy scope_update on smf.alarm for update
            using ((select smf.scope_all())
                   or ((select smf.scope_writes())
                       and meter_id = any ((select smf.scope_meter_ids())::int[])));
        grant insert on smf.alarm_notification to smf_api;
        drop policy if exists scope_insert on smf.alarm_notification;
        create policy scope_insert on smf.alarm_notification for insert
            with check (exists (select 1 from smf.alarm a where a.id = alarm_id));
    end if;

    -- Every other table smf_api may read is filtered too (deny by default): by its meter, UC or
    -- distributor column, or visible to admin/service principals only. Reference data (calendars,
    -- tariffs, postos, PLD, settings, rule definitions) stays readable by every principal: the
    -- rules a client may call read it. A table added later gets a policy at the next apply;
    -- tests/api/test_scope_sql.py fails when one is readable without a policy.
    for t, c in select cl.relname, array_agg(a.attname::text)
                from pg_class cl join pg_namespace n on n.oid = cl.relnamespace
                left join pg_attribute a on a.attrelid = cl.oid and a.attnum > 0 and not a.attisdropped
                     and a.attname in ('meter_id', 'uc_id', 'consumer_unit_id', 'distributor_id')
                where n.nspname = 'smf' and cl.relkind in ('r', 'p')
                  and has_table_privilege('smf_api', cl.oid, 'select')
                  and cl.relname <> all (smf.scope_reference_tables() || explicit)
                group by cl.relname loop
        execute format('alter table smf.%I enable row level security', t);
        execute format('drop policy if exists scope_read on smf.%I', t);
        execute format('create policy scope_read on smf.%I for select using (%s)', t,
            case when 'meter_id' = any (c) then visible_meter
                 when 'uc_id' = any (c) then
                     '(select smf.scope_all()) or uc_id = any ((select smf.scope_uc_ids())::int[])'
                 when 'consumer_unit_id' = any (c) then
                     '(select smf.scope_all()) or consumer_unit_id = any ((select smf.scope_uc_ids())::int[])'
                 when 'distributor_id' = any (c) then
                     '(select smf.scope_all()) or distributor_id = any ((select smf.scope_distributor_ids())::int[])'
                 else '(select smf.scope_all())' end);
    end loop;
    -- (schema smf_read is rebuilt by 999_read_views.sql, after every file that creates a view)

    perform smf.database_grants();
end $$;
