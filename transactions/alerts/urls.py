"""The alerts' pages and API: subscribe, confirm, object ("I did not agree"), unsubscribe."""

from django.urls import path

from transactions.alerts import api, views

app_name = "alerts"
urlpatterns = [
    # The API's path is part of the public interface (issue 18).
    path("api/alerts/subscriptions", api.subscriptions_view, name="api-subscriptions"),
    path("alerts/subscribe", views.subscribe, name="subscribe"),
    # The links mailed with a one-time token: GET shows a button, POST acts.
    path("alerts/confirm/<str:token>", views.confirm, name="confirm"),
    path("alerts/object/<str:token>", views.objection, name="objection"),
    path("alerts/unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
