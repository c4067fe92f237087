"""Edits made in the web pages. Each one becomes a new plan version through the same loader as a
plan file, so the audit trail, versioning and metric-definition history are the same."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from wpstrack.accounts import access
from wpstrack.accounts.models import User
from wpstrack.audit.services import record_event
from wpstrack.frameworks import services
from wpstrack.frameworks.export import plan_document, to_yaml
from wpstrack.frameworks.models import Category, DisaggregationSet, Plan, PlanVersion, Tag, TagSet
from wpstrack.frameworks.planfile import read_plan_file
from wpstrack.lib.errors import Conflict, NotAllowed, ServiceError

EDITABLE_ELEMENT_FIELDS = {
    "title",
    "text",
    "responsible_as_written",
    "units",
    "outcomes",
    "tags",
    "needs_indicators",
    "note",
}
EDITABLE_METRIC_FIELDS = {
    "text",
    "type",
    "unit",
    "direction",
    "compare_previous",
    "disaggregation",
    "frequency",
    "sensitive",
    "note",
    "baselines",
    "targets",
    "status",
}


def _find(nodes: list[dict[str, Any]], code: str, key: str) -> dict[str, Any] | None:
    for node in nodes:
        if key == "element" and node["code"] == code:
            return node
        if key == "metric":
            for metric in node["metrics"]:
                if metric["code"] == code:
                    return metric
        found = _find(node["children"], code, key)
        if found is not None:
            return found
    return None


def _validate(plan: Plan, document: dict[str, Any]) -> None:
    """Run the edited plan through the plan-file rules: one rule set for files and forms."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{plan.slug}.yaml"
        path.write_text(to_yaml(document), encoding="utf-8")
        report = read_plan_file(path)
    if not report.valid:
        problem = report.problems[0]
        raise ServiceError(
            problem.code, f"{problem.field}: {problem.message} ({problem.fix})", field=problem.field
        )


def _edit(
    plan: Plan,
    mutate: Callable[[dict[str, Any]], None],
    *,
    action: str,
    actor: User,
    reason: str,
    base_version: int | None,
) -> PlanVersion | None:
    """Apply ``mutate`` to the plan's document, check it with the plan-file rules and load it as
    a new version: the one path for every edit made in the pages."""
    if not access.can_edit_plan(actor, plan):
        raise NotAllowed("not-plan-coordinator", _("Only the plan's coordinators can edit it."))
    if (
        base_version is not None
        and plan.current_version
        and plan.current_version.number != base_version
    ):
        raise Conflict(
            "plan-changed",
            _(
                "The plan changed (now version %(now)s) since you opened this form "
                "(version %(then)s). Reload the page and make your change again."
            )
            % {"now": plan.current_version.number, "then": base_version},
        )
    document = plan_document(plan)
    mutate(document)
    _validate(plan, document)
    text = json.dumps(document, sort_keys=True, ensure_ascii=False)
    _plan, version = services.load_plan_document(
        document,
        file_name=_("(edited in wpstrack)"),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        actor=actor,
    )
    if version is not None and reason:
        record_event(
            actor=actor,
            action=action,
            obj=plan,
            unit=plan.owner_unit,
            changes={"version": [version.number - 1, version.number]},
            reason=reason,
        )
    return version


def _apply(
    plan: Plan,
    kind: str,
    code: str,
    changes: dict[str, Any],
    allowed: set[str],
    *,
    actor: User,
    reason: str,
    base_version: int | None,
) -> PlanVersion | None:
    unknown = set(changes) - allowed
    if unknown:
        raise ServiceError(
            "not-editable",
            _("These fields cannot be edited here: %(f)s") % {"f": ", ".join(sorted(unknown))},
        )

    def update(document: dict[str, Any]) -> None:
        node = _find(document["elements"], code, kind)
        if node is None:
            raise ServiceError(
                "unknown-code",
                _("No %(kind)s %(code)s in this plan.") % {"kind": kind, "code": code},
            )
        for key, value in changes.items():
            if key == "status" and isinstance(value, dict) and isinstance(node.get(key), dict):
                # Only the keys given change: {"tolerance": 0.2} keeps the trajectory.
                node[key] = {**node[key], **value}
            else:
                node[key] = value

    return _edit(
        plan, update, action=f"{kind}.edit", actor=actor, reason=reason, base_version=base_version
    )


@transaction.atomic
def add_rule(
    *, plan: Plan, rule: dict[str, Any], actor: User, base_version: int | None = None
) -> PlanVersion | None:
    """Add a cross-metric rule (checked like a plan file's rule, so bad terms are refused)."""

    def append(document: dict[str, Any]) -> None:
        if any(r["code"] == rule["code"] for r in document["rules"]):
            raise Conflict(
                "duplicate-rule",
                _("There is already a rule %(code)s.") % {"code": rule["code"]},
                field="code",
            )
        document["rules"].append(rule)

    return _edit(
        plan,
        append,
        action="rule.add",
        actor=actor,
        reason=rule.get("message", ""),
        base_version=base_version,
    )


@transaction.atomic
def remove_rule(*, plan: Plan, code: str, actor: User, reason: str) -> PlanVersion | None:
    def drop(document: dict[str, Any]) -> None:
        kept = [r for r in document["rules"] if r["code"] != code]
        if len(kept) == len(document["rules"]):
            raise ServiceError("unknown-code", _("No rule %(code)s in this plan.") % {"code": code})
        document["rules"] = kept

    return _edit(
        plan, drop, action="rule.remove", actor=actor, reason=reason or code, base_version=None
    )


@transaction.atomic
def edit_plan_status(
    *,
    plan: Plan,
    changes: dict[str, Any],
    actor: User,
    reason: str = "",
    base_version: int | None = None,
) -> PlanVersion | None:
    """Change the plan's status rules (default tolerance, roll-up rule and share); only the keys
    given change, and the plan-file rules check the result."""

    def update(document: dict[str, Any]) -> None:
        document["status"] = {**document.get("status", {}), **changes}

    return _edit(
        plan,
        update,
        action="plan.status_rules.edit",
        actor=actor,
        reason=reason,
        base_version=base_version,
    )


@transaction.atomic
def edit_element(
    *,
    plan: Plan,
    code: str,
    changes: dict[str, Any],
    actor: User,
    reason: str = "",
    base_version: int | None = None,
) -> PlanVersion | None:
    """Change an element's fields; returns the new plan version (None when nothing changed)."""
    return _apply(
        plan,
        "element",
        code,
        changes,
        EDITABLE_ELEMENT_FIELDS,
        actor=actor,
        reason=reason,
        base_version=base_version,
    )


@transaction.atomic
def edit_metric(
    *,
    plan: Plan,
    code: str,
    changes: dict[str, Any],
    actor: User,
    reason: str = "",
    base_version: int | None = None,
) -> PlanVersion | None:
    """Change a metric; its old definition stays for the values reported against it."""
    return _apply(
        plan,
        "metric",
        code,
        changes,
        EDITABLE_METRIC_FIELDS,
        actor=actor,
        reason=reason,
        base_version=base_version,
    )


@transaction.atomic
def add_tag(*, tag_set_key: str, tag_set_name: str, key: str, name: str, actor: User) -> Tag:
    """Add a tag (and its set, if new). Tags are never removed: elements may carry them."""
    if not access.can_manage_tag_sets(actor):
        raise NotAllowed("not-coordinator", _("Only plan coordinators can add tags."))
    tag_set = TagSet.objects.filter(key=tag_set_key).first()
    if tag_set is None:
        if not tag_set_name.strip():
            raise ServiceError(
                "missing-name", _("Give the new tag set a name."), field="tag_set_name"
            )
        tag_set = TagSet.objects.create(key=tag_set_key, name=tag_set_name.strip())
        record_event(
            actor=actor,
            action="tag_set.create",
            obj=tag_set,
            changes={"name": [None, tag_set.name]},
        )
    if tag_set.tags.filter(key=key).exists():
        raise Conflict(
            "duplicate-tag",
            _("The tag %(ref)s already exists.") % {"ref": f"{tag_set.key}:{key}"},
            field="key",
        )
    tag = Tag.objects.create(
        tag_set=tag_set, key=key, name=name.strip(), position=tag_set.tags.count()
    )
    record_event(actor=actor, action="tag.create", obj=tag, changes={"name": [None, tag.name]})
    return tag


@transaction.atomic
def add_disaggregation_set(
    *, key: str, name: str, categories: list[tuple[str, str]], actor: User
) -> DisaggregationSet:
    """A coordinator's own category set (e.g. personnel category), usable by any metric."""
    if not access.can_manage_tag_sets(actor):
        raise NotAllowed("not-coordinator", _("Only plan coordinators can add category sets."))
    if DisaggregationSet.objects.filter(key=key).exists():
        raise Conflict(
            "duplicate-set",
            _("There is already a category set %(key)s.") % {"key": key},
            field="key",
        )
    if not categories:
        raise ServiceError(
            "no-categories", _("List at least one category, one per line."), field="categories"
        )
    keys = [k for k, _label in categories]
    if len(set(keys)) != len(keys):
        raise ServiceError(
            "duplicate-category", _("Each category needs its own key."), field="categories"
        )
    new_set = DisaggregationSet.objects.create(key=key, name=name.strip())
    for position, (category_key, label) in enumerate(categories):
        Category.objects.create(
            disaggregation_set=new_set, key=category_key, label=label, position=position
        )
    record_event(
        actor=actor,
        action="disaggregation_set.create",
        obj=new_set,
        changes={"name": [None, new_set.name], "categories": [None, keys]},
    )
    return new_set
