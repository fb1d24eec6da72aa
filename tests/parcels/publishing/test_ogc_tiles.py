"""OGC API – Tiles at /ogc/: tile matrix sets, tilesets, tiles, TileJSON and the map style."""

import mapbox_vector_tile
import morecantile
import pytest
from django.test import Client

from landinfo.profiles import get_profile
from parcels.publishing import style
from parcels.publishing import tiles as mvt
from parcels.publishing.ogc import core as ogc
from parcels.views import map_config
from tests.factories import ZoningZoneFactory
from tests.parcels.publishing.test_tiles import IN_TILE, near_centre_parcels

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]

TILES_CONF = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
WMQ = "WebMercatorQuad"
BASE = "http://testserver/ogc"


@pytest.fixture(autouse=True)
def _fresh_extents():
    ogc.clear_extent_cache()
    yield
    ogc.clear_extent_cache()


def ogc_tile(z: int, x: int, y: int, collection: str | None = None) -> str:
    """Return the OGC path of XYZ tile z/x/y: {tileMatrix}/{tileRow}/{tileCol} = z/y/x."""
    prefix = f"/ogc/collections/{collection}" if collection else "/ogc"
    return f"{prefix}/tiles/{WMQ}/{z}/{y}/{x}"


def links_by_rel(document: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in document["links"]}


def test_landing_page_links_the_vector_tilesets_and_the_tile_matrix_sets(client):
    links = links_by_rel(client.get("/ogc/").json())
    assert links[TILESETS_VECTOR]["href"] == f"{BASE}/tiles"
    assert links["http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"]["href"] == (
        f"{BASE}/tileMatrixSets"
    )


def test_conformance_declares_the_tiles_classes_served():
    classes = set(ogc.conformance()["conformsTo"])
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "dataset-tilesets"):
        assert TILES_CONF + name in classes
    assert TILES_CONF + "mvt" in classes
    assert TILES_CONF + "png" not in classes  # no map tiles


def test_tile_matrix_set_is_morecantile_web_mercator_quad(client):
    listed = client.get("/ogc/tileMatrixSets", HTTP_ACCEPT_LANGUAGE="en").json()
    listed = listed["tileMatrixSets"]
    assert [entry["id"] for entry in listed] == [WMQ]
    assert listed[0]["uri"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    definition = client.get(listed[0]["links"][0]["href"], HTTP_ACCEPT_LANGUAGE="en").json()
    # In English its title is the standard's, word for word (in vi and ko: translated).
    assert definition == morecantile.tms.get(WMQ).model_dump(
        mode="json", exclude_none=True, by_alias=True
    )
    assert definition["tileMatrices"][16]["matrixWidth"] == 2**16
    assert client.get("/ogc/tileMatrixSets/WorldCRS84Quad").status_code == 404


def test_dataset_tileset_describes_every_layer_with_its_fields_zooms_and_links(client):
    near_centre_parcels(2)
    listed = client.get("/ogc/tiles").json()["tilesets"]
    assert [entry["dataType"] for entry in listed] == ["vector"]
    metadata = client.get(links_by_rel(listed[0])["self"]["href"]).json()
    assert metadata["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    assert metadata["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    described = {layer["id"]: layer for layer in metadata["layers"]}
    assert set(described) == {"parcels", "zoning", "admin_units"}
    parcels = described["parcels"]
    assert (parcels["minTileMatrix"], parcels["maxTileMatrix"]) == ("15", str(mvt.MAX_ZOOM))
    fields = parcels["propertiesSchema"]["properties"]
    assert set(fields) == {"id", "identifier", "land_use"}
    assert fields["id"]["x-ogc-role"] == "id"
    assert "16" in fields["identifier"]["description"]  # identifiers from z16 only
    links = links_by_rel(metadata)
    assert links["item"]["href"] == f"{BASE}/tiles/{WMQ}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"
    assert links["item"]["type"] == mvt.MVT_CONTENT_TYPE
    assert links["item"]["templated"] is True
    assert links[TILING_SCHEME]["href"] == f"{BASE}/tileMatrixSets/{WMQ}"
    assert links["stylesheet"]["type"] == "application/vnd.mapbox.style+json"
    assert links["alternate"]["href"] == f"{BASE}/tiles/{WMQ}/tilejson.json"
    # The limits hold the data: at z16 the rows and columns of the parcels' tile.
    limits = {limit["tileMatrix"]: limit for limit in metadata["tileMatrixSetLimits"]}
    z16 = limits["16"]
    _, x, y = IN_TILE[16]
    assert z16["minTileCol"] <= x <= z16["maxTileCol"]
    assert z16["minTileRow"] <= y <= z16["maxTileRow"]
    assert "boundingBox" in metadata


def test_ogc_tile_is_the_map_tile_with_row_and_column_swapped(client):
    near_centre_parcels(3)
    for z, x, y in (IN_TILE[15], IN_TILE[16]):
        map_tile = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
        ogc_answer = client.get(ogc_tile(z, x, y))
        assert ogc_answer.status_code == 200
        assert ogc_answer["Content-Type"] == mvt.MVT_CONTENT_TYPE
        assert ogc_answer.content == map_tile.content
        assert ogc_answer["ETag"] == map_tile["ETag"]
        assert client.get(ogc_tile(z, x, y), HTTP_IF_NONE_MATCH=map_tile["ETag"]).status_code == 304


def test_collection_tile_holds_that_layer_alone(client):
    parcels = near_centre_parcels(2)
    ZoningZoneFactory()
    z, x, y = IN_TILE[16]
    whole = mapbox_vector_tile.decode(client.get(ogc_tile(z, x, y)).content)
    assert {"parcels", "zoning", "admin_units"} >= set(whole) >= {"parcels", "zoning"}
    only_parcels = mapbox_vector_tile.decode(client.get(ogc_tile(z, x, y, "parcels")).content)
    assert set(only_parcels) == {"parcels"}
    assert {f["id"] for f in only_parcels["parcels"]["features"]} == {p.pk for p in parcels}
    only_zoning = mapbox_vector_tile.decode(client.get(ogc_tile(z, x, y, "zoning")).content)
    assert set(only_zoning) == {"zoning"}
    # Below the parcels' first zoom their collection's tile is empty.
    z14 = (14, IN_TILE[16][1] // 4, IN_TILE[16][2] // 4)
    assert client.get(ogc_tile(*z14, "parcels")).status_code == 204


def test_collections_with_a_tile_layer_link_their_tilesets_and_only_they(client):
    near_centre_parcels(1)
    for name in ("parcels", "zoning", "admin_units"):
        links = links_by_rel(client.get(f"/ogc/collections/{name}").json())
        assert links[TILESETS_VECTOR]["href"] == f"{BASE}/collections/{name}/tiles"
        listed = client.get(links[TILESETS_VECTOR]["href"]).json()["tilesets"]
        metadata = client.get(links_by_rel(listed[0])["self"]["href"]).json()
        assert [layer["id"] for layer in metadata["layers"]] == [name]
        assert links_by_rel(metadata)["item"]["href"].startswith(f"{BASE}/collections/{name}/")
    land_prices = links_by_rel(client.get("/ogc/collections/land_prices").json())
    assert TILESETS_VECTOR not in land_prices
    refusal = client.get("/ogc/collections/land_prices/tiles")
    assert refusal.status_code == 404
    assert "parcels" in refusal.json()["description"]


def test_tilejson_names_the_layers_their_fields_zooms_and_the_cached_tile_path(client):
    near_centre_parcels(2)
    document = client.get(f"/ogc/tiles/{WMQ}/tilejson.json").json()
    assert document["tilejson"] == "3.0.0"
    # The map's path, which the web server caches, in XYZ order.
    assert document["tiles"] == ["http://testserver/tiles/parcels/{z}/{x}/{y}.mvt"]
    layers = {layer["id"]: layer for layer in document["vector_layers"]}
    assert (layers["parcels"]["minzoom"], layers["parcels"]["maxzoom"]) == (15, mvt.MAX_ZOOM)
    assert set(layers["parcels"]["fields"]) == {"id", "identifier", "land_use"}
    assert layers["zoning"]["minzoom"] == 12
    west, south, east, north = document["bounds"]
    lon, lat, zoom = document["center"]
    assert west < lon < east and south < lat < north and zoom == 15
    assert document["attribution"]
    collection = client.get(f"/ogc/collections/parcels/tiles/{WMQ}/tilejson.json").json()
    assert collection["tiles"] == [f"{BASE}/collections/parcels/tiles/{WMQ}/{{z}}/{{y}}/{{x}}"]
    assert [layer["id"] for layer in collection["vector_layers"]] == ["parcels"]


def test_style_draws_the_tiles_with_the_maps_palette(client):
    response = client.get(f"/ogc/tiles/{WMQ}/style.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox.style+json"
    document = response.json()
    assert document["version"] == 8
    source = document["sources"][style.SOURCE]
    assert source["type"] == "vector"
    assert source["tiles"] == ["http://testserver/tiles/parcels/{z}/{x}/{y}.mvt"]
    by_id = {layer["id"]: layer for layer in document["layers"]}
    assert {layer["source-layer"] for layer in document["layers"]} == set(mvt.LAYER_NAMES)
    # Every land-use code of the profile gets its group's colour, as on the map's legend.
    match = by_id["parcels-fill"]["paint"]["fill-color"]
    assert match[:2] == ["match", ["get", "land_use"]]
    colour_of = {
        code: colour
        for codes, colour in zip(match[2:-1:2], match[3:-1:2], strict=True)
        for code in codes
    }
    profile = get_profile()
    assert set(colour_of) == profile.land_use_codes
    for land_use in profile.land_uses:
        assert colour_of[land_use.code] == style.GROUP_COLOURS[land_use.group]
    assert by_id["parcels-outline"]["paint"]["line-color"] == style.PALETTE["parcelOutline"]
    # The map page is coloured from the same palette.
    assert map_config()["palette"] == style.PALETTE


def test_openapi_document_lists_the_tiles_paths(client):
    paths = client.get("/ogc/api").json()["paths"]
    assert "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}" in paths
    assert "/tileMatrixSets/{tileMatrixSetId}" in paths
    for name in mvt.LAYER_NAMES:
        assert f"/collections/{name}/tiles/{{tileMatrixSetId}}" in paths
    assert "/collections/land_prices/tiles" not in paths


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/ogc/tiles/{WMQ}/23/0/0", 400),  # beyond the last zoom
        (f"/ogc/tiles/{WMQ}/2/4/0", 400),  # row 4 of a 4-row matrix
        (f"/ogc/tiles/{WMQ}/0/0/0?as_of=yesterday", 400),
        ("/ogc/tiles/WorldCRS84Quad/0/0/0", 404),
        ("/ogc/tiles/WorldCRS84Quad", 404),
        (f"/ogc/collections/nothing/tiles/{WMQ}/0/0/0", 404),
        (f"/ogc/collections/land_prices/tiles/{WMQ}", 404),
    ],
)
def test_impossible_tiles_and_unknown_sets_are_refused(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["description"]


def test_ogc_tiles_answer_get_and_head_only():
    client = Client(enforce_csrf_checks=True)
    near_centre_parcels(1)
    path = ogc_tile(*IN_TILE[16])
    assert client.head(path).status_code == 200
    assert client.post(path).status_code == 405
    assert client.post(f"/ogc/tiles/{WMQ}").status_code == 405
