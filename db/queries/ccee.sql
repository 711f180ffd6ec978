-- name: ccee_build
-- One row per UC id: code, agent, the 288 stamps/Wh/tipoConsumo, hold reasons, warnings.
select * from smf.ccee_build(%(uc_ids)s::int[], %(day)s::date, %(now)s::timestamptz);

-- name: ccee_uc_ids
-- The ids of the given UC codes (unknown codes raise SMF04 via smf.uc_id).
select smf.uc_id(c) as id from unnest(%(uc_codes)s::text[]) c;

-- name: ccee_enqueue
select * from smf.ccee_enqueue(%(first)s::date, %(last)s::date, coalesce(%(now)s::timestamptz, now()));

-- name: ccee_claim
select * from smf.ccee_claim(%(holder)s, %(limit)s, %(lease_s)s, coalesce(%(now)s::timestamptz, now()));

-- name: ccee_claim_one
select * from smf.ccee_claim_one(%(uc_code)s, %(day)s::date, %(holder)s, %(lease_s)s,
                                 coalesce(%(now)s::timestamptz, now()));

-- name: ccee_record
select smf.ccee_record(%(uc_id)s, %(day)s::date, %(holder)s, %(attempt)s, %(trigger)s,
                       %(started)s::timestamptz, %(hash)s, %(body)s, %(status)s, %(response)s,
                       %(outcome)s, %(reasons)s::jsonb, %(warning)s, %(fingerprint)s,
                       coalesce(%(now)s::timestamptz, now())) as moved;

-- name: ccee_release
select smf.ccee_release(%(uc_code)s, %(day)s::date, %(by)s, %(reason)s,
                        coalesce(%(now)s::timestamptz, now())) as id;

-- name: ccee_claim_holders
-- Senders holding claims now whose name starts with the given host prefix ('host:').
select distinct claimed_by from smf.ccee_uc_day
where state = 'claimed' and starts_with(claimed_by, %(prefix)s);

-- name: ccee_release_claims
select smf.ccee_release_claims(%(holders)s::text[]) as released;

-- name: ccee_readback_due
-- Accepted UC-days of open months whose CCEE verdict was not read since they were accepted,
-- grouped per UC and month, with the agent code of the UC's distributor (the codigoAgente header).
select cu.uc_code::text as uc_code, date_trunc('month', d.day)::date as month,
       min(d.day) as first, max(d.day) as last, min(dist.ccee_agent_code) as agent_code
from smf.ccee_uc_day d join smf.consumer_unit cu on cu.id = d.consumer_unit_id
join smf.distributor dist on dist.id = cu.distributor_id
where d.state = 'accepted'
  and d.day >= (select smf.ccee_open_from(coalesce(%(now)s::timestamptz, now())))
  and (d.verdict_at is null or d.verdict_at < d.accepted_at)
group by 1, 2 order by 1, 2;

-- name: ccee_record_verdict
select smf.ccee_record_verdict(%(uc_code)s, %(day)s::date, %(consistida)s, %(rejeitada)s,
                               %(detail)s::jsonb) as found;

-- name: ccee_board
select * from smf.ccee_board(%(month)s::date, coalesce(%(now)s::timestamptz, now()));

-- name: ccee_deadline_warnings
select * from smf.ccee_deadline_warnings(coalesce(%(now)s::timestamptz, now()));

-- name: ccee_emulator_ucs
-- What our CCEE emulator should know: every UC in the retail model, its agent and MUSD.
select distinct cu.uc_code::text as uc, d.ccee_agent_code as agent, cu.musd_kw
from smf.ccee_retail_uc r
join smf.consumer_unit cu on cu.id = r.consumer_unit_id
join smf.distributor d on d.id = cu.distributor_id;

-- name: ccee_uc_day_state
select d.state, d.attempts, d.accepted_hash, d.late, d.hold_reasons, d.trigger
from smf.ccee_uc_day d where d.consumer_unit_id = smf.uc_id(%(uc_code)s) and d.day = %(day)s::date;

-- name: ccee_month_uc_days
-- The UC-days of local month `month` (days over at now) of UCs in the retail model, optionally
-- one UC, that are not accepted (or rejected: the same data would be rejected again) with their
-- current data.
select cu.uc_code::text as uc_code, d.day
from smf.ccee_uc_day d join smf.consumer_unit cu on cu.id = d.consumer_unit_id
where d.day >= date_trunc('month', %(month)s::date)
  and d.day < date_trunc('month', %(month)s::date) + interval '1 month'
  and (%(uc_code)s::text is null or cu.uc_code = %(uc_code)s)
  and (d.state not in ('accepted', 'rejected')
       or d.fingerprint is distinct from smf.ccee_fingerprint(d.consumer_unit_id, d.day))
order by d.day, cu.uc_code;

-- name: ccee_register_retail
-- Put a UC in the retail model from `first` on (no-op when a period already covers it).
insert into smf.ccee_retail_uc (consumer_unit_id, valid_during)
select smf.uc_id(%(uc_code)s), daterange(%(first)s::date, null)
where not exists (select 1 from smf.ccee_retail_uc r
                  where r.consumer_unit_id = smf.uc_id(%(uc_code)s)
                    and r.valid_during && daterange(%(first)s::date, null));

-- name: ccee_open_from
select smf.ccee_open_from(coalesce(%(now)s::timestamptz, now())) as first;

-- name: ccee_record_batch
select smf.ccee_record_batch(%(items)s::jsonb, coalesce(%(now)s::timestamptz, now())) as moved;

-- name: ccee_day_issues
-- The days of a UC-month not accepted (or rejected by CCEE's read-back), why, and what to run.
select * from smf.ccee_day_issues(%(uc_code)s, %(month)s::date);
