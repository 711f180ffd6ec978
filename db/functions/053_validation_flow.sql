-- VEE rule on the direction of energy: reverse active flow on a UC that does not generate
-- (smf.consumer_unit_class.has_generation false or no row). Findings for meter p_meter over
-- [p_from, p_to), written by smf.vee_validate.

-- vee_rule_reverse_flow: runs of intervals with reverse active energy >= reverse_min_wh on a
-- meter (main or backup) of a UC without generation; meters that serve no UC are not judged.
create or replace function smf.vee_rule_reverse_flow(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language plpgsql stable set search_path = smf, pg_catalog as $$
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
          from smf.intervals(p_meter, p_from, p_to) r
          where r.quality <> 'missing' and r.active_rev_wh >= v_min) z
    group by z.island;
end
$$;
