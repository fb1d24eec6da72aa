# Indexes for parcel search (issue 3): addresses by trigram, identifiers by their end.

from django.db import migrations

# unaccent() is STABLE (it reads a dictionary that could change), so it cannot appear
# in an index expression. This wrapper pins the dictionary and is declared IMMUTABLE,
# the documented way to index unaccented text; the SQL-standard body (RETURN ...) is
# parsed once, so the dictionary is bound by OID and the function depends on the
# extension (DROP EXTENSION unaccent refuses while the index exists). Lower case
# because pg_trgm compares case-sensitively only in some locales.
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION landinfo_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));
"""

# Only current parcels are found by address; retired ones keep their rows for history.
CREATE_ADDRESS_INDEX = """
CREATE INDEX parcel_address_trgm ON parcels_parcel
    USING gin (landinfo_unaccent(address) gin_trgm_ops) WHERE valid_to IS NULL;
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
