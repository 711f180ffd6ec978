-- Data quality of a billing cycle: what a bill computed now rests on. A bill, `smf report` and the
-- client view show these flags beside the figures, so that a month billed over a spike still under
-- review, or over a meter that was silent for days, is never presented as final.

-- billing_min_completeness_pct: the completeness (%) below which a day or a month is flagged
-- (smf.setting 'billing_min_completeness_pct', default 99).
create or replace function smf.billing_min_completeness_pct() returns numeric
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select coalesce((select value::numeric from smf.setting where key = 'billing_min_completeness_pct'), 99)
$$;

-- billing_data_quality_of: flags of UC p_uc's cycle p_month (local month), over its main meter.
-- One row per local day of the month, up to yesterday (local), whose completeness (measured +
-- adjusted + estimated intervals / expected, %; 0 for a day without data) is below
-- smf.billing_min_completeness_pct(), or that an open VEE finding of severity warning or error
-- touches (its [ts_from, ts_to) range overlaps the day); then one row with day null for the month
-- so far (its completeness over those days). Columns: day (local date), completeness_pct (2
-- decimals), threshold_pct, estimated_intervals, open_findings (count), finding_rules (sorted,
-- distinct), finding_ids, below_threshold. Empty for a month that has not started.
create or replace function smf.billing_data_quality_of(p_uc int, p_month date)
returns table (day date, completeness_pct numeric, threshold_pct numeric, estimated_intervals int,
               open_findings int, finding_rules text[], finding_ids bigint[], below_threshold boolean)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
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

-- billing_data_quality: billing_data_quality_of for UC p_uc_code (SMF04 for an unknown UC).
create or replace function smf.billing_data_quality(p_uc_code text, p_month date)
returns table (day date, completeness_pct numeric, threshold_pct numeric, estimated_intervals int,
               open_findings int, finding_rules text[], finding_ids bigint[], below_threshold boolean)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select q.* from smf.billing_data_quality_of(smf.uc_id(p_uc_code), p_month) q
$$;
