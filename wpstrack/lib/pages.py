"""Pages with JSON twins, and the one canonical error body.

Every page answers HTML at its URL and the same data as JSON at the URL with ``.json`` added
(or when the request's Accept header asks for JSON first). Views build one ``data`` dict and
hand it to ``render_page`` so both forms always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

JSON_SUFFIX = ".json"


def wants_json(request: HttpRequest) -> bool:
    """True for a ``.json`` URL, anything under /api/, or an Accept header whose first choice is JSON."""
    if request.path.endswith(JSON_SUFFIX) or request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    return accept.split(",")[0].strip().startswith("application/json")


def render_page(
    request: HttpRequest,
    template: str,
    data: dict[str, Any],
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """Render ``template`` with ``data`` (plus any HTML-only ``context``), or ``data`` as JSON."""
    if wants_json(request):
        return JsonResponse({"ok": True, **data}, status=status, json_dumps_params={"indent": 2})
    return render(request, template, {**data, **(context or {})}, status=status)


def error_body(
    status: int, code: str, error: str, errors: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    return {
        "ok": False,
        "error": str(error),
        "errors": list(errors),
        "code": code,
        "status": status,
    }


def json_error(
    status: int, code: str, error: str, errors: Sequence[dict[str, Any]] = ()
) -> JsonResponse:
    return JsonResponse(error_body(status, code, error, errors), status=status)


def error_page(
    request: HttpRequest,
    status: int,
    code: str,
    title: str,
    message: str,
    errors: Sequence[dict[str, Any]] = (),
) -> HttpResponse:
    """An error as a page that says what happened, or as the canonical JSON body."""
    if wants_json(request):
        return json_error(status, code, message, errors)
    context = {"title": title, "message": message, "code": code, "status": status, "errors": errors}
    return render(request, "error.html", context, status=status)


def twin(route: str, view: Callable[..., HttpResponse], name: str) -> list[URLPattern]:
    """The HTML route and its ``.json`` twin, both served by ``view``.

    The twin comes first so that a code which may hold dots (``1.1``) is not read as ``1.1.json``.
    """
    json_route = (route.rstrip("/") or "index") + JSON_SUFFIX
    return [path(json_route, view, name=f"{name}-json"), path(route, view, name=name)]


def form_errors(form: Any) -> list[dict[str, Any]]:
    """A bound form's errors in the canonical list shape."""
    return [
        {"field": field if field != "__all__" else None, "message": str(message)}
        for field, messages in form.errors.items()
        for message in messages
    ]


def invalid_form(
    request: HttpRequest,
    template: str,
    data: dict[str, Any],
    form: Any,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """A form that did not validate: the page again with field errors, or the canonical 400 body."""
    if wants_json(request):
        return json_error(400, "invalid-form", _("Correct the fields listed."), form_errors(form))
    return render_page(request, template, data, {"form": form, **(context or {})}, status=400)


def refused_form(
    request: HttpRequest,
    error: Any,
    template: str,
    data: dict[str, Any],
    form: Any,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """A service refused a valid form: its message on the form's field, or the canonical body."""
    if wants_json(request):
        return json_error(error.status, error.code, error.message, [error.as_dict()])
    form.add_error(error.field if error.field in form.fields else None, error.message)
    return render_page(request, template, data, {"form": form, **(context or {})}, status=400)


def act(request: HttpRequest, action: Callable[[], Any], done: str, back: str) -> HttpResponse:
    """Run a button's service call: on refusal the canonical body or the message on ``back``;
    on success the ``done`` message on ``back``."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from wpstrack.lib.errors import ServiceError

    try:
        action()
    except ServiceError as error:
        if wants_json(request):
            return json_error(error.status, error.code, error.message, [error.as_dict()])
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, done)
    return redirect(back)
