"""A word so common that its posting list costs more than the pool it gives.

The GIN index answers "nguyen" with every parcel that has the word before a pool of
200 is taken: 150,000 rows at 1M parcels (8 ms), 1.5 million at 10M. The pool is the
first parcels in the table's order, and parcels lie in the table unit by unit (a
commune's are loaded together). So for such a word the index is asked first for the
word in the first few units: their keys ("#<unit id>", migration 0011) are short
posting lists, and GIN intersects them with the word's without reading all of it.
How many units is worked out from how common the word is (the word table's count of
parcels, kept by `rebuild_search_index`) with a wide margin; when they do not hold a
whole pool (the word is rarer there), the caller asks for the word everywhere, as for
any other word. A word added since the last recount counts 0 and never takes this way.
"""

from __future__ import annotations

import math

from landinfo import sql
from parcels.models import Parcel

# Parcels with the word expected in the units asked, as a multiple of the pool: units
# differ (a commune has no street named Nguyễn, its neighbour three).
_MARGIN = 20
# At most this many units' keys are ORed: each costs a check of every parcel it holds.
MOST_UNITS = 32

# How common the word is, how many parcels and units there are (as last analysed), and
# the first units that hold parcels, in id order: a loose scan of the unit index, one
# probe per unit.
_FIRST_UNITS = sql.statement(
    "search_first_units",
    """
WITH RECURSIVE first_units(id, n) AS (
    SELECT min(admin_unit_id), 1 FROM parcels_parcel
    UNION ALL
    SELECT (SELECT min(admin_unit_id) FROM parcels_parcel WHERE admin_unit_id > first_units.id),
           n + 1
    FROM first_units
    WHERE first_units.id IS NOT NULL AND n < %(most)s
)
SELECT (SELECT parcels FROM parcels_searchword WHERE word = %(word)s) AS word_parcels,
       (SELECT reltuples FROM pg_class WHERE oid = 'parcels_parcel'::regclass) AS parcels,
       (SELECT count(*) FROM parcels_administrativeunit) AS units,
       (SELECT array_agg(id ORDER BY n) FROM first_units WHERE id IS NOT NULL) AS first
""",
    {"word": "text", "most": "integer"},
)


def first_units(word: str, pool: int) -> list[int] | None:
    """Return the first units in which to look for `word` before everywhere, or None.

    None when reading the word's whole posting list costs less than reading those units'.
    """
    (row,) = sql.fetch_prepared(Parcel, _FIRST_UNITS, {"word": word, "most": MOST_UNITS})
    count, parcels, units = row["word_parcels"] or 0, row["parcels"] or 0, row["units"] or 0
    if count <= 0 or parcels <= 0 or units <= 0 or not row["first"]:
        return None
    needed = math.ceil(pool * _MARGIN * units / count)
    if needed > len(row["first"]) or needed * parcels / units * 2 > count:
        return None
    return list(row["first"][:needed])
