"""Coordinators' pages: edit an element or a metric, add tags, download the plan as a file."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wpstrack.accounts import access
from wpstrack.frameworks import editing
from wpstrack.frameworks.export import _metric, plan_document, to_json, to_yaml
from wpstrack.frameworks.export_xlsx import to_xlsx
from wpstrack.frameworks.forms import (
    DisaggregationSetForm,
    ElementForm,
    MetricForm,
    PlanStatusForm,
    RuleForm,
    TagForm,
    figures_text,
)
from wpstrack.frameworks.models import DisaggregationSet, Plan, TagSet
from wpstrack.lib.errors import ServiceError
from wpstrack.lib.pages import act, error_page, invalid_form, refused_form, render_page, wants_json

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _editable_plan(request: HttpRequest, slug: str) -> Plan:
    plan = access.get_plan_for_user(request.user, slug)
    if not access.can_edit_plan(request.user, plan):
        raise PermissionDenied
    return plan


def _save(
    request: HttpRequest, form: Any, template: str, data: dict[str, Any], action: Any, done_url: str
) -> HttpResponse:
    """Validate the form, call the service, and answer in HTML or JSON."""
    if not form.is_valid():
        return invalid_form(request, template, data, form)
    try:
        version = action(form)
    except ServiceError as error:
        return refused_form(request, error, template, data, form)
    if version is None:
        messages.info(request, _("Nothing changed."))
    else:
        messages.success(request, _("Saved as plan version %(n)s.") % {"n": version.number})
    if wants_json(request):
        return render_page(request, "", {"version": version.number if version else None})
    return redirect(done_url)


@require_http_methods(["GET", "HEAD", "POST"])
def element_edit(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    plan = _editable_plan(request, slug)
    element = access.get_element_for_user(request.user, plan, code)
    current = {
        "base_version": plan.current_version.number if plan.current_version else 0,
        "title": element.title,
        "text": element.text,
        "responsible_as_written": element.responsible_as_written,
        "units": [u.code for u in element.units.all()],
        "tags": [t.ref for t in element.tags.select_related("tag_set")],
        "outcomes": "\n".join(element.outcomes),
        "needs_indicators": element.needs_indicators,
        "note": element.note,
    }
    data = {
        "plan": {"slug": plan.slug, "title": plan.short_title or plan.title},
        "element": {"code": element.code, "level_name": element.level.name, **current},
    }
    form = ElementForm(request.POST or None, initial=current)
    if request.method != "POST":
        return render_page(request, "frameworks/element_edit.html", data, {"form": form})
    done = f"/plans/{plan.slug}/elements/{element.code}"
    return _save(
        request,
        form,
        "frameworks/element_edit.html",
        data,
        lambda f: editing.edit_element(
            plan=plan,
            code=element.code,
            changes=f.changes(),
            actor=request.user,  # type: ignore[arg-type]
            reason=f.cleaned_data["reason"],
            base_version=f.cleaned_data["base_version"],
        ),
        done,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def metric_edit(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    plan = _editable_plan(request, slug)
    metric = (
        plan.metrics.select_related("current", "element").filter(code=code, retired_in=None).first()
    )
    if metric is None or metric.current is None:
        return error_page(
            request,
            404,
            "not-found",
            _("Page not found"),
            _("No metric %(c)s in this plan.") % {"c": code},
        )
    current = {
        "base_version": plan.current_version.number if plan.current_version else 0,
        **_metric(metric),
    }
    initial = {
        **current,
        "baselines": figures_text(current["baselines"]),
        "targets": figures_text(current["targets"]),
        "tolerance": current["status"].get("tolerance"),
        "trajectory": current["status"].get("trajectory", "linear"),
    }
    data = {
        "plan": {"slug": plan.slug, "title": plan.short_title or plan.title},
        "metric": current,
        "element_code": metric.element.code,
    }
    form = MetricForm(
        request.POST or None,
        initial=initial,
        plan_tolerance=plan.status_rules.get("tolerance"),
    )
    if request.method != "POST":
        return render_page(request, "frameworks/metric_edit.html", data, {"form": form})
    done = f"/plans/{plan.slug}/elements/{metric.element.code}"
    return _save(
        request,
        form,
        "frameworks/metric_edit.html",
        data,
        lambda f: editing.edit_metric(
            plan=plan,
            code=metric.code,
            changes=f.changes(),
            actor=request.user,  # type: ignore[arg-type]
            reason=f.cleaned_data["reason"],
            base_version=f.cleaned_data["base_version"],
        ),
        done,
    )


@require_safe
def plan_file(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """The plan as a plan file (YAML, loads back unchanged) or its JSON tree, for download."""
    plan = access.get_plan_for_user(request.user, slug)
    document = plan_document(plan)
    if fmt == "xlsx":
        response = HttpResponse(to_xlsx(document), content_type=XLSX)
    elif fmt == "yaml":
        response = HttpResponse(to_yaml(document), content_type="application/yaml; charset=utf-8")
    else:
        response = HttpResponse(to_json(document), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}.{fmt}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def tag_sets(request: HttpRequest) -> HttpResponse:
    if not access.can_see_plans(request.user):
        raise PermissionDenied
    data = {
        "tag_sets": [
            {
                "key": s.key,
                "name": s.name,
                "source": s.source,
                "tags": [
                    {"ref": t.ref, "key": t.key, "name": t.name}
                    for t in s.tags.select_related("tag_set")
                ],
            }
            for s in TagSet.objects.prefetch_related("tags")
        ],
        "can_add": access.can_manage_tag_sets(request.user),
    }
    form = TagForm(request.POST or None)
    if request.method != "POST":
        return render_page(request, "frameworks/tag_sets.html", data, {"form": form})
    if not access.can_manage_tag_sets(request.user):
        raise PermissionDenied
    if not form.is_valid():
        return invalid_form(request, "frameworks/tag_sets.html", data, form)
    try:
        tag = editing.add_tag(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
    except ServiceError as error:
        return refused_form(request, error, "frameworks/tag_sets.html", data, form)
    messages.success(request, _("Tag %(ref)s added.") % {"ref": tag.ref})
    return redirect("tag-sets")


@require_http_methods(["GET", "HEAD", "POST"])
def plan_rules(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan's cross-metric checks; its coordinators add and remove them."""
    plan = access.get_plan_for_user(request.user, slug)
    can_edit = access.can_edit_plan(request.user, plan)
    data = {
        "plan": {"slug": plan.slug, "title": plan.short_title or plan.title},
        "rules": [
            {
                "code": r.code,
                "left": r.left,
                "operator": r.operator,
                "right": r.right,
                "when_missing": r.when_missing,
                "message": r.message,
            }
            for r in plan.rules.all()
        ],
        "can_edit": can_edit,
    }
    version = plan.current_version.number if plan.current_version else 0
    form = RuleForm(request.POST or None, initial={"base_version": version, "when_missing": "skip"})
    if request.method != "POST":
        return render_page(request, "frameworks/rules.html", data, {"form": form})
    if not can_edit:
        raise PermissionDenied
    if not form.is_valid():
        return invalid_form(request, "frameworks/rules.html", data, form)
    rule = {k: v for k, v in form.cleaned_data.items() if k != "base_version"}
    try:
        editing.add_rule(
            plan=plan,
            rule=rule,
            actor=access.actor(request),
            base_version=form.cleaned_data["base_version"],
        )
    except ServiceError as error:
        return refused_form(request, error, "frameworks/rules.html", data, form)
    messages.success(request, _("Rule %(code)s added.") % {"code": rule["code"]})
    return redirect("plan-rules", slug=plan.slug)


@require_http_methods(["GET", "HEAD", "POST"])
def plan_status_rules(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan's status rules (default tolerance, roll-up); its coordinators change them."""
    plan = access.get_plan_for_user(request.user, slug)
    can_edit = access.can_edit_plan(request.user, plan)
    version = plan.current_version.number if plan.current_version else 0
    data = {
        "plan": {"slug": plan.slug, "title": plan.short_title or plan.title},
        "status": plan.status_rules,
        "metrics_with_own_rule": [
            {"code": m.code, "status": m.current.status_rule}
            for m in plan.metrics.filter(retired_in=None).select_related("current")
            if m.current
            and (
                m.current.status_rule.get("tolerance") is not None
                or m.current.status_rule.get("trajectory", "linear") != "linear"
            )
        ],
        "can_edit": can_edit,
    }
    form = PlanStatusForm(
        request.POST or None, initial={"base_version": version, **plan.status_rules}
    )
    template = "frameworks/plan_status_rules.html"
    if request.method != "POST":
        return render_page(request, template, data, {"form": form})
    if not can_edit:
        raise PermissionDenied
    return _save(
        request,
        form,
        template,
        data,
        lambda f: editing.edit_plan_status(
            plan=plan,
            changes=f.changes(),
            actor=access.actor(request),
            reason=f.cleaned_data["reason"],
            base_version=f.cleaned_data["base_version"],
        ),
        reverse("plan-status-rules", args=[plan.slug]),
    )


@require_POST
def plan_rule_remove(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    plan = access.get_plan_for_user(request.user, slug)
    if not access.can_edit_plan(request.user, plan):
        raise PermissionDenied
    reason = request.POST.get("reason", "")[:500]
    return act(
        request,
        lambda: editing.remove_rule(
            plan=plan, code=code, actor=access.actor(request), reason=reason
        ),
        _("Rule %(code)s removed.") % {"code": code},
        reverse("plan-rules", args=[plan.slug]),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def disaggregation_sets(request: HttpRequest) -> HttpResponse:
    """The category sets figures are broken down by; coordinators add their own."""
    if not access.can_see_plans(request.user):
        raise PermissionDenied
    data = {
        "sets": [
            {
                "key": s.key,
                "name": s.name,
                "source": s.source,
                "categories": [{"key": c.key, "label": c.label} for c in s.categories.all()],
            }
            for s in DisaggregationSet.objects.prefetch_related("categories")
        ],
        "can_add": access.can_manage_tag_sets(request.user),
    }
    form = DisaggregationSetForm(request.POST or None)
    if request.method != "POST":
        return render_page(request, "frameworks/disaggregations.html", data, {"form": form})
    if not access.can_manage_tag_sets(request.user):
        raise PermissionDenied
    if not form.is_valid():
        return invalid_form(request, "frameworks/disaggregations.html", data, form)
    try:
        added = editing.add_disaggregation_set(actor=access.actor(request), **form.cleaned_data)
    except ServiceError as error:
        return refused_form(request, error, "frameworks/disaggregations.html", data, form)
    messages.success(request, _("Category set %(key)s added.") % {"key": added.key})
    return redirect("disaggregations")
