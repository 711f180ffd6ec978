-- CCEE daily submission, part 1: the values of one UC-day and the pre-checks.
-- Conventions (domain notes, "The submission call"):
-- - CCEE day D is the day at the fixed offset -03:00: intervals starting in
--   [D 00:00-03:00, D+1 00:00-03:00), i.e. [D 03:00Z, D+1 03:00Z) in storage (UTC starts).
-- - CCEE stamps each value with the interval END at -03:00: slot s (0..287) starts at
--   D 00:00 + 5s min and is stamped D 00:00 + 5(s+1) min; hour h = s / 12 + 1 (1..24), item
--   s % 12 + 1 (1..12). The last value is stamped D+1T00:00:00-03:00 and belongs to day D.
-- - Values are integer Wh (consumo = Wh / 1000, exactly three decimals, kWh).
-- - Transformer losses (smf.transformer_loss factor f valid on D): exact adjusted energies are
--   w_i x (1 + f) (numeric, no float). Each value is rounded by CUMULATIVE rounding over the day
--   at the meter's resolution: a_i = round(C_i) - round(C_{i-1}) with C_i = (w_1 + ... + w_i) x
--   (1 + f), round = half up. So every a_i is within 1 Wh of its exact value and the day's sum is
--   round(total x (1 + f)) exactly: rounding never adds or loses energy over the day.
-- - A 15-minute main meter: each (loss-adjusted) 15-minute value v becomes three 5-minute values
--   v / 3, v / 3, v / 3 + v % 3 (integer division: exact in Wh, remainder on the last), sent as
--   AJUSTADO. Setting ccee_split_15min = off holds those days instead.
-- - tipoConsumo: measured -> MEDIDO, adjusted -> AJUSTADO, estimated -> setting ccee_estimated_as
--   (AJUSTADO by default, or ESTIMADO); a missing interval has no value (the day is held).

-- setting_text: the value of smf.setting p_key, or p_default when the key is absent.
create or replace function smf.setting_text(p_key text, p_default text) returns text
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select coalesce((select value from smf.setting where key = p_key), p_default)
$$;

-- ccee_day_start: the instant (timestamptz) CCEE day p_day begins: p_day 00:00 at -03:00.
create or replace function smf.ccee_day_start(p_day date) returns timestamptz
language sql immutable strict parallel safe set search_path = pg_catalog as $$
    select (p_day::timestamp + interval '3 hours') at time zone 'UTC'
$$;

-- ccee_day_arrays: for each UC id in p_uc_ids with a main meter, the values of CCEE day p_day
-- in slot order, as arrays over the slots that have a value: slots (0..287), Wh sent (losses
-- applied, 15-minute values split), raw Wh behind each (for a split value: the same split of the
-- raw value), tipoConsumo, quality; with the count of present slots, the first missing slot
-- (null when none), the meter's interval (min) and the loss factor. Losses use integer
-- arithmetic: k = (1 + f) x 100000 exactly (f has 5 decimals); round half up of C_i x (1 + f) is
-- (cum_i x k + 50000) div 100000.
create or replace function smf.ccee_day_arrays(p_uc_ids int[], p_day date)
returns table (consumer_unit_id int, slots int[], wh bigint[], raw_wh bigint[], tipos text[],
               qualities smf.quality[], n_present int, first_missing int, interval_minutes int,
               loss_factor numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with u as (
        select cu.id, m.id as meter_id, m.interval_minutes::int as im, coalesce(tl.factor, 0) as f,
               ((1 + coalesce(tl.factor, 0)) * 100000)::bigint as k
        from unnest(p_uc_ids) as uid(id)
        join smf.consumer_unit cu on cu.id = uid.id
        join smf.meter m on m.id = cu.main_meter_id
        left join smf.transformer_loss tl on tl.consumer_unit_id = cu.id and tl.valid_during @> p_day
    ), est as (
        select smf.setting_text('ccee_estimated_as', 'AJUSTADO') as tipo
    )
    select u.id, v.slots, v.wh, v.raw_wh, v.tipos, v.qualities, coalesce(v.n, 0)::int,
           case when coalesce(v.n, 0) = 288 then null
                else coalesce((select min(g) from generate_series(0, 287) g where g <> all (v.slots)), 0) end,
           u.im, u.f
    from u
    cross join est
    left join lateral (
        select array_agg(e.slot order by e.slot) as slots, array_agg(e.a order by e.slot) as wh,
               array_agg(e.r order by e.slot) as raw_wh, array_agg(e.tipo order by e.slot) as tipos,
               array_agg(e.quality order by e.slot) as qualities, count(*) as n
        from (
            select x.ts, x.quality, x.active_fwd_wh::bigint as w,
                   ((sum(x.active_fwd_wh) over w)::bigint * u.k + 50000) / 100000
                   - (((sum(x.active_fwd_wh) over w)::bigint - x.active_fwd_wh) * u.k + 50000) / 100000 as a,
                   (extract(epoch from x.ts - smf.ccee_day_start(p_day)) / 300)::int as slot0
            from smf.intervals(u.meter_id, smf.ccee_day_start(p_day), smf.ccee_day_start(p_day + 1)) x
            where x.active_fwd_wh is not null and x.quality <> 'missing'
            window w as (order by x.ts rows unbounded preceding)
        ) q
        cross join lateral (
            select q.slot0 + j as slot,
                   case when u.im = 5 then q.a else q.a / 3 + case when j = 2 then q.a % 3 else 0 end end as a,
                   case when u.im = 5 then q.w else q.w / 3 + case when j = 2 then q.w % 3 else 0 end end as r,
                   case when q.quality = 'measured' and u.im = 5 then 'MEDIDO'
                        when q.quality = 'estimated' then est.tipo
                        else 'AJUSTADO' end as tipo,
                   q.quality
            from generate_series(0, u.im / 5 - 1) j
        ) e
    ) v on true
$$;

-- ccee_stamps: the 288 end stamps of CCEE day p_day, 'YYYY-MM-DDTHH:MM:SS-03:00', slot order;
-- the last is the next day's 00:00:00.
create or replace function smf.ccee_stamps(p_day date) returns text[]
language sql immutable strict parallel safe set search_path = pg_catalog as $$
    select array_agg(to_char(p_day::timestamp + (g + 1) * interval '5 minutes',
                             'YYYY-MM-DD"T"HH24:MI:SS"-03:00"') order by g)
    from generate_series(0, 287) g
$$;

-- ccee_day: the 288 values CCEE receives for UC p_uc_code on CCEE day p_day, as an analyst reads
-- them: hora (1..24), medicao (1..12), dataReferenciaConsumo (interval end, -03:00), consumo
-- (kWh, 3 decimals, loss-adjusted), tipoConsumo, and the raw Wh and quality behind each value
-- (null where no value is stored: the day would be held).
create or replace function smf.ccee_day(p_uc_code text, p_day date)
returns table (hora int, medicao int, data_referencia_consumo text, consumo numeric(14,3),
               tipo_consumo text, wh bigint, raw_wh bigint, quality smf.quality)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select g / 12 + 1, g % 12 + 1, (smf.ccee_stamps(p_day))[g + 1], round(v.wh / 1000.0, 3), v.tipo,
           v.wh, v.raw_wh, v.quality
    from generate_series(0, 287) g
    left join (
        select s.slot, s.wh, s.raw_wh, s.tipo, s.quality
        from smf.ccee_day_arrays(array[smf.uc_id(p_uc_code)], p_day) a,
             unnest(a.slots, a.wh, a.raw_wh, a.tipos, a.qualities) as s(slot, wh, raw_wh, tipo, quality)
    ) v on v.slot = g
    order by g
$$;

-- ccee_fingerprint: a cheap summary of what is stored for UC p_uc's main meter on local day p_day
-- (active Wh and the count of intervals per quality, from rollup_day; the loss factor; and the
-- number of superseded versions of the day's rows with the newest superseding batch, from
-- interval_reading_history, so a correction that moves energy between intervals and keeps the
-- day's total still changes it): when it changes, the UC-day is rebuilt and its payload hash
-- compared with the last accepted one.
create or replace function smf.ccee_fingerprint(p_uc int, p_day date) returns text
language sql stable set search_path = smf, pg_catalog as $$
    select coalesce((select concat_ws(':', r.active_fwd_wh, r.n_measured, r.n_adjusted, r.n_estimated,
                                      r.n_missing, tl.factor, h.versions, h.last_batch)
                     from smf.consumer_unit cu
                     join smf.rollup_day r on r.meter_id = cu.main_meter_id and r.bucket = p_day
                     left join smf.transformer_loss tl on tl.consumer_unit_id = cu.id
                         and tl.valid_during @> p_day
                     cross join lateral (
                         select count(*) as versions, max(x.superseded_by_batch) as last_batch
                         from smf.interval_reading_history x
                         where x.meter_id = cu.main_meter_id
                           and x.ts >= smf.ccee_day_start(p_day)
                           and x.ts < smf.ccee_day_start(p_day + 1)) h
                     where cu.id = p_uc), 'none')
$$;

-- ccee_build: for each UC id in p_uc_ids and CCEE day p_day, everything the sender needs in one
-- row: the UC code, the connected agent's CCEE code, the 288 stamps, Wh values and tipoConsumo in
-- slot order, the reasons to hold the day (jsonb array of {code, message}; empty = send), the
-- warnings to record with a sent day, and the fingerprint. p_now decides "the day is not over".
-- Hold reasons: uc_code_invalid, not_registered, no_main_meter, future_day, split_disabled,
-- incomplete, musd_exceeded (unless released or ccee_musd_policy = send: then a warning).
create or replace function smf.ccee_build(p_uc_ids int[], p_day date, p_now timestamptz default now())
returns table (consumer_unit_id int, uc_code text, agent_code int, stamps text[], wh bigint[],
               tipos text[], reasons jsonb, warnings jsonb, fingerprint text)
language sql stable set search_path = smf, public, pg_catalog set jit = off as $$
    with agg as (
        select a.consumer_unit_id as id, a.wh, a.tipos, a.n_present, a.first_missing,
               a.interval_minutes as im
        from smf.ccee_day_arrays(p_uc_ids, p_day) a
    ), hours as (
        select a.id, (s.slot - 1) / 12 + 1 as hora, sum(s.wh) as wh
        from agg a, unnest(a.wh) with ordinality as s(wh, slot)
        where a.n_present = 288
        group by 1, 2
    ), factor as (
        select smf.rule_param('musd_factor', p_day) as f
    ), musd as (
        select cu.id,
               jsonb_agg(format('hour %s (%s-%s -03:00): %s kWh > %s x MUSD %s kW x 1 h = %s kWh',
                                h.hora, lpad((h.hora - 1)::text, 2, '0') || ':00',
                                lpad(h.hora::text, 2, '0') || ':00',
                                to_char(h.wh / 1000.0, 'FM999999990.000'), fa.f,
                                cu.musd_kw, to_char(fa.f * cu.musd_kw, 'FM999999990.000'))
                         order by h.hora) as hours
        from factor fa
        cross join smf.consumer_unit cu
        join hours h on h.id = cu.id
        where cu.id = any (p_uc_ids) and cu.musd_kw is not null
          and h.wh > fa.f * cu.musd_kw * 1000
        group by cu.id
    ), checks as (
        select cu.id, cu.uc_code::text as uc_code, d.ccee_agent_code, a.wh, a.tipos,
               smf.ccee_fingerprint(cu.id, p_day) as fingerprint,
               array_remove(array[
                   case when not smf.uc_code_is_valid(cu.uc_code) then jsonb_build_object('code', 'uc_code_invalid',
                       'message', format('UC code %s fails the check digits of REN 1.095/2024', cu.uc_code)) end,
                   case when not exists (select 1 from smf.ccee_retail_uc r
                                         where r.consumer_unit_id = cu.id and r.valid_during @> p_day)
                        then jsonb_build_object('code', 'not_registered',
                            'message', format('UC %s is not in the retail model on %s (smf.ccee_retail_uc)', cu.uc_code, p_day)) end,
                   case when cu.main_meter_id is null then jsonb_build_object('code', 'no_main_meter',
                       'message', format('UC %s has no main meter', cu.uc_code)) end,
                   case when p_now < smf.ccee_day_start(p_day + 1) then jsonb_build_object('code', 'future_day',
                       'message', format('day %s is not over yet (ends %s)', p_day,
                                         to_char(p_day + 1, 'YYYY-MM-DD"T00:00:00-03:00"'))) end,
                   case when a.im = 15 and smf.setting_text('ccee_split_15min', 'on') <> 'on'
                        then jsonb_build_object('code', 'split_disabled',
                            'message', 'the main meter integrates 15 minutes and ccee_split_15min is off') end,
                   case when cu.main_meter_id is not null and coalesce(a.n_present, 0) < 288
                        then jsonb_build_object('code', 'incomplete',
                            'message', format('%s of 288 five-minute values present; first missing ends %s',
                                              coalesce(a.n_present, 0),
                                              to_char(p_day::timestamp + (coalesce(a.first_missing, 0) + 1) * interval '5 minutes',
                                                      'YYYY-MM-DD"T"HH24:MI:SS"-03:00"'))) end,
                   case when m.hours is not null and smf.setting_text('ccee_musd_policy', 'hold') = 'hold'
                             and not exists (select 1 from smf.ccee_release rl where rl.consumer_unit_id = cu.id
                                             and rl.day = p_day and rl.hold_reason = 'musd_exceeded')
                        then jsonb_build_object('code', 'musd_exceeded',
                            'message', 'hourly consumption over the MUSD limit (CCEE rejects it): ' || (
                                select string_agg(x, '; ') from jsonb_array_elements_text(m.hours) x)) end
               ], null) as reasons,
               case when m.hours is not null then
                   jsonb_build_array(jsonb_build_object('code', 'musd_exceeded', 'message',
                       case when exists (select 1 from smf.ccee_release rl where rl.consumer_unit_id = cu.id
                                         and rl.day = p_day and rl.hold_reason = 'musd_exceeded')
                            then 'released by an analyst; ' else 'sent by policy ccee_musd_policy = send; ' end
                       || (select string_agg(x, '; ') from jsonb_array_elements_text(m.hours) x)))
               else '[]'::jsonb end as warnings
        from unnest(p_uc_ids) as uid(id)
        join smf.consumer_unit cu on cu.id = uid.id
        join smf.distributor d on d.id = cu.distributor_id
        left join agg a on a.id = cu.id
        left join musd m on m.id = cu.id
    )
    select c.id, c.uc_code, c.ccee_agent_code, st.stamps, c.wh, c.tipos,
           to_jsonb(c.reasons), case when cardinality(c.reasons) > 0 then '[]'::jsonb else c.warnings end,
           c.fingerprint
    from checks c
    cross join (select smf.ccee_stamps(p_day) as stamps) st
$$;

-- ccee_hold_reasons: the reasons (code, message) why UC p_uc_code's CCEE day p_day would be held
-- now; no rows when it can be sent.
create or replace function smf.ccee_hold_reasons(p_uc_code text, p_day date, p_now timestamptz default now())
returns table (code text, message text)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select r ->> 'code', r ->> 'message'
    from smf.ccee_build(array[smf.uc_id(p_uc_code)], p_day, p_now) b,
         jsonb_array_elements(b.reasons) r
$$;
