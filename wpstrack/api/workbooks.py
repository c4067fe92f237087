"""Spreadsheet templates and imports in the API: the same service and report as the upload page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import File, Form, Router
from ninja.files import UploadedFile

from wpstrack.accounts import access
from wpstrack.lib.pages import error_body
from wpstrack.workbooks import services
from wpstrack.workbooks.views import XLSX, _download, _stem

router = Router(tags=["spreadsheets"])
FORMATS = {"xlsx", "csv", "actions.csv"}


def _template(request: HttpRequest, round_id: int, code: str | None, fmt: str) -> HttpResponse:
    user = access.actor(request)
    reporting_round = access.get_round_for_user(user, round_id)
    unit = None
    if code is not None:
        unit = access.get_submission_for_user(user, reporting_round, code).unit
    elif not access.can_manage_round(user, reporting_round):
        raise PermissionDenied
    stem = _stem(reporting_round, unit)
    if fmt == "xlsx":
        content = services.template_xlsx(reporting_round, unit, by=user.get_username())
        return _download(content, f"{stem}.xlsx", XLSX)
    kind = "actions" if fmt == "actions.csv" else "values"
    return _download(
        services.template_csv(reporting_round, unit, kind), f"{stem}-{kind}.csv", "text/csv"
    )


@router.get("/rounds/{round_id}/units/{code}/template.xlsx", response={200: None})
def unit_template_xlsx(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    """The unit's pre-filled .xlsx template."""
    return _template(request, round_id, code, "xlsx")


@router.get("/rounds/{round_id}/units/{code}/template.csv", response={200: None})
def unit_template_csv(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    """The unit's figures as CSV (the round on every row)."""
    return _template(request, round_id, code, "csv")


@router.get("/rounds/{round_id}/units/{code}/template.actions.csv", response={200: None})
def unit_template_actions_csv(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    """The unit's action updates as CSV."""
    return _template(request, round_id, code, "actions.csv")


@router.get("/rounds/{round_id}/template.xlsx", response={200: None})
def round_template_xlsx(request: HttpRequest, round_id: int) -> HttpResponse:
    """One workbook for every unit of the round (coordinators)."""
    return _template(request, round_id, None, "xlsx")


@router.get("/rounds/{round_id}/template.csv", response={200: None})
def round_template_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    return _template(request, round_id, None, "csv")


def _import(
    request: HttpRequest,
    round_id: int,
    code: str | None,
    file: UploadedFile,
    dry_run: bool,
    reason: str = "",
) -> HttpResponse:
    user = access.actor(request)
    reporting_round = access.get_round_for_user(user, round_id)
    unit = access.get_submission_for_user(user, reporting_round, code).unit if code else None
    report = services.import_workbook(
        data=file.read(settings.UPLOAD_MAX_BYTES + 1),
        filename=file.name or "upload",
        actor=user,
        reporting_round=reporting_round,
        unit=unit,
        dry_run=dry_run,
        reason=reason[:500],
    )
    body: dict[str, Any] = {"ok": report.ok, "report": report.as_dict()}
    if not report.ok:
        message = f"{len(report.errors)} problem(s) in {report.filename}: nothing was imported."
        body = {**error_body(400, "invalid-file", message, body["report"]["errors"]), **body}
        body["ok"] = False
    return JsonResponse(body, status=200 if report.ok else 400)


@router.post("/rounds/{round_id}/units/{code}/workbook")
def unit_import(
    request: HttpRequest,
    round_id: int,
    code: str,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    reason: Form[str] = "",
) -> HttpResponse:
    """Check a filled template (.xlsx or .csv, multipart field ``file``) and import it into the
    unit's draft (``reason`` is needed once the report has been submitted). 400 with the report
    when any cell is wrong (nothing imported)."""
    return _import(request, round_id, code, file, dry_run, reason)


@router.post("/rounds/{round_id}/workbook")
def round_import(
    request: HttpRequest,
    round_id: int,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    reason: Form[str] = "",
) -> HttpResponse:
    """The whole round's workbook, for coordinators."""
    return _import(request, round_id, None, file, dry_run, reason)
