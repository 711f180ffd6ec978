-- Alarm evaluation when data arrives (seed 003 §5.9: "detected at the normal reading"): triggers
-- on the tables reads and imports land in call the evaluators below in the same transaction, so
-- whatever path wrote the data (poller, CSV import, ABNT file, SQL) the sheet is up to date when
-- it commits. An evaluation error is logged as a WARNING and never loses the data.
-- Units: V, A, kW (0x14 power converted from smf.setting instantaneous_power_unit), %, s.

-- alarm_phase_extreme: (phase, value) of the lowest (p_max false) or highest (p_max true)
-- non-null value of p_vals, phases named by p_names.
create or replace function smf.alarm_phase_extreme(p_names text[], p_vals numeric[], p_max boolean)
returns table (phase text, value numeric)
language sql immutable parallel safe set search_path = smf, pg_catalog as $$
    select n, v from unnest(p_names, p_vals) u(n, v) where v is not null
    order by case when p_max then -v else v end limit 1
$$;

-- alarm_eval_instantaneous: rules a-h on one 0x14 reading of meter p_meter at p_at (values as
-- stored by the poller: VA.., IA.., PA.. float or null).
create or replace function smf.alarm_eval_instantaneous(p_meter int, p_at timestamptz, p_values jsonb)
returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    t record;
    ph text[] := array['A', 'B', 'C'];
    v numeric[] := array[(p_values->>'VA')::numeric, (p_values->>'VB')::numeric, (p_values->>'VC')::numeric];
    i numeric[] := array[(p_values->>'IA')::numeric, (p_values->>'IB')::numeric, (p_values->>'IC')::numeric];
    p numeric[];
    k numeric := case when coalesce((select value from smf.setting where key = 'instantaneous_power_unit'), 'W') = 'kW'
                      then 1 else 0.001 end;
    e record;
    u numeric;
begin
    p := array[(p_values->>'PA')::numeric * k, (p_values->>'PB')::numeric * k, (p_values->>'PC')::numeric * k];
    for t in select * from smf.alarm_thresholds_of(p_meter, p_at) loop
        e := null;
        case t.rule_code
        when 'a', 'f' then
            select * into e from smf.alarm_phase_extreme(ph, case when t.rule_code = 'a' then v else i end, false);
            perform smf.alarm_apply(t.rule_code, p_meter, e.value < t.value, p_at, e.value, t.value,
                e.phase, 'instantaneous', format('%s %s %s below %s (0x14)',
                    case when t.rule_code = 'a' then 'voltage' else 'current' end, e.phase, e.value, t.value));
        when 'b', 'g' then
            select * into e from smf.alarm_phase_extreme(ph, case when t.rule_code = 'b' then v else i end, true);
            perform smf.alarm_apply(t.rule_code, p_meter, e.value > t.value, p_at, e.value, t.value,
                e.phase, 'instantaneous', format('%s %s %s above %s (0x14)',
                    case when t.rule_code = 'b' then 'voltage' else 'current' end, e.phase, e.value, t.value));
        when 'c', 'h' then
            u := smf.alarm_unbalance_pct(case when t.rule_code = 'c' then v else i end,
                                         coalesce(t.params->>'method', 'nema'));
            perform smf.alarm_apply(t.rule_code, p_meter, u > t.value, p_at, u, t.value, null,
                'instantaneous', format('%s unbalance %s %% above %s %% (0x14, %s)',
                    case when t.rule_code = 'c' then 'voltage' else 'current' end, u, t.value,
                    coalesce(t.params->>'method', 'nema')));
        when 'd', 'e' then
            select * into e from smf.alarm_phase_extreme(ph, p, false);
            perform smf.alarm_apply(t.rule_code, p_meter,
                e.value < case when t.rule_code = 'd' then 0 else t.value end, p_at, round(e.value, 3),
                case when t.rule_code = 'd' then 0 else t.value end, e.phase, 'instantaneous',
                format('active power of phase %s %s kW below %s kW (0x14)', e.phase, round(e.value, 3),
                    case when t.rule_code = 'd' then 0 else t.value end));
        else null;
        end case;
    end loop;
end
$$;

-- alarm_eval_intervals: rules a-c, f-h (interval mean V and A of 12-channel meters) and k
-- (15-minute demand against the contracted demand of the posto, or an absolute kW) over the
-- spans p_meter[i] in [p_lo[i], p_hi[i]] (interval starts) just stored. For each meter and rule:
-- violations raise (first and last violating interval, worst value, how many); when the newest
-- interval of the span is within the threshold the alarm clears at that interval.
create or replace function smf.alarm_eval_intervals(p_meter int[], p_lo timestamptz[], p_hi timestamptz[])
returns void
language plpgsql volatile set search_path = smf, public, pg_catalog as $$
declare
    rec record;
begin
    for rec in
        with span as (
            select u.meter_id, u.lo, u.hi from unnest(p_meter, p_lo, p_hi) u(meter_id, lo, hi)
        ), thr as (
            select s.meter_id, s.lo, s.hi, t.rule_code, t.value, t.params
            from span s cross join lateral smf.alarm_thresholds_of(s.meter_id, s.hi) t
            where t.rule_code in ('a', 'b', 'c', 'f', 'g', 'h')
        ), rows as (
            select r.meter_id, r.ts,
                   array[r.voltage_a_mv, r.voltage_b_mv, r.voltage_c_mv]::numeric[] as v,
                   array[r.current_a_ma, r.current_b_ma, r.current_c_ma]::numeric[] as i
            from span s join smf.interval_reading r
              on r.meter_id = s.meter_id and r.ts between s.lo and s.hi
            where r.quality in ('measured', 'adjusted')
              and exists (select 1 from thr where thr.meter_id = s.meter_id)
              and num_nonnulls(r.voltage_a_mv, r.voltage_b_mv, r.voltage_c_mv,
                               r.current_a_ma, r.current_b_ma, r.current_c_ma) > 0
        ), m as (
            select t.meter_id, t.rule_code, t.value as thr, x.ts,
                   case t.rule_code
                       when 'a' then (select min(y) from unnest(x.v) y) / 1000
                       when 'b' then (select max(y) from unnest(x.v) y) / 1000
                       when 'f' then (select min(y) from unnest(x.i) y) / 1000
                       when 'g' then (select max(y) from unnest(x.i) y) / 1000
                       when 'c' then smf.alarm_unbalance_pct(x.v, coalesce(t.params->>'method', 'nema'))
                       else smf.alarm_unbalance_pct(x.i, coalesce(t.params->>'method', 'nema')) end as val
            from thr t join rows x on x.meter_id = t.meter_id
        ), flagged as (
            select *, case when rule_code in ('a', 'f') then val < thr else val > thr end as bad
            from m where val is not null
        )
        select meter_id, rule_code, min(thr) as thr,
               min(ts) filter (where bad) as first_bad, max(ts) filter (where bad) as last_bad,
               count(*) filter (where bad) as n_bad,
               case when rule_code in ('a', 'f') then min(val) filter (where bad)
                    else max(val) filter (where bad) end as worst,
               max(ts) as newest, (array_agg(bad order by ts desc))[1] as newest_bad
        from flagged group by meter_id, rule_code
    loop
        if rec.n_bad > 0 then
            perform smf.alarm_raise(rec.rule_code, rec.meter_id, rec.first_bad, rec.last_bad, rec.worst, rec.thr,
                null, 'interval', format('%s intervals from %s to %s; worst %s %s, threshold %s (interval means)',
                    rec.n_bad, rec.first_bad, rec.last_bad, rec.worst,
                    (select unit from smf.alarm_rule where code = rec.rule_code), rec.thr),
                jsonb_build_object('intervals', rec.n_bad), null, rec.n_bad::int);
        end if;
        if not rec.newest_bad then
            perform smf.alarm_clear(rec.rule_code, rec.meter_id, rec.newest);
        end if;
    end loop;

    -- k: 15-minute demand of the touched buckets against the threshold of the bucket's posto.
    for rec in
        with span as (
            select u.meter_id, u.lo, u.hi from unnest(p_meter, p_lo, p_hi) u(meter_id, lo, hi)
        ), thr as (
            select s.meter_id, s.lo, s.hi, t.value, coalesce(t.params->>'basis', 'contracted_pct') as basis,
                   cu.id as uc_id, cu.modality, cu.contracted_demand_ponta_kw as c_ponta,
                   cu.contracted_demand_fora_ponta_kw as c_fora
            from span s cross join lateral smf.alarm_thresholds_of(s.meter_id, s.hi) t
            join smf.consumer_unit cu on cu.main_meter_id = s.meter_id
            where t.rule_code = 'k'
        ), d as (
            select t.meter_id, b.bucket, b.max_demand_kw as kw, t.value, t.basis, t.uc_id,
                   t.modality, t.c_ponta, t.c_fora
            from thr t join smf.rollup_15min b
              on b.meter_id = t.meter_id and b.bucket >= time_bucket('15 minutes', t.lo) and b.bucket <= t.hi
            where b.max_demand_kw is not null
        ), lim as (
            select d.*, case when d.basis = 'kw' then d.value
                        else d.value / 100 * case
                            when d.modality = 'azul' and d.c_ponta is not null
                                 and least(d.c_ponta, d.c_fora) * d.value / 100 < d.kw
                                 and (select l.demand_posto from smf.uc_quarter_labels(d.uc_id, d.bucket,
                                        d.bucket + interval '1 microsecond') l limit 1) = 'ponta'
                            then d.c_ponta else coalesce(d.c_fora, d.c_ponta) end end as limit_kw
            from d
        ), flagged as (select *, kw > limit_kw as bad from lim where limit_kw is not null)
        select meter_id, min(bucket) filter (where bad) as first_bad, max(bucket) filter (where bad) as last_bad,
               count(*) filter (where bad) as n_bad, max(kw) filter (where bad) as worst,
               (array_agg(limit_kw order by kw - limit_kw desc) filter (where bad))[1] as limit_kw,
               max(bucket) as newest, (array_agg(bad order by bucket desc))[1] as newest_bad
        from flagged group by meter_id
    loop
        if rec.n_bad > 0 then
            perform smf.alarm_raise('k', rec.meter_id, rec.first_bad, rec.last_bad, rec.worst, round(rec.limit_kw, 3), null,
                'interval', format('15-min demand %s kW above %s kW in %s interval(s) from %s to %s',
                    rec.worst, round(rec.limit_kw, 3), rec.n_bad, rec.first_bad, rec.last_bad),
                jsonb_build_object('intervals', rec.n_bad), null, rec.n_bad::int);
        end if;
        if not rec.newest_bad then
            perform smf.alarm_clear('k', rec.meter_id, rec.newest);
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
begin
    if p_outcome = 'ok' then
        perform smf.alarm_clear('i', p_meter, p_at);
    end if;
    for t in select * from smf.alarm_thresholds_of(p_meter, p_at) where rule_code in ('j', 'm') loop
        if t.rule_code = 'j' and p_drift_s is not null then
            perform smf.alarm_apply('j', p_meter, abs(p_drift_s) > t.value, p_at, p_drift_s, t.value,
                null, 'poll', format('meter clock %s s off (limit %s s)', p_drift_s, t.value));
        elsif t.rule_code = 'm' then
            select count(*) filter (where outcome = 'ok'), count(*) into v_ok, v_all
            from smf.poll_attempt
            where meter_id = p_meter and started_at >= v_day_start and started_at < v_day_start + interval '1 day';
            v_pct := round(100.0 * v_ok / nullif(v_all, 0), 1);
            perform smf.alarm_apply('m', p_meter, v_pct < t.value, p_at, v_pct, t.value, null, 'poll',
                format('daily connectivity %s %% (%s of %s sessions ok on %s) below %s %%', v_pct,
                       v_ok, v_all, (p_at at time zone v_tz)::date, t.value),
                jsonb_build_object('ok', v_ok, 'sessions', v_all, 'day', (p_at at time zone v_tz)::date));
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
-- so a fault in alarm evaluation never rolls back a read or an import.

-- instantaneous_reading (hypertable: row-level, transition tables are not supported there).
create or replace function smf.alarm_on_instantaneous() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
begin
    begin
        perform smf.alarm_eval_instantaneous(new.meter_id, new.at, new.values);
    exception when others then
        raise warning 'alarm evaluation of 0x14 of meter % at % failed: %', new.meter_id, new.at, sqlerrm;
    end;
    return null;
end
$$;

-- poll_attempt (hypertable): rules i, j, m after every session.
create or replace function smf.alarm_on_poll_attempt() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
begin
    begin
        perform smf.alarm_eval_poll(new.meter_id, new.started_at, new.outcome, new.clock_drift_s);
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
-- transaction; narrowed to the changed spans on re-imports).
create or replace function smf.alarm_on_batch_finished() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_m int[];
    v_lo timestamptz[];
    v_hi timestamptz[];
begin
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
