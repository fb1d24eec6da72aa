"""Make the table of the public rate limits' counters (landinfo.security.CounterCache).

UNLOGGED: a counter is worth nothing after a crash, so its writes skip the WAL (no
fsync per public request) and are not shipped to replicas, which never read them.
A migration rather than a step beside `migrate`: every database that is migrated
(development, CI, test databases, docker) has the table, with nothing to remember.
"""

from django.db import migrations

TABLE = "landinfo_ratelimit"


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.RunSQL(
            f"""
            CREATE UNLOGGED TABLE {TABLE} (
                key varchar(255) PRIMARY KEY,
                count bigint NOT NULL,
                expires timestamptz NOT NULL
            )
            """,
            f"DROP TABLE {TABLE}",
        ),
    ]
