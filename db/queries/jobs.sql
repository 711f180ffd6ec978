-- name: job_run_start
select smf.job_run_start(%(job)s, %(holder)s) as id;

-- name: job_run_finish
select smf.job_run_finish(%(id)s, %(outcome)s, %(counts)s::jsonb, %(error)s);

-- name: job_last_runs
-- The last run of each job.
select distinct on (job) job, started_at, finished_at, outcome, counts, error
from smf.job_run order by job, started_at desc;

-- name: job_runs_of
select id, job, holder, started_at, finished_at, outcome, counts, error
from smf.job_run where job = %(job)s order by id;

-- name: pld_import
select smf.pld_import(%(months)s::text[], %(submarkets)s::text[], %(days)s::int[],
                      %(hours)s::int[], %(prices)s::numeric[]) as changed;

-- name: job_store_next_runs
-- The jobs in APScheduler's store and their next run (null: paused).
select id, to_timestamp(next_run_time) as next_run from smf_jobs.apscheduler_jobs order by id;
