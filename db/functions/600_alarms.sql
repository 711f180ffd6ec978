-- Alarms (seed 003 §5.9): thresholds as data, the lifecycle of an alarm, the sheet and what
-- cannot be evaluated. Evaluation itself (triggers on arriving data) is in 610_alarm_eval.sql.
-- Times are UTC timestamptz of the data (the violation), never of the evaluation. Views are
-- security_invoker, so row-level security on smf.alarm (an analyst's scope: uc_id,
-- distributor_id) applies to whoever reads the sheet.

-- meter_uc: the consumer unit a meter measures (as main or backup meter), its distributor and
-- alarm group; no row for a meter without a UC.
create or replace function smf.meter_uc(p_meter int)
returns table (uc_id int, distributor_id int, group_id int, uc_code text, customer_name text)
language sql stable set search_path = smf, pg_catalog as $$
    select cu.id, cu.distributor_id, gm.group_id, cu.uc_code::text, cu.customer_name
    from smf.consumer_unit cu
    left join smf.alarm_group_member gm on gm.consumer_unit_id = cu.id
    where cu.main_meter_id = p_meter or cu.backup_meter_id = p_meter
    order by (cu.main_meter_id = p_meter) desc
    limit 1
$$;

-- alarm_thresholds_of: the threshold of every rule for meter p_meter at instant p_at (value in
-- the rule's unit, params, and the level it comes from: meter, group or default). The most
-- specific valid row wins; a rule whose winning row is disabled is left out. (PL/pgSQL: its
-- plans are cached per session, it runs on every read.)
create or replace function smf.alarm_thresholds_of(p_meter int, p_at timestamptz)
returns table (rule_code char(1), value numeric, params jsonb, level text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_group int;
begin
    select gm.group_id into v_group
    from smf.consumer_unit cu join smf.alarm_group_member gm on gm.consumer_unit_id = cu.id
    where cu.main_meter_id = p_meter or cu.backup_meter_id = p_meter
    order by (cu.main_meter_id = p_meter) desc limit 1;
    return query
    select b.rule_code, b.value, b.params, b.lvl from (
        select distinct on (t.rule_code) t.rule_code, t.value, t.params, t.enabled,
               case when t.meter_id is not null then 'meter'
                    when t.group_id is not null then 'group' else 'default' end as lvl
        from smf.alarm_threshold t
        where t.valid_during @> p_at
          and (t.meter_id = p_meter or t.group_id = v_group
               or (t.meter_id is null and t.group_id is null))
        order by t.rule_code, (t.meter_id is null), (t.group_id is null)) b
    where b.enabled;
end
$$;

-- alarm_unbalance_pct: unbalance (%) of per-phase magnitudes p_vals (nulls ignored; needs two
-- phases and a positive mean). nema: max |x - mean| / mean x 100; ieee: (max - min) / mean x 100.
-- Rounded to 3 decimals.
create or replace function smf.alarm_unbalance_pct(p_vals numeric[], p_method text default 'nema')
returns numeric
language plpgsql immutable parallel safe set search_path = smf, pg_catalog as $$
declare
    a numeric := p_vals[1];
    b numeric := p_vals[2];
    c numeric := p_vals[3];
    n int := num_nonnulls(p_vals[1], p_vals[2], p_vals[3]);
    mean numeric;
begin
    if n < 2 then
        return null;
    end if;
    mean := (coalesce(a, 0) + coalesce(b, 0) + coalesce(c, 0)) / n;
    if mean <= 0 then
        return null;
    end if;
    if p_method = 'ieee' then
        return round((greatest(a, b, c) - least(a, b, c)) / mean * 100, 3);
    end if;
    return round(greatest(abs(a - mean), abs(b - mean), abs(c - mean)) / mean * 100, 3);
end
$$;

-- alarm_raise: record a violation of rule p_rule on meter p_meter between p_first and p_last.
-- Opens an alarm, or updates the active (open or acknowledged) one: last time, occurrences,
-- latest value. Returns the alarm id.
create or replace function smf.alarm_raise(
    p_rule char(1), p_meter int, p_first timestamptz, p_last timestamptz, p_value numeric,
    p_threshold numeric, p_phase text, p_source text, p_message text,
    p_detail jsonb default '{}', p_value_text text default null, p_count int default 1)
returns bigint
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_id bigint;
    u record;
begin
    select cu.id as uc_id, cu.distributor_id into u
    from smf.consumer_unit cu
    where cu.main_meter_id = p_meter or cu.backup_meter_id = p_meter
    order by (cu.main_meter_id = p_meter) desc limit 1;
    insert into smf.alarm as a (rule_code, meter_id, uc_id, distributor_id, opened_at, last_at,
        occurrences, value, value_text, threshold, phase, source, message, detail)
    values (p_rule, p_meter, u.uc_id, u.distributor_id, p_first, p_last, greatest(p_count, 1),
        p_value, p_value_text, p_threshold, p_phase, p_source, p_message, p_detail)
    on conflict (rule_code, meter_id) where state in ('open', 'acknowledged') do update
        set last_at = greatest(a.last_at, excluded.last_at),
            opened_at = least(a.opened_at, excluded.opened_at),
            occurrences = a.occurrences + excluded.occurrences,
            value = excluded.value, value_text = excluded.value_text,
            threshold = excluded.threshold, phase = excluded.phase, source = excluded.source,
            message = excluded.message, detail = excluded.detail, updated_at = now()
    returning a.id into v_id;
    return v_id;
end
$$;

-- alarm_clear: the condition of rule p_rule on meter p_meter no longer holds at p_at: its active
-- alarm becomes cleared (an acknowledgement is kept; an unacknowledged one stays on the sheet).
-- Data older than the last violation clears nothing. Returns the alarm id or null.
create or replace function smf.alarm_clear(p_rule char(1), p_meter int, p_at timestamptz)
returns bigint
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_id bigint;
begin
    update smf.alarm set state = 'cleared', cleared_at = p_at, updated_at = now()
    where rule_code = p_rule and meter_id = p_meter and state in ('open', 'acknowledged')
      and last_at <= p_at
    returning id into v_id;
    return v_id;
end
$$;

-- alarm_apply: raise (p_violated true), clear (false) or leave (null) rule p_rule of a meter.
create or replace function smf.alarm_apply(
    p_rule char(1), p_meter int, p_violated boolean, p_at timestamptz, p_value numeric,
    p_threshold numeric, p_phase text, p_source text, p_message text, p_detail jsonb default '{}')
returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
begin
    if p_violated then
        perform smf.alarm_raise(p_rule, p_meter, p_at, p_at, p_value, p_threshold, p_phase,
                                p_source, p_message, p_detail);
    elsif not p_violated then
        perform smf.alarm_clear(p_rule, p_meter, p_at);
    end if;
end
$$;

-- alarm_acknowledge: the explicit acknowledgement of alarm p_id by p_by with comment p_comment.
-- open -> acknowledged; a cleared, unacknowledged alarm keeps its state and gets the
-- acknowledgement. SMF04 for an unknown alarm, SMF02 without who/comment or when already
-- acknowledged or closed. Returns the new state.
create or replace function smf.alarm_acknowledge(p_id bigint, p_by text, p_comment text)
returns text
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    a smf.alarm;
begin
    if coalesce(btrim(p_by), '') = '' or coalesce(btrim(p_comment), '') = '' then
        raise exception using errcode = 'SMF02',
            message = format('acknowledging alarm %s needs who and a comment', p_id);
    end if;
    select * into a from smf.alarm where id = p_id for update;
    if not found then
        raise exception using errcode = 'SMF04', message = format('no alarm %s', p_id);
    end if;
    if a.acknowledged_at is not null or a.state = 'closed' then
        raise exception using errcode = 'SMF02',
            message = format('alarm %s is already %s', p_id,
                             case when a.state = 'closed' then 'closed' else 'acknowledged' end);
    end if;
    update smf.alarm set state = case when state = 'open' then 'acknowledged' else state end,
        acknowledged_by = p_by, acknowledged_at = clock_timestamp(), ack_comment = p_comment,
        updated_at = now()
    where id = p_id returning state into a.state;
    return a.state;
end
$$;

-- alarm_close: close alarm p_id by command (who and comment required), whatever its state but
-- closed. Returns 'closed'.
create or replace function smf.alarm_close(p_id bigint, p_by text, p_comment text)
returns text
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_state text;
begin
    if coalesce(btrim(p_by), '') = '' or coalesce(btrim(p_comment), '') = '' then
        raise exception using errcode = 'SMF02',
            message = format('closing alarm %s needs who and a comment', p_id);
    end if;
    select state into v_state from smf.alarm where id = p_id for update;
    if not found then
        raise exception using errcode = 'SMF04', message = format('no alarm %s', p_id);
    end if;
    if v_state = 'closed' then
        raise exception using errcode = 'SMF02', message = format('alarm %s is already closed', p_id);
    end if;
    update smf.alarm set state = 'closed', closed_by = p_by, closed_at = clock_timestamp(),
        close_comment = p_comment, updated_at = now()
    where id = p_id;
    return 'closed';
end
$$;

-- alarm_notify: trigger on smf.alarm: every transition (opened, acknowledged, cleared, closed)
-- goes to the webhook outbox in the same transaction, and wakes listeners (channel smf_alarm).
create or replace function smf.alarm_notify() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_event text;
begin
    if tg_op = 'INSERT' then
        v_event := 'opened';
    elsif new.state = 'closed' and old.state <> 'closed' then
        v_event := 'closed';
    elsif new.state = 'cleared' and old.state <> 'cleared' then
        v_event := 'cleared';
    elsif new.acknowledged_at is not null and old.acknowledged_at is null then
        v_event := 'acknowledged';
    end if;
    if v_event is not null then
        insert into smf.alarm_notification (alarm_id, event) values (new.id, v_event);
        perform pg_notify('smf_alarm', new.id::text);
    end if;
    return null;
end
$$;

-- alarm_sheet: the permanent alarm sheet: every alarm with its UC (name and number), meter,
-- rule, the violation's first and last time (UTC and local), the value against the threshold in
-- the rule's unit, and the lifecycle fields. uc_id / distributor_id are the scope keys.
create or replace view smf.alarm_sheet with (security_invoker = true) as
select a.id, a.state, a.rule_code, r.name as rule_name, cu.uc_code::text as uc_code,
       cu.customer_name, m.serial as meter_serial, a.opened_at, a.last_at,
       a.opened_at at time zone smf.local_timezone() as opened_local,
       a.value, a.value_text, a.threshold, r.unit, a.phase, a.occurrences, a.source, a.message,
       a.acknowledged_by, a.acknowledged_at, a.ack_comment, a.cleared_at, a.closed_by,
       a.closed_at, a.close_comment, a.uc_id, a.distributor_id, a.meter_id, a.detail
from smf.alarm a
join smf.alarm_rule r on r.code = a.rule_code
join smf.meter m on m.id = a.meter_id
left join smf.consumer_unit cu on cu.id = a.uc_id;

-- alarm_coverage: per meter and rule, whether the rule can be evaluated for that meter, and
-- why not (3-channel meters without 0x14 cannot report voltages or currents, import-only meters
-- have no sessions ...), with the threshold in force now and its level.
create or replace view smf.alarm_coverage with (security_invoker = true) as
with f as (
    select m.id as meter_id, m.serial,
           m.channel_map && array['voltage_a_v', 'voltage_b_v', 'voltage_c_v'] as has_v,
           m.channel_map && array['current_a_a', 'current_b_a', 'current_c_a'] as has_i,
           'active_fwd_kwh' = any (m.channel_map) as has_p,
           exists (select 1 from smf.instantaneous_reading i where i.meter_id = m.id) as has_0x14,
           (m.transport is not null and m.protocol <> 'import_only')
               or exists (select 1 from smf.poll_attempt a where a.meter_id = m.id) as polled,
           exists (select 1 from smf.meter_status_report s where s.meter_id = m.id) as has_status,
           cardinality(m.channel_map) as channels
    from smf.meter m where m.enabled
)
select f.meter_id, f.serial, u.uc_code, u.customer_name, u.uc_id, u.distributor_id, r.code as rule_code,
       r.name as rule_name, (t.thr -> r.code::text ->> 'value')::numeric as threshold,
       t.thr -> r.code::text ->> 'level' as level,
       case when not (t.thr ? r.code::text) then 'not programmed'
            when r.quantity = 'voltage' and not (f.has_v or f.has_0x14)
                then format('skipped: %s-channel meter without 0x14 reports no voltage', f.channels)
            when r.quantity = 'current' and not (f.has_i or f.has_0x14)
                then format('skipped: %s-channel meter without 0x14 reports no current', f.channels)
            when r.quantity = 'power' and not f.has_0x14
                then 'skipped: no 0x14 values (per-phase power)'
            when r.quantity in ('serial', 'clock', 'connectivity') and not f.polled
                then 'skipped: import-only meter (no sessions)'
            when r.quantity = 'demand' and (u.uc_id is null or not f.has_p)
                then 'skipped: no consumer unit or no active channel'
            when r.quantity = 'battery' and not f.has_status
                then 'skipped: no battery state reported yet'
            else 'evaluated' end as status
from f
left join lateral smf.meter_uc(f.meter_id) u on true
cross join lateral (  -- the thresholds in force now, looked up once per meter
    select coalesce(jsonb_object_agg(x.rule_code, jsonb_build_object('value', x.value, 'level', x.level)),
                    '{}') as thr
    from smf.alarm_thresholds_of(f.meter_id, now()) x) t
cross join smf.alarm_rule r;

-- meters_due_monitoring: meters under 15-minute monitoring at p_now (seed 003 §5.9 b) whose last
-- session started 15 minutes or more ago (or never): the poller reads each of them now.
create or replace function smf.meters_due_monitoring(p_now timestamptz default now())
returns table (meter_id int, serial text, ends_at timestamptz, last_attempt_at timestamptz)
language sql stable set search_path = smf, pg_catalog as $$
    select m.id, m.serial, max(mm.ends_at), la.at
    from smf.meter_monitoring mm
    join smf.meter m on m.id = mm.meter_id and m.enabled
    left join lateral (select max(a.started_at) as at from smf.poll_attempt a
                       where a.meter_id = m.id and a.started_at > p_now - interval '1 day') la on true
    where mm.starts_at <= p_now and mm.ends_at > p_now
      and (la.at is null or la.at <= p_now - interval '15 minutes')
    group by m.id, m.serial, la.at
    order by la.at nulls first, m.id
$$;

-- monitoring_start: put meter p_serial under 15-minute monitoring until p_until; returns the id.
create or replace function smf.monitoring_start(p_serial text, p_until timestamptz, p_by text,
                                                p_reason text default null)
returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_meter int;
    v_id int;
begin
    select id into v_meter from smf.meter where serial = p_serial;
    if not found then
        raise exception using errcode = 'SMF04', message = format('no meter with serial %s', p_serial);
    end if;
    if p_until <= now() then
        raise exception using errcode = 'SMF02',
            message = format('monitoring end %s is not in the future', p_until);
    end if;
    insert into smf.meter_monitoring (meter_id, ends_at, requested_by, reason)
    values (v_meter, p_until, coalesce(p_by, current_user), p_reason) returning id into v_id;
    return v_id;
end
$$;

-- alarm_set_threshold: program rule p_rule at one level (p_meter_serial, or p_group_name, or
-- the default when both are null) from p_from on: the row in force there is ended at p_from, so
-- the history of thresholds stays. Returns the new row's id. SMF04 for an unknown meter/group,
-- SMF02 for an unknown rule.
create or replace function smf.alarm_set_threshold(
    p_rule text, p_value numeric, p_params jsonb, p_enabled boolean, p_meter_serial text,
    p_group_name text, p_from timestamptz, p_by text)
returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_meter int;
    v_group int;
    v_from timestamptz := coalesce(p_from, now());
    v_id int;
begin
    if not exists (select 1 from smf.alarm_rule where code = p_rule) then
        raise exception using errcode = 'SMF02', message = format('no alarm rule %s (a to m)', p_rule);
    end if;
    if p_meter_serial is not null then
        select id into v_meter from smf.meter where serial = p_meter_serial;
        if not found then
            raise exception using errcode = 'SMF04', message = format('no meter with serial %s', p_meter_serial);
        end if;
    elsif p_group_name is not null then
        select id into v_group from smf.alarm_group where name = p_group_name;
        if not found then
            raise exception using errcode = 'SMF04', message = format('no alarm group %s', p_group_name);
        end if;
    end if;
    update smf.alarm_threshold set valid_during = tstzrange(lower(valid_during), v_from)
    where rule_code = p_rule and meter_id is not distinct from v_meter
      and group_id is not distinct from v_group and valid_during @> v_from
      and (lower(valid_during) is null or lower(valid_during) < v_from);
    delete from smf.alarm_threshold
    where rule_code = p_rule and meter_id is not distinct from v_meter
      and group_id is not distinct from v_group and lower(valid_during) >= v_from;
    insert into smf.alarm_threshold (rule_code, meter_id, group_id, valid_during, value, params,
                                     enabled, created_by)
    values (p_rule, v_meter, v_group, tstzrange(v_from, null), p_value, coalesce(p_params, '{}'),
            coalesce(p_enabled, true), coalesce(p_by, current_user))
    returning id into v_id;
    return v_id;
end
$$;

-- alarm_group_assign: put UC p_uc_code in alarm group p_group (created when missing, bound to
-- the UC's distributor); a UC is in at most one group. Returns the group id.
create or replace function smf.alarm_group_assign(p_group text, p_uc_code text)
returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_uc int := smf.uc_id(p_uc_code);
    v_group int;
begin
    if coalesce(btrim(p_group), '') = '' then
        raise exception using errcode = 'SMF02', message = 'alarm group name is empty';
    end if;
    insert into smf.alarm_group (name, distributor_id)
    select p_group, cu.distributor_id from smf.consumer_unit cu where cu.id = v_uc
    on conflict (name) do nothing;
    select id into v_group from smf.alarm_group where name = p_group;
    insert into smf.alarm_group_member (consumer_unit_id, group_id) values (v_uc, v_group)
    on conflict (consumer_unit_id) do update set group_id = excluded.group_id;
    return v_group;
end
$$;
