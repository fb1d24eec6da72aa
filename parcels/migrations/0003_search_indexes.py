# Indexes for parcel search (issue 3): addresses by trigram, identifiers by their end.

from django.db import migrations

# unaccent() is STABLE (it reads a dictionary that could change), so it cannot appear
# in an index expression. This wrapper pins the dictionary and is declared IMMUTABLE,
# the documented way to index unaccented text. Its SQL-standard body (RETURN ...) is
# parsed once: the dictionary is bound by OID and PostgreSQL records that the function
# depends on the extension. lower() is redundant for pg_trgm, which folds case itself,
# but makes the result the folded text that any other caller expects.
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION landinfo_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));
"""

# Only current parcels are found by address; retired ones keep their rows for history.
# GiST, not GIN: search takes the nearest addresses first (`<<->`, word-similarity
# distance) and stops after a few, which only GiST can do. Measured on 1M synthetic
# parcels, GIN had to fetch and rank every address sharing a common word ("số", "phố",
# a house number): 0.2-13 s per query, against 1-40 ms for this index (a long full
# address up to ~0.5 s). Signatures of 64 bytes (the default is 12) searched as fast
# as 256-byte ones.
CREATE_ADDRESS_INDEX = """
CREATE INDEX parcel_address_trgm ON parcels_parcel
    USING gist (landinfo_unaccent(address) gist_trgm_ops(siglen=64)) WHERE valid_to IS NULL;
"""

# "12/345" without a commune is looked for across communes as the end of the canonical
# identifier ("...-12-345"); reversing turns that into a prefix, which a btree serves.
# text_pattern_ops because the database collation is not "C".
CREATE_SUFFIX_INDEX = """
CREATE INDEX parcel_identifier_reversed ON parcels_parcel
    (reverse(identifier) text_pattern_ops);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("parcels", "0002_initial"),
    ]

    operations = [
        # Both are trusted extensions (a database owner may create them); scripts/setup and
        # docker/initdb create them already, so this only makes the migration self-contained.
        # Never dropped on the way back: other objects may use them.
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS unaccent; CREATE EXTENSION IF NOT EXISTS pg_trgm;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL(CREATE_FUNCTION, reverse_sql="DROP FUNCTION landinfo_unaccent(text);"),
        migrations.RunSQL(CREATE_ADDRESS_INDEX, reverse_sql="DROP INDEX parcel_address_trgm;"),
        migrations.RunSQL(
            CREATE_SUFFIX_INDEX, reverse_sql="DROP INDEX parcel_identifier_reversed;"
        ),
    ]
