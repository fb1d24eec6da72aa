# The search index (issue 16): words of addresses and keys of unit names, GIN-indexed.

import django.db.models.deletion
from django.db import migrations, models


# How search reads text, once, in SQL: the GIN indexes below are built with these
# functions, and parcels.search.text reads typed text the same way in Python (a test
# compares the two on every demo address and unit name). Folded as landinfo_unaccent
# folds (migration 0003) after NFKC (full-width digits are digits), then cut at every
# character that is neither letter nor digit and between a digit and a letter:
# "예시1동362-1" is 예시 1 동 362 1, "Số 12A" is so 12 a, so that a space typed or left
# out changes no word. Changing these functions changes what the indexes hold: a
# migration that does so must REINDEX them (manage.py rebuild_search_index).
CREATE_TOKENS = r"""
CREATE FUNCTION landinfo_search_tokens(text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(
        SELECT token
        FROM regexp_split_to_table(
            regexp_replace(
                regexp_replace(landinfo_unaccent(normalize($1, NFKC)), '([0-9])([^0-9])', '\1 \2', 'g'),
                '([^0-9])([0-9])', '\1 \2', 'g'),
            '[^[:alnum:]]+') WITH ORDINALITY AS t(token, position)
        WHERE token <> ''
        ORDER BY position
    );

-- The parcel's address as a set of words, for the GIN index; no positions or weights.
CREATE FUNCTION landinfo_search_document(text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN array_to_tsvector(landinfo_search_tokens($1));
"""

# Function bodies name what they call with its schema: a restore (pg_restore) builds the
# indexes with an empty search_path, and PL/pgSQL resolves names when it runs.
# The keys a unit's name is found by: its words run together ("phuongmau2"), and in
# Vietnam without the leading word that names its kind ("mau2") or with that word
# abbreviated as addresses write it ("pmau2", "qbadinh", "tphanoi"); in Korea a
# metropolitan city or province without its suffix ("서울", "서울시", "경기"). A key of
# digits alone is never made: "Phường 12" is found as "P.12" or "P12", never by a
# house number 12. Words in parentheses ("(dữ liệu tổng hợp)") are no part of a key.
CREATE_UNIT_KEYS = r"""
CREATE FUNCTION landinfo_unit_keys(name text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    words text[] := public.landinfo_search_tokens(regexp_replace(name, '\([^)]*\)', ' ', 'g'));
    whole text := array_to_string(words, '');
    keys text[] := ARRAY[whole];
    kind record;
    bare text;
    suffix text;
BEGIN
    IF whole = '' THEN
        RETURN '{}';
    END IF;
    FOR kind IN
        SELECT * FROM (VALUES
            (ARRAY['phuong'], 'p'), (ARRAY['xa'], 'x'), (ARRAY['thi', 'tran'], 'tt'),
            (ARRAY['dac', 'khu'], 'dk'), (ARRAY['quan'], 'q'), (ARRAY['huyen'], 'h'),
            (ARRAY['thi', 'xa'], 'tx'), (ARRAY['thanh', 'pho'], 'tp'), (ARRAY['tinh'], 't')
        ) AS k(type_words, short)
    LOOP
        IF cardinality(words) > cardinality(kind.type_words)
           AND words[1:cardinality(kind.type_words)] = kind.type_words THEN
            bare := array_to_string(words[cardinality(kind.type_words) + 1:], '');
            IF bare !~ '^[0-9]+$' THEN
                keys := keys || bare;
            END IF;
            keys := keys || (kind.short || bare);
            RETURN keys;
        END IF;
    END LOOP;
    FOREACH suffix IN ARRAY ARRAY['특별자치시', '특별자치도', '특별시', '광역시'] LOOP
        IF whole LIKE '_%' || suffix THEN
            bare := left(whole, length(whole) - length(suffix));
            RETURN keys || bare || (bare || CASE WHEN suffix LIKE '%도' THEN '도' ELSE '시' END);
        END IF;
    END LOOP;
    IF whole ~ '^[가-힣]{2,}도$' THEN
        RETURN keys || left(whole, length(whole) - 1);
    END IF;
    RETURN keys;
END
$$;
"""

# Every current and retired parcel by the words of its address (search reads retired
# ones for `as_of`); the words of units by their keys, former names and former parents
# included. They replace the trigram GiST index of migration 0003, which ranked by
# nearness and rechecked thousands of addresses sharing a street's words.
CREATE_INDEXES = """
CREATE INDEX parcel_address_words ON parcels_parcel
    USING gin (landinfo_search_document(address));
CREATE INDEX adminunit_name_keys ON parcels_administrativeunit
    USING gin (landinfo_unit_keys(name));
CREATE INDEX adminunitname_name_keys ON parcels_administrativeunitname
    USING gin (landinfo_unit_keys(name));
CREATE INDEX adminunitname_parent_keys ON parcels_administrativeunitname
    USING gin (landinfo_unit_keys(parent_name));
CREATE INDEX searchword_prefix ON parcels_searchword (word text_pattern_ops);
CREATE INDEX searchword_trgm ON parcels_searchword USING gin (word gin_trgm_ops);
CREATE INDEX searchword_length ON parcels_searchword (length(word));
DROP INDEX parcel_address_trgm;
"""
DROP_INDEXES = """
DROP INDEX parcel_address_words, adminunit_name_keys, adminunitname_name_keys,
    adminunitname_parent_keys, searchword_prefix, searchword_trgm, searchword_length;
CREATE INDEX parcel_address_trgm ON parcels_parcel
    USING gist (landinfo_unaccent(address) gist_trgm_ops(siglen=64)) WHERE valid_to IS NULL;
"""

# New words go into the word table in the transaction that writes them, set-based per
# statement (an import's INSERT ... SELECT adds its words in one statement), sorted so
# that two transactions adding the same new words take their locks in one order.
CREATE_TRIGGERS = """
CREATE FUNCTION landinfo_add_search_words() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_TABLE_NAME = 'parcels_parcel' THEN
        INSERT INTO public.parcels_searchword (word, parcels)
        SELECT DISTINCT w, 0 FROM new_rows, unnest(public.landinfo_search_tokens(new_rows.address)) w
        ORDER BY w
        ON CONFLICT (word) DO NOTHING;
    ELSE
        INSERT INTO public.parcels_searchword (word, parcels)
        SELECT DISTINCT w, 0 FROM new_rows, unnest(public.landinfo_search_tokens(new_rows.name)) w
        ORDER BY w
        ON CONFLICT (word) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER parcel_search_words_insert AFTER INSERT ON parcels_parcel
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION landinfo_add_search_words();
CREATE TRIGGER parcel_search_words_update AFTER UPDATE ON parcels_parcel
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION landinfo_add_search_words();
CREATE TRIGGER adminunit_search_words_insert AFTER INSERT ON parcels_administrativeunit
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION landinfo_add_search_words();
CREATE TRIGGER adminunit_search_words_update AFTER UPDATE ON parcels_administrativeunit
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION landinfo_add_search_words();
"""
DROP_TRIGGERS = """
DROP TRIGGER parcel_search_words_insert ON parcels_parcel;
DROP TRIGGER parcel_search_words_update ON parcels_parcel;
DROP TRIGGER adminunit_search_words_insert ON parcels_administrativeunit;
DROP TRIGGER adminunit_search_words_update ON parcels_administrativeunit;
DROP FUNCTION landinfo_add_search_words();
"""

# The words already in the register, counted as the rebuild command counts them.
FILL_WORDS = """
INSERT INTO parcels_searchword (word, parcels)
SELECT w, sum(current)
FROM (
    SELECT unnest(tsvector_to_array(landinfo_search_document(address))) AS w,
           (valid_to IS NULL)::int AS current
    FROM parcels_parcel
    UNION ALL
    SELECT unnest(landinfo_search_tokens(name)), 0 FROM parcels_administrativeunit
) words
GROUP BY w;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("parcels", "0006_parcel_map_scale"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("word", models.TextField(primary_key=True, serialize=False)),
                (
                    "parcels",
                    models.IntegerField(
                        default=0,
                        help_text="Current parcels whose address had the word at the last rebuild.",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="AdministrativeUnitName",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                (
                    "parent_name",
                    models.CharField(
                        blank=True,
                        help_text="The unit it was part of under this name, e.g. a district abolished in 2025.",
                        max_length=200,
                    ),
                ),
                (
                    "valid_to",
                    models.DateField(help_text="First day the name was no longer in use."),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="former_names",
                        to="parcels.administrativeunit",
                    ),
                ),
            ],
            options={
                "ordering": ["unit", "valid_to", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("unit", "name", "parent_name"), name="adminunitname_unique"
                    )
                ],
            },
        ),
        # Trusted (a database owner may create it); scripts/setup creates it already.
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;", reverse_sql=migrations.RunSQL.noop
        ),
        migrations.RunSQL(
            CREATE_TOKENS,
            reverse_sql="DROP FUNCTION landinfo_search_document(text); DROP FUNCTION landinfo_search_tokens(text);",
        ),
        migrations.RunSQL(CREATE_UNIT_KEYS, reverse_sql="DROP FUNCTION landinfo_unit_keys(text);"),
        migrations.RunSQL(CREATE_INDEXES, reverse_sql=DROP_INDEXES),
        migrations.RunSQL(CREATE_TRIGGERS, reverse_sql=DROP_TRIGGERS),
        migrations.RunSQL(FILL_WORDS, reverse_sql=migrations.RunSQL.noop),
    ]
