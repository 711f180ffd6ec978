-- Consumer-unit registration (smf uc ..., the API's units): db/functions/090_uc_registry.sql.

-- name: uc_register
select smf.uc_register(%(code)s, %(distributor)s, %(customer)s, %(submarket)s, %(tariff_group)s,
    %(modality)s, %(supply_voltage_kv)s, %(ponta_kw)s, %(fora_ponta_kw)s, %(musd_kw)s,
    %(main_meter)s, %(backup_meter)s, %(loss_factor)s, %(loss_from)s::date) as uc_code;

-- name: uc_update
select smf.uc_update(%(uc_code)s, %(changes)s::jsonb) as uc_code;

-- name: uc_loss_set
select smf.uc_loss_set(%(uc_code)s, %(factor)s, %(from)s::date, %(to)s::date) as written;

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
