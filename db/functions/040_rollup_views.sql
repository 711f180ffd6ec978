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

-- Views are replaced in place (`create or replace view`), so analysts' own views over them survive
-- a re-application. Where the shape changes (a column renamed, retyped or removed), the view is
-- dropped and re-created if nothing depends on it; otherwise the migration fails with SMF02 naming
-- the dependent objects (drop or adapt them, migrate, re-create them). Say so in the revision
-- that changes the shape.
do $$
declare
    v record;
    v_sql text;
    v_deps text;
begin
    for v in select * from (values
        ('meter_15min', 'rollup_15min_all', 'r.bucket'),  -- hot rows and sealed periods
        ('meter_hourly', 'rollup_hour_all', 'r.bucket'),
        ('meter_daily', 'rollup_day', '(r.bucket::timestamp at time zone smf.local_timezone())'),
        ('meter_monthly', 'rollup_month', '(r.bucket::timestamp at time zone smf.local_timezone())'))
        as t(name, tbl, start)
    loop
        v_sql := smf.rollup_view_sql(v.tbl, v.start);
        begin
            execute format('create or replace view smf.%I as %s', v.name, v_sql);
        exception when invalid_table_definition or feature_not_supported
                       or datatype_mismatch then
            select string_agg(distinct dep.oid::regclass::text, ', ') into v_deps
            from pg_depend d
            join pg_rewrite rw on rw.oid = d.objid
            join pg_class dep on dep.oid = rw.ev_class
            where d.classid = 'pg_rewrite'::regclass
              and d.refobjid = format('smf.%I', v.name)::regclass
              and dep.oid <> format('smf.%I', v.name)::regclass;
            if v_deps is not null then
                raise exception using errcode = 'SMF02',
                    message = format('view smf.%s changes shape and these objects depend on it: '
                                     '%s; drop them, run `smf db migrate`, then re-create them',
                                     v.name, v_deps);
            end if;
            execute format('drop view smf.%I', v.name);
            execute format('create view smf.%I as %s', v.name, v_sql);
        end;
    end loop;
end
$$;
