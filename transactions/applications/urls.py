"""The applications' pages and API: receipt, status, the registrar's queue and decision."""

from django.urls import path  # noqa: F401 - the paths are listed below

app_name = "applications"
urlpatterns: list = []
