"""Django's model permissions, read in one statement instead of two ORM queries.

Every deed request asks `has_perm` (the API, then the service), and ModelBackend loads a
user's permissions with two querysets (the user's own, then the groups'), whose
compilation cost more than running them: about a tenth of a transfer's CPU, measured
with bench/transfers.py. This backend answers the same question, with the same rules
(inactive users have none, superusers have all, per-object permissions are not used),
from one SQL statement, and caches the set on the user object for the request as
ModelBackend does.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connection

_PERMISSIONS_SQL = """
SELECT ct.app_label || '.' || p.codename
FROM auth_permission p
JOIN django_content_type ct ON ct.id = p.content_type_id
WHERE p.id IN (
    SELECT permission_id FROM auth_user_user_permissions WHERE user_id = %(user)s
    UNION
    SELECT gp.permission_id
    FROM auth_user_groups ug JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
    WHERE ug.user_id = %(user)s
)
"""


class ModelBackendInOneQuery(ModelBackend):
    """ModelBackend whose `get_all_permissions` runs one statement."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            with connection.cursor() as cursor:
                cursor.execute(_PERMISSIONS_SQL, {"user": user_obj.pk})
                user_obj._perm_cache = {row[0] for row in cursor.fetchall()}
        return user_obj._perm_cache
