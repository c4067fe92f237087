"""The approval chain a plan declares: who decides a unit's submission, level by level.

Steps, in order, from the plan file's ``approval.steps``:
- ``unit``: reviewers of the submitting unit (or of a unit above it);
- ``ancestor:<kind>``: reviewers of the nearest unit of that kind at or above the submitting unit
  (e.g. ``ancestor:component`` for DHS, ``ancestor:mission`` for a mission's sections);
- ``coordinator``: the plan's coordinators.
A step that resolves to the same unit as the step before it is skipped (a component reporting for
itself is approved once at component level). With no steps declared, the unit's reviewers decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from wpstrack.accounts.models import OrgUnit

STEP_KINDS = ("unit", "coordinator")


@dataclass(frozen=True)
class Step:
    kind: str  # "reviewers" or "coordinator"
    unit: OrgUnit | None
    name: str


def valid_step(text: str, unit_kinds: set[str]) -> bool:
    if text in STEP_KINDS:
        return True
    prefix, _sep, kind = text.partition(":")
    return prefix == "ancestor" and kind in unit_kinds


def steps_for(submission: Any) -> list[Step]:
    plan = submission.reporting_round.plan
    unit: OrgUnit = submission.unit
    declared = plan.approval_steps or ["unit"]
    chain = [unit, *reversed(list(unit.ancestors()))]  # the unit, then each unit above it
    steps: list[Step] = []
    for text in declared:
        if text == "coordinator":
            steps.append(Step("coordinator", None, _("Plan coordinator acceptance")))
            continue
        if text == "unit":
            target: OrgUnit | None = unit
        else:
            kind = text.partition(":")[2]
            target = next((u for u in chain if u.kind.key == kind), None)
        if target is None or (steps and steps[-1].unit == target):
            continue
        steps.append(
            Step("reviewers", target, _("Review by %(unit)s") % {"unit": target.short_name})
        )
    return steps or [Step("reviewers", unit, _("Review by %(unit)s") % {"unit": unit.short_name})]


def current_step(submission: Any) -> Step | None:
    steps = steps_for(submission)
    if submission.state != "submitted" or submission.approval_step >= len(steps):
        return None
    return steps[submission.approval_step]


def reviewer_steps(user: Any, steps: list[Step]) -> list[int]:
    """The steps at which ``user`` reviews: a reviewer role on a step's unit, or on a unit above it
    that is still below the next step's unit (so an ICE reviewer decides at the ICE step, not at
    ERO's). Above the last reviewing step, any reviewer role counts for it."""
    from wpstrack.accounts import access
    from wpstrack.accounts.models import Role

    units = [m.unit for m in access.memberships(user) if m.role == Role.REVIEWER]
    reviewing = [i for i, step in enumerate(steps) if step.unit is not None]
    found = []
    for position, index in enumerate(reviewing):
        unit = steps[index].unit
        assert unit is not None
        upper = steps[reviewing[position + 1]].unit if position + 1 < len(reviewing) else None
        for held in units:
            covers = unit.path.startswith(held.path)
            belongs_higher = upper is not None and upper.path.startswith(held.path)
            if covers and not belongs_higher:
                found.append(index)
                break
    return found
