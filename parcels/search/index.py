"""Keeping the search index: what the database does by itself, and what a rebuild redoes.

Every write keeps the index current in its own transaction, without code to forget:
the parcel's words are a stored generated column of its address (migration 0011), the
GIN indexes are expressions of those words and of the unit names, which PostgreSQL
updates with the row, and statement triggers add new words to the
word table (parcels_searchword) in the same statement. What no write does is count how
common a word is (a shared counter would make every deed on a street wait for the
others) or forget a word no address has any more. `recount_words` does both, as bulk
loads end and from `manage.py rebuild_search_index`, which also rebuilds the indexes
(after the tokenising functions changed, or to compact them).
"""

from __future__ import annotations

from typing import Any

# Current parcels per word; words of retired parcels and of unit names count 0 but stay,
# so that an old address still completes and corrects.
_RECOUNT_SQL = """
CREATE TEMPORARY TABLE search_word_count ON COMMIT DROP AS
SELECT w AS word, sum(current)::int AS parcels, bool_or(place) AS in_place_name
FROM (
    SELECT unnest(tsvector_to_array(array_to_tsvector(search_words))) AS w,
           (valid_to IS NULL)::int AS current, false AS place
    FROM parcels_parcel
    UNION ALL
    SELECT unnest(landinfo_search_tokens(name)), 0, true FROM parcels_administrativeunit
    UNION ALL
    SELECT unnest(landinfo_search_tokens(name || ' ' || parent_name)), 0, true
    FROM parcels_administrativeunitname
) words
GROUP BY w;
DELETE FROM parcels_searchword s
WHERE NOT EXISTS (SELECT 1 FROM search_word_count c WHERE c.word = s.word);
INSERT INTO parcels_searchword (word, parcels, in_place_name)
SELECT word, parcels, in_place_name FROM search_word_count ORDER BY word
ON CONFLICT (word) DO UPDATE
SET parcels = EXCLUDED.parcels, in_place_name = EXCLUDED.in_place_name
WHERE (parcels_searchword.parcels, parcels_searchword.in_place_name)
      IS DISTINCT FROM (EXCLUDED.parcels, EXCLUDED.in_place_name);
DROP TABLE search_word_count;
ANALYZE parcels_searchword;
"""

SEARCH_INDEXES = (
    "parcel_address_words",
    "adminunit_name_keys",
    "adminunitname_name_keys",
    "adminunitname_parent_keys",
    "searchword_trgm",
    "searchword_length",
)


def recount_words(cursor: Any) -> int:
    """Count each word's current parcels, drop words nothing has; return the words kept.

    Run inside a transaction (the temporary table lives until its end).
    """
    cursor.execute(_RECOUNT_SQL)
    cursor.execute("SELECT count(*) FROM parcels_searchword")
    return int(cursor.fetchone()[0])


# Rows whose stored words are not what the tokenising function now reads: an update
# (of nothing) makes PostgreSQL compute the generated column again.
_REREAD_SQL = """
UPDATE parcels_parcel SET address = address
WHERE search_words IS DISTINCT FROM landinfo_search_tokens(address)
"""


def rebuild(cursor: Any) -> int:
    """Read every address again, rebuild search's indexes, recount the words; return their number."""
    cursor.execute(_REREAD_SQL)
    for name in SEARCH_INDEXES:
        cursor.execute(f"REINDEX INDEX {name}")
    cursor.execute("REINDEX TABLE parcels_searchword")  # its primary key's prefix index too
    count = recount_words(cursor)
    cursor.execute("ANALYZE parcels_parcel")
    return count
