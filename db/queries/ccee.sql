-- name: ccee_build
-- One row per UC id: code, agent, the 288 stamps/Wh/tipoConsumo, hold reasons, warnings.
select * from smf.ccee_build(%(uc_ids)s::int[], %(day)s::date, %(now)s::timestamptz);

-- name: ccee_uc_ids
-- The ids of the given UC codes (unknown codes raise SMF04 via smf.uc_id).
select smf.uc_id(c) as id from unnest(%(uc_codes)s::text[]) c;
