"""`manage.py issue_enrolment_code USERNAME`: a one-time code to enrol an authenticator."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from landinfo.accounts.enrolment import EnrolmentRefused, issue_enrolment_code


class Command(BaseCommand):
    help = (
        "Issue a one-time enrolment code with which USERNAME sets up (or replaces) the "
        "authenticator app of a second factor. Give it to its owner in person; it is shown "
        "only now, and any earlier unused code of the account stops working."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        user = users._default_manager.filter(**{users.USERNAME_FIELD: options["username"]}).first()
        if user is None:
            raise CommandError(f"No account has the username {options['username']!r}.")
        try:
            row, code = issue_enrolment_code(user=user, issued_by=None)
        except EnrolmentRefused as refused:
            raise CommandError(str(refused)) from refused
        expires = timezone.localtime(row.expires).strftime("%Y-%m-%d %H:%M %Z")
        self.stdout.write(f"Enrolment code for {user.get_username()}: {code}")
        self.stdout.write(f"It works once, until {expires}.")
