"""The permission backend answers exactly as Django's ModelBackend, in one query."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission, User

from landinfo.auth import ModelBackendInOneQuery

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # permissions are cached per instance


@pytest.mark.parametrize("roles", [(), ("notary",), ("registrar",), ("planner", "auditor")])
def test_permissions_are_those_of_model_backend(roles):
    user = User.objects.create_user("someone")
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    user.user_permissions.add(Permission.objects.get(codename="view_parcel"))
    ours = ModelBackendInOneQuery().get_all_permissions(fresh(user))
    assert ours == ModelBackend().get_all_permissions(fresh(user))
    assert "parcels.view_parcel" in ours
    if "notary" in roles:
        assert "transactions.record_deed" in ours


def test_permissions_are_read_in_one_query_and_cached(django_assert_num_queries):
    user = User.objects.create_user("notary-one-query")
    user.groups.add(Group.objects.get(name="notary"))
    user = fresh(user)
    with django_assert_num_queries(1):
        assert user.has_perm("transactions.record_deed")
        assert user.has_perm("transactions.view_personal_data")
        assert not user.has_perm("transactions.correct_deed")


def test_inactive_anonymous_and_superusers_keep_django_rules():
    inactive = User.objects.create_user("gone", is_active=False)
    inactive.groups.add(Group.objects.get(name="registrar"))
    assert not fresh(inactive).has_perm("transactions.record_deed")
    assert not AnonymousUser().has_perm("transactions.record_deed")
    root = User.objects.create_superuser("root", password=None)
    assert fresh(root).has_perm("transactions.correct_deed")
    assert ModelBackendInOneQuery().get_all_permissions(
        fresh(root)
    ) == ModelBackend().get_all_permissions(fresh(root))
