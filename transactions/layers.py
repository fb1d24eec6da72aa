"""What publishing shows of rights and deeds, added to the registries parcels owns.

The parcels layer counts the holders of a parcel and names the kinds of right on it;
the changes layer lists what deeds did to parcels over a period. Both read this app's
tables, so they are declared here and registered by `register()` from
TransactionsConfig.ready(): `parcels` publishes them without naming a table of ours.
Nothing personal is selected: holders are counted, never named. Registrars, whose
role this app defines, may read every export job.
"""

from __future__ import annotations

from landinfo.sql import alive, table
from landinfo.translation import pgettext_noop
from parcels.models import AdministrativeUnit, Parcel
from parcels.publishing import jobs
from parcels.publishing.layers import (
    LAND_USE,
    PARCEL_IDENTIFIER,
    PARCEL_LAND_USE,
    PARCEL_UNIT_CODE,
    Column,
    Columns,
    Layer,
    add_columns,
    in_unit,
    register_layer,
)
from transactions.models import JournalEntry, Right

_PARCEL = table(Parcel)
_UNIT = table(AdministrativeUnit)
_RIGHT = table(Right)
_ENTRY = table(JournalEntry)

# The rights in force on %(day)s of a parcel: how many hold it, and of which kinds.
RIGHTS = Columns(
    columns=(
        Column(
            "right_kinds",
            "rights",
            "string",
            "coalesce(rights.kinds, '')",
            pgettext_noop(
                "GIS layer", "Kinds of right in force (ownership, mortgage, ...), comma-separated."
            ),
            queryable=False,
        ),
        Column(
            "holders",
            "holders",
            "integer",
            "coalesce(rights.holders, 0)::int",
            pgettext_noop(
                "GIS layer", "Number of holders of the land-use right (never their names)."
            ),
            queryable=False,
        ),
    ),
    joins=f"""
        LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE r.kind = 'ownership') AS holders,
                   string_agg(DISTINCT r.kind, ',' ORDER BY r.kind) AS kinds
            FROM {_RIGHT} r
            WHERE r.parcel_id = p.id AND r.voided_by_id IS NULL
              AND {alive("r")}
        ) rights ON true
    """,  # noqa: S608  (table names from Django)
    # Over a whole selection: the rights read in one pass, not by an index probe per parcel.
    bulk_joins=f"""
        LEFT JOIN (
            SELECT r.parcel_id,
                   count(*) FILTER (WHERE r.kind = 'ownership') AS holders,
                   string_agg(DISTINCT r.kind, ',' ORDER BY r.kind) AS kinds
            FROM {_RIGHT} r
            WHERE r.voided_by_id IS NULL
              AND {alive("r")}
              AND r.parcel_id IN (SELECT p.id FROM {_PARCEL} p WHERE {{selected}})
            GROUP BY r.parcel_id
        ) rights ON rights.parcel_id = p.id
    """,  # noqa: S608  (table names from Django)
    before="valid_from",
)

# What happened to parcels between %(start)s and %(end)s (both included): made by a
# deed (created), retired, or transferred. One row per parcel and change. The period
# is of the days the changes took effect; a deed recorded today may take effect on an
# earlier day, so a mirror polls by journal order (the id), over every day ('../..').
CHANGES = Layer(
    name="changes",
    title=pgettext_noop("GIS layer", "Changes"),
    description=(
        pgettext_noop(
            "GIS layer",
            "Parcels created, retired, transferred or corrected between two dates (start and "
            "end, included), with the journal entry that did it.",
        )
    ),
    from_sql=f"""
        (
            SELECT p.id AS parcel_id, 'created' AS change, p.valid_from AS day,
                   p.created_by_id AS entry
            FROM {_PARCEL} p
            WHERE p.valid_from BETWEEN %(start)s AND %(end)s AND p.created_by_id IS NOT NULL
            UNION ALL
            SELECT p.id, 'retired', p.valid_to, p.retired_by_id
            FROM {_PARCEL} p
            WHERE p.valid_to BETWEEN %(start)s AND %(end)s
            UNION ALL
            SELECT DISTINCT r.parcel_id, 'transferred', e.effective_date, e.sequence
            FROM {_ENTRY} e
            JOIN {_RIGHT} r ON r.begun_by_id = e.sequence
            WHERE e.kind = 'transfer' AND e.effective_date BETWEEN %(start)s AND %(end)s
            UNION ALL
            -- A correction voids the rights of the deed it corrects (and restores what a
            -- reversal undid): a mirror must hear of it as of any other change.
            SELECT DISTINCT r.parcel_id, 'corrected', e.effective_date, e.sequence
            FROM {_ENTRY} e
            JOIN {_RIGHT} r ON r.voided_by_id = e.sequence OR r.begun_by_id = e.sequence
            WHERE e.kind = 'correction' AND e.effective_date BETWEEN %(start)s AND %(end)s
        ) c
        JOIN {_PARCEL} p ON p.id = c.parcel_id
        JOIN {_UNIT} u ON u.id = p.admin_unit_id
        LEFT JOIN {_ENTRY} je ON je.sequence = c.entry
    """,  # noqa: S608  (table names from Django)
    # The id sorts in journal order (the entry's sequence, zero-padded, first): the
    # journal only grows, so a client that pages with `after` (the last id it read)
    # and polls again later gets every later change exactly once, a feed to mirror.
    id_sql="lpad(coalesce(c.entry, 0)::text, 12, '0') || '-' || c.change || '-' || c.parcel_id",
    geometry_sql="p.boundary",
    geometry_type="MultiPolygon",
    columns=[
        PARCEL_IDENTIFIER,
        Column(
            "change",
            "change",
            "string",
            "c.change",
            pgettext_noop("GIS layer", "created, retired, transferred or corrected."),
        ),
        Column(
            "date",
            "date",
            "date",
            "c.day",
            pgettext_noop("GIS layer", "Day the change took legal effect."),
        ),
        Column(
            "entry",
            "entry",
            "integer",
            "c.entry::int",
            pgettext_noop("GIS layer", "Journal entry (sequence)."),
        ),
        Column(
            "deed",
            "deed",
            "string",
            "coalesce(je.kind, '')",
            pgettext_noop("GIS layer", "Kind of deed."),
        ),
        PARCEL_LAND_USE,
        PARCEL_UNIT_CODE,
    ],
    filters={"admin_unit": in_unit("p.admin_unit_id"), "land_use": LAND_USE},
    needs_period=True,
    id_type="string",
)


# Registrars oversee what leaves the register: they may read any export job. Only
# their role holds `correct_deed` (transactions.roles).
REGISTRARS = "transactions.correct_deed"


def register() -> None:
    """Add the rights columns, publish the changes layer, let registrars oversee exports.

    The changes layer comes after parcels' own layers in every listing.
    """
    add_columns("parcels", RIGHTS)
    register_layer(CHANGES)
    jobs.oversee_jobs(REGISTRARS)
