"""Report pages: a plan's builds (request one, watch it, download it), the coordinator's
narrative for a year, and the plan's own report templates.

Built reports hold approved data only, so anyone who may see the plan may list and download
them; only the plan's coordinators request builds, write the narrative or change the templates.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wpstrack.accounts import access
from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import ServiceError
from wpstrack.lib.pages import (
    act,
    error_page,
    invalid_form,
    refused_form,
    render_page,
    wants_json,
)
from wpstrack.reports import builders, formats, services, tasks
from wpstrack.reports.models import Build, Narrative, ReportTemplate

FORMAT_NAMES = {
    "docx": gettext_lazy("Word (.docx)"),
    "pdf": gettext_lazy("PDF"),
    "xlsx": gettext_lazy("Excel (.xlsx)"),
    "html": gettext_lazy("Web site (.zip of HTML pages)"),
}
STATE_NAMES = {
    Build.QUEUED: gettext_lazy("Queued"),
    Build.RUNNING: gettext_lazy("Running"),
    Build.DONE: gettext_lazy("Done"),
    Build.FAILED: gettext_lazy("Failed"),
}
QUARTERS = ["Q1", "Q2", "Q3", "Q4"]
LIST_LIMIT = 100
DOCX = formats.CONTENT_TYPES["docx"]


# -- forms ------------------------------------------------------------------------------------
class BuildForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Report"))
    year = forms.CharField(
        label=gettext_lazy("Fiscal year"),
        max_length=12,
        help_text=gettext_lazy("For example FY2025; only approved figures are used."),
    )
    format = forms.ChoiceField(label=gettext_lazy("Format"))
    quarter = forms.ChoiceField(
        label=gettext_lazy("Quarter (quarterly review pack)"),
        required=False,
        help_text=gettext_lazy("Left empty: the latest quarter of the year with approved data."),
    )
    unit = forms.ChoiceField(label=gettext_lazy("Unit (unit report)"), required=False)

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(builders.KINDS.items())  # type: ignore[attr-defined]
        self.fields["format"].choices = list(FORMAT_NAMES.items())  # type: ignore[attr-defined]
        self.fields["quarter"].choices = [  # type: ignore[attr-defined]
            ("", _("The latest with data")),
            *[(q, q) for q in QUARTERS],
        ]
        units = services.plan_units(plan)
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            ("", "–"),
            *[(u.code, f"{u.short_name} ({u.code})") for u in units],
        ]


class NarrativeForm(forms.Form):
    year = forms.CharField(widget=forms.HiddenInput, max_length=12)
    executive_summary = forms.CharField(
        label=gettext_lazy("Executive summary"),
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=gettext_lazy("Opens the annual report. Separate paragraphs with a blank line."),
    )
    decisions_needed = forms.CharField(
        label=gettext_lazy("Decisions needed"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Closes the quarterly review pack."),
    )


class TemplateUploadForm(forms.Form):
    html = forms.FileField(
        label=gettext_lazy("HTML template (.html)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".html,.htm,text/html"}),
        help_text=gettext_lazy(
            "A Django template, used for PDF and web-site reports. Start from the default "
            "template; it is tried on a sample report before it is kept."
        ),
    )
    reference_docx = forms.FileField(
        label=gettext_lazy("Word reference document (.docx)"),
        required=False,
        widget=forms.FileInput(
            attrs={
                "accept": ".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        ),
        help_text=gettext_lazy(
            "Word reports take their styles from it (Title, Subtitle, Heading 1-3, Caption, "
            "Table Grid), its page size, margins, headers and footers; at most 5 MB."
        ),
    )

    def clean_html(self) -> str | None:
        upload = self.cleaned_data.get("html")
        if not upload:
            return None
        content = upload.read(services.HTML_TEMPLATE_MAX_BYTES + 1)
        if len(content) > services.HTML_TEMPLATE_MAX_BYTES:
            raise forms.ValidationError(
                _("The HTML template is over %(kb)s KB.")
                % {"kb": services.HTML_TEMPLATE_MAX_BYTES // 1024}
            )
        try:
            return str(content.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The HTML template must be text in UTF-8.")) from None

    def clean_reference_docx(self) -> bytes | None:
        upload = self.cleaned_data.get("reference_docx")
        if not upload:
            return None
        content = upload.read(services.REFERENCE_DOCX_MAX_BYTES + 1)
        return bytes(content)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and data.get("html") is None and data.get("reference_docx") is None:
            raise forms.ValidationError(_("Choose an HTML template or a Word document to upload."))
        return data


# -- shared -----------------------------------------------------------------------------------
def _plan_head(plan: Plan) -> dict[str, Any]:
    return {"slug": plan.slug, "title": plan.short_title or plan.title}


def _coordinated_plan(request: HttpRequest, slug: str) -> Plan:
    plan = access.get_plan_for_user(request.user, slug)
    if not access.can_edit_plan(request.user, plan):
        raise PermissionDenied
    return plan


def build_data(build: Build) -> dict[str, Any]:
    snapshot = build.snapshot
    done = build.state == Build.DONE
    args = (build.plan.slug, build.pk)
    return {
        "id": build.pk,
        "kind": build.kind,
        "kind_name": str(builders.KINDS.get(build.kind, build.kind)),
        "year": build.year,
        "period": build.period,
        "unit": build.unit_code,
        "format": build.format,
        "format_name": str(FORMAT_NAMES.get(build.format, build.format)),
        "state": build.state,
        "state_name": str(STATE_NAMES.get(build.state, build.state)),
        "progress": build.progress,
        "message": build.message if build.state == Build.FAILED else "",
        "edition": snapshot.edition if snapshot else None,
        "snapshot": snapshot.identifier if snapshot else None,
        "snapshot_sha256": snapshot.sha256 if snapshot else None,
        "filename": build.filename if done else "",
        "file_sha256": build.sha256 if done else "",
        "requested_by": build.requested_by.email if build.requested_by else "",
        "requested_at": build.requested_at.isoformat(timespec="seconds"),
        "finished_at": build.finished_at.isoformat(timespec="seconds")
        if build.finished_at
        else None,
        "url": reverse("report-build", args=args),
        "download_url": reverse("report-download", args=args) if done else None,
    }


def plan_builds(plan: Plan) -> Any:
    return (
        Build.objects.filter(plan=plan)
        .select_related("plan", "snapshot__plan", "requested_by")
        .defer("content", "snapshot__content", "snapshot__plan__source")
    )


# -- the plan's builds ------------------------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
def report_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan's reports: every build, and for its coordinators the form to build one."""
    plan = access.get_plan_for_user(request.user, slug)
    can_build = access.can_edit_plan(request.user, plan)
    default_year = services.latest_year_with_data(plan)
    data: dict[str, Any] = {
        "plan": _plan_head(plan),
        "builds": [build_data(b) for b in plan_builds(plan)[:LIST_LIMIT]],
        "can_build": can_build,
        "default_year": default_year,
        "kinds": {k: str(v) for k, v in builders.KINDS.items()},
        "formats": {k: str(v) for k, v in FORMAT_NAMES.items()},
    }
    template = "reports/pages/reports.html"
    bound = request.POST if request.method == "POST" else None
    form = BuildForm(
        bound, plan=plan, initial={"kind": "annual", "year": default_year, "format": "docx"}
    )
    context = {"form": form if can_build else None}
    if request.method != "POST":
        return render_page(request, template, data, context)
    if not can_build:
        raise PermissionDenied
    if not form.is_valid():
        return invalid_form(request, template, data, form)
    chosen = form.cleaned_data
    try:
        year = services.check_request(
            plan, chosen["year"], chosen["kind"], chosen["format"], chosen["unit"]
        )
        build = services.request_build(
            plan=plan,
            year=year,
            kind=chosen["kind"],
            fmt=chosen["format"],
            actor=access.actor(request),
            period=f"{year}-{chosen['quarter']}"
            if chosen["kind"] == "quarterly" and chosen["quarter"]
            else "",
            unit=chosen["unit"] if chosen["kind"] == "unit" else "",
        )
    except ServiceError as error:
        return refused_form(request, error, template, data, form)
    transaction.on_commit(lambda: tasks.build_report.enqueue(build.pk))
    if wants_json(request):
        build.refresh_from_db()
        return render_page(request, "", {"build": build_data(build)}, status=202)
    return redirect("report-build", slug=plan.slug, build_id=build.pk)


def _build_for(request: HttpRequest, slug: str, build_id: int) -> Build:
    plan = access.get_plan_for_user(request.user, slug)
    build = plan_builds(plan).filter(pk=build_id).first()
    if build is None:
        raise Http404(build_id)
    return build


@require_safe
def report_build(request: HttpRequest, slug: str, build_id: int) -> HttpResponse:
    """One build: its state and progress (the page polls itself while it runs), then the link
    to download it, or why it failed."""
    build = _build_for(request, slug, build_id)
    data = {"plan": _plan_head(build.plan), "build": build_data(build)}
    context = {"running": build.state in (Build.QUEUED, Build.RUNNING)}
    if request.headers.get("HX-Request") == "true" and not wants_json(request):
        response = render(request, "reports/pages/build_state.html", {**data, **context})
    else:
        response = render_page(request, "reports/pages/build.html", data, context)
    response["Vary"] = "Accept, HX-Request"
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def report_download(request: HttpRequest, slug: str, build_id: int) -> HttpResponse:
    plan = access.get_plan_for_user(request.user, slug)
    build = Build.objects.filter(plan=plan, pk=build_id).first()
    if build is None:
        raise Http404(build_id)
    if build.state != Build.DONE or build.content is None:
        return error_page(
            request,
            404,
            "not-built",
            _("Not built yet"),
            _("This report has not been built (%(state)s).")
            % {"state": STATE_NAMES.get(build.state, build.state)},
        )
    return file_response(build)


def file_response(build: Build) -> HttpResponse:
    """A built report's file, with its content type and name (the page's and the API's)."""
    response = HttpResponse(
        bytes(build.content or b""),
        content_type=formats.CONTENT_TYPES.get(build.format, "application/octet-stream"),
    )
    response["Content-Disposition"] = content_disposition_header(True, build.filename)
    response["Cache-Control"] = "private, no-cache"
    return response


# -- the narrative ----------------------------------------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
def report_narrative(request: HttpRequest, slug: str) -> HttpResponse:
    """The coordinator's executive summary and decisions needed for a year."""
    plan = _coordinated_plan(request, slug)
    asked = (request.POST.get("year") if request.method == "POST" else None) or request.GET.get(
        "year"
    )
    try:
        year = services.check_request(
            plan, asked or services.latest_year_with_data(plan), "annual", "pdf"
        )
    except ServiceError as error:
        return error_page(
            request, 400, error.code, _("Not a fiscal year"), error.message, [error.as_dict()]
        )
    narrative = Narrative.objects.filter(plan=plan, year=year).first()
    current = {
        "year": year,
        "executive_summary": narrative.executive_summary if narrative else "",
        "decisions_needed": narrative.decisions_needed if narrative else "",
        "updated_at": narrative.updated_at.isoformat(timespec="seconds") if narrative else None,
    }
    data = {"plan": _plan_head(plan), "narrative": current}
    template = "reports/pages/narrative.html"
    form = NarrativeForm(request.POST if request.method == "POST" else None, initial=current)
    if request.method != "POST":
        return render_page(request, template, data, {"form": form})
    if not form.is_valid():
        return invalid_form(request, template, data, form)
    try:
        narrative = services.save_narrative(
            plan=plan,
            year=year,
            executive_summary=form.cleaned_data["executive_summary"],
            decisions_needed=form.cleaned_data["decisions_needed"],
            actor=access.actor(request),
        )
    except ServiceError as error:
        return refused_form(request, error, template, data, form)
    messages.success(
        request,
        _("The narrative for %(year)s is saved; reports built from now on include it.")
        % {"year": year},
    )
    url = f"{reverse('report-narrative', args=(plan.slug,))}?year={narrative.year}"
    if wants_json(request):
        data["narrative"] = {
            "year": narrative.year,
            "executive_summary": narrative.executive_summary,
            "decisions_needed": narrative.decisions_needed,
            "updated_at": narrative.updated_at.isoformat(timespec="seconds"),
        }
        return render_page(request, "", data)
    return redirect(url)


# -- the plan's own templates -----------------------------------------------------------------
def _templates_data(plan: Plan) -> dict[str, Any]:
    template = ReportTemplate.objects.filter(plan=plan).select_related("updated_by").first()
    parts: dict[str, Any] = {}
    for part, name in (
        ("html", "report-template-html"),
        ("reference_docx", "report-template-docx"),
    ):
        content = None
        if template is not None:
            value = template.html if part == "html" else template.reference_docx
            if value:
                content = value.encode() if isinstance(value, str) else bytes(value)
        if content:
            sha, size = services.fingerprint(content)
            parts[part] = {"sha256": sha, "size": size, "url": reverse(name, args=(plan.slug,))}
        else:
            parts[part] = None
    return {
        "plan": _plan_head(plan),
        "templates": parts,
        "updated_at": template.updated_at.isoformat(timespec="seconds") if template else None,
        "updated_by": template.updated_by.email if template and template.updated_by else "",
        "default_url": reverse("report-template-default", args=(plan.slug,)),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def report_templates(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload the plan's own HTML template and Word reference document; coordinators only."""
    plan = _coordinated_plan(request, slug)
    data = _templates_data(plan)
    template = "reports/pages/templates.html"
    if request.method != "POST":
        return render_page(request, template, data, {"form": TemplateUploadForm()})
    form = TemplateUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return invalid_form(request, template, data, form)
    try:
        services.save_report_template(
            plan=plan,
            actor=access.actor(request),
            html=form.cleaned_data["html"],
            reference_docx=form.cleaned_data["reference_docx"],
        )
    except ServiceError as error:
        return refused_form(request, error, template, data, form)
    messages.success(request, _("Saved: reports built from now on use it."))
    if wants_json(request):
        return render_page(request, "", _templates_data(plan))
    return redirect("report-templates", slug=plan.slug)


@require_POST
def report_template_remove(request: HttpRequest, slug: str) -> HttpResponse:
    plan = _coordinated_plan(request, slug)
    part = request.POST.get("part", "")
    return act(
        request,
        lambda: services.remove_report_template(plan=plan, actor=access.actor(request), part=part),
        _("Removed: reports built from now on use the default."),
        reverse("report-templates", args=(plan.slug,)),
    )


@require_safe
def report_template_file(request: HttpRequest, slug: str, part: str) -> HttpResponse:
    """The plan's current HTML template or Word document, or the default HTML template to
    start from."""
    plan = _coordinated_plan(request, slug)
    if part == "default":
        source = get_template("reports/report.html").template.source  # type: ignore[attr-defined]
        content, name, content_type = source.encode(), "report.html", "text/html; charset=utf-8"
    else:
        found = ReportTemplate.objects.filter(plan=plan).first()
        if part == "html" and found is not None and found.html:
            content = found.html.encode()
            name, content_type = f"{plan.slug}-report.html", "text/html; charset=utf-8"
        elif part == "reference_docx" and found is not None and found.reference_docx:
            content = bytes(found.reference_docx)
            name, content_type = f"{plan.slug}-reference.docx", DOCX
        else:
            raise Http404(part)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response
