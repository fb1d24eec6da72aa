"""The database router: register reads to a healthy replica when the request allows it.

Writes, and every read inside a write (services run in `transaction.atomic(durable=True)`
on `default`; `select_for_update()` counts as a write), go to the primary. Whether the
current request may read a replica, and which one, is decided in landinfo/replicas.py.
With no replica configured every method answers as if there were no router.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from landinfo import replicas


class ReplicaRouter:
    """Route reads of the register's data to replicas, everything else to `default`."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        """Return a replica for a public read outside any transaction, else `default`."""
        if not replicas.replica_aliases():
            return None
        if model._meta.app_label not in replicas.REPLICA_APPS:
            return DEFAULT_DB_ALIAS
        # A read inside a write must see that write, and lock what it reads.
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return replicas.read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        """Return `default`: replicas are read-only."""
        return DEFAULT_DB_ALIAS if replicas.replica_aliases() else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        """Allow relations between rows of any alias: every alias is the same database."""
        return True

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        """Migrate `default` only: a replica receives the schema by replication."""
        return False if db in replicas.replica_aliases() else None
