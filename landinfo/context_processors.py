"""Template context shared by every page."""

from django.http import HttpRequest

from landinfo.profiles import get_profile


def profile(request: HttpRequest) -> dict[str, object]:
    """Return the jurisdiction profile, for page titles and identifier hints."""
    return {"profile": get_profile()}


def formats(request: HttpRequest) -> dict[str, object]:
    """Return `register_formats`: how the page's language writes figures, for site.js."""
    from landinfo.formats import browser_formats

    return {"register_formats": browser_formats}


def account(request: HttpRequest) -> dict[str, object]:
    """Return `signing_in`: the account that still owes its second factor, for the header.

    A callable, so that a page that never asks loads no session for it.
    """
    from landinfo.accounts.signin import signing_in  # needs the app registry

    return {"signing_in": lambda: signing_in(request)}
