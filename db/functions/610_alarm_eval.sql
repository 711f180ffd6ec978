-- Alarm evaluation when data arrives (seed 003 §5.9: "detected at the normal reading"): triggers
-- on the tables reads and imports land in call the evaluators below in the same transaction, so
-- whatever path wrote the data (poller, CSV import, ABNT file, SQL) the sheet is up to date when
-- it commits. An evaluation error is logged as a WARNING and never loses the data.
-- Units: V, A, kW (0x14 power converted from smf.setting instantaneous_power_unit), %, s.

-- alarm_eval_instantaneous: rules a-h on one 0x14 reading of meter p_meter at p_at (values as
-- stored by the poller: VA.., IA.., PA.. float or null). Rules whose condition holds raise;
-- active alarms of rules whose condition ended clear; missing quantities change nothing.
create or replace function smf.alarm_eval_instantaneous(p_meter int, p_at timestamptz, p_values jsonb)
returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
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

-- alarm_eval_intervals: rules a-c, f-h (interval mean V and A of 12-channel meters) and k
-- (15-minute demand against the contracted demand of the posto, or an absolute kW) over the
-- spans p_meter[i] in [p_lo[i], p_hi[i]] (interval starts) just stored, one meter at a time
-- (smf.alarm_eval_meter_intervals).
create or replace function smf.alarm_eval_intervals(p_meter int[], p_lo timestamptz[], p_hi timestamptz[])
returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    k int;
begin
    for k in 1 .. coalesce(cardinality(p_meter), 0) loop
        perform smf.alarm_eval_meter_intervals(p_meter[k], p_lo[k], p_hi[k]);
    end loop;
end
$$;

-- alarm_eval_meter_intervals: the interval rules of one meter over [p_lo, p_hi] (interval
-- starts). For each rule: violations raise (first and last violating interval, worst value, how
-- many); when the newest interval of the span is within the threshold the alarm clears at that
-- interval. Scalar parameters and generic plans: planned once per session (the hypertable's
-- chunks are excluded at run time), so the cost per read is the scan of its own intervals.
create or replace function smf.alarm_eval_meter_intervals(p_meter int, p_lo timestamptz, p_hi timestamptz)
returns void
language plpgsql volatile set search_path = smf, public, pg_catalog
set plan_cache_mode = force_generic_plan as $$
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
            from smf.intervals(p_meter, p_lo, p_hi + interval '1 microsecond') r
            where r.quality in ('measured', 'adjusted')
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
        ), bad as (
            -- the violating intervals only: the 24 filtered aggregates below then run over them,
            -- not over every interval (3x faster for a meter-month with no violation, measured)
            select * from mx
            where vmin < t_a or vmax > t_b or vunb > t_c or imin < t_f or imax > t_g or iunb > t_h
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
            (select array[max(ts) filter (where vmin is not null), max(ts) filter (where vmax is not null),
                          max(ts) filter (where vunb is not null), max(ts) filter (where imin is not null),
                          max(ts) filter (where imax is not null), max(ts) filter (where iunb is not null)]
             from mx) as newest
        into rec
        from bad;
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
            from smf.rollups_15min(array[p_meter], time_bucket('15 minutes', p_lo),
                                   p_hi + interval '1 microsecond') b
            where b.max_demand_kw is not null
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

-- alarm_eval_poll: rules i (cleared by a session that found the registered serial), j (clock
-- drift in s) and m (share of successful sessions of the local day of p_at, %) after a session.
create or replace function smf.alarm_eval_poll(p_meter int, p_at timestamptz, p_outcome text,
                                               p_drift_s numeric)
returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
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

-- alarm_eval_status: rule l on a status report: battery octet equal to the programmed bad code.
create or replace function smf.alarm_eval_status(p_meter int, p_at timestamptz, p_battery smallint)
returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
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

-- Trigger functions: one per table data lands in. Each catches its own errors (a subtransaction)
-- so a fault in alarm evaluation never rolls back a read or an import. A session may switch
-- evaluation off with set_config('smf.alarm_evaluation', 'off', ...) (a historical backfill
-- that must not raise alarms; the benchmark's baseline).

-- instantaneous_reading (hypertable: row-level, transition tables are not supported there).
create or replace function smf.alarm_on_instantaneous() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
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

-- poll_attempt (hypertable): rules i, j, m after every session. Rule j judges the drift left
-- after the session's clock correction (clock_drift_after_s), else the drift measured.
create or replace function smf.alarm_on_poll_attempt() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
begin
    if current_setting('smf.alarm_evaluation', true) = 'off' then
        return null;
    end if;
    begin
        perform smf.alarm_eval_poll(new.meter_id, new.started_at, new.outcome,
                                    coalesce(new.clock_drift_after_s, new.clock_drift_s));
    exception when others then
        raise warning 'alarm evaluation of session of meter % at % failed: %', new.meter_id, new.started_at, sqlerrm;
    end;
    return null;
end
$$;

-- meter_event: rule i on serial_changed events (row level: the poller logs events one by one).
create or replace function smf.alarm_on_meter_event() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
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

-- meter_status_report: rule l.
create or replace function smf.alarm_on_status() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
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

-- ingest_batch: when a batch finishes (finished_at set), evaluate the interval rules over the
-- spans the batch touched (pg_temp.ingest_touched, left by smf.ingest_finish in this
-- transaction; narrowed to the changed spans on re-imports). An evaluation that raises costs no
-- reading: a WARNING, and an error row of job 'alarm_eval' in smf.job_run (rule function, SQLSTATE).
create or replace function smf.alarm_on_batch_finished() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_state text;
    v_msg text;
    v_where text;
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
        get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text, v_where = pg_exception_context;
        raise warning 'alarm evaluation of ingest batch % failed: %', new.id, sqlerrm;
        -- the batch lands; the failure is kept where failed jobs are looked for (issue 24)
        perform smf.vee_record_error('alarm_eval', format('ingest batch %s', new.id),
            format('alarm evaluation of ingest batch %s raised SQLSTATE %s (%s) in %s; the readings are stored',
                   new.id, v_state, v_msg, split_part(v_where, E'\n', 1)),
            jsonb_build_object('batch_id', new.id, 'sqlstate', v_state));
    end;
    return null;
end
$$;

do $$
begin
    if to_regclass('smf.alarm') is null then
        return;  -- below the alarms revision (a downgrade): no triggers
    end if;
    create or replace trigger alarm_eval after insert on smf.instantaneous_reading
        for each row execute function smf.alarm_on_instantaneous();
    create or replace trigger alarm_eval after insert on smf.poll_attempt
        for each row execute function smf.alarm_on_poll_attempt();
    create or replace trigger alarm_eval after insert on smf.meter_event
        for each row execute function smf.alarm_on_meter_event();
    create or replace trigger alarm_eval after insert on smf.meter_status_report
        for each row execute function smf.alarm_on_status();
    create or replace trigger alarm_eval after update of finished_at on smf.ingest_batch
        for each row when (old.finished_at is null and new.finished_at is not null)
        execute function smf.alarm_on_batch_finished();
    create or replace trigger alarm_notify after insert or update on smf.alarm
        for each row execute function smf.alarm_notify();
end
$$;
