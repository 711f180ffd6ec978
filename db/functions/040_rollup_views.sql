-- Analyst- and Grafana-facing views over the rollup tables: engineering units (kWh, kvarh, V, A,
-- kW), means computed from the exact sums, and completeness. One view per level, same columns:
-- smf.meter_15min, smf.meter_hourly, smf.meter_daily, smf.meter_monthly.

-- rollup_view_sql: the select of one analyst view over rollup table p_table; p_start is the SQL
-- expression of the bucket's start instant (timestamptz).
create or replace function smf.rollup_view_sql(p_table text, p_start text) returns text
language sql immutable parallel safe set search_path = smf, pg_catalog as $$
    select format(
        'select r.meter_id, m.serial, %s as bucket_start, %s, '
        'round(100.0 * (r.n_measured + r.n_adjusted + r.n_estimated) / r.n_expected, 2) '
        'as completeness_pct, r.n_measured, r.n_adjusted, r.n_estimated, r.n_missing, '
        'r.n_expected, %s, r.max_demand_kw, r.max_demand_at '
        'from smf.%I r join smf.meter m on m.id = r.meter_id',
        p_start,
        (select string_agg(format('(r.%I / 1000.0)::numeric(18,3) as %I', c,
                                  regexp_replace(c, '_(wh|varh)$', '_k\1')), ', ')
         from unnest(smf.energy_columns()) c),
        (select string_agg(format(
            '(r.%1$I / 1000.0)::numeric(12,3) as %2$I_min, '
            '(r.%3$I / 1000.0)::numeric(12,3) as %2$I_max, '
            'round(r.%4$I / nullif(r.%5$I, 0) / 1000.0, 3) as %2$I_mean',
            c || '_min', regexp_replace(c, '_m(v|a)$', '_\1'), c || '_max', c || '_sum', c || '_n'),
            ', ')
         from unnest(smf.analog_columns()) c),
        p_table)
$$;

-- Views are dropped and re-created (not `create or replace`): a changed column type or order
-- would otherwise make the re-application fail.
do $$
declare
    v record;
begin
    for v in select * from (values
        ('meter_15min', 'rollup_15min', 'r.bucket'),
        ('meter_hourly', 'rollup_hour', 'r.bucket'),
        ('meter_daily', 'rollup_day', '(r.bucket::timestamp at time zone smf.local_timezone())'),
        ('meter_monthly', 'rollup_month', '(r.bucket::timestamp at time zone smf.local_timezone())'))
        as t(name, tbl, start)
    loop
        execute format('drop view if exists smf.%I', v.name);
        execute format('create view smf.%I as %s', v.name, smf.rollup_view_sql(v.tbl, v.start));
    end loop;
end
$$;
