"""API tokens that expire, enrolment codes, sign-in delays and notices (landinfo/accounts/).

Also drops DRF's authtoken table: its tokens never expired and were kept in clear, and
nothing reads it any more (rest_framework.authtoken left INSTALLED_APPS). Every token
made before this migration stops working; their owners make new ones on /accounts/token/.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('landinfo', '0001_ratelimit_counters'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SignInDelay',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('failures', models.PositiveIntegerField(default=0)),
                ('last_failure', models.DateTimeField()),
                ('retry_at', models.DateTimeField(blank=True, null=True)),
                ('addresses', models.JSONField(default=list)),
            ],
        ),
        migrations.CreateModel(
            name='AccountNotice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('device_enrolled', 'Authenticator enrolled'), ('sign_in_delayed', 'Sign-ins delayed')], max_length=30)),
                ('at', models.DateTimeField()),
                ('detail', models.JSONField(default=dict)),
                ('shown_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='account_notices', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='EnrolmentCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code_digest', models.CharField(max_length=64, unique=True)),
                ('created', models.DateTimeField()),
                ('expires', models.DateTimeField()),
                ('used_at', models.DateTimeField(blank=True, null=True)),
                ('issued_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'permissions': [('issue_enrolment_code', 'Can issue an authenticator enrolment code (registrar)')],
            },
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key_digest', models.CharField(max_length=64, unique=True)),
                ('prefix', models.CharField(max_length=12)),
                ('label', models.CharField(blank=True, max_length=100)),
                ('created', models.DateTimeField()),
                ('expires', models.DateTimeField()),
                ('last_used', models.DateTimeField(blank=True, null=True)),
                ('password_stamp', models.CharField(max_length=64)),
                ('second_factor', models.BooleanField(default=False)),
                ('session_ref', models.CharField(blank=True, db_index=True, max_length=32)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API token',
                'indexes': [models.Index(fields=['user', 'expires'], name='landinfo_ap_user_id_3bbf25_idx')],
            },
        ),
        # Forget DRF's authtoken app (its table and its migrations' records), so that
        # adding it back one day starts from its first migration, not a missing table.
        migrations.RunSQL(
            "DROP TABLE IF EXISTS authtoken_token; "
            "DELETE FROM django_migrations WHERE app = 'authtoken';",
            migrations.RunSQL.noop,
        ),
    ]
