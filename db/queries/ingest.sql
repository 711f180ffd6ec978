-- name: ingest_begin
select smf.ingest_begin(%(source)s::smf.reading_source, %(origin)s) as batch_id;

-- name: ingest_given
select smf.ingest_given(%(names)s::text[]) as given;

-- name: ingest_finish
select smf.ingest_finish(%(batch_id)s, %(line_offset)s) as result;

-- name: ingest_copy_csv
-- {columns} and {delimiter} are composed from a whitelist with psycopg.sql.
copy pg_temp.ingest_stage ({columns}) from stdin with (format csv, delimiter {delimiter}, null '');

-- name: ingest_copy_rows
copy pg_temp.ingest_stage ({columns}) from stdin;

-- name: vee_validate_batch_failed
select smf.vee_validate_batch_failed(%(batch_id)s, %(sqlstate)s, %(message)s) as ranges;
