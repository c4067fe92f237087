"""Rosters in the API: a plan's mappings, uploaded files and runs, for a script doing what a
coordinator does on the Rosters pages.

Everything here is the pages' own: the access check (``roster_plan``: the plan's coordinators
only, since a roster is person-level data), the services that write (each in one transaction
with its audit rows) and the functions that build each page's data. So a response holds
nothing person-level that a page would not show: headers, spellings of categorical columns
with their counts, counts, problem row numbers and the aggregates written.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, SkipValidation
from typing_extensions import TypedDict

from wpstrack.accounts import access
from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import ServiceError
from wpstrack.lib.pages import error_body, form_errors, json_error
from wpstrack.reporting.models import ReportingRound
from wpstrack.rosters import forms, running, services
from wpstrack.rosters.models import RosterMapping, RosterRun, RosterUpload
from wpstrack.rosters.views import (
    RUN_LIMIT,
    file_spellings,
    guessed_columns,
    mapping_data,
    mapping_row,
    plan_runs,
    roster_plan,
    run_data,
    run_row,
    upload_data,
    upload_row,
)

router = Router(tags=["rosters"])
BASE = "/plans/{slug}/rosters"

# The choices, spelled out for the OpenAPI document (a test keeps them equal to rosters.spec's).
Kind = Literal["hr", "learning", "trainees"]
Measure = Literal[
    "headcount",
    "headcount_start",
    "hires",
    "exits",
    "attrition_rate",
    "share_women",
    "completions",
    "people_completed",
    "trainees",
]

# -- the mapping document -----------------------------------------------------------------------
# Typed for the OpenAPI document only (SkipValidation): the mapping's own checks (rosters.spec)
# read the body as sent, so every problem comes back at once with its path, as on the page.
FilterDocument = TypedDict(
    "FilterDocument",
    {
        "field": str,
        "in": list[str],
        "not_in": list[str],
        "equals": str,
        "not_equals": str,
        "blank": bool,
        "not_blank": bool,
    },
    total=False,
)


class RuleDocument(TypedDict, total=False):
    metric: str
    measure: Measure
    where: list[FilterDocument]


class MappingDocument(Schema):
    """A roster mapping as its file holds it (docs/roster-mapping.md): what mapping.yaml holds."""

    # Required as the mapping's checks require them (null reads as missing: every field is
    # nullable); the checks, not the schema, refuse a missing one, with the others' problems.
    model_config = ConfigDict(
        json_schema_extra={"required": ["wpstrack_roster_mapping", "name", "kind", "columns"]}
    )

    wpstrack_roster_mapping: SkipValidation[Literal[1] | None] = Field(
        None, description="The format version: 1."
    )
    name: SkipValidation[str | None] = Field(
        None, description="The source, e.g. 'CBP HR extract (NFC)'."
    )
    kind: SkipValidation[Kind | None] = Field(None, description="hr, learning or trainees.")
    sheet: SkipValidation[str | None] = Field(
        None, description="XLSX only: the sheet; empty: the first."
    )
    columns: SkipValidation[dict[str, str] | None] = Field(
        None, description="Our field (unit, sex, hire_date, ...) -> the file's header."
    )
    values: SkipValidation[dict[str, dict[str, str]] | None] = Field(
        None, description="Per field: the source's spelling -> our key (sex: F -> women)."
    )
    blank: SkipValidation[dict[str, str] | None] = Field(
        None, description="What a blank cell means, per categorical field (sex: other)."
    )
    date_formats: SkipValidation[list[str] | None] = Field(
        None, description="strptime formats tried in order; default ['%Y-%m-%d']."
    )
    filters: SkipValidation[list[FilterDocument] | None] = Field(
        None, description="Which rows count: {field, <op>: value}, all must hold."
    )
    rules: SkipValidation[list[RuleDocument] | None] = Field(
        None, description="Which plan metric is computed how: {metric, measure, where?}."
    )


def _document(request: HttpRequest) -> Any:
    """The mapping exactly as sent (unknown keys too, which the schema above would drop)."""
    return json.loads(request.body)


# -- other bodies -------------------------------------------------------------------------------
class PlanHead(Schema):
    slug: str
    title: str


class ErrorOut(Schema):
    ok: bool
    error: str
    errors: list[dict[str, Any]] = Field(
        description="Each problem: code, message and field (for a mapping also path, the same)."
    )
    code: str
    status: int


class MappingRow(Schema):
    slug: str = Field(description="The mapping's key in addresses and in a run's body.")
    name: str
    kind: Kind
    version: int = Field(description="Each change is a new, audited version.")
    rules: int = Field(description="How many rules it has.")
    url: str = Field(description="The mapping's page.")
    export_url: str = Field(description="The mapping as a YAML file.")


class MappingOut(MappingRow):
    spec: MappingDocument


class MappingsOut(Schema):
    ok: bool
    plan: PlanHead
    mappings: list[MappingRow]


class MappingEnvelope(Schema):
    ok: bool
    plan: PlanHead
    mapping: MappingOut


class UploadRow(Schema):
    id: str
    file: str
    format: str
    size: int
    sha256: str
    uploaded_at: str
    expires_at: str = Field(description="When the file is deleted if it has not been run.")
    url: str = Field(description="The upload's page (the mapping editor).")


class UploadOut(Schema):
    id: str = Field(description="The upload's id, for a run's body.")
    file: str
    format: Literal["csv", "xlsx", "parquet"] = Field(description="Read from the bytes.")
    size: int
    sha256: str
    headers: list[str] = Field(description="The file's column headers.")
    expires_at: str
    kind: Kind = Field(description="The kind the columns were guessed for.")
    columns: dict[str, str] = Field(
        description="Our field -> the header its words suggest (check them before saving)."
    )
    spellings: dict[str, list[tuple[str, int]]] = Field(
        description="Per categorical field guessed (sex, unit, age_band, personnel_category): "
        "the file's most frequent spellings with their row counts."
    )
    spellings_withheld: dict[str, int] = Field(
        description="Per field whose values look like names or ids rather than categories (the "
        "wrong column?): how many different values it has; none of them is listed."
    )


class UploadsOut(Schema):
    ok: bool
    plan: PlanHead
    uploads: list[UploadRow]


class UploadEnvelope(Schema):
    ok: bool
    plan: PlanHead
    upload: UploadOut


class RunIn(Schema):
    upload: uuid.UUID = Field(description="The upload's id.")
    mapping: str = Field(max_length=80, description="The saved mapping's key (slug).")
    round: int | None = Field(None, description="The open reporting round's id; or period.")
    period: str | None = Field(
        None, max_length=12, description="The round's period (FY2025-Q3); or round."
    )
    accept_share: Decimal = Field(
        Decimal(0),
        ge=0,
        le=100,
        decimal_places=2,
        description="The percentage of unreadable rows accepted; beyond it the run is refused.",
    )


class RunProblem(Schema):
    code: str = Field(description="unknown-sex, bad-date, duplicate-person, ...")
    field: str | None
    count: int
    rows: list[int] = Field(description="The first file rows (the header is row 1).")
    spellings: list[tuple[str, int]] = Field(description="Spellings not understood, with counts.")
    spellings_withheld: int = Field(
        0, description="How many were not listed because they look like names or ids."
    )


class RunRow(Schema):
    id: int
    url: str = Field(description="The run's page.")
    file: str
    sha256: str
    mapping: str = Field(description="The mapping's name and version used.")
    round: str = Field(description="The round's period.")
    state: Literal["done", "refused"]
    state_name: str
    rows: int = Field(description="Rows read.")
    unreadable: int
    by: str
    at: str


class RunOut(RunRow):
    rows_counted: int
    duplicates: int
    unreadable_share: float
    accepted_share: str
    seconds: float
    file_deleted_at: str | None
    problems: list[RunProblem]
    refusal: list[dict[str, Any]] = Field(
        description="Why nothing was written (code, message; per unit and cell when figures "
        "break entry rules); empty for a done run."
    )
    results: list[dict[str, Any]] = Field(
        description="Per unit and metric: measure, total, cells, changed (cells written) and "
        "unplaced (counted rows in none of the metric's parts)."
    )
    has_unplaced: bool
    skipped: list[dict[str, str]] = Field(description="Reports no longer drafts, left as they are.")
    round_url: str


class RunsOut(Schema):
    ok: bool
    plan: PlanHead
    runs: list[RunRow]


class RunEnvelope(Schema):
    ok: bool
    plan: PlanHead
    run: RunOut


class RefusedRun(ErrorOut):
    plan: PlanHead
    run: RunOut


class Done(Schema):
    ok: bool


# -- helpers ------------------------------------------------------------------------------------
def _head(plan: Plan) -> dict[str, str]:
    return {"slug": plan.slug, "title": plan.title}


def _invalid(error: services.InvalidMapping) -> HttpResponse:
    """Every problem of a mapping, with its path as the page lists it (also as ``field``)."""
    problems = [{**p, "field": p.get("path")} for p in error.problems]
    return json_error(400, error.code, error.message, problems)


def _mapping(plan: Plan, mapping_slug: str) -> RosterMapping:
    return get_object_or_404(RosterMapping, plan=plan, slug=mapping_slug)


def _upload(plan: Plan, upload_id: str) -> RosterUpload:
    try:
        key = uuid.UUID(upload_id)
    except ValueError:
        raise Http404(upload_id) from None
    return get_object_or_404(RosterUpload, pk=key, plan=plan)


def _upload_shown(plan: Plan, upload: RosterUpload, kind: str) -> dict[str, Any]:
    """The upload page's data for a new mapping of ``kind``: the guessed columns and the
    spellings of the categorical ones, as the page's editor offers them."""
    columns = guessed_columns(kind, upload.headers)
    spellings = file_spellings(upload, kind, {"columns": columns})
    withheld = {f: found.withheld for f, found in spellings.items() if found.withheld}
    return {
        **upload_data(plan, upload, None)["upload"],
        "kind": kind,
        "columns": columns,
        "spellings": {f: found for f, found in spellings.items() if f not in withheld},
        "spellings_withheld": withheld,
    }


# -- mappings -----------------------------------------------------------------------------------
@router.get(f"{BASE}/mappings", response=MappingsOut, url_name="roster-api-mappings")
def list_mappings(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The plan's saved mappings."""
    plan = roster_plan(request, slug)
    return {
        "ok": True,
        "plan": _head(plan),
        "mappings": [mapping_row(m) for m in plan.roster_mappings.all()],
    }


@router.post(
    f"{BASE}/mappings",
    response={201: MappingEnvelope, 400: ErrorOut},
    url_name="roster-api-mapping-create",
)
def create_mapping(request: HttpRequest, slug: str, body: MappingDocument) -> Any:
    """Save a new mapping from its document (what mapping.yaml holds, as JSON); its key comes
    from its name. 400 ``invalid-mapping`` listing every problem with its path."""
    plan = roster_plan(request, slug)
    try:
        mapping = services.save_mapping(
            plan=plan, data=_document(request), actor=access.actor(request)
        )
    except services.InvalidMapping as error:
        return _invalid(error)
    return Status(201, {"ok": True, **mapping_data(plan, mapping)})


@router.get(
    f"{BASE}/mappings/{{mapping_slug}}", response=MappingEnvelope, url_name="roster-api-mapping"
)
def get_mapping(request: HttpRequest, slug: str, mapping_slug: str) -> dict[str, Any]:
    """A mapping with its document (``spec``), the same data the page exports as YAML."""
    plan = roster_plan(request, slug)
    return {"ok": True, **mapping_data(plan, _mapping(plan, mapping_slug))}


@router.put(
    f"{BASE}/mappings/{{mapping_slug}}",
    response={200: MappingEnvelope, 400: ErrorOut},
    url_name="roster-api-mapping-replace",
)
def replace_mapping(
    request: HttpRequest, slug: str, mapping_slug: str, body: MappingDocument
) -> Any:
    """Replace a mapping's document: a new, audited version (the same version when nothing
    changed). 400 ``invalid-mapping`` listing every problem with its path."""
    plan = roster_plan(request, slug)
    mapping = _mapping(plan, mapping_slug)
    try:
        mapping = services.save_mapping(
            plan=plan, data=_document(request), actor=access.actor(request), mapping=mapping
        )
    except services.InvalidMapping as error:
        return _invalid(error)
    return {"ok": True, **mapping_data(plan, mapping)}


@router.delete(
    f"{BASE}/mappings/{{mapping_slug}}",
    response={200: Done, 400: ErrorOut},
    url_name="roster-api-mapping-delete",
)
def delete_mapping(request: HttpRequest, slug: str, mapping_slug: str) -> dict[str, Any]:
    """Delete a mapping never run; 400 ``mapping-in-use`` once it has been (it stays for the
    runs' audit)."""
    plan = roster_plan(request, slug)
    services.delete_mapping(mapping=_mapping(plan, mapping_slug), actor=access.actor(request))
    return {"ok": True}


# -- uploads ------------------------------------------------------------------------------------
@router.get(f"{BASE}/uploads", response=UploadsOut, url_name="roster-api-uploads")
def list_uploads(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The files waiting for a run (each is deleted at ``expires_at`` if never run)."""
    plan = roster_plan(request, slug)
    return {
        "ok": True,
        "plan": _head(plan),
        "uploads": [upload_row(plan, u) for u in plan.roster_uploads.all()],
    }


@router.post(
    f"{BASE}/uploads",
    response={201: UploadEnvelope, 400: ErrorOut},
    url_name="roster-api-upload-create",
)
def create_upload(
    request: HttpRequest, slug: str, file: File[UploadedFile], kind: Form[Kind] = "hr"
) -> Any:
    """Upload a roster (multipart ``file``: CSV, XLSX or Parquet), kept until it is run: its id,
    format, size, headers, and the columns guessed for ``kind`` with their spellings. A file
    refused gets the page's codes (``invalid-form`` for an empty one; ``pdf-file``,
    ``bad-encoding``, ``not-a-table``, ... with field ``file``) and is not kept."""
    plan = roster_plan(request, slug)
    form = forms.UploadForm({}, MultiValueDict({"file": [file]}))  # the page's check of the file
    if not form.is_valid():
        return json_error(400, "invalid-form", _("Correct the fields listed."), form_errors(form))
    upload = services.upload_roster(
        plan=plan, stream=file, file_name=file.name or "", actor=access.actor(request)
    )
    return Status(
        201, {"ok": True, "plan": _head(plan), "upload": _upload_shown(plan, upload, kind)}
    )


@router.get(f"{BASE}/uploads/{{upload_id}}", response=UploadEnvelope, url_name="roster-api-upload")
def get_upload(
    request: HttpRequest, slug: str, upload_id: str, kind: Query[Kind] = "hr"
) -> dict[str, Any]:
    """A waiting file, with the columns guessed for ``kind`` and their spellings."""
    plan = roster_plan(request, slug)
    upload = _upload(plan, upload_id)
    return {"ok": True, "plan": _head(plan), "upload": _upload_shown(plan, upload, kind)}


@router.delete(f"{BASE}/uploads/{{upload_id}}", response=Done, url_name="roster-api-upload-delete")
def delete_upload(request: HttpRequest, slug: str, upload_id: str) -> dict[str, Any]:
    """Delete a waiting file without running it."""
    plan = roster_plan(request, slug)
    services.discard_upload(
        upload=_upload(plan, upload_id), actor=access.actor(request), reason=_("Deleted by hand")
    )
    return {"ok": True}


# -- runs ---------------------------------------------------------------------------------------
def _run_inputs(
    plan: Plan, body: RunIn
) -> tuple[RosterUpload | None, RosterMapping | None, ReportingRound | None, list[ServiceError]]:
    """The upload, mapping and round a run names, each looked up in this plan only; a refusal
    per field that names nothing there (all of them at once)."""
    refused = []
    upload = plan.roster_uploads.filter(pk=body.upload).first()
    if upload is None:
        refused.append(
            ServiceError(
                "unknown-upload",
                _("There is no such file waiting to be run: upload it again."),
                field="upload",
            )
        )
    mapping = plan.roster_mappings.filter(slug=body.mapping).first()
    if mapping is None:
        known = ", ".join(plan.roster_mappings.values_list("slug", flat=True)) or "–"
        refused.append(
            ServiceError(
                "unknown-mapping",
                _("%(plan)s has no mapping %(slug)s (it has: %(known)s).")
                % {"plan": plan.slug, "slug": body.mapping, "known": known},
                field="mapping",
            )
        )
    reporting_round = None
    if (body.round is None) == (body.period is None):
        refused.append(
            ServiceError(
                "round-required",
                _("Name the round to fill: give its id (round) or its period (period), not both."),
                field="round",
            )
        )
    else:
        named = {"pk": body.round} if body.round is not None else {"period": body.period}
        reporting_round = plan.rounds.filter(**named).first()
        if reporting_round is None:
            refused.append(
                ServiceError(
                    "unknown-round",
                    _("%(plan)s has no round %(round)s.")
                    % {"plan": plan.slug, "round": next(iter(named.values()))},
                    field="round" if body.round is not None else "period",
                )
            )
    return upload, mapping, reporting_round, refused


@router.post(
    f"{BASE}/runs",
    response={201: RunEnvelope, 400: ErrorOut, 409: ErrorOut, 422: RefusedRun},
    url_name="roster-api-run-start",
)
def start_run(request: HttpRequest, slug: str, body: RunIn) -> Any:
    """Run an uploaded file through a saved mapping into an open round's drafts: 201 with the
    run as its page shows it. 422 when the run is refused (too many unreadable rows, or figures
    that break entry rules): nothing is written and the file is kept to run again; the body
    names the refusal (``errors``) and holds the run with its problem counts and rows. 400
    ``invalid-mapping`` (every problem with its path) for a mapping that does not fit the file
    or the round; 409 ``round-not-open``."""
    plan = roster_plan(request, slug)
    upload, mapping, reporting_round, refused = _run_inputs(plan, body)
    if refused or upload is None or mapping is None or reporting_round is None:
        first = refused[0]
        return json_error(400, first.code, first.message, [e.as_dict() for e in refused])
    try:
        run = running.run_roster(
            upload=upload,
            mapping=mapping,
            reporting_round=reporting_round,
            accept_share=body.accept_share,
            actor=access.actor(request),
        )
    except services.InvalidMapping as error:
        return _invalid(error)
    # As its page reads it: from the database (the share as stored, 0.00, and the JSON fields).
    shown = run_data(plan, plan_runs(plan).get(pk=run.pk))
    if run.state == RosterRun.DONE:
        return Status(201, {"ok": True, **shown})
    reason = run.refusal[0]
    return Status(422, {**error_body(422, reason["code"], reason["message"], run.refusal), **shown})


@router.get(f"{BASE}/runs", response=RunsOut, url_name="roster-api-runs")
def list_runs(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The plan's runs, newest first (the latest 50), done and refused."""
    plan = roster_plan(request, slug)
    return {
        "ok": True,
        "plan": _head(plan),
        "runs": [run_row(r) for r in plan_runs(plan)[:RUN_LIMIT]],
    }


@router.get(f"{BASE}/runs/{{run_id}}", response=RunEnvelope, url_name="roster-api-run")
def get_run(request: HttpRequest, slug: str, run_id: int) -> dict[str, Any]:
    """A run as its page shows it: counts, problems with their first rows, refusal, results."""
    plan = roster_plan(request, slug)
    return {"ok": True, **run_data(plan, get_object_or_404(plan_runs(plan), pk=run_id))}
