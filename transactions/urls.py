from django.urls import path, re_path

from transactions import api
from transactions.certificates import views as certificates
from transactions.deeds import api as deeds_api
from transactions.deeds import views
from transactions.transparency import views as tlog

# A tile's index as tlog-tiles writes it (x001/x234/067) and a partial tile's width.
_TILE = r"(?P<index>(?:x\d{3}/)*\d{3})(?:\.p/(?P<width>\d+))?$"

app_name = "transactions"
urlpatterns = [
    path("api/ledger/checkpoints", api.ledger_checkpoints, name="ledger-checkpoints"),
    # The transparency log (C2SP tlog-tiles) and its proofs (RFC 9162).
    path("api/ledger/proof/inclusion", tlog.inclusion_proof, name="proof-inclusion"),
    path("api/ledger/proof/consistency", tlog.consistency_proof, name="proof-consistency"),
    path("tlog/checkpoint", tlog.checkpoint, name="tlog-checkpoint"),
    re_path(r"^tlog/tile/entries/" + _TILE, tlog.entries, name="tlog-entries"),
    re_path(r"^tlog/tile/(?P<level>\d+)/" + _TILE, tlog.tile, name="tlog-tile"),
    # A parcel with its rights: at a point, its sheet, its history. After the parcels'
    # own paths (landinfo/urls.py), so that /api/parcels/search is not read as an id.
    path("api/parcels/at", api.at_point, name="at-point"),
    # The certificate of a parcel (an extract of the register, signed).
    path("parcels/<int:pk>/certificate.pdf", certificates.certificate_pdf, name="certificate"),
    # The deed API (notaries, registrars; the path is part of the public interface).
    path("api/transactions/", deeds_api.DeedsView.as_view(), name="deeds"),
    path(
        "api/parcels/<int:pk>/holders",
        deeds_api.ParcelHoldersView.as_view(),
        name="parcel-holders",
    ),
    # An id or an identifier in any spelling (parcels.selectors.parcel_reference).
    path("api/parcels/<str:pk>", api.parcel_detail, name="detail"),
    path("api/parcels/<str:pk>/history", api.parcel_history, name="history"),
    # The notary forms.
    path("deeds/", views.deed_index, name="deed-index"),
    path("deeds/transfer/", views.transfer, name="deed-transfer"),
    path("deeds/first-registration/", views.first_registration, name="deed-first-registration"),
    path("deeds/mortgage/", views.mortgage, name="deed-mortgage"),
    path("deeds/discharge/", views.discharge, name="deed-discharge"),
    path("deeds/subdivision/", views.subdivision, name="deed-subdivision"),
    path("deeds/merge/", views.merge, name="deed-merge"),
    path("deeds/correction/", views.correction, name="deed-correction"),
    # Applications in order of receipt (transactions.applications.urls) and their alerts
    # (transactions.alerts.urls) are included by landinfo/urls.py, in namespaces of
    # their own at the root.
]
