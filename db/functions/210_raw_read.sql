-- Raw response blocks of meter reads (smf.raw_read): retention.

-- raw_read_prune: delete the raw reads whose session started more than
-- smf.setting 'raw_block_retention_days' days (default 90) before p_now; returns how many.
create or replace function smf.raw_read_prune(p_now timestamptz default now())
returns bigint
language sql volatile set search_path = smf, pg_catalog as $$
    with gone as (
        delete from smf.raw_read
        where read_at < p_now - make_interval(days => coalesce(
            (select value::int from smf.setting where key = 'raw_block_retention_days'), 90))
        returning 1
    )
    select count(*) from gone
$$;
