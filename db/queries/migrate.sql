-- name: schema_version_table_exists
select to_regclass('public.alembic_version') is not null as present;

-- name: schema_versions
select version_num from public.alembic_version;
