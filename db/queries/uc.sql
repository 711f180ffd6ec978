-- Consumer-unit registration (smf uc ..., the API's units): db/functions/090_uc_registry.sql.

-- name: uc_register
select smf.uc_register(%(code)s::text, %(distributor)s::text, %(customer)s::text,
    %(submarket)s::text, %(tariff_group)s::text, %(modality)s::text,
    %(supply_voltage_kv)s::numeric, %(ponta_kw)s::numeric, %(fora_ponta_kw)s::numeric,
    %(musd_kw)s::numeric, %(main_meter)s::text, %(backup_meter)s::text,
    %(loss_factor)s::numeric, %(loss_from)s::date) as uc_code;

-- name: uc_update
select smf.uc_update(%(uc_code)s::text, %(changes)s::jsonb) as uc_code;

-- name: uc_loss_set
select smf.uc_loss_set(%(uc_code)s::text, %(factor)s::numeric, %(from)s::date, %(to)s::date) as written;

-- name: uc_retire
select smf.uc_retire(%(uc_code)s) as retired_at;

-- name: uc_card
select * from smf.uc_card(%(uc_code)s);

-- name: uc_code_complete
select smf.uc_code_complete(%(code)s, %(aneel_code)s) as uc_code;

-- name: uc_list
-- Every UC (retired ones with include_retired), with its meters and the loss factor of today.
select c.* from smf.consumer_unit cu, lateral smf.uc_card(cu.uc_code::text) c
where (%(include_retired)s or cu.retired_at is null)
  and (%(distributor)s::text is null or c.distributor_aneel_code = %(distributor)s)
order by c.distributor_aneel_code, c.uc_code;

-- name: uc_losses
-- Every loss-factor period of a UC (local days, [from, to)).
select lower(valid_during) as valid_from, upper(valid_during) as valid_to, factor
from smf.transformer_loss where consumer_unit_id = smf.uc_id(%(uc_code)s)
order by lower(valid_during);

-- name: uc_card_api
-- uc_card for JSON: kW, kV and the loss factor as float8 (the API's numbers).
select uc_code, distributor_aneel_code, distributor_name, ccee_agent_code, customer_name,
       submarket, tariff_group, modality,
       contracted_demand_ponta_kw::float8 as contracted_demand_ponta_kw,
       contracted_demand_fora_ponta_kw::float8 as contracted_demand_fora_ponta_kw,
       musd_kw::float8 as musd_kw, supply_voltage_kv::float8 as supply_voltage_kv,
       main_meter_serial, backup_meter_serial, loss_factor::float8 as loss_factor,
       loss_valid_from, loss_valid_to, ccee_retail_from, created_at, retired_at
from smf.uc_card(%(uc_code)s);

-- name: uc_list_api
select c.uc_code, c.distributor_aneel_code, c.distributor_name, c.ccee_agent_code,
       c.customer_name, c.submarket, c.tariff_group, c.modality,
       c.contracted_demand_ponta_kw::float8 as contracted_demand_ponta_kw,
       c.contracted_demand_fora_ponta_kw::float8 as contracted_demand_fora_ponta_kw,
       c.musd_kw::float8 as musd_kw, c.supply_voltage_kv::float8 as supply_voltage_kv,
       c.main_meter_serial, c.backup_meter_serial, c.loss_factor::float8 as loss_factor,
       c.loss_valid_from, c.loss_valid_to, c.ccee_retail_from, c.created_at, c.retired_at
from smf.consumer_unit cu, lateral smf.uc_card(cu.uc_code::text) c
where (%(include_retired)s or cu.retired_at is null)
  and (%(distributor)s::text is null or c.distributor_aneel_code = %(distributor)s)
order by c.distributor_aneel_code, c.uc_code;
