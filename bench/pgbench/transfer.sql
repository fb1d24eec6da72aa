-- One transfer of a land-use right, as the database sees it: the floor of bench/transfers.py.
--
-- Run by bench/transfers.py as `pgbench -n -M prepared -f transfer.sql -D journal_lock=...
-- -D notary=... -D run=...` after it made the scratch schema bench_floor: shadow copies
-- of the journal, rights and parties (LIKE ... INCLUDING ALL, so the same indexes,
-- checks and exclusion constraint, plus the same deferred foreign keys) and a work
-- queue of distinct current parcels, one per transaction. The statements are those of
-- transactions.services.record_transfer in the same order, with nothing else: no
-- idempotency lookup, no staleness check, no permission check, no Python. Variables
-- are written `:name::type`: with -M prepared each becomes a typed parameter.
BEGIN;
-- The next parcel of the queue: each transaction transfers a parcel no other touches.
SELECT parcel_id AS parcel, identifier, right_id AS ended, day
  FROM bench_floor.work WHERE n = (SELECT nextval('bench_floor.work_n')) \gset
-- One deed per parcel at a time (services._lock).
SELECT id FROM public.parcels_parcel WHERE id = :parcel::bigint FOR UPDATE;
-- The recipient, new to the register (services._party), and the new right's id.
INSERT INTO bench_floor.party (kind, name, national_id, address)
  VALUES ('person', 'Người Mua ' || :parcel::bigint,
          'F' || :run::text || '-' || :parcel::bigint, '')
  RETURNING id AS buyer \gset
SELECT nextval(pg_get_serial_sequence('bench_floor.right', 'id')) AS begun \gset
-- One appender at a time (journal.JOURNAL_LOCK), then the head and the new entry,
-- hash-chained to it, with a payload shaped like the application's.
SELECT pg_advisory_xact_lock(:journal_lock::bigint);
INSERT INTO bench_floor.journal (
    sequence, kind, payload, effective_date, recorded_at, idempotency_key,
    document_sha256, prev_hash, entry_hash, recorded_by_id, request_sha256)
  SELECT head.sequence + 1, 'transfer', deed.payload, :day::date, deed.at,
         gen_random_uuid()::text, '', head.entry_hash,
         encode(sha256(convert_to(concat_ws(E'\n', head.entry_hash, head.sequence + 1,
             deed.at, :notary::bigint, '', deed.payload), 'UTF8')), 'hex'),
         :notary::bigint, encode(sha256(convert_to(deed.payload, 'UTF8')), 'hex')
  FROM (SELECT sequence, entry_hash FROM bench_floor.journal
        ORDER BY sequence DESC LIMIT 1) AS head,
       (SELECT clock_timestamp() AS at, json_build_object(
            'currency', 'VND', 'effective_date', :day::date, 'kind', 'transfer',
            'parcel', json_build_object('id', :parcel::bigint, 'identifier', :identifier::text),
            'parties', json_build_array(json_build_object(
                'id', :buyer::bigint, 'kind', 'person', 'name', 'Người Mua ' || :parcel::bigint,
                'national_id', 'F' || :run::text || '-' || :parcel::bigint)),
            'price', '1000',
            'rights_begun', json_build_array(json_build_object(
                'certificate_number', 'BF ' || :begun::bigint, 'holder', :buyer::bigint,
                'id', :begun::bigint,
                'kind', 'ownership', 'share', '1/1')),
            'rights_ended', json_build_array(:ended::bigint), 'schema', 1,
            'transfer_type', 'sale')::text AS payload) AS deed
  RETURNING sequence AS entry \gset
-- The projection: end the current right, begin the recipient's (projection.apply).
UPDATE bench_floor.right SET valid_to = :day::date, ended_by_id = :entry::bigint
  WHERE id = :ended::bigint AND valid_to IS NULL AND voided_by_id IS NULL;
INSERT INTO bench_floor.right (
    id, kind, share_numerator, share_denominator, certificate_number, valid_from,
    begun_by_id, holder_id, parcel_id)
  VALUES (:begun::bigint, 'ownership', 1, 1, 'BF ' || :begun::bigint, :day::date,
          :entry::bigint, :buyer::bigint, :parcel::bigint);
END;
