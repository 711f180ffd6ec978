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

CREATE FUNCTION smf.account_add(p_name text, p_role text, p_db_role text DEFAULT NULL::text) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    insert into smf.account (name, role, db_role) values (p_name, p_role, p_db_role) returning id
$$;

CREATE FUNCTION smf.account_scope_add(p_name text, p_kind text, p_ref text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.api_bucket_quality(p_measured integer, p_adjusted integer, p_estimated integer, p_expected integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case when p_measured + p_adjusted + p_estimated < p_expected then 'missing'
                when p_estimated > 0 then 'estimated'
                when p_adjusted > 0 then 'adjusted'
                else 'measured' end
$$;

CREATE FUNCTION smf.api_channel_divisors(p_meter integer, p_pulses boolean) RETURNS numeric[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_map text[];
    v_const numeric[];
    v_serial text;
    names constant text[] := array['active_fwd_kwh', 'active_rev_kwh', 'reactive_ind_fwd_kvarh',
        'reactive_ind_rev_kvarh', 'reactive_cap_fwd_kvarh', 'reactive_cap_rev_kvarh',
        'voltage_a_v', 'voltage_b_v', 'voltage_c_v', 'current_a_a', 'current_b_a', 'current_c_a'];
begin
    select channel_map, channel_constants, serial into v_map, v_const, v_serial
    from smf.meter where id = p_meter;
    if not p_pulses then
        return array_fill(1::numeric, array[12]);
    end if;
    if v_const is null then
        raise exception 'meter % has no channel constants: pulses are unavailable, ask units=engineering',
            v_serial using errcode = 'SMF02';
    end if;
    return array(select nullif(v_const[array_position(v_map, n)], 0) from unnest(names) n);
end $$;

CREATE FUNCTION smf.api_key_add(p_name text, p_key_id text, p_hash text, p_label text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_account int := (select id from smf.account where name = p_name and disabled_at is null);
begin
    if v_account is null then
        raise exception 'unknown or disabled account %', p_name using errcode = 'SMF04';
    end if;
    insert into smf.api_key (id, account_id, hash, label) values (p_key_id, v_account, p_hash, p_label);
end $$;

CREATE FUNCTION smf.api_key_lookup(p_key_id text) RETURNS TABLE(account_id integer, account_name text, role text, hash text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select a.id, a.name, a.role, k.hash
    from smf.api_key k join smf.account a on a.id = k.account_id
    where k.id = p_key_id and k.revoked_at is null and a.disabled_at is null
$$;

CREATE FUNCTION smf.api_key_revoke(p_ref text) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with r as (
        update smf.api_key k set revoked_at = now()
        where k.revoked_at is null
          and (k.id = p_ref or k.account_id = (select id from smf.account where name = p_ref))
        returning 1)
    select count(*)::int from r
$$;

CREATE FUNCTION smf.api_search(p_q text, p_limit integer, p_offset integer) RETURNS TABLE(uc_code text, customer_name text, distributor_aneel_code text, distributor_name text, main_meter_serial text, backup_meter_serial text, retired_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with q as (select replace(replace(replace(coalesce(p_q, ''), '\', '\\'), '%', '\%'), '_', '\_')
                          as pat)
    select u.uc_code::text, u.customer_name, d.aneel_code::text, d.name, mm.serial, bm.serial,
           u.retired_at
    from q, smf.consumer_unit u
    join smf.distributor d on d.id = u.distributor_id
    left join smf.meter mm on mm.id = u.main_meter_id
    left join smf.meter bm on bm.id = u.backup_meter_id
    where u.customer_name ilike '%' || q.pat || '%'
       or u.uc_code::text ilike q.pat || '%'
       or mm.serial ilike q.pat || '%'
       or bm.serial ilike q.pat || '%'
    order by u.uc_code
    limit p_limit offset p_offset
$$;

CREATE FUNCTION smf.api_search_meters(p_q text, p_limit integer, p_offset integer) RETURNS TABLE(serial text, manufacturer text, model text, uc_code text, retired_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with q as (select replace(replace(replace(coalesce(p_q, ''), '\', '\\'), '%', '\%'), '_', '\_')
                          as pat)
    select m.serial, m.manufacturer, m.model,
           (select u.uc_code::text from smf.consumer_unit u
            where m.id in (u.main_meter_id, u.backup_meter_id) order by u.id limit 1),
           m.retired_at
    from q, smf.meter m
    where m.serial ilike q.pat || '%'
    order by m.serial
    limit p_limit offset p_offset
$$;

CREATE FUNCTION smf.api_series(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_resolution text, p_tz text, p_pulses boolean) RETURNS TABLE(bucket_start timestamp with time zone, active_fwd double precision, active_rev double precision, reactive_ind_fwd double precision, reactive_ind_rev double precision, reactive_cap_fwd double precision, reactive_cap_rev double precision, voltage_a double precision, voltage_b double precision, voltage_c double precision, current_a double precision, current_b double precision, current_c double precision, quality text, completeness_pct double precision)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    -- what a stored integer (Wh, varh, mV, mA) is divided by: 1000 for engineering units, the
    -- channel constant x 1000 for pulses (both exact in double precision for usual constants)
    d float8[] := array(select (x * 1000)::float8
                        from unnest(smf.api_channel_divisors(p_meter, p_pulses)) with ordinality u(x, n)
                        order by n);
begin
    if p_resolution = '5m' then
        return query
        select r.ts, r.active_fwd_wh::float8 / d[1], r.active_rev_wh::float8 / d[2],
               r.reactive_ind_fwd_varh::float8 / d[3], r.reactive_ind_rev_varh::float8 / d[4],
               r.reactive_cap_fwd_varh::float8 / d[5], r.reactive_cap_rev_varh::float8 / d[6],
               r.voltage_a_mv::float8 / d[7], r.voltage_b_mv::float8 / d[8],
               r.voltage_c_mv::float8 / d[9], r.current_a_ma::float8 / d[10],
               r.current_b_ma::float8 / d[11], r.current_c_ma::float8 / d[12],
               r.quality::text, case when r.quality = 'missing' then 0::float8 else 100::float8 end
        from smf.interval_reading r
        where r.meter_id = p_meter and r.ts >= p_from and r.ts < p_to
        order by r.ts;
    elsif p_resolution in ('15m', '1h') then
        return query
        select r.bucket, r.active_fwd_wh::float8 / d[1], r.active_rev_wh::float8 / d[2],
               r.reactive_ind_fwd_varh::float8 / d[3], r.reactive_ind_rev_varh::float8 / d[4],
               r.reactive_cap_fwd_varh::float8 / d[5], r.reactive_cap_rev_varh::float8 / d[6],
               r.voltage_a_mv_sum / nullif(r.voltage_a_mv_n, 0)::float8 / d[7],
               r.voltage_b_mv_sum / nullif(r.voltage_b_mv_n, 0)::float8 / d[8],
               r.voltage_c_mv_sum / nullif(r.voltage_c_mv_n, 0)::float8 / d[9],
               r.current_a_ma_sum / nullif(r.current_a_ma_n, 0)::float8 / d[10],
               r.current_b_ma_sum / nullif(r.current_b_ma_n, 0)::float8 / d[11],
               r.current_c_ma_sum / nullif(r.current_c_ma_n, 0)::float8 / d[12],
               smf.api_bucket_quality(r.n_measured, r.n_adjusted, r.n_estimated, r.n_expected),
               round(100.0 * (r.n_measured + r.n_adjusted + r.n_estimated) / r.n_expected, 2)::float8
        from (select * from smf.rollup_15min x
              where p_resolution = '15m' and x.meter_id = p_meter
                and x.bucket >= p_from and x.bucket < p_to
              union all
              select * from smf.rollup_hour x
              where p_resolution = '1h' and x.meter_id = p_meter
                and x.bucket >= p_from and x.bucket < p_to) r
        order by r.bucket;
    elsif p_resolution in ('1d', '1mo') then
        -- expected intervals: the calendar bucket's length (23 or 25 h on a DST change) over the
        -- meter's interval, so a day with no data at its start or end is not 100 % complete
        return query
        select b.start_at, x.afwd::float8 / d[1], x.arev::float8 / d[2],
               x.rif::float8 / d[3], x.rir::float8 / d[4], x.rcf::float8 / d[5],
               x.rcr::float8 / d[6], x.va::float8 / d[7], x.vb::float8 / d[8],
               x.vc::float8 / d[9], x.ia::float8 / d[10], x.ib::float8 / d[11],
               x.ic::float8 / d[12],
               smf.api_bucket_quality(x.n_meas::int, x.n_adj::int, x.n_est::int, b.expected),
               round(100.0 * (x.n_meas + x.n_adj + x.n_est) / b.expected, 2)::float8
        from (select g.b, sum(r.active_fwd_wh) as afwd, sum(r.active_rev_wh) as arev,
                     sum(r.reactive_ind_fwd_varh) as rif, sum(r.reactive_ind_rev_varh) as rir,
                     sum(r.reactive_cap_fwd_varh) as rcf, sum(r.reactive_cap_rev_varh) as rcr,
                     sum(r.voltage_a_mv_sum) / nullif(sum(r.voltage_a_mv_n), 0) as va,
                     sum(r.voltage_b_mv_sum) / nullif(sum(r.voltage_b_mv_n), 0) as vb,
                     sum(r.voltage_c_mv_sum) / nullif(sum(r.voltage_c_mv_n), 0) as vc,
                     sum(r.current_a_ma_sum) / nullif(sum(r.current_a_ma_n), 0) as ia,
                     sum(r.current_b_ma_sum) / nullif(sum(r.current_b_ma_n), 0) as ib,
                     sum(r.current_c_ma_sum) / nullif(sum(r.current_c_ma_n), 0) as ic,
                     sum(r.n_measured) as n_meas, sum(r.n_adjusted) as n_adj,
                     sum(r.n_estimated) as n_est
              from smf.rollup_15min r,
                   lateral (select date_trunc(case p_resolution when '1d' then 'day' else 'month' end,
                                              r.bucket at time zone p_tz) as b) g
              where r.meter_id = p_meter and r.bucket >= p_from and r.bucket < p_to
              group by g.b) x,
             lateral (select x.b at time zone p_tz as start_at,
                             (extract(epoch from ((x.b + case p_resolution when '1d' then interval '1 day'
                                                             else interval '1 month' end)
                                                  at time zone p_tz) - (x.b at time zone p_tz))
                              / 60 / (select m.interval_minutes from smf.meter m where m.id = p_meter)
                             )::int as expected) b
        order by x.b;
    else
        raise exception 'resolution must be 5m, 15m, 1h, 1d or 1mo, not %', p_resolution
            using errcode = 'SMF02';
    end if;
end $$;

CREATE FUNCTION smf.billable_demand_kw(p_measured numeric, p_contracted numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select greatest(p_measured, p_contracted)
$$;

CREATE FUNCTION smf.billing_data_quality(p_uc_code text, p_month date) RETURNS TABLE(day date, completeness_pct numeric, threshold_pct numeric, estimated_intervals integer, open_findings integer, finding_rules text[], finding_ids bigint[], below_threshold boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select q.* from smf.billing_data_quality_of(smf.uc_id(p_uc_code), p_month) q
$$;

CREATE FUNCTION smf.billing_data_quality_of(p_uc integer, p_month date) RETURNS TABLE(day date, completeness_pct numeric, threshold_pct numeric, estimated_intervals integer, open_findings integer, finding_rules text[], finding_ids bigint[], below_threshold boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with p as (
        select cu.main_meter_id as meter_id, smf.local_timezone() as tz,
               smf.billing_min_completeness_pct() as threshold,
               date_trunc('month', p_month)::date as m0,
               least((date_trunc('month', p_month) + interval '1 month - 1 day')::date,
                     (now() at time zone smf.local_timezone())::date - 1) as m1
        from smf.consumer_unit cu where cu.id = p_uc
    ), days as (
        select d::date as day, (d::date)::timestamp at time zone p.tz as lo,
               (d::date + 1)::timestamp at time zone p.tz as hi
        from p, generate_series(p.m0, p.m1, interval '1 day') d
    ), per_day as (
        select dd.day,
               coalesce(r.n_measured + r.n_adjusted + r.n_estimated, 0) as present,
               coalesce(r.n_expected,
                        (extract(epoch from dd.hi - dd.lo) / 60 / m.interval_minutes)::int) as expected,
               coalesce(r.n_estimated, 0) as estimated,
               f.n, f.rules, f.ids
        from days dd
        cross join p
        join smf.meter m on m.id = p.meter_id
        left join smf.rollup_day r on r.meter_id = p.meter_id and r.bucket = dd.day
        cross join lateral (
            select count(*)::int as n, array_agg(distinct vf.rule order by vf.rule) as rules,
                   array_agg(vf.id order by vf.id) as ids
            from smf.vee_finding vf
            where vf.meter_id = p.meter_id and vf.status = 'open' and vf.severity in ('warning', 'error')
              and vf.ts_from < dd.hi and greatest(vf.ts_to, vf.ts_from + interval '1 microsecond') > dd.lo
        ) f
    )
    select d.day, round(100.0 * d.present / nullif(d.expected, 0), 2), p.threshold, d.estimated,
           d.n, coalesce(d.rules, '{}'), coalesce(d.ids, '{}'),
           100.0 * d.present / nullif(d.expected, 0) < p.threshold
    from per_day d, p
    where d.n > 0 or 100.0 * d.present / nullif(d.expected, 0) < p.threshold
    union all
    select null, round(100.0 * sum(d.present) / nullif(sum(d.expected), 0), 2), p.threshold,
           sum(d.estimated)::int, (select count(distinct x) from per_day, unnest(per_day.ids) x)::int,
           coalesce((select array_agg(distinct x order by x) from per_day, unnest(per_day.rules) x), '{}'),
           coalesce((select array_agg(distinct x order by x) from per_day, unnest(per_day.ids) x), '{}'),
           100.0 * sum(d.present) / nullif(sum(d.expected), 0) < p.threshold
    from per_day d, p
    group by p.threshold
    order by 1 nulls last
$$;

CREATE FUNCTION smf.billing_min_completeness_pct() RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce((select value::numeric from smf.setting where key = 'billing_min_completeness_pct'), 99)
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
    from smf.billing_summary_set(
        array(select cu.id from smf.consumer_unit cu
              where cu.distributor_id = v_dist
                and exists (select 1 from smf.rollup_15min r
                            where r.meter_id = cu.main_meter_id and r.bucket >= v_lo and r.bucket < v_hi)),
        p_month, p_with_losses) b;
end
$$;

CREATE FUNCTION smf.billing_summary_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select b.* from smf.billing_summary_set(array[p_uc], p_month, p_with_losses) b
$$;

CREATE FUNCTION smf.billing_summary_set(p_ucs integer[], p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $_$
    with m as materialized (
        select date_trunc('month', p_month)::date as m,
               smf.rule_param('overrun_tariff_multiplier', date_trunc('month', p_month)::date) as mult
    ), u as materialized (
        select cu.id, cu.uc_code::text as uc_code, cu.distributor_id, cu.modality, m.m, m.mult
        from smf.consumer_unit cu cross join m where cu.id = any (p_ucs)
    ), tp as materialized (
        select u.id, t.item, t.posto, t.price
        from u join smf.tariff t on t.distributor_id = u.distributor_id and t.modality = u.modality
                                and t.valid_during @> u.m
    ), c as materialized (
        select * from smf.cycle_evaluation_set(p_ucs, p_month, p_with_losses, false)
    ), e as (
        select * from c where c.kind = 'energy'
    ), d as (
        select * from c where c.kind = 'demand'
    ), items as (
        select e.uc_id, 1 as ord, 'energy' as item, e.posto, round(coalesce(e.energy_kwh, 0), 3) as quantity,
               'kWh' as unit, te.price
        from e left join tp te on te.id = e.uc_id and te.item = 'energy' and te.posto = e.posto
        union all
        select d.uc_id, 2, 'demand_measured', d.posto, round(d.measured_kw, 3), 'kW', null from d
        union all
        select d.uc_id, 3, 'demand_contracted', d.posto, d.contracted_kw, 'kW', null from d
        union all
        select d.uc_id, 4, 'demand_billed', d.posto, round(smf.billable_demand_kw(d.measured_kw, d.contracted_kw), 3),
               'kW', td.price
        from d left join tp td on td.id = d.uc_id and td.item = 'demand' and td.posto = d.posto
        union all
        select d.uc_id, 5, 'overrun', d.posto, round(d.overrun_kw, 3), 'kW',
               coalesce(tov.price, td.price * u.mult)
        from d join u on u.id = d.uc_id
        left join tp tov on tov.id = d.uc_id and tov.item = 'overrun' and tov.posto = d.posto
        left join tp td on td.id = d.uc_id and td.item = 'demand' and td.posto = d.posto
        union all
        select e.uc_id, 6, 'ufer', e.posto, round(coalesce(e.ufer_kwh, 0), 2), 'kWh', tu.price
        from e left join tp tu on tu.id = e.uc_id and tu.item = 'ufer' and tu.posto = e.posto
        union all
        select d.uc_id, 7, 'dmcr', d.posto, round(d.dmcr_kw, 2), 'kW', null from d
        union all
        select d.uc_id, 8, 'dmcr_excess', d.posto, round(d.dmcr_excess_kw, 2), 'kW', coalesce(tm.price, td.price)
        from d
        left join tp tm on tm.id = d.uc_id and tm.item = 'dmcr' and tm.posto = d.posto
        left join tp td on td.id = d.uc_id and td.item = 'demand' and td.posto = d.posto
        union all
        -- one row per UC even without hour pieces (a UC without a main meter: null sums)
        select u.id, 9, 'intervals_present', null, sum(e.n_present), 'intervals', null
        from u left join e on e.uc_id = u.id group by u.id
        union all
        select u.id, 10, 'intervals_expected', null, sum(e.n_expected), 'intervals', null
        from u left join e on e.uc_id = u.id group by u.id
        union all
        select u.id, 11, 'completeness', null,
               round(100.0 * sum(e.n_present) / nullif(sum(e.n_expected), 0), 2), '%', null
        from u left join e on e.uc_id = u.id group by u.id
    ), priced as (
        select i.*, round(i.quantity * i.price, 2) as amount from items i
    )
    select u.uc_code, u.m, p.item, p.posto, p.quantity, p.unit, p.price, p.amount
    from (select * from priced
          union all
          select u.id, 12, 'total', null, null, 'R$', null, sum(pr.amount)
          from u left join priced pr on pr.uc_id = u.id group by u.id) p
    join u on u.id = p.uc_id
    order by u.uc_code, p.ord, p.posto desc
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

CREATE FUNCTION smf.ccee_board(p_month date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(month date, distributor text, agent_code integer, uc_code text, customer text, days_due integer, complete integer, held integer, held_reasons text, sent integer, accepted integer, rejected integer, failed integer, missing integer, deadline date, business_days_left integer, at_risk boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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

CREATE FUNCTION smf.ccee_build(p_uc_ids integer[], p_day date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(consumer_unit_id integer, uc_code text, agent_code integer, stamps text[], wh bigint[], tipos text[], reasons jsonb, warnings jsonb, fingerprint text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with agg as (
        select a.consumer_unit_id as id, a.wh, a.tipos, a.n_present, a.first_missing,
               a.interval_minutes as im
        from smf.ccee_day_arrays(p_uc_ids, p_day) a
    ), hours as (
        select a.id, (s.slot - 1) / 12 + 1 as hora, sum(s.wh) as wh
        from agg a, unnest(a.wh) with ordinality as s(wh, slot)
        where a.n_present = 288
        group by 1, 2
    ), factor as (
        select smf.rule_param('musd_factor', p_day) as f
    ), musd as (
        select cu.id,
               jsonb_agg(format('hour %s (%s-%s -03:00): %s kWh > %s x MUSD %s kW x 1 h = %s kWh',
                                h.hora, lpad((h.hora - 1)::text, 2, '0') || ':00',
                                lpad(h.hora::text, 2, '0') || ':00',
                                to_char(h.wh / 1000.0, 'FM999999990.000'), fa.f,
                                cu.musd_kw, to_char(fa.f * cu.musd_kw, 'FM999999990.000'))
                         order by h.hora) as hours
        from factor fa
        cross join smf.consumer_unit cu
        join hours h on h.id = cu.id
        where cu.id = any (p_uc_ids) and cu.musd_kw is not null
          and h.wh > fa.f * cu.musd_kw * 1000
        group by cu.id
    ), checks as (
        select cu.id, cu.uc_code::text as uc_code, d.ccee_agent_code, a.wh, a.tipos,
               smf.ccee_fingerprint(cu.id, p_day) as fingerprint,
               array_remove(array[
                   case when not smf.uc_code_is_valid(cu.uc_code) then jsonb_build_object('code', 'uc_code_invalid',
                       'message', format('UC code %s fails the check digits of REN 1.095/2024', cu.uc_code)) end,
                   case when not exists (select 1 from smf.ccee_retail_uc r
                                         where r.consumer_unit_id = cu.id and r.valid_during @> p_day)
                        then jsonb_build_object('code', 'not_registered',
                            'message', format('UC %s is not in the retail model on %s (smf.ccee_retail_uc)', cu.uc_code, p_day)) end,
                   case when cu.main_meter_id is null then jsonb_build_object('code', 'no_main_meter',
                       'message', format('UC %s has no main meter', cu.uc_code)) end,
                   case when p_now < smf.ccee_day_start(p_day + 1) then jsonb_build_object('code', 'future_day',
                       'message', format('day %s is not over yet (ends %s)', p_day,
                                         to_char(p_day + 1, 'YYYY-MM-DD"T00:00:00-03:00"'))) end,
                   case when a.im = 15 and smf.setting_text('ccee_split_15min', 'on') <> 'on'
                        then jsonb_build_object('code', 'split_disabled',
                            'message', 'the main meter integrates 15 minutes and ccee_split_15min is off') end,
                   case when cu.main_meter_id is not null and coalesce(a.n_present, 0) < 288
                        then jsonb_build_object('code', 'incomplete',
                            'message', format('%s of 288 five-minute values present; first missing ends %s',
                                              coalesce(a.n_present, 0),
                                              to_char(p_day::timestamp + (coalesce(a.first_missing, 0) + 1) * interval '5 minutes',
                                                      'YYYY-MM-DD"T"HH24:MI:SS"-03:00"'))) end,
                   case when m.hours is not null and smf.setting_text('ccee_musd_policy', 'hold') = 'hold'
                             and not exists (select 1 from smf.ccee_release rl where rl.consumer_unit_id = cu.id
                                             and rl.day = p_day and rl.hold_reason = 'musd_exceeded')
                        then jsonb_build_object('code', 'musd_exceeded',
                            'message', 'hourly consumption over the MUSD limit (CCEE rejects it): ' || (
                                select string_agg(x, '; ') from jsonb_array_elements_text(m.hours) x)) end
               ], null) as reasons,
               case when m.hours is not null then
                   jsonb_build_array(jsonb_build_object('code', 'musd_exceeded', 'message',
                       case when exists (select 1 from smf.ccee_release rl where rl.consumer_unit_id = cu.id
                                         and rl.day = p_day and rl.hold_reason = 'musd_exceeded')
                            then 'released by an analyst; ' else 'sent by policy ccee_musd_policy = send; ' end
                       || (select string_agg(x, '; ') from jsonb_array_elements_text(m.hours) x)))
               else '[]'::jsonb end as warnings
        from unnest(p_uc_ids) as uid(id)
        join smf.consumer_unit cu on cu.id = uid.id
        join smf.distributor d on d.id = cu.distributor_id
        left join agg a on a.id = cu.id
        left join musd m on m.id = cu.id
    )
    select c.id, c.uc_code, c.ccee_agent_code, st.stamps, c.wh, c.tipos,
           to_jsonb(c.reasons), case when cardinality(c.reasons) > 0 then '[]'::jsonb else c.warnings end,
           c.fingerprint
    from checks c
    cross join (select smf.ccee_stamps(p_day) as stamps) st
$$;

CREATE FUNCTION smf.ccee_business_days_left(p_today date, p_deadline date) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select count(*)::int from generate_series(p_today + 1, p_deadline, interval '1 day') d
    where smf.is_business_day(d::date, 'ccee')
$$;

CREATE FUNCTION smf.ccee_claim(p_holder text, p_limit integer, p_lease_s integer, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(consumer_unit_id integer, uc_code text, day date, attempt integer, trigger text, accepted_hash text)
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.ccee_claim_one(p_uc_code text, p_day date, p_holder text, p_lease_s integer, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(consumer_unit_id integer, uc_code text, day date, attempt integer, trigger text, accepted_hash text)
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.ccee_day(p_uc_code text, p_day date) RETURNS TABLE(hora integer, medicao integer, data_referencia_consumo text, consumo numeric, tipo_consumo text, wh bigint, raw_wh bigint, quality smf.quality)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select g / 12 + 1, g % 12 + 1, (smf.ccee_stamps(p_day))[g + 1], round(v.wh / 1000.0, 3), v.tipo,
           v.wh, v.raw_wh, v.quality
    from generate_series(0, 287) g
    left join (
        select s.slot, s.wh, s.raw_wh, s.tipo, s.quality
        from smf.ccee_day_arrays(array[smf.uc_id(p_uc_code)], p_day) a,
             unnest(a.slots, a.wh, a.raw_wh, a.tipos, a.qualities) as s(slot, wh, raw_wh, tipo, quality)
    ) v on v.slot = g
    order by g
$$;

CREATE FUNCTION smf.ccee_day_arrays(p_uc_ids integer[], p_day date) RETURNS TABLE(consumer_unit_id integer, slots integer[], wh bigint[], raw_wh bigint[], tipos text[], qualities smf.quality[], n_present integer, first_missing integer, interval_minutes integer, loss_factor numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with u as (
        select cu.id, m.id as meter_id, m.interval_minutes::int as im, coalesce(tl.factor, 0) as f,
               ((1 + coalesce(tl.factor, 0)) * 100000)::bigint as k
        from unnest(p_uc_ids) as uid(id)
        join smf.consumer_unit cu on cu.id = uid.id
        join smf.meter m on m.id = cu.main_meter_id
        left join smf.transformer_loss tl on tl.consumer_unit_id = cu.id and tl.valid_during @> p_day
    ), est as (
        select smf.setting_text('ccee_estimated_as', 'AJUSTADO') as tipo
    )
    select u.id, v.slots, v.wh, v.raw_wh, v.tipos, v.qualities, coalesce(v.n, 0)::int,
           case when coalesce(v.n, 0) = 288 then null
                else coalesce((select min(g) from generate_series(0, 287) g where g <> all (v.slots)), 0) end,
           u.im, u.f
    from u
    cross join est
    left join lateral (
        select array_agg(e.slot order by e.slot) as slots, array_agg(e.a order by e.slot) as wh,
               array_agg(e.r order by e.slot) as raw_wh, array_agg(e.tipo order by e.slot) as tipos,
               array_agg(e.quality order by e.slot) as qualities, count(*) as n
        from (
            select x.ts, x.quality, x.active_fwd_wh::bigint as w,
                   ((sum(x.active_fwd_wh) over w)::bigint * u.k + 50000) / 100000
                   - (((sum(x.active_fwd_wh) over w)::bigint - x.active_fwd_wh) * u.k + 50000) / 100000 as a,
                   (extract(epoch from x.ts - smf.ccee_day_start(p_day)) / 300)::int as slot0
            from smf.interval_reading x
            where x.meter_id = u.meter_id and x.active_fwd_wh is not null and x.quality <> 'missing'
              and x.ts >= smf.ccee_day_start(p_day) and x.ts < smf.ccee_day_start(p_day + 1)
            window w as (order by x.ts rows unbounded preceding)
        ) q
        cross join lateral (
            select q.slot0 + j as slot,
                   case when u.im = 5 then q.a else q.a / 3 + case when j = 2 then q.a % 3 else 0 end end as a,
                   case when u.im = 5 then q.w else q.w / 3 + case when j = 2 then q.w % 3 else 0 end end as r,
                   case when q.quality = 'measured' and u.im = 5 then 'MEDIDO'
                        when q.quality = 'estimated' then est.tipo
                        else 'AJUSTADO' end as tipo,
                   q.quality
            from generate_series(0, u.im / 5 - 1) j
        ) e
    ) v on true
$$;

CREATE FUNCTION smf.ccee_day_start(p_day date) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select (p_day::timestamp + interval '3 hours') at time zone 'UTC'
$$;

CREATE FUNCTION smf.ccee_deadline_of(p_day date) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select smf.ms_du(p_day, coalesce((select business_days from smf.ccee_deadline
                                      where code = 'measurement'
                                        and valid_during @> date_trunc('month', p_day)::date), 7))
$$;

CREATE FUNCTION smf.ccee_deadline_warnings(p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(month date, uc_code text, distributor text, days_due integer, accepted integer, held integer, missing integer, deadline date, business_days_left integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select b.month, b.uc_code, b.distributor, b.days_due, b.accepted, b.held, b.missing, b.deadline,
           b.business_days_left
    from (select (date_trunc('month', smf.ccee_today(p_now)) - interval '1 month')::date as m) mm
    cross join smf.ccee_board(mm.m, p_now) b
    where smf.ccee_today(p_now) >= smf.ms_du(mm.m, 5)
      and smf.ccee_today(p_now) <= b.deadline
      and (b.accepted < b.days_due or b.missing > 0)
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

CREATE FUNCTION smf.ccee_enqueue(p_from date, p_to date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(new_days integer, changed_days integer, late_days integer)
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.ccee_fingerprint(p_uc integer, p_day date) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce((select concat_ws(':', r.active_fwd_wh, r.n_measured, r.n_adjusted, r.n_estimated,
                                      r.n_missing, tl.factor, h.versions, h.last_batch)
                     from smf.consumer_unit cu
                     join smf.rollup_day r on r.meter_id = cu.main_meter_id and r.bucket = p_day
                     left join smf.transformer_loss tl on tl.consumer_unit_id = cu.id
                         and tl.valid_during @> p_day
                     cross join lateral (
                         select count(*) as versions, max(x.superseded_by_batch) as last_batch
                         from smf.interval_reading_history x
                         where x.meter_id = cu.main_meter_id
                           and x.ts >= smf.ccee_day_start(p_day)
                           and x.ts < smf.ccee_day_start(p_day + 1)) h
                     where cu.id = p_uc), 'none')
$$;

CREATE FUNCTION smf.ccee_hold_reasons(p_uc_code text, p_day date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(code text, message text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select r ->> 'code', r ->> 'message'
    from smf.ccee_build(array[smf.uc_id(p_uc_code)], p_day, p_now) b,
         jsonb_array_elements(b.reasons) r
$$;

CREATE FUNCTION smf.ccee_open_from(p_now timestamp with time zone) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case when smf.ccee_today(p_now)
                     <= smf.ccee_deadline_of((date_trunc('month', smf.ccee_today(p_now)) - interval '1 month')::date)
                then (date_trunc('month', smf.ccee_today(p_now)) - interval '1 month')::date
                else date_trunc('month', smf.ccee_today(p_now))::date end
$$;

CREATE FUNCTION smf.ccee_record(p_uc integer, p_day date, p_holder text, p_attempt integer, p_trigger text, p_started timestamp with time zone, p_hash text, p_body text, p_status integer, p_response text, p_outcome text, p_reasons jsonb, p_warning text, p_fingerprint text, p_now timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select smf.ccee_record_at(p_uc, p_day, p_holder, p_attempt, p_trigger, p_started, p_hash, p_body,
                              p_status, p_response, p_outcome, p_reasons, p_warning, p_fingerprint, p_now,
                              smf.ccee_open_from(p_now))
$$;

CREATE FUNCTION smf.ccee_record_at(p_uc integer, p_day date, p_holder text, p_attempt integer, p_trigger text, p_started timestamp with time zone, p_hash text, p_body text, p_status integer, p_response text, p_outcome text, p_reasons jsonb, p_warning text, p_fingerprint text, p_now timestamp with time zone, p_open_from date) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_late boolean := p_day < p_open_from;
    v_moved int;
begin
    if p_outcome not in ('accepted', 'rejected', 'failed', 'held', 'unchanged') then
        raise exception using errcode = 'SMF02', message = format('unknown outcome %s', p_outcome);
    end if;
    -- The commit of a record does not wait for the WAL flush: a server crash could forget the
    -- last few records (never a process kill), and those UC-days are then posted again with the
    -- same payload, which the delivery guarantee already allows.
    perform set_config('synchronous_commit', 'off', true);
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

CREATE FUNCTION smf.ccee_record_batch(p_items jsonb, p_now timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select count(*) filter (where smf.ccee_record_at(
        (i ->> 'uc')::int, (i ->> 'day')::date, i ->> 'holder', (i ->> 'attempt')::int, i ->> 'trigger',
        (i ->> 'started')::timestamptz, i ->> 'hash', i ->> 'body', (i ->> 'status')::int, i ->> 'response',
        i ->> 'outcome', nullif(i -> 'reasons', 'null'::jsonb), i ->> 'warning', i ->> 'fingerprint', p_now, o.open_from))::int
    from jsonb_array_elements(p_items) i
    cross join (select smf.ccee_open_from(p_now) as open_from) o
$$;

CREATE FUNCTION smf.ccee_record_verdict(p_uc_code text, p_day date, p_consistida integer, p_rejeitada integer, p_detail jsonb, p_now timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with u as (
        update smf.ccee_uc_day set verdict_consistida = p_consistida, verdict_rejeitada = p_rejeitada,
                                   verdict_detail = p_detail, verdict_at = p_now
        where consumer_unit_id = smf.uc_id(p_uc_code) and day = p_day
        returning 1
    )
    select exists (select 1 from u)
$$;

CREATE FUNCTION smf.ccee_release(p_uc_code text, p_day date, p_by text, p_reason text, p_now timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.ccee_release_claims(p_holders text[], p_now timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with r as (
        update smf.ccee_uc_day set state = 'due', claimed_by = null, claim_expires = null, next_try_at = p_now,
                                   updated_at = p_now
        where state = 'claimed' and claimed_by = any (p_holders)
        returning 1
    )
    select count(*)::int from r
$$;

CREATE FUNCTION smf.ccee_stamps(p_day date) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select array_agg(to_char(p_day::timestamp + (g + 1) * interval '5 minutes',
                             'YYYY-MM-DD"T"HH24:MI:SS"-03:00"') order by g)
    from generate_series(0, 287) g
$$;

CREATE FUNCTION smf.ccee_today(p_now timestamp with time zone) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select ((p_now at time zone 'UTC') - interval '3 hours')::date
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
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select c.kind, c.posto, c.energy_kwh, c.ufer_kwh, c.dmcr_kw, c.dmcr_at, c.hours, c.p_zero_hours, c.n_present,
           c.n_expected, c.measured_kw, c.measured_at, c.contracted_kw, c.tolerance, c.overrun_kw, c.dmcr_excess_kw
    from smf.cycle_evaluation_set(array[p_uc], p_month, p_with_losses) c
    order by 1 desc, 2 desc
$$;

CREATE FUNCTION smf.cycle_evaluation_set(p_ucs integer[], p_month date, p_with_losses boolean DEFAULT true, p_detail boolean DEFAULT true) RETURNS TABLE(uc_id integer, kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, hours integer, p_zero_hours integer, n_present integer, n_expected integer, measured_kw numeric, measured_at timestamp with time zone, contracted_kw numeric, tolerance numeric, overrun_kw numeric, dmcr_excess_kw numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with h as materialized (
        select * from smf.hour_pieces_set(p_ucs, p_month, p_with_losses, p_detail)
    ), t as materialized (
        select smf.rule_param('demand_tolerance', date_trunc('month', p_month)::date) as tol
    ), e as (
        select h.uc_id, 'energy'::text as kind, h.posto, sum(h.p_kwh) as energy, sum(h.ufer_kwh) as ufer,
               max(h.dmcr_kw) as dmcr,
               (array_agg(h.hour order by h.dmcr_kw desc nulls last, h.hour))[1] as dmcr_at,
               count(distinct h.hour) filter (where h.p_kwh is not null)::int as hours,
               count(*) filter (where h.p_zero)::int as p_zero_hours,
               sum(h.n_present)::int as n_present, sum(h.n_expected)::int as n_expected
        from h group by h.uc_id, h.posto
    ), d as (
        select h.uc_id, h.demand_posto, max(h.max_demand_kw) as kw,
               (array_agg(h.max_demand_at order by h.max_demand_kw desc nulls last, h.max_demand_at)
                    filter (where p_detail))[1] as at,
               max(h.dmcr_kw) as dmcr,
               (array_agg(h.hour order by h.dmcr_kw desc nulls last, h.hour))[1] as dmcr_at,
               count(distinct h.hour) filter (where h.p_kwh is not null)::int as hours,
               count(*) filter (where h.p_zero)::int as p_zero_hours,
               sum(h.n_present)::int as n_present, sum(h.n_expected)::int as n_expected,
               smf.contracted_demand(h.uc_id, h.demand_posto) as contracted, (select t.tol from t) as tol
        from h group by h.uc_id, h.demand_posto
    )
    select e.uc_id, e.kind, e.posto, e.energy, e.ufer, e.dmcr, case when e.dmcr is not null then e.dmcr_at end,
           e.hours, e.p_zero_hours, e.n_present, e.n_expected,
           null::numeric, null::timestamptz, null::numeric, null::numeric, null::numeric, null::numeric
    from e
    union all
    select d.uc_id, 'demand', d.demand_posto, null, null, d.dmcr, case when d.dmcr is not null then d.dmcr_at end,
           d.hours, d.p_zero_hours, d.n_present, d.n_expected,
           d.kw, case when d.kw is not null then d.at end, d.contracted, d.tol,
           smf.demand_overrun_kw(d.kw, d.contracted, d.tol), smf.dmcr_excess_kw(d.dmcr, d.kw, d.contracted)
    from d
$$;

CREATE FUNCTION smf.db_role_create(p_role text, p_verifier text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
begin
    if p_role !~ '^[a-z][a-z0-9_]{0,62}$' or p_role like 'pg\_%' or p_role in ('smf_api', 'smf_reader') then
        raise exception 'invalid database role name %', p_role using errcode = 'SMF02';
    end if;
    if p_verifier not like 'SCRAM-SHA-256$%' then
        raise exception 'a SCRAM-SHA-256 verifier is required' using errcode = 'SMF02';
    end if;
    if exists (select 1 from pg_roles where rolname = p_role) then
        execute format('alter role %I login password %L', p_role, p_verifier);
    else
        execute format('create role %I login password %L in role smf_reader', p_role, p_verifier);
    end if;
    execute format('grant smf_reader to %I', p_role);
end $_$;

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

CREATE FUNCTION smf.distributor_month_summary(p_aneel_code text, p_month date) RETURNS TABLE(market text, ucs integer, consumption_kwh numeric, generation_kwh numeric, billing_total numeric, ucs_billed integer, completeness_pct numeric)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS $$
declare
    v_dist int;
    v_month date := date_trunc('month', p_month)::date;
begin
    select id into v_dist from smf.distributor where aneel_code = p_aneel_code;
    if v_dist is null then
        raise exception using errcode = 'SMF04', message = format('no distributor with ANEEL code %L', p_aneel_code);
    end if;
    return query
    with u as (
        select cu.id, coalesce(c.market, 'free') as market, coalesce(c.has_generation, false) as gen,
               r.active_fwd_wh, r.active_rev_wh, r.n_measured + r.n_adjusted + r.n_estimated as n_ok, r.n_expected,
               smf.vee_uc_bill_total(cu.id, v_month) as bill
        from smf.consumer_unit cu
        left join smf.consumer_unit_class c on c.consumer_unit_id = cu.id
        left join smf.rollup_month r on r.meter_id = cu.main_meter_id and r.bucket = v_month
        where cu.distributor_id = v_dist
    )
    select u.market, count(*)::int, sum(u.active_fwd_wh) / 1000.0,
           coalesce(sum(u.active_rev_wh) filter (where u.gen), 0) / 1000.0,
           sum(u.bill), count(u.bill)::int,
           round(100.0 * sum(u.n_ok) / nullif(sum(u.n_expected), 0), 2)
    from u group by u.market order by u.market;
end
$$;

CREATE FUNCTION smf.dmcr_excess_kw(p_dmcr numeric, p_measured numeric, p_contracted numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case when p_dmcr is not null
                then greatest(p_dmcr - coalesce(smf.billable_demand_kw(p_measured, p_contracted), 0), 0) end
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

CREATE FUNCTION smf.hour_pieces_set(p_ucs integer[], p_month date, p_with_losses boolean, p_detail boolean DEFAULT true) RETURNS TABLE(uc_id integer, hour timestamp with time zone, local_hour timestamp without time zone, posto text, demand_posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric, max_demand_at timestamp with time zone, n_present integer, n_expected integer)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    SET enable_nestloop TO 'off'
    SET enable_sort TO 'off'
    AS $$
    with b0 as (
        select smf.local_month_start(p_month) as lo,
               smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date) as hi,
               smf.local_timezone() as tz,
               smf.rule_param('power_factor_reference', date_trunc('month', p_month)::date) as fr
    ), b as materialized (
        select b0.*, b0.fr::float8 as fr_f,
               -- every local midnight of the month on a whole UTC hour
               not exists (select 1 from generate_series(date_trunc('month', p_month), date_trunc('month', p_month)
                                                         + interval '1 month', interval '1 day') d
                           where date_trunc('hour', d::timestamp at time zone b0.tz at time zone 'UTC')
                                 <> d::timestamp at time zone b0.tz at time zone 'UTC') as whole_hours
        from b0
    ), u as materialized (
        select cu.id, cu.distributor_id, cu.modality, mt.id as meter_id, 15 / mt.interval_minutes as n_exp
        from smf.consumer_unit cu join smf.meter mt on mt.id = cu.main_meter_id
        where cu.id = any (p_ucs)
    ), grid as materialized (
        select g.ts, g.ts at time zone b.tz as lt, public.time_bucket('1 hour', g.ts) as hour_ts
        from b, generate_series(public.time_bucket('15 minutes', b.lo), b.hi - interval '1 microsecond',
                                interval '15 minutes') g(ts)
    ), dm as materialized (
        select distinct u.distributor_id, u.modality from u
    ), days as materialized (
        select dm.distributor_id, dm.modality, d::date as day,
               extract(isodow from d) < 6 and not exists (
                   select 1 from smf.holiday h join smf.calendar c on c.id = h.calendar_id
                   where c.purpose = 'tariff' and c.valid_during @> d::date and h.day = d::date) as ponta_day,
               extract(epoch from s.ponta_start)::int / 60 as ps, s.ponta_minutes as pm,
               extract(epoch from s.capacitive_start)::int / 60 as cs, s.capacitive_minutes as cm,
               case when dm.modality = 'branca' then s.intermediario_minutes end as im
        from dm
        cross join generate_series((select min(lt)::date from grid), (select max(lt)::date from grid),
                                   interval '1 day') d
        left join smf.posto_schedule s on s.distributor_id = dm.distributor_id and s.valid_during @> d::date
    ), labels as materialized (
        -- pc: posto code (1 ponta, 2 fora_ponta, 3 intermediario, 0 none): demand posto and posto
        -- are functions of it for one (distributor, modality); qk: slot of the hour (0-3)
        select d.distributor_id, d.modality, g.ts, g.lt, g.hour_ts, d.day, k.posto,
               case when d.ps is null then null
                    when d.modality <> 'azul' then 'unica'
                    when k.posto = 'ponta' then 'ponta' else 'fora_ponta' end as demand_posto,
               d.cs is not null and (k.m - d.cs + 1440) % 1440 < d.cm as cap,
               d.cs is null as no_window,
               case k.posto when 'ponta' then 1 when 'fora_ponta' then 2 when 'intermediario' then 3 else 0 end as pc,
               (date_part('minute', g.ts - g.hour_ts) / 15)::int as qk
        from grid g
        join days d on d.day = g.lt::date
        cross join lateral (
            select mm.m,
                   case when d.ps is null then null
                        when d.ponta_day and mm.m >= d.ps and mm.m < d.ps + d.pm then 'ponta'
                        when d.ponta_day and d.im is not null and mm.m >= d.ps - d.im
                             and mm.m < d.ps + d.pm + d.im then 'intermediario'
                        else 'fora_ponta' end as posto
            from (select date_part('hour', g.lt)::int * 60 + date_part('minute', g.lt)::int as m) mm
        ) k
    ), shape as materialized (
        select l.distributor_id, l.modality, l.hour_ts, l.pc, min(l.posto) as posto,
               min(l.demand_posto) as demand_posto, min(l.lt) as local_hour,
               case when bool_and(l.cap) then 'capacitive'
                    when bool_or(l.cap) then 'mixed' else 'inductive' end as win,
               count(*)::int as slots
        from labels l
        group by l.distributor_id, l.modality, l.hour_ts, l.pc
    ), loss as materialized (
        select u.id, d.day, 1 + coalesce(tl.factor, 0) as f1
        from u
        cross join (select distinct days.day from days) d
        left join smf.transformer_loss tl on tl.consumer_unit_id = u.id and tl.valid_during @> d.day
    ), slot as (
        select u.id, l.hour_ts, l.pc, l.qk, l.day, r.active_fwd_wh as wh,
               case when l.cap then r.reactive_cap_fwd_varh else r.reactive_ind_fwd_varh end as varh,
               r.n_measured + r.n_adjusted + r.n_estimated as n_present
        from smf.rollup_15min r
        join u on u.meter_id = r.meter_id
        join labels l on l.distributor_id = u.distributor_id and l.modality = u.modality and l.ts = r.bucket
        where r.meter_id = any ((select array_agg(u.meter_id) from u)::int[])
          and r.bucket >= (select lo from b) and r.bucket < (select hi from b)
    ), sub as (
        -- integer aggregates per (UC, hour piece, local day), then the day's loss factor: a piece
        -- has one sub-piece unless a local midnight falls inside its hour; float8 sums of whole
        -- numbers below 2^53 are exact
        select g.*, x.f1
        from (
            select sl.id, sl.hour_ts, sl.pc, sl.day,
                   sum(sl.wh) as wh, min(abs(sl.wh)) as wh_min, max(sl.wh) as wh_max,
                   max(sl.wh * 4 + 3 - sl.qk) as wh_key,
                   sum(sl.varh) as varh, min(abs(sl.varh)) as varh_min,
                   sum(sl.wh::float8) as wh_f, sum(sl.varh::float8) as varh_f,
                   sum(sl.n_present)::int as n_present
            from slot sl
            group by sl.id, sl.hour_ts, sl.pc, sl.day
        ) g
        join loss x on x.id = g.id and x.day = g.day
    ), subk as (
        -- kscale(a) = scale(a / 1000.0) for a whole a >= 0 (select_div_scale of PostgreSQL's
        -- numeric division: 16 significant digits from the quotient's first base-10000 digit)
        select sb.id, sb.hour_ts, sb.pc, sb.n_present, sb.wh_f, sb.varh_f,
               case when p_with_losses
                    then round(sb.wh::numeric * sb.f1 * 0.001, ks.wh + scale(sb.f1))
                    else round(sb.wh::numeric * 0.001, ks.wh) end as p,
               case when p_with_losses
                    then round(sb.varh::numeric * sb.f1 * 0.001, ks.varh + scale(sb.f1))
                    else round(sb.varh::numeric * 0.001, ks.varh) end as q,
               case when p_with_losses then sb.wh_max / 1000.0 * sb.f1 else sb.wh_max / 1000.0 end as p_max,
               sb.hour_ts + (3 - ((sb.wh_key % 4) + 4) % 4) * interval '15 minutes' as p_max_at
        from sub sb
        cross join lateral (
            select case when sb.wh_min <= 1000 then 20 when sb.wh_min <= 10009999 then 16
                        when sb.wh_min <= 100099999999 then 12 when sb.wh_min <= 1000999999999999 then 8
                        else 4 end as wh,
                   case when sb.varh_min <= 1000 then 20 when sb.varh_min <= 10009999 then 16
                        when sb.varh_min <= 100099999999 then 12 when sb.varh_min <= 1000999999999999 then 8
                        else 4 end as varh
        ) ks
    ), data as materialized (
        -- whole-hour local midnights (the rule: every zone offset in whole hours): one sub-piece
        -- per piece, taken as it is; clear = fT >= fR with a 1e-9 margin, from exact Wh / varh
        -- sums (P and Q are the same multiple of them)
        select k.id, k.hour_ts, k.pc, k.p, k.q, k.p_max * 4 as max_kw,
               case when p_detail then k.p_max_at end as max_at, k.n_present,
               k.wh_f >= 0 and k.wh_f * k.wh_f
                   > b.fr_f * b.fr_f * (k.wh_f * k.wh_f + coalesce(k.varh_f, 0) * coalesce(k.varh_f, 0))
                     * (1 + 1e-9) as clear
        from subk k cross join b
        where b.whole_hours
        union all
        select k.id, k.hour_ts, k.pc, sum(k.p), sum(k.q), max(k.p_max) * 4,
               -- the earliest slot with the largest kWh, across the sub-pieces
               to_timestamp(-(max(array[coalesce(k.p_max, '-Infinity'), -extract(epoch from k.p_max_at)])
                              filter (where p_detail))[2]::float8),
               sum(k.n_present)::int, null::boolean
        from subk k
        where not (select b.whole_hours from b)
        group by k.id, k.hour_ts, k.pc
    ), x as (
        select u.id, s.hour_ts, s.local_hour, s.posto, s.demand_posto, s.win, s.slots * 15 as minutes,
               dt.p, coalesce(dt.q, 0) as q, dt.max_kw, dt.max_at,
               coalesce(dt.n_present, 0) as n_present, s.slots * u.n_exp as n_expected, b.fr, dt.clear
        from u
        join shape s on s.distributor_id = u.distributor_id and s.modality = u.modality
        left join data dt on dt.id = u.id and dt.hour_ts = s.hour_ts and dt.pc = s.pc
        cross join b
    ), y as (
        -- without p_detail, S only where fT < fR is possible: P >= 0 and P^2 > fR^2.S^2.(1 + 1e-12)
        -- gives P > fR.S for S rounded to its 16+ significant digits, i.e. UFER = 0 and DMCR = P
        select x.*,
               case when p_detail
                         or not coalesce(x.clear, x.p >= 0 and x.p * x.p
                                         > x.fr * x.fr * (x.p * x.p + x.q * x.q) * 1.000000000001)
                    then sqrt(x.p * x.p + x.q * x.q) end as s
        from x
    ), z as (
        select y.*, y.fr * y.s as frs from y
    )
    select z.id, z.hour_ts, z.local_hour, z.posto, z.demand_posto, z.win, z.minutes,
           z.p, case when z.p is not null then z.q end, case when p_detail and z.p is not null then z.s end,
           case when p_detail and z.s > 0 then z.p / z.s end,
           case when z.p < z.frs then z.frs - z.p when z.p is not null then 0 end,
           case when z.p < z.frs then z.frs else z.p end * 60 / z.minutes,
           z.p = 0 and z.q > 0,
           z.max_kw, case when z.max_kw is not null then z.max_at end,
           z.n_present, z.n_expected
    from z
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
        source text,
        given int  -- bit k set: quantity k (staging column order) was given; null: all were
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
    v_tiny bigint;
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
                                                 'or Z (e.g. 2026-10-01T00:05:00-03:00)', left(s.ts, 60))
                    when substr(s.ts, 18, 2) = '60'
                        then format('timestamp %L is a leap second (:60), which no interval '
                                    'starts at', left(s.ts, 60))
                    when s.meter_id is null and coalesce(s.meter_serial, '') = ''
                        then 'no meter (meter_serial or meter_id) given'
                    when s.quality <> all (v_qualities)
                        then format('quality %L is not one of %s', s.quality, v_qualities)
                    when s.source <> all (v_sources)
                        then format('source %L is not one of %s', s.source, v_sources)
                end as problem,
                case
                    when m.id is null then 'unknown_meter'
                    when s.meter_id is not null and coalesce(s.meter_serial, '') <> ''
                         and s.serial_id is distinct from s.meter_id then 'meter_mismatch'
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
                       coalesce(s.meter_id, ms.id) as resolved_id, ms.id as serial_id,
                       coalesce(btrim(s.meter_serial), s.meter_id::text) as meter_ref
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
                left join smf.meter ms on ms.serial = btrim(s.meter_serial)
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
                    format('timestamp %L: %s', left(v_text, 60), sqlerrm));
            end;
        end loop;
        raise;
    end;

    select line_no, problem into v_line, v_text from ingest_bad
    where problem is not null order by line_no limit 1;
    if found then
        perform smf.ingest_reject(v_line + p_line_offset, v_text);
    end if;

    -- Non-zero values that round to 0 in the stored unit (e.g. 0.0004 kWh) are stored as 0; the
    -- rows holding one are counted for the summary.
    select count(*) into v_tiny from ingest_stage s
    where (s.active_fwd_kwh <> 0 and round(s.active_fwd_kwh * 1000) = 0)
       or (s.active_rev_kwh <> 0 and round(s.active_rev_kwh * 1000) = 0)
       or (s.reactive_ind_fwd_kvarh <> 0 and round(s.reactive_ind_fwd_kvarh * 1000) = 0)
       or (s.reactive_ind_rev_kvarh <> 0 and round(s.reactive_ind_rev_kvarh * 1000) = 0)
       or (s.reactive_cap_fwd_kvarh <> 0 and round(s.reactive_cap_fwd_kvarh * 1000) = 0)
       or (s.reactive_cap_rev_kvarh <> 0 and round(s.reactive_cap_rev_kvarh * 1000) = 0)
       or (s.voltage_a_v <> 0 and round(s.voltage_a_v * 1000) = 0)
       or (s.voltage_b_v <> 0 and round(s.voltage_b_v * 1000) = 0)
       or (s.voltage_c_v <> 0 and round(s.voltage_c_v * 1000) = 0)
       or (s.current_a_a <> 0 and round(s.current_a_a * 1000) = 0)
       or (s.current_b_a <> 0 and round(s.current_b_a * 1000) = 0)
       or (s.current_c_a <> 0 and round(s.current_c_a * 1000) = 0);

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
            coalesce(s.source::smf.reading_source, %L) as source,
            coalesce(s.given, 4095) as given
        from ingest_stage s
        left join smf.meter ms on s.meter_id is null and ms.serial = btrim(s.meter_serial)
        where not exists (select 1 from ingest_bad b where b.line_no = s.line_no)$v$, v_source);

    raise debug 'ingest batch % spans at %', p_batch, clock_timestamp();
    -- Per meter, the span the batch covers; if no stored row lies in any span, a plain insert
    -- suffices (the common case of new data).
    drop table if exists pg_temp.ingest_touched;
    create temp table ingest_touched on commit drop as
    select meter_id, min(ts) as lo, max(ts) as hi from ingest_valid group by meter_id;
    analyze ingest_touched;
    -- Lock order: take the per-meter stripes of the rollup refresh (020_rollups.sql) now, in
    -- order, before writing any interval row. Two batches over the same meters then run one
    -- after the other instead of one holding row locks while waiting for a chunk the other is
    -- creating (a deadlock seen with overlapping concurrent imports); the refresh re-takes the
    -- same locks, which it already holds.
    perform pg_advisory_xact_lock(hashtext('smf.rollup_refresh'), stripe)
    from (select distinct meter_id % 256 as stripe from ingest_touched order by 1) s;
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
        'quarantined', v_quarantined, 'below_resolution', v_tiny);
end
$_$;

CREATE FUNCTION smf.ingest_given(p_names text[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp'
    AS $$
declare
    v_mask int;
begin
    select coalesce(sum(1 << (i - 1)::int), 0)::int into v_mask
    from unnest(smf.ingest_quantities()) with ordinality q(name, i)
    where q.name = any (p_names);
    execute format('alter table pg_temp.ingest_stage alter column given set default %s', v_mask);
    return v_mask;
end
$$;

CREATE FUNCTION smf.ingest_quantities() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select array['active_fwd_kwh', 'active_rev_kwh', 'reactive_ind_fwd_kvarh',
        'reactive_ind_rev_kvarh', 'reactive_cap_fwd_kvarh', 'reactive_cap_rev_kvarh',
        'voltage_a_v', 'voltage_b_v', 'voltage_c_v', 'current_a_a', 'current_b_a', 'current_c_a']
$$;

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
    v_sources smf.reading_source[];
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
    -- Who wins, for every pair of sources: a few rows to join instead of a call per row.
    drop table if exists pg_temp.ingest_win;
    create temp table ingest_win on commit drop as
    select s.source, os.source as old_source, smf.ingest_wins(s.source, os.source) as wins
    from unnest(enum_range(null::smf.reading_source)) s(source),
         unnest(enum_range(null::smf.reading_source)) os(source);
    analyze ingest_win;

    raise debug 'ingest upsert disagreements at %', clock_timestamp();
    -- Every measured channel value that a stored measured row of another source gives
    -- differently is recorded, whichever is kept (smf.reading_disagreement). Skipped when no
    -- stored measured row in the batch's spans has a source the batch does not have (a
    -- re-import over its own data).
    select array_agg(distinct source) into v_sources from ingest_valid;
    if exists (select 1 from ingest_touched t join smf.interval_reading r
               on r.meter_id = t.meter_id and r.ts between t.lo and t.hi
               where r.quality = 'measured' and r.source <> all (v_sources)) then
        execute format($q$
        insert into smf.reading_disagreement (batch_id, meter_id, ts, channel, stored_value,
            stored_source, stored_batch_id, incoming_value, incoming_source, kept)
        select %s, x.meter_id, x.ts, c.channel, c.old, x.old_source, x.old_batch, c.new,
            x.source, case when w.wins then 'incoming' else 'stored' end
        from (
            select v.meter_id, v.ts, v.source, v.quality, v.given, r.source as old_source,
                r.quality as old_quality, r.batch_id as old_batch,
                r.active_fwd_wh as o1, v.active_fwd_wh as n1,
                r.active_rev_wh as o2, v.active_rev_wh as n2,
                r.reactive_ind_fwd_varh as o3, v.reactive_ind_fwd_varh as n3,
                r.reactive_ind_rev_varh as o4, v.reactive_ind_rev_varh as n4,
                r.reactive_cap_fwd_varh as o5, v.reactive_cap_fwd_varh as n5,
                r.reactive_cap_rev_varh as o6, v.reactive_cap_rev_varh as n6,
                r.voltage_a_mv as o7, v.voltage_a_mv as n7,
                r.voltage_b_mv as o8, v.voltage_b_mv as n8,
                r.voltage_c_mv as o9, v.voltage_c_mv as n9,
                r.current_a_ma as o10, v.current_a_ma as n10,
                r.current_b_ma as o11, v.current_b_ma as n11,
                r.current_c_ma as o12, v.current_c_ma as n12
            from ingest_valid v
            join smf.interval_reading r
                on r.meter_id = v.meter_id and r.ts = v.ts and r.ts between %L and %L
            offset 0  -- fence: the filters below made the planner probe row by row
        ) x
        join ingest_win w on w.source = x.source and w.old_source = x.old_source
        cross join lateral (values
            ('active_fwd_wh', 1, x.o1, x.n1), ('active_rev_wh', 2, x.o2, x.n2),
            ('reactive_ind_fwd_varh', 4, x.o3, x.n3), ('reactive_ind_rev_varh', 8, x.o4, x.n4),
            ('reactive_cap_fwd_varh', 16, x.o5, x.n5), ('reactive_cap_rev_varh', 32, x.o6, x.n6),
            ('voltage_a_mv', 64, x.o7, x.n7), ('voltage_b_mv', 128, x.o8, x.n8),
            ('voltage_c_mv', 256, x.o9, x.n9), ('current_a_ma', 512, x.o10, x.n10),
            ('current_b_ma', 1024, x.o11, x.n11), ('current_c_ma', 2048, x.o12, x.n12))
            c(channel, bit, old, new)
        where x.quality = 'measured' and x.old_quality = 'measured' and x.source <> x.old_source
          and x.given & c.bit <> 0 and c.old <> c.new$q$, p_batch, v_lo, v_hi);
    end if;

    raise debug 'ingest upsert delta at %', clock_timestamp();
    -- Merge each batch row with the stored one, channel by channel (when the batch row wins
    -- by smf.ingest_wins; otherwise the stored row stays whole): a channel the batch does not
    -- name (bit of `given` clear) or leaves empty keeps its stored value (an empty field clears
    -- a stored value only in a 'manual' row); the row's quality and source are the batch's when
    -- it brings at least one value. Only rows whose merged version differs are written.
    drop table if exists pg_temp.ingest_delta;
    execute format($q$
        create temp table ingest_delta on commit drop as
        select m.* from (
        select v.meter_id, v.ts,
            case when r.meter_id is null then v.active_fwd_wh
                 when coalesce(w.wins, true) and v.given & 1 <> 0 and (v.active_fwd_wh is not null or v.source = 'manual')
                 then v.active_fwd_wh else r.active_fwd_wh end as active_fwd_wh,
            case when r.meter_id is null then v.active_rev_wh
                 when coalesce(w.wins, true) and v.given & 2 <> 0 and (v.active_rev_wh is not null or v.source = 'manual')
                 then v.active_rev_wh else r.active_rev_wh end as active_rev_wh,
            case when r.meter_id is null then v.reactive_ind_fwd_varh
                 when coalesce(w.wins, true) and v.given & 4 <> 0 and (v.reactive_ind_fwd_varh is not null or v.source = 'manual')
                 then v.reactive_ind_fwd_varh else r.reactive_ind_fwd_varh end as reactive_ind_fwd_varh,
            case when r.meter_id is null then v.reactive_ind_rev_varh
                 when coalesce(w.wins, true) and v.given & 8 <> 0 and (v.reactive_ind_rev_varh is not null or v.source = 'manual')
                 then v.reactive_ind_rev_varh else r.reactive_ind_rev_varh end as reactive_ind_rev_varh,
            case when r.meter_id is null then v.reactive_cap_fwd_varh
                 when coalesce(w.wins, true) and v.given & 16 <> 0 and (v.reactive_cap_fwd_varh is not null or v.source = 'manual')
                 then v.reactive_cap_fwd_varh else r.reactive_cap_fwd_varh end as reactive_cap_fwd_varh,
            case when r.meter_id is null then v.reactive_cap_rev_varh
                 when coalesce(w.wins, true) and v.given & 32 <> 0 and (v.reactive_cap_rev_varh is not null or v.source = 'manual')
                 then v.reactive_cap_rev_varh else r.reactive_cap_rev_varh end as reactive_cap_rev_varh,
            case when r.meter_id is null then v.voltage_a_mv
                 when coalesce(w.wins, true) and v.given & 64 <> 0 and (v.voltage_a_mv is not null or v.source = 'manual')
                 then v.voltage_a_mv else r.voltage_a_mv end as voltage_a_mv,
            case when r.meter_id is null then v.voltage_b_mv
                 when coalesce(w.wins, true) and v.given & 128 <> 0 and (v.voltage_b_mv is not null or v.source = 'manual')
                 then v.voltage_b_mv else r.voltage_b_mv end as voltage_b_mv,
            case when r.meter_id is null then v.voltage_c_mv
                 when coalesce(w.wins, true) and v.given & 256 <> 0 and (v.voltage_c_mv is not null or v.source = 'manual')
                 then v.voltage_c_mv else r.voltage_c_mv end as voltage_c_mv,
            case when r.meter_id is null then v.current_a_ma
                 when coalesce(w.wins, true) and v.given & 512 <> 0 and (v.current_a_ma is not null or v.source = 'manual')
                 then v.current_a_ma else r.current_a_ma end as current_a_ma,
            case when r.meter_id is null then v.current_b_ma
                 when coalesce(w.wins, true) and v.given & 1024 <> 0 and (v.current_b_ma is not null or v.source = 'manual')
                 then v.current_b_ma else r.current_b_ma end as current_b_ma,
            case when r.meter_id is null then v.current_c_ma
                 when coalesce(w.wins, true) and v.given & 2048 <> 0 and (v.current_c_ma is not null or v.source = 'manual')
                 then v.current_c_ma else r.current_c_ma end as current_c_ma,
            case when r.meter_id is null or (coalesce(w.wins, true) and v.took) then v.quality else r.quality end as quality,
            case when r.meter_id is null or (coalesce(w.wins, true) and v.took) then v.source else r.source end as source,
            r.meter_id is null as is_new,
            r.active_fwd_wh as o1, r.active_rev_wh as o2, r.reactive_ind_fwd_varh as o3,
            r.reactive_ind_rev_varh as o4, r.reactive_cap_fwd_varh as o5,
            r.reactive_cap_rev_varh as o6, r.voltage_a_mv as o7, r.voltage_b_mv as o8,
            r.voltage_c_mv as o9, r.current_a_ma as o10, r.current_b_ma as o11,
            r.current_c_ma as o12, r.quality as o_quality, r.source as o_source
        from (select v.*,
                     (v.given & 1 <> 0 and (v.active_fwd_wh is not null or v.source = 'manual'))
                     or (v.given & 2 <> 0 and (v.active_rev_wh is not null or v.source = 'manual'))
                     or (v.given & 4 <> 0 and (v.reactive_ind_fwd_varh is not null or v.source = 'manual'))
                     or (v.given & 8 <> 0 and (v.reactive_ind_rev_varh is not null or v.source = 'manual'))
                     or (v.given & 16 <> 0 and (v.reactive_cap_fwd_varh is not null or v.source = 'manual'))
                     or (v.given & 32 <> 0 and (v.reactive_cap_rev_varh is not null or v.source = 'manual'))
                     or (v.given & 64 <> 0 and (v.voltage_a_mv is not null or v.source = 'manual'))
                     or (v.given & 128 <> 0 and (v.voltage_b_mv is not null or v.source = 'manual'))
                     or (v.given & 256 <> 0 and (v.voltage_c_mv is not null or v.source = 'manual'))
                     or (v.given & 512 <> 0 and (v.current_a_ma is not null or v.source = 'manual'))
                     or (v.given & 1024 <> 0 and (v.current_b_ma is not null or v.source = 'manual'))
                     or (v.given & 2048 <> 0 and (v.current_c_ma is not null or v.source = 'manual')) as took
              from ingest_valid v) v
        left join smf.interval_reading r
            on r.meter_id = v.meter_id and r.ts = v.ts and r.ts between %L and %L
        left join ingest_win w on w.source = v.source and w.old_source = r.source
        ) m
        where m.is_new
           or (m.active_fwd_wh, m.active_rev_wh, m.reactive_ind_fwd_varh, m.reactive_ind_rev_varh,
               m.reactive_cap_fwd_varh, m.reactive_cap_rev_varh, m.voltage_a_mv, m.voltage_b_mv,
               m.voltage_c_mv, m.current_a_ma, m.current_b_ma, m.current_c_ma, m.quality, m.source)
              is distinct from
              (m.o1, m.o2, m.o3, m.o4, m.o5, m.o6, m.o7, m.o8, m.o9, m.o10, m.o11, m.o12,
               m.o_quality, m.o_source)$q$, v_lo, v_hi);
    raise debug 'ingest upsert write at %', clock_timestamp();
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

CREATE FUNCTION smf.ingest_wins(p_source smf.reading_source, p_old_source smf.reading_source) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select p_old_source is null
        or coalesce((select rank from smf.source_precedence where source = p_source), 0)
           >= coalesce((select rank from smf.source_precedence where source = p_old_source), 0)
$$;

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

CREATE FUNCTION smf.job_run_finish(p_id bigint, p_outcome text, p_counts jsonb, p_error text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    update smf.job_run set finished_at = clock_timestamp(), outcome = p_outcome,
                           counts = coalesce(p_counts, '{}'), error = p_error
    where id = p_id
$$;

CREATE FUNCTION smf.job_run_start(p_job text, p_holder text) RETURNS bigint
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    insert into smf.job_run (job, holder) values (p_job, p_holder) returning id
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

CREATE FUNCTION smf.login_blocked(p_source text, p_max integer DEFAULT 10, p_window interval DEFAULT '00:05:00'::interval) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce((
        select greatest(1, ceil(extract(epoch from (min(at) + p_window - clock_timestamp())))::int)
        from (select at from smf.login_failure
              where source = p_source and at > clock_timestamp() - p_window
              order by at desc limit p_max) f
        having count(*) >= p_max), 0)
$$;

CREATE FUNCTION smf.login_failed(p_source text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    delete from smf.login_failure where at < clock_timestamp() - interval '1 day';
    insert into smf.login_failure (source, at) values (p_source, clock_timestamp());
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

CREATE FUNCTION smf.pld_import(p_months text[], p_submarkets text[], p_days integer[], p_hours integer[], p_prices numeric[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
declare
    v int;
    bad record;
begin
    select i, p_months[i] as m, p_submarkets[i] as s, p_days[i] as d, p_hours[i] as h, p_prices[i] as p
    into bad
    from generate_subscripts(p_months, 1) i
    where p_months[i] !~ '^[0-9]{4}-?[0-9]{2}$' or smf.pld_submarket(p_submarkets[i]) is null
       or p_hours[i] not between 0 and 23 or p_prices[i] is null or p_days[i] is null
       or p_days[i] not between 1 and extract(day from date_trunc('month', to_date(replace(p_months[i], '-', ''), 'YYYYMM'))
                                                     + interval '1 month - 1 day')
    order by i limit 1;
    if found then
        raise exception using errcode = 'SMF02',
            message = format('PLD row %s is invalid: month %s, submarket %s, day %s, hour %s, price %s',
                             bad.i, bad.m, bad.s, bad.d, bad.h, bad.p);
    end if;
    insert into smf.pld (submarket, hour, price)
    select smf.pld_submarket(p_submarkets[i]),
           (to_date(replace(p_months[i], '-', ''), 'YYYYMM') + (p_days[i] - 1) + make_interval(hours => p_hours[i]))
               at time zone smf.local_timezone(),
           p_prices[i]
    from generate_subscripts(p_months, 1) i
    on conflict (submarket, hour) do update set price = excluded.price
        where smf.pld.price is distinct from excluded.price;
    get diagnostics v = row_count;
    return v;
end
$_$;

CREATE FUNCTION smf.pld_submarket(p_name text) RETURNS smf.submarket
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v text := upper(translate(trim(coalesce(p_name, '')), 'áéíóúãõâêôç', 'aeiouaoaeoc'));
begin
    return case
        when v in ('SUDESTE', 'SE/CO', 'SECO', 'SE', 'SUDESTE/CENTRO-OESTE') then 'SE/CO'
        when v in ('SUL', 'S') then 'S'
        when v in ('NORDESTE', 'NE') then 'NE'
        when v in ('NORTE', 'N') then 'N'
    end::smf.submarket;
end
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

CREATE FUNCTION smf.principal() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select a.id
    from smf.account a
    where a.disabled_at is null
      and (a.db_role = session_user
           or (pg_has_role(session_user, 'smf_api', 'MEMBER')
               and a.id = nullif(current_setting('smf.principal', true), '')::int))
    order by (a.db_role = session_user) desc nulls last
    limit 1
$$;

CREATE FUNCTION smf.principal_role() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select role from smf.account where id = smf.principal()
$$;

CREATE FUNCTION smf.raw_read_prune(p_now timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with gone as (
        delete from smf.raw_read
        where read_at < p_now - make_interval(days => coalesce(
            (select value::int from smf.setting where key = 'raw_block_retention_days'), 90))
        returning 1
    )
    select count(*) from gone
$$;

CREATE FUNCTION smf.read_request_claim(p_holder text, p_limit integer DEFAULT 10, p_stale interval DEFAULT '00:10:00'::interval) RETURNS TABLE(id bigint, meter_id integer, serial text, kind text, requested_at timestamp with time zone)
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.read_request_complete(p_id bigint, p_holder text, p_ok boolean, p_result jsonb DEFAULT NULL::jsonb, p_error text DEFAULT NULL::text) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    update smf.read_request
    set status = case when p_ok then 'done' else 'failed' end,
        finished_at = clock_timestamp(), result = p_result, error = p_error
    where id = p_id and claimed_by = p_holder and status = 'running'
    returning true
$$;

CREATE FUNCTION smf.read_request_enqueue(p_serial text, p_kind text, p_account integer) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.read_request_status(p_id bigint) RETURNS TABLE(id bigint, serial text, kind text, status text, requested_at timestamp with time zone, claimed_at timestamp with time zone, finished_at timestamp with time zone, result jsonb, error text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select r.id, m.serial, r.kind, r.status, r.requested_at, r.claimed_at, r.finished_at,
           r.result, r.error
    from smf.read_request r join smf.meter m on m.id = r.meter_id
    where r.id = p_id
$$;

CREATE FUNCTION smf.read_views_refresh() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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
        -- its tables against the reader, not against smf_api)
        execute format('create view smf_read.%I with (security_barrier) as %s', v,
                       coalesce(pg_get_viewdef(format('smf.%I', v)::regclass),
                                format('select * from smf.%I', v)));
        execute format('alter view smf_read.%I owner to smf_api', v);
        execute format('grant select on smf_read.%I to smf_reader', v);
    end loop;
end $$;

CREATE FUNCTION smf.read_views_rewrite() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
declare
    v text;
    def text;
    fns text;
begin
    select string_agg(distinct p.proname, '|') into fns
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'smf_read';
    for v, def in select c.relname, pg_get_viewdef(c.oid)
                  from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where n.nspname = 'smf_read' and c.relkind = 'v'
                  order by c.relname loop
        def := regexp_replace(def, '\msmf\.(' || coalesce(fns, 'x-none') || ')\(', 'smf_read.\1(', 'g');
        if def <> pg_get_viewdef(format('smf_read.%I', v)::regclass) then
            execute format('create or replace view smf_read.%I with (security_barrier) as %s', v, def);
        end if;
    end loop;
end $$;

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

CREATE FUNCTION smf.scope_all() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce(smf.principal_role() in ('admin', 'service'), false)
$$;

CREATE FUNCTION smf.scope_distributor_ids() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce(array_agg(distinct s.distributor_id), '{}')
    from smf.account_scope s
    where s.account_id = smf.principal() and s.distributor_id is not null
$$;

CREATE FUNCTION smf.scope_meter_ids() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce(array_agg(distinct m), '{}')
    from smf.consumer_unit u, unnest(array[u.main_meter_id, u.backup_meter_id]) m
    where u.id = any (smf.scope_uc_ids()) and m is not null
$$;

CREATE FUNCTION smf.scope_reference_tables() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$ select array['calendar', 'calendar_rule', 'holiday', 'holiday_rule', 'tariff',
                        'posto_schedule', 'pld', 'rule_parameter', 'setting', 'source_precedence',
                        'ccee_deadline', 'alarm_rule'] $$;

CREATE FUNCTION smf.scope_uc_ids() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce(array_agg(distinct u.id), '{}')
    from smf.account_scope s
    join smf.consumer_unit u
      on u.id = s.uc_id
      or u.distributor_id = s.distributor_id
      or u.id in (select m.uc_id from smf.uc_group_member m where m.group_id = s.group_id)
    where s.account_id = smf.principal()
$$;

CREATE FUNCTION smf.scope_writes() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce(smf.principal_role() in ('admin', 'analyst', 'service'), false)
$$;

CREATE FUNCTION smf.setting_text(p_key text, p_default text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce((select value from smf.setting where key = p_key), p_default)
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
    AS $_$
    select case when s % 11 < 2 then 0 else 11 - s % 11 end
    from (
        select sum(substr(p_digits, length(p_digits) - i, 1)::int
                   * case when i < 3 then 8 + i else i - 2 end) as s
        from generate_series(0, length(p_digits) - 1) as i
    ) t
    where p_digits ~ '^[0-9]{13,14}$'
$_$;

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

CREATE FUNCTION smf.uc_group_add_member(p_group text, p_uc_code text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
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

CREATE FUNCTION smf.uc_hour_pieces(p_uc integer, p_month date, p_with_losses boolean) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, posto text, demand_posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric, max_demand_at timestamp with time zone, n_present integer, n_expected integer)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select h.hour, h.local_hour, h.posto, h.demand_posto, h.reactive_window, h.minutes, h.p_kwh, h.q_kvarh,
           h.s_kvah, h.power_factor, h.ufer_kwh, h.dmcr_kw, h.p_zero, h.max_demand_kw, h.max_demand_at,
           h.n_present, h.n_expected
    from smf.hour_pieces_set(array[p_uc], p_month, p_with_losses) h
    order by h.hour, h.posto
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
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select u.posto, u.ufer_kwh, u.dmcr_kw, u.dmcr_at, u.contracted_kw, u.dmcr_excess_kw, u.hours, u.p_zero_hours
    from smf.ufer_dmcr_set(array[p_uc], p_month, p_with_losses) u
    order by 1 desc
$$;

CREATE FUNCTION smf.ufer_dmcr_set(p_ucs integer[], p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_id integer, posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with c as materialized (
        select * from smf.cycle_evaluation_set(p_ucs, p_month, p_with_losses, false)
    )
    select e.uc_id, e.posto, round(e.ufer_kwh, 2), round(e.dmcr_kw, 2), e.dmcr_at, d.contracted_kw,
           round(d.dmcr_excess_kw, 2), e.hours, e.p_zero_hours
    from c e left join c d on d.uc_id = e.uc_id and d.kind = 'demand' and d.posto = e.posto
    where e.kind = 'energy'
    union all
    select d.uc_id, d.posto, null, round(d.dmcr_kw, 2), d.dmcr_at, d.contracted_kw, round(d.dmcr_excess_kw, 2),
           d.hours, d.p_zero_hours
    from c d where d.kind = 'demand' and d.posto = 'unica'
$$;

CREATE FUNCTION smf.vee_channel_column(p_channel text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
declare
    v text;
begin
    select c into v
    from unnest(smf.energy_columns() || smf.analog_columns()) c
    where lower(p_channel) in (c, regexp_replace(c, '_(wh|varh|mv|ma)$', ''),
                               regexp_replace(regexp_replace(c, '_(wh|varh)$', '_k\1'), '_m(v|a)$', '_\1'));
    if v is null then
        raise exception using errcode = 'SMF02',
            message = format('unknown channel %L; channels: %s', p_channel,
                             (select string_agg(regexp_replace(c, '_(wh|varh|mv|ma)$', ''), ', ')
                              from unnest(smf.energy_columns() || smf.analog_columns()) c));
    end if;
    return v;
end
$_$;

CREATE FUNCTION smf.vee_day_start(p_day date) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select p_day::timestamp at time zone smf.local_timezone()
$$;

CREATE FUNCTION smf.vee_day_type(p_day date) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case
        when extract(isodow from p_day) = 7 then 'sunday_holiday'
        when exists (select 1 from smf.holiday h join smf.calendar c on c.id = h.calendar_id
                     where c.purpose = 'ccee' and c.valid_during @> p_day and h.day = p_day)
            then 'sunday_holiday'
        when extract(isodow from p_day) = 6 then 'saturday'
        else 'business' end
$$;

CREATE FUNCTION smf.vee_edit(p_serial text, p_from timestamp with time zone, p_to timestamp with time zone, p_channel text, p_operation text, p_value numeric, p_source_serial text, p_reason text, p_operator text DEFAULT CURRENT_USER) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp', 'pg_catalog'
    AS $_$
declare
    v_meter int;
    v_source int;
    v_step interval;
    v_col text := smf.vee_channel_column(p_channel);
    v_first timestamptz;
    v_last timestamptz;
    v_rows jsonb;
    v_bad int;
    v_batch int;
    v_edit int;
    v_cols text;
    v_result jsonb;
begin
    if p_reason is null or btrim(p_reason) = '' then
        raise exception using errcode = 'SMF02', message = 'a reason is required for a manual edit';
    end if;
    select id, make_interval(mins => interval_minutes) into v_meter, v_step from smf.meter where serial = p_serial;
    if v_meter is null then
        raise exception using errcode = 'SMF04', message = format('no meter with serial %L', p_serial);
    end if;
    if p_from is null or p_to is null or p_to <= p_from then
        raise exception using errcode = 'SMF02',
            message = format('the edit range [%s, %s) is empty', p_from, p_to);
    end if;
    if p_from <> smf.vee_grid_down(p_from, v_step) or p_to <> smf.vee_grid_down(p_to, v_step) then
        raise exception using errcode = 'SMF02',
            message = format('the edit range [%s, %s) is not on the %s grid of meter %s', p_from, p_to, v_step, p_serial);
    end if;
    select min(ts), max(ts) + v_step into v_first, v_last from smf.interval_reading where meter_id = v_meter;
    if v_first is null or p_from < v_first or p_to > v_last then
        raise exception using errcode = 'SMF02',
            message = format('the edit range [%s, %s) is beyond the data of meter %s (%s)', p_from, p_to, p_serial,
                             coalesce(format('stored from %s to %s', v_first, v_last), 'nothing stored'));
    end if;
    if p_operation not in ('set', 'scale', 'copy_from') then
        raise exception using errcode = 'SMF02',
            message = format('operation %L is not set, scale or copy_from', p_operation);
    end if;
    if p_operation in ('set', 'scale') and (p_value is null or p_value < 0) then
        raise exception using errcode = 'SMF02',
            message = format('%s needs a value >= 0 (negative energy is refused), got %s', p_operation,
                             coalesce(p_value::text, 'none'));
    end if;
    if p_operation = 'copy_from' then
        select id into v_source from smf.meter
        where serial = p_source_serial and make_interval(mins => interval_minutes) = v_step;
        if v_source is null then
            raise exception using errcode = 'SMF04',
                message = format('no meter %L with the %s interval of %s to copy from', p_source_serial,
                                 v_step, p_serial);
        end if;
    end if;

    execute format($q$
        select jsonb_agg(jsonb_build_object('ts', g.ts, 'old', r.%1$I, 'quality', r.quality,
                                            'source', r.source, 'new', %2$s) order by g.ts)
        from generate_series($1, $2 - $3, $3) g(ts)
        left join smf.interval_reading r on r.meter_id = $4 and r.ts = g.ts
        left join smf.interval_reading c on c.meter_id = $5 and c.ts = g.ts$q$,
        v_col,
        case p_operation when 'set' then 'round($6 * 1000)::bigint'
                         when 'scale' then format('round(r.%I * $6)::bigint', v_col)
                         else format('case when c.quality <> ''missing'' then c.%I end', v_col) end)
    into v_rows using p_from, p_to, v_step, v_meter, v_source, p_value;
    select count(*) into v_bad from jsonb_array_elements(v_rows) e where e -> 'new' = 'null'::jsonb;
    if v_bad > 0 then
        raise exception using errcode = 'SMF02',
            message = format('%s of the %s intervals have no %s value to %s', v_bad,
                             jsonb_array_length(v_rows),
                             case when p_operation = 'copy_from' then p_source_serial else p_serial end,
                             case when p_operation = 'copy_from' then 'copy' else 'scale' end);
    end if;

    insert into smf.vee_manual_edit (meter_id, ts_from, ts_to, channel, operation, argument, reason, operator, old_values)
    values (v_meter, p_from, p_to, v_col, p_operation,
            case when p_operation = 'copy_from' then p_source_serial else p_value::text end,
            p_reason, p_operator,
            (select jsonb_agg(e - 'new') from jsonb_array_elements(v_rows) e))
    returning id into v_edit;

    v_batch := smf.ingest_begin('manual', format('vee manual edit %s', v_edit));
    select string_agg(case when c = v_col then '(x.new / 1000.0)' else format('(r.%I / 1000.0)', c) end, ', '
                      order by o)
    into v_cols from unnest(smf.energy_columns() || smf.analog_columns()) with ordinality u(c, o);
    execute format($q$
        insert into ingest_stage (meter_id, ts, active_fwd_kwh, active_rev_kwh, reactive_ind_fwd_kvarh,
            reactive_ind_rev_kvarh, reactive_cap_fwd_kvarh, reactive_cap_rev_kvarh, voltage_a_v, voltage_b_v,
            voltage_c_v, current_a_a, current_b_a, current_c_a, quality, source)
        select $1, x.ts::text, %s, 'adjusted', 'manual'
        from jsonb_to_recordset($2) as x(ts timestamptz, new bigint)
        left join smf.interval_reading r on r.meter_id = $1 and r.ts = x.ts$q$, v_cols)
    using v_meter, v_rows;
    perform set_config('smf.changed_by', p_operator, true);
    perform set_config('smf.change_reason', p_reason, true);
    v_result := smf.ingest_finish(v_batch, 0);
    if v_result -> 'quarantined' <> '{}'::jsonb then
        raise exception using errcode = 'SMF02',
            message = format('the edited values break an ingest rule (%s); nothing was changed',
                             v_result -> 'quarantined');
    end if;
    perform set_config('smf.changed_by', '', true);
    perform set_config('smf.change_reason', '', true);
    update smf.vee_manual_edit set batch_id = v_batch where id = v_edit;
    update smf.vee_finding set status = 'resolved', resolved_by = format('manual edit %s', v_edit), resolved_at = now()
    where meter_id = v_meter and status = 'open' and ts_from >= p_from and ts_to <= p_to;
    return jsonb_build_object('edit_id', v_edit, 'batch_id', v_batch, 'intervals', jsonb_array_length(v_rows));
end
$_$;

CREATE FUNCTION smf.vee_estimate(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_operator text DEFAULT CURRENT_USER) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v_step interval := smf.vee_step(p_meter);
    v_lo timestamptz := smf.vee_grid_up(p_from, v_step);
    v_hi timestamptz;
    v_day date := smf.vee_local_day(p_from);
    v_tz text := smf.local_timezone();
    v_short numeric := smf.vee_param('short_gap_intervals', p_meter, v_day);
    v_ndays numeric := smf.vee_param('daytype_days', p_meter, v_day);
    v_lookback numeric := smf.vee_param('daytype_lookback_days', p_meter, v_day);
    v_min_days numeric := smf.vee_param('daytype_min_days', p_meter, v_day);
    v_valid_share numeric := smf.vee_param('daytype_valid_share', p_meter, v_day);
    v_backup int;
    v_scale numeric;
    v_scale_how text;
    v_rows jsonb;
    v_run int;
    v_batch int;
    v_filled jsonb;
    v_left int;
    v_params jsonb;
begin
    if p_to <= p_from then
        raise exception using errcode = 'SMF02',
            message = format('estimation range [%s, %s) is empty', p_from, p_to);
    end if;
    -- the last interval the ingest accepts ends by now()
    v_hi := least(smf.vee_grid_up(p_to, v_step), smf.vee_grid_down(now() - v_step, v_step) + v_step);
    if v_hi <= v_lo then
        return jsonb_build_object('run_id', null, 'filled', '{}'::jsonb, 'left_missing', 0);
    end if;
    select cu.backup_meter_id into v_backup from smf.consumer_unit cu where cu.main_meter_id = p_meter;
    select s.wh_per_unit, s.how into v_scale, v_scale_how from smf.vee_register_scale(p_meter, v_hi) s;

    with gap as materialized (  -- the grid between consecutive stored values (one sorted scan)
        select g.ts
        from (select lag(s.ts) over (order by s.ts) + v_step as a, s.ts as b
              from (select r.ts from smf.interval_reading r
                    where r.meter_id = p_meter and r.ts >= v_lo and r.ts < v_hi and r.quality <> 'missing'
                    union all select v_lo - v_step
                    union all select v_hi) s) w,
             generate_series(w.a, w.b - v_step, v_step) g(ts)
        where w.b > w.a
    ), bk as materialized (
        select r.* from gap join smf.interval_reading r
            on r.meter_id = v_backup and r.ts = gap.ts and r.quality = 'measured'
        where r.ts >= v_lo and r.ts < v_hi
    ), rest as materialized (
        select gap.ts, gap.ts - (row_number() over (order by gap.ts)) * v_step as island,
               (gap.ts at time zone v_tz) as local_ts
        from gap where gap.ts not in (select bk.ts from bk)
    ), isl as materialized (
        select rest.island, min(rest.ts) as ilo, max(rest.ts) + v_step as ihi, count(*) as len
        from rest group by rest.island
    ), pairs as materialized (
        select p.* from smf.vee_register_pairs(p_meter, v_lo, v_hi + interval '2 days') p
        where v_scale is not null and p.raw_delta >= 0
    ), reg as (  -- the register energy of each gap, from the narrowest read pair around it
        select distinct on (isl.island) isl.island, pr.read_from, pr.read_to,
               pr.raw_delta * v_scale - pr.wh_sum
                   - coalesce((select sum(bk.active_fwd_wh) from bk where bk.ts >= pr.lo and bk.ts < pr.hi), 0)
                   as energy_wh
        from isl join pairs pr on pr.lo <= isl.ilo and pr.hi >= isl.ihi
        where pr.n_expected - pr.n_rows
              = (select count(*) from gap where gap.ts >= pr.lo and gap.ts < pr.hi)
          and (select count(*) from rest where rest.ts >= pr.lo and rest.ts < pr.hi) = isl.len
        order by isl.island, pr.hi - pr.lo
    ), gd as materialized (  -- the type of each day with a gap
        select distinct rest.local_ts::date as day, smf.vee_day_type(rest.local_ts::date) as day_type from rest
    ), days as materialized (  -- valid days and their type
        select d.bucket as day, smf.vee_day_type(d.bucket) as day_type
        from smf.rollup_day d
        where d.meter_id = p_meter and d.n_measured >= v_valid_share * d.n_expected
          and d.bucket >= (select min(rest.local_ts)::date from rest) - v_lookback::int
          and d.bucket < (select max(rest.local_ts)::date from rest)
    ), cand as (
        select rest.ts, dd.day, gd.day_type, r.active_fwd_wh, r.active_rev_wh, r.reactive_ind_fwd_varh,
               r.reactive_ind_rev_varh, r.reactive_cap_fwd_varh, r.reactive_cap_rev_varh, r.voltage_a_mv,
               r.voltage_b_mv, r.voltage_c_mv, r.current_a_ma, r.current_b_ma, r.current_c_ma,
               row_number() over (partition by rest.ts order by dd.day desc) as k
        from rest
        join gd on gd.day = rest.local_ts::date
        cross join lateral (  -- the latest valid days of the type (2 spare if the interval is not measured)
            select d.day from days d
            where d.day < gd.day and d.day >= gd.day - v_lookback::int and d.day_type = gd.day_type
            order by d.day desc limit v_ndays::int + 2) dd
        join smf.interval_reading r on r.meter_id = p_meter
                    and r.ts = (dd.day + rest.local_ts::time) at time zone v_tz and r.quality = 'measured'
    ), prof as (
        select c.ts, count(*) as n_days, array_agg(c.day order by c.day desc) as used_days,
               avg(c.active_fwd_wh) as active_fwd, avg(c.active_rev_wh) as active_rev,
               avg(c.reactive_ind_fwd_varh) as ind_fwd, avg(c.reactive_ind_rev_varh) as ind_rev,
               avg(c.reactive_cap_fwd_varh) as cap_fwd, avg(c.reactive_cap_rev_varh) as cap_rev,
               avg(c.voltage_a_mv) as va, avg(c.voltage_b_mv) as vb, avg(c.voltage_c_mv) as vc,
               avg(c.current_a_ma) as ia, avg(c.current_b_ma) as ib, avg(c.current_c_ma) as ic
        from cand c where c.k <= v_ndays group by c.ts
    ), est as (
        select rest.ts, rest.island, gd.day_type, isl.len, reg.energy_wh, reg.read_from, reg.read_to, p.n_days,
               p.used_days, p.active_fwd, p.active_rev, p.ind_fwd, p.ind_rev, p.cap_fwd, p.cap_rev,
               p.va, p.vb, p.vc, p.ia, p.ib, p.ic,
               coalesce(p.n_days, 0) >= v_min_days as has_profile,
               case when coalesce(p.n_days, 0) >= v_min_days then p.active_fwd end as w
        from rest join isl using (island)
        join gd on gd.day = rest.local_ts::date
        left join reg using (island)
        left join prof p on p.ts = rest.ts
    ), est2 as (
        select e.*,
               case when e.energy_wh is not null and (e.len <= v_short or bool_and(e.has_profile) over i)
                    then case when coalesce(sum(e.w) over i, 0) > 0 then e.energy_wh * e.w / sum(e.w) over i
                              else e.energy_wh / e.len::numeric end end as share
        from est e window i as (partition by e.island)
    ), est3 as (
        select e.*, floor(e.share) as base,
               row_number() over (partition by e.island order by e.share - floor(e.share) desc, e.ts) as rk,
               e.energy_wh - sum(floor(e.share)) over (partition by e.island) as extra
        from est2 e
    ), final as (
        select e.ts, e.day_type, e.len, e.energy_wh, e.read_from, e.read_to, e.share, e.has_profile, e.used_days,
               e.active_fwd, e.active_rev, e.ind_fwd, e.ind_rev, e.cap_fwd, e.cap_rev, e.va, e.vb, e.vc,
               e.ia, e.ib, e.ic,
               case when e.share is not null and e.len <= v_short then 'register_profile'
                    when e.share is not null then 'daytype_mean_scaled'
                    when e.has_profile then 'daytype_mean' end as method,
               case when e.share is not null then (e.base + case when e.rk <= e.extra then 1 else 0 end)::bigint
                    when e.has_profile then round(e.active_fwd)::bigint end as active_fwd_wh
        from est3 e
    ), out as (
        select bk.ts, 'backup_meter' as method, 'adjusted' as quality, 'backup_meter' as source,
               bk.active_fwd_wh, bk.active_rev_wh, bk.reactive_ind_fwd_varh, bk.reactive_ind_rev_varh,
               bk.reactive_cap_fwd_varh, bk.reactive_cap_rev_varh, bk.voltage_a_mv, bk.voltage_b_mv,
               bk.voltage_c_mv, bk.current_a_ma, bk.current_b_ma, bk.current_c_ma,
               jsonb_build_object('backup_meter_id', v_backup,
                                  'backup_meter', (select serial from smf.meter where id = v_backup)) as inputs
        from bk
        union all
        select f.ts, coalesce(f.method, 'none'),
               case when f.method = 'register_profile' then 'adjusted' else 'estimated' end, 'estimate',
               f.active_fwd_wh,
               round(f.active_rev)::bigint, round(f.ind_fwd)::bigint, round(f.ind_rev)::bigint,
               round(f.cap_fwd)::bigint, round(f.cap_rev)::bigint, round(f.va)::bigint, round(f.vb)::bigint,
               round(f.vc)::bigint, round(f.ia)::bigint, round(f.ib)::bigint, round(f.ic)::bigint,
               jsonb_strip_nulls(jsonb_build_object(
                   'days', case when f.has_profile then to_jsonb(f.used_days) end,
                   'day_type', f.day_type,
                   'gap_intervals', f.len,
                   'register_energy_wh', case when f.share is not null then f.energy_wh end,
                   'register_reads', case when f.share is not null then jsonb_build_array(f.read_from, f.read_to) end,
                   'register_wh_per_unit', case when f.share is not null then v_scale end,
                   'register_scale', case when f.share is not null then v_scale_how end,
                   'profile', case when f.share is not null and not f.has_profile then 'uniform' end,
                   'reason', case when f.method is null then format(
                       'no backup value, no usable register delta, and fewer than %s valid %s day(s) in the %s days before',
                       v_min_days, f.day_type, v_lookback) end))
        from final f
    )
    select jsonb_agg(to_jsonb(out) order by out.ts) into v_rows from out;

    if v_rows is null then
        return jsonb_build_object('run_id', null, 'filled', '{}'::jsonb, 'left_missing', 0);
    end if;

    -- intervals with no usable history: one finding per run, naming the reason
    insert into smf.vee_finding as v (meter_id, rule, ts_from, ts_to, severity, detail)
    select p_meter, 'estimation', min(x.ts), max(x.ts) + v_step, 'error',
           format('%s interval(s) left missing, %s to %s (local): %s', count(*), smf.vee_fmt_local(min(x.ts)),
                  smf.vee_fmt_local(max(x.ts) + v_step), min(x.inputs ->> 'reason'))
    from (select r.ts, r.inputs, r.ts - (row_number() over (order by r.ts)) * v_step as island
          from jsonb_to_recordset(v_rows) as r(ts timestamptz, method text, inputs jsonb)
          where r.method = 'none') x
    group by x.island
    on conflict (meter_id, rule, ts_from, ts_to) do update set last_seen_at = now(), detail = excluded.detail;

    select coalesce(jsonb_object_agg(m, n), '{}'), coalesce(sum(n) filter (where m = 'none'), 0)
    into v_filled, v_left
    from (select r.method as m, count(*) as n
          from jsonb_to_recordset(v_rows) as r(method text) group by r.method) c;
    v_filled := v_filled - 'none';
    if v_filled = '{}'::jsonb then
        return jsonb_build_object('run_id', null, 'filled', v_filled, 'left_missing', v_left);
    end if;

    v_params := (select jsonb_object_agg(k, smf.vee_param(k, p_meter, v_day))
                 from unnest(array['short_gap_intervals', 'daytype_days', 'daytype_lookback_days',
                                   'daytype_min_days', 'daytype_valid_share', 'register_wh_per_unit']) k)
                || jsonb_build_object('backup_meter_id', v_backup, 'register_wh_per_unit_used', v_scale,
                                      'register_scale', v_scale_how);
    insert into smf.vee_estimation_run (meter_id, ts_from, ts_to, parameters, operator, filled, left_missing)
    values (p_meter, v_lo, v_hi, v_params, p_operator, v_filled, v_left) returning id into v_run;

    -- through the ingest path: one batch, rollups refreshed, history kept
    v_batch := smf.ingest_begin('estimate', format('vee estimation run %s', v_run));
    insert into ingest_stage (meter_id, ts, active_fwd_kwh, active_rev_kwh, reactive_ind_fwd_kvarh,
        reactive_ind_rev_kvarh, reactive_cap_fwd_kvarh, reactive_cap_rev_kvarh, voltage_a_v, voltage_b_v,
        voltage_c_v, current_a_a, current_b_a, current_c_a, quality, source)
    select p_meter, r.ts::text, r.active_fwd_wh / 1000.0, r.active_rev_wh / 1000.0,
           r.reactive_ind_fwd_varh / 1000.0, r.reactive_ind_rev_varh / 1000.0, r.reactive_cap_fwd_varh / 1000.0,
           r.reactive_cap_rev_varh / 1000.0, r.voltage_a_mv / 1000.0, r.voltage_b_mv / 1000.0,
           r.voltage_c_mv / 1000.0, r.current_a_ma / 1000.0, r.current_b_ma / 1000.0, r.current_c_ma / 1000.0,
           r.quality, r.source
    from jsonb_to_recordset(v_rows) as r(ts timestamptz, method text, quality text, source text,
        active_fwd_wh bigint, active_rev_wh bigint, reactive_ind_fwd_varh bigint, reactive_ind_rev_varh bigint,
        reactive_cap_fwd_varh bigint, reactive_cap_rev_varh bigint, voltage_a_mv bigint, voltage_b_mv bigint,
        voltage_c_mv bigint, current_a_ma bigint, current_b_ma bigint, current_c_ma bigint)
    where r.method <> 'none';
    perform set_config('smf.changed_by', p_operator, true);
    perform set_config('smf.change_reason', format('vee estimation run %s', v_run), true);
    perform smf.ingest_finish(v_batch, 0);
    perform set_config('smf.changed_by', '', true);
    perform set_config('smf.change_reason', '', true);
    update smf.vee_estimation_run set batch_id = v_batch where id = v_run;

    insert into smf.vee_provenance (meter_id, ts, run_id, method, active_fwd_wh, inputs)
    select p_meter, r.ts, v_run, r.method, r.active_fwd_wh, r.inputs
    from jsonb_to_recordset(v_rows) as r(ts timestamptz, method text, active_fwd_wh bigint, inputs jsonb)
    where r.method <> 'none';

    -- missing-interval (and earlier estimation) findings now wholly filled are resolved by this run
    update smf.vee_finding v set status = 'resolved', resolved_by = format('estimation run %s', v_run),
        resolved_at = now()
    where v.meter_id = p_meter and v.rule in ('missing', 'estimation') and v.status = 'open'
      and v.ts_from >= v_lo and v.ts_to <= v_hi
      and not exists (select 1 from jsonb_to_recordset(v_rows) as r(ts timestamptz, method text)
                      where r.method = 'none' and r.ts >= v.ts_from and r.ts < v.ts_to);
    return jsonb_build_object('run_id', v_run, 'batch_id', v_batch, 'filled', v_filled, 'left_missing', v_left);
end
$$;

CREATE FUNCTION smf.vee_estimate_daily(p_day date, p_operator text DEFAULT CURRENT_USER) RETURNS TABLE(meter_id integer, serial text, result jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
#variable_conflict use_column
declare
    v_from timestamptz := smf.vee_day_start(p_day);
    v_to timestamptz := smf.vee_day_start(p_day + 1);
    v_days numeric;
    v_last timestamptz;
    v_step interval;
    v_left int;
    m record;
begin
    for m in select mt.id, mt.serial, cu.backup_meter_id
             from smf.meter mt left join smf.consumer_unit cu on cu.main_meter_id = mt.id
             where mt.enabled
               and mt.id not in (select c.backup_meter_id from smf.consumer_unit c
                                 where c.backup_meter_id is not null)
             order by mt.serial loop
        v_days := smf.vee_param('auto_estimate_max_silent_days', m.id, p_day);
        -- (a bounded look at the window; the last measured time is searched only when skipping)
        if not exists (select 1 from smf.interval_reading r
                       where r.meter_id in (m.id, m.backup_meter_id) and r.quality = 'measured'
                         and r.ts >= v_to - make_interval(days => v_days::int) and r.ts < v_to) then
            select max(r.ts) into v_last from smf.interval_reading r
            where r.meter_id in (m.id, m.backup_meter_id) and r.quality = 'measured' and r.ts < v_to;
            v_step := smf.vee_step(m.id);
            -- expected intervals of the day (23, 24 or 25 hours) minus those holding a value
            select (extract(epoch from v_to - v_from) / extract(epoch from v_step))::int
                   - count(*) filter (where r.quality <> 'missing')
            into v_left
            from smf.interval_reading r
            where r.meter_id = m.id and r.ts >= v_from and r.ts < v_to;
            if v_left > 0 then
                insert into smf.vee_finding as f (meter_id, rule, ts_from, ts_to, severity, detail)
                values (m.id, 'estimation', v_from, v_to, 'error',
                        format('%s interval(s) left missing on %s: no measured interval since %s; the'
                               ' daily job stops estimating after %s day(s) of silence (visit the meter,'
                               ' or estimate by hand: smf vee estimate)', v_left, p_day,
                               coalesce(smf.vee_fmt_local(v_last) || ' (local)', 'ever'), v_days))
                on conflict (meter_id, rule, ts_from, ts_to)
                do update set last_seen_at = now(), detail = excluded.detail;
            end if;
            meter_id := m.id;
            serial := m.serial;
            result := jsonb_build_object('run_id', null, 'filled', '{}'::jsonb, 'left_missing', v_left,
                                         'skipped', 'silent', 'last_measured', v_last);
        else
            meter_id := m.id;
            serial := m.serial;
            result := smf.vee_estimate(m.id, v_from, v_to, p_operator);
        end if;
        return next;
    end loop;
end
$$;

CREATE FUNCTION smf.vee_estimate_scope(p_kind text, p_ref text, p_from timestamp with time zone, p_to timestamp with time zone, p_operator text DEFAULT CURRENT_USER) RETURNS TABLE(meter_id integer, serial text, result jsonb)
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select m.id, m.serial, smf.vee_estimate(m.id, p_from, p_to, p_operator)
    from smf.meter m
    where m.id in (select s from smf.vee_scope_meters(p_kind, p_ref) s where s is not null)
      and (p_kind = 'meter' or m.id not in (select backup_meter_id from smf.consumer_unit
                                            where backup_meter_id is not null))
    order by m.serial
$$;

CREATE FUNCTION smf.vee_explain(p_meter integer, p_ts timestamp with time zone) RETURNS TABLE(meter_id integer, ts timestamp with time zone, active_fwd_kwh numeric, quality smf.quality, source smf.reading_source, batch_id integer, batch_origin text, written_by text, written_at timestamp with time zone, method text, inputs jsonb, parameters jsonb, edit_reason text, history_versions bigint)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select r.meter_id, r.ts, smf.vee_kwh(r.active_fwd_wh), r.quality, r.source, r.batch_id, b.origin,
           coalesce(e.operator, run.operator, b.operator), b.started_at,
           coalesce(pv.method, case when e.id is not null then 'manual_' || e.operation end),
           coalesce(pv.inputs, case when e.id is not null then jsonb_build_object('argument', e.argument,
                                                                          'channel', e.channel) end),
           run.parameters, e.reason,
           (select count(*) from smf.interval_reading_history h where h.meter_id = r.meter_id and h.ts = r.ts)
    from smf.interval_reading r
    join smf.ingest_batch b on b.id = r.batch_id
    left join smf.vee_estimation_run run on run.batch_id = r.batch_id
    left join smf.vee_provenance pv on pv.meter_id = r.meter_id and pv.ts = r.ts and pv.run_id = run.id
    left join smf.vee_manual_edit e on e.batch_id = r.batch_id
    where r.meter_id = p_meter and r.ts = p_ts
$$;

CREATE FUNCTION smf.vee_finding_set_status(p_id bigint, p_status text, p_who text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    if p_status not in ('open', 'accepted', 'resolved') then
        raise exception using errcode = 'SMF02',
            message = format('status %L is not open, accepted or resolved', p_status);
    end if;
    update smf.vee_finding set status = p_status,
        resolved_by = case when p_status = 'open' then null else p_who end,
        resolved_at = case when p_status = 'open' then null else now() end
    where id = p_id;
    if not found then
        raise exception using errcode = 'SMF04', message = format('no finding %s', p_id);
    end if;
end
$$;

CREATE FUNCTION smf.vee_fmt_local(p_ts timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select to_char(p_ts at time zone smf.local_timezone(), 'YYYY-MM-DD HH24:MI')
$$;

CREATE FUNCTION smf.vee_grid_down(p_ts timestamp with time zone, p_step interval) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select to_timestamp(floor(extract(epoch from p_ts) / extract(epoch from p_step)) * extract(epoch from p_step))
$$;

CREATE FUNCTION smf.vee_grid_up(p_ts timestamp with time zone, p_step interval) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select to_timestamp(ceil(extract(epoch from p_ts) / extract(epoch from p_step)) * extract(epoch from p_step))
$$;

CREATE FUNCTION smf.vee_kwh(p_wh numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select round(p_wh / 1000.0, 3)
$$;

CREATE FUNCTION smf.vee_local_day(p_ts timestamp with time zone) RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select (p_ts at time zone smf.local_timezone())::date
$$;

CREATE FUNCTION smf.vee_nominal_voltage(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, OUT nominal_v numeric, OUT how text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_mean numeric;
begin
    nominal_v := smf.vee_param('voltage_nominal_v', p_meter, smf.vee_local_day(p_from));
    how := 'configured';
    if nominal_v > 0 then
        return;
    end if;
    select greatest(sum(d.voltage_a_mv_sum) / nullif(sum(d.voltage_a_mv_n), 0),
                    sum(d.voltage_b_mv_sum) / nullif(sum(d.voltage_b_mv_n), 0),
                    sum(d.voltage_c_mv_sum) / nullif(sum(d.voltage_c_mv_n), 0)) / 1000.0 into v_mean
    from smf.rollup_day d
    where d.meter_id = p_meter and d.bucket between smf.vee_local_day(p_from) and smf.vee_local_day(p_to);
    select s into nominal_v
    from unnest(array[57.7, 63.5, 110, 115, 120, 127, 220, 230, 240, 254, 380, 400, 440]::numeric[]) s
    where v_mean is not null order by abs(s - v_mean) limit 1;
    how := 'detected';
end
$$;

CREATE FUNCTION smf.vee_param(p_key text, p_meter integer, p_day date DEFAULT CURRENT_DATE) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v numeric;
    v_dist int;
begin
    select cu.distributor_id into v_dist from smf.consumer_unit cu where cu.main_meter_id = p_meter;
    if v_dist is null then
        select cu.distributor_id into v_dist from smf.consumer_unit cu where cu.backup_meter_id = p_meter;
    end if;
    select p.value into v
    from smf.vee_parameter p
    where p.key = p_key and p.valid_during @> p_day
      and (p.meter_id = p_meter or p.distributor_id = v_dist
           or (p.meter_id is null and p.distributor_id is null))
    order by (p.meter_id is not null) desc, (p.distributor_id is not null) desc
    limit 1;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('no VEE parameter %s valid on %s for meter %s', p_key, p_day, p_meter);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.vee_register_pairs(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(read_from timestamp with time zone, read_to timestamp with time zone, lo timestamp with time zone, hi timestamp with time zone, raw_delta bigint, wh_sum bigint, n_rows integer, n_expected integer)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_step interval := smf.vee_step(p_meter);
begin
    return query
    with reads as (
        select g.at, g.registers[1] as total,
               lag(g.at) over (order by g.at) as prev_at, lag(g.registers[1]) over (order by g.at) as prev_total
        from smf.register_reading g
        where g.meter_id = p_meter and g.period = 'current' and g.channel = 1
          and g.at >= p_from - interval '40 days' and g.at <= p_to
    )
    select r.prev_at, r.at, smf.vee_grid_down(r.prev_at, v_step), smf.vee_grid_down(r.at, v_step),
           r.total - r.prev_total, s.wh, s.n::int,
           (extract(epoch from smf.vee_grid_down(r.at, v_step) - smf.vee_grid_down(r.prev_at, v_step))
            / extract(epoch from v_step))::int
    from reads r,
         lateral (select sum(x.active_fwd_wh)::bigint as wh, count(x.active_fwd_wh) as n
                  from smf.interval_reading x
                  where x.meter_id = p_meter and x.ts >= smf.vee_grid_down(r.prev_at, v_step)
                    and x.ts < smf.vee_grid_down(r.at, v_step) and x.quality <> 'missing') s
    where r.prev_at is not null and r.at >= p_from;
end
$$;

CREATE FUNCTION smf.vee_register_scale(p_meter integer, p_to timestamp with time zone, OUT wh_per_unit numeric, OUT how text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_ratio numeric;
begin
    wh_per_unit := smf.vee_param('register_wh_per_unit', p_meter, smf.vee_local_day(p_to));
    how := 'configured';
    if wh_per_unit > 0 then
        return;
    end if;
    select percentile_cont(0.5) within group (order by p.wh_sum::numeric / p.raw_delta) into v_ratio
    from smf.vee_register_pairs(p_meter, p_to - interval '90 days', p_to) p
    where p.raw_delta > 0 and p.wh_sum > 0 and p.n_rows = p.n_expected;
    wh_per_unit := case when v_ratio > 0 then trim_scale(power(10::numeric, round(log(v_ratio)))) end;
    how := 'detected';
end
$$;

CREATE FUNCTION smf.vee_rule_backup(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_backup int;
    v_serial text;
    v_step interval := smf.vee_step(p_meter);
    v_day date := smf.vee_local_day(p_from);
    v_ti numeric := smf.vee_param('backup_interval_tolerance', p_meter, v_day);
    v_th numeric := smf.vee_param('backup_hour_tolerance', p_meter, v_day);
    v_td numeric := smf.vee_param('backup_day_tolerance', p_meter, v_day);
    v_floor numeric := smf.vee_param('backup_floor_wh', p_meter, v_day);
    v_per_hour int := (3600 / extract(epoch from v_step))::int;
    v_tz text := smf.local_timezone();
begin
    select cu.backup_meter_id, b.serial into v_backup, v_serial
    from smf.consumer_unit cu join smf.meter b on b.id = cu.backup_meter_id
    where cu.main_meter_id = p_meter;
    if v_backup is null then
        return;
    end if;
    return query
    with pairs as materialized (
        select m.ts, m.active_fwd_wh as main_wh, b.active_fwd_wh as backup_wh
        from smf.interval_reading m
        join smf.interval_reading b on b.meter_id = v_backup and b.ts = m.ts
        where m.meter_id = p_meter and m.ts >= p_from and m.ts < p_to
          and b.ts >= p_from and b.ts < p_to
          and m.quality = 'measured' and b.quality = 'measured'
          and m.active_fwd_wh is not null and b.active_fwd_wh is not null
    ), iv as (
        select p.*, p.ts - (row_number() over (order by p.ts)) * v_step as island
        from pairs p
        where abs(p.main_wh - p.backup_wh) > v_ti * greatest(p.main_wh, p.backup_wh, v_floor)
    )
    select 'backup_interval', min(iv.ts), max(iv.ts) + v_step, 'warning',
           format('main and backup (%s) differ by more than %s%% in %s interval(s) %s to %s (local); '
                  'largest: main %s kWh, backup %s kWh', v_serial, 100 * v_ti, count(*),
                  to_char((min(iv.ts)) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), to_char((max(iv.ts) + v_step) at time zone v_tz, 'YYYY-MM-DD HH24:MI'),
                  round(((array_agg(iv.main_wh order by abs(iv.main_wh - iv.backup_wh) desc))[1]) / 1000.0, 3),
                  round(((array_agg(iv.backup_wh order by abs(iv.main_wh - iv.backup_wh) desc))[1]) / 1000.0, 3))
    from iv group by iv.island
    union all
    select 'backup_hour', h.hour, h.hour + interval '1 hour', 'warning',
           format('main %s kWh and backup (%s) %s kWh differ by %s%% (limit %s%%) in the hour from %s (local)',
                  round((h.m) / 1000.0, 3), v_serial, round((h.b) / 1000.0, 3),
                  round(100 * abs(h.m - h.b) / greatest(h.m, h.b, v_floor), 2), 100 * v_th,
                  to_char((h.hour) at time zone v_tz, 'YYYY-MM-DD HH24:MI'))
    from (select date_trunc('hour', p.ts) as hour, sum(p.main_wh) as m, sum(p.backup_wh) as b, count(*) as n
          from pairs p group by 1) h
    where h.n = v_per_hour and abs(h.m - h.b) > v_th * greatest(h.m, h.b, v_floor)
    union all
    select 'backup_day', smf.vee_day_start(d.day), smf.vee_day_start(d.day + 1), 'error',
           format('main %s kWh and backup (%s) %s kWh differ by %s%% (limit %s%%) on %s',
                  round((d.m) / 1000.0, 3), v_serial, round((d.b) / 1000.0, 3),
                  round(100 * abs(d.m - d.b) / greatest(d.m, d.b, v_floor), 2), 100 * v_td, d.day)
    from (select (p.ts at time zone v_tz)::date as day, sum(p.main_wh) as m, sum(p.backup_wh) as b,
                 count(*) as n
          from pairs p group by 1) d
    where d.n = extract(epoch from smf.vee_day_start(d.day + 1) - smf.vee_day_start(d.day))
                / extract(epoch from v_step)
      and abs(d.m - d.b) > v_td * greatest(d.m, d.b, v_floor);
end
$$;

CREATE FUNCTION smf.vee_rule_clock(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select 'clock', e.at, e.at, case when e.kind = 'clock_drift_large' then 'error' else 'warning' end,
           format('%s: %s', e.kind, e.message)
    from smf.meter_event e
    where e.meter_id = p_meter and e.at >= p_from and e.at < p_to
      and e.kind in ('clock_corrected', 'clock_drift_large')
    union all
    select 'interval_length', min(q.ts), max(q.ts), 'error',
           format('%s row(s) off the %s-minute grid quarantined on %s (first at %s)', count(*),
                  min(m.interval_minutes), smf.vee_local_day(min(q.ts)), min(q.ts))
    from smf.ingest_quarantine q join smf.meter m on m.serial = q.meter_ref or m.id::text = q.meter_ref
    where m.id = p_meter and q.reason = 'off_grid' and q.ts >= p_from and q.ts < p_to
    group by smf.vee_local_day(q.ts)
$$;

CREATE FUNCTION smf.vee_rule_demand(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_tz text := smf.local_timezone();
    v_k numeric := smf.vee_param('demand_sanity_factor', p_meter, smf.vee_local_day(p_from));
    v_ref numeric;
    v_what text;
begin
    select greatest(cu.contracted_demand_ponta_kw, cu.contracted_demand_fora_ponta_kw, cu.musd_kw)
    into v_ref from smf.consumer_unit cu where p_meter in (cu.main_meter_id, cu.backup_meter_id);
    v_what := 'the contracted demand';
    if v_ref is null or v_ref = 0 then
        select m.max_power_kw into v_ref from smf.meter m where m.id = p_meter;
        v_what := 'the meter''s maximum power';
        v_k := 1;
    end if;
    return query
    select 'demand', r.bucket, r.bucket + interval '15 minutes', 'error',
           format('15-minute demand %s kW at %s (local) is above %s x %s (%s kW)',
                  r.max_demand_kw, to_char((r.bucket) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), v_k, v_what, v_ref)
    from smf.rollup_15min r
    where r.meter_id = p_meter and r.bucket >= p_from and r.bucket < p_to
      and r.max_demand_kw > v_k * v_ref;
end
$$;

CREATE FUNCTION smf.vee_rule_meter_status(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_tz text := smf.local_timezone();
    v_min numeric := smf.vee_param('outage_min_minutes', p_meter, smf.vee_local_day(p_from));
begin
    return query
    select 'outage', o.start_at, coalesce(o.end_at, greatest(p_to, o.start_at)), 'warning',
           format('supply outage reported by the meter from %s to %s (local)%s',
                  to_char((o.start_at) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), coalesce(to_char((o.end_at) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), 'still open'),
                  coalesce(format(', %s min', round(extract(epoch from o.end_at - o.start_at) / 60.0, 1)), ''))
    from smf.meter_outage o
    where o.meter_id = p_meter and o.start_at < p_to and coalesce(o.end_at, p_to) >= p_from
      and coalesce(extract(epoch from o.end_at - o.start_at) / 60.0, v_min) >= v_min
    union all
    select 'meter_status', e.at, e.at,
           case when e.kind = 'serial_changed' then 'error' else 'warning' end,
           format('%s: %s', case when e.detail ? 'battery' then 'battery' else e.kind end, e.message)
    from smf.meter_event e
    where e.meter_id = p_meter and e.at >= p_from and e.at < p_to
      and (e.kind in ('serial_changed', 'plausibility_contradiction') or e.detail ? 'battery');
end
$$;

CREATE FUNCTION smf.vee_rule_missing(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_upto_last boolean DEFAULT false) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_tz text := smf.local_timezone();
    v_step interval := smf.vee_step(p_meter);
    v_lo timestamptz := smf.vee_grid_up(p_from, v_step);
    v_hi timestamptz := least(smf.vee_grid_up(p_to, v_step), smf.vee_grid_down(now(), v_step) - v_step);
    v_long numeric := smf.vee_param('missing_long_run', p_meter, smf.vee_local_day(p_from));
    v_last timestamptz;
begin
    if p_upto_last then
        select max(r.ts) + v_step into v_last from smf.interval_reading r
        where r.meter_id = p_meter and r.ts >= v_lo and r.ts < v_hi and r.quality <> 'missing';
        v_hi := least(v_hi, coalesce(v_last, v_lo));
    end if;
    if v_hi <= v_lo then
        return;
    end if;
    return query
    with s as (
        select r.ts from smf.interval_reading r
        where r.meter_id = p_meter and r.ts >= v_lo and r.ts < v_hi and r.quality <> 'missing'
        union all select v_lo - v_step
        union all select v_hi
    ), g as (
        select lag(s.ts) over (order by s.ts) + v_step as gap_from, s.ts as gap_to from s
    )
    select 'missing', g.gap_from, g.gap_to,
           case when extract(epoch from g.gap_to - g.gap_from) / extract(epoch from v_step) >= v_long then 'error' else 'warning' end,
           format('%s interval(s) of %s min missing, %s to %s (local)',
                  ((extract(epoch from g.gap_to - g.gap_from)) / extract(epoch from v_step))::int,
                  (extract(epoch from v_step) / 60)::int, to_char((g.gap_from) at time zone v_tz, 'YYYY-MM-DD HH24:MI'),
                  to_char((g.gap_to) at time zone v_tz, 'YYYY-MM-DD HH24:MI'))
    from g where g.gap_to > g.gap_from;
end
$$;

CREATE FUNCTION smf.vee_rule_names() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select array['missing', 'zero_run', 'spike', 'demand', 'reverse_flow', 'voltage_band', 'phase_loss',
                 'clock', 'interval_length', 'register', 'backup_interval', 'backup_hour', 'backup_day',
                 'outage', 'meter_status']
$$;

CREATE FUNCTION smf.vee_rule_register(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_tz text := smf.local_timezone();
    v_tol numeric := smf.vee_param('register_tolerance', p_meter, smf.vee_local_day(p_from));
    v_scale numeric;
    v_how text;
begin
    if not exists (select 1 from smf.register_reading g where g.meter_id = p_meter
                   and g.at >= p_from and g.at <= p_to) then
        return;
    end if;
    select s.wh_per_unit, s.how into v_scale, v_how from smf.vee_register_scale(p_meter, p_to) s;
    return query
    select 'register', p.lo, p.hi, 'error',
           case when p.raw_delta < 0
                then format('the total register went backwards between the reads of %s and %s (local): %s raw units',
                            to_char((p.read_from) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), to_char((p.read_to) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), p.raw_delta)
                else format('register delta %s kWh (%s raw units x %s Wh, %s) but the intervals sum to %s kWh '
                            'between the reads of %s and %s (local); tolerance %s%%',
                            round((p.raw_delta * v_scale) / 1000.0, 3), p.raw_delta, v_scale, v_how,
                            round((p.wh_sum) / 1000.0, 3), to_char((p.read_from) at time zone v_tz, 'YYYY-MM-DD HH24:MI'),
                            to_char((p.read_to) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), 100 * v_tol) end
    from smf.vee_register_pairs(p_meter, p_from, p_to) p
    where p.raw_delta < 0
       or (v_scale is not null and p.n_rows = p.n_expected and p.n_expected > 0
           and abs(p.raw_delta * v_scale - p.wh_sum)
               > v_tol * greatest(abs(p.raw_delta * v_scale), abs(p.wh_sum), 1));
end
$$;

CREATE FUNCTION smf.vee_rule_reverse_flow(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_tz text := smf.local_timezone();
    v_step interval := smf.vee_step(p_meter);
    v_min numeric := smf.vee_param('reverse_min_wh', p_meter, smf.vee_local_day(p_from));
begin
    if not exists (select 1 from smf.consumer_unit cu
                   left join smf.consumer_unit_class c on c.consumer_unit_id = cu.id
                   where p_meter in (cu.main_meter_id, cu.backup_meter_id)
                     and not coalesce(c.has_generation, false)) then
        return;
    end if;
    -- the daily rollups tell cheaply whether any interval can reach the threshold
    if coalesce((select max(d.active_rev_wh) from smf.rollup_day d where d.meter_id = p_meter
                 and d.bucket between smf.vee_local_day(p_from) and smf.vee_local_day(p_to)), 0) < v_min then
        return;
    end if;
    return query
    select 'reverse_flow', min(z.ts), max(z.ts) + v_step, 'warning',
           format('%s interval(s) with reverse active energy (%s kWh in all), %s to %s (local), '
                  'on a UC without generation', count(*), round((sum(z.wh)) / 1000.0, 3),
                  to_char((min(z.ts)) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), to_char((max(z.ts) + v_step) at time zone v_tz, 'YYYY-MM-DD HH24:MI'))
    from (select r.ts, r.active_rev_wh as wh,
                 r.ts - (row_number() over (order by r.ts)) * v_step as island
          from smf.interval_reading r
          where r.meter_id = p_meter and r.ts >= p_from and r.ts < p_to
            and r.quality <> 'missing' and r.active_rev_wh >= v_min) z
    group by z.island;
end
$$;

CREATE FUNCTION smf.vee_rule_spike(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_step interval := smf.vee_step(p_meter);
    v_day date := smf.vee_local_day(p_from);
    v_k numeric := smf.vee_param('spike_factor', p_meter, v_day);
    v_floor numeric := smf.vee_param('spike_floor_wh', p_meter, v_day);
    v_max_wh numeric;
    v_tz text := smf.local_timezone();
begin
    select m.max_power_kw * m.interval_minutes / 60.0 * 1000 into v_max_wh
    from smf.meter m where m.id = p_meter;
    return query
    with x as (
        select r.ts, r.active_fwd_wh as wh,
               nth_value(r.active_fwd_wh, 3) over (partition by (r.ts at time zone v_tz)::date
                   order by r.active_fwd_wh desc rows between unbounded preceding and unbounded following)
                   as third
        from smf.interval_reading r
        where r.meter_id = p_meter and r.ts >= smf.vee_day_start(smf.vee_local_day(p_from))
          and r.ts < p_to and r.quality <> 'missing' and r.active_fwd_wh is not null
    )
    select 'spike', x.ts, x.ts + v_step, 'error',
           case when x.wh > v_max_wh
                then format('%s kWh at %s (local) is above the physical maximum %s kWh of the interval',
                            round((x.wh) / 1000.0, 3), to_char((x.ts) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), round((v_max_wh) / 1000.0, 3))
                else format('%s kWh at %s (local) is %s x the day''s third-highest value %s kWh (limit %s x)',
                            round((x.wh) / 1000.0, 3), to_char((x.ts) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), round(x.wh / x.third::numeric, 1),
                            round((x.third) / 1000.0, 3), v_k) end
    from x
    where x.ts >= p_from
      and (x.wh > v_max_wh or (x.third >= v_floor and x.wh > v_k * x.third));
end
$$;

CREATE FUNCTION smf.vee_rule_voltage(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_tz text := smf.local_timezone();
    v_step interval := smf.vee_step(p_meter);
    v_day date := smf.vee_local_day(p_from);
    v_nom numeric;
    v_how text;
    v_low numeric;
    v_high numeric;
    v_loss numeric;
begin
    if not exists (select 1 from smf.meter m where m.id = p_meter
                   and m.channel_map && array['voltage_a_v', 'voltage_b_v', 'voltage_c_v']) then
        return;
    end if;
    select n.nominal_v, n.how into v_nom, v_how from smf.vee_nominal_voltage(p_meter, p_from, p_to) n;
    if v_nom is null then
        return;
    end if;
    v_low := v_nom * 1000 * smf.vee_param('voltage_low', p_meter, v_day);
    v_high := v_nom * 1000 * smf.vee_param('voltage_high', p_meter, v_day);
    v_loss := v_nom * 1000 * smf.vee_param('phase_loss_pu', p_meter, v_day);
    -- the daily min/max per phase tell cheaply whether any interval leaves the band
    if not exists (select 1 from smf.rollup_day d where d.meter_id = p_meter
                   and d.bucket between smf.vee_local_day(p_from) and smf.vee_local_day(p_to)
                   and (least(d.voltage_a_mv_min, d.voltage_b_mv_min, d.voltage_c_mv_min) < v_low
                        or greatest(d.voltage_a_mv_max, d.voltage_b_mv_max, d.voltage_c_mv_max) > v_high)) then
        return;
    end if;
    return query
    with x as (  -- only intervals with a phase outside the band are unpivoted
        select r.ts, r.voltage_a_mv as va, r.voltage_b_mv as vb, r.voltage_c_mv as vc,
               coalesce(r.voltage_a_mv between v_low and v_high, false)
               or coalesce(r.voltage_b_mv between v_low and v_high, false)
               or coalesce(r.voltage_c_mv between v_low and v_high, false) as any_normal
        from smf.interval_reading r
        where r.meter_id = p_meter and r.ts >= p_from and r.ts < p_to and r.quality <> 'missing'
          and not (coalesce(r.voltage_a_mv between v_low and v_high, true)
                   and coalesce(r.voltage_b_mv between v_low and v_high, true)
                   and coalesce(r.voltage_c_mv between v_low and v_high, true))
    ), flagged as (
        select x.ts, p.phase, p.v,
               case when p.v < v_loss then case when x.any_normal then 'phase_loss' end
                    when p.v < v_low or p.v > v_high then 'voltage_band' end as kind
        from x, lateral (values ('A', x.va), ('B', x.vb), ('C', x.vc)) p(phase, v)
        where p.v is not null
    )
    select f.kind, min(f.ts), max(f.ts) + v_step,
           case when f.kind = 'phase_loss' then 'error' else 'warning' end,
           case when f.kind = 'phase_loss'
                then format('phase %s near zero (min %s V, below %s V) while another phase is normal, '
                            '%s interval(s) %s to %s (local); nominal %s V (%s)', f.phase,
                            round((min(f.v)) / 1000.0, 3), round(v_loss / 1000.0, 1), count(*),
                            to_char((min(f.ts)) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), to_char((max(f.ts) + v_step) at time zone v_tz, 'YYYY-MM-DD HH24:MI'),
                            v_nom, v_how)
                else format('phase %s outside %s-%s V (min %s V, max %s V), %s interval(s) %s to %s '
                            '(local); nominal %s V (%s)', f.phase, round(v_low / 1000.0, 1),
                            round(v_high / 1000.0, 1), round((min(f.v)) / 1000.0, 3), round((max(f.v)) / 1000.0, 3), count(*),
                            to_char((min(f.ts)) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), to_char((max(f.ts) + v_step) at time zone v_tz, 'YYYY-MM-DD HH24:MI'),
                            v_nom, v_how) end
    from (select flagged.*, flagged.ts - (row_number() over (partition by flagged.phase, flagged.kind
                                                              order by flagged.ts)) * v_step as island
          from flagged where flagged.kind is not null) f
    group by f.kind, f.phase, f.island;
end
$$;

CREATE FUNCTION smf.vee_rule_zero_run(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_tz text := smf.local_timezone();
    v_step interval := smf.vee_step(p_meter);
    v_day date := smf.vee_local_day(p_from);
    v_min numeric := smf.vee_param('zero_run_intervals', p_meter, v_day);
    v_share numeric := smf.vee_param('zero_normal_share', p_meter, v_day);
begin
    return query
    with x as (
        select r.ts, r.active_fwd_wh = 0 as zero
        from smf.interval_reading r
        where r.meter_id = p_meter and r.ts >= least(p_from, p_to - interval '7 days') and r.ts < p_to
          and r.quality <> 'missing' and r.active_fwd_wh is not null
    ), runs as (
        select min(z.ts) as lo, max(z.ts) + v_step as hi, count(*) as n
        from (select x.ts, x.ts - (row_number() over (order by x.ts)) * v_step as island
              from x where x.zero) z
        group by z.island having count(*) >= v_min
    ), normal as (
        select count(*) filter (where not x.zero)::numeric
               / nullif(count(*) - (select coalesce(sum(n), 0) from runs), 0) as share
        from x
    )
    select 'zero_run', runs.lo, runs.hi, 'warning',
           format('%s consecutive interval(s) with zero active energy, %s to %s (local); %s%% of the '
                  'other intervals consume', runs.n, to_char((runs.lo) at time zone v_tz, 'YYYY-MM-DD HH24:MI'),
                  to_char((runs.hi) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), round(100 * normal.share, 1))
    from runs, normal
    where runs.hi > p_from and runs.lo < p_to and normal.share >= v_share;
end
$$;

CREATE FUNCTION smf.vee_scope_meters(p_kind text, p_ref text) RETURNS SETOF integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    if p_kind = 'meter' then
        return query select m.id from smf.meter m where m.serial = p_ref;
    elsif p_kind = 'uc' then
        return query select unnest(array[cu.main_meter_id, cu.backup_meter_id]) from smf.consumer_unit cu
                     where cu.uc_code = p_ref;
    elsif p_kind = 'distributor' then
        return query select unnest(array[cu.main_meter_id, cu.backup_meter_id])
                     from smf.consumer_unit cu join smf.distributor d on d.id = cu.distributor_id
                     where d.aneel_code = p_ref;
    else
        raise exception using errcode = 'SMF02',
            message = format('scope %L is not meter, uc or distributor', p_kind);
    end if;
    if not found then
        raise exception using errcode = 'SMF04', message = format('no %s %L', p_kind, p_ref);
    end if;
end
$$;

CREATE FUNCTION smf.vee_step(p_meter integer) RETURNS interval
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v interval;
begin
    select make_interval(mins => interval_minutes) into v from smf.meter where id = p_meter;
    if not found then
        raise exception using errcode = 'SMF04', message = format('no meter with id %s', p_meter);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.vee_uc_bill_total(p_uc integer, p_month date) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v numeric;
begin
    select b.amount into v from smf.billing_summary_of(p_uc, p_month) b where b.item = 'total';
    return v;
exception when sqlstate 'SMF02' or sqlstate 'SMF04' or division_by_zero or null_value_not_allowed then
    return null;
end
$$;

CREATE FUNCTION smf.vee_validate(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_upto_last boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v_seen timestamptz := clock_timestamp();
    v_found int;
    v_new int;
    v_resolved int;
begin
    perform smf.vee_step(p_meter);  -- SMF04 for an unknown meter
    if p_to <= p_from then
        raise exception using errcode = 'SMF02',
            message = format('validation range [%s, %s) is empty', p_from, p_to);
    end if;
    with f as materialized (
        select * from smf.vee_rule_missing(p_meter, p_from, p_to, p_upto_last)
        union all select * from smf.vee_rule_zero_run(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_spike(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_demand(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_reverse_flow(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_voltage(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_clock(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_register(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_backup(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_meter_status(p_meter, p_from, p_to)
    ), up as (  -- new findings, and changed or self-resolved ones (unchanged rows are not rewritten)
        insert into smf.vee_finding as v (meter_id, rule, ts_from, ts_to, severity, detail,
                                          first_seen_at, last_seen_at)
        select p_meter, f.rule, f.ts_from, f.ts_to, f.severity, f.detail, v_seen, v_seen from f
        on conflict (meter_id, rule, ts_from, ts_to) do update set
            last_seen_at = excluded.last_seen_at, detail = excluded.detail, severity = excluded.severity,
            status = case when v.status = 'resolved' and v.resolved_by = 'validation: no longer found'
                          then 'open' else v.status end,
            resolved_by = case when v.status = 'resolved' and v.resolved_by = 'validation: no longer found'
                               then null else v.resolved_by end,
            resolved_at = case when v.status = 'resolved' and v.resolved_by = 'validation: no longer found'
                               then null else v.resolved_at end
        where (v.detail, v.severity) is distinct from (excluded.detail, excluded.severity)
           or (v.status = 'resolved' and v.resolved_by = 'validation: no longer found')
        returning (xmax = 0) as is_new
    ), gone as (  -- open findings of this meter inside the range that no rule reports any more
        update smf.vee_finding v set status = 'resolved', resolved_by = 'validation: no longer found',
            resolved_at = now()
        where v.meter_id = p_meter and v.status = 'open' and v.ts_from >= p_from and v.ts_from < p_to
          and v.rule = any (smf.vee_rule_names())
          and not exists (select 1 from f where f.rule = v.rule and f.ts_from = v.ts_from and f.ts_to = v.ts_to)
        returning 1
    )
    select (select count(*) from f), (select count(*) filter (where is_new) from up), (select count(*) from gone)
    into v_found, v_new, v_resolved;
    return jsonb_build_object('found', v_found, 'new', v_new, 'resolved', v_resolved);
end
$$;

CREATE FUNCTION smf.vee_validate_batch(p_batch integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp', 'pg_catalog'
    AS $$
declare
    v record;
    v_n int := 0;
begin
    if coalesce((select value from smf.setting where key = 'vee_validate_on_ingest'), 'on') <> 'on'
       or to_regclass('pg_temp.ingest_touched') is null then
        return 0;
    end if;
    for v in select t.meter_id, smf.vee_day_start(smf.vee_local_day(t.lo)) as lo,
                    smf.vee_day_start(smf.vee_local_day(t.hi) + 1) as hi
             from ingest_touched t order by t.meter_id loop
        perform smf.vee_validate(v.meter_id, v.lo, v.hi, true);
        v_n := v_n + 1;
    end loop;
    return v_n;
end
$$;

CREATE FUNCTION smf.vee_validate_scope(p_kind text, p_ref text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(meter_id integer, serial text, result jsonb)
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select m.id, m.serial, smf.vee_validate(m.id, p_from, p_to)
    from smf.meter m
    where m.id in (select s from smf.vee_scope_meters(p_kind, p_ref) s where s is not null)
    order by m.serial
$$;

CREATE FUNCTION smf.virtual_define(p_name text, p_formula text, p_tree jsonb, p_from date, p_to date DEFAULT NULL::date, p_channel text DEFAULT 'active_fwd'::text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_expanded jsonb;
    v_minutes int[];
    v_id int;
begin
    if exists (select 1 from smf.meter where serial = p_name) then
        raise exception using errcode = 'SMF02',
            message = format('%s is the serial of a physical meter; choose another name', p_name);
    end if;
    v_expanded := smf.virtual_expand(p_tree, p_from, array[p_name]);
    select array_agg(distinct i.minutes) into v_minutes from smf.virtual_inputs(v_expanded) i;
    if v_minutes is null then
        raise exception using errcode = 'SMF02', message = format('formula %L names no meter', p_formula);
    end if;
    if cardinality(v_minutes) > 1 then
        raise exception using errcode = 'SMF02',
            message = format('the meters of %s have different interval lengths (%s minutes): %s',
                             p_name, array_to_string(v_minutes, ', '),
                             (select string_agg(format('%s %s min', m.serial, m.interval_minutes), ', ')
                              from smf.meter m where m.id in (select i.meter_id from smf.virtual_inputs(v_expanded) i)));
    end if;
    insert into smf.virtual_meter (name, channel, formula, tree, interval_minutes, valid_during)
    values (p_name, p_channel, p_formula, p_tree, v_minutes[1], daterange(p_from, p_to))
    returning id into v_id;
    return v_id;
end
$$;

CREATE FUNCTION smf.virtual_expand(p_tree jsonb, p_day date, p_path text[] DEFAULT '{}'::text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_meter record;
    v_virtual record;
begin
    if p_tree ? 'num' then
        return jsonb_build_object('num', (p_tree ->> 'num')::numeric);
    elsif p_tree ? 'op' then
        if p_tree ->> 'op' not in ('+', '-', '*', '/', 'neg') then
            raise exception using errcode = 'SMF02', message = format('unknown operator %s', p_tree -> 'op');
        end if;
        return jsonb_build_object('op', p_tree ->> 'op', 'args',
            (select jsonb_agg(smf.virtual_expand(a, p_day, p_path) order by o)
             from jsonb_array_elements(p_tree -> 'args') with ordinality x(a, o)));
    elsif p_tree ? 'meter' then
        if (p_tree ->> 'meter') = any (p_path) then
            raise exception using errcode = 'SMF02',
                message = format('circular definition: %s -> %s', array_to_string(p_path, ' -> '), p_tree ->> 'meter');
        end if;
        select id, interval_minutes into v_meter from smf.meter where serial = p_tree ->> 'meter';
        if found then
            if smf.vee_channel_column(p_tree ->> 'channel') <> all (smf.energy_columns()) then
                raise exception using errcode = 'SMF02',
                    message = format('channel %s of meter %s is not an energy channel', p_tree ->> 'channel',
                                     p_tree ->> 'meter');
            end if;
            return jsonb_build_object('meter_id', v_meter.id, 'minutes', v_meter.interval_minutes,
                                      'column', smf.vee_channel_column(p_tree ->> 'channel'));
        end if;
        select * into v_virtual from smf.virtual_meter
        where name = p_tree ->> 'meter' and valid_during @> p_day;
        if not found then
            raise exception using errcode = 'SMF04',
                message = format('unknown meter %s in the formula (no meter serial or virtual meter valid on %s)',
                                 p_tree ->> 'meter', p_day);
        end if;
        return smf.virtual_expand(v_virtual.tree, p_day, p_path || (p_tree ->> 'meter'));
    end if;
    raise exception using errcode = 'SMF02', message = format('bad formula node %s', p_tree);
end
$$;

CREATE FUNCTION smf.virtual_inputs(p_expanded jsonb) RETURNS TABLE(k integer, meter_id integer, col text, minutes integer)
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
    select (row_number() over (order by l.meter_id, l.col))::int, l.meter_id, l.col, l.minutes
    from (select distinct (x ->> 'meter_id')::int as meter_id, x ->> 'column' as col, (x ->> 'minutes')::int as minutes
          from jsonb_path_query(p_expanded, 'strict $.**') x
          where jsonb_typeof(x) = 'object' and x ? 'meter_id') l
$_$;

CREATE FUNCTION smf.virtual_rollup(p_name text, p_from timestamp with time zone, p_to timestamp with time zone, p_resolution text DEFAULT 'hour'::text) RETURNS TABLE(bucket_start timestamp with time zone, value_kwh numeric, quality smf.quality, n_intervals integer, n_missing integer)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS $$
declare
    v_tz text := smf.local_timezone();
begin
    if p_resolution not in ('interval', '15min', 'hour', 'day', 'month') then
        raise exception using errcode = 'SMF02',
            message = format('resolution %L is not interval, 15min, hour, day or month', p_resolution);
    end if;
    return query
    select b.bucket, sum(s.value_kwh), max(s.quality), count(*)::int, count(*) filter (where s.value_kwh is null)::int
    from smf.virtual_series(p_name, p_from, p_to) s,
         lateral (select case p_resolution
             when 'interval' then s.ts
             when '15min' then time_bucket('15 minutes', s.ts)
             when 'hour' then date_trunc('hour', s.ts)
             when 'day' then (s.ts at time zone v_tz)::date::timestamp at time zone v_tz
             else date_trunc('month', s.ts at time zone v_tz) at time zone v_tz end as bucket) b
    group by b.bucket order by b.bucket;
end
$$;

CREATE FUNCTION smf.virtual_series(p_name text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, value_kwh numeric, quality smf.quality)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $_$
declare
    v record;
    v_expanded jsonb;
    v_inputs jsonb;
    v_step interval;
    v_lo timestamptz;
    v_hi timestamptz;
    v_joins text;
    v_quality text;
begin
    if not exists (select 1 from smf.virtual_meter where name = p_name) then
        raise exception using errcode = 'SMF04', message = format('no virtual meter %L', p_name);
    end if;
    for v in select * from smf.virtual_meter
             where name = p_name and valid_during && daterange(smf.vee_local_day(p_from), smf.vee_local_day(p_to) + 1)
             order by lower(valid_during) loop
        v_step := make_interval(mins => v.interval_minutes);
        v_lo := smf.vee_grid_up(greatest(p_from, smf.vee_day_start(lower(v.valid_during))), v_step);
        v_hi := least(p_to, coalesce(smf.vee_day_start(upper(v.valid_during)), p_to));
        continue when v_hi <= v_lo;
        v_expanded := smf.virtual_expand(v.tree, lower(v.valid_during), array[p_name]);
        select jsonb_agg(to_jsonb(i)) into v_inputs from smf.virtual_inputs(v_expanded) i;
        select string_agg(format('left join smf.interval_reading r%1$s on r%1$s.meter_id = %2$s and r%1$s.ts = g.ts '
                                 'and r%1$s.ts >= %3$L and r%1$s.ts < %4$L', i.k, i.meter_id, v_lo, v_hi), ' '),
               format('greatest(%s)', string_agg(format('coalesce(r%s.quality, ''missing'')', i.k), ', '))
        into v_joins, v_quality
        from smf.virtual_inputs(v_expanded) i;
        return query execute format(
            'select g.ts, x.v, case when x.v is null then ''missing''::smf.quality else x.q end '
            'from generate_series(%L::timestamptz, %L::timestamptz - %L::interval, %L::interval) g(ts) %s, '
            'lateral (select round(%s, 6) as v, %s as q) x order by g.ts',
            v_lo, v_hi, v_step, v_step, v_joins, smf.virtual_sql(v_expanded, v_inputs), v_quality);
    end loop;
end
$_$;

CREATE FUNCTION smf.virtual_sql(p_expanded jsonb, p_inputs jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
declare
    v_args text[];
begin
    if p_expanded ? 'num' then
        return format('(%s::numeric)', (p_expanded ->> 'num')::numeric);
    elsif p_expanded ? 'meter_id' then
        return format('(case when r%1$s.quality <> ''missing'' then r%1$s.%2$I / 1000.0 end)',
            (select (i ->> 'k')::int from jsonb_array_elements(p_inputs) i
             where (i ->> 'meter_id')::int = (p_expanded ->> 'meter_id')::int and i ->> 'col' = p_expanded ->> 'column'),
            p_expanded ->> 'column');
    end if;
    select array_agg(smf.virtual_sql(a, p_inputs) order by o) into v_args
    from jsonb_array_elements(p_expanded -> 'args') with ordinality x(a, o);
    return case p_expanded ->> 'op'
        when 'neg' then format('(- %s)', v_args[1])
        when '/' then format('(%s / nullif(%s, 0))', v_args[1], v_args[2])
        else format('(%s %s %s)', v_args[1], p_expanded ->> 'op', v_args[2]) end;
end
$_$;

CREATE TABLE smf.account (
    id integer NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    db_role text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    disabled_at timestamp with time zone,
    CONSTRAINT account_db_role_check CHECK ((db_role ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT account_name_check CHECK ((name ~ '^[a-z0-9][a-z0-9_.@-]{0,62}$'::text)),
    CONSTRAINT account_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'analyst'::text, 'client'::text, 'service'::text])))
);

COMMENT ON TABLE smf.account IS 'Who calls the API (API keys) or reads with a scoped database role (db_role).';

ALTER TABLE smf.account ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.account_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.account_scope (
    account_id integer NOT NULL,
    distributor_id integer,
    group_id integer,
    uc_id integer,
    CONSTRAINT account_scope_check CHECK ((num_nonnulls(distributor_id, group_id, uc_id) = 1))
);

COMMENT ON TABLE smf.account_scope IS 'One distributor, UC group or UC an account may see (analyst, client).';

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
    mm_layout text DEFAULT 'undetermined'::text NOT NULL,
    register_unit text DEFAULT 'undetermined'::text NOT NULL,
    retired_at timestamp with time zone,
    CONSTRAINT meter_channel_map_check CHECK (((cardinality(channel_map) >= 1) AND (cardinality(channel_map) <= 12))),
    CONSTRAINT meter_channel_map_check1 CHECK ((channel_map <@ ARRAY['active_fwd_kwh'::text, 'active_rev_kwh'::text, 'reactive_ind_fwd_kvarh'::text, 'reactive_ind_rev_kvarh'::text, 'reactive_cap_fwd_kvarh'::text, 'reactive_cap_rev_kvarh'::text, 'voltage_a_v'::text, 'voltage_b_v'::text, 'voltage_c_v'::text, 'current_a_a'::text, 'current_b_a'::text, 'current_c_a'::text])),
    CONSTRAINT meter_check CHECK (((channel_constants IS NULL) OR (cardinality(channel_constants) = cardinality(channel_map)))),
    CONSTRAINT meter_interval_minutes_check CHECK ((interval_minutes = ANY (ARRAY[5, 15]))),
    CONSTRAINT meter_max_current_a_check CHECK ((max_current_a > (0)::numeric)),
    CONSTRAINT meter_max_power_kw_check CHECK ((max_power_kw > (0)::numeric)),
    CONSTRAINT meter_max_voltage_v_check CHECK ((max_voltage_v > (0)::numeric)),
    CONSTRAINT meter_mm_layout_check CHECK ((mm_layout = ANY (ARRAY['undetermined'::text, 'hi-first/bin'::text, 'hi-first/bcd'::text, 'lo-first/bin'::text, 'lo-first/bcd'::text]))),
    CONSTRAINT meter_poll_schedule_check CHECK ((poll_schedule = ANY (ARRAY['15min'::text, 'hourly'::text, 'daily'::text, 'never'::text]))),
    CONSTRAINT meter_protocol_check CHECK ((protocol = ANY (ARRAY['nbr14522'::text, 'nbr14522_wrapper'::text, 'nbr14522_addressed'::text, 'import_only'::text]))),
    CONSTRAINT meter_register_unit_check CHECK ((register_unit = ANY (ARRAY['undetermined'::text, 'pulses'::text, 'kwh_x1'::text, 'kwh_x10'::text, 'kwh_x100'::text, 'kwh_x1000'::text, 'kwh_x10000'::text]))),
    CONSTRAINT meter_serial_check CHECK ((serial ~ '^[0-9A-Za-z-]{1,20}$'::text)),
    CONSTRAINT meter_utc_offset_minutes_check CHECK (((utc_offset_minutes >= '-720'::integer) AND (utc_offset_minutes <= 840)))
);

COMMENT ON COLUMN smf.meter.channel_map IS 'Quantity carried by each meter channel, in channel order (1-based); 3 entries for legacy meters, up to 12.';

COMMENT ON COLUMN smf.meter.channel_constants IS 'Multiplication constant of each channel: engineering units per pulse (kWh, kvarh, V, A).';

COMMENT ON COLUMN smf.meter.utc_offset_minutes IS 'Offset of the meter clock from UTC, in minutes (Brazil: -180); the DST flag of the protocol adds 60.';

COMMENT ON COLUMN smf.meter.max_power_kw IS 'Physical maximum of energy channels, as power: a value above max_power_kw x interval is quarantined.';

COMMENT ON COLUMN smf.meter.mm_layout IS 'Mass-memory word layout: which nibble of the shared middle octet belongs to the first word (hi-first / lo-first) and binary or BCD words; undetermined until the meter''s data decide (poller/detect.py).';

COMMENT ON COLUMN smf.meter.register_unit IS 'Unit of the 0x23/0x24 energy registers: pulses or kWh (kvarh) x N; undetermined until the meter''s data decide.';

COMMENT ON COLUMN smf.meter.retired_at IS 'When the meter was retired (it is then disabled; a meter with readings is never deleted).';

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
    CONSTRAINT poll_attempt_outcome_check CHECK ((outcome = ANY (ARRAY['ok'::text, 'link_error'::text, 'meter_busy'::text, 'meter_refused'::text, 'wrong_meter'::text, 'not_implemented'::text, 'store_failed'::text, 'busy_elsewhere'::text, 'interval_mismatch'::text]))),
    CONSTRAINT poll_attempt_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'on_demand'::text, 'retry'::text])))
);

COMMENT ON TABLE smf.poll_attempt IS 'Connectivity log: one row per session with a meter (its outcome, error class and message, bytes, duration, clock drift in seconds, intervals read and newly stored).';

CREATE VIEW smf.alarm_coverage WITH (security_invoker='on') AS
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
    retired_at timestamp with time zone,
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

CREATE VIEW smf.alarm_sheet WITH (security_invoker='on') AS
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

CREATE TABLE smf.api_key (
    id text NOT NULL,
    account_id integer NOT NULL,
    hash text NOT NULL,
    label text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    last_used_at timestamp with time zone,
    CONSTRAINT api_key_hash_check CHECK ((hash ~~ '$argon2id$%'::text)),
    CONSTRAINT api_key_id_check CHECK ((id ~ '^[a-z0-9]{12}$'::text))
);

COMMENT ON TABLE smf.api_key IS 'API keys: the public id and the argon2id hash of the secret (never the secret).';

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

CREATE TABLE smf.ccee_attempt (
    id bigint NOT NULL,
    consumer_unit_id integer NOT NULL,
    uc_code character(15) NOT NULL,
    day date NOT NULL,
    attempt integer NOT NULL,
    trigger text NOT NULL,
    holder text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone DEFAULT now() NOT NULL,
    payload_hash character(64),
    http_status smallint,
    response_body text,
    outcome text NOT NULL,
    reasons jsonb,
    warning text,
    late boolean DEFAULT false NOT NULL,
    CONSTRAINT ccee_attempt_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT ccee_attempt_outcome_check CHECK ((outcome = ANY (ARRAY['accepted'::text, 'rejected'::text, 'failed'::text, 'held'::text]))),
    CONSTRAINT ccee_attempt_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'retry'::text, 'manual'::text, 'late'::text, 'release'::text])))
);

COMMENT ON TABLE smf.ccee_attempt IS 'Ledger of CCEE submissions: one row per attempt (held ones included), with the payload hash (body in ccee_payload), HTTP status, CCEE''s response body, outcome and who or what triggered it.';

ALTER TABLE smf.ccee_attempt ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ccee_attempt_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE VIEW smf.ccee_board_recent WITH (security_invoker='on') AS
 SELECT b.month,
    b.distributor,
    b.agent_code,
    b.uc_code,
    b.customer,
    b.days_due,
    b.complete,
    b.held,
    b.held_reasons,
    b.sent,
    b.accepted,
    b.rejected,
    b.failed,
    b.missing,
    b.deadline,
    b.business_days_left,
    b.at_risk
   FROM (generate_series((date_trunc('month'::text, (now() - '03:00:00'::interval)) - '1 mon'::interval), date_trunc('month'::text, (now() - '03:00:00'::interval)), '1 mon'::interval) mm(mm)
     CROSS JOIN LATERAL smf.ccee_board((mm.mm)::date) b(month, distributor, agent_code, uc_code, customer, days_due, complete, held, held_reasons, sent, accepted, rejected, failed, missing, deadline, business_days_left, at_risk));

COMMENT ON VIEW smf.ccee_board_recent IS 'CCEE deadline board of the current and previous month: per UC, days complete/held/sent/accepted/rejected/missing, MS+7du and business days left.';

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

CREATE TABLE smf.ccee_payload (
    hash character(64) NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY smf.ccee_payload ALTER COLUMN body SET COMPRESSION lz4;

COMMENT ON TABLE smf.ccee_payload IS 'Every distinct payload sent to CCEE, byte for byte (UTF-8 JSON), keyed by its SHA-256 (hex).';

CREATE TABLE smf.ccee_release (
    id bigint NOT NULL,
    consumer_unit_id integer NOT NULL,
    day date NOT NULL,
    hold_reason text NOT NULL,
    released_by text NOT NULL,
    reason text NOT NULL,
    released_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ccee_release_hold_reason_check CHECK ((hold_reason = 'musd_exceeded'::text)),
    CONSTRAINT ccee_release_reason_check CHECK ((length(reason) >= 3)),
    CONSTRAINT ccee_release_released_by_check CHECK ((released_by <> ''::text))
);

COMMENT ON TABLE smf.ccee_release IS 'A held UC-day released for sending by an analyst: who, why and when.';

ALTER TABLE smf.ccee_release ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ccee_release_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.ccee_retail_uc (
    consumer_unit_id integer NOT NULL,
    valid_during daterange NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ccee_retail_uc_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.ccee_retail_uc IS 'UCs in the simplified retail model (their 5-minute consumption goes to CCEE daily), per validity period of local days.';

CREATE TABLE smf.ccee_uc_day (
    consumer_unit_id integer NOT NULL,
    day date NOT NULL,
    state text DEFAULT 'due'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_try_at timestamp with time zone DEFAULT now() NOT NULL,
    claimed_by text,
    claim_expires timestamp with time zone,
    trigger text,
    last_hash character(64),
    accepted_hash character(64),
    accepted_at timestamp with time zone,
    fingerprint text,
    hold_reasons jsonb,
    late boolean DEFAULT false NOT NULL,
    verdict_consistida integer,
    verdict_rejeitada integer,
    verdict_at timestamp with time zone,
    verdict_detail jsonb,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ccee_uc_day_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT ccee_uc_day_check CHECK (((state = 'claimed'::text) = ((claimed_by IS NOT NULL) AND (claim_expires IS NOT NULL)))),
    CONSTRAINT ccee_uc_day_state_check CHECK ((state = ANY (ARRAY['due'::text, 'claimed'::text, 'accepted'::text, 'rejected'::text, 'failed'::text, 'held'::text, 'late'::text])))
);

COMMENT ON TABLE smf.ccee_uc_day IS 'The state of each UC-day towards CCEE (local day D at -03:00): the due-work queue claimed with FOR UPDATE SKIP LOCKED, the last accepted payload hash, holds and CCEE''s read-back verdict.';

CREATE TABLE smf.consumer_unit_class (
    consumer_unit_id integer NOT NULL,
    market text DEFAULT 'free'::text NOT NULL,
    has_generation boolean DEFAULT false NOT NULL,
    CONSTRAINT consumer_unit_class_market_check CHECK ((market = ANY (ARRAY['free'::text, 'captive'::text])))
);

COMMENT ON TABLE smf.consumer_unit_class IS 'Market (free or captive) and generation of a UC; a UC without a row is free and does not generate.';

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
    retired_at timestamp with time zone,
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

CREATE VIEW smf.fleet_poll_health WITH (security_invoker='on') AS
 SELECT m.id AS meter_id,
    m.serial,
    (u.uc_code)::text AS uc_code,
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
     LEFT JOIN smf.consumer_unit u ON ((u.main_meter_id = m.id)))
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

CREATE VIEW smf.hour_label WITH (security_invoker='on') AS
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

CREATE VIEW smf.interval_label WITH (security_invoker='on') AS
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

CREATE TABLE smf.job_run (
    id bigint NOT NULL,
    job text NOT NULL,
    holder text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    outcome text DEFAULT 'running'::text NOT NULL,
    counts jsonb DEFAULT '{}'::jsonb NOT NULL,
    error text,
    CONSTRAINT job_run_outcome_check CHECK ((outcome = ANY (ARRAY['running'::text, 'ok'::text, 'error'::text])))
);

COMMENT ON TABLE smf.job_run IS 'Every run of a scheduled job: start, end, outcome, counts and error.';

ALTER TABLE smf.job_run ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.job_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.login_failure (
    source text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);

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

CREATE VIEW smf.meter_15min WITH (security_invoker='on') AS
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

CREATE VIEW smf.meter_connectivity_daily WITH (security_invoker='on') AS
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

CREATE VIEW smf.meter_daily WITH (security_invoker='on') AS
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
    CONSTRAINT meter_event_kind_check CHECK ((kind = ANY (ARRAY['clock_corrected'::text, 'clock_drift_large'::text, 'serial_changed'::text, 'plausibility_contradiction'::text, 'gap'::text, 'mm_layout_decided'::text, 'register_unit_decided'::text, 'interval_mismatch'::text, 'redecoded'::text])))
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

CREATE VIEW smf.meter_hourly WITH (security_invoker='on') AS
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

CREATE VIEW smf.meter_monthly WITH (security_invoker='on') AS
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

CREATE TABLE smf.raw_read (
    meter_id integer NOT NULL,
    read_at timestamp with time zone NOT NULL,
    layout text NOT NULL,
    n_blocks integer NOT NULL,
    blocks bytea NOT NULL,
    CONSTRAINT raw_read_n_blocks_check CHECK ((n_blocks >= 0))
);

COMMENT ON TABLE smf.raw_read IS 'Raw response bodies of each successful read (read_at = the session start, as in poll_attempt): zlib-compressed concatenation of 256-octet bodies in arrival order, and the mass-memory layout they were decoded with.';

CREATE TABLE smf.read_request (
    id bigint NOT NULL,
    meter_id integer NOT NULL,
    kind text DEFAULT 'intervals'::text NOT NULL,
    requested_by integer,
    requested_at timestamp with time zone DEFAULT now() NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    claimed_by text,
    claimed_at timestamp with time zone,
    finished_at timestamp with time zone,
    result jsonb,
    error text,
    CONSTRAINT read_request_kind_check CHECK ((kind = ANY (ARRAY['intervals'::text, 'registers'::text, 'instantaneous'::text, 'full'::text]))),
    CONSTRAINT read_request_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'running'::text, 'done'::text, 'failed'::text])))
);

COMMENT ON TABLE smf.read_request IS 'On-demand reads asked through the API; the poller claims them (NOTIFY smf_read_request).';

ALTER TABLE smf.read_request ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.read_request_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.reading_disagreement (
    id bigint NOT NULL,
    batch_id integer NOT NULL,
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    channel text NOT NULL,
    stored_value bigint NOT NULL,
    stored_source smf.reading_source NOT NULL,
    stored_batch_id integer NOT NULL,
    incoming_value bigint NOT NULL,
    incoming_source smf.reading_source NOT NULL,
    kept text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reading_disagreement_kept_check CHECK ((kept = ANY (ARRAY['stored'::text, 'incoming'::text])))
);

COMMENT ON TABLE smf.reading_disagreement IS 'Measured values of one interval and channel that two sources gave differently (stored integer units: Wh, varh, mV, mA), and which one was kept.';

ALTER TABLE smf.reading_disagreement ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.reading_disagreement_id_seq
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

CREATE TABLE smf.source_precedence (
    source smf.reading_source NOT NULL,
    rank integer NOT NULL,
    description text NOT NULL
);

COMMENT ON TABLE smf.source_precedence IS 'Rank of each reading source: an incoming row replaces a stored one of lower or equal rank (equal: the later row wins), never one of higher rank.';

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

CREATE TABLE smf.uc_code_change (
    consumer_unit_id integer NOT NULL,
    old_code character(15) NOT NULL,
    new_code character(15) NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    reason text NOT NULL
);

COMMENT ON TABLE smf.uc_code_change IS 'UC codes re-computed when the check-digit algorithm was corrected (REN 1.095/2024 Annex II).';

CREATE VIEW smf.uc_directory WITH (security_invoker='on') AS
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

CREATE TABLE smf.uc_group (
    id integer NOT NULL,
    name text NOT NULL,
    CONSTRAINT uc_group_name_check CHECK ((name <> ''::text))
);

ALTER TABLE smf.uc_group ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.uc_group_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.uc_group_member (
    group_id integer NOT NULL,
    uc_id integer NOT NULL
);

CREATE TABLE smf.vee_estimation_run (
    id integer NOT NULL,
    meter_id integer NOT NULL,
    ts_from timestamp with time zone NOT NULL,
    ts_to timestamp with time zone NOT NULL,
    parameters jsonb NOT NULL,
    operator text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    batch_id integer,
    filled jsonb DEFAULT '{}'::jsonb NOT NULL,
    left_missing integer DEFAULT 0 NOT NULL
);

COMMENT ON TABLE smf.vee_estimation_run IS 'One estimation of a meter over [ts_from, ts_to): parameters used, who ran it, the ingest batch that wrote its values, intervals filled per method and left missing.';

ALTER TABLE smf.vee_estimation_run ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.vee_estimation_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.vee_finding (
    id bigint NOT NULL,
    meter_id integer NOT NULL,
    rule text NOT NULL,
    ts_from timestamp with time zone NOT NULL,
    ts_to timestamp with time zone NOT NULL,
    severity text NOT NULL,
    detail text NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    resolved_by text,
    resolved_at timestamp with time zone,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT vee_finding_check CHECK ((ts_to >= ts_from)),
    CONSTRAINT vee_finding_check1 CHECK (((status = 'open'::text) = (resolved_at IS NULL))),
    CONSTRAINT vee_finding_severity_check CHECK ((severity = ANY (ARRAY['info'::text, 'warning'::text, 'error'::text]))),
    CONSTRAINT vee_finding_status_check CHECK ((status = ANY (ARRAY['open'::text, 'accepted'::text, 'resolved'::text])))
);

COMMENT ON TABLE smf.vee_finding IS 'What a validation rule found: meter, interval range [ts_from, ts_to) UTC, rule, severity, the values in words, status open/accepted/resolved and who resolved it when. One row per (meter, rule, range).';

ALTER TABLE smf.vee_finding ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.vee_finding_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.vee_manual_edit (
    id integer NOT NULL,
    meter_id integer NOT NULL,
    ts_from timestamp with time zone NOT NULL,
    ts_to timestamp with time zone NOT NULL,
    channel text NOT NULL,
    operation text NOT NULL,
    argument text NOT NULL,
    reason text NOT NULL,
    operator text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    batch_id integer,
    old_values jsonb NOT NULL,
    CONSTRAINT vee_manual_edit_operation_check CHECK ((operation = ANY (ARRAY['set'::text, 'scale'::text, 'copy_from'::text]))),
    CONSTRAINT vee_manual_edit_reason_check CHECK ((btrim(reason) <> ''::text))
);

COMMENT ON TABLE smf.vee_manual_edit IS 'Manual edits: who, when, why, what (set kWh / scale factor / copy from a meter) and the old values [{ts, wh, quality, source}].';

ALTER TABLE smf.vee_manual_edit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.vee_manual_edit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.vee_parameter (
    id integer NOT NULL,
    key text NOT NULL,
    meter_id integer,
    distributor_id integer,
    valid_during daterange DEFAULT '[2000-01-01,)'::daterange NOT NULL,
    value numeric NOT NULL,
    unit text DEFAULT ''::text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    CONSTRAINT vee_parameter_check CHECK (((meter_id IS NULL) OR (distributor_id IS NULL))),
    CONSTRAINT vee_parameter_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.vee_parameter IS 'Thresholds of the VEE rules and estimation: per meter, per distributor, or default (both null), per validity period. The most specific valid row wins.';

ALTER TABLE smf.vee_parameter ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.vee_parameter_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.vee_provenance (
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    run_id integer NOT NULL,
    method text NOT NULL,
    active_fwd_wh bigint,
    inputs jsonb NOT NULL,
    CONSTRAINT vee_provenance_method_check CHECK ((method = ANY (ARRAY['backup_meter'::text, 'register_profile'::text, 'daytype_mean'::text, 'daytype_mean_scaled'::text])))
);

COMMENT ON TABLE smf.vee_provenance IS 'Why an estimated interval has its value: the method and its inputs (backup meter id, days averaged, register delta Wh and scale).';

CREATE TABLE smf.virtual_meter (
    id integer NOT NULL,
    name text NOT NULL,
    channel text DEFAULT 'active_fwd'::text NOT NULL,
    formula text NOT NULL,
    tree jsonb NOT NULL,
    interval_minutes smallint NOT NULL,
    valid_during daterange NOT NULL,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT virtual_meter_name_check CHECK ((name ~ '^[0-9A-Za-z_-]{1,40}$'::text)),
    CONSTRAINT virtual_meter_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.virtual_meter IS 'Virtual meters: a formula over meters'' channels (M(serial).channel, + - * /, constants, parentheses), its parsed tree, and validity (local dates).';

ALTER TABLE smf.virtual_meter ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.virtual_meter_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY smf.account
    ADD CONSTRAINT account_db_role_key UNIQUE (db_role);

ALTER TABLE ONLY smf.account
    ADD CONSTRAINT account_name_key UNIQUE (name);

ALTER TABLE ONLY smf.account
    ADD CONSTRAINT account_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_account_id_distributor_id_group_id_uc_id_key UNIQUE NULLS NOT DISTINCT (account_id, distributor_id, group_id, uc_id);

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

ALTER TABLE ONLY smf.api_key
    ADD CONSTRAINT api_key_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_no_overlap EXCLUDE USING gist (purpose WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_purpose_version_key UNIQUE (purpose, version);

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_pkey PRIMARY KEY (calendar_id, rule_code);

ALTER TABLE ONLY smf.ccee_attempt
    ADD CONSTRAINT ccee_attempt_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.ccee_deadline
    ADD CONSTRAINT ccee_deadline_no_overlap EXCLUDE USING gist (code WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.ccee_payload
    ADD CONSTRAINT ccee_payload_pkey PRIMARY KEY (hash);

ALTER TABLE ONLY smf.ccee_release
    ADD CONSTRAINT ccee_release_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.ccee_retail_uc
    ADD CONSTRAINT ccee_retail_uc_no_overlap EXCLUDE USING gist (consumer_unit_id WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.ccee_uc_day
    ADD CONSTRAINT ccee_uc_day_pkey PRIMARY KEY (consumer_unit_id, day);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_backup_meter_id_key UNIQUE (backup_meter_id);

ALTER TABLE ONLY smf.consumer_unit_class
    ADD CONSTRAINT consumer_unit_class_pkey PRIMARY KEY (consumer_unit_id);

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

ALTER TABLE ONLY smf.job_run
    ADD CONSTRAINT job_run_pkey PRIMARY KEY (id);

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

ALTER TABLE ONLY smf.raw_read
    ADD CONSTRAINT raw_read_pkey PRIMARY KEY (meter_id, read_at);

ALTER TABLE ONLY smf.read_request
    ADD CONSTRAINT read_request_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.reading_disagreement
    ADD CONSTRAINT reading_disagreement_pkey PRIMARY KEY (id);

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

ALTER TABLE ONLY smf.source_precedence
    ADD CONSTRAINT source_precedence_pkey PRIMARY KEY (source);

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_no_overlap EXCLUDE USING gist (distributor_id WITH =, modality WITH =, item WITH =, posto WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.transformer_loss
    ADD CONSTRAINT transformer_loss_consumer_unit_id_valid_during_excl EXCLUDE USING gist (consumer_unit_id WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.uc_group_member
    ADD CONSTRAINT uc_group_member_pkey PRIMARY KEY (group_id, uc_id);

ALTER TABLE ONLY smf.uc_group
    ADD CONSTRAINT uc_group_name_key UNIQUE (name);

ALTER TABLE ONLY smf.uc_group
    ADD CONSTRAINT uc_group_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.vee_estimation_run
    ADD CONSTRAINT vee_estimation_run_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.vee_finding
    ADD CONSTRAINT vee_finding_meter_id_rule_ts_from_ts_to_key UNIQUE (meter_id, rule, ts_from, ts_to);

ALTER TABLE ONLY smf.vee_finding
    ADD CONSTRAINT vee_finding_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.vee_manual_edit
    ADD CONSTRAINT vee_manual_edit_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.vee_parameter
    ADD CONSTRAINT vee_parameter_no_overlap EXCLUDE USING gist (key WITH =, COALESCE(meter_id, 0) WITH =, COALESCE(distributor_id, 0) WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.vee_parameter
    ADD CONSTRAINT vee_parameter_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.vee_provenance
    ADD CONSTRAINT vee_provenance_pkey PRIMARY KEY (meter_id, ts, run_id);

ALTER TABLE ONLY smf.virtual_meter
    ADD CONSTRAINT virtual_meter_no_overlap EXCLUDE USING gist (name WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.virtual_meter
    ADD CONSTRAINT virtual_meter_pkey PRIMARY KEY (id);

CREATE INDEX alarm_active_by_meter ON smf.alarm USING btree (meter_id) WHERE (state = ANY (ARRAY['open'::text, 'acknowledged'::text]));

CREATE INDEX alarm_distributor_id_idx ON smf.alarm USING btree (distributor_id);

CREATE INDEX alarm_notification_pending ON smf.alarm_notification USING btree (next_try_at) WHERE ((delivered_at IS NULL) AND (gave_up_at IS NULL));

CREATE UNIQUE INDEX alarm_one_active ON smf.alarm USING btree (rule_code, meter_id) WHERE (state = ANY (ARRAY['open'::text, 'acknowledged'::text]));

CREATE INDEX alarm_state_opened_at_idx ON smf.alarm USING btree (state, opened_at DESC);

CREATE INDEX alarm_uc_id_idx ON smf.alarm USING btree (uc_id);

CREATE INDEX api_key_account_id_idx ON smf.api_key USING btree (account_id);

CREATE INDEX ccee_attempt_consumer_unit_id_day_idx ON smf.ccee_attempt USING btree (consumer_unit_id, day);

CREATE INDEX ccee_attempt_started_at_idx ON smf.ccee_attempt USING btree (started_at);

CREATE INDEX ccee_release_consumer_unit_id_day_idx ON smf.ccee_release USING btree (consumer_unit_id, day);

CREATE INDEX ccee_uc_day_day_idx ON smf.ccee_uc_day USING btree (day);

CREATE INDEX ccee_uc_day_due ON smf.ccee_uc_day USING btree (next_try_at) WHERE (state = ANY (ARRAY['due'::text, 'failed'::text, 'held'::text, 'claimed'::text]));

CREATE INDEX energy_contract_buyer_uc_id_idx ON smf.energy_contract USING btree (buyer_uc_id);

CREATE INDEX ingest_quarantine_batch_id_idx ON smf.ingest_quarantine USING btree (batch_id);

CREATE INDEX instantaneous_reading_at_idx ON smf.instantaneous_reading USING btree (at DESC);

CREATE INDEX interval_reading_history_meter_id_ts_idx ON smf.interval_reading_history USING btree (meter_id, ts);

CREATE INDEX interval_reading_ts_idx ON smf.interval_reading USING btree (ts DESC);

CREATE INDEX job_run_job_started_at_idx ON smf.job_run USING btree (job, started_at);

CREATE INDEX login_failure_source_at_idx ON smf.login_failure USING btree (source, at);

CREATE INDEX meter_event_meter_id_at_idx ON smf.meter_event USING btree (meter_id, at);

CREATE INDEX meter_monitoring_ends_at_idx ON smf.meter_monitoring USING btree (ends_at);

CREATE INDEX poll_attempt_started_at_idx ON smf.poll_attempt USING btree (started_at DESC);

CREATE INDEX poll_attempt_started_at_idx1 ON smf.poll_attempt USING btree (started_at);

CREATE INDEX raw_read_read_at_idx ON smf.raw_read USING btree (read_at);

CREATE INDEX read_request_meter_id_requested_at_idx ON smf.read_request USING btree (meter_id, requested_at);

CREATE INDEX read_request_requested_at_idx ON smf.read_request USING btree (requested_at) WHERE (status = ANY (ARRAY['queued'::text, 'running'::text]));

CREATE INDEX reading_disagreement_meter_id_ts_idx ON smf.reading_disagreement USING btree (meter_id, ts);

CREATE INDEX register_reading_at_idx ON smf.register_reading USING btree (at DESC);

CREATE INDEX uc_group_member_uc_id_idx ON smf.uc_group_member USING btree (uc_id);

CREATE INDEX vee_finding_meter_id_ts_from_idx ON smf.vee_finding USING btree (meter_id, ts_from);

CREATE INDEX vee_finding_status_idx ON smf.vee_finding USING btree (status) WHERE (status = 'open'::text);

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

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_account_id_fkey FOREIGN KEY (account_id) REFERENCES smf.account(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_group_id_fkey FOREIGN KEY (group_id) REFERENCES smf.uc_group(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_uc_id_fkey FOREIGN KEY (uc_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

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

ALTER TABLE ONLY smf.api_key
    ADD CONSTRAINT api_key_account_id_fkey FOREIGN KEY (account_id) REFERENCES smf.account(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES smf.calendar(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.holiday_rule(code);

ALTER TABLE ONLY smf.ccee_attempt
    ADD CONSTRAINT ccee_attempt_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.ccee_attempt
    ADD CONSTRAINT ccee_attempt_payload_hash_fkey FOREIGN KEY (payload_hash) REFERENCES smf.ccee_payload(hash);

ALTER TABLE ONLY smf.ccee_release
    ADD CONSTRAINT ccee_release_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.ccee_retail_uc
    ADD CONSTRAINT ccee_retail_uc_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.ccee_uc_day
    ADD CONSTRAINT ccee_uc_day_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_backup_meter_id_fkey FOREIGN KEY (backup_meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.consumer_unit_class
    ADD CONSTRAINT consumer_unit_class_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

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

ALTER TABLE ONLY smf.read_request
    ADD CONSTRAINT read_request_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.read_request
    ADD CONSTRAINT read_request_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES smf.account(id) ON DELETE SET NULL;

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.transformer_loss
    ADD CONSTRAINT transformer_loss_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.uc_code_change
    ADD CONSTRAINT uc_code_change_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.uc_group_member
    ADD CONSTRAINT uc_group_member_group_id_fkey FOREIGN KEY (group_id) REFERENCES smf.uc_group(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.uc_group_member
    ADD CONSTRAINT uc_group_member_uc_id_fkey FOREIGN KEY (uc_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.vee_estimation_run
    ADD CONSTRAINT vee_estimation_run_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES smf.ingest_batch(id);

ALTER TABLE ONLY smf.vee_estimation_run
    ADD CONSTRAINT vee_estimation_run_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.vee_finding
    ADD CONSTRAINT vee_finding_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.vee_manual_edit
    ADD CONSTRAINT vee_manual_edit_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES smf.ingest_batch(id);

ALTER TABLE ONLY smf.vee_manual_edit
    ADD CONSTRAINT vee_manual_edit_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.vee_parameter
    ADD CONSTRAINT vee_parameter_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.vee_parameter
    ADD CONSTRAINT vee_parameter_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE smf.alarm ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_delivery ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_group ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_group_member ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_notification ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_threshold ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_attempt ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_payload ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_release ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_retail_uc ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_uc_day ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.consumer_unit ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.consumer_unit_class ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.contract_hour_volume ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.contract_month_volume ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.distributor ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.energy_contract ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ingest_batch ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ingest_quarantine ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.instantaneous_reading ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.interval_reading ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.interval_reading_history ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.job_run ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_alteration ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_event ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_monitoring ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_outage ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_status_report ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.poll_attempt ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.raw_read ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.read_request ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.reading_disagreement ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.register_reading ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.rollup_15min ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.rollup_day ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.rollup_hour ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.rollup_month ENABLE ROW LEVEL SECURITY;

CREATE POLICY scope_delete ON smf.alarm_threshold FOR DELETE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_insert ON smf.alarm_notification FOR INSERT WITH CHECK ((EXISTS ( SELECT 1
   FROM smf.alarm a
  WHERE (a.id = alarm_notification.alarm_id))));

CREATE POLICY scope_insert ON smf.alarm_threshold FOR INSERT WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_insert ON smf.consumer_unit FOR INSERT WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (distributor_id = ANY (( SELECT smf.scope_distributor_ids() AS scope_distributor_ids)::integer[])))));

CREATE POLICY scope_insert ON smf.distributor FOR INSERT WITH CHECK (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_insert ON smf.meter FOR INSERT WITH CHECK (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_insert ON smf.read_request FOR INSERT WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_read ON smf.alarm FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.alarm_delivery FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.alarm_group FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (distributor_id = ANY (( SELECT smf.scope_distributor_ids() AS scope_distributor_ids)::integer[]))));

CREATE POLICY scope_read ON smf.alarm_group_member FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.alarm_notification FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.alarm_threshold FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])) OR ((meter_id IS NULL) AND (group_id IS NULL)) OR (EXISTS ( SELECT 1
   FROM smf.alarm_group_member gm
  WHERE (gm.group_id = alarm_threshold.group_id)))));

CREATE POLICY scope_read ON smf.ccee_attempt FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.ccee_payload FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.ccee_release FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.ccee_retail_uc FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.ccee_uc_day FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.consumer_unit FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[])) OR (distributor_id = ANY (( SELECT smf.scope_distributor_ids() AS scope_distributor_ids)::integer[]))));

CREATE POLICY scope_read ON smf.consumer_unit_class FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.contract_hour_volume FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (EXISTS ( SELECT 1
   FROM smf.energy_contract c
  WHERE (c.id = contract_hour_volume.contract_id)))));

CREATE POLICY scope_read ON smf.contract_month_volume FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (EXISTS ( SELECT 1
   FROM smf.energy_contract c
  WHERE (c.id = contract_month_volume.contract_id)))));

CREATE POLICY scope_read ON smf.distributor FOR SELECT USING (true);

CREATE POLICY scope_read ON smf.energy_contract FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (buyer_uc_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.ingest_batch FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.ingest_quarantine FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.instantaneous_reading FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.interval_reading FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.interval_reading_history FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.job_run FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.meter FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_alteration FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_event FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_monitoring FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_outage FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_status_report FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.poll_attempt FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.raw_read FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.read_request FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.reading_disagreement FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.register_reading FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.rollup_15min FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.rollup_day FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.rollup_hour FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.rollup_month FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.transformer_loss FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.uc_code_change FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_estimation_run FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_finding FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_manual_edit FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_parameter FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_provenance FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.virtual_meter FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_update ON smf.alarm FOR UPDATE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_update ON smf.alarm_threshold FOR UPDATE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_update ON smf.consumer_unit FOR UPDATE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))))) WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))) OR (distributor_id = ANY (( SELECT smf.scope_distributor_ids() AS scope_distributor_ids)::integer[]))));

CREATE POLICY scope_update ON smf.distributor FOR UPDATE USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_update ON smf.meter FOR UPDATE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

ALTER TABLE smf.transformer_loss ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.uc_code_change ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.vee_estimation_run ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.vee_finding ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.vee_manual_edit ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.vee_parameter ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.vee_provenance ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.virtual_meter ENABLE ROW LEVEL SECURITY;
