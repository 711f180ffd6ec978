-- VEE rules on absent and flat data: runs of missing intervals, and runs of zero consumption on a
-- meter that normally consumes. Each rule returns findings (rule, [ts_from, ts_to) UTC, severity,
-- detail) for meter p_meter over [p_from, p_to); nothing is written here (smf.vee_validate does).

-- vee_rule_missing: runs of intervals with no stored row (or quality 'missing') in [p_from, p_to),
-- never later than the last complete interval before now(); with p_upto_last, not later than the
-- meter's newest stored interval either (data not read yet is not missing). Severity error from
-- missing_long_run intervals on.
create or replace function smf.vee_rule_missing(p_meter int, p_from timestamptz, p_to timestamptz,
                                                p_upto_last boolean default false)
returns table (rule text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_tz text := smf.local_timezone();
    v_step interval := smf.vee_step(p_meter);
    v_lo timestamptz := smf.vee_grid_up(p_from, v_step);
    v_hi timestamptz := least(smf.vee_grid_up(p_to, v_step), smf.vee_grid_down(now(), v_step) - v_step);
    v_long numeric := smf.vee_param('missing_long_run', p_meter, smf.vee_local_day(p_from));
    v_last timestamptz;
begin
    if p_upto_last then
        select max(r.ts) + v_step into v_last from smf.intervals(p_meter, v_lo, v_hi) r
        where r.quality <> 'missing';
        v_hi := least(v_hi, coalesce(v_last, v_lo));
    end if;
    if v_hi <= v_lo then
        return;
    end if;
    return query
    with s as (
        select r.ts from smf.intervals(p_meter, v_lo, v_hi) r
        where r.quality <> 'missing'
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

-- vee_rule_zero_run: runs of at least zero_run_intervals measured intervals with zero active
-- energy, when at least zero_normal_share of the meter's other intervals (this range, widened
-- back to 7 days when shorter) are non-zero: a UC that normally consumes.
create or replace function smf.vee_rule_zero_run(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language plpgsql stable set search_path = smf, pg_catalog as $$
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
        from smf.intervals(p_meter, least(p_from, p_to - interval '7 days'), p_to) r
        where r.quality <> 'missing' and r.active_fwd_wh is not null
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
