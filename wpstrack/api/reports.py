"""Reports in the API: a plan's snapshots and builds, requesting a build, following it, and
downloading the file. The same services, access rules and messages as the report pages: anyone
who may see the plan lists and downloads its built reports (approved data only); only its
coordinators request builds."""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from wpstrack.accounts import access
from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import ServiceError
from wpstrack.lib.pages import json_error
from wpstrack.lib.periods import Period, PeriodError
from wpstrack.reports import builders, services, tasks
from wpstrack.reports.models import Build, Snapshot
from wpstrack.reports.views import (
    FORMAT_NAMES,
    LIST_LIMIT,
    STATE_NAMES,
    build_data,
    file_response,
    plan_builds,
)

router = Router(tags=["reports"])

# The choices, spelled out for the OpenAPI document (a test keeps them equal to the builders' and
# writers' own lists).
Kind = Literal["annual", "quarterly", "scorecard", "iptt", "unit"]
Format = Literal["pdf", "docx", "xlsx", "html"]
Quarter = Literal["Q1", "Q2", "Q3", "Q4"]
State = Literal["queued", "running", "done", "failed"]


class BuildIn(Schema):
    year: str = Field(
        max_length=12,
        description="The fiscal year (FY2025); it needs approved data.",
        examples=["FY2025"],
    )
    kind: Kind = Field(description="annual, quarterly (review pack), scorecard, iptt or unit")
    format: Format = Field(description="pdf, docx, xlsx, or html (a zip of the static site)")
    quarter: Quarter | None = Field(
        None, description="For the quarterly review pack; left out: the latest with data."
    )
    unit: str = Field(
        "", max_length=40, description="For a unit report: the code of a unit the plan names."
    )


class BuildOut(Schema):
    id: int
    kind: Kind
    kind_name: str
    year: str
    period: str = Field(description="The review pack's quarter (FY2025-Q3), else empty.")
    unit: str = Field(description="The unit report's unit, else empty.")
    format: Format
    format_name: str
    state: State
    state_name: str
    progress: int = Field(ge=0, le=100, description="Percent done.")
    error: str = Field(description="Why the build failed; empty unless it did.")
    edition: int | None = Field(description="The snapshot's edition, once it is taken.")
    snapshot: str | None = Field(description="The snapshot's identifier (plan/FY2025/ed1).")
    snapshot_sha256: str | None
    filename: str = Field(description="The file's name once done, else empty.")
    file_sha256: str
    requested_by: str
    requested_at: str
    finished_at: str | None
    url: str = Field(description="This build in the API.")
    download_url: str | None = Field(description="The file in the API, once done.")
    page_url: str = Field(description="The build's page.")


class SnapshotOut(Schema):
    identifier: str
    year: str
    edition: int
    sha256: str
    created_at: str
    created_by: str


class PlanHead(Schema):
    slug: str
    title: str


class ReportsOut(Schema):
    ok: bool
    plan: PlanHead
    can_build: bool = Field(description="Whether you may request builds (the plan's coordinators).")
    default_year: str
    kinds: dict[str, str]
    formats: dict[str, str]
    snapshots: list[SnapshotOut]
    builds: list[BuildOut]


class BuildEnvelope(Schema):
    ok: bool
    build: BuildOut


def _plan(request: HttpRequest, slug: str) -> Plan:
    plan = access.get_plan_for_user(access.actor(request), slug)
    if not isinstance(plan, Plan):
        raise TypeError
    return plan


def _build(build: Build) -> dict[str, Any]:
    """The page's data of a build, with the API's addresses (and ``error`` for its message)."""
    shown = build_data(build)
    args = (build.plan.slug, build.pk)
    shown["error"] = shown.pop("message")
    shown["page_url"] = shown["url"]
    shown["url"] = reverse("api:report-build", args=args)
    if shown["download_url"]:
        shown["download_url"] = reverse("api:report-download", args=args)
    return shown


def _snapshot(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "identifier": snapshot.identifier,
        "year": snapshot.year,
        "edition": snapshot.edition,
        "sha256": snapshot.sha256,
        "created_at": snapshot.created_at.isoformat(timespec="seconds"),
        "created_by": snapshot.created_by_label,
    }


def _year(plan: Plan, year: str) -> str:
    try:
        return Period.parse(year, plan.fiscal_year_start_month).year.code
    except PeriodError:
        raise ServiceError(
            "bad-year",
            _("%(y)r is not a fiscal year: write FY2025.") % {"y": year[:20]},
            field="year",
        ) from None


@router.get("/plans/{slug}/reports", response=ReportsOut, url_name="report-list")
def list_reports(request: HttpRequest, slug: str, year: Query[str | None] = None) -> dict[str, Any]:
    """The plan's snapshots (frozen approved data, each edition with its SHA-256) and its builds,
    newest first (at most 100 builds), optionally of one fiscal year."""
    plan = _plan(request, slug)
    snapshots = Snapshot.objects.filter(plan=plan).defer("content").select_related("plan")
    builds = plan_builds(plan)
    if year:
        chosen = _year(plan, year)
        snapshots, builds = snapshots.filter(year=chosen), builds.filter(year=chosen)
    return {
        "ok": True,
        "plan": {"slug": plan.slug, "title": plan.short_title or plan.title},
        "can_build": access.can_edit_plan(access.actor(request), plan),
        "default_year": services.latest_year_with_data(plan),
        "kinds": {k: str(v) for k, v in builders.KINDS.items()},
        "formats": {k: str(v) for k, v in FORMAT_NAMES.items()},
        "snapshots": [_snapshot(s) for s in snapshots.order_by("-year", "-edition")],
        "builds": [_build(b) for b in builds[:LIST_LIMIT]],
    }


@router.post("/plans/{slug}/reports", response={202: BuildEnvelope}, url_name="report-request")
def request_build(request: HttpRequest, slug: str, body: BuildIn) -> Status:
    """Request a build (the plan's coordinators): 202 with the build, which then runs in the
    background (``wpstrack db_worker``); follow it at its ``url``. 400 naming the field for an
    unknown unit or quarter, or a year without approved data; nothing is written then."""
    plan = _plan(request, slug)
    user = access.actor(request)
    year = _year(plan, body.year)
    build = services.request_build(
        plan=plan,
        year=year,
        kind=body.kind,
        fmt=body.format,
        actor=user,
        period=f"{year}-{body.quarter}" if body.kind == "quarterly" and body.quarter else "",
        unit=body.unit if body.kind == "unit" else "",
    )
    transaction.on_commit(lambda: tasks.build_report.enqueue(build.pk))
    build.refresh_from_db()
    return Status(202, {"ok": True, "build": _build(build)})


def _find(request: HttpRequest, slug: str, build_id: int) -> Build:
    build = plan_builds(_plan(request, slug)).filter(pk=build_id).first()
    if build is None:
        raise Http404(build_id)
    return build


@router.get("/plans/{slug}/reports/{build_id}", response=BuildEnvelope, url_name="report-build")
def get_build(request: HttpRequest, slug: str, build_id: int) -> dict[str, Any]:
    """A build's state (queued, running, done, failed), progress, and why it failed."""
    return {"ok": True, "build": _build(_find(request, slug, build_id))}


@router.get(
    "/plans/{slug}/reports/{build_id}/download", response={200: None}, url_name="report-download"
)
def download(request: HttpRequest, slug: str, build_id: int) -> HttpResponse:
    """The built file with its content type and name; 404 ``not-built`` until it is done."""
    plan = _plan(request, slug)
    build = Build.objects.filter(plan=plan, pk=build_id).first()
    if build is None:
        raise Http404(build_id)
    if build.state != Build.DONE or build.content is None:
        return json_error(
            404,
            "not-built",
            _("This report has not been built (%(state)s).")
            % {"state": STATE_NAMES.get(build.state, build.state)},
        )
    return file_response(build)
