"""The notary's views: the index of deeds, and one view per kind's page.

A view opens the page the kind's row names (transactions.deeds.kinds) for those with
the kind's permission; transactions/urls.py gives each its path.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from parcels.search import engine
from transactions.deeds import forms
from transactions.deeds.kinds import KINDS, deed_links
from transactions.deeds.pages import search_example
from transactions.deeds.services import RECORD


def deed_view(name: str) -> Any:
    """Return the view of the page of the kind of deed `name`."""
    kind = KINDS[name]

    @login_required
    @permission_required(kind.permission, raise_exception=True)
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest) -> HttpResponse:
        return kind.page_class(request, kind).respond()

    view.__doc__ = f"Show and record the {name} form."
    view.__name__ = name
    return view


transfer = deed_view("transfer")
first_registration = deed_view("first_registration")
mortgage = deed_view("mortgage")
discharge = deed_view("discharge")
subdivision = deed_view("subdivision")
merge = deed_view("merge")
correction = deed_view("correction")


@login_required
@permission_required(RECORD, raise_exception=True)
@require_http_methods(["GET"])
def deed_index(request: HttpRequest) -> HttpResponse:
    """Show the kinds of deed and a parcel search: where a deed starts away from the map."""
    query = request.GET.get("q", "").strip()
    results: list[Any] = []
    problem = ""
    if query:
        try:
            answer = engine.search(query, limit=10)
        except engine.InvalidSearch as error:
            problem = str(error)
        else:
            results, problem = answer.results, answer.message
    return render(
        request,
        "transactions/deed_index.html",
        {
            "search": forms.ParcelSearchForm(request.GET),
            "query": query,
            "results": results,
            "problem": problem,
            "deed_pages": deed_links(request.user),
            "search_example": search_example(),
        },
    )
