-- Consumer-unit codes (REN ANEEL 1.095/2024): N15..N6 sequential, N5..N3 distributor, N2 N1 checks.
-- Check digits as Annex II defines them, as far as public implementations show [L]:
--   first check digit (N2) over N15..N3 (13 digits) with weights 10 9 8 7 6 5 4 3 2 1 10 9 8;
--   second check digit (N1) over N15..N2 (14 digits, N2 included) with weights
--   11 10 9 8 7 6 5 4 3 2 1 10 9 8;
--   remainder r = sum mod 11; r < 2 gives 0, otherwise 11 - r.
-- Read from the right, both weight lists are 8, 9, 10, then 1, 2, 3, ... (position i from the
-- right, 0-based: 8 + i for i < 3, i - 2 after). Published example: 0.013.479.258.028-10.
-- This file is the single place holding the algorithm.

-- uc_check_digit: the check digit (0-9) over 13 digits (the first) or 14 digits (the second);
-- null for any other input.
create or replace function smf.uc_check_digit(p_digits text) returns int
language sql immutable strict parallel safe set search_path = pg_catalog as $$
    select case when s % 11 < 2 then 0 else 11 - s % 11 end
    from (
        select sum(substr(p_digits, length(p_digits) - i, 1)::int
                   * case when i < 3 then 8 + i else i - 2 end) as s
        from generate_series(0, length(p_digits) - 1) as i
    ) t
    where p_digits ~ '^[0-9]{13,14}$'
$$;

-- uc_code_with_check_digits: the 15-digit code for 10 sequential digits and a 3-digit distributor id.
create or replace function smf.uc_code_with_check_digits(p_sequential bigint, p_distributor int)
returns text
language sql immutable strict parallel safe set search_path = pg_catalog as $$
    select base || d1 || smf.uc_check_digit(base || d1)
    from (select lpad(p_sequential::text, 10, '0') || lpad(p_distributor::text, 3, '0') as base) b,
         lateral (select smf.uc_check_digit(b.base)::text as d1) c
$$;

-- uc_code_is_valid: true when the code has 15 digits and both check digits match.
create or replace function smf.uc_code_is_valid(p_code text) returns boolean
language sql immutable parallel safe set search_path = pg_catalog as $$
    select coalesce(p_code ~ '^[0-9]{15}$'
        and smf.uc_check_digit(left(p_code, 13)) = substr(p_code, 14, 1)::int
        and smf.uc_check_digit(left(p_code, 14)) = substr(p_code, 15, 1)::int, false)
$$;
