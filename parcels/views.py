"""The map page: a static shell; parcels come from the tiles, sheets from the JSON API.

The page's configuration is the parcels' (profile, view, search, tiles, land uses) and
what other parts of the register contribute (`contribute_to_map`): transactions adds the
sheet's endpoints and the deed forms a user may open, from its AppConfig.ready().
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from landinfo.profiles import get_profile
from parcels.publishing import style, tiles

# Stand in for path arguments in reverse(), so that a URL can be handed to the browser as
# a template: integers the URL patterns accept and no real path contains.
_PLACEHOLDER_BASE = 987_654_000


# What another app adds to the page's configuration for a user (None: for everyone, as
# the planner's page): keys of its own, or more entries in a section such as "urls".
MapContribution = Callable[[AbstractUser | AnonymousUser | None], dict[str, Any]]
_CONTRIBUTIONS: list[MapContribution] = []


def contribute_to_map(contribution: MapContribution) -> None:
    """Add `contribution` to every map page's configuration (once, however often called)."""
    if contribution not in _CONTRIBUTIONS:
        _CONTRIBUTIONS.append(contribution)


def url_template(name: str, *arguments: str) -> str:
    """Return the path of `name` with `{argument}` in place of each path argument."""
    numbers = {argument: str(_PLACEHOLDER_BASE + i) for i, argument in enumerate(arguments)}
    path = reverse(name, kwargs={argument: int(n) for argument, n in numbers.items()})
    for argument, number in numbers.items():
        path = path.replace(number, "{" + argument + "}")
    return path


def _layer_min_zoom(name: str) -> int:
    """Return the lowest zoom at which the tiles carry layer `name`."""
    return next(layer.minzoom for layer in tiles.LAYERS if layer.name == name)


def map_config(user: AbstractUser | AnonymousUser | None = None) -> dict[str, Any]:
    """Return what the map page's script needs: profile, view, endpoints and land uses.

    With what the other apps contribute for `user` (None: what everyone gets).
    """
    config = _own_config()
    tiles = config["urls"].pop("tiles")
    for contribution in _CONTRIBUTIONS:
        for key, value in contribution(user).items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key].update(value)
            else:
                config[key] = value
    config["urls"]["tiles"] = tiles  # last, where the page has always had it
    return config


def _own_config() -> dict[str, Any]:
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
            "tiles": url_template("parcels:tile", "z", "x", "y"),
        },
        "palette": style.PALETTE,
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


def home(request: HttpRequest) -> HttpResponse:
    """Render the map of the register; parcels come from tiles, sheets from the API.

    For a notary or registrar the page also names the deed forms, and the parcel sheet
    offers "Record a deed"; the public's page is the same without them.
    """
    config = map_config(request.user)
    return render(
        request,
        "parcels/home.html",
        {
            "map_config": config,
            "search_example": get_profile().search_example,
        },
    )
