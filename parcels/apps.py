from typing import Any

from django.apps import AppConfig

# OGC API exception codes (pygeoapi's) for the codes of landinfo.errors.
_OGC_CODES = {"not_found": "NotFound", "server_error": "ServerError"}


def _ogc_body(code: str, detail: str) -> dict[str, Any]:
    return {"code": _OGC_CODES.get(code, "InvalidParameterValue"), "description": detail}


def _export_body(code: str, detail: str) -> dict[str, Any]:
    return {"error": code.replace("_", " "), "detail": detail}


def _tile_body(code: str, detail: str) -> dict[str, Any]:
    return {"detail": detail}


class ParcelsConfig(AppConfig):
    name = "parcels"
    verbose_name = "Parcels"

    def ready(self) -> None:
        from landinfo.errors import register_machine_path

        # The error bodies the OGC API, exports and tiles document; "/ogc" also covers
        # the landing page without its slash.
        register_machine_path("/ogc", _ogc_body)
        register_machine_path("/exports/", _export_body)
        register_machine_path("/tiles/", _tile_body)
