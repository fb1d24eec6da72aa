"""`manage.py rebuild_search_index`: rebuild parcel search's indexes and recount its words."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from parcels.search import index


class Command(BaseCommand):
    help = (
        "Rebuild the indexes of parcel search (words of addresses, keys of unit names, the "
        "word table) from the register's rows and recount how common each word is. Writes "
        "keep the index current by themselves; run this after a release changes how "
        "search reads text, or to compact the indexes. Takes locks that hold writes of "
        "parcels back while it runs (about a minute per million parcels)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            words = index.rebuild(cursor)
        self.stdout.write(
            f"Rebuilt the search index: {words:,} words, in {time.monotonic() - started:.1f} s."
        )
