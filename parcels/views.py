"""The map page: a static shell; parcels come from the tiles, sheets from the JSON API."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from landinfo.profiles import get_profile
from parcels.publishing import tiles

# Stand in for path arguments in reverse(), so that a URL can be handed to the browser as
# a template: integers the URL patterns accept and no real path contains.
_PLACEHOLDER_BASE = 987_654_000

# What people type, shown under the search box: an identifier and an address.
SEARCH_EXAMPLES = {"vn": "to 12 thua 345 · Số 12 Phố Huế", "kr": "산 12-3 · 세종대로 110"}


def _url_template(name: str, *arguments: str) -> str:
    """Return the path of `name` with `{argument}` in place of each path argument."""
    numbers = {argument: str(_PLACEHOLDER_BASE + i) for i, argument in enumerate(arguments)}
    path = reverse(name, kwargs={argument: int(n) for argument, n in numbers.items()})
    for argument, number in numbers.items():
        path = path.replace(number, "{" + argument + "}")
    return path


def _layer_min_zoom(name: str) -> int:
    """Return the lowest zoom at which the tiles carry layer `name`."""
    layer = next(layer for layer in tiles.LAYERS if layer.name == name)
    return min(zoom for zoom, _ in layer.rows_from_zoom)


def map_config() -> dict[str, object]:
    """Return what the map page's script needs: profile, view, endpoints and land uses."""
    profile = get_profile()
    leaflet = settings.LEAFLET_CONFIG
    return {
        "profile": {
            "key": profile.key,
            "name": profile.name,
            "language": profile.default_language,
            "currency": profile.currency,
            "timeZone": settings.TIME_ZONE,  # the profile's: moments are read in it
        },
        "view": {
            "center": list(profile.map_center),
            "zoom": leaflet.get("DEFAULT_ZOOM", 14),
            "minZoom": leaflet.get("MIN_ZOOM", 5),
            "maxZoom": leaflet.get("MAX_ZOOM", 21),
        },
        "basemap": bool(leaflet.get("TILES")),
        "tiles": {"parcelsMinZoom": _layer_min_zoom("parcels"), "maxZoom": tiles.MAX_ZOOM},
        "urls": {
            "search": reverse("parcels:search"),
            "at": reverse("parcels:at-point"),
            "detail": _url_template("parcels:detail", "pk"),
            "history": _url_template("parcels:history", "pk"),
            "certificate": _url_template("transactions:certificate", "pk"),
            "tiles": _url_template("parcels:tile", "z", "x", "y"),
        },
        "landUses": {
            land_use.code: {
                "name": land_use.name,
                "name_en": land_use.name_en,
                "group": land_use.group,
            }
            for land_use in profile.land_uses
        },
        "debug": settings.DEBUG,
    }


# The deed forms the parcel sheet links to, in the order it lists them.
_DEED_FORMS = {
    "transfer": "transactions:deed-transfer",
    "mortgage": "transactions:deed-mortgage",
    "discharge": "transactions:deed-discharge",
    "subdivision": "transactions:deed-subdivision",
    "merge": "transactions:deed-merge",
    "first_registration": "transactions:deed-first-registration",
}


def deed_forms(user: AbstractUser | AnonymousUser) -> dict[str, str] | None:
    """Return the deed forms `user` may open, by kind; None for everyone else (the public)."""
    if not user.has_perm("transactions.record_deed"):
        return None
    forms = {kind: reverse(name) for kind, name in _DEED_FORMS.items()}
    if user.has_perm("transactions.correct_deed"):
        forms["correction"] = reverse("transactions:deed-correction")
    return forms


def home(request: HttpRequest) -> HttpResponse:
    """Render the map of the register; parcels come from tiles, sheets from the API.

    For a notary or registrar the page also names the deed forms, and the parcel sheet
    offers "Record a deed"; the public's page is the same without them.
    """
    config = map_config()
    config["deeds"] = deed_forms(request.user)
    return render(
        request,
        "parcels/home.html",
        {
            "map_config": config,
            "search_example": SEARCH_EXAMPLES.get(get_profile().key, ""),
        },
    )
