"""Writes to plans: loading plan and tag-set files, one transaction each, with audit rows."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from wpstrack.accounts.models import OrgUnit, User
from wpstrack.audit.services import diff, record_event
from wpstrack.frameworks.models import (
    Category,
    DisaggregationSet,
    Element,
    Level,
    Metric,
    MetricDefinition,
    Obligation,
    Plan,
    PlanVersion,
    Section,
    Tag,
    TagSet,
    ValidationRule,
)
from wpstrack.frameworks.planformat import (
    LATER_FIELD_DEFAULTS,
    METRIC_DEFINITION_FIELDS,
    METRIC_STATUS_DEFAULTS,
    PLAN_STATUS_DEFAULTS,
)
from wpstrack.lib.yamlfile import LineDict, Problem, YamlFileError, load_yaml

DEFINITION_FIELDS = METRIC_DEFINITION_FIELDS
# A metric's canonical keys are its MetricDefinition fields, except these.
STORED_AS = {"status": "status_rule"}


def _stored(key: str) -> str:
    return STORED_AS.get(key, key)


def with_status_defaults(document: dict[str, Any]) -> dict[str, Any]:
    """The document with whole status blocks, as ``planfile`` always writes them, where a
    document built in code left them out or gave only some keys (a copy; the caller's document
    is not changed)."""

    def whole(block: Any, defaults: dict[str, Any]) -> bool:
        return isinstance(block, dict) and set(defaults) <= set(block)

    def complete(elements: list[dict[str, Any]]) -> bool:
        return all(
            all(whole(m.get("status"), METRIC_STATUS_DEFAULTS) for m in e.get("metrics", []))
            and complete(e.get("children", []))
            for e in elements
        )

    if whole(document.get("status"), PLAN_STATUS_DEFAULTS) and complete(
        document.get("elements", [])
    ):
        return document
    document = copy.deepcopy(document)
    document["status"] = {**PLAN_STATUS_DEFAULTS, **(document.get("status") or {})}

    def fill(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            for metric in element.get("metrics", []):
                metric["status"] = {**METRIC_STATUS_DEFAULTS, **(metric.get("status") or {})}
            fill(element.get("children", []))

    fill(document.get("elements", []))
    return document


def _label(actor: User | None, actor_label: str | None) -> str:
    return actor_label or (actor.email if actor else "system")


@dataclass(frozen=True)
class _ReferenceKind:
    """How one reference file names its sets and their items (tag sets, category sets)."""

    list_key: str
    items_key: str
    label: str  # the item field that is shown and may be renamed
    set_model: Any
    item_model: Any
    parent: str  # the item's foreign key to its set
    set_action: str
    item_action: str


TAG_SETS = _ReferenceKind(
    "tag_sets", "tags", "name", TagSet, Tag, "tag_set", "tag_set.create", "tag.save"
)
CATEGORY_SETS = _ReferenceKind(
    "sets",
    "categories",
    "label",
    DisaggregationSet,
    Category,
    "disaggregation_set",
    "disaggregation_set.create",
    "category.save",
)


def _load_reference_sets(
    path: Path, kind: _ReferenceKind, *, actor: User | None, actor_label: str | None
) -> list[Problem]:
    """Sets and their items are added or renamed, never removed: elements and values refer to
    their keys. The whole file is checked before anything is written."""
    try:
        data = load_yaml(path)
    except YamlFileError as error:
        return [error.problem]
    sets = data.get(kind.list_key) if isinstance(data, LineDict) else None
    if not isinstance(sets, list):
        return [
            Problem(
                path.name,
                1,
                kind.list_key,
                f"expected a list under {kind.list_key}",
                f"see plans/{path.name}",
            )
        ]
    problems = [
        Problem(
            path.name,
            getattr(raw, "line", 1),
            kind.list_key,
            "each set needs a key and a name",
            "write - {key: ..., name: ...}",
        )
        for raw in sets
        if not isinstance(raw, dict)
        or not raw.get("key")
        or not raw.get("name")
        or not all(
            isinstance(i, dict) and i.get("key") is not None and i.get(kind.label)
            for i in raw.get(kind.items_key) or []
        )
    ]
    if problems:
        return problems
    for raw in sets:
        found, created = kind.set_model.objects.get_or_create(
            key=raw["key"], defaults={"name": raw["name"], "source": raw.get("source", "")}
        )
        if created:
            record_event(
                actor=actor,
                actor_label=actor_label,
                action=kind.set_action,
                obj=found,
                changes={"name": [None, found.name]},
            )
        for position, item in enumerate(raw.get(kind.items_key) or []):
            row, created = kind.item_model.objects.get_or_create(
                **{kind.parent: found},
                key=str(item["key"]),
                defaults={kind.label: item[kind.label], "position": position},
            )
            old = getattr(row, kind.label)
            if created or old != item[kind.label]:
                record_event(
                    actor=actor,
                    actor_label=actor_label,
                    action=kind.item_action,
                    obj=row,
                    changes={kind.label: [None if created else old, item[kind.label]]},
                )
                setattr(row, kind.label, item[kind.label])
                row.save(update_fields=[kind.label])
    return []


@transaction.atomic
def load_tag_sets(
    path: Path, *, actor: User | None, actor_label: str | None = None
) -> list[Problem]:
    """Load ``tag-sets.yaml``."""
    return _load_reference_sets(path, TAG_SETS, actor=actor, actor_label=actor_label)


@transaction.atomic
def load_disaggregations(
    path: Path, *, actor: User | None, actor_label: str | None = None
) -> list[Problem]:
    """Load ``disaggregations.yaml`` (values are stored against the category keys)."""
    return _load_reference_sets(path, CATEGORY_SETS, actor=actor, actor_label=actor_label)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class _PlanWriter:
    """Brings the database in line with one canonical plan document, noting each change."""

    def __init__(
        self, plan: Plan, version: PlanVersion, actor: User | None, label: str, first: bool
    ) -> None:
        self.plan, self.version, self.actor, self.label, self.first = (
            plan,
            version,
            actor,
            label,
            first,
        )
        self.units = {u.code: u for u in OrgUnit.objects.all()}
        self.tags = {t.ref: t for t in Tag.objects.select_related("tag_set")}
        self.levels: dict[str, Level] = {}
        self.changes: list[str] = []
        self.position = 0
        self.seen_elements: set[str] = set()
        self.seen_metrics: set[str] = set()

    def note(self, action: str, obj: Any, changes: dict[str, list[Any]]) -> None:
        self.changes.append(f"{action} {obj}: " + ", ".join(sorted(changes)))
        if not self.first:
            record_event(
                actor=self.actor,
                actor_label=self.label,
                action=action,
                obj=obj,
                unit=self.plan.owner_unit,
                changes=changes,
            )

    def write_levels(self, levels: list[dict[str, str]]) -> None:
        for position, level in enumerate(levels):
            saved, _ = Level.objects.update_or_create(
                plan=self.plan,
                key=level["key"],
                defaults={"name": level["name"], "position": position},
            )
            self.levels[level["key"]] = saved

    def write_elements(self, elements: list[dict[str, Any]], parent: Element | None) -> None:
        for item in elements:
            self.position += 1
            element = Element.objects.filter(plan=self.plan, code=item["code"]).first()
            before = self.element_state(element) if element else {}
            element = element or Element(plan=self.plan, code=item["code"])
            element.level = self.levels[item["level"]]
            element.parent = parent
            element.position = self.position
            element.retired_in = None
            for name in (
                "title",
                "text",
                "responsible_as_written",
                "outcomes",
                "needs_indicators",
                "note",
            ):
                setattr(element, name, item[name])
            element.source_section = item["source"].get("section", "")
            element.source_page = item["source"].get("page")
            element.save()
            element.units.set([self.units[c] for c in item["units"]])
            element.tags.set([self.tags[t] for t in item["tags"]])
            changes = diff(before, self.element_state(element))
            if changes:
                self.note("element.create" if not before else "element.update", element, changes)
            self.seen_elements.add(element.code)
            self.write_metrics(item["metrics"], element)
            self.write_elements(item["children"], element)

    @staticmethod
    def element_state(element: Element) -> dict[str, Any]:
        return {
            "level": element.level.key,
            "parent": element.parent.code if element.parent else None,
            "title": element.title,
            "text": element.text,
            "responsible_as_written": element.responsible_as_written,
            "units": sorted(element.units.values_list("code", flat=True)),
            "outcomes": element.outcomes,
            "tags": sorted(f"{s}:{k}" for s, k in element.tags.values_list("tag_set__key", "key")),
            "needs_indicators": element.needs_indicators,
            "source": element.source_section,
            "page": element.source_page,
            "note": element.note,
        }

    def write_metrics(self, metrics: list[dict[str, Any]], element: Element) -> None:
        for item in metrics:
            self.position += 1
            metric, _ = Metric.objects.get_or_create(
                plan=self.plan, code=item["code"], defaults={"element": element}
            )
            metric.element, metric.position, metric.retired_in = element, self.position, None
            current = metric.current
            before = {f: getattr(current, _stored(f)) for f in DEFINITION_FIELDS} if current else {}
            # Documents made before a field existed (older exports, tests' own) lack it.
            after = {f: item.get(f, LATER_FIELD_DEFAULTS.get(f)) for f in DEFINITION_FIELDS}
            changes = diff(before, after)
            if changes:
                # A new definition, never an edit: values reported against the old one keep its meaning.
                metric.current = MetricDefinition.objects.create(
                    metric=metric,
                    valid_from=self.version,
                    **{_stored(f): value for f, value in after.items()},
                )
                self.note(
                    "metric.create" if current is None else "metric.redefine", metric, changes
                )
            metric.save()
            self.seen_metrics.add(metric.code)

    def retire_missing(self) -> None:
        for element in self.plan.elements.filter(retired_in=None).exclude(
            code__in=self.seen_elements
        ):
            element.retired_in = self.version
            element.save(update_fields=["retired_in"])
            self.note("element.retire", element, {"retired_in": [None, self.version.number]})
        for metric in self.plan.metrics.filter(retired_in=None).exclude(code__in=self.seen_metrics):
            metric.retired_in = self.version
            metric.save(update_fields=["retired_in"])
            self.note("metric.retire", metric, {"retired_in": [None, self.version.number]})

    def write_obligations(self, obligations: list[dict[str, Any]]) -> None:
        codes = []
        for position, item in enumerate(obligations):
            obligation, _ = Obligation.objects.update_or_create(
                plan=self.plan,
                code=item["code"],
                defaults={
                    "position": position,
                    "title": item["title"],
                    "text": item["text"],
                    "cadence": item["cadence"],
                    "due": item["due"],
                    "years": item["years"],
                    "responsible_as_written": item["responsible_as_written"],
                    "source_section": item["source"]["section"],
                    "note": item["note"],
                },
            )
            obligation.units.set([self.units[c] for c in item["units"]])
            codes.append(obligation.code)
        self.plan.obligations.exclude(code__in=codes).delete()

    def write_rules(self, rules: list[dict[str, Any]]) -> None:
        """Rules have no history of their own: the plan version keeps them."""
        self.plan.rules.all().delete()
        ValidationRule.objects.bulk_create(
            ValidationRule(
                plan=self.plan,
                position=i,
                **{
                    k: r[k]
                    for k in ("code", "left", "operator", "right", "when_missing", "message")
                },
            )
            for i, r in enumerate(rules)
        )

    def write_sections(self, sections: list[dict[str, Any]]) -> None:
        codes = []
        for position, item in enumerate(sections):
            Section.objects.update_or_create(
                plan=self.plan,
                code=item["code"],
                defaults={
                    "position": position,
                    "title": item["title"],
                    "text": item["text"],
                    "source_section": item["source"]["section"],
                    "note": item["note"],
                },
            )
            codes.append(item["code"])
        self.plan.sections.exclude(code__in=codes).delete()


@transaction.atomic
def load_plan_document(
    document: dict[str, Any],
    *,
    file_name: str,
    sha256: str,
    actor: User | None,
    actor_label: str | None = None,
) -> tuple[Plan, PlanVersion | None]:
    """Create or update a plan from a validated document. Returns the new version, or None if
    the document is what is already loaded (loading the same file twice changes nothing)."""
    label = _label(actor, actor_label)
    document = with_status_defaults(document)
    owner = OrgUnit.objects.get(code=document["owner_unit"])
    plan = Plan.objects.select_for_update().filter(slug=document["slug"]).first()
    if (
        plan is not None
        and plan.current_version is not None
        and plan.current_version.content == document
    ):
        return plan, None
    first = plan is None
    plan = plan or Plan(slug=document["slug"])
    before = {} if first else _plan_state(plan)
    plan.title, plan.short_title, plan.owner_unit = (
        document["title"],
        document["short_title"],
        owner,
    )
    plan.source = document["source"]
    plan.period_start, plan.period_end = (
        _date(document["period"]["start"]),
        _date(document["period"]["end"]),
    )
    plan.period_as_written = document["period"]["as_written"]
    plan.fiscal_year_start_month = document["fiscal_year_start_month"]
    plan.approval_steps = document["approval"]["steps"]
    plan.higher_levels_see_unapproved = document["approval"]["higher_levels_see_unapproved"]
    plan.status_rules = document["status"]
    plan.save()
    number = (plan.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = PlanVersion.objects.create(
        plan=plan,
        number=number,
        created_by=actor,
        created_by_label=label,
        file_name=file_name,
        file_sha256=sha256,
        content=document,
    )
    writer = _PlanWriter(plan, version, actor, label, first)
    writer.write_levels(document["levels"])
    writer.write_elements(document["elements"], None)
    writer.retire_missing()
    writer.write_obligations(document["obligations"])
    writer.write_sections(document["sections"])
    writer.write_rules(document["rules"])
    plan_changes = diff(before, _plan_state(plan))
    if plan_changes and not first:
        writer.changes.insert(0, "plan.update: " + ", ".join(sorted(plan_changes)))
    version.changes = writer.changes if not first else [f"plan.create {plan.slug}"]
    version.save(update_fields=["changes"])
    plan.current_version = version
    plan.save(update_fields=["current_version"])
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="plan.create" if first else "plan.load",
        obj=plan,
        unit=owner,
        changes={"version": [number - 1 or None, number], **plan_changes},
        reason=f"{file_name} sha256:{sha256}",
    )
    if not first:
        # Baselines, targets and status rules may have changed: the dashboards follow at once.
        # (analysis builds on frameworks, so it is imported here, not at the top.)
        from wpstrack.analysis.refresh import refresh_plan

        refresh_plan(plan)
    return plan, version


def _plan_state(plan: Plan) -> dict[str, Any]:
    return {
        "title": plan.title,
        "short_title": plan.short_title,
        "owner_unit": plan.owner_unit.code,
        "source": plan.source,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "period_as_written": plan.period_as_written,
        "fiscal_year_start_month": plan.fiscal_year_start_month,
        "approval_steps": plan.approval_steps,
        "higher_levels_see_unapproved": plan.higher_levels_see_unapproved,
        "status_rules": plan.status_rules,
    }
