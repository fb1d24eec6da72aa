"""The transparency log: the Merkle tree's stored tile hashes, and checkpoints as C2SP notes.

The tree's rows are append-only like the journal (0004's trigger function), and the
tree of a journal written before this migration is built here, so that its first
checkpoint already states a root.
"""

import django.db.models.functions.text
import django.db.models.lookups
import importlib

from django.db import migrations, models

_append_only = importlib.import_module("transactions.migrations.0004_append_only")
TREE = "transactions_treehash"


def build_tree(apps, schema_editor):  # noqa: ANN001, ANN201 - Django's signature
    from transactions.journal import tree

    with schema_editor.connection.cursor() as cursor:
        tree.extend(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("transactions", "0006_applications_and_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="checkpoint",
            name="cosignatures",
            field=models.PositiveSmallIntegerField(
                db_default=0, help_text="Witnesses whose cosignature the note carries."
            ),
        ),
        migrations.AddField(
            model_name="checkpoint",
            name="note",
            field=models.TextField(
                blank=True,
                db_default="",
                help_text="The C2SP checkpoint: signed note with cosignatures.",
            ),
        ),
        migrations.AddField(
            model_name="checkpoint",
            name="root_hash",
            field=models.CharField(
                blank=True, db_default="", help_text="RFC 9162 root at `size`, hex.", max_length=64
            ),
        ),
        migrations.CreateModel(
            name="TreeHash",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "level",
                        "index",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("level", models.PositiveSmallIntegerField()),
                ("index", models.BigIntegerField()),
                ("hash", models.BinaryField(max_length=32)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("level__gte", 1), ("index__gte", 0)),
                        name="treehash_level_index",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            django.db.models.lookups.Exact(
                                django.db.models.functions.text.Length("hash"), 32
                            )
                        ),
                        name="treehash_hash_32_bytes",
                    ),
                ],
            },
        ),
        migrations.RunSQL(_append_only._triggers(TREE), reverse_sql=_append_only._drop(TREE)),
        migrations.RunPython(build_tree, migrations.RunPython.noop),
    ]
