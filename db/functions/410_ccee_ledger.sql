-- CCEE daily submission, part 2: the due-work queue (smf.ccee_uc_day), exactly-once claiming,
-- the attempt ledger (smf.ccee_attempt), releases, read-back verdicts and the deadline board.
-- "Today" is the CCEE day (-03:00) of p_now. A UC-day of month M is sent and re-sent
-- automatically while today <= MS+7du of M (smf.ccee_deadline 'measurement'); after that it is
-- 'late' and goes out only on an explicit command (smf ccee submit --uc --day).

-- ccee_today: the CCEE day (-03:00) of instant p_now.
create or replace function smf.ccee_today(p_now timestamptz) returns date
language sql immutable strict parallel safe set search_path = pg_catalog as $$
    select ((p_now at time zone 'UTC') - interval '3 hours')::date
$$;

-- ccee_deadline_of: the consolidation deadline (MS+7du by default) of the month of day p_day.
create or replace function smf.ccee_deadline_of(p_day date) returns date
language sql stable set search_path = smf, pg_catalog as $$
    select smf.ms_du(p_day, coalesce((select business_days from smf.ccee_deadline
                                      where code = 'measurement'
                                        and valid_during @> date_trunc('month', p_day)::date), 7))
$$;

-- ccee_open_from: the first day whose month's deadline has not passed on CCEE day of p_now:
-- the first of the previous month until its MS+7du, then the first of the current month.
create or replace function smf.ccee_open_from(p_now timestamptz) returns date
language sql stable set search_path = smf, pg_catalog as $$
    select case when smf.ccee_today(p_now)
                     <= smf.ccee_deadline_of((date_trunc('month', smf.ccee_today(p_now)) - interval '1 month')::date)
                then (date_trunc('month', smf.ccee_today(p_now)) - interval '1 month')::date
                else date_trunc('month', smf.ccee_today(p_now))::date end
$$;

-- ccee_enqueue: make the UC-days of [p_from, p_to] (days already over at p_now) of every UC in
-- the retail model due work, once; mark accepted or rejected days whose stored data changed
-- (fingerprint) due again while their deadline is open, 'late' after it; mark unsent days of
-- closed months 'late'. Returns (new, changed, late) counts.
create or replace function smf.ccee_enqueue(p_from date, p_to date, p_now timestamptz default now())
returns table (new_days int, changed_days int, late_days int)
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_open date := smf.ccee_open_from(p_now);
    v_to date := least(p_to, smf.ccee_today(p_now) - 1);
begin
    if p_from is null or p_to is null or p_from > p_to then
        raise exception using errcode = 'SMF02',
            message = format('ccee_enqueue: day range %s..%s is empty', p_from, p_to);
    end if;
    insert into smf.ccee_uc_day (consumer_unit_id, day, state, trigger, next_try_at, late, updated_at)
    select r.consumer_unit_id, d::date, case when d::date >= v_open then 'due' else 'late' end,
           'schedule', p_now, d::date < v_open, p_now
    from smf.ccee_retail_uc r
    cross join generate_series(greatest(p_from, lower(r.valid_during)),
                               least(v_to, coalesce(upper(r.valid_during) - 1, v_to)), interval '1 day') d
    on conflict (consumer_unit_id, day) do nothing;
    get diagnostics new_days = row_count;

    update smf.ccee_uc_day u
    set state = case when u.day >= v_open then 'due' else 'late' end,
        late = u.day < v_open, next_try_at = p_now, trigger = 'schedule', updated_at = p_now
    where u.state in ('accepted', 'rejected') and u.day between p_from and v_to
      and u.fingerprint is distinct from smf.ccee_fingerprint(u.consumer_unit_id, u.day);
    get diagnostics changed_days = row_count;

    update smf.ccee_uc_day u set state = 'late', late = true, updated_at = p_now
    where u.state in ('due', 'failed', 'held') and u.day < v_open;
    get diagnostics late_days = row_count;
    return next;
end
$$;

-- ccee_claim: claim up to p_limit due UC-days for sender p_holder for p_lease_s seconds
-- (FOR UPDATE SKIP LOCKED: two senders never claim the same UC-day). Due: state due, failed or
-- held whose next_try_at has come, or a claim whose lease lapsed (its sender died); only days of
-- months whose deadline is open. Returns the claimed UC-days with their attempt number.
create or replace function smf.ccee_claim(p_holder text, p_limit int, p_lease_s int,
                                          p_now timestamptz default now())
returns table (consumer_unit_id int, uc_code text, day date, attempt int, trigger text, accepted_hash text)
language sql volatile set search_path = smf, pg_catalog as $$
    with c as (
        select d.consumer_unit_id, d.day
        from smf.ccee_uc_day d
        where d.state in ('due', 'failed', 'held', 'claimed')
          and ((d.state <> 'claimed' and d.next_try_at <= p_now)
               or (d.state = 'claimed' and d.claim_expires < p_now))
          and d.day >= (select smf.ccee_open_from(p_now))  -- once, not per row
        order by d.day, d.consumer_unit_id
        limit p_limit
        for update skip locked
    )
    update smf.ccee_uc_day u
    set trigger = case when u.state in ('failed', 'claimed') then 'retry'
                       when u.trigger = 'release' then 'release' else 'schedule' end,
        state = 'claimed', claimed_by = p_holder,
        claim_expires = p_now + p_lease_s * interval '1 second', attempts = u.attempts + 1,
        updated_at = p_now
    from c
    where u.consumer_unit_id = c.consumer_unit_id and u.day = c.day
    returning u.consumer_unit_id, (select cu.uc_code::text from smf.consumer_unit cu
                                   where cu.id = u.consumer_unit_id),
              u.day, u.attempts, u.trigger, u.accepted_hash::text
$$;

-- ccee_claim_one: claim UC p_uc_code's day p_day for an explicit command (any state, also late
-- or accepted), unless another sender holds a live claim on it (SMF02 naming the holder).
create or replace function smf.ccee_claim_one(p_uc_code text, p_day date, p_holder text, p_lease_s int,
                                              p_now timestamptz default now())
returns table (consumer_unit_id int, uc_code text, day date, attempt int, trigger text, accepted_hash text)
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_uc int := smf.uc_id(p_uc_code);
    v_row smf.ccee_uc_day;
begin
    insert into smf.ccee_uc_day (consumer_unit_id, day, state, trigger, next_try_at, updated_at)
    values (v_uc, p_day, 'due', 'manual', p_now, p_now) on conflict do nothing;
    select * into v_row from smf.ccee_uc_day d where d.consumer_unit_id = v_uc and d.day = p_day for update;
    if v_row.state = 'claimed' and v_row.claim_expires >= p_now and v_row.claimed_by <> p_holder then
        raise exception using errcode = 'SMF02',
            message = format('UC %s day %s is being sent by %s (claim until %s)', p_uc_code, p_day,
                             v_row.claimed_by, v_row.claim_expires);
    end if;
    return query
    update smf.ccee_uc_day u
    set state = 'claimed', claimed_by = p_holder, claim_expires = p_now + p_lease_s * interval '1 second',
        attempts = u.attempts + 1, trigger = case when u.day < smf.ccee_open_from(p_now) then 'late' else 'manual' end,
        updated_at = p_now
    where u.consumer_unit_id = v_uc and u.day = p_day
    returning u.consumer_unit_id, p_uc_code, u.day, u.attempts, u.trigger, u.accepted_hash::text;
end
$$;

-- ccee_record: record one attempt of sender p_holder for UC p_uc, day p_day, and move the
-- UC-day on. p_outcome: accepted / rejected / failed / held (ledger row + state) or unchanged
-- (the payload equals the last accepted one: no ledger row, state accepted). p_body is stored
-- once per p_hash. The state moves only while p_holder still holds the claim; returns whether
-- it did. failed: next try after ccee_retry_base_s x 2^(attempt-1) s (at most 6 h); held: after
-- ccee_held_recheck_s.
create or replace function smf.ccee_record(
    p_uc int, p_day date, p_holder text, p_attempt int, p_trigger text, p_started timestamptz,
    p_hash text, p_body text, p_status int, p_response text, p_outcome text, p_reasons jsonb,
    p_warning text, p_fingerprint text, p_now timestamptz default now())
returns boolean
language sql volatile set search_path = smf, pg_catalog as $$
    select smf.ccee_record_at(p_uc, p_day, p_holder, p_attempt, p_trigger, p_started, p_hash, p_body,
                              p_status, p_response, p_outcome, p_reasons, p_warning, p_fingerprint, p_now,
                              smf.ccee_open_from(p_now))
$$;

-- ccee_record_at: smf.ccee_record with the first open day (smf.ccee_open_from(p_now)) given,
-- so a batch computes it once.
create or replace function smf.ccee_record_at(
    p_uc int, p_day date, p_holder text, p_attempt int, p_trigger text, p_started timestamptz,
    p_hash text, p_body text, p_status int, p_response text, p_outcome text, p_reasons jsonb,
    p_warning text, p_fingerprint text, p_now timestamptz, p_open_from date)
returns boolean
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_late boolean := p_day < p_open_from;
    v_moved int;
begin
    if p_outcome not in ('accepted', 'rejected', 'failed', 'held', 'unchanged') then
        raise exception using errcode = 'SMF02', message = format('unknown outcome %s', p_outcome);
    end if;
    -- The commit of a record does not wait for the WAL flush: a server crash could forget the
    -- last few records (never a process kill), and those UC-days are then posted again with the
    -- same payload, which the delivery guarantee already allows. On a failover formation
    -- (synchronous_standby_names set: docs/operations.md) the cluster's own setting stays, so a
    -- record is on the standby before its commit returns and a failover forgets no acceptance.
    if current_setting('synchronous_standby_names') = '' then
        perform set_config('synchronous_commit', 'off', true);
    end if;
    if p_hash is not null and p_body is not null then
        insert into smf.ccee_payload (hash, body) values (p_hash, p_body) on conflict do nothing;
    end if;
    if p_outcome <> 'unchanged' then
        insert into smf.ccee_attempt (consumer_unit_id, uc_code, day, attempt, trigger, holder, started_at,
                                      finished_at, payload_hash, http_status, response_body, outcome, reasons,
                                      warning, late)
        select p_uc, cu.uc_code, p_day, p_attempt, coalesce(p_trigger, 'schedule'), p_holder, p_started, p_now,
               p_hash, p_status, left(p_response, 20000), p_outcome, p_reasons, p_warning, v_late
        from smf.consumer_unit cu where cu.id = p_uc;
    end if;
    update smf.ccee_uc_day u
    set state = case p_outcome when 'unchanged' then 'accepted' else p_outcome end,
        claimed_by = null, claim_expires = null,
        last_hash = coalesce(p_hash, u.last_hash),
        accepted_hash = case when p_outcome = 'accepted' then p_hash else u.accepted_hash end,
        accepted_at = case when p_outcome = 'accepted' then p_now else u.accepted_at end,
        fingerprint = case when p_outcome in ('accepted', 'unchanged', 'rejected') then p_fingerprint
                           else u.fingerprint end,
        hold_reasons = case when p_outcome = 'held' then p_reasons end,
        late = v_late,
        next_try_at = case p_outcome
            when 'failed' then p_now + least(21600, smf.setting_text('ccee_retry_base_s', '900')::numeric
                                             * 2 ^ greatest(p_attempt - 1, 0)) * interval '1 second'
            when 'held' then p_now + smf.setting_text('ccee_held_recheck_s', '3600')::numeric * interval '1 second'
            else p_now end,
        updated_at = p_now
    where u.consumer_unit_id = p_uc and u.day = p_day and u.claimed_by = p_holder;
    get diagnostics v_moved = row_count;
    return v_moved > 0;
end
$$;

-- ccee_release: an analyst releases UC p_uc_code's day p_day, held by the MUSD rule, for sending:
-- records who (p_by) and why (p_reason) and makes the day due now. SMF02 when the day is not held
-- for that reason (with its state and reasons).
create or replace function smf.ccee_release(p_uc_code text, p_day date, p_by text, p_reason text,
                                            p_now timestamptz default now())
returns bigint
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_uc int := smf.uc_id(p_uc_code);
    v_row smf.ccee_uc_day;
    v_id bigint;
begin
    if coalesce(length(trim(p_reason)), 0) < 3 then
        raise exception using errcode = 'SMF02', message = 'a release needs a reason (at least 3 characters)';
    end if;
    if coalesce(trim(p_by), '') = '' then
        raise exception using errcode = 'SMF02', message = 'a release needs who releases it';
    end if;
    select * into v_row from smf.ccee_uc_day d where d.consumer_unit_id = v_uc and d.day = p_day for update;
    if not found or v_row.state <> 'held'
       or not coalesce(v_row.hold_reasons @> '[{"code": "musd_exceeded"}]', false) then
        raise exception using errcode = 'SMF02',
            message = format('UC %s day %s is not held by the MUSD rule (state %s%s); only MUSD holds are released',
                             p_uc_code, p_day, coalesce(v_row.state, 'never queued'),
                             coalesce(', reasons ' || (select string_agg(r ->> 'code', ', ')
                                                       from jsonb_array_elements(v_row.hold_reasons) r), ''));
    end if;
    insert into smf.ccee_release (consumer_unit_id, day, hold_reason, released_by, reason, released_at)
    values (v_uc, p_day, 'musd_exceeded', trim(p_by), trim(p_reason), p_now)
    returning id into v_id;
    update smf.ccee_uc_day set state = 'due', next_try_at = p_now, trigger = 'release', updated_at = p_now
    where consumer_unit_id = v_uc and day = p_day;
    return v_id;
end
$$;

-- ccee_release_claims: give back the claims of senders p_holders (known dead: a restart on the
-- same host) so they are retried at once; returns how many.
create or replace function smf.ccee_release_claims(p_holders text[], p_now timestamptz default now())
returns int
language sql volatile set search_path = smf, pg_catalog as $$
    with r as (
        update smf.ccee_uc_day set state = 'due', claimed_by = null, claim_expires = null, next_try_at = p_now,
                                   updated_at = p_now
        where state = 'claimed' and claimed_by = any (p_holders)
        returning 1
    )
    select count(*)::int from r
$$;

-- ccee_record_verdict: keep CCEE's read-back verdict of UC p_uc_code's day p_day: counts of
-- CONSISTIDA and REJEITADA values and the rejected stamps.
create or replace function smf.ccee_record_verdict(p_uc_code text, p_day date, p_consistida int,
                                                   p_rejeitada int, p_detail jsonb, p_now timestamptz default now())
returns boolean
language sql volatile set search_path = smf, pg_catalog as $$
    with u as (
        update smf.ccee_uc_day set verdict_consistida = p_consistida, verdict_rejeitada = p_rejeitada,
                                   verdict_detail = p_detail, verdict_at = p_now
        where consumer_unit_id = smf.uc_id(p_uc_code) and day = p_day
        returning 1
    )
    select exists (select 1 from u)
$$;

-- ccee_business_days_left: CCEE business days after CCEE day p_today up to p_deadline
-- (inclusive); 0 when the deadline is today or past.
create or replace function smf.ccee_business_days_left(p_today date, p_deadline date) returns int
language sql stable set search_path = smf, pg_catalog as $$
    select count(*)::int from generate_series(p_today + 1, p_deadline, interval '1 day') d
    where smf.is_business_day(d::date, 'ccee')
$$;

-- ccee_board: the deadline board of reference month p_month at p_now, per distributor and UC in
-- the retail model: days of the month registered and over (days_due); days with all 288 values
-- stored (complete); held (with reasons), sent (posted at least once), accepted, rejected,
-- failed and missing (due days not complete) days; the MS+7du date, CCEE business days left and
-- whether the UC-month is at risk (not every due day accepted).
create or replace function smf.ccee_board(p_month date, p_now timestamptz default now())
returns table (month date, distributor text, agent_code int, uc_code text, customer text,
               days_due int, complete int, held int, held_reasons text, sent int, accepted int,
               rejected int, failed int, missing int, deadline date, business_days_left int,
               at_risk boolean)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with m as (
        select date_trunc('month', p_month)::date as m0,
               (date_trunc('month', p_month) + interval '1 month - 1 day')::date as m1,
               smf.ccee_deadline_of(p_month) as deadline, smf.ccee_today(p_now) as today,
               smf.ccee_business_days_left(smf.ccee_today(p_now), smf.ccee_deadline_of(p_month)) as left_du
    ), days as (
        select r.consumer_unit_id, d::date as day
        from m cross join smf.ccee_retail_uc r
        cross join generate_series(greatest(m.m0, lower(r.valid_during)),
                                   least(m.m1, m.today - 1, coalesce(upper(r.valid_during) - 1, m.m1)),
                                   interval '1 day') d
    ), per_day as (
        select dd.consumer_unit_id, dd.day, q.state, q.hold_reasons,
               exists (select 1 from smf.ccee_attempt a where a.consumer_unit_id = dd.consumer_unit_id
                       and a.day = dd.day and a.outcome in ('accepted', 'rejected')) as sent,
               coalesce(rd.n_missing = 0 and rd.n_measured + rd.n_adjusted + rd.n_estimated = rd.n_expected,
                        false) as complete
        from days dd
        join smf.consumer_unit cu on cu.id = dd.consumer_unit_id
        left join smf.ccee_uc_day q on q.consumer_unit_id = dd.consumer_unit_id and q.day = dd.day
        left join smf.rollup_day rd on rd.meter_id = cu.main_meter_id and rd.bucket = dd.day
    )
    select m.m0, d.name, d.ccee_agent_code, cu.uc_code::text, cu.customer_name,
           count(p.day)::int,
           count(*) filter (where p.complete)::int,
           count(*) filter (where p.state = 'held')::int,
           (select string_agg(distinct r ->> 'code', ', ') from per_day p2, jsonb_array_elements(p2.hold_reasons) r
            where p2.consumer_unit_id = cu.id and p2.state = 'held'),
           count(*) filter (where p.sent)::int,
           count(*) filter (where p.state = 'accepted')::int,
           count(*) filter (where p.state = 'rejected')::int,
           count(*) filter (where p.state = 'failed')::int,
           count(*) filter (where p.day is not null and not p.complete)::int,
           m.deadline,
           m.left_du,
           count(*) filter (where p.state is distinct from 'accepted') > 0
    from m
    cross join smf.consumer_unit cu
    join smf.distributor d on d.id = cu.distributor_id
    join per_day p on p.consumer_unit_id = cu.id
    group by m.m0, m.deadline, m.today, m.left_du, d.name, d.ccee_agent_code, cu.id, cu.uc_code, cu.customer_name
    order by d.name, cu.uc_code
$$;

-- ccee_deadline_warnings: from MS+5du of each open month on CCEE day of p_now, the UC-months of
-- the board that are not complete and accepted (every due day accepted).
create or replace function smf.ccee_deadline_warnings(p_now timestamptz default now())
returns table (month date, uc_code text, distributor text, days_due int, accepted int, held int,
               missing int, deadline date, business_days_left int)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select b.month, b.uc_code, b.distributor, b.days_due, b.accepted, b.held, b.missing, b.deadline,
           b.business_days_left
    from (select (date_trunc('month', smf.ccee_today(p_now)) - interval '1 month')::date as m) mm
    cross join smf.ccee_board(mm.m, p_now) b
    where smf.ccee_today(p_now) >= smf.ms_du(mm.m, 5)
      and smf.ccee_today(p_now) <= b.deadline
      and (b.accepted < b.days_due or b.missing > 0)
$$;

-- ccee_board (view): the board of the current and the previous month (for Grafana; filter on
-- month). Functions give any month: smf.ccee_board(month).
create or replace view smf.ccee_board_recent as
    select b.* from generate_series(date_trunc('month', now() - interval '3 hours') - interval '1 month',
                                    date_trunc('month', now() - interval '3 hours'), interval '1 month') mm
    cross join smf.ccee_board(mm::date) b;
comment on view smf.ccee_board_recent is 'CCEE deadline board of the current and previous month: per UC, days complete/held/sent/accepted/rejected/missing, MS+7du and business days left.';

-- ccee_record_batch: smf.ccee_record for each element of the jsonb array p_items (keys: uc, day,
-- holder, attempt, trigger, started, hash, body, status, response, outcome, reasons, warning,
-- fingerprint) in one call and one transaction; returns how many moved their UC-day on.
create or replace function smf.ccee_record_batch(p_items jsonb, p_now timestamptz default now())
returns int
language sql volatile set search_path = smf, pg_catalog as $$
    select count(*) filter (where smf.ccee_record_at(
        (i ->> 'uc')::int, (i ->> 'day')::date, i ->> 'holder', (i ->> 'attempt')::int, i ->> 'trigger',
        (i ->> 'started')::timestamptz, i ->> 'hash', i ->> 'body', (i ->> 'status')::int, i ->> 'response',
        i ->> 'outcome', nullif(i -> 'reasons', 'null'::jsonb), i ->> 'warning', i ->> 'fingerprint', p_now, o.open_from))::int
    from jsonb_array_elements(p_items) i
    cross join (select smf.ccee_open_from(p_now) as open_from) o
$$;
