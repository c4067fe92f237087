"""Error pages that say what happened, in HTML or as the canonical JSON body."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from wpstrack.lib.pages import error_page


@login_not_required
def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_page(
        request,
        400,
        "bad-request",
        _("Bad request"),
        _("The request could not be understood. Go back and try again."),
    )


@login_not_required
def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_page(
        request,
        403,
        "forbidden",
        _("Not yours to see"),
        _(
            "You do not have a role that lets you see or do this. Ask an administrator of the unit "
            "if you think you should."
        ),
    )


@login_not_required
def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_page(
        request,
        404,
        "not-found",
        _("Page not found"),
        _("There is nothing at this address. Check the link, or start from the home page."),
    )


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(
        request,
        500,
        "server-error",
        _("Something went wrong"),
        _("The error has been logged. Nothing was saved; try again in a moment."),
    )


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(
        request,
        403,
        "csrf-failed",
        _("Form expired"),
        _(
            "The form was sent without a valid security token, often because it was open too long. "
            "Reload the page and send it again."
        ),
    )
