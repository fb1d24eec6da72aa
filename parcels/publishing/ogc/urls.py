"""Routes of the OGC API – Features, mounted at /ogc/ by landinfo/urls.py."""

from django.urls import path

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
]
