"""The registry of public layers (parcels/publishing/layers.py) and what other apps add to it.

Parcels owns the registry and writes SQL over its own tables only; the columns and
layers that read rights and deeds come from transactions/layers.py, registered from
TransactionsConfig.ready().
"""

from __future__ import annotations

import dataclasses

import pytest
from django.core.exceptions import ImproperlyConfigured

from landinfo.sql import table
from parcels.publishing import jobs, layers
from transactions import layers as transactions_layers
from transactions.models import JournalEntry, Party, Right

pytestmark = pytest.mark.every_profile

_THEIR_TABLES = [table(model) for model in (Right, JournalEntry, Party)]


def _sql_of(layer: layers.Layer) -> list[str]:
    """Return the SQL the layer was declared with, before any app added to it."""
    froms = [layer.from_sql, layer.bulk_from_sql, layer.page_from_sql]
    conditions = [layer.current_sql, layer.as_of_sql, *layer.filters.values()]
    return [sql for sql in (*froms, *conditions) if sql]


def test_the_layers_parcels_declares_name_no_table_of_transactions():
    declared = [layers.PARCELS, layers.ZONING, layers.LAND_PRICES, layers.ADMIN_UNITS]
    for layer in declared:
        own_columns = [c for c in layer.columns if c not in transactions_layers.RIGHTS.columns]
        sql = " ".join(_sql_of(layer)) + " ".join(c.sql for c in own_columns)
        assert not [name for name in _THEIR_TABLES if name in sql], layer.name


def test_transactions_adds_the_rights_columns_before_the_lifespan_and_the_changes_layer_last():
    names = [column.name for column in layers.PARCELS.fields]
    assert names[-4:] == ["right_kinds", "holders", "valid_from", "valid_to"]
    assert list(layers.LAYERS) == ["parcels", "zoning", "land_prices", "admin_units", "changes"]
    assert table(Right) in layers.PARCELS.source()
    assert table(Right) in layers.PARCELS.source(bulk=True)
    assert "transactions.correct_deed" in jobs.OVERSEER_PERMISSIONS


def test_registering_again_changes_nothing():
    """Django may run an AppConfig.ready() twice: the second time adds nothing."""
    before = (list(layers.LAYERS), layers.PARCELS.fields, layers.PARCELS.source())
    transactions_layers.register()
    assert (list(layers.LAYERS), layers.PARCELS.fields, layers.PARCELS.source()) == before


def test_added_columns_may_not_take_a_name_the_layer_has():
    clash = layers.Columns(
        columns=(layers.Column("holders", "holders", "integer", "1", "Again.", queryable=False),),
        joins="",
        bulk_joins=" ",
    )
    with pytest.raises(ImproperlyConfigured, match="holders"):
        layers.add_columns("parcels", clash)


def test_added_columns_may_not_be_queryable_where_pages_skip_their_joins():
    queryable = layers.Column("extra", "extra", "string", "'x'", "A filter.")
    with pytest.raises(ImproperlyConfigured, match="queryable"):
        layers.add_columns(
            "parcels", layers.Columns(columns=(queryable,), joins="", bulk_joins=" ")
        )
    plain = dataclasses.replace(queryable, queryable=False)
    with pytest.raises(ImproperlyConfigured, match="bulk_joins"):
        layers.add_columns("parcels", layers.Columns(columns=(plain,), joins=""))
    assert "extra" not in [column.name for column in layers.PARCELS.fields]
