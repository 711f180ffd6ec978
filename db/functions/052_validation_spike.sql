-- VEE rules on values too large: spikes of active energy (Wh) and 15-minute demand (kW) above a
-- sanity limit. Findings for meter p_meter over [p_from, p_to), written by smf.vee_validate.

-- vee_rule_spike: an interval whose active energy (forward) exceeds spike_factor x the third-highest
-- value of its local day (when that is at least spike_floor_wh), or the meter's physical maximum
-- (max_power_kw x interval length). One finding per interval.
create or replace function smf.vee_rule_spike(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language plpgsql stable set search_path = smf, pg_catalog as $$
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
        from smf.intervals(p_meter, smf.vee_day_start(smf.vee_local_day(p_from)), p_to) r
        where r.quality <> 'missing' and r.active_fwd_wh is not null
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

-- vee_rule_demand: a 15-minute demand (kW, from smf.rollups_15min) above demand_sanity_factor x the
-- largest contracted demand of the UC the meter serves, or x the meter's max_power_kw when it
-- serves no UC with a contracted demand. One finding per 15-minute bucket.
create or replace function smf.vee_rule_demand(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language plpgsql stable set search_path = smf, pg_catalog as $$
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
    from smf.rollups_15min(array[p_meter], p_from, p_to) r
    where r.max_demand_kw > v_k * v_ref;
end
$$;
