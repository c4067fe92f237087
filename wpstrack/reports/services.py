"""Building reports: freeze the approved data, build the document, write the format, keep the
file. One path for the page (as a background task with progress), the command and the tests."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wpstrack.accounts import access
from wpstrack.accounts.models import User
from wpstrack.audit.services import record_event
from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import NotAllowed, ServiceError
from wpstrack.lib.periods import Period, PeriodError
from wpstrack.reports import builders, formats
from wpstrack.reports.models import Build, Narrative, Snapshot
from wpstrack.reports.snapshot import take_snapshot


def check_request(plan: Plan, year: str, kind: str, fmt: str, unit: str = "") -> str:
    """The fiscal year's code, or a ServiceError naming what is wrong."""
    if kind not in builders.KINDS:
        raise ServiceError(
            "unknown-kind",
            _("Choose a report: %(k)s.") % {"k": ", ".join(builders.KINDS)},
            field="kind",
        )
    if fmt not in formats.WRITERS:
        raise ServiceError(
            "unknown-format", _("Choose a format: docx, pdf, xlsx or html."), field="format"
        )
    if kind == "unit" and not unit:
        raise ServiceError("unit-required", _("Name the unit for a unit report."), field="unit")
    try:
        return Period.parse(year, plan.fiscal_year_start_month).year.code
    except PeriodError:
        raise ServiceError(
            "bad-year",
            _("%(y)r is not a fiscal year: write FY2025.") % {"y": year[:20]},
            field="year",
        ) from None


def render(
    snapshot: Snapshot, kind: str, fmt: str, *, progress: Any = None, **options: Any
) -> tuple[bytes, str]:
    """The file and its name, from a snapshot (the plan's own templates, if any, apply)."""
    report = builders.build(snapshot, kind, **options)
    if progress:
        progress(40)
    plan = snapshot.plan
    extra: dict[str, Any] = {}
    template = getattr(plan, "report_template", None)
    if fmt in ("pdf", "html") and template is not None and template.html:
        extra["override"] = template.html
    if fmt == "docx" and template is not None and template.reference_docx:
        extra["reference"] = bytes(template.reference_docx)
    content = formats.WRITERS[fmt](report, progress=progress, **extra)
    who = options.get("unit") or options.get("period") or ""
    name = "-".join(p for p in (plan.slug, snapshot.year, f"ed{snapshot.edition}", kind, who) if p)
    return content, f"{name}.{formats.EXTENSIONS[fmt]}"


@transaction.atomic
def request_build(
    *,
    plan: Plan,
    year: str,
    kind: str,
    fmt: str,
    actor: User | None,
    period: str = "",
    unit: str = "",
) -> Build:
    """Record a build to run (the page then enqueues it); coordinators only."""
    if actor is not None and not access.can_edit_plan(actor, plan):
        raise NotAllowed(
            "not-plan-coordinator", _("Only the plan's coordinators build its reports.")
        )
    year = check_request(plan, year, kind, fmt, unit)
    build = Build.objects.create(
        plan=plan,
        year=year,
        kind=kind,
        format=fmt,
        period=period,
        unit_code=unit,
        requested_by=actor,
    )
    record_event(
        actor=actor,
        action="report.request",
        obj=build,
        unit=plan.owner_unit,
        changes={"kind": [None, kind], "format": [None, fmt], "year": [None, year]},
    )
    return build


def run_build(build_id: int) -> Build:
    """Freeze the data, build and keep the file; progress is saved as it goes."""
    build = Build.objects.select_related("plan", "requested_by").get(pk=build_id)

    def progress(percent: int) -> None:
        Build.objects.filter(pk=build.pk).update(progress=min(percent, 99))

    Build.objects.filter(pk=build.pk).update(state=Build.RUNNING, progress=5)
    try:
        snapshot = take_snapshot(
            build.plan,
            build.year,
            actor=build.requested_by,
            actor_label=None if build.requested_by else "system",
        )
        progress(20)
        content, name = render(
            snapshot,
            build.kind,
            build.format,
            progress=progress,
            period=build.period,
            unit=build.unit_code,
        )
    except Exception as error:  # the page shows why; the log has the traceback
        Build.objects.filter(pk=build.pk).update(
            state=Build.FAILED, message=str(error)[:1000], finished_at=timezone.now()
        )
        raise
    Build.objects.filter(pk=build.pk).update(
        snapshot=snapshot,
        state=Build.DONE,
        progress=100,
        filename=name,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        finished_at=timezone.now(),
    )
    build.refresh_from_db()
    return build


@transaction.atomic
def save_narrative(
    *, plan: Plan, year: str, executive_summary: str, decisions_needed: str, actor: User
) -> Narrative:
    if not access.can_edit_plan(actor, plan):
        raise NotAllowed(
            "not-plan-coordinator", _("Only the plan's coordinators write its narrative.")
        )
    year = check_request(plan, year, "annual", "pdf")
    narrative, _created = Narrative.objects.get_or_create(plan=plan, year=year)
    before = {
        "executive_summary": narrative.executive_summary,
        "decisions_needed": narrative.decisions_needed,
    }
    narrative.executive_summary, narrative.decisions_needed = (
        executive_summary.strip()[:50000],
        decisions_needed.strip()[:20000],
    )
    narrative.updated_at = timezone.now()
    narrative.save()
    changes = {
        k: [before[k], getattr(narrative, k)] for k in before if before[k] != getattr(narrative, k)
    }
    if changes:
        record_event(
            actor=actor,
            action="report.narrative",
            obj=narrative,
            unit=plan.owner_unit,
            changes=changes,
        )
    return narrative
