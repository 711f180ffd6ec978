-- DLMS/COSEM: what a load-profile status byte means for the quality of an interval. The bits
-- are data (smf.dlms_status_bit, scheme 'idis' = the IDIS "AMR profile status" by default).

-- dlms_status_quality: the quality of an interval whose profile status byte is p_status under
-- scheme p_scheme (the worst of its set bits: missing > adjusted > measured) and the meanings
-- of its set bits. An unknown scheme raises SMF02.
create or replace function smf.dlms_status_quality(p_scheme text, p_status int)
returns table (quality smf.quality, flags text[])
language plpgsql stable set search_path = smf, pg_catalog as $$
begin
    if not exists (select 1 from smf.dlms_status_bit b where b.scheme = p_scheme) then
        raise exception 'unknown DLMS status scheme %', p_scheme using errcode = 'SMF02';
    end if;
    if p_status is null or p_status < 0 or p_status > 255 then
        raise exception 'DLMS profile status % is not one octet', p_status using errcode = 'SMF02';
    end if;
    return query
    select coalesce((array_agg(b.quality order by case b.quality when 'missing' then 0
                                                 when 'estimated' then 1 when 'adjusted' then 2
                                                 else 3 end))[1], 'measured'::smf.quality),
           coalesce(array_agg(b.meaning order by b.bit) filter (where b.meaning <> 'reserved'), '{}')
    from smf.dlms_status_bit b
    where b.scheme = p_scheme and (p_status >> b.bit) & 1 = 1;
end
$$;

-- dlms_status_table: every (status byte, quality, flags) of scheme p_scheme, 0-255: what the
-- poller caches once per read instead of asking per interval.
create or replace function smf.dlms_status_table(p_scheme text)
returns table (status int, quality smf.quality, flags text[])
language sql stable set search_path = smf, pg_catalog as $$
    select s, q.quality, q.flags from generate_series(0, 255) s,
           lateral smf.dlms_status_quality(p_scheme, s) q
$$;
