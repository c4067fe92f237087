"""Plans in the API: the list, and each plan as its export tree."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from wpstrack.accounts import access
from wpstrack.frameworks import editing
from wpstrack.frameworks.export import plan_document
from wpstrack.frameworks.views import plan_summary

router = Router(tags=["plans"])


@router.get("/plans")
def list_plans(request: HttpRequest) -> dict[str, Any]:
    return {
        "ok": True,
        "plans": [plan_summary(p) for p in access.get_plans_for_user(access.actor(request))],
    }


@router.get("/plans/{slug}")
def get_plan(request: HttpRequest, slug: str) -> dict[str, Any]:
    plan = access.get_plan_for_user(access.actor(request), slug)
    return {"ok": True, "plan": plan_document(plan)}


class ElementEdit(Schema):
    base_version: int | None = None
    reason: str = ""
    title: str | None = None
    text: str | None = None
    responsible_as_written: str | None = None
    units: list[str] | None = None
    outcomes: list[str] | None = None
    tags: list[str] | None = None
    needs_indicators: bool | None = None
    note: str | None = None


class MetricEdit(Schema):
    base_version: int | None = None
    reason: str = ""
    text: str | None = None
    type: str | None = None
    unit: str | None = None
    direction: str | None = None
    compare_previous: bool | None = None
    disaggregation: list[str] | None = None
    frequency: str | None = None
    sensitive: bool | None = None
    note: str | None = None
    baselines: list[dict[str, Any]] | None = None  # each {value, period, at?, as_written?, note?}
    targets: list[dict[str, Any]] | None = None
    status: dict[str, Any] | None = None  # {tolerance?, trajectory?}: only the keys given change


class PlanStatusEdit(Schema):
    base_version: int | None = None
    reason: str = ""
    tolerance: float | None = None
    rollup: str | None = None
    rollup_share: float | None = None


class RuleIn(Schema):
    base_version: int | None = None
    code: str
    left: str
    operator: str
    right: str
    when_missing: str = "skip"
    message: str


def _changes(body: Schema) -> dict[str, Any]:
    return {
        k: v
        for k, v in body.dict().items()
        if v is not None and k not in {"base_version", "reason"}
    }


def _version(plan: Any, version: Any) -> dict[str, Any]:
    return {
        "ok": True,
        "version": version.number if version else plan.current_version.number,
        "changed": version is not None,
    }


@router.post("/plans/{slug}/elements/{code}")
def edit_element(request: HttpRequest, slug: str, code: str, body: ElementEdit) -> dict[str, Any]:
    """Change an element (coordinators); checked by the plan-file rules, saved as a new version."""
    plan = access.get_plan_for_user(access.actor(request), slug)
    version = editing.edit_element(
        plan=plan,
        code=code,
        changes=_changes(body),
        actor=access.actor(request),
        reason=body.reason,
        base_version=body.base_version,
    )
    plan.refresh_from_db()
    return _version(plan, version)


@router.post("/plans/{slug}/metrics/{code}")
def edit_metric(request: HttpRequest, slug: str, code: str, body: MetricEdit) -> dict[str, Any]:
    """Change a metric, its baselines or targets (with their period codes, ``at``) or its status
    rule; checked by the plan-file rules; the old definition stays for reported values."""
    plan = access.get_plan_for_user(access.actor(request), slug)
    version = editing.edit_metric(
        plan=plan,
        code=code,
        changes=_changes(body),
        actor=access.actor(request),
        reason=body.reason,
        base_version=body.base_version,
    )
    plan.refresh_from_db()
    return _version(plan, version)


@router.post("/plans/{slug}/status-rules")
def edit_status_rules(request: HttpRequest, slug: str, body: PlanStatusEdit) -> dict[str, Any]:
    """Change the plan's status rules (tolerance, rollup, rollup_share); only the keys given
    change; checked by the plan-file rules, saved as a new version."""
    plan = access.get_plan_for_user(access.actor(request), slug)
    changes = {
        k: v
        for k, v in body.dict(exclude_unset=True).items()
        if k not in {"base_version", "reason"}
    }
    version = editing.edit_plan_status(
        plan=plan,
        changes=changes,
        actor=access.actor(request),
        reason=body.reason,
        base_version=body.base_version,
    )
    plan.refresh_from_db()
    return _version(plan, version)


@router.post("/plans/{slug}/rules")
def add_rule(request: HttpRequest, slug: str, body: RuleIn) -> dict[str, Any]:
    plan = access.get_plan_for_user(access.actor(request), slug)
    rule = {k: v for k, v in body.dict().items() if k != "base_version"}
    version = editing.add_rule(
        plan=plan, rule=rule, actor=access.actor(request), base_version=body.base_version
    )
    plan.refresh_from_db()
    return _version(plan, version)


@router.delete("/plans/{slug}/rules/{code}")
def remove_rule(request: HttpRequest, slug: str, code: str) -> dict[str, Any]:
    plan = access.get_plan_for_user(access.actor(request), slug)
    version = editing.remove_rule(plan=plan, code=code, actor=access.actor(request), reason="")
    plan.refresh_from_db()
    return _version(plan, version)
