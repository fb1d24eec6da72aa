# An address's words stored once, and its unit inside the search index (issue 16).

from django.db import migrations

# Until now every write tokenised an address twice (the GIN index's expression and the
# word trigger), and every ranked candidate once more: an import paid 1.34x for search
# (bench/searchcost.py at 1M), over the 1.25x target. A stored generated column reads
# the address once, as the row is written; the index, the trigger, the ranking and the
# recount read the column.
#
# The document indexed is the address's words and one key for the parcel's unit,
# "#<admin_unit_id>" (no word has a "#": words are letters and digits). A search inside
# named places asks the index for the words and one of the places' keys, so that GIN
# intersects the posting lists instead of fetching every parcel of the country with a
# common word and filtering them after (30.7 -> 11.0 ms at 1M for a word in a ward).
#
# Changing landinfo_search_tokens now means rewriting the column: drop and re-add it
# (PostgreSQL 15 has no ALTER COLUMN ... SET EXPRESSION), which rebuilds the index.
# New words of parcels into the word table, as migration 0009 wrote it but for the words
# of parcels, read from PARCEL_WORDS.
TRIGGER = r"""
CREATE OR REPLACE FUNCTION landinfo_add_search_words() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_TABLE_NAME = 'parcels_parcel' THEN
        INSERT INTO public.parcels_searchword (word, parcels, in_place_name)
        SELECT DISTINCT w, 0, false
        FROM new_rows, unnest(PARCEL_WORDS) w
        ORDER BY w
        ON CONFLICT (word) DO NOTHING;
    ELSIF TG_TABLE_NAME = 'parcels_administrativeunit' THEN
        INSERT INTO public.parcels_searchword (word, parcels, in_place_name)
        SELECT DISTINCT w, 0, true
        FROM new_rows, unnest(public.landinfo_search_tokens(new_rows.name)) w
        ORDER BY w
        ON CONFLICT (word) DO UPDATE SET in_place_name = true
        WHERE NOT parcels_searchword.in_place_name;
    ELSE
        INSERT INTO public.parcels_searchword (word, parcels, in_place_name)
        SELECT DISTINCT w, 0, true
        FROM new_rows,
             unnest(public.landinfo_search_tokens(new_rows.name || ' ' || new_rows.parent_name)) w
        ORDER BY w
        ON CONFLICT (word) DO UPDATE SET in_place_name = true
        WHERE NOT parcels_searchword.in_place_name;
    END IF;
    RETURN NULL;
END
$$;

"""

FORWARD = """
ALTER TABLE parcels_parcel
    ADD COLUMN search_words text[]
    GENERATED ALWAYS AS (public.landinfo_search_tokens(address)) STORED;

CREATE FUNCTION landinfo_parcel_document(words text[], unit bigint) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN array_to_tsvector(coalesce(words, '{}') || ('#' || coalesce(unit, 0)::text));

DROP INDEX parcel_address_words;
CREATE INDEX parcel_address_words ON parcels_parcel
    USING gin (landinfo_parcel_document(search_words, admin_unit_id));
DROP FUNCTION landinfo_search_document(text);
""" + TRIGGER.replace("PARCEL_WORDS", "new_rows.search_words")

BACKWARD = (
    TRIGGER.replace("PARCEL_WORDS", "public.landinfo_search_tokens(new_rows.address)")
    + """
CREATE FUNCTION landinfo_search_document(text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN array_to_tsvector(public.landinfo_search_tokens($1));
DROP INDEX parcel_address_words;
CREATE INDEX parcel_address_words ON parcels_parcel
    USING gin (landinfo_search_document(address));
DROP FUNCTION landinfo_parcel_document(text[], bigint);
ALTER TABLE parcels_parcel DROP COLUMN search_words;
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("parcels", "0010_drop_duplicate_prefix_index"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]
