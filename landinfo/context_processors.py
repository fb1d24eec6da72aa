"""Template context shared by every page."""

from django.http import HttpRequest

from landinfo.profiles import get_profile


def profile(request: HttpRequest) -> dict[str, object]:
    """Return the jurisdiction profile, for page titles and identifier hints."""
    return {"profile": get_profile()}
