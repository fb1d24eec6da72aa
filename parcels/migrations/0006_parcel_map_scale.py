"""Parcel.map_scale: the scale of the cadastral map, for the registered area's tolerance.

Cheap on a register of millions: the column is nullable without a default (PostgreSQL
adds it to the catalogue and rewrites no row), and its check is added NOT VALID, then
validated under a lock that lets reads and writes go on, instead of scanning the table
under the exclusive lock ALTER TABLE ... ADD COLUMN ... CHECK would hold.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    # Each statement commits on its own: the validating scan must not run under the
    # exclusive lock the first two statements take for an instant.
    atomic = False

    dependencies = [
        ("parcels", "0005_exportjob"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="parcel",
                    name="map_scale",
                    field=models.IntegerField(
                        blank=True,
                        help_text="Scale denominator M of the cadastral map (1:M) the boundary "
                        "was drawn on; it sets how far the registered area may differ from "
                        "the boundary's.",
                        null=True,
                    ),
                ),
                migrations.AddConstraint(
                    model_name="parcel",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("map_scale__isnull", True), ("map_scale__gt", 0), _connector="OR"),
                        name="parcel_map_scale_positive",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[
                        'ALTER TABLE "parcels_parcel" ADD COLUMN "map_scale" integer NULL',
                        'ALTER TABLE "parcels_parcel" ADD CONSTRAINT "parcel_map_scale_positive" '
                        'CHECK ("map_scale" IS NULL OR "map_scale" > 0) NOT VALID',
                        'ALTER TABLE "parcels_parcel" VALIDATE CONSTRAINT "parcel_map_scale_positive"',
                    ],
                    reverse_sql=['ALTER TABLE "parcels_parcel" DROP COLUMN "map_scale"'],
                ),
            ],
        ),
    ]
