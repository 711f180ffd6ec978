-- VEE rule main against backup meter: for a UC with both, the relative deviation of active energy
-- (forward, Wh) per interval, per UTC hour and per local day, against backup_*_tolerance. The
-- deviation is |main - backup| / max(main, backup, backup_floor_wh); only intervals both meters
-- measured count, and an hour or day only when complete on both. Runs on the main meter.

-- vee_rule_backup: findings backup_interval (runs), backup_hour, backup_day for main meter p_meter.
create or replace function smf.vee_rule_backup(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language plpgsql stable set search_path = smf, pg_catalog as $$
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
        from smf.intervals(p_meter, p_from, p_to) m
        join smf.intervals(v_backup, p_from, p_to) b on b.ts = m.ts
        where m.quality = 'measured' and b.quality = 'measured'
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
