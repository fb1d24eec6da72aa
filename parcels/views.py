"""Thin views over the parcel selectors."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from parcels import selectors
from parcels.models import AdministrativeUnit


def home(request: HttpRequest) -> HttpResponse:
    """Render the map of the register."""
    return render(
        request,
        "parcels/home.html",
        {
            "summary": selectors.register_summary(),
            "communes": selectors.units_geojson(level=AdministrativeUnit.Level.COMMUNE),
        },
    )
