-- Consumer-unit codes (REN ANEEL 1.095/2024): N15..N6 sequential, N5..N3 distributor, N2 N1 checks.
-- ANEEL's instructions for the check digits are not public; we use mod 11 with weights 2..9
-- cycling from the rightmost digit (the CNPJ/bank convention), remainder 0 or 1 giving 0. This
-- file is the single place holding that assumption.

-- uc_check_digit: the mod-11 check digit (0-9) of a string of decimal digits.
create or replace function smf.uc_check_digit(p_digits text) returns int
language sql immutable strict parallel safe set search_path = pg_catalog as $$
    select case when s % 11 < 2 then 0 else 11 - s % 11 end
    from (
        select sum(substr(p_digits, length(p_digits) - i, 1)::int * (2 + i % 8)) as s
        from generate_series(0, length(p_digits) - 1) as i
    ) t
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
