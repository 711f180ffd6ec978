-- Views and functions the Grafana dashboards (grafana/dashboards/*.json) and the operator screens
-- read. The panels query their smf_read copies and wrappers (625_dashboards_read.sql) as a scoped
-- read-only role, never table layouts.
-- Times: UTC timestamptz bucket starts (Grafana shows them in the browser's zone).

-- uc_directory: one row per consumer unit: code, customer, distributor, modality, main meter and
-- its channel count (the dashboards' UC picker and the all-UC screens).
create or replace view smf.uc_directory with (security_invoker = true) as
select cu.id as uc_id, cu.uc_code::text as uc_code, cu.customer_name, d.id as distributor_id,
       d.name as distributor, cu.modality, cu.tariff_group, cu.contracted_demand_ponta_kw,
       cu.contracted_demand_fora_ponta_kw, m.id as meter_id, m.serial as meter_serial, m.model,
       cardinality(m.channel_map) as channels, m.interval_minutes
from smf.consumer_unit cu
join smf.distributor d on d.id = cu.distributor_id
left join smf.meter m on m.id = cu.main_meter_id;

-- uc_channels: the 12 mass-memory quantities of UC p_uc_code's main meter over [p_from, p_to),
-- per bucket of p_step ('15min', 'hour', 'day' = local day, 'month' = local month). p_mode
-- 'units': energies in kWh / kvarh per bucket, voltages and currents as bucket means in V / A;
-- 'pulses': each value divided by its channel's multiplication constant (null where the meter has
-- no constant for that quantity). Columns a meter does not carry are null.
create or replace function smf.uc_channels(p_uc_code text, p_from timestamptz, p_to timestamptz,
                                           p_step text default '15min', p_mode text default 'units')
returns table (bucket_start timestamptz, active_fwd numeric, active_rev numeric,
               reactive_ind_fwd numeric, reactive_ind_rev numeric, reactive_cap_fwd numeric,
               reactive_cap_rev numeric, voltage_a numeric, voltage_b numeric, voltage_c numeric,
               current_a numeric, current_b numeric, current_c numeric, completeness_pct numeric)
language plpgsql stable set search_path = smf, pg_catalog as $$
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
$$;

-- channel_divisor: 1 in mode 'units'; in mode 'pulses' the multiplication constant (units per
-- pulse) of quantity p_q in channel map p_map / constants p_k, null when unknown.
create or replace function smf.channel_divisor(p_map text[], p_k numeric[], p_q text, p_mode text)
returns numeric
language sql immutable parallel safe set search_path = smf, pg_catalog as $$
    select case when p_mode = 'units' then 1 else nullif(p_k[array_position(p_map, p_q)], 0) end
$$;

-- uc_reactive_hourly: per local clock hour of UC p_uc_code over [p_from, p_to): active P (kWh),
-- reactive Q of the kind that counts (kvarh, capacitive in the distributor's window, inductive
-- outside), power factor fT = P / sqrt(P^2 + Q^2) and excess reactive UFER (kWh) as the billing
-- rules compute them (smf.uc_hour_pieces, loss-adjusted), hour pieces of one hour summed.
create or replace function smf.uc_reactive_hourly(p_uc_code text, p_from timestamptz, p_to timestamptz)
returns table (hour timestamptz, p_kwh numeric, q_kvarh numeric, power_factor numeric, ufer_kwh numeric)
language sql stable set search_path = smf, pg_catalog as $$
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

-- meter_connectivity_daily: per meter and local day with sessions: sessions, successful ones and
-- the daily connectivity (%), the quantity of alarm rule m.
create or replace view smf.meter_connectivity_daily with (security_invoker = true) as
select a.meter_id, m.serial,
       (date_trunc('day', a.started_at at time zone smf.local_timezone())
           at time zone smf.local_timezone()) as day_start,
       count(*) as sessions, count(*) filter (where a.outcome = 'ok') as ok,
       round(100.0 * count(*) filter (where a.outcome = 'ok') / count(*), 1) as connectivity_pct,
       sum(a.bytes_in + a.bytes_out) as bytes
from smf.poll_attempt a join smf.meter m on m.id = a.meter_id
group by a.meter_id, m.serial, 3;

-- fleet_poll_health: per polled meter: UC, last session and outcome, last successful one,
-- failures since, and whether it is under 15-minute monitoring now. (No other view of smf in
-- it: its smf_read copy may not depend on another copy, see 625_dashboards_read.sql.)
create or replace view smf.fleet_poll_health with (security_invoker = true) as
select m.id as meter_id, m.serial, u.uc_code::text as uc_code, u.customer_name, m.poll_schedule,
       h.last_attempt_at, h.last_outcome, h.last_ok_at, coalesce(h.failures_since_ok, 0) as failures_since_ok,
       exists (select 1 from smf.meter_monitoring mm where mm.meter_id = m.id
               and mm.starts_at <= now() and mm.ends_at > now()) as monitoring
from smf.meter m
left join smf.consumer_unit u on u.main_meter_id = m.id
left join lateral smf.meter_poll_health(m.id) h on true
where m.enabled and m.transport is not null and m.protocol <> 'import_only';
