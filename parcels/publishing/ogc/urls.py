"""Routes of the OGC API – Features and Tiles, mounted at /ogc/ by landinfo/urls.py."""

from django.urls import path

from parcels.publishing.ogc import tiles
from parcels.publishing.ogc import views as ogc

app_name = "ogc"
urlpatterns = [
    path("", ogc.landing_view, name="landing"),
    path("api", ogc.openapi_view, name="api"),
    path("conformance", ogc.conformance_view, name="conformance"),
    path("collections", ogc.collections_view, name="collections"),
    path("collections/<str:name>", ogc.collection_view, name="collection"),
    path("collections/<str:name>/queryables", ogc.queryables_view, name="queryables"),
    path("collections/<str:name>/schema", ogc.schema_view, name="schema"),
    path("collections/<str:name>/items", ogc.items_view, name="items"),
    path("collections/<str:name>/items/<str:feature_id>", ogc.item_view, name="item"),
    # OGC API – Tiles: the tile matrix set, then the dataset's tilesets and each collection's.
    path("tileMatrixSets", tiles.tile_matrix_sets_view, name="tile-matrix-sets"),
    path("tileMatrixSets/<str:tms>", tiles.tile_matrix_set_view, name="tile-matrix-set"),
]
for prefix, suffix in (("", ""), ("collections/<str:name>/", "-of-collection")):
    urlpatterns += [
        path(f"{prefix}tiles", tiles.tilesets_view, name=f"tilesets{suffix}"),
        path(f"{prefix}tiles/<str:tms>", tiles.tileset_view, name=f"tileset{suffix}"),
        path(
            f"{prefix}tiles/<str:tms>/tilejson.json", tiles.tilejson_view, name=f"tilejson{suffix}"
        ),
        # OGC order: {tileMatrix}/{tileRow}/{tileCol}, row = y, column = x.
        path(
            f"{prefix}tiles/<str:tms>/<int:z>/<int:y>/<int:x>",
            tiles.tile_view,
            name=f"tile{suffix}",
        ),
    ]
urlpatterns.append(path("tiles/<str:tms>/style.json", tiles.style_view, name="style"))
