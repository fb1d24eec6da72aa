"""The applications' pages and API: receipt, status, the registrar's queue and decision."""

from django.urls import path

from transactions.applications import api

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
]
