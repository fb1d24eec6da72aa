"""The applications' pages and API: receipt, status, the registrar's queue and decision."""

from django.urls import path

from transactions.applications import api, pages

app_name = "applications"
urlpatterns = [
    # --- the API (the public interface: keep these paths) -------------------------------
    path("api/applications/", api.ApplicationsView.as_view(), name="api-file"),
    path("api/applications/<int:receipt_number>", api.application_view, name="api-detail"),
    path(
        "api/applications/<int:receipt_number>/decision",
        api.DecisionView.as_view(),
        name="api-decision",
    ),
    path(
        "api/applications/<int:receipt_number>/withdrawal",
        api.WithdrawalView.as_view(),
        name="api-withdrawal",
    ),
    # --- pages: the receipt, the public status, the registrar's queue and file -----------
    path("applications/", pages.queue, name="queue"),
    path("applications/status", pages.status, name="status-form"),
    path("applications/<int:receipt>/", pages.detail, name="detail"),
    path("applications/<int:receipt>/receipt", pages.receipt, name="receipt"),
    path("applications/<int:receipt>/receipt.pdf", pages.receipt_pdf, name="receipt-pdf"),
    path("applications/<int:receipt>/status", pages.status, name="status"),
    path("applications/<int:receipt>/document", pages.document, name="document"),
]
