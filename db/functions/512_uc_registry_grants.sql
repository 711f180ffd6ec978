-- uc_registry_grants: what the API role may write when it registers consumer units through
-- db/functions/090_uc_registry.sql (loss-factor periods, the CCEE retail-model period), and the
-- row-level policies that bind those writes to the caller's scope: admin and service principals
-- everywhere, analysts only on UCs they can see (their distributors, groups or UCs). Applied after
-- 510_scope_policies.sql, which enables row-level security on these tables and adds their
-- read policies. Runs once per apply; returns nothing.
do $$
begin
    if to_regclass('smf.account') is null then  -- before revision 0007: no API roles yet
        return;
    end if;
    grant insert, update, delete on smf.transformer_loss to smf_api;
    grant insert on smf.ccee_retail_uc to smf_api;
    drop policy if exists uc_registry_write on smf.transformer_loss;
    create policy uc_registry_write on smf.transformer_loss for all
        using ((select smf.scope_all())
               or ((select smf.scope_writes())
                   and exists (select 1 from smf.consumer_unit cu where cu.id = consumer_unit_id)))
        with check ((select smf.scope_all())
               or ((select smf.scope_writes())
                   and exists (select 1 from smf.consumer_unit cu where cu.id = consumer_unit_id)));
    drop policy if exists uc_registry_insert on smf.ccee_retail_uc;
    create policy uc_registry_insert on smf.ccee_retail_uc for insert
        with check ((select smf.scope_all())
               or ((select smf.scope_writes())
                   and exists (select 1 from smf.consumer_unit cu where cu.id = consumer_unit_id)));
end $$;
