"""API tokens expire, die with the password, the account and their session, and are digests."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from landinfo.accounts.policy import digest
from landinfo.accounts.tokens import TokenRefused, issue_token, session_for_script
from landinfo.models import ApiToken
from tests.factories import api_token_for
from tests.landinfo.accounts.helpers import PASSWORD, browser, make_user, new_token, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another staple for the horse 42"


def status(key: str) -> int:
    """Return what the deed API answers a GET with `key`: 405 (it works) or 401."""
    return browser().get("/api/transactions/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def signed_in(user: User):
    client = browser()
    assert sign_in(client, user).status_code == 302
    return client


def test_a_token_is_shown_once_and_kept_as_a_digest():
    client = signed_in(make_user("notary"))
    made = client.post("/accounts/token/", {"action": "create", "label": "office software"})
    assert made["Cache-Control"] == "no-store"
    key = made.content.decode().split('id="api-token">')[1].split("<")[0]
    assert status(key) == 405
    token = ApiToken.objects.get()
    assert token.key_digest == digest(key) and token.label == "office software"
    assert key not in str(ApiToken.objects.values().get())
    page = client.get("/accounts/token/").content.decode()
    assert key not in page and token.prefix in page and "office software" in page


def change_by_set_password(user: User, client) -> None:
    user.set_password(NEW_PASSWORD)
    user.save()


def change_on_the_password_page(user: User, client) -> None:
    answer = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert answer["Location"] == "http://testserver/accounts/token/"
    assert client.get("/accounts/token/").status_code == 200  # still signed in here


def change_in_the_admin(user: User, client) -> None:
    admin = browser()
    admin.force_login(User.objects.create_superuser("token-admin", password=PASSWORD))
    answer = admin.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert answer.status_code == 302, answer.content[:500]


def change_with_the_command(user: User, client, monkeypatch) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", user.username, stdout=io.StringIO())


@pytest.mark.parametrize(
    "change",
    [
        change_by_set_password,
        change_on_the_password_page,
        change_in_the_admin,
        change_with_the_command,
    ],
)
def test_a_password_change_by_any_path_ends_the_tokens(change, monkeypatch):
    user = make_user("notary")
    client = signed_in(user)
    key = new_token(client)
    assert status(key) == 405
    if change is change_with_the_command:
        change(user, client, monkeypatch)
    else:
        change(User.objects.get(pk=user.pk), client)
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert status(key) == 401


def test_signing_out_ends_the_tokens_that_session_made_only():
    user = make_user("notary")
    office, laptop = signed_in(user), signed_in(user)
    from_office, from_laptop = new_token(office), new_token(laptop)
    assert office.post("/accounts/logout/").status_code == 302
    assert status(from_office) == 401
    assert status(from_laptop) == 405


def test_another_users_sign_in_on_the_same_browser_ends_the_token():
    # The admin's sign-in form is open to a signed-in planner; its login() flushes the
    # planner's session, and sends no logout signal.
    planner = make_user("planner")
    shared = signed_in(planner)
    key = new_token(shared)
    assert status(key) == 405
    User.objects.create_superuser("token-admin", password=PASSWORD)
    answer = shared.post(
        "/admin/login/", {"username": "token-admin", "password": PASSWORD, "next": "/admin/"}
    )
    assert answer.status_code == 302, answer.content[:300]
    assert shared.get("/accounts/token/").wsgi_request.user.username == "token-admin"
    assert status(key) == 401
    assert not ApiToken.objects.exists()  # an ended session never comes back
    again = signed_in(planner)
    assert 'name="token" value=' not in again.get("/accounts/token/").content.decode()


def expire_it(session_key: str) -> None:
    Session.objects.filter(pk=session_key).update(expire_date=timezone.now())


def clear_it(session_key: str) -> None:
    expire_it(session_key)
    call_command("clearsessions")


def delete_it(session_key: str) -> None:
    Session.objects.filter(pk=session_key).delete()


@pytest.mark.parametrize("end", [expire_it, clear_it, delete_it])
def test_a_session_ended_on_the_server_ends_its_tokens(end):
    user = make_user("notary")
    office, laptop = signed_in(user), signed_in(user)
    from_office, from_laptop = new_token(office), new_token(laptop)
    end(office.session.session_key)
    assert status(from_office) == 401
    assert status(from_laptop) == 405
    page = laptop.get("/accounts/token/").content.decode()
    assert page.count('name="token" value=') == 1


def test_the_owner_keeps_the_token_while_the_session_lives_under_a_new_key(settings):
    user = make_user("notary")
    client = signed_in(user)
    key = new_token(client)
    first_key = client.session.session_key
    for _ in range(3):
        assert client.get("/accounts/token/").status_code == 200
        assert status(key) == 405
    # A new secret key (the old one a fallback) rotates the session's key on its next
    # request (cycle_key in get_user()), not its life.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new secret key for the test, long enough to be one " * 2
    assert client.get("/accounts/token/").status_code == 200
    assert client.session.session_key != first_key
    assert not Session.objects.filter(pk=first_key).exists()
    assert status(key) == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert status(key) == 401


def test_tokens_expire_sooner_for_accounts_that_record_deeds(settings):
    notary, planner = make_user("notary"), make_user("planner")
    keys = {user.username: api_token_for(user) for user in (notary, planner)}
    for user, hours in (
        (notary, settings.LANDINFO["TOKEN_HOURS"]),
        (planner, settings.LANDINFO["TOKEN_HOURS_OTHER"]),
    ):
        token = ApiToken.objects.get(user=user)
        assert token.expires - token.created == dt.timedelta(hours=hours)
    assert settings.LANDINFO["TOKEN_HOURS"] < settings.LANDINFO["TOKEN_HOURS_OTHER"]
    # A moment past its life (moved back rather than waited for).
    past = dt.timedelta(hours=settings.LANDINFO["TOKEN_HOURS"], seconds=1)
    ApiToken.objects.filter(user=notary).update(
        created=timezone.now() - past, expires=timezone.now() - dt.timedelta(seconds=1)
    )
    assert status(keys[notary.username]) == 401
    assert status(keys[planner.username]) == 405


def test_a_planner_made_a_notary_keeps_a_token_no_longer_than_a_notary():
    from django.contrib.auth.models import Group

    planner = make_user("planner")
    key = api_token_for(planner)
    ApiToken.objects.update(created=timezone.now() - dt.timedelta(hours=9))
    assert status(key) == 405
    planner.groups.add(Group.objects.get(name="notary"))
    assert status(key) == 401


def test_deactivating_the_account_ends_its_tokens_for_good():
    user = make_user("notary")
    key = api_token_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)  # even past save()
    assert status(key) == 401
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert status(key) == 401
    other = api_token_for(user)
    user.refresh_from_db()
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    assert status(other) == 401


def test_the_owner_lists_and_revokes_tokens_on_the_page():
    user = make_user("notary")
    client = signed_in(user)
    first, second, third = (new_token(client, label) for label in ("one", "two", "three"))
    page = client.get("/accounts/token/").content.decode()
    assert page.count('name="token" value=') == 3
    one = ApiToken.objects.get(label="one")
    assert client.post("/accounts/token/", {"action": "revoke", "token": one.pk}).status_code == 302
    assert [status(key) for key in (first, second, third)] == [401, 405, 405]
    intruder = signed_in(make_user("notary", "other-notary"))
    two = ApiToken.objects.get(label="two")
    intruder.post("/accounts/token/", {"action": "revoke", "token": two.pk})
    assert status(second) == 405  # nobody revokes another's token
    assert client.post("/accounts/token/", {"action": "revoke_all"}).status_code == 302
    assert [status(key) for key in (second, third)] == [401, 401]
    assert client.post("/accounts/token/", {"action": "nonsense"}).status_code == 400


def test_where_a_second_factor_is_required_a_token_needs_a_verified_session(otp_required):
    user = make_user("notary")
    with pytest.raises(TokenRefused):
        issue_token(user=user, second_factor=False, session=session_for_script(user))
    assert status(api_token_for(user, second_factor=True)) == 405


def test_a_token_made_without_the_second_factor_stops_when_it_becomes_required(
    monkeypatch, settings
):
    user = make_user("notary")
    key = api_token_for(user, second_factor=False)  # the setting was off
    assert status(key) == 405
    monkeypatch.setitem(settings.LANDINFO, "NOTARY_OTP_REQUIRED", True)
    assert status(key) == 401


def test_a_dead_token_is_counted_by_the_rate_limits_like_the_public(monkeypatch, settings):
    monkeypatch.setitem(settings.LANDINFO["RATE_LIMITS"], "lookup", "2/h")
    user = make_user("notary")
    key = api_token_for(user)
    user.set_password(NEW_PASSWORD)
    user.save()
    client = browser("198.51.100.77")
    answers = [
        client.get("/api/parcels/999999", HTTP_AUTHORIZATION=f"Token {key}").status_code
        for _ in range(3)
    ]
    assert answers == [404, 404, 429]


def test_drf_tokens_from_before_are_gone():
    assert "authtoken_token" not in connection.introspection.table_names()
    assert status("0123456789abcdef0123456789abcdef01234567") == 401
