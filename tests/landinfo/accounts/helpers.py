"""People and their gestures for the accounts' tests: accounts, codes, signing in."""

from __future__ import annotations

import re

from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from landinfo.accounts.enrolment import issue_enrolment_code

PASSWORD = "correct horse battery staple"
OFFICE = "198.51.100.30"


def make_user(role: str | None, name: str = "", *, device: bool = False, **fields) -> User:
    """Return a new account in `role`'s group (password PASSWORD), with an authenticator."""
    user = User.objects.create_user(name or f"acct-{role}", password=PASSWORD, **fields)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if device:
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return User.objects.get(pk=user.pk)  # no cached permissions


def code(device: TOTPDevice) -> str:
    """Return the code the authenticator app shows now (as the user would type it)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def browser(ip: str = OFFICE) -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


def sign_in(client: Client, user: User | str, otp_token: str = "", next_: str = "/", **extra):
    username = user if isinstance(user, str) else user.username
    return client.post(
        "/accounts/login/",
        {
            "username": username,
            "password": extra.pop("password", PASSWORD),
            "otp_token": otp_token,
            "next": next_,
        },
        **extra,
    )


def enrolment_code(user: User, issued_by: User | None = None) -> str:
    """Return a fresh enrolment code for `user`, as an administrator would issue it."""
    _row, text = issue_enrolment_code(user=user, issued_by=issued_by)
    return text


def new_token(client: Client, label: str = "") -> str:
    """Make an API token on the token page; return its key (shown once)."""
    page = client.post("/accounts/token/", {"action": "create", "label": label})
    assert page.status_code == 200, page.status_code
    return re.search(r'id="api-token">([^<]+)<', page.content.decode())[1]
