"""The admin lists API tokens and enrolment codes without their secrets; tokens are revoked."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from landinfo.accounts.enrolment import issue_enrolment_code
from landinfo.models import ApiToken
from tests.factories import api_token_for

pytestmark = pytest.mark.django_db


def test_an_administrator_sees_tokens_and_codes_but_no_secret_and_may_revoke_a_token():
    owner = User.objects.create_user("token-owner")
    key = api_token_for(owner)
    _row, code = issue_enrolment_code(user=owner)
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password=None))
    tokens = admin.get("/admin/landinfo/apitoken/").content.decode()
    token = ApiToken.objects.get()
    assert token.prefix in tokens and key not in tokens and token.key_digest not in tokens
    codes = admin.get("/admin/landinfo/enrolmentcode/").content.decode()
    assert "token-owner" in codes and code not in codes
    assert admin.get(f"/admin/landinfo/apitoken/{token.pk}/change/").status_code == 200
    answer = admin.post(f"/admin/landinfo/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302 and not ApiToken.objects.exists()
