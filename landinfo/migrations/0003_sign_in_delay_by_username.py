"""Count failed sign-ins per username, whether or not it names an account.

The delays were kept per account, so a username that named none was never delayed and
the 429 told which usernames exist. The rows of a burst in progress are carried over
under the new key (landinfo.accounts.delays.counter_key).
"""

from django.db import migrations, models
from django.utils.crypto import salted_hmac

# landinfo.accounts.delays._KEY_SALT, as it was when this migration was written.
_KEY_SALT = "landinfo.accounts.sign-in-delay"


def carry_over(apps, schema_editor):
    old, new = apps.get_model("landinfo", "OldSignInDelay"), apps.get_model("landinfo", "SignInDelay")
    new.objects.bulk_create(
        new(
            key=salted_hmac(_KEY_SALT, row.user.username, algorithm="sha256").hexdigest(),
            failures=row.failures,
            last_failure=row.last_failure,
            retry_at=row.retry_at,
            addresses=row.addresses,
        )
        for row in old.objects.select_related("user")
    )


def carry_back(apps, schema_editor):
    """Leave the old table empty: a digest cannot be turned back into its account."""


class Migration(migrations.Migration):

    dependencies = [
        ("landinfo", "0002_accounts"),
    ]

    operations = [
        migrations.RenameModel("SignInDelay", "OldSignInDelay"),
        migrations.CreateModel(
            name="SignInDelay",
            fields=[
                ("key", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("last_failure", models.DateTimeField(db_index=True)),
                ("retry_at", models.DateTimeField(blank=True, null=True)),
                ("addresses", models.JSONField(default=list)),
            ],
        ),
        migrations.RunPython(carry_over, carry_back),
        migrations.DeleteModel("OldSignInDelay"),
    ]
