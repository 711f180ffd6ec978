-- Applied last (after every file that creates a view): every view of smf runs with the reader's
-- rights (security invoker), so smf_api reading it is filtered by the policies of its tables;
-- then schema smf_read is rebuilt (one view per table or view smf_api may read,
-- smf.read_views_refresh in 510) and its copies call the smf_read wrappers
-- (smf.read_views_rewrite in 625). A view added by any function file gets its copy here.

do $$
declare
    v text;
begin
    -- Before revision 0007 (an upgrade that stops at an earlier revision) there is nothing to do.
    if to_regclass('smf.account') is null then
        return;
    end if;
    for v in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'smf' and c.relkind = 'v' loop
        execute format('alter view smf.%I set (security_invoker = on)', v);
        execute format('grant select on smf.%I to smf_api', v);
    end loop;
    perform smf.read_views_refresh();

    perform smf.read_views_rewrite();
end $$;
