from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TransactionsConfig(AppConfig):
    name = "transactions"
    verbose_name = "Rights and journal"

    def ready(self) -> None:
        from parcels.views import contribute_to_map
        from transactions.map_page import map_contribution
        from transactions.roles import ensure_roles

        contribute_to_map(map_contribution)

        # After Django's own handler has made the permissions the roles are made of
        # (contrib.auth is installed before this app, so its receiver runs first).
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="landinfo-roles")

        from transactions import layers

        # What the public layers show of rights and deeds: parcels' registry, our SQL.
        layers.register()
