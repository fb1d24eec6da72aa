"""The register's roles as Django groups: notary, registrar, planner, auditor.

Notaries record deeds and read the holders of the parcels they work on; registrars
also correct deeds by new entries, verify the journal, export and issue the enrolment
codes of authenticators; auditors verify; planners run exports. Anonymous users read
public data only (no group needed).

The groups are kept in step with this table after every `migrate` (and every flush of
a test database) by a post_migrate handler, the way Django keeps permissions: a role
changed here is changed in every database on its next migrate.
"""

from __future__ import annotations

from typing import Any

# The permissions of each role, as "app_label.codename"; declared in the models' Meta.
ROLES: dict[str, tuple[str, ...]] = {
    "notary": ("transactions.record_deed", "transactions.view_personal_data"),
    "registrar": (
        "transactions.record_deed",
        "transactions.correct_deed",
        # Registers or refuses applications in order of receipt, never one it filed.
        "transactions.decide_application",
        "transactions.verify_ledger",
        "transactions.view_personal_data",
        "parcels.export_layers",
        # The one-time codes with which an account sets up its authenticator.
        "landinfo.issue_enrolment_code",
    ),
    "planner": ("parcels.export_layers",),
    "auditor": ("transactions.verify_ledger",),
}


def ensure_roles(*, using: str = "default", **_: Any) -> None:
    """Make each role's group with exactly its permissions (a post_migrate receiver)."""
    from django.contrib.auth.models import Group, Permission

    for name, permissions in ROLES.items():
        wanted = []
        for permission in permissions:
            app_label, codename = permission.split(".")
            wanted.append(
                Permission.objects.using(using).get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(wanted)
