-- Postos tarifários: validation of a distributor's schedule, the posto and reactive window of every
-- 15-minute slot of a UC (local time, smf.local_timezone()), of one instant, and labelling views.
-- Slots are 15 minutes; schedule times must lie on that grid, so a 5- or 15-minute interval lies in
-- exactly one posto and one reactive window.
-- The set-returning rules of files 110-170 run with jit = off: their row estimates are rough
-- (generate_series), and JIT compilation alone would cost ~60 ms per call on month-sized inputs.

-- posto_schedule_validate: trigger on smf.posto_schedule; raises SMF02 when ponta is not
-- rule_param('ponta_minutes') long inside one day, when the capacitive window is not
-- rule_param('capacitive_window_minutes') long inside the span capacitive_span_start_min ..
-- capacitive_span_end_min (23:30-06:30), or when a time is off the 15-minute grid.
create or replace function smf.posto_schedule_validate() returns trigger
language plpgsql stable set search_path = smf, pg_catalog set jit = off as $$
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

-- uc_quarter_labels: every 15-minute slot of [p_from, p_to) for UC p_uc: UTC start, local start,
-- UTC hour, posto (ponta / fora_ponta / intermediario; null without a schedule), demand posto
-- (ponta / fora_ponta for azul, unica otherwise), reactive window (inductive / capacitive), reservado
-- flag and the transformer-loss factor (fraction, 0 when none) valid on the local day.
create or replace function smf.uc_quarter_labels(p_uc int, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, local_ts timestamp, hour_ts timestamptz, posto text, demand_posto text,
               reactive_window text, reservado boolean, loss_factor numeric)
language sql stable parallel safe set search_path = smf, public, pg_catalog set jit = off as $$
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

-- posto_at: posto, demand posto, reactive window and reservado flag of instant p_ts for UC
-- p_uc_code, with the local time; SMF04 for an unknown UC or a day without a posto schedule.
create or replace function smf.posto_at(p_uc_code text, p_ts timestamptz)
returns table (local_ts timestamp, posto text, demand_posto text, reactive_window text, reservado boolean)
language plpgsql stable set search_path = smf, pg_catalog set jit = off as $$
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

-- catalogue: view smf.interval_label: every interval reading of a UC's main meter (both storage
--   tiers, 025_storage.sql) with its local time, posto, demand posto, reactive window, reservado
--   flag and loss factor (filter by uc_code and ts).
-- catalogue: view smf.hour_label: every hourly rollup of a UC's main meter (both tiers) with its
--   posto and reactive window ('mixed' when the hour spans two, e.g. a capacitive window starting
--   at 23:30).
-- (Built from the tiers' SQL text, not from the *_all views: a copy in smf_read must name tables.)
do $$
begin
    execute format($v$create or replace view smf.interval_label as
select cu.uc_code, ir.meter_id, ir.ts, ir.ts at time zone smf.local_timezone() as local_ts,
       l.posto, l.demand_posto, l.reactive_window, l.reservado, l.loss_factor
from (select * from smf.interval_reading union all %s) ir
join smf.consumer_unit cu on cu.main_meter_id = ir.meter_id
cross join lateral smf.uc_quarter_labels(cu.id, ir.ts, ir.ts + interval '1 microsecond') l$v$,
        smf.sealed_rows_sql());
    execute format($v$create or replace view smf.hour_label as
select cu.uc_code, rh.meter_id, rh.bucket as hour, rh.bucket at time zone smf.local_timezone() as local_hour,
       l.posto, l.reactive_window, l.loss_factor
from (%s) rh
join smf.consumer_unit cu on cu.main_meter_id = rh.meter_id
cross join lateral (
    select case when count(distinct q.posto) = 1 then min(q.posto) else 'mixed' end as posto,
           case when count(distinct q.reactive_window) = 1 then min(q.reactive_window) else 'mixed' end
               as reactive_window,
           max(q.loss_factor) as loss_factor
    from smf.uc_quarter_labels(cu.id, rh.bucket, rh.bucket + interval '1 hour') q
) l$v$, smf.rollup_all_sql('hour'));
end
$$;
