-- The client web view (api/pages/). Every query runs as smf_api with the principal set
-- (api_enter), so row-level security filters what it returns: another UC's rows are not there.

-- name: web_units
select u.uc_code::text as uc_code, u.customer_name
from smf.consumer_unit u where u.retired_at is null order by u.uc_code;

-- name: web_unit
select u.uc_code::text as uc_code, u.customer_name, u.tariff_group, u.modality,
       d.name as distributor_name, d.aneel_code::text as distributor_aneel_code,
       u.contracted_demand_ponta_kw, u.contracted_demand_fora_ponta_kw,
       m.id as meter_id, m.serial as meter_serial, m.manufacturer as meter_manufacturer,
       m.model as meter_model,
       smf.interval_last_ts(array[m.id], 'infinity', null) as last_ts,
       smf.local_timezone() as tz
from smf.consumer_unit u
join smf.distributor d on d.id = u.distributor_id
left join smf.meter m on m.id = u.main_meter_id
where u.uc_code = %(uc_code)s;

-- name: web_bill_quality
-- What the bill of the page rests on (db/functions/165_billing_quality.sql): the days below the
-- completeness threshold or under open VEE findings, then the month's row (day null).
select * from smf.billing_data_quality(%(uc_code)s, %(month)s);

-- name: web_bill
-- The billing summary (smf.billing_summary, 160_billing.sql) of the UC's local month %(month)s.
select b.month, b.item, b.posto, b.quantity, b.unit, b.price, b.amount
from smf.billing_summary(%(uc_code)s, %(month)s) b;

-- name: web_bill_history
-- Billing summaries of the local months [%(since)s, %(until)s) in which the main meter has readings.
select b.month, b.item, b.posto, b.quantity, b.unit, b.price, b.amount
from (select distinct date_trunc('month', r.ts at time zone smf.local_timezone())::date as month
      from smf.intervals(%(meter_id)s::int, smf.local_month_start(%(since)s),
                         smf.local_month_start(%(until)s)) r) m
cross join lateral smf.billing_summary(%(uc_code)s, m.month) b
order by b.month;

-- name: web_demand
-- 15-minute demand (kW, loss-adjusted) of the UC over [%(lo)s, %(hi)s).
select d.ts, d.local_ts, d.demand_posto, d.demand_kw
from smf.demand_series(%(uc_code)s, %(lo)s, %(hi)s) d order by d.ts;

-- name: web_reactive
-- Hourly power factor and excess reactive (UFER, DMCR) of the UC's local month %(month)s.
select h.hour, h.local_hour, h.posto, h.p_kwh, h.q_kvarh, h.power_factor, h.ufer_kwh, h.dmcr_kw
from smf.ufer_dmcr_hourly(%(uc_code)s, %(month)s) h order by h.hour;
