-- CCEE for operators: why a UC-day is not accepted and the command that moves it on
-- (`smf ccee status --uc CODE --month M`, `smf ccee submit` output).

-- ccee_reason_text: one line from CCEE's answer to a POST: `CODE: message` from a JSON error body
-- ({"error"|"codigo", "message"|"mensagem"}), else the HTTP status and the first 200 characters
-- of the body. Returns text.
create or replace function smf.ccee_reason_text(p_status int, p_body text) returns text
language plpgsql immutable set search_path = smf, pg_catalog as $$
declare
    v jsonb;
    v_code text;
    v_msg text;
begin
    begin
        v := p_body::jsonb;
    exception when others then
        v := null;
    end;
    if jsonb_typeof(v) = 'object' then
        v_code := coalesce(v->>'error', v->>'codigo', v->>'code');
        v_msg := coalesce(v->>'message', v->>'mensagem', v->>'detail');
        if v_code is not null or v_msg is not null then
            return concat_ws(': ', v_code, v_msg);
        end if;
    end if;
    return concat_ws(' ', coalesce('HTTP ' || p_status, 'no answer'),
                     nullif(left(regexp_replace(coalesce(p_body, ''), '\s+', ' ', 'g'), 200), ''));
end
$$;

-- ccee_day_issues: every CCEE day of local month p_month (a date in it, or 'YYYY-MM' through the
-- text overload) of UC p_uc_code in the retail model that is not accepted, or that CCEE's
-- read-back rejected: day,
-- state (held, rejected, failed, late, due, claimed, missing: never enqueued), the reason in
-- words, and the `smf` command that releases, completes or re-sends it. Days not over at p_now
-- are left out. Ordered by day.
create or replace function smf.ccee_day_issues(p_uc_code text, p_month date,
                                               p_now timestamptz default now())
returns table (day date, state text, late boolean, attempts int, reason text, command text)
language sql stable set search_path = smf, pg_catalog as $$
    with uc as (
        select smf.uc_id(p_uc_code) as id
    ), days as (
        select d::date as day
        from generate_series(date_trunc('month', p_month),
                             least(date_trunc('month', p_month) + interval '1 month - 1 day',
                                   smf.ccee_today(p_now) - 1),
                             interval '1 day') d
    ), last_attempt as (
        select distinct on (a.day) a.day, a.http_status, a.response_body, a.outcome
        from smf.ccee_attempt a, uc
        where a.consumer_unit_id = uc.id and a.day >= date_trunc('month', p_month)
          and a.day < date_trunc('month', p_month) + interval '1 month'
          and a.outcome in ('rejected', 'failed')
        order by a.day, a.id desc
    ), rows as (
        select dd.day, coalesce(q.state, 'missing') as state, coalesce(q.late, false) as late,
               coalesce(q.attempts, 0) as attempts, q.hold_reasons, q.verdict_rejeitada,
               la.http_status, la.response_body,
               exists (select 1 from smf.ccee_retail_uc r, uc
                       where r.consumer_unit_id = uc.id and r.valid_during @> dd.day) as registered
        from days dd cross join uc
        left join smf.ccee_uc_day q on q.consumer_unit_id = uc.id and q.day = dd.day
        left join last_attempt la on la.day = dd.day
    )
    select r.day, r.state, r.late, r.attempts,
           case
               when r.state = 'held' then (
                   select string_agg((x->>'code') || ': ' || (x->>'message'), '; ')
                   from jsonb_array_elements(r.hold_reasons) x)
               when r.state in ('rejected', 'failed') then
                   smf.ccee_reason_text(r.http_status, r.response_body)
               when r.state = 'accepted' then
                   format('CCEE read-back: %s values REJEITADA', r.verdict_rejeitada)
               when r.state = 'missing' then 'never enqueued (the scheduler or smf ccee submit --month enqueues it)'
               when r.late or r.state = 'late' then 'past the send window: sent only when asked'
               else 'waiting for the next run'
           end,
           case
               when r.state = 'held' and r.hold_reasons @> '[{"code": "musd_exceeded"}]' then
                   format('smf ccee release --uc %s --day %s --reason "..."', p_uc_code, r.day)
               when r.state = 'held' and r.hold_reasons @> '[{"code": "incomplete"}]' then
                   format('smf vee estimate --uc %s --from %s --to %s, then smf ccee submit --uc %s --day %s',
                          p_uc_code, r.day, r.day, p_uc_code, r.day)
               when r.state = 'held' and r.hold_reasons @> '[{"code": "not_registered"}]' then
                   format('smf uc set %s --ccee-from %s', p_uc_code, r.day)
               when r.state = 'held' then
                   format('smf ccee submit --uc %s --day %s --dry-run (see why)', p_uc_code, r.day)
               else format('smf ccee submit --uc %s --day %s', p_uc_code, r.day)
           end
    from rows r
    where (r.state <> 'accepted' or coalesce(r.verdict_rejeitada, 0) > 0)
      and (r.state <> 'missing' or r.registered)  -- a day outside the retail model is no issue
    order by r.day
$$;
