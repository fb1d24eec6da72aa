"""The register's roles as Django groups: notary, registrar, planner, auditor.

Notaries record deeds and read the holders of the parcels they work on; registrars
correct deeds by new entries and verify the journal; auditors verify; planners run
exports. Anonymous users read public data only (no group needed).
"""

from django.db import migrations

# (app, model, codename, name): the permissions declared in the models' Meta.
RECORD = ("transactions", "journalentry", "record_deed", "Can record deeds (notary)")
CORRECT = (
    "transactions",
    "journalentry",
    "correct_deed",
    "Can record corrections of deeds (registrar)",
)
VERIFY = (
    "transactions",
    "journalentry",
    "verify_ledger",
    "Can verify the journal and read its checkpoints (auditor)",
)
PERSONAL = (
    "transactions",
    "journalentry",
    "view_personal_data",
    "Can read holders' unmasked personal data",
)
EXPORT = ("parcels", "parcel", "export_layers", "Can run large exports of GIS layers (planner)")

ROLES = {
    "notary": [RECORD, PERSONAL],
    "registrar": [RECORD, CORRECT, VERIFY, PERSONAL],
    "planner": [EXPORT],
    "auditor": [VERIFY],
}


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); the groups
    # need them now, so make them here; post_migrate then finds them and fills the names.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permission(app: str, model: str, codename: str, name: str):  # type: ignore[no-untyped-def]
        content_type, _ = ContentType.objects.get_or_create(app_label=app, model=model)
        found, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        return found

    for name, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permission(*p) for p in permissions)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("transactions", "0004_append_only"),
        ("parcels", "0004_parcel_made_and_retired_by"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
