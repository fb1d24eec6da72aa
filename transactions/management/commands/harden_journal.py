"""`manage.py harden_journal`: take the journal's tables out of the application's hands.

The rule and its SQL are in transactions/operations/hardening.py; this command reads
its options and says what was done.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from transactions.operations import superuser
from transactions.operations.hardening import (
    HARDENED,
    OWNER_ROLE,
    HardeningRefused,
    harden_journal,
)

URL_VARIABLE = superuser.URL_VARIABLE


class Command(BaseCommand):
    help = (
        f"Make the journal's tables ({', '.join(HARDENED)}) owned by the NOLOGIN role "
        f"{OWNER_ROLE} and leave the application's role SELECT and INSERT only, so that it "
        "can no longer disable their append-only triggers, drop, truncate, update or delete "
        f"them. Connects as a superuser (--superuser-url or {URL_VARIABLE}) to the "
        "application's database. --undo gives ownership back (before migrations that alter "
        "those tables). Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--superuser-url",
            help=f"postgres:// URL of a superuser (default: ${URL_VARIABLE}); its database "
            "name is replaced by the application's.",
        )
        parser.add_argument(
            "--app-role",
            help="The role the application connects as (default: the USER of --database).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The Django database alias to harden (default: 'default').",
        )
        parser.add_argument(
            "--undo", action="store_true", help="Give the tables back to the application's role."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = connections[options["database"]].settings_dict
        url = options["superuser_url"] or superuser.configured_url()
        if not url:
            raise CommandError(
                f"Give --superuser-url or set {URL_VARIABLE} to a PostgreSQL superuser's URL, "
                "e.g. postgres:///landinfo?host=/path/to/.pgdata&port=5433&user=postgres "
                "(scripts/setup writes it to .env for the project-local cluster)."
            )
        app_role = options["app_role"] or database.get("USER") or ""
        if not app_role:
            raise CommandError("The database settings name no USER: give --app-role.")
        try:
            harden_journal(
                superuser_url=url, dbname=database["NAME"], app_role=app_role, undo=options["undo"]
            )
        except HardeningRefused as error:
            raise CommandError(str(error)) from None
        if options["undo"]:
            self.stdout.write(
                f"Gave {', '.join(HARDENED)} in database {database['NAME']} back to role "
                f"{app_role}; run harden_journal again after the migrations."
            )
        else:
            self.stdout.write(
                f"Hardened database {database['NAME']}: {', '.join(HARDENED)} belong to "
                f"{OWNER_ROLE} (NOLOGIN); role {app_role} may SELECT and INSERT them, and no "
                "longer alter, truncate, update (but an application's status), delete or drop "
                "them. Run with --undo before "
                "a migration that alters them."
            )
