"""The JSON API: authentication (bearer key or the browser session) and the one error body."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from wpstrack.accounts.services import user_for_api_key
from wpstrack.lib.errors import ServiceError
from wpstrack.lib.pages import json_error


class ApiKey(HttpBearer):
    """``Authorization: Bearer wpst_...`` with a key made at /account/api-keys or by create-api-key."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_api_key(token)
        if user is not None:
            request.user = user
        return user


def _signed_in_only(view: Any) -> Any:
    """The OpenAPI document, like everything else, is for signed-in people and key holders."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        key_user = user_for_api_key(header[7:].strip()) if header.startswith("Bearer ") else None
        if not (getattr(request.user, "is_authenticated", False) or key_user):
            return json_error(
                401, "not-signed-in", _("Sign in or send 'Authorization: Bearer <API key>'.")
            )
        return view(request, *args, **kwargs)

    return wrapped


api = NinjaAPI(
    title="wpstrack API",
    version="1",
    description="Plans, reporting rounds and submissions. Every write goes through the same services, "
    "rules and audit as the pages. Errors: {ok: false, error, errors, code, status}.",
    auth=[ApiKey(), django_auth],
    urls_namespace="api",
    docs_url=None,  # the interactive docs load scripts from a CDN, which our CSP forbids
    docs_decorator=_signed_in_only,
)


def _body(
    request: HttpRequest,
    status: int,
    code: str,
    error: str,
    errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    return json_error(status, code, error, errors or [])


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    errors = getattr(exc, "errors", None)
    listed = [e.as_dict() for e in errors] if errors else [exc.as_dict()]
    return _body(request, exc.status, exc.code, exc.message, listed)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", [])[1:]) or None,
            "message": e.get("msg", ""),
        }
        for e in exc.errors
    ]
    return _body(
        request, 400, "invalid-input", _("The request body or parameters are not valid."), errors
    )


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _body(
        request,
        401,
        "not-signed-in",
        _("Send 'Authorization: Bearer <API key>' or sign in (with the CSRF token for writes)."),
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _body(request, 404, "not-found", _("There is nothing at this address."))


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _body(
        request, 403, "forbidden", _("You do not have a role that lets you see or do this.")
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _body(request, exc.status_code, "http-error", str(exc))
