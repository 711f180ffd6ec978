-- Scale-out (docs/scale-out.md): applied on every shard, after `smf db migrate`.
-- xs.uc_day_v: what the coordinator reads from this shard, one row per UC and local day:
-- distributor, UC, meter, energy in Wh (integers, exact) and the day's completeness counts.
-- The shard's name comes from the database setting xs.shard (`alter database smf set xs.shard =
-- 'shard1'`), so a row read through the coordinator says where it lives.
create schema if not exists xs;

-- security_invoker: the rows are those the role of the coordinator's user mapping may read on
-- this shard (row-level security of smf.*: a scoped analyst sees only their scope).
create or replace view xs.uc_day_v with (security_invoker = on) as
select current_setting('xs.shard')::text as shard,
       d.aneel_code::text as aneel_code,
       cu.uc_code::text as uc_code,
       m.serial as meter_serial,
       r.bucket as day,
       r.active_fwd_wh,
       r.active_rev_wh,
       r.n_measured + r.n_adjusted + r.n_estimated as n_present,
       r.n_expected
from smf.rollup_day r
join smf.meter m on m.id = r.meter_id
join smf.consumer_unit cu on cu.main_meter_id = m.id
join smf.distributor d on d.id = cu.distributor_id;
