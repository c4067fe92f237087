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
from wpstrack.reports.models import Build, Narrative, ReportTemplate, Snapshot
from wpstrack.reports.snapshot import take_snapshot

HTML_TEMPLATE_MAX_BYTES = 512 * 1024
REFERENCE_DOCX_MAX_BYTES = 5 * 1024 * 1024
REFERENCE_DOCX_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


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


def plan_units(plan: Plan) -> Any:
    """The units a unit report can be about: those the plan names as responsible."""
    from wpstrack.accounts.models import OrgUnit

    return OrgUnit.objects.filter(elements__plan=plan).distinct().order_by("code")


def year_periods(plan: Plan, year: str) -> list[str]:
    """The fiscal year's code and its quarters' (what a snapshot of the year gathers)."""
    period = Period.parse(year, plan.fiscal_year_start_month).year
    return [period.code] + [q.code for q in period.quarters()]


def has_approved_data(plan: Plan, year: str) -> bool:
    from wpstrack.reporting.models import Submission, SubmissionState

    return Submission.objects.filter(
        reporting_round__plan=plan,
        reporting_round__period__in=year_periods(plan, year),
        state=SubmissionState.APPROVED,
    ).exists()


def _check_build(plan: Plan, year: str, kind: str, period: str, unit: str) -> None:
    """What a build asks for beyond its kind, format and year: a unit of the plan, a quarter of
    the year, and approved data to report (a report of nothing is refused, not built)."""
    if kind == "unit" and not plan_units(plan).filter(code=unit).exists():
        raise ServiceError(
            "unknown-unit",
            _("%(u)r is not a unit this plan names as responsible.") % {"u": unit[:40]},
            field="unit",
        )
    if period and period not in year_periods(plan, year)[1:]:
        raise ServiceError(
            "bad-quarter",
            _("%(p)r is not a quarter of %(y)s: choose Q1 to Q4.") % {"p": period[:20], "y": year},
            field="quarter",
        )
    if not has_approved_data(plan, year):
        raise ServiceError(
            "no-approved-data",
            _(
                "No report of %(y)s has been approved yet, so there is nothing to publish: "
                "choose a year with approved data."
            )
            % {"y": year},
            field="year",
        )


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
    """Record a build to run (the page then enqueues it); coordinators only. A unit report needs
    a unit of the plan, a review pack's ``period`` a quarter of the year (empty: the latest with
    data), and the year approved data."""
    if actor is not None and not access.can_edit_plan(actor, plan):
        raise NotAllowed(
            "not-plan-coordinator", _("Only the plan's coordinators build its reports.")
        )
    year = check_request(plan, year, kind, fmt, unit)
    _check_build(plan, year, kind, period, unit)
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


# -- what the pages offer ---------------------------------------------------------------------
def latest_year_with_data(plan: Plan) -> str:
    """The latest fiscal year with an approved report (the year a new build defaults to), or the
    current fiscal year when nothing is approved yet."""
    from wpstrack.reporting.models import Submission, SubmissionState

    latest = (
        Submission.objects.filter(reporting_round__plan=plan, state=SubmissionState.APPROVED)
        .order_by("-reporting_round__period_start")
        .values_list("reporting_round__period", flat=True)
        .first()
    )
    start = plan.fiscal_year_start_month
    if latest:
        try:
            return Period.parse(latest, start).year.code
        except PeriodError:
            pass
    return Period.containing(timezone.localdate(), start).year.code


# -- the plan's own templates -----------------------------------------------------------------
def sample_report(plan: Plan) -> Any:
    """A report to try a template on before it is kept: the annual report the builders make
    from an empty snapshot of the plan (so its cover, empty tables and footnotes are the real
    ones), followed by a heading of every level, a table and a chart."""
    from wpstrack.lib import charts
    from wpstrack.reports import document
    from wpstrack.reports.document import Figure, Heading, PageBreak, Table, Text

    period = Period.parse(latest_year_with_data(plan), plan.fiscal_year_start_month).year
    content = {
        "format": "wpstrack-snapshot/1",
        "plan": {
            "slug": plan.slug,
            "title": plan.title,
            "short_title": plan.short_title,
            "fiscal_year_start_month": plan.fiscal_year_start_month,
            "owner_unit": plan.owner_unit.code,
            "source": plan.source,
            "status_rules": plan.status_rules,
        },
        "year": period.code,
        "periods": [period.code] + [q.code for q in period.quarters()],
        "previous_year": period.previous().code,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "demo": False,
        "elements": [],
        "figures": {},
        "actions": {},
        "provenance": [],
        "completeness": [],
        "narrative": {
            "executive_summary": _("A paragraph of the executive summary."),
            "decisions_needed": _("A decision needed."),
        },
    }
    snapshot = Snapshot(
        plan=plan,
        year=period.code,
        edition=1,
        sha256="0" * 64,
        content=content,
        created_by_label="sample",
    )
    report = builders.build(snapshot, "annual")
    chart = charts.time_series(
        "1-M1",
        _("Sample metric"),
        [(period.previous().code, 20.0), (period.code, 22.0)],
        unit="%",
    )
    levels = getattr(document, "HEADING_LEVELS", 3)
    report.add(
        PageBreak(),
        *[
            Heading(level, _("A heading of level %(n)s") % {"n": level})
            for level in range(1, levels + 1)
        ],
        Text(_("A paragraph."), "body"),
        Text(_("A note."), "note"),
        Text(_("A status."), "status"),
        Table(
            _("Sample table"),
            [_("Metric"), _("Text"), period.previous().code, period.code],
            [["1-M1", _("Sample metric"), "20%", "22%"]],
            numeric={2, 3},
            notes=[_("A footnote.")],
            sheet="Sample",
        ),
        Figure(
            chart,
            Table(
                chart.table.caption,
                list(chart.table.columns),
                [list(r) for r in chart.table.rows],
            ),
        ),
    )
    return report


def _debug_engine() -> Any:
    """The project's template engine, in debug mode so that an error knows its line."""
    from django.template import Engine, engines

    base = engines["django"].engine  # type: ignore[attr-defined]
    return Engine(
        dirs=base.dirs,
        loaders=base.loaders,
        libraries=base.libraries,
        builtins=[b for b in base.builtins if b not in Engine.default_builtins],
        debug=True,
        autoescape=base.autoescape,
    )


def _template_error(error: Exception) -> ServiceError:
    """The error of an uploaded template with its line, as the coordinator's message."""
    from django.template import TemplateDoesNotExist
    from django.template.base import UNKNOWN_SOURCE

    info = getattr(error, "template_debug", None)
    text = info["message"] if info else str(error)
    if isinstance(error, TemplateDoesNotExist):
        text = _("there is no template %(name)s") % {"name": text}
    if info and info.get("name") == UNKNOWN_SOURCE:
        message = _("Line %(line)s: %(error)s (at %(during)r)") % {
            "line": info["line"],
            "error": text,
            "during": info["during"][:80],
        }
    elif info:
        message = _("%(error)s (in %(name)s, line %(line)s)") % {
            "error": text,
            "name": info["name"],
            "line": info["line"],
        }
    else:
        message = f"{type(error).__name__}: {text}"
    return ServiceError("bad-template", message[:1000], field="html")


def check_html_template(plan: Plan, source: str) -> None:
    """Refuse an HTML template that does not compile or does not render a sample report, with
    the line of its error."""
    from django.template import Context, Template
    from django.template.defaulttags import DebugNode

    from wpstrack.reports import html

    if len(source.encode()) > HTML_TEMPLATE_MAX_BYTES:
        raise ServiceError(
            "template-too-large",
            _("The HTML template is over %(kb)s KB.") % {"kb": HTML_TEMPLATE_MAX_BYTES // 1024},
            field="html",
        )
    if not source.strip():
        raise ServiceError("empty-template", _("The HTML template is empty."), field="html")
    try:
        template = Template(source, engine=_debug_engine())
    except Exception as error:  # TemplateSyntaxError, or a library that fails to load
        raise _template_error(error) from None
    if template.nodelist.get_nodes_by_type(DebugNode):
        raise ServiceError(
            "bad-template",
            _("The {% debug %} tag is not allowed in a report template."),
            field="html",
        )
    sample = sample_report(plan)
    for for_print in (True, False):  # the PDF's source, and the web site's page
        data = html.context(sample, for_print=for_print)
        try:
            rendered = template.render(Context(data, autoescape=True))
        except Exception as error:  # whatever the template's tags raise, shown with its line
            raise _template_error(error) from None
        if not rendered.strip():
            raise ServiceError(
                "empty-template", _("The HTML template renders nothing."), field="html"
            )


def check_reference_docx(plan: Plan, content: bytes) -> None:
    """Refuse a reference document that is not a real .docx python-docx opens, is over 5 MB,
    or lacks a style the Word reports use."""
    import io
    import zipfile

    if len(content) > REFERENCE_DOCX_MAX_BYTES:
        raise ServiceError(
            "file-too-large",
            _("The Word document is over %(mb)s MB.")
            % {"mb": REFERENCE_DOCX_MAX_BYTES // (1024 * 1024)},
            field="reference_docx",
        )
    not_docx = ServiceError(
        "not-a-docx",
        _("This is not a Word document (.docx): save it from Word as a .docx and upload that."),
        field="reference_docx",
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_docx from None
    if unpacked > REFERENCE_DOCX_MAX_UNPACKED_BYTES:
        raise ServiceError(
            "unpacked-too-large",
            _("The Word document unpacks to more than %(mb)s MB.")
            % {"mb": REFERENCE_DOCX_MAX_UNPACKED_BYTES // (1024 * 1024)},
            field="reference_docx",
        )
    import docx

    try:
        document = docx.Document(io.BytesIO(content))
    except Exception:  # python-docx raises several kinds for files that are not .docx
        raise not_docx from None
    if document.part.content_type != DOCX_MAIN:
        raise not_docx
    sample = sample_report(plan)
    try:
        formats.to_docx(sample, reference=content)
    except KeyError as error:  # a style the reports use is missing
        raise ServiceError(
            "missing-style",
            _(
                "The Word document lacks a style the reports use (%(error)s): use each of "
                "Title, Subtitle, Heading 1-3, Caption and the table style Table Grid once in "
                "it, save, and upload it again."
            )
            % {"error": str(error).strip("\"'")[:200]},
            field="reference_docx",
        ) from None
    except Exception as error:
        raise ServiceError(
            "bad-docx",
            _("A report cannot be written with this Word document: %(error)s")
            % {"error": str(error)[:300]},
            field="reference_docx",
        ) from None


def fingerprint(content: bytes | None) -> tuple[str | None, int | None]:
    if not content:
        return None, None
    return hashlib.sha256(content).hexdigest(), len(content)


def _audit_template(
    template: ReportTemplate,
    action: str,
    actor: User | None,
    before: dict[str, bytes | None],
    after: dict[str, bytes | None],
) -> None:
    """Audit a change of the templates by their SHA-256 and size, never their content."""
    changes: dict[str, list[Any]] = {}
    for part in ("html", "reference_docx"):
        (old_sha, old_size), (new_sha, new_size) = (
            fingerprint(before[part]),
            fingerprint(after[part]),
        )
        if old_sha != new_sha:
            changes[f"{part}_sha256"] = [old_sha, new_sha]
            changes[f"{part}_size"] = [old_size, new_size]
    if changes:
        record_event(
            actor=actor,
            action=action,
            obj=template,
            unit=template.plan.owner_unit,
            changes=changes,
        )


def _parts(template: ReportTemplate) -> dict[str, bytes | None]:
    return {
        "html": template.html.encode() if template.html else None,
        "reference_docx": bytes(template.reference_docx) if template.reference_docx else None,
    }


@transaction.atomic
def save_report_template(
    *,
    plan: Plan,
    actor: User,
    html: str | None = None,
    reference_docx: bytes | None = None,
) -> ReportTemplate:
    """Keep the plan's own HTML template and/or Word reference document (``None``: leave that
    one as it is) once each has been tried on a sample report; coordinators only."""
    if not access.can_edit_plan(actor, plan):
        raise NotAllowed(
            "not-plan-coordinator", _("Only the plan's coordinators change its report templates.")
        )
    if html is None and reference_docx is None:
        raise ServiceError(
            "nothing-uploaded", _("Choose an HTML template or a Word document to upload.")
        )
    if html is not None:
        check_html_template(plan, html)
    if reference_docx is not None:
        check_reference_docx(plan, reference_docx)
    template, _created = ReportTemplate.objects.select_for_update().get_or_create(plan=plan)
    before = _parts(template)
    if html is not None:
        template.html = html
    if reference_docx is not None:
        template.reference_docx = reference_docx
    template.updated_at, template.updated_by = timezone.now(), actor
    template.save()
    _audit_template(template, "report.template", actor, before, _parts(template))
    return template


TEMPLATE_PARTS = ("html", "reference_docx")


@transaction.atomic
def remove_report_template(*, plan: Plan, actor: User, part: str) -> ReportTemplate | None:
    """Go back to the built-in HTML template (``part="html"``) or Word styles
    (``"reference_docx"``); coordinators only. None when there was nothing to remove."""
    if not access.can_edit_plan(actor, plan):
        raise NotAllowed(
            "not-plan-coordinator", _("Only the plan's coordinators change its report templates.")
        )
    if part not in TEMPLATE_PARTS:
        raise ServiceError(
            "unknown-part", _("Remove the HTML template or the Word document."), field="part"
        )
    template = ReportTemplate.objects.select_for_update().filter(plan=plan).first()
    if template is None:
        return None
    before = _parts(template)
    if before[part] is None:
        return None
    if part == "html":
        template.html = ""
    else:
        template.reference_docx = None
    template.updated_at, template.updated_by = timezone.now(), actor
    template.save()
    _audit_template(template, "report.template.remove", actor, before, _parts(template))
    return template
