-- Transformer losses and the energy series of a UC's main meter. Every series returns the raw
-- values (as metered) and the loss-adjusted ones (raw x (1 + factor of smf.transformer_loss valid on
-- the local day)) side by side, so the two are never confused. Forward channels only: active
-- Q1+Q4 (active_fwd), inductive Q1 (reactive_ind_fwd), capacitive Q4 (reactive_cap_fwd).

-- transformer_loss_default: the proposed transformer-loss factor (fraction) for UC p_uc_code from its
-- supply voltage: loss_factor_up_to_threshold (2.5%) up to loss_voltage_threshold_kv (44 kV),
-- loss_factor_above_threshold (1%) above; the setting itself is a row of smf.transformer_loss.
create or replace function smf.transformer_loss_default(p_uc_code text, p_day date default current_date)
returns numeric
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select case when cu.supply_voltage_kv <= smf.rule_param('loss_voltage_threshold_kv', p_day)
                then smf.rule_param('loss_factor_up_to_threshold', p_day)
                else smf.rule_param('loss_factor_above_threshold', p_day) end
    from smf.consumer_unit cu where cu.id = smf.uc_id(p_uc_code)
$$;

-- transformer_loss_factor: the loss factor (fraction) of UC p_uc_code on local day p_day; 0 when
-- no period of smf.transformer_loss covers the day.
create or replace function smf.transformer_loss_factor(p_uc_code text, p_day date) returns numeric
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select coalesce((select factor from smf.transformer_loss
                     where consumer_unit_id = smf.uc_id(p_uc_code) and valid_during @> p_day), 0)
$$;

-- uc_quarter_hours: the labelled 15-minute grid of UC p_uc over [p_from, p_to) joined to the main
-- meter's 15-minute rollups (smf.rollups_15min, any tier): raw and loss-adjusted active (kWh), inductive and capacitive reactive
-- (kvarh); n_present = intervals with a value, n_expected = intervals the grid slot should hold.
-- Missing slots have null energies. Internal building block of the rules below.
create or replace function smf.uc_quarter_hours(p_uc int, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, local_ts timestamp, hour_ts timestamptz, posto text, demand_posto text,
               reactive_window text, reservado boolean, loss_factor numeric,
               p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric,
               p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric,
               n_present int, n_expected int)
language sql stable set search_path = smf, public, pg_catalog set jit = off as $$
    with m as (
        select mt.id, mt.interval_minutes
        from smf.consumer_unit cu join smf.meter mt on mt.id = cu.main_meter_id
        where cu.id = p_uc
    )
    select l.ts, l.local_ts, l.hour_ts, l.posto, l.demand_posto, l.reactive_window, l.reservado, l.loss_factor,
           r.active_fwd_wh / 1000.0, r.reactive_ind_fwd_varh / 1000.0, r.reactive_cap_fwd_varh / 1000.0,
           r.active_fwd_wh / 1000.0 * (1 + l.loss_factor),
           r.reactive_ind_fwd_varh / 1000.0 * (1 + l.loss_factor),
           r.reactive_cap_fwd_varh / 1000.0 * (1 + l.loss_factor),
           coalesce(r.n_measured + r.n_adjusted + r.n_estimated, 0),
           15 / m.interval_minutes
    from m
    cross join smf.uc_quarter_labels(p_uc, p_from, p_to) l
    left join smf.rollups_15min(array[m.id], p_from - interval '15 minutes', p_to) r on r.bucket = l.ts
$$;

-- uc_interval_energy: the main meter's interval series of UC p_uc_code over [p_from, p_to) as
-- stored (5 or 15 minutes): active (kWh), inductive and capacitive reactive (kvarh), raw and
-- loss-adjusted, with the loss factor and the quality of each interval.
create or replace function smf.uc_interval_energy(p_uc_code text, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, quality smf.quality, loss_factor numeric,
               p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric,
               p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select x.ts, x.quality, coalesce(tl.factor, 0),
           x.active_fwd_wh / 1000.0, x.reactive_ind_fwd_varh / 1000.0, x.reactive_cap_fwd_varh / 1000.0,
           x.active_fwd_wh / 1000.0 * (1 + coalesce(tl.factor, 0)),
           x.reactive_ind_fwd_varh / 1000.0 * (1 + coalesce(tl.factor, 0)),
           x.reactive_cap_fwd_varh / 1000.0 * (1 + coalesce(tl.factor, 0))
    from smf.consumer_unit cu
    cross join lateral smf.intervals(cu.main_meter_id, p_from, p_to) x
    left join smf.transformer_loss tl on tl.consumer_unit_id = cu.id
        and tl.valid_during @> (x.ts at time zone smf.local_timezone())::date
    where cu.id = smf.uc_id(p_uc_code)
    order by x.ts
$$;

-- uc_hourly_energy: hourly series (UTC hour start, local hour) of UC p_uc_code over [p_from, p_to):
-- active (kWh), inductive and capacitive reactive (kvarh), raw and loss-adjusted, and how many
-- intervals were present of those expected.
create or replace function smf.uc_hourly_energy(p_uc_code text, p_from timestamptz, p_to timestamptz)
returns table (hour timestamptz, local_hour timestamp,
               p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric,
               p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric,
               n_present int, n_expected int)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select q.hour_ts, min(q.local_ts),
           sum(q.p_kwh_raw), sum(q.q_ind_kvarh_raw), sum(q.q_cap_kvarh_raw),
           sum(q.p_kwh), sum(q.q_ind_kvarh), sum(q.q_cap_kvarh),
           sum(q.n_present)::int, sum(q.n_expected)::int
    from smf.uc_quarter_hours(smf.uc_id(p_uc_code), p_from, p_to) q
    group by q.hour_ts
    order by q.hour_ts
$$;

