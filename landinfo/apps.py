from django.apps import AppConfig


class LandinfoConfig(AppConfig):
    name = "landinfo"
    verbose_name = "LandInfo"
