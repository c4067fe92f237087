"""Downloading templates and uploading filled ones, for a unit's round page or a whole round."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from wpstrack.accounts import access
from wpstrack.accounts.models import OrgUnit
from wpstrack.lib.errors import ServiceError
from wpstrack.lib.pages import error_body, error_page, invalid_form, render_page, wants_json
from wpstrack.reporting.models import ReportingRound, Submission
from wpstrack.workbooks import marked, services
from wpstrack.workbooks.report import Report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Filled template (.xlsx or .csv)"),
        help_text=gettext_lazy("Nothing is imported unless every cell is right."),
    )
    reason = forms.CharField(
        label=gettext_lazy("What you changed and why (needed once the report has been submitted)"),
        required=False,
        max_length=500,
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Only check the file; do not import it"), required=False
    )


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # a template holds the draft's figures
    return response


def _stem(reporting_round: ReportingRound, unit: OrgUnit | None) -> str:
    who = unit.code if unit else "all-units"
    return f"{reporting_round.plan.slug}-{reporting_round.period}-{who}"


def _serve(
    reporting_round: ReportingRound, unit: OrgUnit | None, fmt: str, by: str
) -> HttpResponse:
    stem = _stem(reporting_round, unit)
    if fmt == "xlsx":
        return _download(services.template_xlsx(reporting_round, unit, by=by), f"{stem}.xlsx", XLSX)
    kind = "actions" if fmt == "actions.csv" else "values"
    return _download(
        services.template_csv(reporting_round, unit, kind),
        f"{stem}-{kind}.csv",
        "text/csv; charset=utf-8",
    )


def _unit_submission(request: HttpRequest, round_id: int, code: str) -> Submission:
    reporting_round = access.get_round_for_user(request.user, round_id)
    return access.get_submission_for_user(request.user, reporting_round, code)


@require_safe
def unit_template(request: HttpRequest, round_id: int, code: str, fmt: str) -> HttpResponse:
    """Anyone who may see the unit's report may take it away as a spreadsheet."""
    submission = _unit_submission(request, round_id, code)
    return _serve(submission.reporting_round, submission.unit, fmt, request.user.get_username())


@require_safe
def round_template(request: HttpRequest, round_id: int, fmt: str) -> HttpResponse:
    reporting_round = access.get_round_for_user(request.user, round_id)
    if not access.can_manage_round(request.user, reporting_round):
        raise PermissionDenied
    return _serve(reporting_round, None, fmt, request.user.get_username())


def _page_data(reporting_round: ReportingRound, unit: OrgUnit | None) -> dict[str, Any]:
    args = (reporting_round.pk, unit.code) if unit else (reporting_round.pk,)
    prefix = "unit" if unit else "round"
    return {
        "round": {
            "id": reporting_round.pk,
            "plan": reporting_round.plan.slug,
            "period": reporting_round.period,
            "state": reporting_round.state,
        },
        "unit": {"code": unit.code, "name": unit.name} if unit else None,
        "downloads": {
            "xlsx": reverse(f"{prefix}-template", args=(*args, "xlsx")),
            "csv": reverse(f"{prefix}-template", args=(*args, "csv")),
            "actions_csv": reverse(f"{prefix}-template", args=(*args, "actions.csv")),
        },
        "max_upload_mb": settings.UPLOAD_MAX_BYTES // 1048576,
        "report": None,
    }


def _upload(
    request: HttpRequest, reporting_round: ReportingRound, unit: OrgUnit | None
) -> HttpResponse:
    data = _page_data(reporting_round, unit)
    template = "workbooks/upload.html"
    if request.method != "POST":
        return render_page(request, template, data, {"form": UploadForm()})
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return invalid_form(request, template, data, form)
    upload = form.cleaned_data["file"]
    content = upload.read(settings.UPLOAD_MAX_BYTES + 1)  # one byte over is enough to refuse it
    try:
        report = services.import_workbook(
            data=content,
            filename=upload.name,
            actor=access.actor(request),
            reporting_round=reporting_round,
            unit=unit,
            dry_run=form.cleaned_data["dry_run"],
            reason=form.cleaned_data["reason"],
        )
    except ServiceError as error:
        return error_page(
            request, error.status, error.code, _("Not imported"), error.message, [error.as_dict()]
        )
    return _answer(request, template, data, form, report, content)


def _answer(
    request: HttpRequest,
    template: str,
    data: dict[str, Any],
    form: UploadForm,
    report: Report,
    content: bytes,
) -> HttpResponse:
    data["report"] = report.as_dict()
    if not report.ok:
        copy = marked.mark(content, report)
        if copy is not None:
            token = marked.keep(copy, request.user.pk, report.filename)
            data["report"]["marked_copy"] = reverse("marked-copy", args=(token,))
        message = _("%(n)s problem(s) found in %(file)s: nothing was imported.") % {
            "n": len(report.errors),
            "file": report.filename,
        }
        if wants_json(request):
            body = error_body(400, "invalid-file", message, data["report"]["errors"])
            return JsonResponse({**body, "report": data["report"]}, status=400)
        messages.error(request, message)
        return render_page(request, template, data, {"form": UploadForm()}, status=400)
    if report.status == "valid":
        messages.success(request, _("The file is correct; nothing was imported (check only)."))
    elif report.status == "unchanged":
        messages.info(request, _("The file matches what is stored: nothing changed."))
    else:
        cells = sum(len(c) for c in report.changed.values())
        messages.success(
            request,
            _(
                "Imported %(file)s: %(n)s cell(s) changed in %(units)s draft(s). Review, then submit."
            )
            % {"file": report.filename, "n": cells, "units": len(report.changed)},
        )
    if wants_json(request) or report.status == "valid":
        return render_page(request, template, data, {"form": UploadForm()})
    unit = data["unit"]
    if unit:
        return redirect("submission-detail", round_id=data["round"]["id"], code=unit["code"])
    return redirect("round-detail", round_id=data["round"]["id"])


@require_http_methods(["GET", "HEAD", "POST"])
def unit_upload(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    submission = _unit_submission(request, round_id, code)
    if not access.can_import_submission(request.user, submission):
        raise PermissionDenied
    return _upload(request, submission.reporting_round, submission.unit)


@require_http_methods(["GET", "HEAD", "POST"])
def round_upload(request: HttpRequest, round_id: int) -> HttpResponse:
    reporting_round = access.get_round_for_user(request.user, round_id)
    if not access.can_manage_round(request.user, reporting_round):
        raise PermissionDenied
    return _upload(request, reporting_round, None)


@require_safe
def marked_copy(request: HttpRequest, token: str) -> HttpResponse:
    """The uploader's own file with its problems marked (a day; signed for that person)."""
    found = marked.fetch(token, request.user.pk)
    if found is None:
        raise Http404("marked copy")
    content, filename = found
    return _download(content, filename, XLSX)
