-- Precomputed UC-month figures (db/functions/180_uc_figures.sql), called from db/figures.py.

-- name: figures_refresh_stale
select smf.uc_figures_refresh_stale(%(limit)s) as n;

-- name: figures_stale_count
select count(*)::int as n from smf.uc_month_figures where stale;

-- name: figures_of
select * from smf.uc_figures(%(uc_code)s, %(month)s);

-- name: figures_billing
select f.fresh, f.computed_at, b.*
from smf.uc_figures(%(uc_code)s, %(month)s) f
cross join lateral jsonb_to_recordset(f.billing) as b(uc_code text, month date, item text, posto text,
    quantity numeric, unit text, price numeric, amount numeric);

-- name: figures_musd
select m.*
from smf.uc_figures(%(uc_code)s, %(month)s) f
cross join lateral jsonb_to_record(f.musd) as m(uc_code text, month date, musd_kw numeric,
    factor numeric, limit_kwh numeric, hours_with_data int, hours_over int, max_kwh numeric,
    verdict text);
