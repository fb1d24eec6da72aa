"""Keep the key of the session that made each API token, to check at each use it lives.

The tokens made before are given the key of the live session that holds their ref; those
whose session has already ended get none, and stop working (tokens.session_lives).
"""

from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations, models
from django.utils import timezone

# landinfo.accounts.tokens.SESSION_REF, as it was when this migration was written.
_SESSION_REF = "landinfo_token_session"


def find_sessions(apps, schema_editor):
    token_model, session_model = apps.get_model("landinfo", "ApiToken"), apps.get_model(
        "sessions", "Session"
    )
    refs = set(token_model.objects.exclude(session_ref="").values_list("session_ref", flat=True))
    if not refs:
        return
    decoder = SessionStore()
    for session in session_model.objects.filter(expire_date__gt=timezone.now()).iterator():
        ref = decoder.decode(session.session_data).get(_SESSION_REF)
        if ref in refs:
            token_model.objects.filter(session_ref=ref).update(session_key=session.session_key)


class Migration(migrations.Migration):
    dependencies = [
        ("landinfo", "0003_sign_in_delay_by_username"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="session_key",
            field=models.CharField(blank=True, db_index=True, max_length=40),
        ),
        migrations.RunPython(find_sessions, migrations.RunPython.noop),
    ]
