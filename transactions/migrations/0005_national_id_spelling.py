"""Store every party's national ID in one spelling: "900101-1234568" becomes "9001011234568".

Deeds stored the number as typed (spaces removed), so the form's "900101-1234568" and
the API's "9001011234568" made two parties for one person. New numbers are normalised
by the profile (transactions.people); this gives the rows already stored the same
spelling (`landinfo.profiles.text.compact_number`: full-width digits, hyphens, dots,
spaces and invisible characters). It does not validate them: a number the register
holds stays, whatever today's rules say of it.

Two rows that would end with one number are one person registered twice: merging them
is a registrar's decision (a correction), not a migration's, so both are left as they
are and reported by party id (never the number). The journal is not touched: the
deeds' statements keep the spelling they were recorded with, and verify_ledger
compares numbers by their digits and letters (transactions/journal/verify.py).
"""

import sys
from collections import defaultdict

from django.db import migrations

from landinfo.profiles.text import compact_number


def normalise(apps, schema_editor):  # type: ignore[no-untyped-def]
    Party = apps.get_model("transactions", "Party")
    rows = Party.objects.using(schema_editor.connection.alias).exclude(national_id=None)
    by_number = defaultdict(list)
    for pk, number in rows.values_list("pk", "national_id").iterator():
        by_number[compact_number(number)].append((pk, number))
    for number, parties in by_number.items():
        if len(parties) > 1:
            ids = ", ".join(str(pk) for pk, _ in sorted(parties))
            sys.stdout.write(
                f"\n  Parties {ids} have one national ID in different spellings: left as "
                "they are; a registrar decides which party the deeds name."
            )
            continue
        ((pk, stored),) = parties
        if stored != number:
            rows.filter(pk=pk).update(national_id=number or None)


class Migration(migrations.Migration):
    dependencies = [("transactions", "0004_append_only")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
