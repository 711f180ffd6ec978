-- History of interval rows and protection of the registry.

-- local_timezone: the IANA zone of local days and months (smf.setting 'local_timezone').
create or replace function smf.local_timezone() returns text
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select coalesce((select value from smf.setting where key = 'local_timezone'), 'America/Sao_Paulo')
$$;

-- interval_reading_keep_history: trigger; copies the superseded row to interval_reading_history,
-- attributed from the session settings smf.batch_id, smf.changed_by and smf.change_reason.
create or replace function smf.interval_reading_keep_history() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
begin
    insert into smf.interval_reading_history
    select (old).*, now(),
           nullif(current_setting('smf.batch_id', true), '')::int,
           coalesce(nullif(current_setting('smf.changed_by', true), ''), current_user),
           nullif(current_setting('smf.change_reason', true), '');
    return new;
end
$$;

-- meter_refuse_delete_with_readings: trigger; a meter with stored readings cannot be deleted
-- (interval_reading has no foreign key, for ingest speed; this keeps the reference sound).
create or replace function smf.meter_refuse_delete_with_readings() returns trigger
language plpgsql volatile set search_path = smf, pg_catalog as $$
begin
    if exists (select 1 from smf.interval_reading where meter_id = old.id)
       or exists (select 1 from smf.interval_sealed where meter_id = old.id) then
        raise exception using errcode = 'SMF02',
            message = format('meter %s (id %s) has stored readings and cannot be deleted; disable it instead',
                             old.serial, old.id);
    end if;
    return old;
end
$$;
