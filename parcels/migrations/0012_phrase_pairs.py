# Adjacent words of a name as one more key of the search index (issue 16).

from django.db import migrations

# "Lê Lợi" is the commonest street name of Vietnam, and "lê" and "lợi" are common words
# apart: at 1M synthetic parcels 23,927 addresses are on a Lê Lợi, and tens of thousands
# more have both words somewhere ("Lê Quý Đôn, Phường Long Lợi"). A pool taken from
# every address with both words missed the street. So the document also holds each
# pair of adjacent words whose first is not a number, as "le loi" or "so 3" (a space:
# no word has one), and search asks first for the pairs typed together: the posting
# list of "le loi" is the street, and "ly thuong" & "thuong kiet" is shorter than "ly" &
# "thuong" & "kiet". A number after its label ("Số 3", "Ngõ 4") is asked as the pair,
# so that "Số 3 Trường Chinh" is no "Số 300 Trường Chinh, Phường Mẫu 3"; other numbers
# alone: "Lê Lợi 12" finds "Số 12 Lê Lợi".
FORWARD = r"""
CREATE OR REPLACE FUNCTION landinfo_parcel_document(words text[], unit bigint) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN array_to_tsvector(
        coalesce(words, '{}')
        || ARRAY(
            SELECT words[i] || ' ' || words[i + 1]
            FROM generate_series(1, cardinality(words) - 1) AS i
            WHERE words[i] !~ '^[0-9]'
        )
        || ('#' || coalesce(unit, 0)::text)
    );
REINDEX INDEX parcel_address_words;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION landinfo_parcel_document(words text[], unit bigint) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN array_to_tsvector(coalesce(words, '{}') || ('#' || coalesce(unit, 0)::text));
REINDEX INDEX parcel_address_words;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("parcels", "0011_stored_search_words"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]
