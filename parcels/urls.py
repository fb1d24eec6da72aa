from django.urls import path

from parcels import api, views
from parcels.publishing import export_views, tiles

app_name = "parcels"
urlpatterns = [
    path("", views.home, name="home"),
    path("api/parcels/search", api.search, name="search"),
    path("tiles/parcels/<int:z>/<int:x>/<int:y>.mvt", tiles.parcel_tile, name="tile"),
    path("exports/<slug:layer>.<slug:fmt>", export_views.export_layer, name="export"),
]
