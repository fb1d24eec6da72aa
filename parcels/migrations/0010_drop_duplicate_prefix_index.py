# The word table's prefix index, once (issue 16).

from django.db import migrations

# Django makes parcels_searchword_word_<hash>_like (text_pattern_ops) for a text primary
# key by itself; migration 0007's searchword_prefix was the same index twice, and every
# new word paid for both. The planner already used Django's.


class Migration(migrations.Migration):
    dependencies = [
        ("parcels", "0009_place_words"),
    ]

    operations = [
        migrations.RunSQL(
            "DROP INDEX searchword_prefix;",
            reverse_sql="CREATE INDEX searchword_prefix ON parcels_searchword "
            "(word text_pattern_ops);",
        ),
    ]
