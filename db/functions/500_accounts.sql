-- Accounts, API keys and scopes: who the current principal is and which UCs and meters it may see.
-- The row-level policies (510_scope_policies.sql) call the scope_* functions; they are SECURITY
-- DEFINER (owned by the schema owner, which bypasses row-level security) so they can read the
-- account tables, which no reader is granted. They are PL/pgSQL, not SQL: a policy calls them
-- in every statement that reads a filtered table (and every statement inside the functions it
-- calls), and a SECURITY DEFINER SQL function is planned anew on every call, while PL/pgSQL keeps
-- its statements' plans for the session (a pooled API connection: 3-4x cheaper per statement).

-- principal: the account the current statement acts for, or null (then nothing is visible).
-- A service session (its login role may become smf_api: the API's pool user smf_svc_api, or the
-- owner) acts for the account the service names in the transaction setting smf.principal, and
-- only for it: it never becomes an account because an account's db_role matches its login. A
-- reader session (a login role mapped to an account by account.db_role: Grafana, psql) is that
-- account, whatever it sets; it cannot become smf_api, so it cannot name another.
create or replace function smf.principal() returns int
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
begin
    return (
        select a.id
        from smf.account a
        where a.disabled_at is null
          and case when pg_has_role(session_user, 'smf_api', 'MEMBER')
                   then a.id = nullif(current_setting('smf.principal', true), '')::int
                   else a.db_role = session_user end
        limit 1
    );
end
$$;

-- principal_role: 'admin', 'analyst', 'client', 'service' or null (no principal).
create or replace function smf.principal_role() returns text
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
declare
    v_principal int := smf.principal();  -- once (a filter would call it for every row)
begin
    return (
        select a.role from smf.account a where a.id = v_principal
    );
end
$$;

-- scope_all: true when the principal sees every row (admin, service).
create or replace function smf.scope_all() returns boolean
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
begin
    return coalesce(smf.principal_role() in ('admin', 'service'), false);
end
$$;

-- scope_uc_ids: ids of the consumer units the principal's scopes name (its own UCs, the UCs of
-- its distributors and of its UC groups). Empty for no principal; not used for scope_all.
create or replace function smf.scope_uc_ids() returns int[]
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
declare
    v_principal int := smf.principal();  -- once (a filter would call it for every row)
begin
    return (
        select coalesce(array_agg(distinct u.id), '{}')
        from smf.account_scope s
        join smf.consumer_unit u
          on u.id = s.uc_id
          or u.distributor_id = s.distributor_id
          or u.id in (select m.uc_id from smf.uc_group_member m where m.group_id = s.group_id)
        where s.account_id = v_principal
    );
end
$$;

-- scope_meter_ids: the main and backup meters of the principal's UCs.
create or replace function smf.scope_meter_ids() returns int[]
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
declare
    v_ucs int[] := smf.scope_uc_ids();  -- once (a filter would call it for every row)
begin
    return (
        select coalesce(array_agg(distinct m), '{}')
        from smf.consumer_unit u, unnest(array[u.main_meter_id, u.backup_meter_id]) m
        where u.id = any (v_ucs) and m is not null
    );
end
$$;

-- scope_distributor_ids: distributors the principal may register UCs under (analyst scopes).
create or replace function smf.scope_distributor_ids() returns int[]
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
declare
    v_principal int := smf.principal();  -- once (a filter would call it for every row)
begin
    return (
        select coalesce(array_agg(distinct s.distributor_id), '{}')
        from smf.account_scope s
        where s.account_id = v_principal and s.distributor_id is not null
    );
end
$$;

-- scope_writes: true when the principal may write registration data (admin, analyst, service).
create or replace function smf.scope_writes() returns boolean
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
begin
    return coalesce(smf.principal_role() in ('admin', 'analyst', 'service'), false);
end
$$;

-- api_key_lookup: the live key p_key_id with its account (id, name, role) and argon2id hash;
-- no row for an unknown, revoked or expired key or a disabled account. Only the API may call it.
create or replace function smf.api_key_lookup(p_key_id text)
returns table (account_id int, account_name text, role text, hash text)
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
begin
    return query
    select a.id, a.name, a.role, k.hash
    from smf.api_key k join smf.account a on a.id = k.account_id
    where k.id = p_key_id and k.revoked_at is null and a.disabled_at is null
      and (k.expires_at is null or k.expires_at > now());
end
$$;

-- login_blocked: seconds the source address must still wait before another login attempt:
-- after p_max failures within p_window, until the oldest of them leaves the window. 0 = go.
create or replace function smf.login_blocked(p_source text, p_max int default 10,
                                             p_window interval default '5 minutes')
returns int
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
begin
    return coalesce((
        select greatest(1, ceil(extract(epoch from (min(f.at) + p_window - clock_timestamp())))::int)
        from (select l.at from smf.login_failure l
              where l.source = p_source and l.at > clock_timestamp() - p_window
              order by l.at desc limit p_max) f
        having count(*) >= p_max), 0);
end
$$;

-- login_failed: record a failed login from p_source (and forget failures older than a day).
create or replace function smf.login_failed(p_source text) returns void
language sql volatile security definer set search_path = smf, pg_catalog as $$
    delete from smf.login_failure where at < clock_timestamp() - interval '1 day';
    insert into smf.login_failure (source, at) values (p_source, clock_timestamp());
$$;

-- account_add: create an account (name, role, optional database login role); returns its id.
-- The db_role must be one --db-role may use (smf.db_role_usable): SMF02 otherwise.
create or replace function smf.account_add(p_name text, p_role text, p_db_role text default null)
returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_why text := case when p_db_role is not null then smf.db_role_refusal(p_db_role) end;
    v_id int;
begin
    if v_why is not null then
        raise exception '%', v_why using errcode = 'SMF02';
    end if;
    insert into smf.account (name, role, db_role) values (p_name, p_role, p_db_role)
    returning id into v_id;
    return v_id;
end $$;

-- account_scope_add: grant account p_name the distributor (by ANEEL code), UC group or UC
-- p_ref; p_kind is 'distributor', 'group' or 'uc'. SMF04 when the account or p_ref is unknown.
create or replace function smf.account_scope_add(p_name text, p_kind text, p_ref text)
returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_account int := (select id from smf.account where name = p_name);
    v_id int;
begin
    if v_account is null then
        raise exception 'unknown account %', p_name using errcode = 'SMF04';
    end if;
    if p_kind = 'distributor' then
        select id into v_id from smf.distributor where aneel_code = p_ref;
    elsif p_kind = 'group' then
        select id into v_id from smf.uc_group where name = p_ref;
        if v_id is null then
            insert into smf.uc_group (name) values (p_ref) returning id into v_id;
        end if;
    elsif p_kind = 'uc' then
        select id into v_id from smf.consumer_unit where uc_code = p_ref;
    else
        raise exception 'scope kind must be distributor, group or uc, not %', p_kind
            using errcode = 'SMF02';
    end if;
    if v_id is null then
        raise exception 'unknown % %', p_kind, p_ref using errcode = 'SMF04';
    end if;
    insert into smf.account_scope (account_id, distributor_id, group_id, uc_id)
    values (v_account, case when p_kind = 'distributor' then v_id end,
            case when p_kind = 'group' then v_id end, case when p_kind = 'uc' then v_id end)
    on conflict do nothing;
end $$;

-- uc_group_add_member: put UC p_uc_code in group p_group (created when missing).
create or replace function smf.uc_group_add_member(p_group text, p_uc_code text) returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_group int := (select id from smf.uc_group where name = p_group);
    v_uc int := (select id from smf.consumer_unit where uc_code = p_uc_code);
begin
    if v_uc is null then
        raise exception 'unknown UC %', p_uc_code using errcode = 'SMF04';
    end if;
    if v_group is null then
        insert into smf.uc_group (name) values (p_group) returning id into v_group;
    end if;
    insert into smf.uc_group_member (group_id, uc_id) values (v_group, v_uc) on conflict do nothing;
end $$;

-- api_key_add: store a new key (id, argon2id hash) for account p_name, valid until
-- p_expires_at (null: until revoked); SMF04 for no account, SMF02 for an expiry in the past.
create or replace function smf.api_key_add(p_name text, p_key_id text, p_hash text, p_label text,
                                           p_expires_at timestamptz)
returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_account int := (select id from smf.account where name = p_name and disabled_at is null);
begin
    if v_account is null then
        raise exception 'unknown or disabled account %', p_name using errcode = 'SMF04';
    end if;
    if p_expires_at <= now() then
        raise exception 'key expiry % is not in the future', p_expires_at using errcode = 'SMF02';
    end if;
    insert into smf.api_key (id, account_id, hash, label, expires_at)
    values (p_key_id, v_account, p_hash, p_label, p_expires_at);
end $$;

-- api_key_retire_others: the live keys of account p_name other than p_keep stop working at
-- p_at (now: revoked at once; later: they expire then, a grace period for clients to switch);
-- returns how many keys were changed. Used by `smf user key --rotate`.
create or replace function smf.api_key_retire_others(p_name text, p_keep text, p_at timestamptz)
returns int
language sql volatile set search_path = smf, pg_catalog as $$
    with r as (
        update smf.api_key k
        set revoked_at = case when p_at <= now() then now() end,
            expires_at = case when p_at > now() then least(coalesce(k.expires_at, p_at), p_at)
                              else k.expires_at end
        where k.account_id = (select id from smf.account where name = p_name)
          and k.id <> p_keep and k.revoked_at is null
          and (k.expires_at is null or k.expires_at > now())
        returning 1)
    select count(*)::int from r
$$;

-- api_key_revoke: revoke key p_key_id, or every key of account p_key_id when it names an
-- account; returns how many keys were revoked now.
create or replace function smf.api_key_revoke(p_ref text) returns int
language sql volatile set search_path = smf, pg_catalog as $$
    with r as (
        update smf.api_key k set revoked_at = now()
        where k.revoked_at is null
          and (k.id = p_ref or k.account_id = (select id from smf.account where name = p_ref))
        returning 1)
    select count(*)::int from r
$$;

-- db_role_refusal: why p_role may not be an account's database login role, or null when it
-- may: a NEW name in the project's namespace (smf_ followed by letters, digits, _; not a
-- service name smf_svc_*), or a role the project made as a reader (smf.db_role kind 'reader')
-- that is no superuser, cannot bypass row-level security and cannot become a service role.
-- Never the owner, a superuser, a service role or any other existing role it did not make.
create or replace function smf.db_role_refusal(p_role text) returns text
language sql stable set search_path = smf, pg_catalog as $$
    select case
        when p_role is null or p_role !~ '^smf_[a-z0-9_]{1,59}$' or p_role ~ '^smf_svc_'
            then format('database role %s: a new role name must start with smf_ (letters, digits, _; '
                        'not smf_svc_), e.g. smf_grafana_sul', coalesce(p_role, 'null'))
        when r.oid is null then null  -- a new name: it will be made a reader
        when r.rolsuper then format('database role %s is a superuser: refused', p_role)
        when coalesce(d.kind, '') <> 'reader'
            then format('database role %s exists and was not made by smf as a reader role: refused '
                        '(choose a new name)', p_role)
        when r.rolbypassrls or pg_has_role(r.oid, 'smf_api', 'MEMBER')
             or pg_has_role(r.oid, 'smf_writer', 'MEMBER')
            then format('database role %s can bypass row-level security or become a service role: '
                        'refused', p_role)
        end
    from (select 1) one
    left join pg_roles r on r.rolname = p_role
    left join smf.db_role d on d.name = p_role
$$;

-- db_role_create: create database login role p_role for direct SQL (member of smf_reader, no
-- other right) with the SCRAM-SHA-256 verifier p_verifier (the password itself never reaches
-- the server), or give a reader role smf made earlier a new password. Refuses (SMF02) every
-- name smf.db_role_refusal refuses: the owner, superusers, service and foreign roles.
create or replace function smf.db_role_create(p_role text, p_verifier text) returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_why text := smf.db_role_refusal(p_role);
begin
    if v_why is not null then
        raise exception '%', v_why using errcode = 'SMF02';
    end if;
    if p_verifier not like 'SCRAM-SHA-256$%' then
        raise exception 'a SCRAM-SHA-256 verifier is required' using errcode = 'SMF02';
    end if;
    if exists (select 1 from pg_roles where rolname = p_role) then
        execute format('alter role %I login password %L', p_role, p_verifier);
    else
        execute format('create role %I login nosuperuser nocreatedb nocreaterole noreplication '
                       'nobypassrls password %L in role smf_reader', p_role, p_verifier);
        insert into smf.db_role (name, kind) values (p_role, 'reader');
    end if;
    execute format('grant smf_reader to %I', p_role);
end $$;
