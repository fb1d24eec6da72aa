"""The alerts' pages and API: subscribe, confirm, object ("I did not agree"), unsubscribe."""

from django.urls import path  # noqa: F401 - the paths are listed below

app_name = "alerts"
urlpatterns: list = []
