"""Roster pages: upload a file, map it (with a preview of rows as read), run it into a round.

Only the plan's coordinators reach them: a roster is person-level data. The pages show the
file's headers, the spellings of categorical columns with their counts, rows as the mapping
reads them (categories and where each date falls, never ids, names or dates), counts, problem
row numbers and the aggregates written: nothing that identifies a person.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import yaml
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wpstrack.accounts import access
from wpstrack.accounts.models import OrgUnit
from wpstrack.frameworks.models import Category, Plan
from wpstrack.lib.errors import ServiceError
from wpstrack.lib.pages import act, error_page, invalid_form, refused_form, render_page, wants_json
from wpstrack.reporting.models import ReportingRound
from wpstrack.rosters import engine, forms, running, services, spec
from wpstrack.rosters.models import RosterMapping, RosterRun, RosterUpload

RUN_LIMIT = 50


def roster_plan(request: HttpRequest, slug: str) -> Plan:
    """The plan, for its coordinators only (a roster is person-level data); the API asks here too,
    so its access is the pages' access."""
    plan: Plan = access.get_plan_for_user(request.user, slug)
    if not access.can_edit_plan(request.user, plan):
        raise PermissionDenied(_("Only the plan's coordinators work with rosters."))
    return plan


def run_row(run: RosterRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "url": reverse("roster-run", args=[run.plan.slug, run.pk]),
        "file": run.file_name,
        "sha256": run.sha256,
        "mapping": f"{run.mapping.name} v{run.mapping_version}",
        "round": run.reporting_round.period,
        "state": run.state,
        "state_name": str(dict(RosterRun.STATES)[run.state]),
        "rows": run.rows_read,
        "unreadable": run.unreadable,
        "by": run.actor.full_name,
        "at": run.started_at.isoformat(timespec="seconds"),
    }


def mapping_row(mapping: RosterMapping) -> dict[str, Any]:
    return {
        "slug": mapping.slug,
        "name": mapping.name,
        "kind": mapping.kind,
        "version": mapping.version,
        "rules": len(mapping.spec.get("rules", [])),
        "url": reverse("roster-mapping", args=[mapping.plan.slug, mapping.slug]),
        "export_url": reverse("roster-mapping-export", args=[mapping.plan.slug, mapping.slug]),
    }


def upload_row(plan: Plan, upload: RosterUpload) -> dict[str, Any]:
    return {
        "id": str(upload.pk),
        "file": upload.file_name,
        "format": upload.fmt,
        "size": upload.size,
        "sha256": upload.sha256,
        "uploaded_at": upload.uploaded_at.isoformat(timespec="seconds"),
        "expires_at": upload.expires_at.isoformat(timespec="seconds"),
        "url": reverse("roster-upload", args=[plan.slug, upload.pk]),
    }


def plan_runs(plan: Plan) -> QuerySet[RosterRun]:
    """The plan's runs, newest first, with what their rows and pages name."""
    return plan.roster_runs.select_related("mapping", "reporting_round", "actor", "plan")


def _home_data(plan: Plan) -> dict[str, Any]:
    return {
        "plan": {"slug": plan.slug, "title": plan.title},
        "mappings": [mapping_row(m) for m in plan.roster_mappings.all()],
        "uploads": [upload_row(plan, u) for u in plan.roster_uploads.all()],
        "runs": [run_row(r) for r in plan_runs(plan)[:RUN_LIMIT]],
    }


@require_http_methods(["GET", "HEAD", "POST"])
def roster_home(request: HttpRequest, slug: str) -> HttpResponse:
    plan = roster_plan(request, slug)
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    mapping_form = forms.MappingFileForm()
    template = "rosters/home.html"
    context = {"form": form, "mapping_form": mapping_form, "plan_obj": plan}
    if request.method == "POST":
        if not form.is_valid():
            return invalid_form(request, template, _home_data(plan), form, context)
        try:
            upload = services.upload_roster(
                plan=plan,
                stream=form.cleaned_data["file"],
                file_name=form.cleaned_data["file"].name,
                actor=access.actor(request),
            )
        except ServiceError as error:
            return refused_form(request, error, template, _home_data(plan), form, context)
        return redirect("roster-upload", plan.slug, upload.pk)
    return render_page(request, template, _home_data(plan), context)


def _choices(plan: Plan) -> dict[str, list[tuple[str, str]]]:
    """Our keys a spelling may be mapped to, per spelled field."""

    def keys(set_key: str) -> list[tuple[str, str]]:
        return list(
            Category.objects.filter(disaggregation_set__key=set_key).values_list("key", "label")
        )

    units = [
        (u.code, f"{u.code} · {u.short_name}")
        for u in OrgUnit.objects.filter(is_active=True).order_by("path")
    ]
    return {
        "sex": keys("sex"),
        "unit": units,
        "age_band": keys("age"),
        "personnel_category": keys("personnel-category"),
    }


def _editor(
    request: HttpRequest, plan: Plan, upload: RosterUpload, mapping: RosterMapping | None
) -> tuple[forms.MappingForm, dict[str, Any]]:
    """Build the editor for this file: the kind and columns chosen so far decide its fields."""
    base = mapping.spec if mapping else {}
    kind = request.POST.get("kind") or base.get("kind") or "hr"
    if kind not in forms.FIELDS:
        kind = "hr"
    draft = dict(base)
    if request.method == "POST":
        # Spellings of the columns chosen in this very post (before the form is checked).
        draft = {
            "sheet": request.POST.get("sheet", ""),
            "columns": {
                f: request.POST.get(f"col_{f}", "")
                for f in forms.FIELDS[kind]
                if request.POST.get(f"col_{f}")
            },
        }
    elif not base:
        draft = {"columns": guessed_columns(kind, upload.headers)}
    spellings = file_spellings(upload, kind, draft)
    rounds = list(plan.rounds.filter(state="open").order_by("-period_end"))
    form = forms.MappingForm(
        request.POST or None,
        plan=plan,
        kind=kind,
        headers=upload.headers,
        spellings=spellings,
        choices=_choices(plan),
        spec_data=base or None,
        rounds=rounds,
    )
    return form, {"rounds": rounds}


def guessed_columns(kind: str, headers: list[str]) -> dict[str, str]:
    """Our field -> the header its words suggest, for a new mapping of this kind."""
    return {f: g for f in forms.FIELDS[kind] if (g := forms.guess_column(f, headers))}


def file_spellings(
    upload: RosterUpload, kind: str, draft: dict[str, Any]
) -> dict[str, engine.Spellings]:
    """How the file spells the categorical fields among the draft's columns, with row counts
    (never ids, names, numbers or dates); nothing when the file cannot be read that way yet."""
    fields = [f for f in forms.SPELLED if f in draft.get("columns", {})]
    if not fields:
        return {}
    try:
        loose = _loose_spec(kind, draft, upload)
        return engine.spellings(services.upload_path(upload), upload.fmt, loose, fields)
    except (engine.RosterFileError, spec.SpecError, ValueError):
        return {}


def _loose_spec(kind: str, draft: dict[str, Any], upload: RosterUpload) -> Any:
    """A spec good enough to read spellings before the mapping is complete."""
    return spec.Spec(
        name=upload.file_name,
        kind=kind,
        sheet=draft.get("sheet", ""),
        columns=dict(draft.get("columns", {})),
    )


def upload_data(plan: Plan, upload: RosterUpload, mapping: RosterMapping | None) -> dict[str, Any]:
    return {
        "plan": {"slug": plan.slug, "title": plan.title},
        "upload": {
            "id": str(upload.pk),
            "file": upload.file_name,
            "format": upload.fmt,
            "size": upload.size,
            "sha256": upload.sha256,
            "headers": upload.headers,
            "expires_at": upload.expires_at.isoformat(timespec="seconds"),
        },
        "mapping": mapping_row(mapping) if mapping else None,
        "mappings": [mapping_row(m) for m in plan.roster_mappings.all()],
    }


@require_http_methods(["GET", "HEAD", "POST"])
def roster_upload(request: HttpRequest, slug: str, upload_id: str) -> HttpResponse:
    plan = roster_plan(request, slug)
    upload = get_object_or_404(RosterUpload, pk=upload_id, plan=plan)
    chosen = request.POST.get("mapping") or request.GET.get("mapping") or ""
    mapping = plan.roster_mappings.filter(slug=chosen).first() if chosen else None
    form, extra = _editor(request, plan, upload, mapping)
    data = upload_data(plan, upload, mapping)
    template = "rosters/upload.html"
    context: dict[str, Any] = {"form": form, "plan_obj": plan, "upload_obj": upload, **extra}
    if request.method != "POST":
        return render_page(request, template, data, context)
    if not form.is_valid():
        return invalid_form(request, template, data, form, context)
    spec_data, form_problems = form.to_data()
    action = request.POST.get("action", "preview")
    parsed, problems = services.check_mapping(plan, spec_data)
    problems = [
        {"code": "bad-condition", "path": "filters", "message": m} for m in form_problems
    ] + problems
    if parsed is not None and not problems:
        problems += running.header_problems(parsed, upload.headers)
    context["problems"] = problems
    if problems:
        data["problems"] = problems
        if wants_json(request):
            return error_page(
                request,
                400,
                "invalid-mapping",
                _("The mapping is not complete"),
                problems[0]["message"],
                problems,
            )
        return render_page(request, template, data, context, status=400)
    reporting_round = plan.rounds.filter(pk=form.cleaned_data.get("reporting_round") or 0).first()
    if action == "preview":
        try:
            context["preview"] = _preview(upload, parsed, reporting_round)
        except engine.RosterFileError as error:
            failure = ServiceError(error.code, error.message)
            return refused_form(request, failure, template, data, form, context)
        data["preview"] = context["preview"]
        return render_page(request, template, data, context)
    if action == "run" and reporting_round is None:
        form.add_error("reporting_round", _("Choose the open round to fill."))
        return invalid_form(request, template, data, form, context)
    try:
        # One user action, one transaction: a file the engine then refuses leaves the mapping
        # as it was too (a refused run is returned, not raised, so it is kept).
        with transaction.atomic():
            if reporting_round is not None and action == "run":
                # What would refuse the run refuses it before the mapping is saved.
                running.preflight(
                    parsed=parsed,
                    upload=upload,
                    reporting_round=reporting_round,
                    actor=access.actor(request),
                )
            mapping = services.save_mapping(
                plan=plan, data=spec_data, actor=access.actor(request), mapping=mapping
            )
            if action == "save" or reporting_round is None:
                messages.success(
                    request, _("Mapping saved (version %(v)s).") % {"v": mapping.version}
                )
                return redirect(
                    f"{reverse('roster-upload', args=[plan.slug, upload.pk])}?mapping={mapping.slug}"
                )
            run = running.run_roster(
                upload=upload,
                mapping=mapping,
                reporting_round=reporting_round,
                accept_share=form.cleaned_data.get("accept_share") or Decimal(0),
                actor=access.actor(request),
            )
    except services.InvalidMapping as error:
        context["problems"] = data["problems"] = error.problems
        if wants_json(request):
            return error_page(
                request,
                400,
                error.code,
                _("The mapping does not fit"),
                error.message,
                error.problems,
            )
        return render_page(request, template, data, context, status=400)
    except ServiceError as error:
        return refused_form(request, error, template, data, form, context)
    return redirect("roster-run", plan.slug, run.pk)


def _preview(
    upload: RosterUpload, parsed: Any, reporting_round: ReportingRound | None
) -> dict[str, Any]:
    """The first rows as the mapping reads them, for the period of the round chosen."""
    if reporting_round is not None:
        start, end = reporting_round.period_start, reporting_round.period_end
    else:
        start, end = date.today().replace(day=1), date.today()
    rows = engine.preview(
        services.upload_path(upload),
        upload.fmt,
        parsed,
        start=start,
        end=end,
        units=running.unit_lookup(parsed.values.get("unit", {})),
        age_bands=running.age_bands(),
    )
    columns = list(rows[0].keys()) if rows else []
    return {
        "period": reporting_round.period if reporting_round else "",
        "columns": columns,
        "rows": rows,
    }


@require_POST
def roster_upload_discard(request: HttpRequest, slug: str, upload_id: str) -> HttpResponse:
    plan = roster_plan(request, slug)
    upload = get_object_or_404(RosterUpload, pk=upload_id, plan=plan)
    return act(
        request,
        lambda: services.discard_upload(
            upload=upload, actor=access.actor(request), reason=_("Deleted by hand")
        ),
        _("The file is deleted."),
        reverse("roster-home", args=[plan.slug]),
    )


@require_safe
def roster_run(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    plan = roster_plan(request, slug)
    run = get_object_or_404(plan_runs(plan), pk=run_id)
    return render_page(request, "rosters/run.html", run_data(plan, run), {"plan_obj": plan})


def run_data(plan: Plan, run: RosterRun) -> dict[str, Any]:
    """What the run page shows: counts, problems with their first rows, refusal and results."""
    return {
        "plan": {"slug": plan.slug, "title": plan.title},
        "run": {
            **run_row(run),
            "rows_counted": run.rows_counted,
            "duplicates": run.duplicates,
            "unreadable_share": round(run.unreadable_share, 2),
            "accepted_share": str(run.accepted_share),
            "seconds": round(run.seconds, 2),
            "file_deleted_at": run.file_deleted_at.isoformat(timespec="seconds")
            if run.file_deleted_at
            else None,
            "problems": run.problems,
            "refusal": run.refusal,
            "results": run.results,
            "has_unplaced": any(row.get("unplaced") for row in run.results),
            "skipped": run.skipped,
            "round_url": reverse("round-detail", args=[run.reporting_round.pk]),
        },
    }


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@require_http_methods(["GET", "HEAD", "POST"])
def roster_mapping(request: HttpRequest, slug: str, mapping_slug: str) -> HttpResponse:
    """A mapping as its file (YAML) to read and edit; saving makes a new version."""
    plan = roster_plan(request, slug)
    mapping = get_object_or_404(RosterMapping, plan=plan, slug=mapping_slug)
    form = forms.MappingTextForm(request.POST or None, initial={"text": _dump(mapping.spec)})
    data = mapping_data(plan, mapping)
    context = {"form": form, "plan_obj": plan, "mapping_obj": mapping}
    template = "rosters/mapping.html"
    if request.method != "POST":
        return render_page(request, template, data, context)
    if not form.is_valid():
        return invalid_form(request, template, data, form, context)
    try:
        content = _read_mapping_text(form.cleaned_data["text"])
        services.save_mapping(plan=plan, data=content, actor=access.actor(request), mapping=mapping)
    except services.InvalidMapping as error:
        context["problems"] = error.problems
        return refused_form(request, error, template, data, form, context)
    except ServiceError as error:
        return refused_form(request, error, template, data, form, context)
    messages.success(request, _("Mapping saved."))
    return redirect("roster-mapping", plan.slug, mapping.slug)


def mapping_data(plan: Plan, mapping: RosterMapping) -> dict[str, Any]:
    """A mapping with its file's content (``spec``: what mapping.yaml holds, as data)."""
    return {
        "plan": {"slug": plan.slug, "title": plan.title},
        "mapping": {**mapping_row(mapping), "spec": mapping.spec},
    }


def _read_mapping_text(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except RecursionError:  # PyYAML builds nested collections recursively
        raise ServiceError(
            "bad-yaml", _("The mapping is nested too deeply to be a mapping."), field="text"
        ) from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ServiceError(
            "bad-yaml",
            _("The mapping is not valid YAML%(line)s: check indentation and quotes.")
            % {"line": line},
            field="text",
        ) from None


@require_POST
def roster_mapping_import(request: HttpRequest, slug: str) -> HttpResponse:
    plan = roster_plan(request, slug)
    form = forms.MappingFileForm(request.POST, request.FILES)
    back = reverse("roster-home", args=[plan.slug])
    if not form.is_valid():
        messages.error(request, _("Choose a mapping file (.yaml or .json)."))
        return redirect(back)
    raw = form.cleaned_data["file"].read(1_000_001)
    try:
        if len(raw) > 1_000_000:
            raise ServiceError("file-too-large", _("A mapping file is at most 1 MB."))
        try:
            content = (
                json.loads(raw)
                if raw.lstrip().startswith(b"{")
                else _read_mapping_text(raw.decode("utf-8"))
            )
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise ServiceError(
                "bad-file", _("The mapping file must be UTF-8 YAML or JSON.")
            ) from None
        mapping = services.save_mapping(plan=plan, data=content, actor=access.actor(request))
    except services.InvalidMapping as error:
        if wants_json(request):
            return error_page(
                request,
                400,
                error.code,
                _("The mapping is not valid"),
                error.message,
                error.problems,
            )
        messages.error(
            request, "; ".join(f"{p['path']}: {p['message']}" for p in error.problems[:10])
        )
        return redirect(back)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, _("Mapping %(name)s imported.") % {"name": mapping.name})
    return redirect("roster-mapping", plan.slug, mapping.slug)


@require_safe
def roster_mapping_export(request: HttpRequest, slug: str, mapping_slug: str) -> HttpResponse:
    plan = roster_plan(request, slug)
    mapping = get_object_or_404(RosterMapping, plan=plan, slug=mapping_slug)
    response = HttpResponse(_dump(mapping.spec), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{mapping.slug}.yaml"'
    return response


@require_POST
def roster_mapping_delete(request: HttpRequest, slug: str, mapping_slug: str) -> HttpResponse:
    plan = roster_plan(request, slug)
    mapping = get_object_or_404(RosterMapping, plan=plan, slug=mapping_slug)
    return act(
        request,
        lambda: services.delete_mapping(mapping=mapping, actor=access.actor(request)),
        _("Mapping deleted."),
        reverse("roster-home", args=[plan.slug]),
    )


@require_safe
def roster_sample(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    """A synthetic, messy roster of the kind asked, to try mapping and running without real data."""
    plan = roster_plan(request, slug)
    if kind not in spec.KINDS:
        raise Http404(kind)
    from wpstrack.rosters.demo import sample_extract

    response = HttpResponse(sample_extract(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}-sample-{kind}.csv"'
    return response
