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

-- name: web_home
-- Everything the home page /web/uc/{uc} shows, in one round trip (db/functions/535_web.sql):
-- the registration, the billed month, its bill (or why none), the last 24 h of demand and the
-- bills of the last 12 months; no row outside the caller's scope.
select * from smf.web_home(%(uc_code)s);

-- name: web_bill_quality
-- What the bill of the page rests on (db/functions/165_billing_quality.sql): the days below the
-- completeness threshold or under open VEE findings, then the month's row (day null).
select * from smf.billing_data_quality(%(uc_code)s, %(month)s);

-- name: web_bill
-- The bill simulation of the UC's local month %(month)s from its precomputed figures
-- (smf.uc_figures, 180_uc_figures.sql: the stored row when fresh, else computed now): the rows
-- of smf.billing_summary (loss-adjusted; kWh, kW, R$) in their order. SMF04 without figures.
select f.month, b.item, b.posto, b.quantity, b.unit, b.price, b.amount
from smf.uc_figures(%(uc_code)s, %(month)s) f
cross join lateral rows from (jsonb_to_recordset(f.billing) as (item text, posto text,
    quantity numeric, unit text, price numeric, amount numeric)) with ordinality
    as b(item, posto, quantity, unit, price, amount, n)
order by b.n;

-- name: web_bill_history
-- The bills of the local months [%(since)s, %(until)s) in which the main meter %(meter_id)s has
-- readings (its month rollups), from the precomputed figures as web_bill.
select f.month, b.item, b.posto, b.quantity, b.unit, b.price, b.amount
from smf.rollup_month r
cross join lateral smf.uc_figures(%(uc_code)s, r.bucket) f
cross join lateral rows from (jsonb_to_recordset(f.billing) as (item text, posto text,
    quantity numeric, unit text, price numeric, amount numeric)) with ordinality
    as b(item, posto, quantity, unit, price, amount, n)
where r.meter_id = %(meter_id)s and r.bucket >= %(since)s and r.bucket < %(until)s
order by f.month, b.n;

-- name: web_reactive
-- Hourly power factor and excess reactive (UFER, DMCR) of the UC's local month %(month)s.
select h.hour, h.local_hour, h.posto, h.p_kwh, h.q_kvarh, h.power_factor, h.ufer_kwh, h.dmcr_kw
from smf.ufer_dmcr_hourly(%(uc_code)s, %(month)s) h order by h.hour;

-- name: web_session_open
-- As the API's login role (before api_enter): a session for the live key %(key_id)s; its expiry.
select smf.web_session_open(%(token_sha256)s, %(key_id)s, make_interval(secs => %(ttl_s)s)) as expires_at;

-- name: web_session_principal
-- As the API's login role (before api_enter): the lockout wait of %(source)s and the session's
-- account (null columns without an unexpired session of a live key).
select * from smf.web_session_principal(%(token_sha256)s, %(source)s);

-- name: web_session_enter
-- web_session_principal, and in the same round trip api_enter for its account when the address
-- is not locked out and the session is valid: from then on, until the end of the transaction,
-- the page acts as smf_api for that account (row-level security). Otherwise nothing is entered
-- (the caller refuses the request: 429 or the login form).
select p.wait_s, p.account_id, p.account_name, p.role,
       case when p.wait_s <= 0 and p.account_id is not null
            then set_config('role', 'smf_api', true) is not null
                 and set_config('smf.principal', p.account_id::text, true) is not null
            else false end as entered
from smf.web_session_principal(%(token_sha256)s, %(source)s) p;

-- name: web_session_close
select smf.web_session_close(%(token_sha256)s) as closed;
