"""Home, the unit tree and unit pages."""

from __future__ import annotations

from collections import defaultdict

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from wpstrack.accounts import access
from wpstrack.accounts.models import Membership, OrgUnit, Role
from wpstrack.accounts.serializers import membership, person, unit_summary
from wpstrack.lib.pages import render_page


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What the signed-in person is responsible for: their roles and the units they cover."""
    mine = access.memberships(request.user)
    responsibilities = []
    for item in mine:
        covered = item.unit.subtree().select_related("kind", "parent")
        responsibilities.append(
            {**membership(item), "units_covered": [unit_summary(u) for u in covered]}
        )
    data = {
        "person": person(request.user),  # type: ignore[arg-type]
        "responsibilities": responsibilities,
        "system_administrator": access.is_system_administrator(request.user),
        "owed": _owed(request.user),
    }
    return render_page(request, "accounts/home.html", data)


@require_safe
def unit_list(request: HttpRequest) -> HttpResponse:
    units = access.get_units_for_user(request.user).select_related("kind", "parent")
    data = {"units": [unit_summary(u) for u in units]}
    return render_page(request, "accounts/unit_list.html", data)


@require_safe
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.get_unit_for_user(request.user, code)
    visible = access.get_units_for_user(request.user)
    members = access.get_members_for_user(request.user, unit)
    by_role: dict[str, list[dict[str, object]]] = defaultdict(list)
    for item in members:
        by_role[item.role].append({**person(item.user), "membership": item.pk})
    acting_from_above = [
        {
            **person(item.user),
            "role": item.role,
            "role_name": str(item.get_role_display()),
            "unit": item.unit.code,
            "unit_name": item.unit.short_name,
        }
        for item in Membership.objects.filter(
            unit__in=unit.ancestors(), user__is_active=True
        ).select_related("user", "unit")
    ]
    data = {
        "unit": unit_summary(unit),
        "ancestors": [
            {
                "code": a.code,
                "short_name": a.short_name,
                "visible": visible.filter(pk=a.pk).exists(),
            }
            for a in unit.ancestors()
        ],
        "children": [
            unit_summary(c) for c in visible.filter(parent=unit).select_related("kind", "parent")
        ],
        "members": [
            {
                "role": role.value,
                "role_name": str(role.label),
                "people": by_role.get(role.value, []),
            }
            for role in Role
        ],
        "acting_from_above": acting_from_above,
        "can_manage_members": access.can_manage_members(request.user, unit),
        "responsible_for": _elements_of(unit),
        **_reporting_of(unit),
    }
    return render_page(request, "accounts/unit_detail.html", data)


def _reporting_of(unit: OrgUnit) -> dict[str, object]:
    """What the unit owes and how it reported (analysis builds on accounts, so imported here)."""
    from wpstrack.analysis.completeness import unit_history
    from wpstrack.analysis.scorecard import unit_statuses

    return {"rounds": unit_history(unit), "metric_statuses": unit_statuses(unit)}


def _elements_of(unit: OrgUnit) -> list[dict[str, object]]:
    """The plan elements that name this unit as responsible, in document order."""
    from wpstrack.frameworks.models import Element  # frameworks builds on accounts, not the reverse

    elements = (
        Element.objects.filter(units=unit, retired_in=None)
        .select_related("plan", "level")
        .order_by("plan__slug", "position")
    )
    return [
        {
            "plan": e.plan.slug,
            "plan_title": e.plan.short_title or e.plan.slug,
            "code": e.code,
            "level_name": e.level.name,
            "title": e.title,
        }
        for e in elements
    ]


def _owed(user: object) -> list[dict[str, object]]:
    from wpstrack.reporting.views import owed_by  # reporting builds on accounts, not the reverse

    return owed_by(user)
