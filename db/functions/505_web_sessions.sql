-- Web sessions of the client view (table smf.web_session, revision 0019), shared by every worker
-- of `smf serve`: the browser holds a random token, the database its SHA-256 only. These functions
-- are the only way in (SECURITY DEFINER; execute granted to the API's login role smf_svc_api in
-- 510_scope_policies.sql, to nobody else).

-- web_session_open: open a session for the live API key p_key_id (the caller has just verified
-- its secret), valid for p_ttl from now; forgets expired sessions on the way. Returns the expiry
-- (timestamptz). SMF04 when the key is not live (unknown, revoked, expired, account disabled);
-- SMF02 for a token hash that is not 32 bytes or a ttl that is not positive.
create or replace function smf.web_session_open(p_token_sha256 bytea, p_key_id text, p_ttl interval)
returns timestamptz
language plpgsql volatile security definer set search_path = smf, pg_catalog as $$
declare
    v_account int;
    v_expires timestamptz := now() + p_ttl;
begin
    if length(p_token_sha256) is distinct from 32 then
        raise exception 'a session token hash is 32 bytes (SHA-256)' using errcode = 'SMF02';
    end if;
    if p_ttl is null or p_ttl <= interval '0' then
        raise exception 'session lifetime % is not positive', p_ttl using errcode = 'SMF02';
    end if;
    select k.account_id into v_account from smf.api_key_lookup(p_key_id) k;
    if v_account is null then
        raise exception 'API key % is not live', p_key_id using errcode = 'SMF04';
    end if;
    delete from smf.web_session where expires_at <= now();
    insert into smf.web_session (token_sha256, account_id, key_id, expires_at)
    values (p_token_sha256, v_account, p_key_id, v_expires);
    return v_expires;
end
$$;

-- web_session_principal: for a page request from p_source, the seconds it must wait (the
-- failed-login lockout of smf.login_blocked, 0 = go) and, when the session p_token_sha256 is
-- unexpired and its key still live, its account (id, name, role). Always one row; the account
-- columns are null without a valid session.
create or replace function smf.web_session_principal(p_token_sha256 bytea, p_source text)
returns table (wait_s int, account_id int, account_name text, role text)
language plpgsql stable security definer set search_path = smf, pg_catalog as $$
begin
    -- (PL/pgSQL: every page view calls it, and its plan is kept for the pooled session)
    return query
    select smf.login_blocked(p_source), k.account_id, k.account_name, k.role
    from (select 1) one
    left join smf.web_session s on s.token_sha256 = p_token_sha256 and s.expires_at > now()
    left join lateral smf.api_key_lookup(s.key_id) k on s.key_id is not null;
end
$$;

-- web_session_close: end session p_token_sha256 (logout); true when there was one.
create or replace function smf.web_session_close(p_token_sha256 bytea) returns boolean
language sql volatile security definer set search_path = smf, pg_catalog as $$
    with d as (delete from smf.web_session where token_sha256 = p_token_sha256 returning 1)
    select exists (select 1 from d)
$$;
