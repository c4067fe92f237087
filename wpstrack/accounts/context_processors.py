from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from wpstrack.accounts import access


def _json_twin(request: HttpRequest) -> str | None:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.url_name or match.url_name.endswith("-json"):
        return None
    try:
        return reverse(f"{match.url_name}-json", kwargs=match.kwargs)
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar may offer the signed-in person, and the page's JSON twin."""
    user = getattr(request, "user", None)
    return {
        "nav_can_manage_users": bool(user and access.can_manage_users(user)),
        "json_url": _json_twin(request),
    }
