-- Scheduled jobs (jobs/scheduler.py): the run log and the hourly PLD import.

-- job_run_start: open a run of job p_job by p_holder (host:pid); returns its id.
create or replace function smf.job_run_start(p_job text, p_holder text) returns bigint
language sql volatile set search_path = smf, pg_catalog as $$
    insert into smf.job_run (job, holder) values (p_job, p_holder) returning id
$$;

-- job_run_finish: close run p_id with outcome 'ok' or 'error', its counts and error text.
create or replace function smf.job_run_finish(p_id bigint, p_outcome text, p_counts jsonb, p_error text)
returns void
language sql volatile set search_path = smf, pg_catalog as $$
    update smf.job_run set finished_at = clock_timestamp(), outcome = p_outcome,
                           counts = coalesce(p_counts, '{}'), error = p_error
    where id = p_id
$$;

-- pld_submarket: smf.submarket of a submarket name as CCEE's open data spells it (SUDESTE,
-- SE/CO, SECO, SUL, S, NORDESTE, NE, NORTE, N; case and accents ignored); NULL for any other
-- name (smf.pld_import reports those rows).
create or replace function smf.pld_submarket(p_name text) returns smf.submarket
language plpgsql immutable set search_path = smf, pg_catalog as $$
declare
    v text := upper(translate(trim(coalesce(p_name, '')), 'áéíóúãõâêôçàÁÉÍÓÚÃÕÂÊÔÇÀ',
                                                      'aeiouaoaeocaAEIOUAOAEOCA'));
begin
    return case
        when v in ('SUDESTE', 'SE/CO', 'SECO', 'SE', 'SUDESTE/CENTRO-OESTE') then 'SE/CO'
        when v in ('SUL', 'S') then 'S'
        when v in ('NORDESTE', 'NE') then 'NE'
        when v in ('NORTE', 'N') then 'N'
    end::smf.submarket;
end
$$;

-- pld_import: upsert hourly PLD rows (R$/MWh) given as parallel arrays: month (YYYYMM or
-- YYYY-MM), submarket name, day of month, local hour 0..23 (hour beginning, SMF local time
-- zone) and price. Returns the number of rows inserted or changed. SMF02 names the first bad row
-- (1-based) and nothing is written.
create or replace function smf.pld_import(p_months text[], p_submarkets text[], p_days int[],
                                          p_hours int[], p_prices numeric[])
returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v int;
    bad record;
begin
    select i, p_months[i] as m, p_submarkets[i] as s, p_days[i] as d, p_hours[i] as h, p_prices[i] as p
    into bad
    from generate_subscripts(p_months, 1) i
    where p_months[i] !~ '^[0-9]{4}-?[0-9]{2}$' or smf.pld_submarket(p_submarkets[i]) is null
       or p_hours[i] not between 0 and 23 or p_prices[i] is null or p_days[i] is null
       or p_days[i] not between 1 and extract(day from date_trunc('month', to_date(replace(p_months[i], '-', ''), 'YYYYMM'))
                                                     + interval '1 month - 1 day')
    order by i limit 1;
    if found then
        raise exception using errcode = 'SMF02',
            message = format('PLD row %s is invalid: month %s, submarket %s, day %s, hour %s, price %s',
                             bad.i, bad.m, bad.s, bad.d, bad.h, bad.p);
    end if;
    insert into smf.pld (submarket, hour, price)
    select smf.pld_submarket(p_submarkets[i]),
           (to_date(replace(p_months[i], '-', ''), 'YYYYMM') + (p_days[i] - 1) + make_interval(hours => p_hours[i]))
               at time zone smf.local_timezone(),
           p_prices[i]
    from generate_subscripts(p_months, 1) i
    on conflict (submarket, hour) do update set price = excluded.price
        where smf.pld.price is distinct from excluded.price;
    get diagnostics v = row_count;
    return v;
end
$$;
