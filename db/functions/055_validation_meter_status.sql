-- VEE rules from what the poller logged about the meter: clock and interval-length problems
-- (smf.meter_event clock kinds, rows quarantined off the interval grid), and meter status
-- (supply outages from smf.meter_outage, serial changes and plausibility contradictions, battery
-- conditions when an event's detail carries a "battery" key). Findings for meter p_meter over
-- [p_from, p_to); point events get ts_from = ts_to = the event time and the event as subject
-- ('event N': two events logged at one instant are two findings).

-- vee_rule_clock: clock corrections and large drifts logged by the poller, and rows of the meter
-- quarantined by the ingest as off the interval grid (one finding per local day).
create or replace function smf.vee_rule_clock(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, subject text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language sql stable set search_path = smf, pg_catalog as $$
    select 'clock', format('event %s', e.id), e.at, e.at, case when e.kind = 'clock_drift_large' then 'error' else 'warning' end,
           format('%s: %s', e.kind, e.message)
    from smf.meter_event e
    where e.meter_id = p_meter and e.at >= p_from and e.at < p_to
      and e.kind in ('clock_corrected', 'clock_drift_large')
    union all
    select 'interval_length', '', min(q.ts), max(q.ts), 'error',
           format('%s row(s) off the %s-minute grid quarantined on %s (first at %s local)', count(*),
                  min(m.interval_minutes), smf.vee_local_day(min(q.ts)), smf.vee_fmt_local(min(q.ts)))
    from smf.ingest_quarantine q join smf.meter m on m.serial = q.meter_ref or m.id::text = q.meter_ref
    where m.id = p_meter and q.reason = 'off_grid' and q.ts >= p_from and q.ts < p_to
    group by smf.vee_local_day(q.ts)
$$;

-- vee_rule_meter_status: outages of at least outage_min_minutes overlapping the range (an open
-- outage ends at p_to), serial changes, plausibility contradictions and battery conditions.
create or replace function smf.vee_rule_meter_status(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, subject text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_tz text := smf.local_timezone();
    v_min numeric := smf.vee_param('outage_min_minutes', p_meter, smf.vee_local_day(p_from));
begin
    return query
    select 'outage', '', o.start_at, coalesce(o.end_at, greatest(p_to, o.start_at)), 'warning',
           format('supply outage reported by the meter from %s to %s (local)%s',
                  to_char((o.start_at) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), coalesce(to_char((o.end_at) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), 'still open'),
                  coalesce(', ' || round(extract(epoch from o.end_at - o.start_at) / 60.0, 1) || ' min', ''))
    from smf.meter_outage o
    where o.meter_id = p_meter and o.start_at < p_to and coalesce(o.end_at, p_to) >= p_from
      and coalesce(extract(epoch from o.end_at - o.start_at) / 60.0, v_min) >= v_min
    union all
    select 'meter_status', format('event %s', e.id), e.at, e.at,
           case when e.kind = 'serial_changed' then 'error' else 'warning' end,
           format('%s: %s', case when e.detail ? 'battery' then 'battery' else e.kind end, e.message)
    from smf.meter_event e
    where e.meter_id = p_meter and e.at >= p_from and e.at < p_to
      and (e.kind in ('serial_changed', 'plausibility_contradiction') or e.detail ? 'battery');
end
$$;
