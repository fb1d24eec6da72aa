from django.urls import path

from parcels import api, views
from parcels.publishing import export_views, tiles

app_name = "parcels"
urlpatterns = [
    path("", views.home, name="home"),
    path("api/parcels/search", api.search, name="search"),
    path("api/parcels/at", api.at_point, name="at-point"),
    # An id or an identifier in any spelling (selectors.parcel_reference).
    path("api/parcels/<str:pk>", api.parcel_detail, name="detail"),
    path("api/parcels/<str:pk>/history", api.parcel_history, name="history"),
    path("tiles/parcels/<int:z>/<int:x>/<int:y>.mvt", tiles.parcel_tile, name="tile"),
    path("exports/<slug:layer>.<slug:fmt>", export_views.export_layer, name="export"),
]
