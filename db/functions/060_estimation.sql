-- VEE estimation: fill the missing intervals of a meter (no stored row, or quality 'missing'),
-- never a stored value of another quality, in the order of the domain notes:
--   1. backup meter measured the interval           -> its values, adjusted, source backup_meter
--   2. gap <= short_gap_intervals, register delta known -> the delta spread over the day-type
--      profile (uniform when no profile), adjusted, source estimate      (method register_profile)
--   3. otherwise the mean of the same interval over the last daytype_days valid days of the same
--      day type (business / saturday / sunday_holiday), scaled to the register delta when known,
--      estimated, source estimate                 (methods daytype_mean, daytype_mean_scaled)
--   4. no usable history: the interval stays missing and an 'estimation' finding names the reason.
-- A valid day is a local day with at least daytype_valid_share of its intervals measured
-- (smf.rollup_day), and only its measured intervals are used. The register
-- delta of a gap is (total register read after it - read before it) x Wh per unit - the stored
-- intervals between the reads (smf.vee_register_pairs / vee_register_scale), used only when every
-- unknown interval between the reads belongs to this gap. Energies are integer Wh; a spread keeps
-- the exact total (largest remainder). Values are written through smf.ingest_begin/ingest_finish
-- (one ingest batch per run), so rollups and history are kept by the ingest path.

-- vee_estimate: estimate the gaps of meter p_meter in [p_from, p_to) (UTC), as p_operator.
-- Returns {"run_id", "batch_id", "filled": {method: n}, "left_missing": n}; run_id is null when
-- nothing could be filled (a re-run changes nothing).
create or replace function smf.vee_estimate(p_meter int, p_from timestamptz, p_to timestamptz,
                                            p_operator text default current_user)
returns jsonb
language plpgsql volatile set search_path = smf, pg_temp, pg_catalog
set jit = off
as $$
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
              from (select r.ts from smf.intervals(p_meter, v_lo, v_hi) r
                    where r.quality <> 'missing'
                    union all select v_lo - v_step
                    union all select v_hi) s) w,
             generate_series(w.a, w.b - v_step, v_step) g(ts)
        where w.b > w.a
    ), bk as materialized (
        select r.* from gap join smf.intervals(v_backup, v_lo, v_hi) r
            on r.ts = gap.ts and r.quality = 'measured'
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
    ), hist as materialized (  -- the measured intervals of the lookback window (any tier)
        select r.* from smf.intervals(p_meter,
            (select min(d.day) from days d)::timestamp at time zone v_tz, v_hi) r
        where r.quality = 'measured'
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
        join hist r on r.ts = (dd.day + rest.local_ts::time) at time zone v_tz
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
    on conflict (meter_id, rule, subject, ts_from, ts_to) do update set last_seen_at = now(), detail = excluded.detail;

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

-- vee_estimate_scope: smf.vee_estimate for every meter of a scope (smf.vee_scope_meters) over
-- [p_from, p_to), main meters only when a UC names both (the backup is the input, not the target).
create or replace function smf.vee_estimate_scope(p_kind text, p_ref text, p_from timestamptz, p_to timestamptz,
                                                  p_operator text default current_user)
returns table (meter_id int, serial text, result jsonb)
language sql volatile set search_path = smf, pg_catalog as $$
    select m.id, m.serial, smf.vee_estimate(m.id, p_from, p_to, p_operator)
    from smf.meter m
    where m.id in (select s from smf.vee_scope_meters(p_kind, p_ref) s where s is not null)
      and (p_kind = 'meter' or m.id not in (select backup_meter_id from smf.consumer_unit
                                            where backup_meter_id is not null))
    order by m.serial
$$;

-- vee_estimate_daily: the daily job's estimation of local day p_day: smf.vee_estimate for every
-- enabled meter that is no UC's backup, except a meter silent too long: when neither it nor its
-- UC's backup meter measured one interval in the auto_estimate_max_silent_days days before the
-- day's end, the day is left missing (nothing fabricated for the CCEE submission) and an
-- 'estimation' finding (error) asks for a visit or a hand estimate; `smf vee estimate` is not
-- bound by this. Returns (meter_id, serial, result) as vee_estimate_scope; a skipped meter's
-- result is {"run_id": null, "filled": {}, "left_missing": n, "skipped": "silent", "last_measured"}.
create or replace function smf.vee_estimate_daily(p_day date, p_operator text default current_user)
returns table (meter_id int, serial text, result jsonb)
language plpgsql volatile set search_path = smf, pg_catalog as $$
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
        if not exists (select 1 from smf.intervals(array_remove(array[m.id, m.backup_meter_id], null),
                                                   v_to - make_interval(days => v_days::int), v_to) r
                       where r.quality = 'measured') then
            v_last := smf.interval_last_ts(array_remove(array[m.id, m.backup_meter_id], null), v_to,
                                           array['measured']::smf.quality[]);
            v_step := smf.vee_step(m.id);
            -- expected intervals of the day (23, 24 or 25 hours) minus those holding a value
            select (extract(epoch from v_to - v_from) / extract(epoch from v_step))::int
                   - count(*) filter (where r.quality <> 'missing')
            into v_left
            from smf.intervals(m.id, v_from, v_to) r;
            if v_left > 0 then
                insert into smf.vee_finding as f (meter_id, rule, ts_from, ts_to, severity, detail)
                values (m.id, 'estimation', v_from, v_to, 'error',
                        format('%s interval(s) left missing on %s: no measured interval since %s; the'
                               ' daily job stops estimating after %s day(s) of silence (visit the meter,'
                               ' or estimate by hand: smf vee estimate)', v_left, p_day,
                               coalesce(smf.vee_fmt_local(v_last) || ' (local)', 'ever'), v_days))
                on conflict (meter_id, rule, subject, ts_from, ts_to)
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

-- vee_explain: why the stored value of meter p_meter at interval start p_ts is what it is: the row
-- (kWh), its quality and source, the batch that wrote it (origin, operator, time), the estimation
-- method, inputs and parameters or the manual edit's reason, and how many versions history holds.
create or replace function smf.vee_explain(p_meter int, p_ts timestamptz)
returns table (meter_id int, ts timestamptz, active_fwd_kwh numeric, quality smf.quality,
               source smf.reading_source, batch_id int, batch_origin text, written_by text,
               written_at timestamptz, method text, inputs jsonb, parameters jsonb, edit_reason text,
               history_versions bigint)
language sql stable set search_path = smf, pg_catalog as $$
    select r.meter_id, r.ts, smf.vee_kwh(r.active_fwd_wh), r.quality, r.source, r.batch_id, b.origin,
           coalesce(e.operator, run.operator, b.operator), b.started_at,
           coalesce(pv.method, case when e.id is not null then 'manual_' || e.operation end),
           coalesce(pv.inputs, case when e.id is not null then jsonb_build_object('argument', e.argument,
                                                                          'channel', e.channel) end),
           run.parameters, e.reason,
           (select count(*) from smf.interval_reading_history h where h.meter_id = r.meter_id and h.ts = r.ts)
    from smf.intervals(p_meter, p_ts, p_ts + interval '1 microsecond') r
    join smf.ingest_batch b on b.id = r.batch_id
    left join smf.vee_estimation_run run on run.batch_id = r.batch_id
    left join smf.vee_provenance pv on pv.meter_id = r.meter_id and pv.ts = r.ts and pv.run_id = run.id
    left join smf.vee_manual_edit e on e.batch_id = r.batch_id
    where r.meter_id = p_meter and r.ts = p_ts
$$;
