from django.urls import path

from parcels import views

app_name = "parcels"
urlpatterns = [
    path("", views.home, name="home"),
]
