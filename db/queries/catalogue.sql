-- The SQL catalogue (db/catalogue.py, db/functions/998_catalogue.sql).

-- name: catalogue_month_overloads
select smf.catalogue_month_overloads() as overloads;

-- name: catalogue_apply
select smf.catalogue_apply(%(items)s::jsonb) as comments;

-- name: catalogue_missing
-- Functions and views of smf and smf_read without a COMMENT ON (no banner in db/functions).
select kind, schema, name, identity from smf.catalogue where description is null
order by schema, name, identity;

-- name: catalogue_rows
select kind, schema, name, identity, arguments, result, language, volatility, description
from smf.catalogue order by schema, kind, name, identity;
