-- The SQL catalogue (db/catalogue.py applies it after every file): month parameters as text,
-- COMMENT ON every function and view of smf and smf_read from the banners of db/functions, and
-- the view analysts and docs/sql-api.md read it from.

-- month_of: the date a month parameter stands for: 'YYYY-MM' -> the first day of that month;
-- 'YYYY-MM-DD' -> that date (the date version of the function decides what a mid-month date
-- means, as before). Raises SMF02 for anything else. Returns date.
create or replace function smf.month_of(p_month text) returns date
language plpgsql immutable strict set search_path = pg_catalog as $$
begin
    if p_month ~ '^\s*[0-9]{4}-[0-9]{2}\s*$' then
        return to_date(btrim(p_month) || '-01', 'YYYY-MM-DD');
    elsif p_month ~ '^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$' then
        return btrim(p_month)::date;
    end if;
    raise exception using errcode = 'SMF02',
        message = format('month %s: expected YYYY-MM (or a date YYYY-MM-DD)', quote_literal(p_month));
exception when datetime_field_overflow or invalid_datetime_format then
    raise exception using errcode = 'SMF02',
        message = format('month %s: not a calendar month (YYYY-MM)', quote_literal(p_month));
end
$$;

-- catalogue: every function and view of schemas smf and smf_read, one row each: kind (function,
-- view), schema, name, identity (argument types), arguments (names, types, defaults), result
-- (return type, or a view's columns), language, volatility, description (its COMMENT ON: what
-- it returns, units, time convention). docs/sql-api.md is generated from it.
create or replace view smf.catalogue as
select 'function'::text as kind, n.nspname::text as schema, p.proname::text as name,
       pg_get_function_identity_arguments(p.oid) as identity,
       pg_get_function_arguments(p.oid) as arguments,
       pg_get_function_result(p.oid) as result,
       l.lanname::text as language,
       case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end
           as volatility,
       obj_description(p.oid, 'pg_proc') as description
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_language l on l.oid = p.prolang
where n.nspname in ('smf', 'smf_read') and p.prokind in ('f', 'p')
  and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
union all
select 'view', n.nspname::text, c.relname::text, '', '',
       (select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                          order by a.attnum)
        from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
       '', '', obj_description(c.oid, 'pg_class')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname in ('smf', 'smf_read') and c.relkind in ('v', 'm');

-- catalogue_month_overloads: for every smf function with a date parameter p_month (no default,
-- named arguments, no variadic), an overload taking the month as text ('2026-11' or
-- '2026-11-01', smf.month_of) that calls the date version by name. Overloads whose date version
-- is gone are dropped. Returns the number of overloads in place.
create or replace function smf.catalogue_month_overloads() returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    r record;
    v_args text;
    v_call text;
    n int := 0;
begin
    -- generated overloads whose date version no longer exists
    for r in select p.oid::regprocedure as sig from pg_proc p
             where p.pronamespace = 'smf'::regnamespace
               and coalesce(obj_description(p.oid, 'pg_proc'), '') like '(month as text)%'
               and not exists (
                   select 1 from pg_proc d
                   where d.pronamespace = p.pronamespace and d.proname = p.proname
                     and d.oid <> p.oid
                     and coalesce(obj_description(d.oid, 'pg_proc'), '') not like '(month as text)%'
                     and pg_get_function_identity_arguments(d.oid)
                         = replace(pg_get_function_identity_arguments(p.oid), 'p_month text', 'p_month date'))
    loop
        execute format('drop function %s', r.sig);
    end loop;
    for r in select p.oid, p.proname, p.proretset, p.provolatile, p.proargnames,
                    p.proargmodes, pg_get_function_arguments(p.oid) as args,
                    pg_get_function_result(p.oid) as result
             from pg_proc p
             where p.pronamespace = 'smf'::regnamespace and p.prokind = 'f'
               and coalesce(obj_description(p.oid, 'pg_proc'), '') not like '(month as text)%'
               and pg_get_function_arguments(p.oid) ~ '(^|, )p_month date(,|$)'
               and p.provariadic = 0
               and p.proargnames is not null
    loop
        v_args := regexp_replace(r.args, '(^|, )p_month date(,|$)', '\1p_month text\2');
        select string_agg(format('%1$I => %2$s', a.name,
                                 case when a.name = 'p_month' then 'smf.month_of(p_month)'
                                      else quote_ident(a.name) end), ', ' order by a.i)
        into v_call
        from unnest(r.proargnames, coalesce(r.proargmodes, array_fill('i'::"char",
                    array[cardinality(r.proargnames)]))) with ordinality as a(name, mode, i)
        where a.mode in ('i', 'b');
        execute format(
            'create or replace function smf.%I(%s) returns %s language sql %s '
            'set search_path = smf, pg_catalog as %L',
            r.proname, v_args, r.result,
            case r.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end,
            case when r.proretset or r.result like 'TABLE(%' or r.result = 'record'
                 then format('select * from smf.%I(%s)', r.proname, v_call)
                 else format('select smf.%I(%s)', r.proname, v_call) end);
        execute format('comment on function smf.%I(%s) is %L', r.proname,
                       regexp_replace(pg_get_function_identity_arguments(r.oid),
                                      '(^|, )p_month date(,|$)', '\1p_month text\2'),
                       '(month as text)');
        n := n + 1;
    end loop;
    return n;
end
$$;

-- catalogue_apply: writes COMMENT ON for the banners in p_items (jsonb array of {kind, schema,
-- name, body, text} made by db/catalogue.py from db/functions), then for generated objects: a
-- smf_read view takes the comment of the smf table or view it copies, a smf_read function the
-- comment of the smf function of the same name and arguments, a month overload the comment of
-- its date version. Returns the number of comments written.
create or replace function smf.catalogue_apply(p_items jsonb) returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    it jsonb;
    r record;
    n int := 0;
begin
    for it in select * from jsonb_array_elements(p_items) loop
        if it->>'kind' = 'view' then
            if to_regclass(format('%I.%I', it->>'schema', it->>'name')) is not null then
                execute format('comment on view %I.%I is %L', it->>'schema', it->>'name', it->>'text');
                n := n + 1;
            end if;
        else
            -- by body; a dynamically made function (no body in the file) by name
            for r in select p.oid::regprocedure as sig from pg_proc p
                     where p.pronamespace = (it->>'schema')::regnamespace
                       and p.proname = it->>'name'
                       and (p.prosrc = it->>'body' or it->>'body' is null) loop
                execute format('comment on function %s is %L', r.sig, it->>'text');
                n := n + 1;
            end loop;
        end if;
    end loop;
    -- smf_read views: scoped copies of the smf table or view of the same name
    for r in select c.relname, coalesce(obj_description(s.oid, 'pg_class'),
                                        'Rows of table smf.' || c.relname || '.') as source
             from pg_class c
             join pg_class s on s.relname = c.relname and s.relnamespace = 'smf'::regnamespace
             where c.relnamespace = 'smf_read'::regnamespace and c.relkind = 'v' loop
        execute format('comment on view smf_read.%I is %L', r.relname,
                       format('Scoped copy of smf.%s (only the rows the reader''s scope allows). %s',
                              r.relname, r.source));
        n := n + 1;
    end loop;
    -- smf_read functions without a banner: the smf function they wrap
    for r in select p.oid::regprocedure as sig, obj_description(s.oid, 'pg_proc') as source
             from pg_proc p
             join pg_proc s on s.proname = p.proname and s.pronamespace = 'smf'::regnamespace
                  and pg_get_function_identity_arguments(s.oid) = pg_get_function_identity_arguments(p.oid)
             where p.pronamespace = 'smf_read'::regnamespace
               and obj_description(p.oid, 'pg_proc') is null
               and obj_description(s.oid, 'pg_proc') is not null loop
        execute format('comment on function %s is %L', r.sig,
                       'For the reader (scoped), as smf: ' || r.source);
        n := n + 1;
    end loop;
    -- month overloads: the comment of their date version
    for r in select p.oid::regprocedure as sig, obj_description(d.oid, 'pg_proc') as source
             from pg_proc p
             join pg_proc d on d.proname = p.proname and d.pronamespace = p.pronamespace
                  and pg_get_function_identity_arguments(d.oid)
                      = replace(pg_get_function_identity_arguments(p.oid), 'p_month text', 'p_month date')
             where p.pronamespace = 'smf'::regnamespace and d.oid <> p.oid
               and obj_description(p.oid, 'pg_proc') like '(month as text)%' loop
        execute format('comment on function %s is %L', r.sig,
                       '(month as text: ''YYYY-MM'' or a date) ' || coalesce(r.source, ''));
        n := n + 1;
    end loop;
    return n;
end
$$;
