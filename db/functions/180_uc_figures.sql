-- Precomputed figures of a UC-month (table smf.uc_month_figures, revision 0016): what the portal,
-- `smf report` and the API show, kept fresh by the writes that change it. Loss-adjusted series
-- (what is billed); months are local months (first day). A stale row is never served: readers
-- compute it live (smf.uc_figures).

-- uc_figures_compute: the figures of UC p_uc in local month p_month, computed now from the rules:
-- energy (kWh, total of the billing summary's energy rows), completeness (%), MUSD verdict, and
-- as JSON arrays of objects the rows of smf.billing_summary_of (R$), of smf.measured_demand (kW),
-- of smf.ufer_dmcr_of (kWh, kW) and the row of smf.musd_check_of. SMF04 (smf.require_cycle) for a
-- month without readings or without a posto schedule.
create or replace function smf.uc_figures_compute(p_uc int, p_month date,
    out energy_kwh numeric, out completeness_pct numeric, out musd_verdict text, out billing jsonb,
    out demand jsonb, out ufer_dmcr jsonb, out musd jsonb)
language plpgsql stable set search_path = smf, pg_catalog set jit = off as $$
declare
    v_code text;
begin
    perform smf.require_cycle(p_uc, p_month);
    select cu.uc_code into v_code from smf.consumer_unit cu where cu.id = p_uc;
    select jsonb_agg(to_jsonb(b) - 'ordinality' order by b.ordinality),
           sum(b.quantity) filter (where b.item = 'energy'),
           max(b.quantity) filter (where b.item = 'completeness')
    into billing, energy_kwh, completeness_pct
    from smf.billing_summary_of(p_uc, p_month, true) with ordinality b;
    select jsonb_agg(to_jsonb(d) - 'ordinality' order by d.ordinality) into demand
    from smf.measured_demand(v_code, p_month, true) with ordinality d;
    select jsonb_agg(to_jsonb(u) - 'ordinality' order by u.ordinality) into ufer_dmcr
    from smf.ufer_dmcr_of(p_uc, p_month, true) with ordinality u;
    select to_jsonb(m), m.verdict into musd, musd_verdict
    from smf.musd_check_of(p_uc, p_month, smf.musd_factor_checked(null, p_month), true) m;
end
$$;

-- uc_figures_refresh: recompute and store the figures of UC p_uc, month p_month (any day of it):
-- true when stored, false when the month has no figures (no readings, no posto schedule: the row
-- is removed). Locks the row first, so a write that marks it stale meanwhile is never lost.
create or replace function smf.uc_figures_refresh(p_uc int, p_month date) returns boolean
language plpgsql volatile set search_path = smf, pg_catalog set jit = off as $$
declare
    v_month date := date_trunc('month', p_month)::date;
    f record;
begin
    insert into smf.uc_month_figures (consumer_unit_id, month) values (p_uc, v_month)
    on conflict (consumer_unit_id, month) do update set stale = true;  -- takes the row lock
    begin
        f := smf.uc_figures_compute(p_uc, v_month);
    exception when sqlstate 'SMF04' then
        delete from smf.uc_month_figures where consumer_unit_id = p_uc and month = v_month;
        return false;
    end;
    update smf.uc_month_figures
    set stale = false, computed_at = clock_timestamp(), energy_kwh = f.energy_kwh,
        completeness_pct = f.completeness_pct, musd_verdict = f.musd_verdict, billing = f.billing,
        demand = f.demand, ufer_dmcr = f.ufer_dmcr, musd = f.musd
    where consumer_unit_id = p_uc and month = v_month;
    return true;
end
$$;

-- uc_figures_mark_stale: mark stale the figures of every UC whose main meter is in p_meters, for
-- the local months p_from_month .. p_to_month (first days); rows are created when absent, so a
-- month with new data gets its figures at the next refresh. Returns the rows marked.
create or replace function smf.uc_figures_mark_stale(p_meters int[], p_from_month date[], p_to_month date[])
returns int
language sql volatile set search_path = smf, pg_catalog as $$
    with t as (
        select distinct cu.id as uc, m::date as month
        from unnest(p_meters, p_from_month, p_to_month) as x(meter_id, lo, hi)
        join smf.consumer_unit cu on cu.main_meter_id = x.meter_id
        cross join generate_series(date_trunc('month', x.lo), date_trunc('month', x.hi), interval '1 month') m
        order by 1, 2  -- rows locked in one order: concurrent writers cannot deadlock here
    ), up as (
        insert into smf.uc_month_figures (consumer_unit_id, month)
        select uc, month from t
        on conflict (consumer_unit_id, month) do update set stale = true
        returning 1
    )
    select count(*)::int from up
$$;

-- uc_figures_mark_stale_scope: uc_figures_mark_stale over the meters and local months of
-- pg_temp.rollup_scope (what smf.rollup_refresh is recomputing). Called by smf.rollup_refresh.
create or replace function smf.uc_figures_mark_stale_scope() returns int
language plpgsql volatile set search_path = smf, pg_temp, pg_catalog as $$
begin
    return smf.uc_figures_mark_stale(array_agg(meter_id), array_agg(lo_m), array_agg(hi_m))
    from pg_temp.rollup_scope;
end
$$;

-- uc_figures_refresh_stale: refresh up to p_limit stale UC-months (newest months first), skipping
-- rows another transaction holds; the number refreshed (stored or removed).
create or replace function smf.uc_figures_refresh_stale(p_limit int) returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    r record;
    n int := 0;
begin
    for r in select f.consumer_unit_id, f.month from smf.uc_month_figures f
             where f.stale order by f.month desc, f.consumer_unit_id
             limit greatest(p_limit, 0) for update skip locked loop
        perform smf.uc_figures_refresh(r.consumer_unit_id, r.month);
        n := n + 1;
    end loop;
    return n;
end
$$;

-- uc_figures_refresh_after_write: the ingest's step (smf.ingest_finish): refresh in the writer's
-- transaction up to smf.setting 'uc_figures_sync_max' (50) stale rows; the rest wait for the
-- uc_figures job and are computed live by readers meanwhile.
create or replace function smf.uc_figures_refresh_after_write() returns int
language sql volatile set search_path = smf, pg_catalog as $$
    select smf.uc_figures_refresh_stale(
        coalesce((select value::int from smf.setting where key = 'uc_figures_sync_max'), 50))
$$;

-- uc_figures: the figures of UC p_uc_code for local month p_month as readers get them: the stored
-- row when fresh (fresh true, computed_at its stamp), else computed now (fresh false, computed_at
-- now). Columns as smf.uc_month_figures (kWh, %, R$, kW). SMF04 for an unknown UC or a month
-- without figures. Row-level security applies (security invoker).
create or replace function smf.uc_figures(p_uc_code text, p_month date)
returns table (uc_code text, month date, fresh boolean, computed_at timestamptz, energy_kwh numeric,
               completeness_pct numeric, musd_verdict text, billing jsonb, demand jsonb,
               ufer_dmcr jsonb, musd jsonb)
language plpgsql stable set search_path = smf, pg_catalog set jit = off as $$
declare
    v_uc int := smf.uc_id(p_uc_code);
    v_month date := date_trunc('month', p_month)::date;
    f record;
begin
    return query
    select p_uc_code, v_month, true, s.computed_at, s.energy_kwh, s.completeness_pct, s.musd_verdict,
           s.billing, s.demand, s.ufer_dmcr, s.musd
    from smf.uc_month_figures s
    where s.consumer_unit_id = v_uc and s.month = v_month and not s.stale;
    if found then
        return;
    end if;
    f := smf.uc_figures_compute(v_uc, v_month);
    return query select p_uc_code, v_month, false, now(), f.energy_kwh, f.completeness_pct,
                        f.musd_verdict, f.billing, f.demand, f.ufer_dmcr, f.musd;
end
$$;

-- uc_figures_invalidate: trigger; marks stale the stored figures a change of registration or of
-- a rule's data can alter: consumer_unit and transformer_loss rows (that UC), meter rows (the UCs
-- it is the main meter of), tariff and posto_schedule rows (the UCs of the distributor), and any
-- change of holidays, calendars, rule parameters or the local time zone (every row). Security
-- definer: a role that may change a UC (smf_api) marks its figures stale without any grant on
-- smf.uc_month_figures, and sees every UC a meter row belongs to (not only its scope's).
create or replace function smf.uc_figures_invalidate() returns trigger
language plpgsql volatile security definer set search_path = smf, pg_catalog as $$
declare
    v_new jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
    v_old jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
    v_ids int[];
begin
    if tg_level = 'STATEMENT' or tg_table_name = 'setting' then
        update smf.uc_month_figures set stale = true where not stale;
        return null;
    end if;
    if tg_table_name = 'consumer_unit' then
        v_ids := array[(coalesce(v_new, v_old) ->> 'id')::int];
    elsif tg_table_name = 'transformer_loss' then
        v_ids := array[(v_new ->> 'consumer_unit_id')::int, (v_old ->> 'consumer_unit_id')::int];
    elsif tg_table_name = 'meter' then
        select array_agg(cu.id) into v_ids from smf.consumer_unit cu
        where cu.main_meter_id = (v_new ->> 'id')::int;
    else  -- tariff, posto_schedule: every UC of the distributor
        select array_agg(cu.id) into v_ids from smf.consumer_unit cu
        where cu.distributor_id in ((v_new ->> 'distributor_id')::int, (v_old ->> 'distributor_id')::int);
    end if;
    update smf.uc_month_figures set stale = true where not stale and consumer_unit_id = any (v_ids);
    return null;
end
$$;

do $$
declare
    t text;
begin
    foreach t in array array['consumer_unit', 'transformer_loss', 'tariff', 'posto_schedule'] loop
        execute format('drop trigger if exists uc_figures_invalidate on smf.%I', t);
        execute format('create trigger uc_figures_invalidate after insert or update or delete on smf.%I'
                       ' for each row execute function smf.uc_figures_invalidate()', t);
    end loop;
    drop trigger if exists uc_figures_invalidate on smf.meter;
    create trigger uc_figures_invalidate after update of interval_minutes on smf.meter
        for each row execute function smf.uc_figures_invalidate();
    foreach t in array array['holiday', 'calendar', 'rule_parameter'] loop
        execute format('drop trigger if exists uc_figures_invalidate on smf.%I', t);
        execute format('create trigger uc_figures_invalidate after insert or update or delete or truncate'
                       ' on smf.%I for each statement execute function smf.uc_figures_invalidate()', t);
    end loop;
    drop trigger if exists uc_figures_invalidate on smf.setting;
    create trigger uc_figures_invalidate after update or delete on smf.setting
        for each row when (old.key = 'local_timezone') execute function smf.uc_figures_invalidate();
end
$$;
