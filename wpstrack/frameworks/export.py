"""A loaded plan written back out: the canonical document as YAML or JSON (round-trips)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from wpstrack.frameworks.models import Element, Plan


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as the database holds it now, in the plan-file shape (retired parts left out)."""
    elements = list(
        plan.elements.filter(retired_in=None)
        .select_related("level", "parent")
        .prefetch_related("units", "tags__tag_set", "metrics__current")
    )
    by_parent: dict[int | None, list[Element]] = {}
    for element in elements:
        by_parent.setdefault(element.parent_id, []).append(element)

    def tree(parent_id: int | None) -> list[dict[str, Any]]:
        return [_element(e, tree(e.pk)) for e in by_parent.get(parent_id, [])]

    return {
        "format": "wpstrack-plan/1",
        "slug": plan.slug,
        "title": plan.title,
        "short_title": plan.short_title,
        "owner_unit": plan.owner_unit.code,
        "source": plan.source,
        "period": {
            "start": plan.period_start.isoformat() if plan.period_start else None,
            "end": plan.period_end.isoformat() if plan.period_end else None,
            "as_written": plan.period_as_written,
        },
        "fiscal_year_start_month": plan.fiscal_year_start_month,
        "approval": {
            "steps": plan.approval_steps,
            "higher_levels_see_unapproved": plan.higher_levels_see_unapproved,
        },
        "status": plan.status_rules,
        "levels": [{"key": level.key, "name": level.name} for level in plan.levels.all()],
        "sections": [
            {
                "code": s.code,
                "title": s.title,
                "text": s.text,
                "source": {"section": s.source_section},
                "note": s.note,
            }
            for s in plan.sections.all()
        ],
        "obligations": [
            {
                "code": o.code,
                "title": o.title,
                "text": o.text,
                "cadence": o.cadence,
                "due": o.due,
                "years": o.years,
                "units": sorted(u.code for u in o.units.all()),
                "responsible_as_written": o.responsible_as_written,
                "source": {"section": o.source_section},
                "note": o.note,
            }
            for o in plan.obligations.prefetch_related("units")
        ],
        "elements": tree(None),
        "rules": [
            {
                "code": r.code,
                "when_missing": r.when_missing,
                "left": r.left,
                "right": r.right,
                "operator": r.operator,
                "message": r.message,
            }
            for r in plan.rules.all()
        ],
    }


def _element(element: Element, children: list[dict[str, Any]]) -> dict[str, Any]:
    source: dict[str, Any] = {"section": element.source_section}
    if element.source_page is not None:
        source["page"] = element.source_page
    return {
        "code": element.code,
        "level": element.level.key,
        "title": element.title,
        "text": element.text,
        "responsible_as_written": element.responsible_as_written,
        "units": sorted(u.code for u in element.units.all()),
        "outcomes": element.outcomes,
        "tags": sorted(t.ref for t in element.tags.all()),
        "needs_indicators": element.needs_indicators,
        "source": source,
        "note": element.note,
        "metrics": [
            _metric(m) for m in element.metrics.all() if m.retired_in_id is None and m.current
        ],
        "children": children,
    }


def _metric(metric: Any) -> dict[str, Any]:
    d = metric.current
    found = {
        "code": metric.code,
        "text": d.text,
        "type": d.type,
        "unit": d.unit,
        "direction": d.direction,
        "compare_previous": d.compare_previous,
        "disaggregation": d.disaggregation,
        "frequency": d.frequency,
        "sensitive": d.sensitive,
        "source_text": d.source_text,
        "appendix_text": d.appendix_text,
        "note": d.note,
        "baselines": d.baselines,
        "targets": d.targets,
        "plausible": d.plausible,
        "scale": d.scale,
        "status": d.status_rule,
    }
    if d.source:  # as the plan file has it: only where the metric has one
        found["source"] = d.source
    return found


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
