-- The billing-cycle evaluation of a UC (local month), computed once and shared by the demand,
-- reactive-excess and billing rules: hour pieces (hour x posto) with the UFER/DMCR closed forms, then
-- one row per energy posto and per demand posto. Loss-adjusted series when p_with_losses, raw
-- otherwise.

-- hour_pieces_set: uc_hour_pieces for every UC of p_ucs at once (uc_id first), the set-based core
-- of the billing rules (issue 21: a distributor's month in one pass). Same rows and values, same
-- numeric scales, as the per-slot definition documented at uc_hour_pieces, computed like this:
-- * the posto/reactive-window labels of the month's 15-minute grid once per (distributor,
--   modality), not once per UC; the loss factor once per (UC, local day);
-- * per (UC, hour, posto, local day), in integer Wh / varh: Wh sum, smallest |Wh| of a slot,
--   largest Wh of a slot and the earliest slot holding it (key = Wh x 4 + 3 - slot of the hour,
--   exact in bigint). An hour whose four slots share posto, reactive window and local day (every
--   hour of a whole-hour schedule) is one piece: its row of the hourly rollup carries all of these
--   (rollup_hour's *_q_min_abs columns and max_demand_kw/at), read in one index range scan over
--   all the UCs' main meters; only the slots of the other hours are read from rollup_15min and
--   aggregated here (measured on the billing bench: 16.6 -> 10.8 ms CPU a UC-month). The kWh of a piece is
--   then sum(Wh) x (1 + factor) x 0.001 (exact) rounded to the scale the per-slot sum
--   sum(Wh / 1000.0 x (1 + factor)) would carry: numeric division gives Wh / 1000.0 the scale
--   scale(min |Wh| / 1000.0) of its smallest term (more digits for smaller |Wh|), a product adds
--   the scales, a sum keeps the largest. Scales matter: sqrt works to the scale of its argument.
-- * the grid-only columns (local hour, minutes, reactive window, intervals expected) once per
--   (distributor, modality) hour piece, joined to each UC's data (missing slots: null energies).
-- p_detail false (the billing and UFER/DMCR callers): s_kvah, power_factor and max_demand_at are
-- null, and the square root is only taken where UFER/DMCR need it (all else is the same).
-- Runs with enable_nestloop = off and enable_sort = off: the planner cannot estimate joins over
-- CTEs and generated grids; it otherwise probes rollup_15min once per slot (measured: 20x slower)
-- and sorts the month's slots for aggregates a hash does in one pass. No checks.
create or replace function smf.hour_pieces_set(p_ucs int[], p_month date, p_with_losses boolean,
                                               p_detail boolean default true)
returns table (uc_id int, hour timestamptz, local_hour timestamp, posto text, demand_posto text,
               reactive_window text, minutes int, p_kwh numeric, q_kvarh numeric, s_kvah numeric,
               power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric,
               max_demand_at timestamptz, n_present int, n_expected int)
language sql stable parallel safe set search_path = smf, public, pg_catalog set jit = off
set enable_nestloop = off set enable_sort = off as $$
    with b0 as (
        select smf.local_month_start(p_month) as lo,
               smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date) as hi,
               smf.local_timezone() as tz,
               smf.rule_param('power_factor_reference', date_trunc('month', p_month)::date) as fr
    ), b as materialized (
        select b0.*, b0.fr::float8 as fr_f,
               -- every local midnight of the month on a whole UTC hour
               not exists (select 1 from generate_series(date_trunc('month', p_month), date_trunc('month', p_month)
                                                         + interval '1 month', interval '1 day') d
                           where date_trunc('hour', d::timestamp at time zone b0.tz at time zone 'UTC')
                                 <> d::timestamp at time zone b0.tz at time zone 'UTC') as whole_hours
        from b0
    ), u as materialized (
        select cu.id, cu.distributor_id, cu.modality, mt.id as meter_id, 15 / mt.interval_minutes as n_exp
        from smf.consumer_unit cu join smf.meter mt on mt.id = cu.main_meter_id
        where cu.id = any (p_ucs)
    ), grid as materialized (
        select g.ts, g.ts at time zone b.tz as lt, public.time_bucket('1 hour', g.ts) as hour_ts
        from b, generate_series(public.time_bucket('15 minutes', b.lo), b.hi - interval '1 microsecond',
                                interval '15 minutes') g(ts)
    ), dm as materialized (
        select distinct u.distributor_id, u.modality from u
    ), days as materialized (
        select dm.distributor_id, dm.modality, d::date as day,
               extract(isodow from d) < 6 and not exists (
                   select 1 from smf.holiday h join smf.calendar c on c.id = h.calendar_id
                   where c.purpose = 'tariff' and c.valid_during @> d::date and h.day = d::date) as ponta_day,
               extract(epoch from s.ponta_start)::int / 60 as ps, s.ponta_minutes as pm,
               extract(epoch from s.capacitive_start)::int / 60 as cs, s.capacitive_minutes as cm,
               case when dm.modality = 'branca' then s.intermediario_minutes end as im
        from dm
        cross join generate_series((select min(lt)::date from grid), (select max(lt)::date from grid),
                                   interval '1 day') d
        left join smf.posto_schedule s on s.distributor_id = dm.distributor_id and s.valid_during @> d::date
    ), labels as materialized (
        -- pc: posto code (1 ponta, 2 fora_ponta, 3 intermediario, 0 none): demand posto and posto
        -- are functions of it for one (distributor, modality); qk: slot of the hour (0-3)
        select d.distributor_id, d.modality, g.ts, g.lt, g.hour_ts, d.day, k.posto,
               case when d.ps is null then null
                    when d.modality <> 'azul' then 'unica'
                    when k.posto = 'ponta' then 'ponta' else 'fora_ponta' end as demand_posto,
               d.cs is not null and (k.m - d.cs + 1440) % 1440 < d.cm as cap,
               d.cs is null as no_window,
               case k.posto when 'ponta' then 1 when 'fora_ponta' then 2 when 'intermediario' then 3 else 0 end as pc,
               (date_part('minute', g.ts - g.hour_ts) / 15)::int as qk
        from grid g
        join days d on d.day = g.lt::date
        cross join lateral (
            select mm.m,
                   case when d.ps is null then null
                        when d.ponta_day and mm.m >= d.ps and mm.m < d.ps + d.pm then 'ponta'
                        when d.ponta_day and d.im is not null and mm.m >= d.ps - d.im
                             and mm.m < d.ps + d.pm + d.im then 'intermediario'
                        else 'fora_ponta' end as posto
            from (select date_part('hour', g.lt)::int * 60 + date_part('minute', g.lt)::int as m) mm
        ) k
    ), shape as materialized (
        select l.distributor_id, l.modality, l.hour_ts, l.pc, min(l.posto) as posto,
               min(l.demand_posto) as demand_posto, min(l.lt) as local_hour,
               case when bool_and(l.cap) then 'capacitive'
                    when bool_or(l.cap) then 'mixed' else 'inductive' end as win,
               count(*)::int as slots
        from labels l
        group by l.distributor_id, l.modality, l.hour_ts, l.pc
    ), loss as materialized (
        select u.id, d.day, 1 + coalesce(tl.factor, 0) as f1
        from u
        cross join (select distinct days.day from days) d
        left join smf.transformer_loss tl on tl.consumer_unit_id = u.id and tl.valid_during @> d.day
    ), hl as materialized (
        -- the hours whose four quarter hours share posto code, reactive window and local day
        -- (all of them when the schedule's edges fall on whole hours in a whole-hour zone): their
        -- piece is the hour, read from the hourly rollups; the other slots from the 15-minute ones
        select l.distributor_id, l.modality, l.hour_ts, min(l.pc) as pc, bool_and(l.cap) as cap,
               min(l.day) as day
        from labels l
        group by l.distributor_id, l.modality, l.hour_ts
        having count(*) = 4 and min(l.pc) = max(l.pc) and bool_and(l.cap) = bool_or(l.cap)
           and min(l.day) = max(l.day)
    ), mixed as materialized (
        select l.* from labels l
        where not exists (select 1 from hl where hl.distributor_id = l.distributor_id
                                             and hl.modality = l.modality and hl.hour_ts = l.hour_ts)
    ), mm as materialized (
        -- the meters, and the UTC span of the slots outside those hours ([lo, lo): none)
        select array_agg(u.meter_id)::int[] as ms,
               coalesce((select min(x.ts) from mixed x), b.lo) as mixed_lo,
               coalesce((select max(x.ts) + interval '15 minutes' from mixed x), b.lo) as mixed_hi
        from u cross join b
        group by b.lo
    ), hr as (
        -- per meter-hour, from the hourly rollup (both storage tiers): the sums, the smallest |Wh|
        -- and |varh| of its quarter hours, and its largest quarter hour (kW x 250 = Wh) with the
        -- earliest slot holding it. Plain arguments: the planner inlines the read function and
        -- reads only these columns.
        select r.meter_id, r.bucket as hour_ts, r.active_fwd_wh as wh,
               r.active_fwd_wh_q_min_abs as wh_min, (r.max_demand_kw * 250)::bigint as wh_max,
               (r.max_demand_kw * 250)::bigint * 4 + 3
                   - (date_part('minute', r.max_demand_at - r.bucket) / 15)::int as wh_key,
               r.reactive_ind_fwd_varh as ind, r.reactive_ind_fwd_varh_q_min_abs as ind_min,
               r.reactive_cap_fwd_varh as cap, r.reactive_cap_fwd_varh_q_min_abs as cap_min,
               r.n_measured + r.n_adjusted + r.n_estimated as n_present
        from mm cross join b
        cross join lateral smf.rollups_hour(mm.ms, b.lo, b.hi) r
    ), slot as (
        select u.id, l.hour_ts, l.pc, l.qk, l.day, r.active_fwd_wh as wh,
               case when l.cap then r.reactive_cap_fwd_varh else r.reactive_ind_fwd_varh end as varh,
               r.n_measured + r.n_adjusted + r.n_estimated as n_present
        from mm
        cross join lateral smf.rollups_15min(mm.ms, mm.mixed_lo, mm.mixed_hi) r  -- both tiers
        join u on u.meter_id = r.meter_id
        join mixed l on l.distributor_id = u.distributor_id and l.modality = u.modality and l.ts = r.bucket
    ), sub as (
        -- integer aggregates per (UC, hour piece, local day), then the day's loss factor: a piece
        -- has one sub-piece unless a local midnight falls inside its hour; float8 sums of whole
        -- numbers below 2^53 are exact (the hour's sum as float8 is the sum of its slots')
        select g.*, x.f1
        from (
            select u.id, h.hour_ts, h.pc, h.day, m.wh::numeric as wh, m.wh_min, m.wh_max, m.wh_key,
                   (case when h.cap then m.cap else m.ind end)::numeric as varh,
                   case when h.cap then m.cap_min else m.ind_min end as varh_min,
                   m.wh::float8 as wh_f, (case when h.cap then m.cap else m.ind end)::float8 as varh_f,
                   m.n_present
            from hr m
            join u on u.meter_id = m.meter_id
            join hl h on h.distributor_id = u.distributor_id and h.modality = u.modality
                     and h.hour_ts = m.hour_ts
            union all
            select sl.id, sl.hour_ts, sl.pc, sl.day,
                   sum(sl.wh) as wh, min(abs(sl.wh)) as wh_min, max(sl.wh) as wh_max,
                   max(sl.wh * 4 + 3 - sl.qk) as wh_key,
                   sum(sl.varh) as varh, min(abs(sl.varh)) as varh_min,
                   sum(sl.wh::float8) as wh_f, sum(sl.varh::float8) as varh_f,
                   sum(sl.n_present)::int as n_present
            from slot sl
            group by sl.id, sl.hour_ts, sl.pc, sl.day
        ) g
        join loss x on x.id = g.id and x.day = g.day
    ), subk as (
        -- kscale(a) = scale(a / 1000.0) for a whole a >= 0 (select_div_scale of PostgreSQL's
        -- numeric division: 16 significant digits from the quotient's first base-10000 digit)
        select sb.id, sb.hour_ts, sb.pc, sb.n_present, sb.wh_f, sb.varh_f,
               case when p_with_losses
                    then round(sb.wh::numeric * sb.f1 * 0.001, ks.wh + scale(sb.f1))
                    else round(sb.wh::numeric * 0.001, ks.wh) end as p,
               case when p_with_losses
                    then round(sb.varh::numeric * sb.f1 * 0.001, ks.varh + scale(sb.f1))
                    else round(sb.varh::numeric * 0.001, ks.varh) end as q,
               case when p_with_losses then sb.wh_max / 1000.0 * sb.f1 else sb.wh_max / 1000.0 end as p_max,
               sb.hour_ts + (3 - ((sb.wh_key % 4) + 4) % 4) * interval '15 minutes' as p_max_at
        from sub sb
        cross join lateral (
            select case when sb.wh_min <= 1000 then 20 when sb.wh_min <= 10009999 then 16
                        when sb.wh_min <= 100099999999 then 12 when sb.wh_min <= 1000999999999999 then 8
                        else 4 end as wh,
                   case when sb.varh_min <= 1000 then 20 when sb.varh_min <= 10009999 then 16
                        when sb.varh_min <= 100099999999 then 12 when sb.varh_min <= 1000999999999999 then 8
                        else 4 end as varh
        ) ks
    ), data as materialized (
        -- whole-hour local midnights (the rule: every zone offset in whole hours): one sub-piece
        -- per piece, taken as it is; clear = fT >= fR with a 1e-9 margin, from exact Wh / varh
        -- sums (P and Q are the same multiple of them)
        select k.id, k.hour_ts, k.pc, k.p, k.q, k.p_max * 4 as max_kw,
               case when p_detail then k.p_max_at end as max_at, k.n_present,
               k.wh_f >= 0 and k.wh_f * k.wh_f
                   > b.fr_f * b.fr_f * (k.wh_f * k.wh_f + coalesce(k.varh_f, 0) * coalesce(k.varh_f, 0))
                     * (1 + 1e-9) as clear
        from subk k cross join b
        where b.whole_hours
        union all
        select k.id, k.hour_ts, k.pc, sum(k.p), sum(k.q), max(k.p_max) * 4,
               -- the earliest slot with the largest kWh, across the sub-pieces
               to_timestamp(-(max(array[coalesce(k.p_max, '-Infinity'), -extract(epoch from k.p_max_at)])
                              filter (where p_detail))[2]::float8),
               sum(k.n_present)::int, null::boolean
        from subk k
        where not (select b.whole_hours from b)
        group by k.id, k.hour_ts, k.pc
    ), x as (
        select u.id, s.hour_ts, s.local_hour, s.posto, s.demand_posto, s.win, s.slots * 15 as minutes,
               dt.p, coalesce(dt.q, 0) as q, dt.max_kw, dt.max_at,
               coalesce(dt.n_present, 0) as n_present, s.slots * u.n_exp as n_expected, b.fr, dt.clear
        from u
        join shape s on s.distributor_id = u.distributor_id and s.modality = u.modality
        left join data dt on dt.id = u.id and dt.hour_ts = s.hour_ts and dt.pc = s.pc
        cross join b
    ), y as (
        -- without p_detail, S only where fT < fR is possible: P >= 0 and P^2 > fR^2.S^2.(1 + 1e-12)
        -- gives P > fR.S for S rounded to its 16+ significant digits, i.e. UFER = 0 and DMCR = P
        select x.*,
               case when p_detail
                         or not coalesce(x.clear, x.p >= 0 and x.p * x.p
                                         > x.fr * x.fr * (x.p * x.p + x.q * x.q) * 1.000000000001)
                    then sqrt(x.p * x.p + x.q * x.q) end as s
        from x
        -- offset 0: S is computed once a row; a pulled-up subquery repeats its expression at
        -- every use below (measured: the square root taken up to six times, 11.2 -> 8.4 ms CPU a
        -- UC-month on the billing bench)
        offset 0
    ), z as (
        select y.*, y.fr * y.s as frs from y
        offset 0
    )
    select z.id, z.hour_ts, z.local_hour, z.posto, z.demand_posto, z.win, z.minutes,
           z.p, case when z.p is not null then z.q end, case when p_detail and z.p is not null then z.s end,
           case when p_detail and z.s > 0 then z.p / z.s end,
           case when z.p < z.frs then z.frs - z.p when z.p is not null then 0 end,
           case when z.p < z.frs then z.frs else z.p end * 60 / z.minutes,
           z.p = 0 and z.q > 0,
           z.max_kw, case when z.max_kw is not null then z.max_at end,
           z.n_present, z.n_expected
    from z
$$;

-- uc_hour_pieces: the hourly evaluation of UC p_uc over local month p_month that demand, UFER/DMCR
-- and billing aggregate (loss-adjusted series when p_with_losses, raw otherwise). One row per local
-- clock hour and posto (a posto boundary inside an hour splits it): minutes covered, P (kWh), Q
-- (kvarh: per 15-minute slot capacitive inside the capacitive window, inductive outside, never
-- netted), S = sqrt(P^2 + Q^2) (kVAh), fT = P / S, and with fR = rule_param('power_factor_reference')
-- (0.92): where P < fR.S (fT < fR) UFER = fR.S - P (kWh) and DMCR = fR.S, otherwise UFER = 0 and
-- DMCR = P, DMCR scaled to kW by 60 / minutes; p_zero flags P = 0 with Q > 0 (UFER = fR.Q by the
-- same formula). Also the largest 15-minute demand (kW) and when, and intervals present / expected.
-- Pieces without data have null energies and results (p_zero false). P and Q are the sums over
-- the piece's 15-minute slots of Wh / 1000.0 (x (1 + loss factor)); computed by
-- smf.hour_pieces_set.
create or replace function smf.uc_hour_pieces(p_uc int, p_month date, p_with_losses boolean)
returns table (hour timestamptz, local_hour timestamp, posto text, demand_posto text, reactive_window text,
               minutes int, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric,
               ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric,
               max_demand_at timestamptz, n_present int, n_expected int)
language sql stable parallel safe set search_path = smf, pg_catalog set jit = off as $$
    select h.hour, h.local_hour, h.posto, h.demand_posto, h.reactive_window, h.minutes, h.p_kwh, h.q_kvarh,
           h.s_kvah, h.power_factor, h.ufer_kwh, h.dmcr_kw, h.p_zero, h.max_demand_kw, h.max_demand_at,
           h.n_present, h.n_expected
    from smf.hour_pieces_set(array[p_uc], p_month, p_with_losses) h
    order by h.hour, h.posto
$$;

-- contracted_demand: contracted demand (kW) of UC p_uc for demand posto p_demand_posto (azul:
-- ponta / fora_ponta; the single demand of other modalities is contracted_demand_fora_ponta_kw).
create or replace function smf.contracted_demand(p_uc int, p_demand_posto text) returns numeric
language sql stable set search_path = smf, pg_catalog as $$
    select case p_demand_posto when 'ponta' then contracted_demand_ponta_kw
                               else contracted_demand_fora_ponta_kw end
    from smf.consumer_unit where id = p_uc
$$;

-- demand_overrun_kw: the billed overrun (kW): p_measured - p_contracted when p_measured exceeds
-- p_contracted x (1 + p_tolerance), else 0 (null without a contracted demand or measurement).
create or replace function smf.demand_overrun_kw(p_measured numeric, p_contracted numeric, p_tolerance numeric)
returns numeric
language sql immutable parallel safe set search_path = pg_catalog as $$
    select case when p_measured > p_contracted * (1 + p_tolerance) then p_measured - p_contracted
                when p_measured is not null and p_contracted is not null then 0 end
$$;

-- billable_demand_kw: the billable active demand PAF (kW) of a demand posto: the larger of the
-- measured (max 15-minute) and the contracted demand; the one known when the other is null.
create or replace function smf.billable_demand_kw(p_measured numeric, p_contracted numeric) returns numeric
language sql immutable parallel safe set search_path = pg_catalog as $$
    select greatest(p_measured, p_contracted)
$$;

-- dmcr_excess_kw: the billed reactive demand excess (kW) of a demand posto, FDRE(p) / VR_DRE =
-- DMCR - PAF(p) when positive, else 0, where PAF(p) = smf.billable_demand_kw(measured, contracted)
-- is the billable demand (REN 1000/2021; REN 414 art. 96), not the contracted demand. Null
-- without a DMCR.
create or replace function smf.dmcr_excess_kw(p_dmcr numeric, p_measured numeric, p_contracted numeric)
returns numeric
language sql immutable parallel safe set search_path = smf, pg_catalog as $$
    select case when p_dmcr is not null
                then greatest(p_dmcr - coalesce(smf.billable_demand_kw(p_measured, p_contracted), 0), 0) end
$$;

-- cycle_evaluation_set: cycle_evaluation_of for every UC of p_ucs at once (uc_id first), from one
-- smf.hour_pieces_set over all of them. p_detail false: measured_at null (see hour_pieces_set).
-- No checks; no order.
create or replace function smf.cycle_evaluation_set(p_ucs int[], p_month date, p_with_losses boolean default true,
                                                    p_detail boolean default true)
returns table (uc_id int, kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric,
               dmcr_at timestamptz, hours int, p_zero_hours int, n_present int, n_expected int,
               measured_kw numeric, measured_at timestamptz, contracted_kw numeric, tolerance numeric,
               overrun_kw numeric, dmcr_excess_kw numeric)
language sql stable parallel safe set search_path = smf, pg_catalog set jit = off as $$
    with h as materialized (
        select * from smf.hour_pieces_set(p_ucs, p_month, p_with_losses, p_detail)
    ), t as materialized (
        select smf.rule_param('demand_tolerance', date_trunc('month', p_month)::date) as tol
    ), e as (
        select h.uc_id, 'energy'::text as kind, h.posto, sum(h.p_kwh) as energy, sum(h.ufer_kwh) as ufer,
               max(h.dmcr_kw) as dmcr,
               (array_agg(h.hour order by h.dmcr_kw desc nulls last, h.hour))[1] as dmcr_at,
               count(distinct h.hour) filter (where h.p_kwh is not null)::int as hours,
               count(*) filter (where h.p_zero)::int as p_zero_hours,
               sum(h.n_present)::int as n_present, sum(h.n_expected)::int as n_expected
        from h group by h.uc_id, h.posto
    ), d as (
        select h.uc_id, h.demand_posto, max(h.max_demand_kw) as kw,
               (array_agg(h.max_demand_at order by h.max_demand_kw desc nulls last, h.max_demand_at)
                    filter (where p_detail))[1] as at,
               max(h.dmcr_kw) as dmcr,
               (array_agg(h.hour order by h.dmcr_kw desc nulls last, h.hour))[1] as dmcr_at,
               count(distinct h.hour) filter (where h.p_kwh is not null)::int as hours,
               count(*) filter (where h.p_zero)::int as p_zero_hours,
               sum(h.n_present)::int as n_present, sum(h.n_expected)::int as n_expected,
               smf.contracted_demand(h.uc_id, h.demand_posto) as contracted, (select t.tol from t) as tol
        from h group by h.uc_id, h.demand_posto
    )
    select e.uc_id, e.kind, e.posto, e.energy, e.ufer, e.dmcr, case when e.dmcr is not null then e.dmcr_at end,
           e.hours, e.p_zero_hours, e.n_present, e.n_expected,
           null::numeric, null::timestamptz, null::numeric, null::numeric, null::numeric, null::numeric
    from e
    union all
    select d.uc_id, 'demand', d.demand_posto, null, null, d.dmcr, case when d.dmcr is not null then d.dmcr_at end,
           d.hours, d.p_zero_hours, d.n_present, d.n_expected,
           d.kw, case when d.kw is not null then d.at end, d.contracted, d.tol,
           smf.demand_overrun_kw(d.kw, d.contracted, d.tol), smf.dmcr_excess_kw(d.dmcr, d.kw, d.contracted)
    from d
$$;

-- cycle_evaluation_of: UC p_uc in month p_month, unrounded. Rows of kind 'energy', one per posto
-- (ponta / fora_ponta / intermediario): energy (kWh), UFER (kWh, sum), DMCR (kW, max) and its
-- hour, hours with data, hours flagged P = 0 & Q > 0, intervals present / expected. Rows of kind
-- 'demand', one per demand posto (ponta / fora_ponta for azul, unica otherwise): measured demand
-- (kW, max 15-minute) and when, contracted (kW), tolerance, overrun (kW), DMCR (kW) and its hour,
-- DMCR excess over the billable demand (kW, smf.dmcr_excess_kw). No checks. Computed by
-- smf.cycle_evaluation_set.
create or replace function smf.cycle_evaluation_of(p_uc int, p_month date, p_with_losses boolean default true)
returns table (kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamptz,
               hours int, p_zero_hours int, n_present int, n_expected int, measured_kw numeric,
               measured_at timestamptz, contracted_kw numeric, tolerance numeric, overrun_kw numeric,
               dmcr_excess_kw numeric)
language sql stable parallel safe set search_path = smf, pg_catalog set jit = off as $$
    select c.kind, c.posto, c.energy_kwh, c.ufer_kwh, c.dmcr_kw, c.dmcr_at, c.hours, c.p_zero_hours, c.n_present,
           c.n_expected, c.measured_kw, c.measured_at, c.contracted_kw, c.tolerance, c.overrun_kw, c.dmcr_excess_kw
    from smf.cycle_evaluation_set(array[p_uc], p_month, p_with_losses) c
    order by 1 desc, 2 desc
$$;
