-- name: upsert_distributor
insert into smf.distributor (ccee_agent_code, aneel_code, name)
values (%(ccee_agent_code)s, %(aneel_code)s, %(name)s)
on conflict (ccee_agent_code) do update set name = excluded.name
returning id;

-- name: upsert_meter
insert into smf.meter (serial, manufacturer, model, protocol, interval_minutes, channel_map,
                       channel_constants, utc_offset_minutes, transport, max_power_kw)
values (%(serial)s, %(manufacturer)s, %(model)s, %(protocol)s, %(interval_minutes)s,
        %(channel_map)s, %(channel_constants)s, %(utc_offset_minutes)s, %(transport)s,
        %(max_power_kw)s)
on conflict (serial) do update set transport = excluded.transport
returning id;

-- name: upsert_consumer_unit
insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket, tariff_group,
    modality, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw, musd_kw,
    supply_voltage_kv, main_meter_id)
values (smf.uc_code_with_check_digits(%(sequential)s, %(aneel_code)s::int), %(distributor_id)s,
        %(customer_name)s, %(submarket)s, %(tariff_group)s, %(modality)s, %(ponta_kw)s,
        %(fora_ponta_kw)s, %(musd_kw)s, %(supply_voltage_kv)s, %(main_meter_id)s)
on conflict (uc_code) do update set customer_name = excluded.customer_name
returning id, uc_code;

-- name: month_summary_per_uc
-- Energy (kWh), completeness (percent) and maximum 15-minute demand (kW) of each UC's main meter.
select u.uc_code, u.customer_name, d.name as distributor, m.serial,
       round(r.active_fwd_wh / 1000.0, 3) as energy_kwh,
       round(100.0 * (r.n_measured + r.n_adjusted + r.n_estimated) / r.n_expected, 2)
           as completeness_pct,
       r.max_demand_kw,
       r.max_demand_at
from smf.consumer_unit u
join smf.distributor d on d.id = u.distributor_id
join smf.meter m on m.id = u.main_meter_id
left join smf.rollup_month r on r.meter_id = m.id and r.bucket = %(month)s
order by u.uc_code;
