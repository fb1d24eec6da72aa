from django.urls import path

from parcels import api, certificate_views, exports_views, tiles, views

app_name = "parcels"
urlpatterns = [
    path("", views.home, name="home"),
    path("api/parcels/search", api.search, name="search"),
    path("api/parcels/at", api.at_point, name="at-point"),
    # An id or an identifier in any spelling (selectors.parcel_reference).
    path("api/parcels/<str:pk>", api.parcel_detail, name="detail"),
    path("api/parcels/<str:pk>/history", api.parcel_history, name="history"),
    path("parcels/<int:pk>/certificate.pdf", certificate_views.certificate_pdf, name="certificate"),
    path("tiles/parcels/<int:z>/<int:x>/<int:y>.mvt", tiles.parcel_tile, name="tile"),
    path("exports/<slug:layer>.<slug:fmt>", exports_views.export_layer, name="export"),
]
