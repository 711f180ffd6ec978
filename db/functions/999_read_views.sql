-- Applied last (after every file that creates a view): every view of smf runs with the reader's
-- rights (security invoker), so smf_api reading it is filtered by the policies of its tables;
-- then schema smf_read is rebuilt (one view per table or view smf_api may read,
-- smf.read_views_refresh in 510) and its copies call the smf_read wrappers
-- (smf.read_views_rewrite in 625). A view added by any function file gets its copy here.

-- Wrappers of the smf functions that the views interval_label, hour_label (110_postos.sql) and
-- ccee_board_recent (410_ccee_ledger.sql) call: a reader's copy of those views would run them
-- with the reader's rights ("permission denied for schema smf"). Like the wrappers of
-- 625_dashboards_read.sql they are security definer, owned by smf_api (no owner, no BYPASSRLS),
-- so the rows they read are filtered by the policies for the caller's account
-- (smf.principal() follows session_user for a reader); they take values only.

-- smf_read.uc_quarter_labels: smf.uc_quarter_labels (posto, reactive window, loss factor of each
-- quarter hour of a UC the caller may see; none for another).
create or replace function smf_read.uc_quarter_labels(p_uc int, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, local_ts timestamp, hour_ts timestamptz, posto text, demand_posto text,
               reactive_window text, reservado boolean, loss_factor numeric)
language plpgsql stable security definer set search_path = smf, pg_catalog, pg_temp as $$
begin
    if not exists (select 1 from smf.consumer_unit cu where cu.id = p_uc) then
        return;
    end if;
    return query select * from smf.uc_quarter_labels(p_uc, p_from, p_to);
end
$$;

-- smf_read.ccee_board: smf.ccee_board (the CCEE deadline board of month p_month) over the UCs the
-- caller may see.
create or replace function smf_read.ccee_board(p_month date, p_now timestamptz default now())
returns table (month date, distributor text, agent_code int, uc_code text, customer text,
               days_due int, complete int, held int, held_reasons text, sent int, accepted int,
               rejected int, failed int, missing int, deadline date, business_days_left int,
               at_risk boolean)
language sql stable security definer set search_path = smf, pg_catalog, pg_temp as $$
    select * from smf.ccee_board(p_month, p_now)
$$;

do $$
declare
    v text;
    f regprocedure;
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
    foreach f in array array['smf_read.uc_quarter_labels(int, timestamptz, timestamptz)',
            'smf_read.ccee_board(date, timestamptz)']::regprocedure[] loop
        execute format('alter function %s owner to smf_api', f);
        execute format('revoke execute on function %s from public', f);
        execute format('grant execute on function %s to smf_reader', f);
    end loop;
    -- the service writer reads every view too (those of files after 510 included)
    if to_regclass('smf.db_role') is not null then
        grant select on all tables in schema smf to smf_writer;
        revoke all on smf.account, smf.api_key, smf.account_scope, smf.db_role,
            smf.login_failure from smf_writer;
        if to_regclass('smf.web_session') is not null then
            revoke all on smf.web_session from smf_writer;  -- the API's sessions (505)
        end if;
        grant select on smf.account, smf.account_scope to smf_writer;
    end if;
    perform smf.read_views_refresh();

    perform smf.read_views_rewrite();
end $$;
