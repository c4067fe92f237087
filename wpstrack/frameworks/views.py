"""Plan list, plan tree with filters, element pages and the crosswalk by 1325 pillar."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from wpstrack.accounts import access
from wpstrack.frameworks.export import _metric
from wpstrack.frameworks.models import Element, Plan, Tag
from wpstrack.lib.pages import render_page


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "slug": plan.slug,
        "title": plan.title,
        "short_title": plan.short_title,
        "owner_unit": plan.owner_unit.code,
        "source": plan.source,
        "fiscal_year_start_month": plan.fiscal_year_start_month,
        "version": plan.current_version.number if plan.current_version else None,
    }


def element_summary(element: Element) -> dict[str, Any]:
    return {
        "code": element.code,
        "level": element.level.key,
        "level_name": element.level.name,
        "title": element.title,
        "units": [u.code for u in element.units.all()],
        "tags": [t.ref for t in element.tags.all()],
        "needs_indicators": element.needs_indicators,
        "metrics": len([m for m in element.metrics.all() if m.retired_in_id is None]),
    }


@require_safe
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = []
    for plan in access.get_plans_for_user(request.user):
        counts = Counter(
            plan.elements.filter(retired_in=None).values_list("level__name", flat=True)
        )
        levels = [
            {"key": lv.key, "name": lv.name, "count": counts.get(lv.name, 0)}
            for lv in plan.levels.all()
        ]
        plans.append(
            {
                **plan_summary(plan),
                "levels": levels,
                "metrics": plan.metrics.filter(retired_in=None).count(),
            }
        )
    return render_page(request, "frameworks/plan_list.html", {"plans": plans})


def _filters(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip()[:200] for key in ("unit", "level", "tag", "q")}


def _matching(plan: Plan, filters: dict[str, str]) -> set[int]:
    """Ids of elements that match every filter given."""
    elements = plan.elements.filter(retired_in=None)
    if filters["unit"]:
        elements = elements.filter(units__code=filters["unit"])
    if filters["level"]:
        elements = elements.filter(level__key=filters["level"])
    if filters["tag"] and ":" in filters["tag"]:
        set_key, key = filters["tag"].split(":", 1)
        elements = elements.filter(tags__tag_set__key=set_key, tags__key=key)
    if filters["q"]:
        q = filters["q"]
        elements = elements.filter(
            Q(title__icontains=q)
            | Q(text__icontains=q)
            | Q(code__iexact=q)
            | Q(metrics__definitions__text__icontains=q)
        )
    return set(elements.values_list("id", flat=True).distinct())


@require_safe
def plan_detail(request: HttpRequest, slug: str) -> HttpResponse:
    plan = access.get_plan_for_user(request.user, slug)
    filters = _filters(request)
    elements = list(
        plan.elements.filter(retired_in=None)
        .select_related("level")
        .prefetch_related("units", "tags__tag_set", "metrics")
    )
    by_id = {e.pk: e for e in elements}
    matched = _matching(plan, filters)
    shown = set(matched)
    for element_id in matched:  # keep the path to each match so the tree stays readable
        parent_id = by_id[element_id].parent_id
        while parent_id and parent_id not in shown:
            shown.add(parent_id)
            parent_id = by_id[parent_id].parent_id
    children: dict[int | None, list[Element]] = {}
    for element in elements:
        if element.pk in shown:
            children.setdefault(element.parent_id, []).append(element)

    def tree(parent_id: int | None) -> list[dict[str, Any]]:
        return [
            {**element_summary(e), "match": e.pk in matched, "children": tree(e.pk)}
            for e in children.get(parent_id, [])
        ]

    counts = Counter(by_id[i].level.key for i in matched)
    any_filter = any(filters.values())
    data = {
        "plan": plan_summary(plan),
        "filters": filters,
        "levels": [
            {"key": lv.key, "name": lv.name, "count": counts.get(lv.key, 0)}
            for lv in plan.levels.all()
        ],
        "matches": len(matched),
        "elements": tree(None),
    }
    units = sorted({(u.code, u.short_name) for e in elements for u in e.units.all()})
    tags = sorted({(t.ref, t.name) for e in elements for t in e.tags.all()})
    context = {
        "unit_choices": units,
        "tag_choices": tags,
        "any_filter": any_filter,
        "obligations": plan.obligations.all(),
        "sections": plan.sections.all(),
        "can_edit": access.can_edit_plan(request.user, plan),
    }
    return render_page(request, "frameworks/plan_detail.html", data, context)


@require_safe
def element_detail(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    plan = access.get_plan_for_user(request.user, slug)
    element = access.get_element_for_user(request.user, plan, code)
    ancestors: list[dict[str, str]] = []
    parent = element.parent
    while parent is not None:
        ancestors.insert(
            0, {"code": parent.code, "level_name": parent.level.name, "title": parent.title}
        )
        parent = parent.parent
    data = {
        "plan": plan_summary(plan),
        "element": {
            **element_summary(element),
            "text": element.text,
            "responsible_as_written": element.responsible_as_written,
            "unit_names": [{"code": u.code, "name": u.name} for u in element.units.all()],
            "outcomes": element.outcomes,
            "tag_names": [
                {"ref": t.ref, "name": t.name} for t in element.tags.select_related("tag_set")
            ],
            "source": {
                "file": plan.source.get("file"),
                "section": element.source_section,
                "page": element.source_page,
            },
            "note": element.note,
            "retired_in": element.retired_in.number if element.retired_in else None,
            "metrics": [
                _metric(m)
                for m in element.metrics.select_related("current").filter(retired_in=None)
            ],
        },
        "ancestors": ancestors,
        "can_edit": access.can_edit_plan(request.user, plan),
        "children": [
            element_summary(c)
            for c in element.children.filter(retired_in=None)
            .select_related("level")
            .prefetch_related("units", "tags__tag_set", "metrics")
        ],
    }
    return render_page(request, "frameworks/element_detail.html", data)


@require_safe
def crosswalk(request: HttpRequest) -> HttpResponse:
    """Elements of every plan side by side, grouped by the pillar of resolution 1325 they serve."""
    plans = list(access.get_plans_for_user(request.user))
    pillars = []
    for tag in Tag.objects.filter(tag_set__key="pillar-1325").select_related("tag_set"):
        columns = []
        for plan in plans:
            elements = (
                tag.elements.filter(plan=plan, retired_in=None)
                .select_related("level")
                .prefetch_related("units", "tags__tag_set", "metrics")
            )
            columns.append(
                {
                    "plan": plan.slug,
                    "short_title": plan.short_title or plan.slug,
                    "elements": [element_summary(e) for e in elements],
                }
            )
        pillars.append({"tag": tag.ref, "name": tag.name, "plans": columns})
    return render_page(
        request,
        "frameworks/crosswalk.html",
        {"plans": [plan_summary(p) for p in plans], "pillars": pillars},
    )
