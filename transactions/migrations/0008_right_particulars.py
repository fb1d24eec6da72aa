"""What the certificate states of a right (origin, form of use, term, attached assets, serial)
and the kind of holder of a party.

New columns with database defaults ("", False, NULL: "not stated"), so every row written
before stays valid and equal to the replay of the journal: payloads written before carry
none of the new keys, which a replay reads as those defaults. Party and Right are
projections, not journal tables: `harden_journal` leaves them to the application, and
nothing of the journal, its triggers or its hardening is touched.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transactions", "0007_transparency_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="party",
            name="holder_kind",
            field=models.CharField(blank=True, db_default="", max_length=32),
        ),
        migrations.AddField(
            model_name="right",
            name="attached_assets",
            field=models.TextField(blank=True, db_default=""),
        ),
        migrations.AddField(
            model_name="right",
            name="certificate_serial",
            field=models.CharField(blank=True, db_default="", max_length=32),
        ),
        migrations.AddField(
            model_name="right",
            name="long_term",
            field=models.BooleanField(db_default=False),
        ),
        migrations.AddField(
            model_name="right",
            name="origin",
            field=models.CharField(blank=True, db_default="", max_length=32),
        ),
        migrations.AddField(
            model_name="right",
            name="term_end",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="right",
            name="use_form",
            field=models.CharField(blank=True, db_default="", max_length=16),
        ),
        migrations.AddConstraint(
            model_name="right",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("long_term", False), ("term_end__isnull", True), _connector="OR"
                ),
                name="right_term_long_or_until",
            ),
        ),
    ]
