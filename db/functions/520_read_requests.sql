-- On-demand reads: the API enqueues, a running poller claims, reads and completes. A NOTIFY on
-- channel smf_read_request (payload: the request id) wakes a listening poller at once; a poller
-- that was not listening finds queued requests with read_request_claim when it next looks.

-- read_request_enqueue: queue an on-demand read of meter p_serial (kind 'intervals',
-- 'registers', 'instantaneous' or 'full') for account p_account; returns the request id.
-- SMF04 for an unknown or invisible meter, SMF02 for a retired one.
create or replace function smf.read_request_enqueue(p_serial text, p_kind text, p_account int)
returns bigint
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_meter smf.meter;
    v_id bigint;
begin
    select * into v_meter from smf.meter where serial = p_serial;
    if not found then
        raise exception 'unknown meter %', p_serial using errcode = 'SMF04';
    end if;
    if v_meter.retired_at is not null then
        raise exception 'meter % is retired', p_serial using errcode = 'SMF02';
    end if;
    insert into smf.read_request (meter_id, kind, requested_by)
    values (v_meter.id, p_kind, p_account) returning id into v_id;
    perform pg_notify('smf_read_request', v_id::text);
    return v_id;
end $$;

-- read_request_claim: claim up to p_limit queued requests (oldest first) for poller p_holder,
-- also taking back requests left 'running' longer than p_stale by a poller that died. Returns
-- the claimed requests with the meter serial; concurrent pollers never claim the same one.
create or replace function smf.read_request_claim(p_holder text, p_limit int default 10,
                                                  p_stale interval default '10 minutes')
returns table (id bigint, meter_id int, serial text, kind text, requested_at timestamptz)
language sql volatile set search_path = smf, pg_catalog as $$
    with c as (
        select r.id from smf.read_request r
        where r.status = 'queued'
           or (r.status = 'running' and r.claimed_at < clock_timestamp() - p_stale)
        order by r.requested_at, r.id
        limit p_limit
        for update skip locked),
    u as (
        update smf.read_request r
        set status = 'running', claimed_by = p_holder, claimed_at = clock_timestamp()
        from c where r.id = c.id
        returning r.id, r.meter_id, r.kind, r.requested_at)
    select u.id, u.meter_id, m.serial, u.kind, u.requested_at
    from u join smf.meter m on m.id = u.meter_id
    order by u.requested_at, u.id
$$;

-- read_request_complete: finish request p_id claimed by p_holder: done with p_result (a JSON
-- summary of what was read) or failed with p_error. False when p_holder no longer holds it.
create or replace function smf.read_request_complete(p_id bigint, p_holder text, p_ok boolean,
                                                     p_result jsonb default null,
                                                     p_error text default null)
returns boolean
language sql volatile set search_path = smf, pg_catalog as $$
    with done as (
        update smf.read_request
        set status = case when p_ok then 'done' else 'failed' end,
            finished_at = clock_timestamp(), result = p_result, error = p_error
        where id = p_id and claimed_by = p_holder and status = 'running'
        returning 1)
    select exists (select 1 from done)
$$;

-- read_request_status: one request as the API shows it (row-level security applies: a caller
-- sees only requests of the meters it may see).
create or replace function smf.read_request_status(p_id bigint)
returns table (id bigint, serial text, kind text, status text, requested_at timestamptz,
               claimed_at timestamptz, finished_at timestamptz, result jsonb, error text)
language sql stable set search_path = smf, pg_catalog as $$
    select r.id, m.serial, r.kind, r.status, r.requested_at, r.claimed_at, r.finished_at,
           r.result, r.error
    from smf.read_request r join smf.meter m on m.id = r.meter_id
    where r.id = p_id
$$;
