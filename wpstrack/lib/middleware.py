"""Default deny: every view needs a signed-in user unless marked ``login_not_required``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from wpstrack.lib.pages import error_page, json_error, wants_json


class SignInRequiredMiddleware(LoginRequiredMiddleware):
    """Like Django's, but a JSON request gets the canonical 401 body instead of a redirect.

    The API under /api/ authenticates each operation itself (API key or session), so it is
    left to do that: every one of its operations requires one or the other.
    """

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> Any:
        if request.path.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request: HttpRequest, view_func: Any) -> Any:
        if wants_json(request):
            return json_error(
                401, "not-signed-in", _("Sign in first: this page needs a signed-in user.")
            )
        return super().handle_no_permission(request, view_func)


class MethodNotAllowedMiddleware:
    """Django answers a wrong HTTP method with an empty 405; say what happened instead."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code == 405 and not is_json:
            allowed = response.get("Allow", "")
            replacement = error_page(
                request,
                405,
                "method-not-allowed",
                _("Not allowed here"),
                _("%(method)s is not allowed here; this address accepts %(allowed)s.")
                % {"method": request.method, "allowed": allowed},
            )
            replacement["Allow"] = allowed
            return replacement
        return response
