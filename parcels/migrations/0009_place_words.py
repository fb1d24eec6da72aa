# Words of places marked in the word table (issue 16): a place being typed after a lot.

from django.db import migrations, models

# Parcels add their address's words; units and their former names add theirs marked as
# words of a place name, also when an address had the word first. Set-based per
# statement, sorted so that concurrent writers lock new words in one order.
TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION landinfo_add_search_words() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_TABLE_NAME = 'parcels_parcel' THEN
        INSERT INTO public.parcels_searchword (word, parcels, in_place_name)
        SELECT DISTINCT w, 0, false
        FROM new_rows, unnest(public.landinfo_search_tokens(new_rows.address)) w
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
CREATE TRIGGER adminunitname_search_words_insert AFTER INSERT ON parcels_administrativeunitname
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION landinfo_add_search_words();
CREATE TRIGGER adminunitname_search_words_update AFTER UPDATE ON parcels_administrativeunitname
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION landinfo_add_search_words();
"""
DROP_TRIGGERS = """
DROP TRIGGER adminunitname_search_words_insert ON parcels_administrativeunitname;
DROP TRIGGER adminunitname_search_words_update ON parcels_administrativeunitname;
"""

FILL = """
INSERT INTO parcels_searchword (word, parcels, in_place_name)
SELECT DISTINCT w, 0, true
FROM (
    SELECT unnest(landinfo_search_tokens(name)) AS w FROM parcels_administrativeunit
    UNION ALL
    SELECT unnest(landinfo_search_tokens(name || ' ' || parent_name))
    FROM parcels_administrativeunitname
) words
ORDER BY w
ON CONFLICT (word) DO UPDATE SET in_place_name = true;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("parcels", "0008_faster_search_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchword",
            name="in_place_name",
            field=models.BooleanField(default=False),
        ),
        # The previous function (migration 0007) differs only in leaving the flag out;
        # going back drops the column, so it is not restored here.
        migrations.RunSQL(TRIGGER_FUNCTION, reverse_sql=DROP_TRIGGERS),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
    ]
