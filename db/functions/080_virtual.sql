-- Virtual meters: a formula over meters' energy channels, parsed outside the database into a JSON
-- tree ({"num": "0.98"}, {"meter": "serial", "channel": "active_fwd"}, {"op": "+|-|*|/",
-- "args": [a, b]}, {"op": "neg", "args": [a]}) and compiled here to a SQL expression over the
-- stored intervals. A leaf naming another virtual meter is expanded (its version valid on the
-- day asked), so circular definitions are refused. Values in kWh (numeric); quality of a virtual
-- interval = the worst of its inputs (measured < adjusted < estimated < missing); a division by
-- zero or a missing input gives a missing value. Validity is by local date.

-- virtual_expand: p_tree with meters resolved to {"meter_id", "column", "minutes"} and virtual
-- meters expanded as valid on p_day; p_path: the virtual meters being expanded (cycle check).
-- SMF04 for an unknown meter, SMF02 for a circular definition or a bad node.
create or replace function smf.virtual_expand(p_tree jsonb, p_day date, p_path text[] default '{}')
returns jsonb
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_meter record;
    v_virtual record;
begin
    if p_tree ? 'num' then
        return jsonb_build_object('num', (p_tree ->> 'num')::numeric);
    elsif p_tree ? 'op' then
        if p_tree ->> 'op' not in ('+', '-', '*', '/', 'neg') then
            raise exception using errcode = 'SMF02', message = format('unknown operator %s', p_tree -> 'op');
        end if;
        return jsonb_build_object('op', p_tree ->> 'op', 'args',
            (select jsonb_agg(smf.virtual_expand(a, p_day, p_path) order by o)
             from jsonb_array_elements(p_tree -> 'args') with ordinality x(a, o)));
    elsif p_tree ? 'meter' then
        if (p_tree ->> 'meter') = any (p_path) then
            raise exception using errcode = 'SMF02',
                message = format('circular definition: %s -> %s', array_to_string(p_path, ' -> '), p_tree ->> 'meter');
        end if;
        select id, interval_minutes into v_meter from smf.meter where serial = p_tree ->> 'meter';
        if found then
            if smf.vee_channel_column(p_tree ->> 'channel') <> all (smf.energy_columns()) then
                raise exception using errcode = 'SMF02',
                    message = format('channel %s of meter %s is not an energy channel', p_tree ->> 'channel',
                                     p_tree ->> 'meter');
            end if;
            return jsonb_build_object('meter_id', v_meter.id, 'minutes', v_meter.interval_minutes,
                                      'column', smf.vee_channel_column(p_tree ->> 'channel'));
        end if;
        select * into v_virtual from smf.virtual_meter
        where name = p_tree ->> 'meter' and valid_during @> p_day;
        if not found then
            raise exception using errcode = 'SMF04',
                message = format('unknown meter %s in the formula (no meter serial or virtual meter valid on %s)',
                                 p_tree ->> 'meter', p_day);
        end if;
        return smf.virtual_expand(v_virtual.tree, p_day, p_path || (p_tree ->> 'meter'));
    end if;
    raise exception using errcode = 'SMF02', message = format('bad formula node %s', p_tree);
end
$$;

-- virtual_inputs: the distinct (meter_id, column, minutes) leaves of an expanded tree, in order.
create or replace function smf.virtual_inputs(p_expanded jsonb)
returns table (k int, meter_id int, col text, minutes int)
language sql immutable set search_path = smf, pg_catalog as $$
    select (row_number() over (order by l.meter_id, l.col))::int, l.meter_id, l.col, l.minutes
    from (select distinct (x ->> 'meter_id')::int as meter_id, x ->> 'column' as col, (x ->> 'minutes')::int as minutes
          from jsonb_path_query(p_expanded, 'strict $.**') x
          where jsonb_typeof(x) = 'object' and x ? 'meter_id') l
$$;

-- virtual_sql: the SQL expression (kWh, numeric) of an expanded tree; input k is read from the
-- join alias r<k> (see virtual_inputs); a / b becomes a / nullif(b, 0).
create or replace function smf.virtual_sql(p_expanded jsonb, p_inputs jsonb)
returns text
language plpgsql immutable set search_path = smf, pg_catalog as $$
declare
    v_args text[];
begin
    if p_expanded ? 'num' then
        return format('(%s::numeric)', (p_expanded ->> 'num')::numeric);
    elsif p_expanded ? 'meter_id' then
        return format('(case when r%1$s.quality <> ''missing'' then r%1$s.%2$I / 1000.0 end)',
            (select (i ->> 'k')::int from jsonb_array_elements(p_inputs) i
             where (i ->> 'meter_id')::int = (p_expanded ->> 'meter_id')::int and i ->> 'col' = p_expanded ->> 'column'),
            p_expanded ->> 'column');
    end if;
    select array_agg(smf.virtual_sql(a, p_inputs) order by o) into v_args
    from jsonb_array_elements(p_expanded -> 'args') with ordinality x(a, o);
    return case p_expanded ->> 'op'
        when 'neg' then format('(- %s)', v_args[1])
        when '/' then format('(%s / nullif(%s, 0))', v_args[1], v_args[2])
        else format('(%s %s %s)', v_args[1], p_expanded ->> 'op', v_args[2]) end;
end
$$;

-- virtual_define: store virtual meter p_name (formula text and its parsed tree) valid on local
-- days [p_from, p_to) (p_to null = open); refuses unknown meters, circular definitions, inputs
-- of different interval lengths and overlapping versions. Returns the id.
create or replace function smf.virtual_define(p_name text, p_formula text, p_tree jsonb, p_from date,
                                              p_to date default null, p_channel text default 'active_fwd')
returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_expanded jsonb;
    v_minutes int[];
    v_id int;
begin
    if exists (select 1 from smf.meter where serial = p_name) then
        raise exception using errcode = 'SMF02',
            message = format('%s is the serial of a physical meter; choose another name', p_name);
    end if;
    v_expanded := smf.virtual_expand(p_tree, p_from, array[p_name]);
    select array_agg(distinct i.minutes) into v_minutes from smf.virtual_inputs(v_expanded) i;
    if v_minutes is null then
        raise exception using errcode = 'SMF02', message = format('formula %L names no meter', p_formula);
    end if;
    if cardinality(v_minutes) > 1 then
        raise exception using errcode = 'SMF02',
            message = format('the meters of %s have different interval lengths (%s minutes): %s',
                             p_name, array_to_string(v_minutes, ', '),
                             (select string_agg(format('%s %s min', m.serial, m.interval_minutes), ', ')
                              from smf.meter m where m.id in (select i.meter_id from smf.virtual_inputs(v_expanded) i)));
    end if;
    insert into smf.virtual_meter (name, channel, formula, tree, interval_minutes, valid_during)
    values (p_name, p_channel, p_formula, p_tree, v_minutes[1], daterange(p_from, p_to))
    returning id into v_id;
    return v_id;
end
$$;

-- virtual_series: the intervals of virtual meter p_name in [p_from, p_to) (UTC starts): value in
-- kWh (null = missing) and quality (worst of the inputs; missing when the value is null).
create or replace function smf.virtual_series(p_name text, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, value_kwh numeric, quality smf.quality)
language plpgsql stable set search_path = smf, pg_catalog
set jit = off
as $$
declare
    v record;
    v_expanded jsonb;
    v_inputs jsonb;
    v_step interval;
    v_lo timestamptz;
    v_hi timestamptz;
    v_joins text;
    v_quality text;
begin
    if not exists (select 1 from smf.virtual_meter where name = p_name) then
        raise exception using errcode = 'SMF04', message = format('no virtual meter %L', p_name);
    end if;
    for v in select * from smf.virtual_meter
             where name = p_name and valid_during && daterange(smf.vee_local_day(p_from), smf.vee_local_day(p_to) + 1)
             order by lower(valid_during) loop
        v_step := make_interval(mins => v.interval_minutes);
        v_lo := smf.vee_grid_up(greatest(p_from, smf.vee_day_start(lower(v.valid_during))), v_step);
        v_hi := least(p_to, coalesce(smf.vee_day_start(upper(v.valid_during)), p_to));
        continue when v_hi <= v_lo;
        v_expanded := smf.virtual_expand(v.tree, lower(v.valid_during), array[p_name]);
        select jsonb_agg(to_jsonb(i)) into v_inputs from smf.virtual_inputs(v_expanded) i;
        select string_agg(format('left join smf.intervals(%2$s, %3$L, %4$L) r%1$s on r%1$s.ts = g.ts',
                                 i.k, i.meter_id, v_lo, v_hi), ' '),
               format('greatest(%s)', string_agg(format('coalesce(r%s.quality, ''missing'')', i.k), ', '))
        into v_joins, v_quality
        from smf.virtual_inputs(v_expanded) i;
        return query execute format(
            'select g.ts, x.v, case when x.v is null then ''missing''::smf.quality else x.q end '
            'from generate_series(%L::timestamptz, %L::timestamptz - %L::interval, %L::interval) g(ts) %s, '
            'lateral (select round(%s, 6) as v, %s as q) x order by g.ts',
            v_lo, v_hi, v_step, v_step, v_joins, smf.virtual_sql(v_expanded, v_inputs), v_quality);
    end loop;
end
$$;

-- virtual_rollup: the series of virtual meter p_name summed per p_resolution ('interval',
-- '15min', 'hour': UTC buckets; 'day', 'month': local), with the worst quality, the number of
-- intervals and of missing ones. bucket_start is the bucket's first instant.
create or replace function smf.virtual_rollup(p_name text, p_from timestamptz, p_to timestamptz,
                                              p_resolution text default 'hour')
returns table (bucket_start timestamptz, value_kwh numeric, quality smf.quality, n_intervals int, n_missing int)
language plpgsql stable set search_path = smf, public, pg_catalog as $$
declare
    v_tz text := smf.local_timezone();
begin
    if p_resolution not in ('interval', '15min', 'hour', 'day', 'month') then
        raise exception using errcode = 'SMF02',
            message = format('resolution %L is not interval, 15min, hour, day or month', p_resolution);
    end if;
    return query
    select b.bucket, sum(s.value_kwh), max(s.quality), count(*)::int, count(*) filter (where s.value_kwh is null)::int
    from smf.virtual_series(p_name, p_from, p_to) s,
         lateral (select case p_resolution
             when 'interval' then s.ts
             when '15min' then time_bucket('15 minutes', s.ts)
             when 'hour' then date_trunc('hour', s.ts)
             when 'day' then (s.ts at time zone v_tz)::date::timestamp at time zone v_tz
             else date_trunc('month', s.ts at time zone v_tz) at time zone v_tz end as bucket) b
    group by b.bucket order by b.bucket;
end
$$;

-- distributor_month_summary: per market (free, captive) of distributor p_aneel_code (ANEEL code)
-- in local month p_month: UCs, consumption (active forward kWh of the main meters), generation
-- (reverse kWh of UCs that generate), the billing total (R$, sum of smf.billing_summary_of 'total'
-- over the UCs that can be billed) and how many UCs were billed; completeness of the data (%).
create or replace function smf.distributor_month_summary(p_aneel_code text, p_month date)
returns table (market text, ucs int, consumption_kwh numeric, generation_kwh numeric,
               billing_total numeric, ucs_billed int, completeness_pct numeric)
language plpgsql stable set search_path = smf, public, pg_catalog as $$
declare
    v_dist int;
    v_month date := date_trunc('month', p_month)::date;
begin
    select id into v_dist from smf.distributor where aneel_code = p_aneel_code;
    if v_dist is null then
        raise exception using errcode = 'SMF04', message = format('no distributor with ANEEL code %L', p_aneel_code);
    end if;
    return query
    with u as (
        select cu.id, coalesce(c.market, 'free') as market, coalesce(c.has_generation, false) as gen,
               r.active_fwd_wh, r.active_rev_wh, r.n_measured + r.n_adjusted + r.n_estimated as n_ok, r.n_expected,
               smf.vee_uc_bill_total(cu.id, v_month) as bill
        from smf.consumer_unit cu
        left join smf.consumer_unit_class c on c.consumer_unit_id = cu.id
        left join smf.rollup_month r on r.meter_id = cu.main_meter_id and r.bucket = v_month
        where cu.distributor_id = v_dist
    )
    select u.market, count(*)::int, sum(u.active_fwd_wh) / 1000.0,
           coalesce(sum(u.active_rev_wh) filter (where u.gen), 0) / 1000.0,
           sum(u.bill), count(u.bill)::int,
           round(100.0 * sum(u.n_ok) / nullif(sum(u.n_expected), 0), 2)
    from u group by u.market order by u.market;
end
$$;

-- vee_uc_bill_total: the 'total' amount (R$) of smf.billing_summary_of for UC p_uc and month, null
-- when the UC cannot be billed (no tariffs, no data, no cycle parameters).
create or replace function smf.vee_uc_bill_total(p_uc int, p_month date) returns numeric
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v numeric;
begin
    select b.amount into v from smf.billing_summary_of(p_uc, p_month) b where b.item = 'total';
    return v;
exception when sqlstate 'SMF02' or sqlstate 'SMF04' or division_by_zero or null_value_not_allowed then
    return null;
end
$$;
