-- Consumer-unit registration (`smf uc add|set|retire`, POST/PATCH /api/v1/units): one place that
-- checks every field and says which one is wrong, so the CLI and the API refuse the same input
-- with the same words and write nothing. Every function runs as its caller (row-level security
-- decides whose UCs an analyst may write). Errors: SMF02 invalid input, SMF04 unknown reference,
-- 23505 (unique_violation) a UC code already registered.

-- uc_code_complete: the 15-digit UC code from a code typed with or without its two check digits
-- (REN 1.095/2024 Annex II, smf.uc_check_digit). Accepts dots, dashes and spaces as typed on a
-- bill (0.013.479.258.028-10). 13 digits: the check digits are computed and appended; 15 digits:
-- they are verified (SMF02 names the expected pair). With p_aneel_code, digits N5..N3 must be
-- that distributor's ANEEL code. Returns text, 15 digits.
create or replace function smf.uc_code_complete(p_code text, p_aneel_code text default null)
returns text
language plpgsql immutable set search_path = smf, pg_catalog as $$
declare
    v_digits text := regexp_replace(coalesce(p_code, ''), '[.\s-]', '', 'g');
    v_base text;
    v_expected text;
begin
    if v_digits !~ '^[0-9]+$' or length(v_digits) not in (13, 15) then
        raise exception using errcode = 'SMF02', message = format(
            'UC code %s: expected 13 digits (the check digits are then computed) or 15 digits '
            '(they are then verified), dots and dashes allowed', coalesce(quote_literal(p_code), 'null'));
    end if;
    v_base := left(v_digits, 13);
    v_expected := v_base || smf.uc_check_digit(v_base)::text;
    v_expected := v_expected || smf.uc_check_digit(v_expected)::text;
    if length(v_digits) = 15 and v_digits <> v_expected then
        raise exception using errcode = 'SMF02', message = format(
            'UC code %s: check digits %s do not match; for %s they are %s (REN 1.095/2024 Annex II)',
            v_digits, right(v_digits, 2), v_base, right(v_expected, 2));
    end if;
    if p_aneel_code is not null and substr(v_digits, 11, 3) <> p_aneel_code then
        raise exception using errcode = 'SMF02', message = format(
            'UC code %s: digits 11-13 (%s) must be the distributor''s ANEEL code %s',
            v_expected, substr(v_digits, 11, 3), p_aneel_code);
    end if;
    return v_expected;
end
$$;

-- uc_meter_ref: the id of the meter with serial p_serial for UC field p_field (main or backup
-- meter); null for a null serial; SMF04 naming the field for an unknown or retired meter.
create or replace function smf.uc_meter_ref(p_serial text, p_field text) returns int
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_id int;
    v_retired timestamptz;
begin
    if p_serial is null then
        return null;
    end if;
    select id, retired_at into v_id, v_retired from smf.meter where serial = p_serial;
    if not found then
        raise exception using errcode = 'SMF04', message = format(
            '%s: no meter %s (register it first: smf meter add)', p_field, quote_literal(p_serial));
    end if;
    if v_retired is not null then
        raise exception using errcode = 'SMF02', message = format(
            '%s: meter %s is retired', p_field, p_serial);
    end if;
    return v_id;
end
$$;

-- uc_check_fields: raises SMF02 naming the first field of a consumer_unit row that breaks a rule
-- (modality, tariff group, demands in kW >= 0, Azul needs a ponta demand, supply voltage in kV
-- > 0, backup meter differs from main meter); returns nothing.
create or replace function smf.uc_check_fields(p smf.consumer_unit) returns void
language plpgsql immutable set search_path = smf, pg_catalog as $$
begin
    if coalesce(btrim(p.customer_name), '') = '' then
        raise exception using errcode = 'SMF02', message = 'customer: give the customer''s name';
    end if;
    if p.modality is null or p.modality not in ('azul', 'verde', 'convencional', 'branca') then
        raise exception using errcode = 'SMF02', message = format(
            'modality %s: one of azul, verde, convencional, branca', coalesce(quote_literal(p.modality), 'null'));
    end if;
    if p.tariff_group is null
       or p.tariff_group not in ('A1', 'A2', 'A3', 'A3a', 'A4', 'AS', 'B1', 'B2', 'B3') then
        raise exception using errcode = 'SMF02', message = format(
            'tariff group %s: one of A1, A2, A3, A3a, A4, AS, B1, B2, B3',
            coalesce(quote_literal(p.tariff_group), 'null'));
    end if;
    if p.contracted_demand_ponta_kw < 0 or p.contracted_demand_fora_ponta_kw < 0 or p.musd_kw < 0 then
        raise exception using errcode = 'SMF02',
            message = 'contracted demands and MUSD are kW and cannot be negative';
    end if;
    if p.modality = 'azul' and p.contracted_demand_ponta_kw is null then
        raise exception using errcode = 'SMF02',
            message = 'modality azul: give the contracted ponta demand (kW) as well as fora ponta';
    end if;
    if p.supply_voltage_kv is null or p.supply_voltage_kv <= 0 then
        raise exception using errcode = 'SMF02', message = format(
            'supply voltage %s: give the supply voltage in kV (e.g. 13.8)',
            coalesce(p.supply_voltage_kv::text, 'null'));
    end if;
    if p.backup_meter_id = p.main_meter_id then
        raise exception using errcode = 'SMF02',
            message = 'the backup meter must differ from the main meter';
    end if;
end
$$;

-- uc_loss_set: sets UC p_uc_code's transformer-loss factor (fraction, e.g. 0.025) for local days
-- from p_from on (until p_to, exclusive, when given). A period still open at p_from is closed the
-- day before; a period that starts inside [p_from, p_to) is replaced. p_factor null: no loss
-- factor from p_from (the default of smf.transformer_loss_default no longer applies either).
-- Returns the number of periods written (0 or 1).
create or replace function smf.uc_loss_set(
    p_uc_code text, p_factor numeric, p_from date, p_to date default null)
returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_uc int := smf.uc_id(p_uc_code);
    v_span daterange;
    v_tail_factor numeric;
    v_tail_end date;
begin
    if p_from is null then
        raise exception using errcode = 'SMF02', message = 'loss factor: give the day it applies from';
    end if;
    if p_to is not null and p_to <= p_from then
        raise exception using errcode = 'SMF02', message = format(
            'loss factor: valid to %s must be after valid from %s', p_to, p_from);
    end if;
    if p_factor is not null and (p_factor < 0 or p_factor >= 0.2) then
        raise exception using errcode = 'SMF02', message = format(
            'loss factor %s: a fraction in [0, 0.2), e.g. 0.025 for 2.5 %%', p_factor);
    end if;
    v_span := daterange(p_from, p_to);
    -- the one period (periods never overlap) that reaches past p_to keeps its part after p_to
    if p_to is not null then
        select factor, upper(valid_during) into v_tail_factor, v_tail_end
        from smf.transformer_loss
        where consumer_unit_id = v_uc and valid_during && v_span
          and (upper_inf(valid_during) or upper(valid_during) > p_to);
    end if;
    delete from smf.transformer_loss
    where consumer_unit_id = v_uc and lower(valid_during) >= p_from
      and (p_to is null or lower(valid_during) < p_to);
    -- an earlier period overlapping the new one ends the day before p_from
    update smf.transformer_loss set valid_during = daterange(lower(valid_during), p_from)
    where consumer_unit_id = v_uc and valid_during && v_span and lower(valid_during) < p_from;
    if v_tail_factor is not null then
        insert into smf.transformer_loss (consumer_unit_id, valid_during, factor)
        values (v_uc, daterange(p_to, v_tail_end), v_tail_factor);
    end if;
    if p_factor is null then
        return 0;
    end if;
    insert into smf.transformer_loss (consumer_unit_id, valid_during, factor)
    values (v_uc, v_span, p_factor);
    return 1;
end
$$;

-- uc_register: registers a consumer unit and returns its 15-digit code (check digits computed
-- when the code is given without them). Demands and MUSD in kW, supply voltage in kV, the loss
-- factor a fraction valid from p_loss_from (default: the first day of the current local month).
-- Every field is checked first (SMF02/SMF04 naming it); nothing is written on any error.
create or replace function smf.uc_register(
    p_code text, p_distributor_aneel text, p_customer text, p_submarket text,
    p_tariff_group text, p_modality text, p_supply_voltage_kv numeric,
    p_ponta_kw numeric default null, p_fora_ponta_kw numeric default null,
    p_musd_kw numeric default null, p_main_meter text default null,
    p_backup_meter text default null, p_loss_factor numeric default null,
    p_loss_from date default null)
returns text
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_dist int;
    v_row smf.consumer_unit;
    v_owner text;
begin
    select id into v_dist from smf.distributor where aneel_code = p_distributor_aneel;
    if not found then
        raise exception using errcode = 'SMF04', message = format(
            'distributor %s: no distributor with that ANEEL code', coalesce(quote_literal(p_distributor_aneel), 'null'));
    end if;
    if p_submarket is null or p_submarket not in ('SE/CO', 'S', 'NE', 'N') then
        raise exception using errcode = 'SMF02', message = format(
            'submarket %s: one of SE/CO, S, NE, N', coalesce(quote_literal(p_submarket), 'null'));
    end if;
    v_row.main_meter_id := smf.uc_meter_ref(p_main_meter, 'main meter');
    v_row.backup_meter_id := smf.uc_meter_ref(p_backup_meter, 'backup meter');
    v_row.uc_code := smf.uc_code_complete(p_code, p_distributor_aneel);
    if exists (select 1 from smf.consumer_unit where uc_code = v_row.uc_code) then
        raise exception using errcode = 'unique_violation', message = format(
            'UC %s is already registered (change it with smf uc set)', v_row.uc_code);
    end if;
    v_row.distributor_id := v_dist;
    v_row.customer_name := btrim(p_customer);
    v_row.submarket := p_submarket::smf.submarket;
    v_row.tariff_group := p_tariff_group;
    v_row.modality := p_modality;
    v_row.contracted_demand_ponta_kw := p_ponta_kw;
    v_row.contracted_demand_fora_ponta_kw := p_fora_ponta_kw;
    v_row.musd_kw := p_musd_kw;
    v_row.supply_voltage_kv := p_supply_voltage_kv;
    perform smf.uc_check_fields(v_row);
    select cu.uc_code into v_owner from smf.consumer_unit cu
    where cu.main_meter_id = v_row.main_meter_id and cu.retired_at is null;
    if found then
        raise exception using errcode = 'SMF02', message = format(
            'main meter %s already measures UC %s (retire it or change its main meter first)',
            p_main_meter, v_owner);
    end if;
    insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket, tariff_group,
        modality, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw, musd_kw,
        supply_voltage_kv, main_meter_id, backup_meter_id)
    values (v_row.uc_code, v_row.distributor_id, v_row.customer_name, v_row.submarket,
        v_row.tariff_group, v_row.modality, v_row.contracted_demand_ponta_kw,
        v_row.contracted_demand_fora_ponta_kw, v_row.musd_kw, v_row.supply_voltage_kv,
        v_row.main_meter_id, v_row.backup_meter_id);
    if p_loss_factor is not null then
        perform smf.uc_loss_set(v_row.uc_code, p_loss_factor,
            coalesce(p_loss_from, date_trunc('month', (now() at time zone smf.local_timezone())::date)::date));
    end if;
    return v_row.uc_code;
end
$$;

-- uc_update: changes the fields of UC p_uc_code named in p_changes (jsonb; keys customer,
-- submarket, tariff_group, modality, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw,
-- musd_kw (kW), supply_voltage_kv (kV), main_meter, backup_meter (serials; JSON null clears the
-- backup meter or a demand)); an unknown key is refused. Returns the UC code.
create or replace function smf.uc_update(p_uc_code text, p_changes jsonb) returns text
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_row smf.consumer_unit;
    v_unknown text;
    v_owner text;
begin
    select string_agg(k, ', ') into v_unknown from jsonb_object_keys(p_changes) k
    where k not in ('customer', 'submarket', 'tariff_group', 'modality',
                    'contracted_demand_ponta_kw', 'contracted_demand_fora_ponta_kw', 'musd_kw',
                    'supply_voltage_kv', 'main_meter', 'backup_meter');
    if v_unknown is not null then
        raise exception using errcode = 'SMF02', message = format('unknown UC fields: %s', v_unknown);
    end if;
    select * into v_row from smf.consumer_unit where id = smf.uc_id(p_uc_code) for update;
    if v_row.retired_at is not null then
        raise exception using errcode = 'SMF02', message = format('UC %s is retired', p_uc_code);
    end if;
    if p_changes ? 'customer' then v_row.customer_name := btrim(p_changes->>'customer'); end if;
    if p_changes ? 'submarket' then
        if coalesce(p_changes->>'submarket', '') not in ('SE/CO', 'S', 'NE', 'N') then
            raise exception using errcode = 'SMF02', message = format(
                'submarket %s: one of SE/CO, S, NE, N', coalesce(quote_literal(p_changes->>'submarket'), 'null'));
        end if;
        v_row.submarket := (p_changes->>'submarket')::smf.submarket;
    end if;
    if p_changes ? 'tariff_group' then v_row.tariff_group := p_changes->>'tariff_group'; end if;
    if p_changes ? 'modality' then v_row.modality := p_changes->>'modality'; end if;
    if p_changes ? 'contracted_demand_ponta_kw' then
        v_row.contracted_demand_ponta_kw := (p_changes->>'contracted_demand_ponta_kw')::numeric;
    end if;
    if p_changes ? 'contracted_demand_fora_ponta_kw' then
        v_row.contracted_demand_fora_ponta_kw := (p_changes->>'contracted_demand_fora_ponta_kw')::numeric;
    end if;
    if p_changes ? 'musd_kw' then v_row.musd_kw := (p_changes->>'musd_kw')::numeric; end if;
    if p_changes ? 'supply_voltage_kv' then
        v_row.supply_voltage_kv := (p_changes->>'supply_voltage_kv')::numeric;
    end if;
    if p_changes ? 'main_meter' then
        if p_changes->>'main_meter' is null then
            raise exception using errcode = 'SMF02',
                message = 'main meter: a UC keeps a main meter (give another serial to change it)';
        end if;
        v_row.main_meter_id := smf.uc_meter_ref(p_changes->>'main_meter', 'main meter');
        select cu.uc_code into v_owner from smf.consumer_unit cu
        where cu.main_meter_id = v_row.main_meter_id and cu.retired_at is null and cu.id <> v_row.id;
        if found then
            raise exception using errcode = 'SMF02', message = format(
                'main meter %s already measures UC %s', p_changes->>'main_meter', v_owner);
        end if;
    end if;
    if p_changes ? 'backup_meter' then
        v_row.backup_meter_id := smf.uc_meter_ref(p_changes->>'backup_meter', 'backup meter');
    end if;
    perform smf.uc_check_fields(v_row);
    update smf.consumer_unit set customer_name = v_row.customer_name, submarket = v_row.submarket,
        tariff_group = v_row.tariff_group, modality = v_row.modality,
        contracted_demand_ponta_kw = v_row.contracted_demand_ponta_kw,
        contracted_demand_fora_ponta_kw = v_row.contracted_demand_fora_ponta_kw,
        musd_kw = v_row.musd_kw, supply_voltage_kv = v_row.supply_voltage_kv,
        main_meter_id = v_row.main_meter_id, backup_meter_id = v_row.backup_meter_id
    where id = v_row.id;
    return v_row.uc_code;
end
$$;

-- uc_retire: marks UC p_uc_code retired (kept with its data and history; no longer billed or
-- sent to CCEE from its retirement on). Returns the retirement time (timestamptz, UTC); a second
-- call keeps the first time.
create or replace function smf.uc_retire(p_uc_code text) returns timestamptz
language sql volatile set search_path = smf, pg_catalog as $$
    update smf.consumer_unit set retired_at = coalesce(retired_at, now())
    where id = smf.uc_id(p_uc_code)
    returning retired_at
$$;

-- uc_card: one UC as a row for `smf uc show` and GET /api/v1/units/{code}: registry fields
-- (demands and MUSD in kW, voltage in kV), meters by serial, the loss factor in force today
-- (fraction) and its validity (local days, [from, to)), and the CCEE retail-model period in force.
create or replace function smf.uc_card(p_uc_code text)
returns table (uc_code text, distributor_aneel_code text, distributor_name text,
               ccee_agent_code int, customer_name text, submarket text, tariff_group text,
               modality text, contracted_demand_ponta_kw numeric,
               contracted_demand_fora_ponta_kw numeric, musd_kw numeric,
               supply_voltage_kv numeric, main_meter_serial text, backup_meter_serial text,
               loss_factor numeric, loss_valid_from date, loss_valid_to date,
               ccee_retail_from date, created_at timestamptz, retired_at timestamptz)
language sql stable set search_path = smf, pg_catalog as $$
    select cu.uc_code::text, d.aneel_code::text, d.name, d.ccee_agent_code, cu.customer_name,
           cu.submarket::text, cu.tariff_group, cu.modality, cu.contracted_demand_ponta_kw,
           cu.contracted_demand_fora_ponta_kw, cu.musd_kw, cu.supply_voltage_kv,
           mm.serial, bm.serial, tl.factor, lower(tl.valid_during), upper(tl.valid_during),
           lower(cr.valid_during), cu.created_at, cu.retired_at
    from smf.consumer_unit cu
    join smf.distributor d on d.id = cu.distributor_id
    left join smf.meter mm on mm.id = cu.main_meter_id
    left join smf.meter bm on bm.id = cu.backup_meter_id
    left join smf.transformer_loss tl
           on tl.consumer_unit_id = cu.id and tl.valid_during @> (now() at time zone smf.local_timezone())::date
    left join smf.ccee_retail_uc cr
           on cr.consumer_unit_id = cu.id and cr.valid_during @> (now() at time zone smf.local_timezone())::date
    where cu.uc_code = p_uc_code
$$;
