CREATE SCHEMA smf;

CREATE TYPE smf.quality AS ENUM (
    'measured',
    'adjusted',
    'estimated',
    'missing'
);

CREATE TYPE smf.reading_source AS ENUM (
    'meter',
    'backup_meter',
    'estimate',
    'import',
    'manual'
);

CREATE TYPE smf.submarket AS ENUM (
    'SE/CO',
    'S',
    'NE',
    'N'
);

CREATE FUNCTION smf.abnt_command_name(p_code integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case p_code
        when x'11'::int then 'session opening with password'
        when x'12'::int then 'client code programmed'
        when x'13'::int then 'string request'
        when x'20'::int then 'demand reset (parameters read with reset)'
        when x'21'::int then 'parameters read'
        when x'22'::int then 'previous parameters read'
        when x'23'::int then 'registers read'
        when x'29'::int then 'date changed'
        when x'30'::int then 'time changed'
        when x'31'::int then 'demand interval changed'
        when x'32'::int then 'holidays programmed'
        when x'33'::int then 'multiplication constants changed'
        when x'35'::int then 'tariff posts changed'
        when x'63'::int then 'automatic demand reset programmed'
        when x'64'::int then 'daylight saving programmed'
        when x'66'::int then 'channel quantities changed'
        when x'87'::int then 'installation code'
        when x'98'::int then 'clock micro-adjustment'
        when x'99'::int then 'fast program load' end
$$;

CREATE FUNCTION smf.add_business_days(p_day date, p_n integer, p_purpose text DEFAULT 'ccee'::text) RETURNS date
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v date;
    v_step int := sign(p_n);
begin
    if p_n is null or p_day is null then
        raise exception using errcode = 'SMF02', message = 'add_business_days: day and n are required';
    end if;
    if p_n = 0 then
        return p_day;
    end if;
    perform smf.calendar_for(p_purpose, p_day);
    -- n business days lie within 2n + 30 calendar days (weekends and at most ~15 holidays a year)
    select p_day + v_step * g.i into v
    from generate_series(1, 2 * abs(p_n) + 30) g(i)
    left join smf.calendar c on c.purpose = p_purpose and c.valid_during @> p_day + v_step * g.i
    where extract(isodow from p_day + v_step * g.i) < 6
      and not exists (select 1 from smf.holiday h where h.calendar_id = c.id and h.day = p_day + v_step * g.i)
    order by g.i
    offset abs(p_n) - 1 limit 1;
    return v;
end
$$;

CREATE FUNCTION smf.alarm_acknowledge(p_id bigint, p_by text, p_comment text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.alarm_apply(p_rule character, p_meter integer, p_violated boolean, p_at timestamp with time zone, p_value numeric, p_threshold numeric, p_phase text, p_source text, p_message text, p_detail jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    if p_violated then
        perform smf.alarm_raise(p_rule, p_meter, p_at, p_at, p_value, p_threshold, p_phase,
                                p_source, p_message, p_detail);
    elsif not p_violated then
        perform smf.alarm_clear(p_rule, p_meter, p_at);
    end if;
end
$$;

CREATE FUNCTION smf.alarm_clear(p_rule character, p_meter integer, p_at timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.alarm_close(p_id bigint, p_by text, p_comment text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.alarm_eval_instantaneous(p_meter integer, p_at timestamp with time zone, p_values jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    t record;
    v numeric[] := array[(p_values->>'VA')::numeric, (p_values->>'VB')::numeric, (p_values->>'VC')::numeric];
    i numeric[] := array[(p_values->>'IA')::numeric, (p_values->>'IB')::numeric, (p_values->>'IC')::numeric];
    p numeric[];
    k numeric := case when coalesce((select s.value from smf.setting s where s.key = 'instantaneous_power_unit'), 'W') = 'kW'
                      then 1 else 0.001 end;
    v_active text[];
    x numeric[];
    val numeric;
    ph text;
    lim numeric;
    bad boolean;
    what text;
    n int;
begin
    p := array[round((p_values->>'PA')::numeric * k, 3), round((p_values->>'PB')::numeric * k, 3),
               round((p_values->>'PC')::numeric * k, 3)];
    select coalesce(array_agg(a.rule_code::text), '{}') into v_active
    from smf.alarm a where a.meter_id = p_meter and a.state in ('open', 'acknowledged');
    for t in select * from smf.alarm_thresholds_of(p_meter, p_at) y where y.rule_code between 'a' and 'h' loop
        what := case when t.rule_code in ('a', 'b', 'c') then 'voltage' when t.rule_code in ('f', 'g', 'h') then 'current'
                     else 'active power' end;
        x := case when t.rule_code in ('a', 'b', 'c') then v when t.rule_code in ('f', 'g', 'h') then i else p end;
        lim := case when t.rule_code = 'd' then 0 else t.value end;
        ph := null;
        if t.rule_code in ('c', 'h') then
            val := smf.alarm_unbalance_pct(x, coalesce(t.params->>'method', 'nema'));
        else  -- the extreme phase: lowest for a, d, e, f; highest for b, g
            val := case when t.rule_code in ('b', 'g') then greatest(x[1], x[2], x[3]) else least(x[1], x[2], x[3]) end;
            for n in 1 .. 3 loop
                if x[n] = val then
                    ph := (array['A', 'B', 'C'])[n];
                    exit;
                end if;
            end loop;
        end if;
        bad := case when t.rule_code in ('b', 'c', 'g', 'h') then val > lim else val < lim end;
        if bad then
            perform smf.alarm_raise(t.rule_code, p_meter, p_at, p_at, val, lim, ph, 'instantaneous',
                case when ph is null
                     then format('%s unbalance %s %% above %s %% (0x14, %s)', what, val, lim,
                                 coalesce(t.params->>'method', 'nema'))
                     else format('%s of phase %s %s %s %s (0x14)', what, ph, val,
                                 case when t.rule_code in ('b', 'g') then 'above' else 'below' end, lim) end);
        elsif bad is false and t.rule_code::text = any (v_active) then
            perform smf.alarm_clear(t.rule_code, p_meter, p_at);
        end if;
    end loop;
end
$$;

CREATE FUNCTION smf.alarm_eval_intervals(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    k int;
begin
    for k in 1 .. coalesce(cardinality(p_meter), 0) loop
        perform smf.alarm_eval_meter_intervals(p_meter[k], p_lo[k], p_hi[k]);
    end loop;
end
$$;

CREATE FUNCTION smf.alarm_eval_meter_intervals(p_meter integer, p_lo timestamp with time zone, p_hi timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
declare
    t record;
    rec record;
    t_a numeric;
    t_b numeric;
    t_c numeric;
    t_f numeric;
    t_g numeric;
    t_h numeric;
    m_c text := 'nema';
    m_h text := 'nema';
    v_k numeric;
    v_basis text;
    v_uc int;
    v_modality text;
    v_c_ponta numeric;
    v_c_fora numeric;
    v_floor numeric;
    v_active text[];
    k int;
    code text;
    lim numeric;
    worst numeric;
begin
    select coalesce(array_agg(a.rule_code::text), '{}') into v_active
    from smf.alarm a where a.meter_id = p_meter and a.state in ('open', 'acknowledged');
    for t in select * from smf.alarm_thresholds_of(p_meter, p_hi) loop
        case t.rule_code
            when 'a' then t_a := t.value;
            when 'b' then t_b := t.value;
            when 'c' then t_c := t.value; m_c := coalesce(t.params->>'method', 'nema');
            when 'f' then t_f := t.value;
            when 'g' then t_g := t.value;
            when 'h' then t_h := t.value; m_h := coalesce(t.params->>'method', 'nema');
            when 'k' then v_k := t.value; v_basis := coalesce(t.params->>'basis', 'contracted_pct');
            else null;
        end case;
    end loop;

    if num_nonnulls(t_a, t_b, t_c, t_f, t_g, t_h) > 0 then
        -- one pass over the meter's intervals: per rule the first, last and worst violation and
        -- how many, and the newest interval carrying the quantity (float8 arithmetic; values
        -- rounded when stored on the alarm).
        with x as (
            select r.ts,
                   r.voltage_a_mv / 1000.0::float8 as va, r.voltage_b_mv / 1000.0::float8 as vb,
                   r.voltage_c_mv / 1000.0::float8 as vc, r.current_a_ma / 1000.0::float8 as ia,
                   r.current_b_ma / 1000.0::float8 as ib, r.current_c_ma / 1000.0::float8 as ic,
                   num_nonnulls(r.voltage_a_mv, r.voltage_b_mv, r.voltage_c_mv) as vn,
                   num_nonnulls(r.current_a_ma, r.current_b_ma, r.current_c_ma) as cn
            from smf.interval_reading r
            where r.meter_id = p_meter and r.ts >= p_lo and r.ts <= p_hi
              and r.quality in ('measured', 'adjusted')
              and num_nonnulls(r.voltage_a_mv, r.voltage_b_mv, r.voltage_c_mv,
                               r.current_a_ma, r.current_b_ma, r.current_c_ma) > 0
        ), xm as (
            select x.*,
                   case when vn >= 2 then (coalesce(va, 0) + coalesce(vb, 0) + coalesce(vc, 0)) / vn end as vmean,
                   case when cn >= 2 then (coalesce(ia, 0) + coalesce(ib, 0) + coalesce(ic, 0)) / cn end as imean
            from x
        ), mx as (
            select ts, least(va, vb, vc) as vmin, greatest(va, vb, vc) as vmax,
                   least(ia, ib, ic) as imin, greatest(ia, ib, ic) as imax,
                   case when vmean > 0 then 100 / vmean * case when m_c = 'ieee' then greatest(va, vb, vc) - least(va, vb, vc)
                        else greatest(abs(va - vmean), abs(vb - vmean), abs(vc - vmean)) end end as vunb,
                   case when imean > 0 then 100 / imean * case when m_h = 'ieee' then greatest(ia, ib, ic) - least(ia, ib, ic)
                        else greatest(abs(ia - imean), abs(ib - imean), abs(ic - imean)) end end as iunb
            from xm
        )
        select
            array[min(ts) filter (where vmin < t_a), min(ts) filter (where vmax > t_b), min(ts) filter (where vunb > t_c),
                  min(ts) filter (where imin < t_f), min(ts) filter (where imax > t_g), min(ts) filter (where iunb > t_h)] as first_bad,
            array[max(ts) filter (where vmin < t_a), max(ts) filter (where vmax > t_b), max(ts) filter (where vunb > t_c),
                  max(ts) filter (where imin < t_f), max(ts) filter (where imax > t_g), max(ts) filter (where iunb > t_h)] as last_bad,
            array[count(*) filter (where vmin < t_a), count(*) filter (where vmax > t_b), count(*) filter (where vunb > t_c),
                  count(*) filter (where imin < t_f), count(*) filter (where imax > t_g), count(*) filter (where iunb > t_h)] as n_bad,
            array[min(vmin) filter (where vmin < t_a), max(vmax) filter (where vmax > t_b), max(vunb) filter (where vunb > t_c),
                  min(imin) filter (where imin < t_f), max(imax) filter (where imax > t_g), max(iunb) filter (where iunb > t_h)] as worst,
            array[max(ts) filter (where vmin is not null), max(ts) filter (where vmax is not null), max(ts) filter (where vunb is not null),
                  max(ts) filter (where imin is not null), max(ts) filter (where imax is not null), max(ts) filter (where iunb is not null)] as newest
        into rec
        from mx;
        for k in 1 .. 6 loop
            code := (array['a', 'b', 'c', 'f', 'g', 'h'])[k];
            lim := (array[t_a, t_b, t_c, t_f, t_g, t_h])[k];
            continue when lim is null or rec.newest[k] is null;
            if rec.n_bad[k] > 0 then
                worst := round(rec.worst[k]::numeric, 3);
                perform smf.alarm_raise(code::char(1), p_meter, rec.first_bad[k], rec.last_bad[k], worst, lim,
                    null, 'interval', format('%s intervals from %s to %s; worst %s %s, threshold %s (interval means)',
                        rec.n_bad[k], rec.first_bad[k], rec.last_bad[k], worst,
                        case when code in ('a', 'b') then 'V' when code in ('f', 'g') then 'A' else '%' end, lim),
                    jsonb_build_object('intervals', rec.n_bad[k]), null, rec.n_bad[k]::int);
            end if;
            if (rec.last_bad[k] is null or rec.last_bad[k] < rec.newest[k])
               and (rec.n_bad[k] > 0 or code = any (v_active)) then
                perform smf.alarm_clear(code::char(1), p_meter, rec.newest[k]);
            end if;
        end loop;
    end if;

    if v_k is null then
        return;
    end if;
    -- k: 15-minute demand of the touched buckets against the threshold of the bucket's posto.
    select cu.id, cu.modality, cu.contracted_demand_ponta_kw, cu.contracted_demand_fora_ponta_kw
    into v_uc, v_modality, v_c_ponta, v_c_fora
    from smf.consumer_unit cu where cu.main_meter_id = p_meter;
    if v_basis <> 'kw' and v_uc is null then
        return;
    end if;
    v_floor := case when v_basis = 'kw' then v_k
                    else v_k / 100 * least(coalesce(v_c_fora, v_c_ponta), coalesce(v_c_ponta, v_c_fora)) end;
    for rec in
        with d as (
            select b.bucket, b.max_demand_kw as kw
            from smf.rollup_15min b
            where b.meter_id = p_meter and b.bucket >= time_bucket('15 minutes', p_lo) and b.bucket <= p_hi
              and b.max_demand_kw is not null
        ), lim as (
            select d.*, case when v_basis = 'kw' then v_k
                        else v_k / 100 * case
                            when v_modality = 'azul' and v_c_ponta is not null and d.kw > v_floor
                                 and (select l.demand_posto from smf.uc_quarter_labels(v_uc, d.bucket,
                                        d.bucket + interval '1 microsecond') l limit 1) = 'ponta'
                            then v_c_ponta else coalesce(v_c_fora, v_c_ponta) end end as limit_kw
            from d
        ), flagged as (select lim.*, lim.kw > lim.limit_kw as bad from lim where lim.limit_kw is not null)
        select min(f.bucket) filter (where f.bad) as first_bad, max(f.bucket) filter (where f.bad) as last_bad,
               count(*) filter (where f.bad) as n_bad, max(f.kw) filter (where f.bad) as worst,
               (array_agg(f.limit_kw order by f.kw - f.limit_kw desc) filter (where f.bad))[1] as limit_kw,
               max(f.bucket) as newest
        from flagged f
    loop
        if rec.n_bad > 0 then
            perform smf.alarm_raise('k', p_meter, rec.first_bad, rec.last_bad, rec.worst, round(rec.limit_kw, 3), null,
                'interval', format('15-min demand %s kW above %s kW in %s interval(s) from %s to %s',
                    rec.worst, round(rec.limit_kw, 3), rec.n_bad, rec.first_bad, rec.last_bad),
                jsonb_build_object('intervals', rec.n_bad), null, rec.n_bad::int);
        end if;
        if rec.newest is not null and (rec.last_bad is null or rec.last_bad < rec.newest)
           and ('k' = any (v_active) or rec.n_bad > 0) then
            perform smf.alarm_clear('k', p_meter, rec.newest);
        end if;
    end loop;
end
$$;

CREATE FUNCTION smf.alarm_eval_poll(p_meter integer, p_at timestamp with time zone, p_outcome text, p_drift_s numeric) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    t record;
    v_tz text := smf.local_timezone();
    v_day_start timestamptz := date_trunc('day', p_at at time zone v_tz) at time zone v_tz;
    v_ok bigint;
    v_all bigint;
    v_pct numeric;
    v_active text[];
begin
    select coalesce(array_agg(a.rule_code::text), '{}') into v_active
    from smf.alarm a where a.meter_id = p_meter and a.state in ('open', 'acknowledged');
    if p_outcome = 'ok' and 'i' = any (v_active) then
        perform smf.alarm_clear('i', p_meter, p_at);
    end if;
    for t in select * from smf.alarm_thresholds_of(p_meter, p_at) x where x.rule_code in ('j', 'm') loop
        if t.rule_code = 'j' and p_drift_s is not null then
            if abs(p_drift_s) > t.value then
                perform smf.alarm_raise('j', p_meter, p_at, p_at, p_drift_s, t.value, null, 'poll',
                    format('meter clock %s s off (limit %s s)', p_drift_s, t.value));
            elsif 'j' = any (v_active) then
                perform smf.alarm_clear('j', p_meter, p_at);
            end if;
        elsif t.rule_code = 'm' then
            select count(*) filter (where a.outcome = 'ok'), count(*) into v_ok, v_all
            from smf.poll_attempt a
            where a.meter_id = p_meter and a.started_at >= v_day_start
              and a.started_at < v_day_start + interval '1 day';
            v_pct := round(100.0 * v_ok / nullif(v_all, 0), 1);
            if v_pct < t.value then
                perform smf.alarm_raise('m', p_meter, p_at, p_at, v_pct, t.value, null, 'poll',
                    format('daily connectivity %s %% (%s of %s sessions ok on %s) below %s %%', v_pct,
                           v_ok, v_all, (p_at at time zone v_tz)::date, t.value),
                    jsonb_build_object('ok', v_ok, 'sessions', v_all, 'day', (p_at at time zone v_tz)::date));
            elsif 'm' = any (v_active) then
                perform smf.alarm_clear('m', p_meter, p_at);
            end if;
        end if;
    end loop;
end
$$;

CREATE FUNCTION smf.alarm_eval_status(p_meter integer, p_at timestamp with time zone, p_battery smallint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    t record;
begin
    if p_battery is null then
        return;
    end if;
    for t in select * from smf.alarm_thresholds_of(p_meter, p_at) where rule_code = 'l' loop
        perform smf.alarm_apply('l', p_meter, p_battery = t.value, p_at, p_battery, t.value, null,
            'status', format('meter reports battery code %s (bad = %s)', p_battery, t.value));
    end loop;
end
$$;

CREATE FUNCTION smf.alarm_group_assign(p_group text, p_uc_code text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.alarm_notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.alarm_on_batch_finished() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_m int[];
    v_lo timestamptz[];
    v_hi timestamptz[];
begin
    if current_setting('smf.alarm_evaluation', true) = 'off' then
        return null;
    end if;
    if to_regclass('pg_temp.ingest_touched') is null then
        return null;
    end if;
    begin
        execute 'select array_agg(meter_id), array_agg(lo), array_agg(hi) from pg_temp.ingest_touched'
            into v_m, v_lo, v_hi;
        if v_m is not null then
            perform smf.alarm_eval_intervals(v_m, v_lo, v_hi);
        end if;
    exception when others then
        raise warning 'alarm evaluation of ingest batch % failed: %', new.id, sqlerrm;
    end;
    return null;
end
$$;

CREATE FUNCTION smf.alarm_on_instantaneous() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    if current_setting('smf.alarm_evaluation', true) = 'off' then
        return null;
    end if;
    begin
        perform smf.alarm_eval_instantaneous(new.meter_id, new.at, new.values);
    exception when others then
        raise warning 'alarm evaluation of 0x14 of meter % at % failed: %', new.meter_id, new.at, sqlerrm;
    end;
    return null;
end
$$;

CREATE FUNCTION smf.alarm_on_meter_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    if current_setting('smf.alarm_evaluation', true) = 'off' then
        return null;
    end if;
    if new.kind <> 'serial_changed' then
        return null;
    end if;
    begin
        if exists (select 1 from smf.alarm_thresholds_of(new.meter_id, new.at) where rule_code = 'i') then
            perform smf.alarm_raise('i', new.meter_id, new.at, new.at, null, null, null, 'event',
                new.message, new.detail,
                coalesce(new.detail->>'found', '?') || ' (registered '
                    || (select serial from smf.meter where id = new.meter_id) || ')');
        end if;
    exception when others then
        raise warning 'alarm evaluation of event % of meter % failed: %', new.kind, new.meter_id, sqlerrm;
    end;
    return null;
end
$$;

CREATE FUNCTION smf.alarm_on_poll_attempt() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    if current_setting('smf.alarm_evaluation', true) = 'off' then
        return null;
    end if;
    begin
        perform smf.alarm_eval_poll(new.meter_id, new.started_at, new.outcome, new.clock_drift_s);
    exception when others then
        raise warning 'alarm evaluation of session of meter % at % failed: %', new.meter_id, new.started_at, sqlerrm;
    end;
    return null;
end
$$;

CREATE FUNCTION smf.alarm_on_status() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    if current_setting('smf.alarm_evaluation', true) = 'off' then
        return null;
    end if;
    begin
        perform smf.alarm_eval_status(new.meter_id, new.at, new.battery_raw);
    exception when others then
        raise warning 'alarm evaluation of status of meter % failed: %', new.meter_id, sqlerrm;
    end;
    return null;
end
$$;

CREATE FUNCTION smf.alarm_raise(p_rule character, p_meter integer, p_first timestamp with time zone, p_last timestamp with time zone, p_value numeric, p_threshold numeric, p_phase text, p_source text, p_message text, p_detail jsonb DEFAULT '{}'::jsonb, p_value_text text DEFAULT NULL::text, p_count integer DEFAULT 1) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.alarm_set_threshold(p_rule text, p_value numeric, p_params jsonb, p_enabled boolean, p_meter_serial text, p_group_name text, p_from timestamp with time zone, p_by text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.alarm_thresholds_of(p_meter integer, p_at timestamp with time zone) RETURNS TABLE(rule_code character, value numeric, params jsonb, level text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.alarm_unbalance_pct(p_vals numeric[], p_method text DEFAULT 'nema'::text) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.analog_columns() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select array['voltage_a_mv', 'voltage_b_mv', 'voltage_c_mv', 'current_a_ma', 'current_b_ma', 'current_c_ma']
$$;

CREATE FUNCTION smf.billing_summary(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select b.* from smf.billing_summary_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                                           p_with_losses) b
$$;

CREATE FUNCTION smf.billing_summary_distributor(p_aneel_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v_dist int;
    v_day date;
    v_lo timestamptz := smf.local_month_start(p_month);
    v_hi timestamptz := smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date);
begin
    select id into v_dist from smf.distributor where aneel_code = p_aneel_code;
    if not found then
        raise exception using errcode = 'SMF04', message = format('unknown distributor %s', p_aneel_code);
    end if;
    select d::date into v_day
    from generate_series(date_trunc('month', p_month), date_trunc('month', p_month) + interval '1 month - 1 day',
                         interval '1 day') d
    where not exists (select 1 from smf.posto_schedule s where s.distributor_id = v_dist and s.valid_during @> d::date)
    order by 1 limit 1;
    if found then
        raise exception using errcode = 'SMF04',
            message = format('no posto schedule for distributor %s on %s', p_aneel_code, v_day);
    end if;
    return query
    select b.*
    from smf.consumer_unit cu
    cross join lateral smf.billing_summary_of(cu.id, p_month, p_with_losses) b
    where cu.distributor_id = v_dist
      and exists (select 1 from smf.rollup_15min r
                  where r.meter_id = cu.main_meter_id and r.bucket >= v_lo and r.bucket < v_hi)
    ;
end
$$;

CREATE FUNCTION smf.billing_summary_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $_$
    with u as (
        select cu.uc_code::text as uc_code, cu.distributor_id, cu.modality,
               date_trunc('month', p_month)::date as m,
               smf.rule_param('overrun_tariff_multiplier', date_trunc('month', p_month)::date) as mult
        from smf.consumer_unit cu where cu.id = p_uc
    ), c as materialized (
        select * from smf.cycle_evaluation_of(p_uc, p_month, p_with_losses)
    ), e as (
        select * from c where c.kind = 'energy'
    ), d as (
        select * from c where c.kind = 'demand'
    ), items as (
        select 1 as ord, 'energy' as item, e.posto, round(coalesce(e.energy_kwh, 0), 3) as quantity, 'kWh' as unit,
               smf.tariff_price(u.distributor_id, u.modality, 'energy', e.posto, u.m) as price
        from e, u
        union all
        select 2, 'demand_measured', d.posto, round(d.measured_kw, 3), 'kW', null from d
        union all
        select 3, 'demand_contracted', d.posto, d.contracted_kw, 'kW', null from d
        union all
        select 4, 'demand_billed', d.posto, round(greatest(d.measured_kw, d.contracted_kw), 3), 'kW',
               smf.tariff_price(u.distributor_id, u.modality, 'demand', d.posto, u.m)
        from d, u
        union all
        select 5, 'overrun', d.posto, round(d.overrun_kw, 3), 'kW',
               coalesce(smf.tariff_price(u.distributor_id, u.modality, 'overrun', d.posto, u.m),
                        smf.tariff_price(u.distributor_id, u.modality, 'demand', d.posto, u.m) * u.mult)
        from d, u
        union all
        select 6, 'ufer', e.posto, round(coalesce(e.ufer_kwh, 0), 2), 'kWh',
               smf.tariff_price(u.distributor_id, u.modality, 'ufer', e.posto, u.m)
        from e, u
        union all
        select 7, 'dmcr', d.posto, round(d.dmcr_kw, 2), 'kW', null from d
        union all
        select 8, 'dmcr_excess', d.posto, round(d.dmcr_excess_kw, 2), 'kW',
               coalesce(smf.tariff_price(u.distributor_id, u.modality, 'dmcr', d.posto, u.m),
                        smf.tariff_price(u.distributor_id, u.modality, 'demand', d.posto, u.m))
        from d, u
        union all
        select 9, 'intervals_present', null, sum(e.n_present), 'intervals', null from e
        union all
        select 10, 'intervals_expected', null, sum(e.n_expected), 'intervals', null from e
        union all
        select 11, 'completeness', null, round(100.0 * sum(e.n_present) / nullif(sum(e.n_expected), 0), 2), '%', null
        from e
    ), priced as (
        select i.*, round(i.quantity * i.price, 2) as amount from items i
    )
    select u.uc_code, u.m, p.item, p.posto, p.quantity, p.unit, p.price, p.amount
    from (select * from priced
          union all
          select 12, 'total', null, null, 'R$', null, sum(amount) from priced) p, u
    order by p.ord, p.posto desc
$_$;

CREATE FUNCTION smf.calendar_for(p_purpose text, p_day date) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v int;
begin
    if p_purpose is null or p_purpose not in ('tariff', 'ccee') then
        raise exception using errcode = 'SMF02',
            message = format('calendar purpose %s is not tariff or ccee', coalesce(quote_literal(p_purpose), 'null'));
    end if;
    select id into v from smf.calendar where purpose = p_purpose and valid_during @> p_day;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('no %s calendar covers %s', p_purpose, p_day);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.calendar_generate(p_calendar integer, p_from_year integer, p_to_year integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v int;
begin
    if p_from_year > p_to_year then
        raise exception using errcode = 'SMF02',
            message = format('calendar_generate: year range %s..%s is empty', p_from_year, p_to_year);
    end if;
    insert into smf.holiday (calendar_id, day, name, rule_code)
    select p_calendar, h.day, string_agg(h.name, ' / ' order by h.rule_code), min(h.rule_code)
    from smf.holiday_dates((select array_agg(rule_code) from smf.calendar_rule where calendar_id = p_calendar),
                           p_from_year, p_to_year) h
    group by h.day
    on conflict (calendar_id, day) do nothing;
    get diagnostics v = row_count;
    return v;
end
$$;

CREATE FUNCTION smf.ccee_deadlines(p_month date) RETURNS TABLE(code text, description text, rule text, due date)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select d.code, d.description, d.base || '+' || d.business_days || 'du',
           case d.base when 'M' then smf.m_du(p_month, d.business_days)
                       else smf.ms_du(p_month, d.business_days) end
    from smf.ccee_deadline d
    where d.valid_during @> date_trunc('month', p_month)::date
    order by 4, 1
$$;

CREATE FUNCTION smf.channel_divisor(p_map text[], p_k numeric[], p_q text, p_mode text) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case when p_mode = 'units' then 1 else nullif(p_k[array_position(p_map, p_q)], 0) end
$$;

CREATE FUNCTION smf.contract_hourly_of(p_contract integer, p_month date) RETURNS TABLE(hour timestamp with time zone, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with b as (
        select smf.local_month_start(p_month) as lo,
               smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date) as hi,
               smf.local_month_hours(p_month) as hours
    ), c as (
        select ec.*, (select mwh from smf.contract_month_mwh(ec.id, p_month)) as qm,
               exists (select 1 from smf.contract_hour_volume v, b
                       where v.contract_id = ec.id and v.hour >= b.lo and v.hour < b.hi) as declared
        from smf.energy_contract ec where ec.id = p_contract
    ), load as (
        select q.hour_ts, sum(q.p_kwh) as kwh
        from c, b, smf.uc_quarter_hours(c.buyer_uc_id, b.lo, b.hi) q
        where c.modulation = 'load_following' and not c.declared and c.buyer_uc_id is not null
        group by q.hour_ts
    ), load_total as (
        select sum(kwh) as total from load
    )
    select h.h, case when c.declared then coalesce(v.mwh, 0)
                     when lt.total > 0 then c.qm * coalesce(l.kwh, 0) / lt.total
                     else c.qm / b.hours end,
           case when c.declared then 'declared' when lt.total > 0 then 'load_following' else 'flat' end
    from c cross join b cross join load_total lt
    cross join generate_series(b.lo, b.hi - interval '1 hour', interval '1 hour') h(h)
    left join smf.contract_hour_volume v on c.declared and v.contract_id = c.id and v.hour = h.h
    left join load l on l.hour_ts = h.h
    order by h.h
$$;

CREATE FUNCTION smf.contract_id(p_code text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v int;
begin
    select id into v from smf.energy_contract where code = p_code;
    if not found then
        raise exception using errcode = 'SMF04', message = format('unknown contract %s', p_code);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.contract_modulation(p_code text, p_month date) RETURNS TABLE(hour timestamp with time zone, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select m.* from smf.contract_hourly_of(smf.contract_id(p_code), p_month) m
$$;

CREATE FUNCTION smf.contract_month_mwh(p_contract integer, p_month date) RETURNS TABLE(mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select case when v.mwh is not null then v.mwh
                when c.valid_during @> date_trunc('month', p_month)::date and c.annual_mwh is not null
                then c.annual_mwh * smf.local_month_hours(p_month)
                     / (extract(epoch from smf.local_month_start(make_date(extract(year from p_month)::int + 1, 1, 1))
                                       - smf.local_month_start(make_date(extract(year from p_month)::int, 1, 1))) / 3600)
                else 0 end,
           case when v.mwh is not null then 'declared'
                when c.valid_during @> date_trunc('month', p_month)::date and c.annual_mwh is not null then 'flat'
                else 'none' end
    from smf.energy_contract c
    left join smf.contract_month_volume v on v.contract_id = c.id and v.month = date_trunc('month', p_month)::date
    where c.id = p_contract
$$;

CREATE FUNCTION smf.contract_seasonalization(p_code text, p_year integer) RETURNS TABLE(month date, hours integer, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select m::date, smf.local_month_hours(m::date), v.mwh, v.method
    from generate_series(make_date(p_year, 1, 1), make_date(p_year, 12, 1), interval '1 month') m
    cross join lateral smf.contract_month_mwh(smf.contract_id(p_code), m::date) v
    order by 1
$$;

CREATE FUNCTION smf.contracted_demand(p_uc integer, p_demand_posto text) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case p_demand_posto when 'ponta' then contracted_demand_ponta_kw
                               else contracted_demand_fora_ponta_kw end
    from smf.consumer_unit where id = p_uc
$$;

CREATE FUNCTION smf.cycle_evaluation_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, hours integer, p_zero_hours integer, n_present integer, n_expected integer, measured_kw numeric, measured_at timestamp with time zone, contracted_kw numeric, tolerance numeric, overrun_kw numeric, dmcr_excess_kw numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with h as materialized (
        select * from smf.uc_hour_pieces(p_uc, p_month, p_with_losses)
    ), e as (
        select 'energy'::text as kind, h.posto, sum(h.p_kwh) as energy, sum(h.ufer_kwh) as ufer,
               max(h.dmcr_kw) as dmcr,
               (array_agg(h.hour order by h.dmcr_kw desc nulls last, h.hour))[1] as dmcr_at,
               count(distinct h.hour) filter (where h.p_kwh is not null)::int as hours,
               count(*) filter (where h.p_zero)::int as p_zero_hours,
               sum(h.n_present)::int as n_present, sum(h.n_expected)::int as n_expected
        from h group by h.posto
    ), d as (
        select h.demand_posto, max(h.max_demand_kw) as kw,
               (array_agg(h.max_demand_at order by h.max_demand_kw desc nulls last, h.max_demand_at))[1] as at,
               max(h.dmcr_kw) as dmcr,
               (array_agg(h.hour order by h.dmcr_kw desc nulls last, h.hour))[1] as dmcr_at,
               count(distinct h.hour) filter (where h.p_kwh is not null)::int as hours,
               count(*) filter (where h.p_zero)::int as p_zero_hours,
               sum(h.n_present)::int as n_present, sum(h.n_expected)::int as n_expected,
               smf.contracted_demand(p_uc, h.demand_posto) as contracted,
               smf.rule_param('demand_tolerance', date_trunc('month', p_month)::date) as tol
        from h group by h.demand_posto
    )
    select e.kind, e.posto, e.energy, e.ufer, e.dmcr, case when e.dmcr is not null then e.dmcr_at end,
           e.hours, e.p_zero_hours, e.n_present, e.n_expected,
           null::numeric, null::timestamptz, null::numeric, null::numeric, null::numeric, null::numeric
    from e
    union all
    select 'demand', d.demand_posto, null, null, d.dmcr, case when d.dmcr is not null then d.dmcr_at end,
           d.hours, d.p_zero_hours, d.n_present, d.n_expected,
           d.kw, case when d.kw is not null then d.at end, d.contracted, d.tol,
           smf.demand_overrun_kw(d.kw, d.contracted, d.tol), smf.demand_excess_kw(d.dmcr, d.contracted)
    from d
    order by 1 desc, 2 desc
$$;

CREATE FUNCTION smf.demand_excess_kw(p_dmcr numeric, p_contracted numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select greatest(p_dmcr - p_contracted, 0)
$$;

CREATE FUNCTION smf.demand_overrun_kw(p_measured numeric, p_contracted numeric, p_tolerance numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select case when p_measured > p_contracted * (1 + p_tolerance) then p_measured - p_contracted
                when p_measured is not null and p_contracted is not null then 0 end
$$;

CREATE FUNCTION smf.demand_series(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, demand_posto text, demand_kw_raw numeric, demand_kw numeric, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select q.ts, q.local_ts, q.demand_posto, q.p_kwh_raw * 4, q.p_kwh * 4, q.n_present, q.n_expected
    from smf.uc_quarter_hours(smf.uc_id(p_uc_code), p_from, p_to) q
    order by q.ts
$$;

CREATE FUNCTION smf.easter_sunday(p_year integer) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select make_date(p_year, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1)
    from (select a, h, l, (a + 11 * h + 22 * l) / 451 as m
          from (select a, h, (32 + 2 * e + 2 * i - h - k) % 7 as l
                from (select a, e, i, k, (19 * a + b - d - g + 15) % 30 as h
                      from (select p_year % 19 as a, p_year / 100 as b, p_year % 100 / 4 as i,
                                   p_year % 100 % 4 as k, p_year / 100 / 4 as d, p_year / 100 % 4 as e,
                                   (p_year / 100 - (p_year / 100 + 8) / 25 + 1) / 3 as g) s1) s2) s3) s4
$$;

CREATE FUNCTION smf.energy_columns() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select array['active_fwd_wh', 'active_rev_wh', 'reactive_ind_fwd_varh', 'reactive_ind_rev_varh',
                 'reactive_cap_fwd_varh', 'reactive_cap_rev_varh']
$$;

CREATE FUNCTION smf.exposure_hourly(p_uc_code text, p_month date) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, pld numeric, value_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select e.* from smf.exposure_hourly_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month) e
$$;

CREATE FUNCTION smf.exposure_hourly_of(p_uc integer, p_month date) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, pld numeric, value_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with b as (
        select smf.local_month_start(p_month) as lo,
               smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date) as hi
    ), cons as (
        select q.hour_ts, min(q.local_ts) as local_hour, coalesce(sum(q.p_kwh), 0) / 1000 as mwh
        from b, smf.uc_quarter_hours(p_uc, b.lo, b.hi) q group by q.hour_ts
    ), ctr as (
        select h.hour, sum(h.mwh) as mwh
        from smf.energy_contract ec
        cross join lateral smf.contract_hourly_of(ec.id, p_month) h
        where ec.buyer_uc_id = p_uc
        group by h.hour
    )
    select cons.hour_ts, cons.local_hour, cons.mwh, coalesce(ctr.mwh, 0), coalesce(ctr.mwh, 0) - cons.mwh,
           p.price, round((coalesce(ctr.mwh, 0) - cons.mwh) * p.price, 2)
    from cons
    cross join (select submarket from smf.consumer_unit where id = p_uc) cu
    left join ctr on ctr.hour = cons.hour_ts
    left join smf.pld p on p.submarket = cu.submarket and p.hour = cons.hour_ts
    order by cons.hour_ts
$$;

CREATE FUNCTION smf.exposure_month(p_uc_code text, p_month date) RETURNS TABLE(uc_code text, month date, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, value_brl numeric, hours_without_pld integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select p_uc_code, date_trunc('month', p_month)::date, round(sum(e.consumption_mwh), 6),
           round(sum(e.contracted_mwh), 6), round(sum(e.exposure_mwh), 6), sum(e.value_brl),
           count(*) filter (where e.pld is null)::int
    from smf.exposure_hourly(p_uc_code, p_month) e
$$;

CREATE FUNCTION smf.holiday_dates(p_rules text[], p_from_year integer, p_to_year integer) RETURNS TABLE(day date, rule_code text, name text)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case when r.easter_offset is null then make_date(y, r.fixed_month, r.fixed_day)
                else smf.easter_sunday(y) + r.easter_offset end,
           r.code, r.name
    from smf.holiday_rule r
    cross join generate_series(p_from_year, p_to_year) y
    where r.code = any (p_rules) and y between r.first_year and r.last_year
$$;

CREATE FUNCTION smf.ingest_begin(p_source smf.reading_source, p_origin text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp'
    AS $$
declare
    v_batch int;
begin
    drop view if exists pg_temp.ingest_valid;  -- depends on the previous batch's tables
    drop table if exists pg_temp.ingest_stage;
    create temp table ingest_stage (
        line_no bigint generated by default as identity,
        meter_id int,
        meter_serial text,
        ts text,
        active_fwd_kwh float8,
        active_rev_kwh float8,
        reactive_ind_fwd_kvarh float8,
        reactive_ind_rev_kvarh float8,
        reactive_cap_fwd_kvarh float8,
        reactive_cap_rev_kvarh float8,
        voltage_a_v float8,
        voltage_b_v float8,
        voltage_c_v float8,
        current_a_a float8,
        current_b_a float8,
        current_c_a float8,
        quality text,
        source text
    ) on commit drop;
    insert into smf.ingest_batch (source, origin) values (p_source, p_origin) returning id into v_batch;
    return v_batch;
end
$$;

CREATE FUNCTION smf.ingest_finish(p_batch integer, p_line_offset integer DEFAULT 0) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET jit TO 'off'
    SET work_mem TO '256MB'
    AS $_$
declare
    v_qualities text[] := enum_range(null::smf.quality)::text[];
    v_sources text[] := enum_range(null::smf.reading_source)::text[];
    v_line bigint;
    v_text text;
    v_source smf.reading_source;
    v_rows bigint;
    v_ins bigint := 0;
    v_upd bigint := 0;
    v_rejected bigint;
    v_fresh boolean;
    v_quarantined jsonb;
begin
    select source into v_source from smf.ingest_batch where id = p_batch and finished_at is null;
    if not found then
        raise exception using errcode = 'SMF02', message = format('batch %s is not open', p_batch);
    end if;
    select count(*) into v_rows from ingest_stage;

    raise debug 'ingest batch % classify at %', p_batch, clock_timestamp();
    -- 1. One pass over the staged rows. A malformed row (problem) rejects the whole batch; a row
    -- that breaks a rule (reason) goes to quarantine. Only such rows are written.
    drop view if exists pg_temp.ingest_valid;
    drop table if exists pg_temp.ingest_bad;
    begin
        create temp table ingest_bad on commit drop as
        select line_no, meter_ref, ts, problem, reason from (
            select s.line_no, s.meter_ref, s.t as ts,
                case
                    when s.ts is null then 'timestamp is missing'
                    when not s.ts_ok then format('timestamp %L is not ISO 8601 with a UTC offset '
                                                 'or Z (e.g. 2026-10-01T00:05:00-03:00)', s.ts)
                    when s.meter_id is null and coalesce(s.meter_serial, '') = ''
                        then 'no meter (meter_serial or meter_id) given'
                    when s.quality <> all (v_qualities)
                        then format('quality %L is not one of %s', s.quality, v_qualities)
                    when s.source <> all (v_sources)
                        then format('source %L is not one of %s', s.source, v_sources)
                end as problem,
                case
                    when m.id is null then 'unknown_meter'
                    when date_part('epoch', s.t) / m.step_s <> floor(date_part('epoch', s.t) / m.step_s)
                        then 'off_grid'
                    when s.t + m.step > now() then 'future'
                    when greatest(s.active_fwd_kwh, s.active_rev_kwh, s.reactive_ind_fwd_kvarh,
                s.reactive_ind_rev_kvarh, s.reactive_cap_fwd_kvarh, s.reactive_cap_rev_kvarh,
                s.voltage_a_v, s.voltage_b_v, s.voltage_c_v, s.current_a_a, s.current_b_a,
                s.current_c_a) >= 'Infinity'::float8
                        or least(s.active_fwd_kwh, s.active_rev_kwh, s.reactive_ind_fwd_kvarh,
                s.reactive_ind_rev_kvarh, s.reactive_cap_fwd_kvarh, s.reactive_cap_rev_kvarh,
                s.voltage_a_v, s.voltage_b_v, s.voltage_c_v, s.current_a_a, s.current_b_a,
                s.current_c_a) = '-Infinity'::float8 then 'non_finite'
                    when least(s.active_fwd_kwh, s.active_rev_kwh, s.reactive_ind_fwd_kvarh,
                s.reactive_ind_rev_kvarh, s.reactive_cap_fwd_kvarh, s.reactive_cap_rev_kvarh) < 0 then 'negative_energy'
                    when least(s.voltage_a_v, s.voltage_b_v, s.voltage_c_v, s.current_a_a, s.current_b_a, s.current_c_a) < 0 then 'negative_value'
                    when greatest(s.active_fwd_kwh, s.active_rev_kwh, s.reactive_ind_fwd_kvarh,
                s.reactive_ind_rev_kvarh, s.reactive_cap_fwd_kvarh, s.reactive_cap_rev_kvarh) > m.max_kwh
                        or greatest(s.voltage_a_v, s.voltage_b_v, s.voltage_c_v) > m.max_v
                        or greatest(s.current_a_a, s.current_b_a, s.current_c_a) > m.max_a
                        then 'above_physical_max'
                end as reason
            from (
                select s.*, case when s.ts_ok then s.ts::timestamptz end as t,
                       coalesce(s.meter_id, ms.id) as resolved_id,
                       coalesce(s.meter_serial, s.meter_id::text) as meter_ref
                from (
                    select s.*, substr(s.ts, 5, 1) = '-' and substr(s.ts, 8, 1) = '-'
                        and substr(s.ts, 11, 1) in ('T', ' ') and substr(s.ts, 14, 1) = ':'
                        and (right(s.ts, 1) in ('Z', 'z')
                        or substr(s.ts, length(s.ts) - 5, 1) in ('+', '-')  -- +hh:mm
                        or substr(s.ts, length(s.ts) - 4, 1) in ('+', '-')  -- +hhmm
                        or substr(s.ts, length(s.ts) - 2, 1) in ('+', '-')) -- +hh
                        as ts_ok
                    from ingest_stage s
                    offset 0  -- fences: each expression is evaluated once per row
                ) s
                left join smf.meter ms on s.meter_id is null and ms.serial = s.meter_serial
                offset 0
            ) s
            left join (
                select id, interval_minutes * 60.0::float8 as step_s,
                       interval_minutes * interval '1 minute' as step,
                       least(max_power_kw * interval_minutes / 60.0, 2000000)::float8 as max_kwh,
                       least(max_voltage_v, 2000000)::float8 as max_v,
                       least(max_current_a, 2000000)::float8 as max_a
                from smf.meter
            ) m on m.id = s.resolved_id
            offset 0
        ) k
        where problem is not null or reason is not null;
    exception when invalid_datetime_format or datetime_field_overflow
                   or invalid_time_zone_displacement_value then
        -- Slow path, taken only on error: find the first timestamp that does not parse.
        for v_line, v_text in select line_no, ts from ingest_stage order by line_no loop
            begin
                perform v_text::timestamptz;
            exception when others then
                perform smf.ingest_reject(v_line + p_line_offset,
                    format('timestamp %L: %s', v_text, sqlerrm));
            end;
        end loop;
        raise;
    end;

    select line_no, problem into v_line, v_text from ingest_bad
    where problem is not null order by line_no limit 1;
    if found then
        perform smf.ingest_reject(v_line + p_line_offset, v_text);
    end if;

    raise debug 'ingest batch % valid view at %', p_batch, clock_timestamp();
    -- 2. The valid rows, in stored units.
    execute format($v$
        create or replace temp view ingest_valid as
        select s.line_no, coalesce(s.meter_id, ms.id) as meter_id, s.ts::timestamptz as ts,
            round(s.active_fwd_kwh * 1000)::int as active_fwd_wh,
            round(s.active_rev_kwh * 1000)::int as active_rev_wh,
            round(s.reactive_ind_fwd_kvarh * 1000)::int as reactive_ind_fwd_varh,
            round(s.reactive_ind_rev_kvarh * 1000)::int as reactive_ind_rev_varh,
            round(s.reactive_cap_fwd_kvarh * 1000)::int as reactive_cap_fwd_varh,
            round(s.reactive_cap_rev_kvarh * 1000)::int as reactive_cap_rev_varh,
            round(s.voltage_a_v * 1000)::int as voltage_a_mv,
            round(s.voltage_b_v * 1000)::int as voltage_b_mv,
            round(s.voltage_c_v * 1000)::int as voltage_c_mv,
            round(s.current_a_a * 1000)::int as current_a_ma,
            round(s.current_b_a * 1000)::int as current_b_ma,
            round(s.current_c_a * 1000)::int as current_c_ma,
            coalesce(s.quality, 'measured')::smf.quality as quality,
            coalesce(s.source::smf.reading_source, %L) as source
        from ingest_stage s
        left join smf.meter ms on s.meter_id is null and ms.serial = s.meter_serial
        where not exists (select 1 from ingest_bad b where b.line_no = s.line_no)$v$, v_source);

    raise debug 'ingest batch % spans at %', p_batch, clock_timestamp();
    -- Per meter, the span the batch covers; if no stored row lies in any span, a plain insert
    -- suffices (the common case of new data).
    drop table if exists pg_temp.ingest_touched;
    create temp table ingest_touched on commit drop as
    select meter_id, min(ts) as lo, max(ts) as hi from ingest_valid group by meter_id;
    analyze ingest_touched;
    select not exists (select 1 from ingest_touched t join smf.interval_reading r
                       on r.meter_id = t.meter_id and r.ts between t.lo and t.hi) into v_fresh;

    raise debug 'ingest batch % merge at %', p_batch, clock_timestamp();
    -- 3. Merge. Changed rows are updated; the trigger keeps the old version in history.
    perform set_config('smf.batch_id', p_batch::text, true);
    if coalesce(current_setting('smf.change_reason', true), '') = '' then
        perform set_config('smf.change_reason', format('ingest batch %s', p_batch), true);
    end if;
    begin
        if v_fresh then
            insert into smf.interval_reading (meter_id, ts,
                active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh,
            reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv,
            voltage_c_mv, current_a_ma, current_b_ma, current_c_ma,
                quality, source, batch_id)
            select meter_id, ts,
                active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh,
            reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv,
            voltage_c_mv, current_a_ma, current_b_ma, current_c_ma,
                quality, source, p_batch
            from ingest_valid;
            get diagnostics v_ins = row_count;
        else
            select inserted, updated into v_ins, v_upd from smf.ingest_upsert(p_batch);
        end if;
    exception when unique_violation or cardinality_violation then
        -- Slow path: the batch holds one key twice. Differing copies are conflicts (all
        -- quarantined); identical copies are kept once. Then merge again.
        insert into ingest_bad (line_no, meter_ref, ts, reason)
        select v.line_no, coalesce(s.meter_serial, s.meter_id::text), v.ts,
            case when count(*) over k <> count(*) over k_same then 'duplicate_conflict'
                 when row_number() over k_first > 1 then 'duplicate_identical' end
        from ingest_valid v join ingest_stage s using (line_no)
        where (v.meter_id, v.ts) in (select meter_id, ts from ingest_valid
                                     group by 1, 2 having count(*) > 1)
        window k as (partition by v.meter_id, v.ts),
               k_same as (partition by v.meter_id, v.ts,
                    v.active_fwd_wh, v.active_rev_wh, v.reactive_ind_fwd_varh,
                    v.reactive_ind_rev_varh, v.reactive_cap_fwd_varh, v.reactive_cap_rev_varh,
                    v.voltage_a_mv, v.voltage_b_mv, v.voltage_c_mv, v.current_a_ma,
                    v.current_b_ma, v.current_c_ma, v.quality, v.source),
               k_first as (k_same order by v.line_no);
        delete from ingest_bad where reason is null;
        select inserted, updated into v_ins, v_upd from smf.ingest_upsert(p_batch);
    end;

    raise debug 'ingest batch % quarantine+rollups at %', p_batch, clock_timestamp();
    -- 4. Quarantine, then the rollups of every touched bucket, in this transaction.
    insert into smf.ingest_quarantine (batch_id, line_no, meter_ref, ts, reason, detail)
    select p_batch, b.line_no + p_line_offset, b.meter_ref, b.ts, b.reason, row_to_json(s)::text
    from ingest_bad b join ingest_stage s using (line_no)
    where b.reason <> 'duplicate_identical';
    perform smf.rollup_refresh(array_agg(meter_id), array_agg(lo), array_agg(hi)) from ingest_touched;

    raise debug 'ingest batch % done at %', p_batch, clock_timestamp();
    select coalesce(sum(n) filter (where reason <> 'duplicate_identical'), 0),
           coalesce(jsonb_object_agg(reason, n) filter (where reason <> 'duplicate_identical'), '{}')
    into v_rejected, v_quarantined
    from (select reason, count(*) as n from ingest_bad group by reason) g;
    update smf.ingest_batch set finished_at = clock_timestamp(), rows_in = v_rows, inserted = v_ins,
        updated = v_upd, unchanged = v_rows - v_rejected - v_ins - v_upd, quarantined = v_quarantined
    where id = p_batch;
    return jsonb_build_object('batch_id', p_batch, 'rows', v_rows, 'inserted', v_ins,
        'updated', v_upd, 'unchanged', v_rows - v_rejected - v_ins - v_upd,
        'quarantined', v_quarantined);
end
$_$;

CREATE FUNCTION smf.ingest_reject(p_line bigint, p_message text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
    raise exception using errcode = 'SMF01', message = format('line %s: %s', p_line, p_message),
        hint = p_line::text;
end
$$;

CREATE FUNCTION smf.ingest_upsert(p_batch integer, OUT inserted bigint, OUT updated bigint) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET jit TO 'off'
    AS $_$
declare
    v_lo timestamptz;
    v_hi timestamptz;
begin
    -- One key twice in the batch goes to the caller's duplicate handling; the delta below would
    -- otherwise hide a copy equal to the stored row behind its conflicting twin.
    if exists (select from ingest_valid group by meter_id, ts having count(*) > 1) then
        raise exception using errcode = 'cardinality_violation',
            message = 'the batch holds an interval twice';
    end if;
    -- Only rows that are new or differ go to the upsert: ON CONFLICT locks (and so rewrites)
    -- every existing row it meets, which made re-importing an unchanged file write all of it.
    select min(lo), max(hi) into v_lo, v_hi from ingest_touched;
    drop table if exists pg_temp.ingest_delta;
    execute format($q$
        create temp table ingest_delta on commit drop as
        select v.* from ingest_valid v
        where not exists (
            select 1 from smf.interval_reading r
            where r.meter_id = v.meter_id and r.ts = v.ts and r.ts between %L and %L
              and (r.active_fwd_wh, r.active_rev_wh, r.reactive_ind_fwd_varh,
                   r.reactive_ind_rev_varh, r.reactive_cap_fwd_varh, r.reactive_cap_rev_varh,
                   r.voltage_a_mv, r.voltage_b_mv, r.voltage_c_mv, r.current_a_ma,
                   r.current_b_ma, r.current_c_ma, r.quality, r.source)
                  is not distinct from
                  (v.active_fwd_wh, v.active_rev_wh, v.reactive_ind_fwd_varh,
                   v.reactive_ind_rev_varh, v.reactive_cap_fwd_varh, v.reactive_cap_rev_varh,
                   v.voltage_a_mv, v.voltage_b_mv, v.voltage_c_mv, v.current_a_ma,
                   v.current_b_ma, v.current_c_ma, v.quality, v.source))$q$, v_lo, v_hi);
    drop table if exists pg_temp.ingest_changed;
    create temp table ingest_changed on commit drop as
    with up as (
        insert into smf.interval_reading as r (meter_id, ts,
            active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh,
            reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv,
            voltage_c_mv, current_a_ma, current_b_ma, current_c_ma,
            quality, source, batch_id)
        select meter_id, ts,
            active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh,
            reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv,
            voltage_c_mv, current_a_ma, current_b_ma, current_c_ma,
            quality, source, p_batch
        from ingest_delta
        on conflict (meter_id, ts) do update set
            active_fwd_wh = excluded.active_fwd_wh,
            active_rev_wh = excluded.active_rev_wh,
            reactive_ind_fwd_varh = excluded.reactive_ind_fwd_varh,
            reactive_ind_rev_varh = excluded.reactive_ind_rev_varh,
            reactive_cap_fwd_varh = excluded.reactive_cap_fwd_varh,
            reactive_cap_rev_varh = excluded.reactive_cap_rev_varh,
            voltage_a_mv = excluded.voltage_a_mv,
            voltage_b_mv = excluded.voltage_b_mv,
            voltage_c_mv = excluded.voltage_c_mv,
            current_a_ma = excluded.current_a_ma,
            current_b_ma = excluded.current_b_ma,
            current_c_ma = excluded.current_c_ma,
            quality = excluded.quality,
            source = excluded.source,
            batch_id = excluded.batch_id
        where (r.active_fwd_wh, r.active_rev_wh, r.reactive_ind_fwd_varh, r.reactive_ind_rev_varh,
              r.reactive_cap_fwd_varh, r.reactive_cap_rev_varh, r.voltage_a_mv, r.voltage_b_mv,
              r.voltage_c_mv, r.current_a_ma, r.current_b_ma, r.current_c_ma, r.quality,
              r.source)
              is distinct from (excluded.active_fwd_wh, excluded.active_rev_wh, excluded.reactive_ind_fwd_varh,
              excluded.reactive_ind_rev_varh, excluded.reactive_cap_fwd_varh,
              excluded.reactive_cap_rev_varh, excluded.voltage_a_mv, excluded.voltage_b_mv,
              excluded.voltage_c_mv, excluded.current_a_ma, excluded.current_b_ma,
              excluded.current_c_ma, excluded.quality, excluded.source)
        returning r.meter_id, r.ts, (r.xmax = 0) as is_insert
    )
    select meter_id, min(ts) as lo, max(ts) as hi,
           count(*) filter (where is_insert) as n_ins, count(*) filter (where not is_insert) as n_upd
    from up group by meter_id;
    select coalesce(sum(n_ins), 0), coalesce(sum(n_upd), 0) into inserted, updated
    from ingest_changed;
    truncate ingest_touched;
    insert into ingest_touched select meter_id, lo, hi from ingest_changed;
end
$_$;

CREATE FUNCTION smf.interval_reading_keep_history() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    insert into smf.interval_reading_history
    select (old).*, now(),
           nullif(current_setting('smf.batch_id', true), '')::int,
           coalesce(nullif(current_setting('smf.changed_by', true), ''), current_user),
           nullif(current_setting('smf.change_reason', true), '');
    return new;
end
$$;

CREATE FUNCTION smf.is_business_day(p_day date, p_purpose text DEFAULT 'ccee'::text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select extract(isodow from p_day) < 6
       and not exists (select 1 from smf.holiday
                       where calendar_id = smf.calendar_for(p_purpose, p_day) and day = p_day)
$$;

CREATE FUNCTION smf.lastro_penalty(p_uc_code text, p_month date) RETURNS TABLE(window_from date, window_to date, consumption_mwh numeric, contracted_mwh numeric, shortfall_mwh numeric, mean_pld numeric, reference_value numeric, price numeric, penalty_brl numeric, penalty_month_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with u as (
        select cu.id, cu.main_meter_id, cu.submarket, date_trunc('month', p_month)::date as m,
               (date_trunc('month', p_month)
                - make_interval(months => smf.rule_param('lastro_months', date_trunc('month', p_month)::date)::int - 1))::date as w0
        from smf.consumer_unit cu where cu.id = smf.uc_id(p_uc_code)
    ), cons as (
        select coalesce(sum(d.active_fwd_wh * (1 + coalesce(tl.factor, 0))), 0) / 1e6 as mwh
        from u join smf.rollup_day d on d.meter_id = u.main_meter_id
            and d.bucket >= u.w0 and d.bucket < (u.m + interval '1 month')::date
        left join smf.transformer_loss tl on tl.consumer_unit_id = u.id and tl.valid_during @> d.bucket
    ), ctr as (
        select coalesce(sum(v.mwh), 0) as mwh
        from u cross join generate_series(u.w0, u.m, interval '1 month') mm
        join smf.energy_contract ec on ec.buyer_uc_id = u.id
        cross join lateral smf.contract_month_mwh(ec.id, mm::date) v
    ), pld as (
        select avg(p.price) as mean
        from u join smf.pld p on p.submarket = u.submarket
            and p.hour >= smf.local_month_start(u.w0)
            and p.hour < smf.local_month_start((u.m + interval '1 month')::date)
    ), x as (
        select u.w0, u.m, cons.mwh as c, ctr.mwh as k, greatest(cons.mwh - ctr.mwh, 0) as short, pld.mean,
               smf.rule_param('lastro_reference_value', u.m) as vr,
               smf.rule_param('lastro_installments', u.m) as n
        from u, cons, ctr, pld
    )
    select x.w0, (x.m + interval '1 month - 1 day')::date, round(x.c, 6), round(x.k, 6), round(x.short, 6),
           round(x.mean, 2), x.vr, greatest(x.vr, coalesce(x.mean, 0)),
           round(x.short * greatest(x.vr, coalesce(x.mean, 0)), 2),
           round(x.short * greatest(x.vr, coalesce(x.mean, 0)) / x.n, 2)
    from x
$$;

CREATE FUNCTION smf.local_month_hours(p_month date) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select (extract(epoch from smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date)
            - smf.local_month_start(p_month)) / 3600)::int
$$;

CREATE FUNCTION smf.local_month_start(p_month date) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select date_trunc('month', p_month)::timestamp at time zone smf.local_timezone()
$$;

CREATE FUNCTION smf.local_timezone() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce((select value from smf.setting where key = 'local_timezone'), 'America/Sao_Paulo')
$$;

CREATE FUNCTION smf.m_du(p_month date, p_n integer) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select smf.add_business_days(date_trunc('month', p_month)::date - 1, p_n, 'ccee')
$$;

CREATE FUNCTION smf.measured_demand(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(demand_posto text, contracted_kw numeric, measured_kw numeric, measured_at timestamp with time zone, tolerance numeric, limit_kw numeric, overrun_kw numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select c.posto, c.contracted_kw, round(c.measured_kw, 3), c.measured_at, c.tolerance,
           round(c.contracted_kw * (1 + c.tolerance), 3), round(c.overrun_kw, 3)
    from smf.cycle_evaluation_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) c
    where c.kind = 'demand'
$$;

CREATE FUNCTION smf.meter_gaps(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(gap_start timestamp with time zone, gap_end timestamp with time zone, intervals integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with m as (select make_interval(mins => interval_minutes) as step from smf.meter where id = p_meter),
    missing as (
        select ts, ts - (row_number() over (order by ts))::int * (select step from m) as island
        from smf.meter_missing_intervals(p_meter, p_from, p_to) ts
    )
    select min(ts), max(ts) + (select step from m), count(*)::int
    from missing group by island order by 1
$$;

CREATE FUNCTION smf.meter_interval_grid(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select g
    from smf.meter m,
         lateral (select make_interval(mins => m.interval_minutes) as step,
                         to_timestamp(ceil(extract(epoch from p_from) / (m.interval_minutes * 60))
                                      * m.interval_minutes * 60) as first) k,
         lateral generate_series(k.first, p_to - interval '1 microsecond', k.step) g
    where m.id = p_meter
$$;

CREATE FUNCTION smf.meter_last_interval(p_meter integer) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select max(ts) from smf.interval_reading where meter_id = p_meter and quality <> 'missing'
$$;

CREATE FUNCTION smf.meter_lease_acquire(p_meter integer, p_holder text, p_seconds integer) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    insert into smf.meter_session_lease as l (meter_id, holder, expires_at)
    values (p_meter, p_holder, clock_timestamp() + make_interval(secs => p_seconds))
    on conflict (meter_id) do update
        set holder = excluded.holder, expires_at = excluded.expires_at
        where l.holder = excluded.holder or l.expires_at < clock_timestamp()
    returning true
$$;

CREATE FUNCTION smf.meter_lease_release(p_meter integer, p_holder text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    delete from smf.meter_session_lease where meter_id = p_meter and holder = p_holder
$$;

CREATE FUNCTION smf.meter_missing_intervals(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select g.ts
    from smf.meter_interval_grid(p_meter, p_from, p_to) g(ts)
    where not exists (select 1 from smf.interval_reading r
                      where r.meter_id = p_meter and r.ts = g.ts and r.quality <> 'missing')
    order by g.ts
$$;

CREATE FUNCTION smf.meter_poll_health(p_meter integer) RETURNS TABLE(last_attempt_at timestamp with time zone, last_outcome text, last_ok_at timestamp with time zone, failures_since_ok bigint)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with last_ok as (select max(started_at) as at from smf.poll_attempt
                     where meter_id = p_meter and outcome = 'ok')
    select a.started_at, a.outcome, (select at from last_ok),
           (select count(*) from smf.poll_attempt f where f.meter_id = p_meter
              and f.outcome <> 'ok' and f.started_at > coalesce((select at from last_ok), '-infinity'))
    from smf.poll_attempt a where a.meter_id = p_meter order by a.started_at desc limit 1
$$;

CREATE FUNCTION smf.meter_recent_outages(p_meter integer, p_n integer DEFAULT 20) RETURNS TABLE(start_at timestamp with time zone, end_at timestamp with time zone, duration_s numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select start_at, end_at, extract(epoch from end_at - start_at)
    from smf.meter_outage where meter_id = p_meter order by start_at desc limit p_n
$$;

CREATE FUNCTION smf.meter_refuse_delete_with_readings() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    if exists (select 1 from smf.interval_reading where meter_id = old.id) then
        raise exception using errcode = 'SMF02',
            message = format('meter %s (id %s) has stored readings and cannot be deleted; disable it instead',
                             old.serial, old.id);
    end if;
    return old;
end
$$;

CREATE FUNCTION smf.meter_uc(p_meter integer) RETURNS TABLE(uc_id integer, distributor_id integer, group_id integer, uc_code text, customer_name text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select cu.id, cu.distributor_id, gm.group_id, cu.uc_code::text, cu.customer_name
    from smf.consumer_unit cu
    left join smf.alarm_group_member gm on gm.consumer_unit_id = cu.id
    where cu.main_meter_id = p_meter or cu.backup_meter_id = p_meter
    order by (cu.main_meter_id = p_meter) desc
    limit 1
$$;

CREATE FUNCTION smf.meters_due_monitoring(p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(meter_id integer, serial text, ends_at timestamp with time zone, last_attempt_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.monitoring_start(p_serial text, p_until timestamp with time zone, p_by text, p_reason text DEFAULT NULL::text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.ms_du(p_month date, p_n integer) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select smf.add_business_days((date_trunc('month', p_month) + interval '1 month')::date - 1, p_n, 'ccee')
$$;

CREATE FUNCTION smf.musd_check(p_uc_code text, p_month date, p_factor numeric DEFAULT NULL::numeric, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric, hours_with_data integer, hours_over integer, max_kwh numeric, verdict text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select c.* from smf.musd_check_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                                      smf.musd_factor_checked(p_factor, p_month), p_with_losses) c
$$;

CREATE FUNCTION smf.musd_check_hours(p_uc_code text, p_month date, p_factor numeric DEFAULT NULL::numeric, p_with_losses boolean DEFAULT true) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, kwh numeric, limit_kwh numeric, excess_kwh numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select h.hour, h.local_hour, round(h.kwh, 3), round(h.limit_kwh, 3), round(h.kwh - h.limit_kwh, 3)
    from smf.musd_hours_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                           smf.musd_factor_checked(p_factor, p_month), p_with_losses) h
    where h.exceeds
$$;

CREATE FUNCTION smf.musd_check_of(p_uc integer, p_month date, p_factor numeric, p_with_losses boolean) RETURNS TABLE(uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric, hours_with_data integer, hours_over integer, max_kwh numeric, verdict text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select cu.uc_code::text, date_trunc('month', p_month)::date, cu.musd_kw, p_factor, round(max(h.limit_kwh), 3),
           count(h.kwh)::int, count(*) filter (where h.exceeds)::int, round(max(h.kwh), 3),
           case when cu.musd_kw is null then 'no_musd'
                when bool_or(h.exceeds) then 'rejected' else 'accepted' end
    from smf.consumer_unit cu
    cross join smf.musd_hours_of(p_uc, p_month, p_factor, p_with_losses) h
    where cu.id = p_uc
    group by cu.uc_code, cu.musd_kw
$$;

CREATE FUNCTION smf.musd_factor_checked(p_factor numeric, p_month date) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v numeric := coalesce(p_factor, smf.rule_param('musd_factor', date_trunc('month', p_month)::date));
begin
    if v <= 0 then
        raise exception using errcode = 'SMF02', message = format('MUSD factor must be positive, got %s', v);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.musd_hours_of(p_uc integer, p_month date, p_factor numeric, p_with_losses boolean) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, kwh numeric, limit_kwh numeric, exceeds boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select h.hour_ts, h.local_hour, h.kwh, lim.kwh, coalesce(h.kwh > lim.kwh, false)
    from (
        select q.hour_ts, min(q.local_ts) as local_hour,
               sum(case when p_with_losses then q.p_kwh else q.p_kwh_raw end) as kwh
        from smf.uc_quarter_hours(p_uc, smf.local_month_start(p_month),
                                  smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date)) q
        group by q.hour_ts
    ) h
    cross join (select p_factor * cu.musd_kw * 1 as kwh from smf.consumer_unit cu where cu.id = p_uc) lim
    order by h.hour_ts
$$;

CREATE FUNCTION smf.phasor_connection(p_values jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case
        when p_values->>'VA' is not null and p_values->>'VB' is not null and p_values->>'VC' is not null
             and coalesce((p_values->>'VB')::numeric, 0) > 0 then 'wye_3_element'
        when p_values->>'IB' is null or coalesce((p_values->>'IB')::numeric, 0) = 0
             and coalesce((p_values->>'VB')::numeric, 0) = 0 then 'delta_2_element'
        else 'delta_3_element' end
$$;

CREATE FUNCTION smf.posto_at(p_uc_code text, p_ts timestamp with time zone) RETURNS TABLE(local_ts timestamp without time zone, posto text, demand_posto text, reactive_window text, reservado boolean)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v_uc int := smf.uc_id(p_uc_code);
begin
    return query
    select p_ts at time zone smf.local_timezone(), l.posto, l.demand_posto, l.reactive_window, l.reservado
    from smf.uc_quarter_labels(v_uc, p_ts, p_ts + interval '1 microsecond') l
    where l.posto is not null;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('no posto schedule for the distributor of consumer unit %s on %s', p_uc_code,
                             (p_ts at time zone smf.local_timezone())::date);
    end if;
end
$$;

CREATE FUNCTION smf.posto_schedule_validate() RETURNS trigger
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v_day date := coalesce(lower(new.valid_during), current_date);
    v_ps int := extract(epoch from new.ponta_start)::int / 60;
    v_cs int := extract(epoch from new.capacitive_start)::int / 60;
    v_span_lo int := smf.rule_param('capacitive_span_start_min', v_day)::int;
    v_span_hi int := smf.rule_param('capacitive_span_end_min', v_day)::int;
    v_cs_rel int;
    v_t text;
begin
    foreach v_t in array array[new.ponta_start::text, new.capacitive_start::text,
                               coalesce(new.reservado_start::text, '00:00:00')] loop
        if extract(epoch from v_t::time)::int % 900 <> 0 then
            raise exception using errcode = 'SMF02',
                message = format('posto schedule time %s is not on the 15-minute grid', left(v_t, 5));
        end if;
    end loop;
    if new.ponta_minutes <> smf.rule_param('ponta_minutes', v_day) or v_ps + new.ponta_minutes > 1440 then
        raise exception using errcode = 'SMF02',
            message = format('ponta must be %s consecutive minutes within one day, got %s from %s',
                             smf.rule_param('ponta_minutes', v_day), new.ponta_minutes, left(new.ponta_start::text, 5));
    end if;
    v_cs_rel := case when v_cs >= 720 then v_cs - 1440 else v_cs end;
    if new.capacitive_minutes <> smf.rule_param('capacitive_window_minutes', v_day)
       or v_cs_rel < v_span_lo or v_cs_rel + new.capacitive_minutes > v_span_hi then
        raise exception using errcode = 'SMF02',
            message = format('capacitive window %s-%s is not %s consecutive minutes inside %s-%s',
                left(new.capacitive_start::text, 5),
                left((new.capacitive_start + make_interval(mins => new.capacitive_minutes))::text, 5),
                smf.rule_param('capacitive_window_minutes', v_day),
                left(('00:00'::time + make_interval(mins => v_span_lo))::text, 5),
                left(('00:00'::time + make_interval(mins => v_span_hi))::text, 5));
    end if;
    if new.reservado_minutes is not null
       and (new.reservado_minutes <= 0 or new.reservado_minutes >= 1440 or new.reservado_minutes % 15 <> 0) then
        raise exception using errcode = 'SMF02',
            message = format('reservado window of %s minutes is not a positive multiple of 15 below 24 h',
                             new.reservado_minutes);
    end if;
    if new.intermediario_minutes is not null
       and (new.intermediario_minutes <= 0 or new.intermediario_minutes % 15 <> 0
            or v_ps - new.intermediario_minutes < 0
            or v_ps + new.ponta_minutes + new.intermediario_minutes > 1440) then
        raise exception using errcode = 'SMF02',
            message = format('intermediario of %s minutes around ponta %s does not fit the day on the 15-minute grid',
                             new.intermediario_minutes, left(new.ponta_start::text, 5));
    end if;
    return new;
end
$$;

CREATE FUNCTION smf.report_alterations(p_uc_code text, p_n integer DEFAULT 16) RETURNS TABLE(at timestamp with time zone, command_hex text, command text, reader_serial text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select a.at, '0x' || upper(lpad(to_hex(a.command_code::int), 2, '0')),
           coalesce(smf.abnt_command_name(a.command_code), 'not catalogued'), a.reader_serial
    from smf.meter_alteration a
    where a.meter_id = smf.uc_main_meter(p_uc_code)
    order by a.at desc, a.command_code
    limit p_n
$$;

CREATE FUNCTION smf.report_display(p_uc_code text) RETURNS TABLE(item integer, code text, label text, value numeric, unit text, at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with m as (select smf.uc_main_meter(p_uc_code) as id),
    reg as (
        select rr.* from m, smf.register_reading rr
        where rr.meter_id = m.id and rr.period = 'current'
          and rr.at = (select max(at) from smf.register_reading x where x.meter_id = m.id and x.period = 'current')
    ),
    names(n, code, label) as (values
        (1, 'total', 'total'), (2, 'ponta', 'ponta'), (3, 'ufer_ponta', 'UFER / reverse ponta'),
        (4, 'fora_ponta', 'fora de ponta'), (5, 'ufer_fora_ponta', 'UFER / reverse fora de ponta'),
        (6, 'reservado', 'reservado'), (7, 'ufer_reservado', 'UFER / reverse reservado')),
    dnames(n, code, label) as (values
        (1, 'last_interval', 'demand, last interval'), (2, 'max_ponta', 'maximum demand ponta'),
        (3, 'dmcr_ponta', 'DMCR / reverse demand ponta'), (4, 'max_fora_ponta', 'maximum demand fora de ponta'),
        (5, 'dmcr_fora_ponta', 'DMCR / reverse demand fora de ponta'), (6, 'max_reservado', 'maximum demand reservado'),
        (7, 'dmcr_reservado', 'DMCR / reverse demand reservado')),
    inst as (
        select i.at, i."values" as v from m, smf.instantaneous_reading i
        where i.meter_id = m.id order by i.at desc limit 1
    ),
    items as (
        select reg.channel * 100 + n.n as item, format('c%s.%s', reg.channel, n.code) as code,
               format('channel %s: %s', reg.channel, n.label) as label, reg.registers[n.n]::numeric as value,
               'register digits' as unit, reg.at
        from reg cross join names n
        union all
        select reg.channel * 100 + 10 + n.n, format('c%s.d.%s', reg.channel, n.code),
               format('channel %s: %s', reg.channel, n.label), reg.demands[n.n]::numeric, 'demand digits', reg.at
        from reg cross join dnames n
        union all
        select 1000 + x.n, x.k, x.label, round((inst.v->>x.k)::numeric * x.f, 3), x.unit, inst.at
        from inst cross join (values
            (1, 'VA', 'voltage A', 'V', 1.0), (2, 'VB', 'voltage B', 'V', 1.0), (3, 'VC', 'voltage C', 'V', 1.0),
            (4, 'IA', 'current A', 'A', 1.0), (5, 'IB', 'current B', 'A', 1.0), (6, 'IC', 'current C', 'A', 1.0),
            (7, 'P3', 'active power 3-phase', 'kW',
                case when coalesce((select value from smf.setting where key = 'instantaneous_power_unit'), 'W') = 'kW' then 1 else 0.001 end),
            (8, 'Q3', 'reactive power 3-phase', 'kvar',
                case when coalesce((select value from smf.setting where key = 'instantaneous_power_unit'), 'W') = 'kW' then 1 else 0.001 end),
            (9, 'cos3', 'power factor 3-phase', '', 1.0), (10, 'frequency', 'frequency', 'Hz', 1.0)) x(n, k, label, unit, f)
        where inst.v->>x.k is not null
    )
    select * from items order by item
$$;

CREATE FUNCTION smf.report_outages(p_uc_code text, p_n integer DEFAULT 20) RETURNS TABLE(start_at timestamp with time zone, end_at timestamp with time zone, duration_s numeric, source text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_meter int := smf.uc_main_meter(p_uc_code);
    v_step interval;
begin
    if p_n is null or p_n < 1 then
        raise exception using errcode = 'SMF02', message = format('report_outages: n %s is not positive', p_n);
    end if;
    if exists (select 1 from smf.meter_outage o where o.meter_id = v_meter) then
        return query
        select o.start_at, o.end_at, extract(epoch from o.end_at - o.start_at), 'meter'::text
        from smf.meter_outage o where o.meter_id = v_meter order by o.start_at desc limit p_n;
        return;
    end if;
    select make_interval(mins => m.interval_minutes) into v_step from smf.meter m where m.id = v_meter;
    return query
    select g.prev + v_step, g.ts, extract(epoch from g.ts - (g.prev + v_step)), 'gaps'::text
    from (select r.ts, lag(r.ts) over (order by r.ts) as prev
          from smf.interval_reading r
          where r.meter_id = v_meter and r.quality <> 'missing') g
    where g.ts - g.prev > v_step
    order by g.ts desc limit p_n;
end
$$;

CREATE FUNCTION smf.report_phasors(p_uc_code text, p_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS TABLE(uc_code text, customer_name text, meter_serial text, at timestamp with time zone, connection text, element text, voltage_v numeric, voltage_angle_deg numeric, current_a numeric, current_angle_deg numeric, shift_deg numeric, p_kw numeric, q_kvar numeric, s_kva numeric, power_factor numeric, angle_source text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_meter int := smf.uc_main_meter(p_uc_code);
    r record;
    v jsonb;
    k numeric := case when coalesce((select value from smf.setting where key = 'instantaneous_power_unit'), 'W') = 'kW'
                      then 1 else 0.001 end;
    conn text;
    e record;
    v_shift numeric;
    v_vang numeric;
    v_p numeric;
    v_q numeric;
    v_src text;
begin
    select i.at, i."values", i.reactive_characteristic into r
    from smf.instantaneous_reading i
    where i.meter_id = v_meter and (p_at is null or i.at <= p_at)
    order by i.at desc limit 1;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('UC %s: no 0x14 (instantaneous) reading%s', p_uc_code,
                             case when p_at is null then '' else ' at or before ' || p_at end);
    end if;
    v := r."values";
    conn := smf.phasor_connection(v);
    for e in
        select * from (values
            ('wye_3_element', 1, 'A', 'VA', 'IA', 'PA', 'QA', 'phase_shift_A', 'Vangle_A', 0::numeric),
            ('wye_3_element', 2, 'B', 'VB', 'IB', 'PB', 'QB', 'phase_shift_B', 'Vangle_B', -120),
            ('wye_3_element', 3, 'C', 'VC', 'IC', 'PC', 'QC', 'phase_shift_C', 'Vangle_C', 120),
            ('delta_2_element', 1, '1 (V_AB, I_A)', 'VAB', 'IA', 'PA', 'QA', 'phase_shift_A', null, 30),
            ('delta_2_element', 2, '2 (V_CB, I_C)', 'VBC', 'IC', 'PC', 'QC', 'phase_shift_C', null, 90),
            ('delta_3_element', 1, 'AB (I_A)', 'VAB', 'IA', 'PA', 'QA', 'phase_shift_A', null, 30),
            ('delta_3_element', 2, 'BC (I_B)', 'VBC', 'IB', 'PB', 'QB', 'phase_shift_B', null, -90),
            ('delta_3_element', 3, 'CA (I_C)', 'VCA', 'IC', 'PC', 'QC', 'phase_shift_C', null, 150)
        ) x(c, n, label, vk, ik, pk, qk, sk, ak, nominal)
        where x.c = conn order by x.n
    loop
        v_p := round((v->>e.pk)::numeric * k, 3);
        v_q := round((v->>e.qk)::numeric * k, 3);
        v_vang := (v->>e.ak)::numeric;
        v_src := case when v_vang is null then 'voltage: ABC sequence' else 'voltage: meter' end;
        v_vang := coalesce(v_vang, e.nominal);
        v_shift := abs((v->>e.sk)::numeric);
        if v_shift is not null then
            v_src := v_src || '; shift: meter';
        elsif v_p is not null and v_q is not null and (v_p <> 0 or v_q <> 0) then
            v_shift := abs(degrees(atan2(v_q, v_p)));  -- |phi| from P and Q
            v_src := v_src || '; shift: from P, Q';
        else
            v_src := v_src || '; shift: unknown (no shift, P or Q reported)';
        end if;
        if v_shift is not null and (v_q < 0 or (v_q is null and substr(coalesce(r.reactive_characteristic, ''), e.n, 1) = 'C')) then
            v_shift := -v_shift;  -- capacitive: the current leads
        end if;
        element := e.label;
        voltage_v := round((v->>e.vk)::numeric, 2);
        voltage_angle_deg := round(v_vang, 1);
        current_a := round((v->>e.ik)::numeric, 3);
        current_angle_deg := round(v_vang - v_shift, 1);
        shift_deg := round(v_shift, 1);
        p_kw := v_p;
        q_kvar := v_q;
        s_kva := round(sqrt(v_p ^ 2 + v_q ^ 2), 3);
        power_factor := round(v_p / nullif(sqrt(v_p ^ 2 + v_q ^ 2), 0), 4);
        angle_source := v_src;
        uc_code := p_uc_code;
        select cu.customer_name, m.serial into customer_name, meter_serial
        from smf.consumer_unit cu join smf.meter m on m.id = v_meter where cu.id = smf.uc_id(p_uc_code);
        at := r.at;
        connection := conn;
        return next;
    end loop;
end
$$;

CREATE FUNCTION smf.require_cycle(p_uc integer, p_month date) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS $$
declare
    v_code text;
    v_meter int;
    v_dist int;
    v_lo timestamptz := smf.local_month_start(p_month);
    v_hi timestamptz := smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date);
    v_day date;
begin
    select uc_code, main_meter_id, distributor_id into v_code, v_meter, v_dist
    from smf.consumer_unit where id = p_uc;
    if not found then
        raise exception using errcode = 'SMF04', message = format('unknown consumer unit id %s', p_uc);
    end if;
    if v_meter is null then
        raise exception using errcode = 'SMF04', message = format('consumer unit %s has no main meter', v_code);
    end if;
    select d::date into v_day
    from generate_series(date_trunc('month', p_month), date_trunc('month', p_month) + interval '1 month - 1 day',
                         interval '1 day') d
    where not exists (select 1 from smf.posto_schedule s
                      where s.distributor_id = v_dist and s.valid_during @> d::date)
    order by 1 limit 1;
    if found then
        raise exception using errcode = 'SMF04',
            message = format('no posto schedule for the distributor of consumer unit %s on %s', v_code, v_day);
    end if;
    if not exists (select 1 from smf.rollup_15min
                   where meter_id = v_meter and bucket >= v_lo and bucket < v_hi) then
        raise exception using errcode = 'SMF04',
            message = format('no readings for consumer unit %s in %s', v_code, to_char(p_month, 'YYYY-MM'));
    end if;
    return p_uc;
end
$$;

CREATE FUNCTION smf.rollup_refresh(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET jit TO 'off'
    SET work_mem TO '256MB'
    AS $_$
declare
    v_tz text := smf.local_timezone();
    v_raw text := smf.rollup_select_list(true);
    v_derived text := smf.rollup_select_list(false);
    v_min timestamptz;
    v_max timestamptz;
begin
    if cardinality(p_meter) is distinct from cardinality(p_lo)
       or cardinality(p_meter) is distinct from cardinality(p_hi) then
        raise exception using errcode = 'SMF02', message = 'rollup_refresh: arrays differ in length';
    end if;
    drop table if exists pg_temp.rollup_scope;
    create temp table rollup_scope on commit drop as
    select u.meter_id, m.interval_minutes,
           time_bucket('15 minutes', min(u.lo)) as lo15,
           time_bucket('15 minutes', max(u.hi)) + interval '15 minutes' as hi15,
           time_bucket('1 hour', min(u.lo)) as lo_h,
           time_bucket('1 hour', max(u.hi)) + interval '1 hour' as hi_h,
           (min(u.lo) at time zone v_tz)::date as lo_d,
           (max(u.hi) at time zone v_tz)::date as hi_d,
           date_trunc('month', min(u.lo) at time zone v_tz)::date as lo_m,
           date_trunc('month', max(u.hi) at time zone v_tz)::date as hi_m
    from unnest(p_meter, p_lo, p_hi) as u(meter_id, lo, hi)
    join smf.meter m on m.id = u.meter_id
    group by u.meter_id, m.interval_minutes;
    analyze rollup_scope;  -- lets the planner choose index probes for a few meters, scans for many
    -- Two transactions refreshing one meter would each delete only what it can see and insert
    -- the same buckets twice: serialise refreshes per meter (256 lock stripes, taken in order,
    -- so bulk imports cannot deadlock). The statements below then see the other's commit.
    perform pg_advisory_xact_lock(hashtext('smf.rollup_refresh'), stripe)
    from (select distinct meter_id % 256 as stripe from rollup_scope order by 1) s;
    select min(lo15), max(hi15) into v_min, v_max from rollup_scope;
    if v_min is null then
        return;
    end if;
    -- The literal outer bounds let TimescaleDB exclude chunks when planning.

    raise debug 'rollup_refresh 15min at %', clock_timestamp();
    delete from smf.rollup_15min r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket >= s.lo15 and r.bucket < s.hi15;
    execute format($q$
        insert into smf.rollup_15min
        select x.meter_id, time_bucket('15 minutes', x.ts), %s
        from smf.interval_reading x
        join rollup_scope s on s.meter_id = x.meter_id and x.ts >= s.lo15 and x.ts < s.hi15
        where x.ts >= %L and x.ts < %L
        group by x.meter_id, time_bucket('15 minutes', x.ts), s.interval_minutes$q$,
        format(v_raw, '15 / s.interval_minutes'), v_min, v_max);

    raise debug 'rollup_refresh hour at %', clock_timestamp();
    delete from smf.rollup_hour r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket >= s.lo_h and r.bucket < s.hi_h;
    execute format($q$
        insert into smf.rollup_hour
        select x.meter_id, time_bucket('1 hour', x.bucket), %s
        from smf.rollup_15min x
        join rollup_scope s on s.meter_id = x.meter_id and x.bucket >= s.lo_h and x.bucket < s.hi_h
        where x.bucket >= %L and x.bucket < %L
        group by x.meter_id, time_bucket('1 hour', x.bucket), s.interval_minutes$q$,
        format(v_derived, '60 / s.interval_minutes'),
        time_bucket('1 hour', v_min), time_bucket('1 hour', v_max) + interval '1 hour');

    raise debug 'rollup_refresh day at %', clock_timestamp();
    delete from smf.rollup_day r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket between s.lo_d and s.hi_d;
    execute format($q$
        insert into smf.rollup_day
        select x.meter_id, (x.bucket at time zone %1$L)::date as day, %2$s
        from smf.rollup_hour x
        join rollup_scope s on s.meter_id = x.meter_id
            and x.bucket >= (s.lo_d::timestamp at time zone %1$L)
            and x.bucket < ((s.hi_d + 1)::timestamp at time zone %1$L)
        group by x.meter_id, day, s.interval_minutes$q$,
        v_tz,
        format(v_derived, format(
            'min(extract(epoch from (((x.bucket at time zone %1$L)::date + 1)::timestamp at time zone %1$L)'
            ' - (((x.bucket at time zone %1$L)::date)::timestamp at time zone %1$L))::int / 60 / s.interval_minutes)',
            v_tz)));

    raise debug 'rollup_refresh month at %', clock_timestamp();
    delete from smf.rollup_month r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket between s.lo_m and s.hi_m;
    execute format($q$
        insert into smf.rollup_month
        select x.meter_id, date_trunc('month', x.bucket)::date as month, %s
        from smf.rollup_day x
        join rollup_scope s on s.meter_id = x.meter_id
            and x.bucket >= s.lo_m and x.bucket < (s.hi_m + interval '1 month')::date
        group by x.meter_id, month, s.interval_minutes$q$,
        format(v_derived, format(
            'min(extract(epoch from ((date_trunc(''month'', x.bucket) + interval ''1 month'')::timestamp at time zone %1$L)'
            ' - (date_trunc(''month'', x.bucket)::timestamp at time zone %1$L))::int / 60 / s.interval_minutes)',
            v_tz)));
    raise debug 'rollup_refresh done at %', clock_timestamp();
end
$_$;

CREATE FUNCTION smf.rollup_refresh_meter(p_meter integer, p_lo timestamp with time zone, p_hi timestamp with time zone) RETURNS void
    LANGUAGE sql
    SET search_path TO 'smf', 'public'
    AS $$
    select smf.rollup_refresh(array[p_meter], array[p_lo], array[p_hi])
$$;

CREATE FUNCTION smf.rollup_select_list(p_from_raw boolean) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
    select concat_ws(', ',
        (select string_agg(format('sum(x.%I)', c), ', ') from unnest(smf.energy_columns()) c),
        case when p_from_raw then
            'count(*) filter (where x.quality = ''measured''), count(*) filter (where x.quality = ''adjusted''), '
            'count(*) filter (where x.quality = ''estimated''), count(*) filter (where x.quality = ''missing'')'
        else 'sum(x.n_measured), sum(x.n_adjusted), sum(x.n_estimated), sum(x.n_missing)' end,
        '%s',  -- n_expected, filled in by the caller
        (select string_agg(
            case when p_from_raw then format('min(x.%1$I), max(x.%1$I), sum(x.%1$I), count(x.%1$I)', c)
            else format('min(x.%1$I), max(x.%2$I), sum(x.%3$I), sum(x.%4$I)', c || '_min', c || '_max',
                        c || '_sum', c || '_n') end, ', ')
         from unnest(smf.analog_columns()) c),
        case when p_from_raw then
            -- 15-minute demand: energy of the quarter hour (Wh) x 4 / 1000 = kW
            'round(sum(x.active_fwd_wh) * 4 / 1000.0, 3), min(time_bucket(''15 minutes'', x.ts))'
        -- the time of the highest demand, the earliest on ties (TimescaleDB last(value, key))
        else 'max(x.max_demand_kw), last(x.max_demand_at, x.max_demand_kw * 100000000000 '
             '- extract(epoch from x.max_demand_at))' end)
$_$;

CREATE FUNCTION smf.rollup_view_sql(p_table text, p_start text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
    select format(
        'select r.meter_id, m.serial, %s as bucket_start, %s, '
        'round(100.0 * (r.n_measured + r.n_adjusted + r.n_estimated) / r.n_expected, 2) '
        'as completeness_pct, r.n_measured, r.n_adjusted, r.n_estimated, r.n_missing, '
        'r.n_expected, %s, r.max_demand_kw, r.max_demand_at '
        'from smf.%I r join smf.meter m on m.id = r.meter_id',
        p_start,
        (select string_agg(format('(r.%I / 1000.0)::numeric(18,3) as %I', c,
                                  regexp_replace(c, '_(wh|varh)$', '_k\1')), ', ')
         from unnest(smf.energy_columns()) c),
        (select string_agg(format(
            '(r.%1$I / 1000.0)::numeric(12,3) as %2$I_min, '
            '(r.%3$I / 1000.0)::numeric(12,3) as %2$I_max, '
            'round(r.%4$I / nullif(r.%5$I, 0) / 1000.0, 3) as %2$I_mean',
            c || '_min', regexp_replace(c, '_m(v|a)$', '_\1'), c || '_max', c || '_sum', c || '_n'),
            ', ')
         from unnest(smf.analog_columns()) c),
        p_table)
$_$;

CREATE FUNCTION smf.rule_param(p_key text, p_day date DEFAULT CURRENT_DATE) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v numeric;
begin
    select value into v from smf.rule_parameter where key = p_key and valid_during @> p_day;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('no rule parameter %s valid on %s', p_key, p_day);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.tariff_price(p_distributor integer, p_modality text, p_item text, p_posto text, p_day date) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select price from smf.tariff
    where distributor_id = p_distributor and modality = p_modality and item = p_item and posto = p_posto
      and valid_during @> p_day
$$;

CREATE FUNCTION smf.transformer_loss_default(p_uc_code text, p_day date DEFAULT CURRENT_DATE) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select case when cu.supply_voltage_kv <= smf.rule_param('loss_voltage_threshold_kv', p_day)
                then smf.rule_param('loss_factor_up_to_threshold', p_day)
                else smf.rule_param('loss_factor_above_threshold', p_day) end
    from smf.consumer_unit cu where cu.id = smf.uc_id(p_uc_code)
$$;

CREATE FUNCTION smf.transformer_loss_factor(p_uc_code text, p_day date) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select coalesce((select factor from smf.transformer_loss
                     where consumer_unit_id = smf.uc_id(p_uc_code) and valid_during @> p_day), 0)
$$;

CREATE FUNCTION smf.uc_channels(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone, p_step text DEFAULT '15min'::text, p_mode text DEFAULT 'units'::text) RETURNS TABLE(bucket_start timestamp with time zone, active_fwd numeric, active_rev numeric, reactive_ind_fwd numeric, reactive_ind_rev numeric, reactive_cap_fwd numeric, reactive_cap_rev numeric, voltage_a numeric, voltage_b numeric, voltage_c numeric, current_a numeric, current_b numeric, current_c numeric, completeness_pct numeric)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
declare
    v_meter int;
    v_map text[];
    v_k numeric[];
    v_view text := case p_step when '15min' then 'meter_15min' when 'hour' then 'meter_hourly'
                               when 'day' then 'meter_daily' when 'month' then 'meter_monthly' end;
begin
    if v_view is null or p_mode not in ('units', 'pulses') then
        raise exception using errcode = 'SMF02',
            message = format('uc_channels: step %s (15min, hour, day, month) / mode %s (units, pulses)', p_step, p_mode);
    end if;
    select m.id, m.channel_map, m.channel_constants into v_meter, v_map, v_k
    from smf.consumer_unit cu join smf.meter m on m.id = cu.main_meter_id
    where cu.id = smf.uc_id(p_uc_code);
    return query execute format($q$
        select r.bucket_start,
               r.active_fwd_kwh / smf.channel_divisor($1, $2, 'active_fwd_kwh', $3),
               r.active_rev_kwh / smf.channel_divisor($1, $2, 'active_rev_kwh', $3),
               r.reactive_ind_fwd_kvarh / smf.channel_divisor($1, $2, 'reactive_ind_fwd_kvarh', $3),
               r.reactive_ind_rev_kvarh / smf.channel_divisor($1, $2, 'reactive_ind_rev_kvarh', $3),
               r.reactive_cap_fwd_kvarh / smf.channel_divisor($1, $2, 'reactive_cap_fwd_kvarh', $3),
               r.reactive_cap_rev_kvarh / smf.channel_divisor($1, $2, 'reactive_cap_rev_kvarh', $3),
               r.voltage_a_v_mean / smf.channel_divisor($1, $2, 'voltage_a_v', $3),
               r.voltage_b_v_mean / smf.channel_divisor($1, $2, 'voltage_b_v', $3),
               r.voltage_c_v_mean / smf.channel_divisor($1, $2, 'voltage_c_v', $3),
               r.current_a_a_mean / smf.channel_divisor($1, $2, 'current_a_a', $3),
               r.current_b_a_mean / smf.channel_divisor($1, $2, 'current_b_a', $3),
               r.current_c_a_mean / smf.channel_divisor($1, $2, 'current_c_a', $3),
               r.completeness_pct
        from smf.%I r
        where r.meter_id = $4 and r.bucket_start >= $5 and r.bucket_start < $6
        order by r.bucket_start$q$, v_view)
    using v_map, v_k, p_mode, v_meter, p_from, p_to;
end
$_$;

CREATE FUNCTION smf.uc_check_digit(p_digits text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select case when s % 11 < 2 then 0 else 11 - s % 11 end
    from (
        select sum(substr(p_digits, length(p_digits) - i, 1)::int * (2 + i % 8)) as s
        from generate_series(0, length(p_digits) - 1) as i
    ) t
$$;

CREATE FUNCTION smf.uc_code_is_valid(p_code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $_$
    select coalesce(p_code ~ '^[0-9]{15}$'
        and smf.uc_check_digit(left(p_code, 13)) = substr(p_code, 14, 1)::int
        and smf.uc_check_digit(left(p_code, 14)) = substr(p_code, 15, 1)::int, false)
$_$;

CREATE FUNCTION smf.uc_code_with_check_digits(p_sequential bigint, p_distributor integer) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select base || d1 || smf.uc_check_digit(base || d1)
    from (select lpad(p_sequential::text, 10, '0') || lpad(p_distributor::text, 3, '0') as base) b,
         lateral (select smf.uc_check_digit(b.base)::text as d1) c
$$;

CREATE FUNCTION smf.uc_hour_pieces(p_uc integer, p_month date, p_with_losses boolean) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, posto text, demand_posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric, max_demand_at timestamp with time zone, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with f as materialized (
        select smf.rule_param('power_factor_reference', date_trunc('month', p_month)::date) as fr
    ), h as (
        select q.hour_ts, min(q.local_ts) as local_hour, q.posto, q.demand_posto,
               case when bool_and(q.reactive_window = 'capacitive') then 'capacitive'
                    when bool_or(q.reactive_window = 'capacitive') then 'mixed' else 'inductive' end as win,
               count(*)::int * 15 as minutes,
               sum(case when p_with_losses then q.p_kwh else q.p_kwh_raw end) as p,
               coalesce(sum(case when q.reactive_window = 'capacitive'
                                 then case when p_with_losses then q.q_cap_kvarh else q.q_cap_kvarh_raw end
                                 else case when p_with_losses then q.q_ind_kvarh else q.q_ind_kvarh_raw end end), 0) as q,
               max(case when p_with_losses then q.p_kwh else q.p_kwh_raw end) * 4 as max_kw,
               (array_agg(q.ts order by case when p_with_losses then q.p_kwh else q.p_kwh_raw end desc nulls last,
                          q.ts))[1] as max_at,
               sum(q.n_present)::int as n_present, sum(q.n_expected)::int as n_expected
        from smf.uc_quarter_hours(p_uc, smf.local_month_start(p_month),
                                  smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date)) q
        group by q.hour_ts, q.posto, q.demand_posto
    ), x as (
        select h.*, sqrt(h.p * h.p + h.q * h.q) as s, f.fr
        from h cross join f
    )
    select x.hour_ts, x.local_hour, x.posto, x.demand_posto, x.win, x.minutes,
           x.p, case when x.p is not null then x.q end, case when x.p is not null then x.s end,
           case when x.s > 0 then x.p / x.s end,
           case when x.p < x.fr * x.s then x.fr * x.s - x.p when x.p is not null then 0 end,
           case when x.p < x.fr * x.s then x.fr * x.s else x.p end * 60 / x.minutes,
           x.p = 0 and x.q > 0,
           x.max_kw, case when x.max_kw is not null then x.max_at end,
           x.n_present, x.n_expected
    from x
    order by x.hour_ts, x.posto
$$;

CREATE FUNCTION smf.uc_hourly_energy(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric, p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select q.hour_ts, min(q.local_ts),
           sum(q.p_kwh_raw), sum(q.q_ind_kvarh_raw), sum(q.q_cap_kvarh_raw),
           sum(q.p_kwh), sum(q.q_ind_kvarh), sum(q.q_cap_kvarh),
           sum(q.n_present)::int, sum(q.n_expected)::int
    from smf.uc_quarter_hours(smf.uc_id(p_uc_code), p_from, p_to) q
    group by q.hour_ts
    order by q.hour_ts
$$;

CREATE FUNCTION smf.uc_id(p_uc_code text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
declare
    v int;
begin
    if p_uc_code is null or p_uc_code !~ '^[0-9]{15}$' then
        raise exception using errcode = 'SMF02',
            message = format('UC code %s is not 15 digits', coalesce(quote_literal(p_uc_code), 'null'));
    end if;
    select id into v from smf.consumer_unit where uc_code = p_uc_code;
    if not found then
        raise exception using errcode = 'SMF04', message = format('unknown consumer unit %s', p_uc_code);
    end if;
    return v;
end
$_$;

CREATE FUNCTION smf.uc_interval_energy(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, quality smf.quality, loss_factor numeric, p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric, p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select x.ts, x.quality, coalesce(tl.factor, 0),
           x.active_fwd_wh / 1000.0, x.reactive_ind_fwd_varh / 1000.0, x.reactive_cap_fwd_varh / 1000.0,
           x.active_fwd_wh / 1000.0 * (1 + coalesce(tl.factor, 0)),
           x.reactive_ind_fwd_varh / 1000.0 * (1 + coalesce(tl.factor, 0)),
           x.reactive_cap_fwd_varh / 1000.0 * (1 + coalesce(tl.factor, 0))
    from smf.consumer_unit cu
    join smf.interval_reading x on x.meter_id = cu.main_meter_id and x.ts >= p_from and x.ts < p_to
    left join smf.transformer_loss tl on tl.consumer_unit_id = cu.id
        and tl.valid_during @> (x.ts at time zone smf.local_timezone())::date
    where cu.id = smf.uc_id(p_uc_code)
    order by x.ts
$$;

CREATE FUNCTION smf.uc_main_meter(p_uc_code text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v int;
begin
    select main_meter_id into v from smf.consumer_unit where id = smf.uc_id(p_uc_code);
    if v is null then
        raise exception using errcode = 'SMF04', message = format('UC %s has no main meter', p_uc_code);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.uc_quarter_hours(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, hour_ts timestamp with time zone, posto text, demand_posto text, reactive_window text, reservado boolean, loss_factor numeric, p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric, p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with m as (
        select mt.id, mt.interval_minutes
        from smf.consumer_unit cu join smf.meter mt on mt.id = cu.main_meter_id
        where cu.id = p_uc
    )
    select l.ts, l.local_ts, l.hour_ts, l.posto, l.demand_posto, l.reactive_window, l.reservado, l.loss_factor,
           r.active_fwd_wh / 1000.0, r.reactive_ind_fwd_varh / 1000.0, r.reactive_cap_fwd_varh / 1000.0,
           r.active_fwd_wh / 1000.0 * (1 + l.loss_factor),
           r.reactive_ind_fwd_varh / 1000.0 * (1 + l.loss_factor),
           r.reactive_cap_fwd_varh / 1000.0 * (1 + l.loss_factor),
           coalesce(r.n_measured + r.n_adjusted + r.n_estimated, 0),
           15 / m.interval_minutes
    from m
    cross join smf.uc_quarter_labels(p_uc, p_from, p_to) l
    left join smf.rollup_15min r on r.meter_id = m.id and r.bucket = l.ts
        and r.bucket >= p_from - interval '15 minutes' and r.bucket < p_to
$$;

CREATE FUNCTION smf.uc_quarter_labels(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, hour_ts timestamp with time zone, posto text, demand_posto text, reactive_window text, reservado boolean, loss_factor numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with u as (
        select cu.id, cu.distributor_id, cu.modality, smf.local_timezone() as tz
        from smf.consumer_unit cu where cu.id = p_uc
    ), grid as (
        select g.ts, g.ts at time zone u.tz as lt
        from u, generate_series(public.time_bucket('15 minutes', p_from), p_to - interval '1 microsecond',
                                interval '15 minutes') g(ts)
    ), days as materialized (
        select d::date as day,
               extract(isodow from d) < 6 and not exists (
                   select 1 from smf.holiday h join smf.calendar c on c.id = h.calendar_id
                   where c.purpose = 'tariff' and c.valid_during @> d::date and h.day = d::date) as ponta_day,
               extract(epoch from s.ponta_start)::int / 60 as ps, s.ponta_minutes as pm,
               extract(epoch from s.capacitive_start)::int / 60 as cs, s.capacitive_minutes as cm,
               extract(epoch from s.reservado_start)::int / 60 as rs, s.reservado_minutes as rm,
               case when u.modality = 'branca' then s.intermediario_minutes end as im,
               coalesce(tl.factor, 0) as loss_factor, u.modality
        from u
        cross join generate_series((select min(lt)::date from grid), (select max(lt)::date from grid),
                                   interval '1 day') d
        left join smf.posto_schedule s on s.distributor_id = u.distributor_id and s.valid_during @> d::date
        left join smf.transformer_loss tl on tl.consumer_unit_id = u.id and tl.valid_during @> d::date
    )
    select g.ts, g.lt, public.time_bucket('1 hour', g.ts), k.posto,
           case when d.ps is null then null
                when d.modality <> 'azul' then 'unica'
                when k.posto = 'ponta' then 'ponta' else 'fora_ponta' end,
           case when d.cs is null then null
                when (k.m - d.cs + 1440) % 1440 < d.cm then 'capacitive' else 'inductive' end,
           d.rs is not null and (k.m - d.rs + 1440) % 1440 < d.rm,
           d.loss_factor
    from grid g
    join days d on d.day = g.lt::date
    cross join lateral (
        select mm.m,
               case when d.ps is null then null
                    when d.ponta_day and mm.m >= d.ps and mm.m < d.ps + d.pm then 'ponta'
                    when d.ponta_day and d.im is not null and mm.m >= d.ps - d.im
                         and mm.m < d.ps + d.pm + d.im then 'intermediario'
                    else 'fora_ponta' end as posto
        from (select extract(hour from g.lt)::int * 60 + extract(minute from g.lt)::int as m) mm
    ) k
    order by g.ts
$$;

CREATE FUNCTION smf.uc_reactive_hourly(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(hour timestamp with time zone, p_kwh numeric, q_kvarh numeric, power_factor numeric, ufer_kwh numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with u as (select smf.uc_id(p_uc_code) as id, smf.local_timezone() as tz),
    months as (
        select g::date as month from u, generate_series(
            date_trunc('month', p_from at time zone u.tz),
            date_trunc('month', (p_to - interval '1 microsecond') at time zone u.tz),
            interval '1 month') g
    )
    select h.hour, round(sum(h.p_kwh), 3), round(sum(h.q_kvarh), 3),
           round(sum(h.p_kwh) / nullif(sqrt(sum(h.p_kwh) ^ 2 + sum(h.q_kvarh) ^ 2), 0), 4),
           round(sum(h.ufer_kwh), 3)
    from u, months mo, smf.uc_hour_pieces(u.id, mo.month, true) h
    where h.hour >= p_from and h.hour < p_to and h.p_kwh is not null
    group by h.hour
    order by h.hour
$$;

CREATE FUNCTION smf.ufer_dmcr(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select u.* from smf.ufer_dmcr_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) u
$$;

CREATE FUNCTION smf.ufer_dmcr_hourly(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select h.hour, h.local_hour, h.posto, h.reactive_window, h.minutes, round(h.p_kwh, 3), round(h.q_kvarh, 3),
           round(h.s_kvah, 3), round(h.power_factor, 4), round(h.ufer_kwh, 3), round(h.dmcr_kw, 3), h.p_zero
    from smf.uc_hour_pieces(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) h
    where h.p_kwh is not null
$$;

CREATE FUNCTION smf.ufer_dmcr_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with c as materialized (
        select * from smf.cycle_evaluation_of(p_uc, p_month, p_with_losses)
    )
    select e.posto, round(e.ufer_kwh, 2), round(e.dmcr_kw, 2), e.dmcr_at, d.contracted_kw,
           round(d.dmcr_excess_kw, 2), e.hours, e.p_zero_hours
    from c e left join c d on d.kind = 'demand' and d.posto = e.posto
    where e.kind = 'energy'
    union all
    select d.posto, null, round(d.dmcr_kw, 2), d.dmcr_at, d.contracted_kw, round(d.dmcr_excess_kw, 2),
           d.hours, d.p_zero_hours
    from c d where d.kind = 'demand' and d.posto = 'unica'
    order by 1 desc
$$;

CREATE TABLE smf.alarm (
    id bigint NOT NULL,
    rule_code character(1) NOT NULL,
    meter_id integer NOT NULL,
    uc_id integer,
    distributor_id integer,
    state text DEFAULT 'open'::text NOT NULL,
    opened_at timestamp with time zone NOT NULL,
    last_at timestamp with time zone NOT NULL,
    occurrences integer DEFAULT 1 NOT NULL,
    value numeric,
    value_text text,
    threshold numeric,
    phase text,
    source text NOT NULL,
    message text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    acknowledged_by text,
    acknowledged_at timestamp with time zone,
    ack_comment text,
    cleared_at timestamp with time zone,
    closed_by text,
    closed_at timestamp with time zone,
    close_comment text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT alarm_check CHECK (((acknowledged_at IS NULL) = (acknowledged_by IS NULL))),
    CONSTRAINT alarm_check1 CHECK (((state <> 'acknowledged'::text) OR (acknowledged_at IS NOT NULL))),
    CONSTRAINT alarm_check2 CHECK (((state <> 'closed'::text) OR (closed_at IS NOT NULL))),
    CONSTRAINT alarm_occurrences_check CHECK ((occurrences >= 1)),
    CONSTRAINT alarm_source_check CHECK ((source = ANY (ARRAY['instantaneous'::text, 'interval'::text, 'poll'::text, 'event'::text, 'status'::text]))),
    CONSTRAINT alarm_state_check CHECK ((state = ANY (ARRAY['open'::text, 'acknowledged'::text, 'cleared'::text, 'closed'::text])))
);

COMMENT ON TABLE smf.alarm IS 'The alarm sheet: one row per episode of a rule on a meter. open -> acknowledged (explicit command only) -> cleared (condition ended) or closed (by command). A repeat while open or acknowledged updates the row. Times are those of the data (UTC).';

CREATE TABLE smf.alarm_rule (
    code character(1) NOT NULL,
    name text NOT NULL,
    quantity text NOT NULL,
    unit text NOT NULL,
    description text NOT NULL,
    CONSTRAINT alarm_rule_code_check CHECK (((code >= 'a'::bpchar) AND (code <= 'm'::bpchar)))
);

COMMENT ON TABLE smf.alarm_rule IS 'Catalogue of the alarm rules a-m of seed 003 §5.9: what each compares and in which unit.';

CREATE TABLE smf.instantaneous_reading (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    "values" jsonb NOT NULL,
    reactive_characteristic text
);

COMMENT ON TABLE smf.instantaneous_reading IS 'Instantaneous values 0x14 at the meter clock (UTC): V, A, W, var, cos phi, frequency, THD ... as read (units of power fields depend on the meter).';

CREATE TABLE smf.meter (
    id integer NOT NULL,
    serial text NOT NULL,
    manufacturer text,
    model text,
    protocol text DEFAULT 'nbr14522'::text NOT NULL,
    interval_minutes smallint DEFAULT 5 NOT NULL,
    channel_map text[] DEFAULT ARRAY['active_fwd_kwh'::text, 'reactive_ind_fwd_kvarh'::text, 'reactive_cap_fwd_kvarh'::text] NOT NULL,
    channel_constants numeric[],
    utc_offset_minutes smallint DEFAULT '-180'::integer NOT NULL,
    transport text,
    max_power_kw numeric DEFAULT 100000 NOT NULL,
    max_voltage_v numeric DEFAULT 600000 NOT NULL,
    max_current_a numeric DEFAULT 20000 NOT NULL,
    poll_schedule text DEFAULT 'daily'::text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meter_channel_map_check CHECK (((cardinality(channel_map) >= 1) AND (cardinality(channel_map) <= 12))),
    CONSTRAINT meter_channel_map_check1 CHECK ((channel_map <@ ARRAY['active_fwd_kwh'::text, 'active_rev_kwh'::text, 'reactive_ind_fwd_kvarh'::text, 'reactive_ind_rev_kvarh'::text, 'reactive_cap_fwd_kvarh'::text, 'reactive_cap_rev_kvarh'::text, 'voltage_a_v'::text, 'voltage_b_v'::text, 'voltage_c_v'::text, 'current_a_a'::text, 'current_b_a'::text, 'current_c_a'::text])),
    CONSTRAINT meter_check CHECK (((channel_constants IS NULL) OR (cardinality(channel_constants) = cardinality(channel_map)))),
    CONSTRAINT meter_interval_minutes_check CHECK ((interval_minutes = ANY (ARRAY[5, 15]))),
    CONSTRAINT meter_max_current_a_check CHECK ((max_current_a > (0)::numeric)),
    CONSTRAINT meter_max_power_kw_check CHECK ((max_power_kw > (0)::numeric)),
    CONSTRAINT meter_max_voltage_v_check CHECK ((max_voltage_v > (0)::numeric)),
    CONSTRAINT meter_poll_schedule_check CHECK ((poll_schedule = ANY (ARRAY['15min'::text, 'hourly'::text, 'daily'::text, 'never'::text]))),
    CONSTRAINT meter_protocol_check CHECK ((protocol = ANY (ARRAY['nbr14522'::text, 'nbr14522_wrapper'::text, 'nbr14522_addressed'::text, 'import_only'::text]))),
    CONSTRAINT meter_serial_check CHECK ((serial ~ '^[0-9A-Za-z-]{1,20}$'::text)),
    CONSTRAINT meter_utc_offset_minutes_check CHECK (((utc_offset_minutes >= '-720'::integer) AND (utc_offset_minutes <= 840)))
);

COMMENT ON COLUMN smf.meter.channel_map IS 'Quantity carried by each meter channel, in channel order (1-based); 3 entries for legacy meters, up to 12.';

COMMENT ON COLUMN smf.meter.channel_constants IS 'Multiplication constant of each channel: engineering units per pulse (kWh, kvarh, V, A).';

COMMENT ON COLUMN smf.meter.utc_offset_minutes IS 'Offset of the meter clock from UTC, in minutes (Brazil: -180); the DST flag of the protocol adds 60.';

COMMENT ON COLUMN smf.meter.max_power_kw IS 'Physical maximum of energy channels, as power: a value above max_power_kw x interval is quarantined.';

CREATE TABLE smf.meter_status_report (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    battery_raw smallint,
    source text DEFAULT 'poll'::text NOT NULL
);

COMMENT ON TABLE smf.meter_status_report IS 'Health fields a read reports about the meter: battery octet 147 of 0x20/0x21 as read (raw; polarity unverified, rule l''s threshold says which code means bad).';

CREATE TABLE smf.poll_attempt (
    meter_id integer NOT NULL,
    started_at timestamp with time zone NOT NULL,
    duration_ms integer NOT NULL,
    trigger text NOT NULL,
    attempt smallint DEFAULT 1 NOT NULL,
    bytes_in bigint DEFAULT 0 NOT NULL,
    bytes_out bigint DEFAULT 0 NOT NULL,
    outcome text NOT NULL,
    error_class text,
    error_message text,
    clock_drift_s numeric(10,1),
    intervals_read integer DEFAULT 0 NOT NULL,
    intervals_stored integer DEFAULT 0 NOT NULL,
    batch_id integer,
    CONSTRAINT poll_attempt_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT poll_attempt_bytes_in_check CHECK ((bytes_in >= 0)),
    CONSTRAINT poll_attempt_bytes_out_check CHECK ((bytes_out >= 0)),
    CONSTRAINT poll_attempt_check CHECK (((outcome = 'ok'::text) = (error_class IS NULL))),
    CONSTRAINT poll_attempt_duration_ms_check CHECK ((duration_ms >= 0)),
    CONSTRAINT poll_attempt_outcome_check CHECK ((outcome = ANY (ARRAY['ok'::text, 'link_error'::text, 'meter_busy'::text, 'meter_refused'::text, 'wrong_meter'::text, 'not_implemented'::text, 'store_failed'::text]))),
    CONSTRAINT poll_attempt_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'on_demand'::text, 'retry'::text])))
);

COMMENT ON TABLE smf.poll_attempt IS 'Connectivity log: one row per session with a meter (its outcome, error class and message, bytes, duration, clock drift in seconds, intervals read and newly stored).';

CREATE VIEW smf.alarm_coverage WITH (security_invoker='true') AS
 WITH f AS (
         SELECT m.id AS meter_id,
            m.serial,
            (m.channel_map && ARRAY['voltage_a_v'::text, 'voltage_b_v'::text, 'voltage_c_v'::text]) AS has_v,
            (m.channel_map && ARRAY['current_a_a'::text, 'current_b_a'::text, 'current_c_a'::text]) AS has_i,
            ('active_fwd_kwh'::text = ANY (m.channel_map)) AS has_p,
            (EXISTS ( SELECT 1
                   FROM smf.instantaneous_reading i
                  WHERE (i.meter_id = m.id))) AS has_0x14,
            (((m.transport IS NOT NULL) AND (m.protocol <> 'import_only'::text)) OR (EXISTS ( SELECT 1
                   FROM smf.poll_attempt a
                  WHERE (a.meter_id = m.id)))) AS polled,
            (EXISTS ( SELECT 1
                   FROM smf.meter_status_report s
                  WHERE (s.meter_id = m.id))) AS has_status,
            cardinality(m.channel_map) AS channels
           FROM smf.meter m
          WHERE m.enabled
        )
 SELECT f.meter_id,
    f.serial,
    u.uc_code,
    u.customer_name,
    u.uc_id,
    u.distributor_id,
    r.code AS rule_code,
    r.name AS rule_name,
    (((t.thr -> (r.code)::text) ->> 'value'::text))::numeric AS threshold,
    ((t.thr -> (r.code)::text) ->> 'level'::text) AS level,
        CASE
            WHEN (NOT (t.thr ? (r.code)::text)) THEN 'not programmed'::text
            WHEN ((r.quantity = 'voltage'::text) AND (NOT (f.has_v OR f.has_0x14))) THEN format('skipped: %s-channel meter without 0x14 reports no voltage'::text, f.channels)
            WHEN ((r.quantity = 'current'::text) AND (NOT (f.has_i OR f.has_0x14))) THEN format('skipped: %s-channel meter without 0x14 reports no current'::text, f.channels)
            WHEN ((r.quantity = 'power'::text) AND (NOT f.has_0x14)) THEN 'skipped: no 0x14 values (per-phase power)'::text
            WHEN ((r.quantity = ANY (ARRAY['serial'::text, 'clock'::text, 'connectivity'::text])) AND (NOT f.polled)) THEN 'skipped: import-only meter (no sessions)'::text
            WHEN ((r.quantity = 'demand'::text) AND ((u.uc_id IS NULL) OR (NOT f.has_p))) THEN 'skipped: no consumer unit or no active channel'::text
            WHEN ((r.quantity = 'battery'::text) AND (NOT f.has_status)) THEN 'skipped: no battery state reported yet'::text
            ELSE 'evaluated'::text
        END AS status
   FROM (((f
     LEFT JOIN LATERAL smf.meter_uc(f.meter_id) u(uc_id, distributor_id, group_id, uc_code, customer_name) ON (true))
     CROSS JOIN LATERAL ( SELECT COALESCE(jsonb_object_agg(x.rule_code, jsonb_build_object('value', x.value, 'level', x.level)), '{}'::jsonb) AS thr
           FROM smf.alarm_thresholds_of(f.meter_id, now()) x(rule_code, value, params, level)) t)
     CROSS JOIN smf.alarm_rule r);

CREATE TABLE smf.alarm_delivery (
    notification_id bigint NOT NULL,
    attempt integer NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    url text NOT NULL,
    status_code integer,
    error text,
    duration_ms integer NOT NULL
);

COMMENT ON TABLE smf.alarm_delivery IS 'Each try to deliver a notification: target (without credentials), HTTP status or error, duration.';

CREATE TABLE smf.alarm_group (
    id integer NOT NULL,
    name text NOT NULL,
    distributor_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT alarm_group_name_check CHECK ((name <> ''::text))
);

COMMENT ON TABLE smf.alarm_group IS 'Groups of consumer units sharing alarm thresholds (an analyst''s universe of consumers).';

ALTER TABLE smf.alarm_group ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.alarm_group_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.alarm_group_member (
    consumer_unit_id integer NOT NULL,
    group_id integer NOT NULL
);

COMMENT ON TABLE smf.alarm_group_member IS 'The alarm group of a consumer unit (at most one).';

ALTER TABLE smf.alarm ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.alarm_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.alarm_notification (
    id bigint NOT NULL,
    alarm_id bigint NOT NULL,
    event text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    next_try_at timestamp with time zone DEFAULT now() NOT NULL,
    gave_up_at timestamp with time zone,
    CONSTRAINT alarm_notification_event_check CHECK ((event = ANY (ARRAY['opened'::text, 'acknowledged'::text, 'cleared'::text, 'closed'::text])))
);

COMMENT ON TABLE smf.alarm_notification IS 'Outbox of alarm transitions for the webhook: written in the transaction of the transition, delivered later with retry and backoff.';

ALTER TABLE smf.alarm_notification ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.alarm_notification_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.consumer_unit (
    id integer NOT NULL,
    uc_code character(15) NOT NULL,
    distributor_id integer NOT NULL,
    customer_name text NOT NULL,
    submarket smf.submarket NOT NULL,
    tariff_group text NOT NULL,
    modality text NOT NULL,
    contracted_demand_ponta_kw numeric(12,3),
    contracted_demand_fora_ponta_kw numeric(12,3),
    musd_kw numeric(12,3),
    supply_voltage_kv numeric(8,3) NOT NULL,
    main_meter_id integer,
    backup_meter_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT consumer_unit_azul_needs_ponta_demand CHECK (((modality <> 'azul'::text) OR (contracted_demand_ponta_kw IS NOT NULL))),
    CONSTRAINT consumer_unit_backup_differs CHECK ((backup_meter_id <> main_meter_id)),
    CONSTRAINT consumer_unit_contracted_demand_fora_ponta_kw_check CHECK ((contracted_demand_fora_ponta_kw >= (0)::numeric)),
    CONSTRAINT consumer_unit_contracted_demand_ponta_kw_check CHECK ((contracted_demand_ponta_kw >= (0)::numeric)),
    CONSTRAINT consumer_unit_customer_name_check CHECK ((customer_name <> ''::text)),
    CONSTRAINT consumer_unit_modality_check CHECK ((modality = ANY (ARRAY['azul'::text, 'verde'::text, 'convencional'::text, 'branca'::text]))),
    CONSTRAINT consumer_unit_musd_kw_check CHECK ((musd_kw >= (0)::numeric)),
    CONSTRAINT consumer_unit_supply_voltage_kv_check CHECK ((supply_voltage_kv > (0)::numeric)),
    CONSTRAINT consumer_unit_tariff_group_check CHECK ((tariff_group = ANY (ARRAY['A1'::text, 'A2'::text, 'A3'::text, 'A3a'::text, 'A4'::text, 'AS'::text, 'B1'::text, 'B2'::text, 'B3'::text]))),
    CONSTRAINT consumer_unit_uc_code_valid CHECK (smf.uc_code_is_valid((uc_code)::text))
);

COMMENT ON TABLE smf.consumer_unit IS 'Consumer units / metering points. uc_code: 15 digits with two mod-11 check digits.';

CREATE VIEW smf.alarm_sheet WITH (security_invoker='true') AS
 SELECT a.id,
    a.state,
    a.rule_code,
    r.name AS rule_name,
    (cu.uc_code)::text AS uc_code,
    cu.customer_name,
    m.serial AS meter_serial,
    a.opened_at,
    a.last_at,
    (a.opened_at AT TIME ZONE smf.local_timezone()) AS opened_local,
    a.value,
    a.value_text,
    a.threshold,
    r.unit,
    a.phase,
    a.occurrences,
    a.source,
    a.message,
    a.acknowledged_by,
    a.acknowledged_at,
    a.ack_comment,
    a.cleared_at,
    a.closed_by,
    a.closed_at,
    a.close_comment,
    a.uc_id,
    a.distributor_id,
    a.meter_id,
    a.detail
   FROM (((smf.alarm a
     JOIN smf.alarm_rule r ON ((r.code = a.rule_code)))
     JOIN smf.meter m ON ((m.id = a.meter_id)))
     LEFT JOIN smf.consumer_unit cu ON ((cu.id = a.uc_id)));

CREATE TABLE smf.alarm_threshold (
    id integer NOT NULL,
    rule_code character(1) NOT NULL,
    meter_id integer,
    group_id integer,
    valid_during tstzrange DEFAULT tstzrange(NULL::timestamp with time zone, NULL::timestamp with time zone) NOT NULL,
    value numeric NOT NULL,
    params jsonb DEFAULT '{}'::jsonb NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT alarm_threshold_check CHECK (((meter_id IS NULL) OR (group_id IS NULL))),
    CONSTRAINT alarm_threshold_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.alarm_threshold IS 'Programmed alarm values, in the unit of their rule: per meter, per alarm group, or default (both null), each valid over a time range. The most specific valid row wins; enabled = false switches a rule off at that level.';

ALTER TABLE smf.alarm_threshold ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.alarm_threshold_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.calendar (
    id integer NOT NULL,
    purpose text NOT NULL,
    version integer NOT NULL,
    valid_during daterange NOT NULL,
    description text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT calendar_purpose_check CHECK ((purpose = ANY (ARRAY['tariff'::text, 'ccee'::text]))),
    CONSTRAINT calendar_valid_during_check CHECK ((NOT isempty(valid_during))),
    CONSTRAINT calendar_version_check CHECK ((version > 0))
);

COMMENT ON TABLE smf.calendar IS 'Versioned holiday calendars: purpose tariff (days without ponta) or ccee (non-business days of CCEE deadlines); one version applies per date.';

ALTER TABLE smf.calendar ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.calendar_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.calendar_rule (
    calendar_id integer NOT NULL,
    rule_code text NOT NULL
);

COMMENT ON TABLE smf.calendar_rule IS 'Which holiday rules a calendar version is generated from.';

CREATE TABLE smf.ccee_deadline (
    code text NOT NULL,
    description text NOT NULL,
    base text NOT NULL,
    business_days smallint NOT NULL,
    valid_during daterange NOT NULL,
    CONSTRAINT ccee_deadline_base_check CHECK ((base = ANY (ARRAY['M'::text, 'MS'::text]))),
    CONSTRAINT ccee_deadline_business_days_check CHECK ((business_days > 0)),
    CONSTRAINT ccee_deadline_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.ccee_deadline IS 'CCEE deadlines of a reference month M: the n-th business day of M (base M) or of the month after (base MS).';

ALTER TABLE smf.consumer_unit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.consumer_unit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.contract_hour_volume (
    contract_id integer NOT NULL,
    hour timestamp with time zone NOT NULL,
    mwh numeric(14,6) NOT NULL,
    CONSTRAINT contract_hour_volume_hour_check CHECK ((((EXTRACT(epoch FROM hour))::bigint % (3600)::bigint) = 0)),
    CONSTRAINT contract_hour_volume_mwh_check CHECK ((mwh >= (0)::numeric))
);

COMMENT ON TABLE smf.contract_hour_volume IS 'Declared modulation: MWh per hour (hour-beginning instant).';

CREATE TABLE smf.contract_month_volume (
    contract_id integer NOT NULL,
    month date NOT NULL,
    mwh numeric(14,6) NOT NULL,
    CONSTRAINT contract_month_volume_month_check CHECK ((EXTRACT(day FROM month) = (1)::numeric)),
    CONSTRAINT contract_month_volume_mwh_check CHECK ((mwh >= (0)::numeric))
);

COMMENT ON TABLE smf.contract_month_volume IS 'Declared seasonalization (or the month volumes of a short-term contract), MWh per local month.';

CREATE TABLE smf.distributor (
    id integer NOT NULL,
    ccee_agent_code integer NOT NULL,
    aneel_code character(3) NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT distributor_aneel_code_check CHECK ((aneel_code ~ '^[0-9]{3}$'::text)),
    CONSTRAINT distributor_ccee_agent_code_check CHECK ((ccee_agent_code > 0)),
    CONSTRAINT distributor_name_check CHECK ((name <> ''::text))
);

COMMENT ON TABLE smf.distributor IS 'Distribution utilities (connected agents), with their CCEE agent code and the 3-digit ANEEL code used in UC codes.';

ALTER TABLE smf.distributor ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.distributor_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.energy_contract (
    id integer NOT NULL,
    code text NOT NULL,
    kind text NOT NULL,
    seller text NOT NULL,
    buyer_uc_id integer,
    buyer_agent text,
    submarket smf.submarket NOT NULL,
    valid_during daterange NOT NULL,
    annual_mwh numeric(14,6),
    modulation text DEFAULT 'flat'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT energy_contract_annual_mwh_check CHECK ((annual_mwh >= (0)::numeric)),
    CONSTRAINT energy_contract_check CHECK (((buyer_uc_id IS NOT NULL) OR (buyer_agent IS NOT NULL))),
    CONSTRAINT energy_contract_code_check CHECK ((code <> ''::text)),
    CONSTRAINT energy_contract_kind_check CHECK ((kind = ANY (ARRAY['bilateral'::text, 'incentivada'::text, 'proinfa'::text]))),
    CONSTRAINT energy_contract_modulation_check CHECK ((modulation = ANY (ARRAY['flat'::text, 'load_following'::text]))),
    CONSTRAINT energy_contract_seller_check CHECK ((seller <> ''::text)),
    CONSTRAINT energy_contract_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.energy_contract IS 'Energy contracts (bilateral, incentivized, PROINFA): annual volume (long term) and/or month volumes; modulation used when no hourly volumes are declared.';

ALTER TABLE smf.energy_contract ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.energy_contract_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.meter_monitoring (
    id integer NOT NULL,
    meter_id integer NOT NULL,
    starts_at timestamp with time zone DEFAULT now() NOT NULL,
    ends_at timestamp with time zone NOT NULL,
    requested_by text DEFAULT CURRENT_USER NOT NULL,
    reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meter_monitoring_check CHECK ((ends_at > starts_at))
);

COMMENT ON TABLE smf.meter_monitoring IS 'Points under 15-minute monitoring (seed 003 §5.9 b): the poller reads the meter every 15 minutes from starts_at until ends_at.';

CREATE VIEW smf.uc_directory WITH (security_invoker='true') AS
 SELECT cu.id AS uc_id,
    (cu.uc_code)::text AS uc_code,
    cu.customer_name,
    d.id AS distributor_id,
    d.name AS distributor,
    cu.modality,
    cu.tariff_group,
    cu.contracted_demand_ponta_kw,
    cu.contracted_demand_fora_ponta_kw,
    m.id AS meter_id,
    m.serial AS meter_serial,
    m.model,
    cardinality(m.channel_map) AS channels,
    m.interval_minutes
   FROM ((smf.consumer_unit cu
     JOIN smf.distributor d ON ((d.id = cu.distributor_id)))
     LEFT JOIN smf.meter m ON ((m.id = cu.main_meter_id)));

CREATE VIEW smf.fleet_poll_health WITH (security_invoker='true') AS
 SELECT m.id AS meter_id,
    m.serial,
    u.uc_code,
    u.customer_name,
    m.poll_schedule,
    h.last_attempt_at,
    h.last_outcome,
    h.last_ok_at,
    COALESCE(h.failures_since_ok, (0)::bigint) AS failures_since_ok,
    (EXISTS ( SELECT 1
           FROM smf.meter_monitoring mm
          WHERE ((mm.meter_id = m.id) AND (mm.starts_at <= now()) AND (mm.ends_at > now())))) AS monitoring
   FROM ((smf.meter m
     LEFT JOIN smf.uc_directory u ON ((u.meter_id = m.id)))
     LEFT JOIN LATERAL smf.meter_poll_health(m.id) h(last_attempt_at, last_outcome, last_ok_at, failures_since_ok) ON (true))
  WHERE (m.enabled AND (m.transport IS NOT NULL) AND (m.protocol <> 'import_only'::text));

CREATE TABLE smf.holiday (
    calendar_id integer NOT NULL,
    day date NOT NULL,
    name text NOT NULL,
    rule_code text
);

COMMENT ON TABLE smf.holiday IS 'Holidays of each calendar version: generated from its rules (rule_code set), editable (rule_code null for days added by hand).';

CREATE TABLE smf.holiday_rule (
    code text NOT NULL,
    name text NOT NULL,
    fixed_month smallint,
    fixed_day smallint,
    easter_offset smallint,
    first_year smallint DEFAULT 1900 NOT NULL,
    last_year smallint DEFAULT 9999 NOT NULL,
    CONSTRAINT holiday_rule_check CHECK ((((fixed_month IS NOT NULL) AND (fixed_day IS NOT NULL) AND (easter_offset IS NULL)) OR ((fixed_month IS NULL) AND (fixed_day IS NULL) AND (easter_offset IS NOT NULL)))),
    CONSTRAINT holiday_rule_check1 CHECK ((first_year <= last_year)),
    CONSTRAINT holiday_rule_fixed_day_check CHECK (((fixed_day >= 1) AND (fixed_day <= 31))),
    CONSTRAINT holiday_rule_fixed_month_check CHECK (((fixed_month >= 1) AND (fixed_month <= 12)))
);

COMMENT ON TABLE smf.holiday_rule IS 'How a holiday falls each year: a fixed date or an offset in days from Easter Sunday, within [first_year, last_year].';

CREATE TABLE smf.rollup_hour (
    meter_id integer NOT NULL,
    bucket timestamp with time zone NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_hour IS 'Per meter and UTC hour: same shape as rollup_15min, derived from it.';

CREATE VIEW smf.hour_label AS
 SELECT cu.uc_code,
    rh.meter_id,
    rh.bucket AS hour,
    (rh.bucket AT TIME ZONE smf.local_timezone()) AS local_hour,
    l.posto,
    l.reactive_window,
    l.loss_factor
   FROM ((smf.rollup_hour rh
     JOIN smf.consumer_unit cu ON ((cu.main_meter_id = rh.meter_id)))
     CROSS JOIN LATERAL ( SELECT
                CASE
                    WHEN (count(DISTINCT q.posto) = 1) THEN min(q.posto)
                    ELSE 'mixed'::text
                END AS posto,
                CASE
                    WHEN (count(DISTINCT q.reactive_window) = 1) THEN min(q.reactive_window)
                    ELSE 'mixed'::text
                END AS reactive_window,
            max(q.loss_factor) AS loss_factor
           FROM smf.uc_quarter_labels(cu.id, rh.bucket, (rh.bucket + '01:00:00'::interval)) q(ts, local_ts, hour_ts, posto, demand_posto, reactive_window, reservado, loss_factor)) l);

CREATE TABLE smf.ingest_batch (
    id integer NOT NULL,
    source smf.reading_source NOT NULL,
    origin text,
    operator text DEFAULT CURRENT_USER NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    rows_in bigint,
    inserted bigint,
    updated bigint,
    unchanged bigint,
    quarantined jsonb
);

ALTER TABLE smf.ingest_batch ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ingest_batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.ingest_quarantine (
    id bigint NOT NULL,
    batch_id integer NOT NULL,
    line_no bigint,
    meter_ref text,
    ts timestamp with time zone,
    reason text NOT NULL,
    detail text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE smf.ingest_quarantine ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ingest_quarantine_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.interval_reading (
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    active_fwd_wh integer,
    active_rev_wh integer,
    reactive_ind_fwd_varh integer,
    reactive_ind_rev_varh integer,
    reactive_cap_fwd_varh integer,
    reactive_cap_rev_varh integer,
    voltage_a_mv integer,
    voltage_b_mv integer,
    voltage_c_mv integer,
    current_a_ma integer,
    current_b_ma integer,
    current_c_ma integer,
    quality smf.quality DEFAULT 'measured'::smf.quality NOT NULL,
    source smf.reading_source DEFAULT 'meter'::smf.reading_source NOT NULL,
    batch_id integer NOT NULL
);

COMMENT ON TABLE smf.interval_reading IS 'One row per meter and interval start (UTC). Energies in Wh/varh, voltages in mV, currents in mA, all integers.';

CREATE VIEW smf.interval_label AS
 SELECT cu.uc_code,
    ir.meter_id,
    ir.ts,
    (ir.ts AT TIME ZONE smf.local_timezone()) AS local_ts,
    l.posto,
    l.demand_posto,
    l.reactive_window,
    l.reservado,
    l.loss_factor
   FROM ((smf.interval_reading ir
     JOIN smf.consumer_unit cu ON ((cu.main_meter_id = ir.meter_id)))
     CROSS JOIN LATERAL smf.uc_quarter_labels(cu.id, ir.ts, (ir.ts + '00:00:00.000001'::interval)) l(ts, local_ts, hour_ts, posto, demand_posto, reactive_window, reservado, loss_factor));

CREATE TABLE smf.interval_reading_history (
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    active_fwd_wh integer,
    active_rev_wh integer,
    reactive_ind_fwd_varh integer,
    reactive_ind_rev_varh integer,
    reactive_cap_fwd_varh integer,
    reactive_cap_rev_varh integer,
    voltage_a_mv integer,
    voltage_b_mv integer,
    voltage_c_mv integer,
    current_a_ma integer,
    current_b_ma integer,
    current_c_ma integer,
    quality smf.quality NOT NULL,
    source smf.reading_source NOT NULL,
    batch_id integer NOT NULL,
    superseded_at timestamp with time zone DEFAULT now() NOT NULL,
    superseded_by_batch integer,
    changed_by text DEFAULT CURRENT_USER NOT NULL,
    reason text
);

COMMENT ON TABLE smf.interval_reading_history IS 'Every superseded version of an interval row, with when, by whom, by which batch and why.';

CREATE TABLE smf.rollup_15min (
    meter_id integer NOT NULL,
    bucket timestamp with time zone NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_15min IS 'Per meter and 15-minute bucket (UTC start): sums, counts by quality, min/max/sum of V and A, demand (kW).';

CREATE VIEW smf.meter_15min AS
 SELECT r.meter_id,
    m.serial,
    r.bucket AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_15min r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

CREATE TABLE smf.meter_alteration (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    command_code smallint NOT NULL,
    reader_serial text NOT NULL,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE smf.meter_alteration IS 'Alteration log of meters (0x28): which command (0x29 date, 0x30 time, 0x20 demand reset ...) changed the meter, when (UTC) and from which reader.';

CREATE VIEW smf.meter_connectivity_daily WITH (security_invoker='true') AS
 SELECT a.meter_id,
    m.serial,
    (date_trunc('day'::text, (a.started_at AT TIME ZONE smf.local_timezone())) AT TIME ZONE smf.local_timezone()) AS day_start,
    count(*) AS sessions,
    count(*) FILTER (WHERE (a.outcome = 'ok'::text)) AS ok,
    round(((100.0 * (count(*) FILTER (WHERE (a.outcome = 'ok'::text)))::numeric) / (count(*))::numeric), 1) AS connectivity_pct,
    sum((a.bytes_in + a.bytes_out)) AS bytes
   FROM (smf.poll_attempt a
     JOIN smf.meter m ON ((m.id = a.meter_id)))
  GROUP BY a.meter_id, m.serial, ((date_trunc('day'::text, (a.started_at AT TIME ZONE smf.local_timezone())) AT TIME ZONE smf.local_timezone()));

CREATE TABLE smf.rollup_day (
    meter_id integer NOT NULL,
    bucket date NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_day IS 'Per meter and local day (SMF local time zone): derived from rollup_hour.';

CREATE VIEW smf.meter_daily AS
 SELECT r.meter_id,
    m.serial,
    ((r.bucket)::timestamp without time zone AT TIME ZONE smf.local_timezone()) AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_day r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

CREATE TABLE smf.meter_event (
    id bigint NOT NULL,
    meter_id integer NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    kind text NOT NULL,
    message text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    dedupe_key text,
    CONSTRAINT meter_event_kind_check CHECK ((kind = ANY (ARRAY['clock_corrected'::text, 'clock_drift_large'::text, 'serial_changed'::text, 'plausibility_contradiction'::text, 'gap'::text])))
);

COMMENT ON TABLE smf.meter_event IS 'Conditions found while polling that need attention. Rows with the same (meter, kind, dedupe_key) are logged once.';

ALTER TABLE smf.meter_event ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.meter_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE VIEW smf.meter_hourly AS
 SELECT r.meter_id,
    m.serial,
    r.bucket AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_hour r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

ALTER TABLE smf.meter ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.meter_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE smf.meter_monitoring ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.meter_monitoring_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.rollup_month (
    meter_id integer NOT NULL,
    bucket date NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_month IS 'Per meter and local month (first day): derived from rollup_day.';

CREATE VIEW smf.meter_monthly AS
 SELECT r.meter_id,
    m.serial,
    ((r.bucket)::timestamp without time zone AT TIME ZONE smf.local_timezone()) AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_month r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

CREATE TABLE smf.meter_outage (
    meter_id integer NOT NULL,
    start_at timestamp with time zone NOT NULL,
    end_at timestamp with time zone,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meter_outage_check CHECK (((end_at IS NULL) OR (end_at >= start_at)))
);

COMMENT ON TABLE smf.meter_outage IS 'Supply outages reported by meters (0x25), UTC; every record ever reported, once. end_at null: still open when read.';

CREATE TABLE smf.meter_session_lease (
    meter_id integer NOT NULL,
    holder text NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

COMMENT ON TABLE smf.meter_session_lease IS 'Who is talking to a meter now (host:pid of a poller) and until when the lease holds if that poller dies.';

CREATE TABLE smf.pld (
    submarket smf.submarket NOT NULL,
    hour timestamp with time zone NOT NULL,
    price numeric(12,2) NOT NULL,
    CONSTRAINT pld_hour_check CHECK ((((EXTRACT(epoch FROM hour))::bigint % (3600)::bigint) = 0))
);

COMMENT ON TABLE smf.pld IS 'Hourly spot price (PLD) per submarket, R$/MWh, by hour-beginning instant.';

CREATE TABLE smf.posto_schedule (
    id integer NOT NULL,
    distributor_id integer NOT NULL,
    valid_during daterange NOT NULL,
    ponta_start time without time zone NOT NULL,
    ponta_minutes smallint DEFAULT 180 NOT NULL,
    capacitive_start time without time zone DEFAULT '00:00:00'::time without time zone NOT NULL,
    capacitive_minutes smallint DEFAULT 360 NOT NULL,
    reservado_start time without time zone,
    reservado_minutes smallint,
    intermediario_minutes smallint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT posto_schedule_check CHECK (((reservado_start IS NULL) = (reservado_minutes IS NULL))),
    CONSTRAINT posto_schedule_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.posto_schedule IS 'Postos tarifários of a distributor per validity period (local time): ponta (weekdays that are not tariff holidays), the capacitive reactive window (every day), reservado and intermediário (minutes before and after ponta) where they exist.';

ALTER TABLE smf.posto_schedule ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.posto_schedule_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.register_reading (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    period text NOT NULL,
    channel smallint NOT NULL,
    registers bigint[] NOT NULL,
    demands bigint[] NOT NULL,
    read_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT register_reading_channel_check CHECK (((channel >= 1) AND (channel <= 3))),
    CONSTRAINT register_reading_demands_check CHECK ((cardinality(demands) = 7)),
    CONSTRAINT register_reading_period_check CHECK ((period = ANY (ARRAY['current'::text, 'previous'::text]))),
    CONSTRAINT register_reading_registers_check CHECK ((cardinality(registers) = 7))
);

COMMENT ON TABLE smf.register_reading IS 'Registers 0x23 (current period, at = meter clock of the read, UTC) and 0x24 (previous period, at = the demand reset that closed it), raw as read. registers: total, ponta, ufer_ponta, fora_ponta, ufer_fora_ponta, reservado, ufer_reservado; demands: last_interval, max_ponta, dmcr_ponta, max_fora_ponta, dmcr_fora_ponta, max_reservado, dmcr_reservado.';

CREATE TABLE smf.rule_parameter (
    key text NOT NULL,
    valid_during daterange NOT NULL,
    value numeric NOT NULL,
    unit text NOT NULL,
    confidence character(1) NOT NULL,
    description text NOT NULL,
    CONSTRAINT rule_parameter_confidence_check CHECK ((confidence = ANY (ARRAY['C'::bpchar, 'L'::bpchar, 'U'::bpchar]))),
    CONSTRAINT rule_parameter_key_check CHECK ((key ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT rule_parameter_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.rule_parameter IS 'Regulatory and business parameters of the billing and market rules, per validity period; confidence C certain, L likely, U unverified (a documented default).';

CREATE TABLE smf.setting (
    key text NOT NULL,
    value text NOT NULL,
    description text NOT NULL
);

CREATE TABLE smf.tariff (
    id integer NOT NULL,
    distributor_id integer NOT NULL,
    modality text NOT NULL,
    item text NOT NULL,
    posto text NOT NULL,
    valid_during daterange NOT NULL,
    price numeric(14,6) NOT NULL,
    CONSTRAINT tariff_item_check CHECK ((item = ANY (ARRAY['energy'::text, 'demand'::text, 'overrun'::text, 'ufer'::text, 'dmcr'::text]))),
    CONSTRAINT tariff_modality_check CHECK ((modality = ANY (ARRAY['azul'::text, 'verde'::text, 'convencional'::text, 'branca'::text]))),
    CONSTRAINT tariff_posto_check CHECK ((posto = ANY (ARRAY['ponta'::text, 'fora_ponta'::text, 'intermediario'::text, 'unica'::text]))),
    CONSTRAINT tariff_price_check CHECK ((price >= (0)::numeric)),
    CONSTRAINT tariff_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.tariff IS 'Tariffs per distributor, modality, item and posto: energy and ufer in R$/kWh, demand, overrun and dmcr (excess) in R$/kW. Posto unica = the single demand of non-azul modalities.';

ALTER TABLE smf.tariff ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.tariff_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.transformer_loss (
    consumer_unit_id integer NOT NULL,
    valid_during daterange NOT NULL,
    factor numeric(6,5) NOT NULL,
    CONSTRAINT transformer_loss_factor_check CHECK (((factor >= (0)::numeric) AND (factor < 0.2))),
    CONSTRAINT transformer_loss_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.transformer_loss IS 'Transformer-loss factor per UC and validity period (0.025 at <= 44 kV, 0.01 above), applied to every interval before demand and UFER/DMCR.';

ALTER TABLE ONLY smf.alarm_delivery
    ADD CONSTRAINT alarm_delivery_pkey PRIMARY KEY (notification_id, attempt);

ALTER TABLE ONLY smf.alarm_group_member
    ADD CONSTRAINT alarm_group_member_pkey PRIMARY KEY (consumer_unit_id);

ALTER TABLE ONLY smf.alarm_group
    ADD CONSTRAINT alarm_group_name_key UNIQUE (name);

ALTER TABLE ONLY smf.alarm_group
    ADD CONSTRAINT alarm_group_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.alarm_notification
    ADD CONSTRAINT alarm_notification_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.alarm_rule
    ADD CONSTRAINT alarm_rule_pkey PRIMARY KEY (code);

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_rule_code_coalesce_coalesce1_valid_during_excl EXCLUDE USING gist (rule_code WITH =, COALESCE(meter_id, 0) WITH =, COALESCE(group_id, 0) WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_no_overlap EXCLUDE USING gist (purpose WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_purpose_version_key UNIQUE (purpose, version);

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_pkey PRIMARY KEY (calendar_id, rule_code);

ALTER TABLE ONLY smf.ccee_deadline
    ADD CONSTRAINT ccee_deadline_no_overlap EXCLUDE USING gist (code WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_backup_meter_id_key UNIQUE (backup_meter_id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_main_meter_id_key UNIQUE (main_meter_id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_uc_code_key UNIQUE (uc_code);

ALTER TABLE ONLY smf.contract_hour_volume
    ADD CONSTRAINT contract_hour_volume_pkey PRIMARY KEY (contract_id, hour);

ALTER TABLE ONLY smf.contract_month_volume
    ADD CONSTRAINT contract_month_volume_pkey PRIMARY KEY (contract_id, month);

ALTER TABLE ONLY smf.distributor
    ADD CONSTRAINT distributor_aneel_code_key UNIQUE (aneel_code);

ALTER TABLE ONLY smf.distributor
    ADD CONSTRAINT distributor_ccee_agent_code_key UNIQUE (ccee_agent_code);

ALTER TABLE ONLY smf.distributor
    ADD CONSTRAINT distributor_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.energy_contract
    ADD CONSTRAINT energy_contract_code_key UNIQUE (code);

ALTER TABLE ONLY smf.energy_contract
    ADD CONSTRAINT energy_contract_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.holiday
    ADD CONSTRAINT holiday_pkey PRIMARY KEY (calendar_id, day);

ALTER TABLE ONLY smf.holiday_rule
    ADD CONSTRAINT holiday_rule_pkey PRIMARY KEY (code);

ALTER TABLE ONLY smf.ingest_batch
    ADD CONSTRAINT ingest_batch_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.ingest_quarantine
    ADD CONSTRAINT ingest_quarantine_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.instantaneous_reading
    ADD CONSTRAINT instantaneous_reading_pkey PRIMARY KEY (meter_id, at);

ALTER TABLE ONLY smf.interval_reading
    ADD CONSTRAINT interval_reading_pkey PRIMARY KEY (meter_id, ts);

ALTER TABLE ONLY smf.meter_alteration
    ADD CONSTRAINT meter_alteration_pkey PRIMARY KEY (meter_id, at, command_code);

ALTER TABLE ONLY smf.meter_event
    ADD CONSTRAINT meter_event_meter_id_kind_dedupe_key_key UNIQUE (meter_id, kind, dedupe_key);

ALTER TABLE ONLY smf.meter_event
    ADD CONSTRAINT meter_event_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter_monitoring
    ADD CONSTRAINT meter_monitoring_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter_outage
    ADD CONSTRAINT meter_outage_pkey PRIMARY KEY (meter_id, start_at);

ALTER TABLE ONLY smf.meter
    ADD CONSTRAINT meter_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter
    ADD CONSTRAINT meter_serial_key UNIQUE (serial);

ALTER TABLE ONLY smf.meter_session_lease
    ADD CONSTRAINT meter_session_lease_pkey PRIMARY KEY (meter_id);

ALTER TABLE ONLY smf.meter_status_report
    ADD CONSTRAINT meter_status_report_pkey PRIMARY KEY (meter_id, at);

ALTER TABLE ONLY smf.pld
    ADD CONSTRAINT pld_pkey PRIMARY KEY (submarket, hour);

ALTER TABLE ONLY smf.poll_attempt
    ADD CONSTRAINT poll_attempt_pkey PRIMARY KEY (meter_id, started_at);

ALTER TABLE ONLY smf.posto_schedule
    ADD CONSTRAINT posto_schedule_no_overlap EXCLUDE USING gist (distributor_id WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.posto_schedule
    ADD CONSTRAINT posto_schedule_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.register_reading
    ADD CONSTRAINT register_reading_pkey PRIMARY KEY (meter_id, at, period, channel);

ALTER TABLE ONLY smf.rollup_15min
    ADD CONSTRAINT rollup_15min_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rollup_day
    ADD CONSTRAINT rollup_day_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rollup_hour
    ADD CONSTRAINT rollup_hour_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rollup_month
    ADD CONSTRAINT rollup_month_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rule_parameter
    ADD CONSTRAINT rule_parameter_no_overlap EXCLUDE USING gist (key WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.setting
    ADD CONSTRAINT setting_pkey PRIMARY KEY (key);

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_no_overlap EXCLUDE USING gist (distributor_id WITH =, modality WITH =, item WITH =, posto WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.transformer_loss
    ADD CONSTRAINT transformer_loss_consumer_unit_id_valid_during_excl EXCLUDE USING gist (consumer_unit_id WITH =, valid_during WITH &&);

CREATE INDEX alarm_active_by_meter ON smf.alarm USING btree (meter_id) WHERE (state = ANY (ARRAY['open'::text, 'acknowledged'::text]));

CREATE INDEX alarm_distributor_id_idx ON smf.alarm USING btree (distributor_id);

CREATE INDEX alarm_notification_pending ON smf.alarm_notification USING btree (next_try_at) WHERE ((delivered_at IS NULL) AND (gave_up_at IS NULL));

CREATE UNIQUE INDEX alarm_one_active ON smf.alarm USING btree (rule_code, meter_id) WHERE (state = ANY (ARRAY['open'::text, 'acknowledged'::text]));

CREATE INDEX alarm_state_opened_at_idx ON smf.alarm USING btree (state, opened_at DESC);

CREATE INDEX alarm_uc_id_idx ON smf.alarm USING btree (uc_id);

CREATE INDEX energy_contract_buyer_uc_id_idx ON smf.energy_contract USING btree (buyer_uc_id);

CREATE INDEX ingest_quarantine_batch_id_idx ON smf.ingest_quarantine USING btree (batch_id);

CREATE INDEX instantaneous_reading_at_idx ON smf.instantaneous_reading USING btree (at DESC);

CREATE INDEX interval_reading_history_meter_id_ts_idx ON smf.interval_reading_history USING btree (meter_id, ts);

CREATE INDEX interval_reading_ts_idx ON smf.interval_reading USING btree (ts DESC);

CREATE INDEX meter_event_meter_id_at_idx ON smf.meter_event USING btree (meter_id, at);

CREATE INDEX meter_monitoring_ends_at_idx ON smf.meter_monitoring USING btree (ends_at);

CREATE INDEX poll_attempt_started_at_idx ON smf.poll_attempt USING btree (started_at DESC);

CREATE INDEX poll_attempt_started_at_idx1 ON smf.poll_attempt USING btree (started_at);

CREATE INDEX register_reading_at_idx ON smf.register_reading USING btree (at DESC);

CREATE TRIGGER alarm_eval AFTER UPDATE OF finished_at ON smf.ingest_batch FOR EACH ROW WHEN (((old.finished_at IS NULL) AND (new.finished_at IS NOT NULL))) EXECUTE FUNCTION smf.alarm_on_batch_finished();

CREATE TRIGGER alarm_eval AFTER INSERT ON smf.instantaneous_reading FOR EACH ROW EXECUTE FUNCTION smf.alarm_on_instantaneous();

CREATE TRIGGER alarm_eval AFTER INSERT ON smf.meter_event FOR EACH ROW EXECUTE FUNCTION smf.alarm_on_meter_event();

CREATE TRIGGER alarm_eval AFTER INSERT ON smf.meter_status_report FOR EACH ROW EXECUTE FUNCTION smf.alarm_on_status();

CREATE TRIGGER alarm_eval AFTER INSERT ON smf.poll_attempt FOR EACH ROW EXECUTE FUNCTION smf.alarm_on_poll_attempt();

CREATE TRIGGER alarm_notify AFTER INSERT OR UPDATE ON smf.alarm FOR EACH ROW EXECUTE FUNCTION smf.alarm_notify();

CREATE TRIGGER keep_history BEFORE UPDATE ON smf.interval_reading FOR EACH ROW EXECUTE FUNCTION smf.interval_reading_keep_history();

CREATE TRIGGER refuse_delete_with_readings BEFORE DELETE ON smf.meter FOR EACH ROW EXECUTE FUNCTION smf.meter_refuse_delete_with_readings();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.instantaneous_reading FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.interval_reading FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.poll_attempt FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.register_reading FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.rollup_15min FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.rollup_hour FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER validate_windows BEFORE INSERT OR UPDATE ON smf.posto_schedule FOR EACH ROW EXECUTE FUNCTION smf.posto_schedule_validate();

ALTER TABLE ONLY smf.alarm_delivery
    ADD CONSTRAINT alarm_delivery_notification_id_fkey FOREIGN KEY (notification_id) REFERENCES smf.alarm_notification(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE SET NULL;

ALTER TABLE ONLY smf.alarm_group
    ADD CONSTRAINT alarm_group_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_group_member
    ADD CONSTRAINT alarm_group_member_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_group_member
    ADD CONSTRAINT alarm_group_member_group_id_fkey FOREIGN KEY (group_id) REFERENCES smf.alarm_group(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_notification
    ADD CONSTRAINT alarm_notification_alarm_id_fkey FOREIGN KEY (alarm_id) REFERENCES smf.alarm(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.alarm_rule(code);

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_group_id_fkey FOREIGN KEY (group_id) REFERENCES smf.alarm_group(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.alarm_rule(code);

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_uc_id_fkey FOREIGN KEY (uc_id) REFERENCES smf.consumer_unit(id) ON DELETE SET NULL;

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES smf.calendar(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.holiday_rule(code);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_backup_meter_id_fkey FOREIGN KEY (backup_meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_main_meter_id_fkey FOREIGN KEY (main_meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.contract_hour_volume
    ADD CONSTRAINT contract_hour_volume_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES smf.energy_contract(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.contract_month_volume
    ADD CONSTRAINT contract_month_volume_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES smf.energy_contract(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.energy_contract
    ADD CONSTRAINT energy_contract_buyer_uc_id_fkey FOREIGN KEY (buyer_uc_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.holiday
    ADD CONSTRAINT holiday_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES smf.calendar(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.holiday
    ADD CONSTRAINT holiday_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.holiday_rule(code);

ALTER TABLE ONLY smf.ingest_quarantine
    ADD CONSTRAINT ingest_quarantine_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES smf.ingest_batch(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_alteration
    ADD CONSTRAINT meter_alteration_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_event
    ADD CONSTRAINT meter_event_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_monitoring
    ADD CONSTRAINT meter_monitoring_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_outage
    ADD CONSTRAINT meter_outage_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_session_lease
    ADD CONSTRAINT meter_session_lease_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_status_report
    ADD CONSTRAINT meter_status_report_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.posto_schedule
    ADD CONSTRAINT posto_schedule_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.transformer_loss
    ADD CONSTRAINT transformer_loss_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;
