"""Preparing, opening and closing reporting rounds, and adjusting their assignments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wpstrack.accounts import access
from wpstrack.accounts.models import OrgUnit, User
from wpstrack.audit.services import record_event
from wpstrack.frameworks.models import Element, Plan
from wpstrack.lib.errors import Conflict, NotAllowed, ServiceError
from wpstrack.lib.periods import Period, PeriodError
from wpstrack.reporting.models import Assignment, ReportingRound, RoundState, Submission


def _responsible_units(element: Element, by_id: Mapping[int, Element]) -> list[OrgUnit]:
    """The element's own units, or those of the nearest element above that names any."""
    current: Element | None = element
    while current is not None:
        units = list(current.units.all())
        if units:
            return units
        current = by_id.get(current.parent_id) if current.parent_id else None
    return []


@transaction.atomic
def create_round(
    *,
    plan: Plan,
    period: str,
    due_date: dt.date,
    actor: User | None,
    actor_label: str | None = None,
) -> ReportingRound:
    """Prepare a round: each responsible unit gets exactly the metrics and actions it owns.
    The coordinator may adjust the assignments before opening it."""
    if actor is not None and not access.can_edit_plan(actor, plan):
        raise NotAllowed("not-plan-coordinator", _("Only the plan's coordinators open rounds."))
    try:
        parsed = Period.parse(period, plan.fiscal_year_start_month)
    except PeriodError as error:
        raise ServiceError("bad-period", str(error), field="period") from None
    if ReportingRound.objects.filter(plan=plan, period=parsed.code).exists():
        raise Conflict(
            "round-exists",
            _("%(plan)s already has a round for %(period)s.")
            % {"plan": plan.slug, "period": parsed.code},
            field="period",
        )
    if due_date < parsed.start:
        raise ServiceError(
            "due-before-period",
            _("The due date %(due)s is before the period starts (%(start)s).")
            % {"due": due_date, "start": parsed.start},
            field="due_date",
        )
    if plan.current_version is None:
        raise ServiceError("plan-not-loaded", _("The plan has no loaded version."))
    reporting_round = ReportingRound.objects.create(
        plan=plan,
        plan_version=plan.current_version,
        period=parsed.code,
        period_start=parsed.start,
        period_end=parsed.end,
        due_date=due_date,
    )
    elements = list(
        plan.elements.filter(retired_in=None).prefetch_related("units", "metrics__current")
    )
    by_id = {e.pk: e for e in elements}
    has_children = {e.parent_id for e in elements}
    rows = []
    for element in elements:
        units = _responsible_units(element, by_id)
        metrics = [m for m in element.metrics.all() if m.retired_in_id is None and m.current_id]
        for unit in units:
            rows += [
                Assignment(
                    reporting_round=reporting_round,
                    unit=unit,
                    element=element,
                    metric=m,
                    definition=m.current,
                )
                for m in metrics
            ]
            if element.pk not in has_children and element.units.exists():
                rows.append(Assignment(reporting_round=reporting_round, unit=unit, element=element))
    Assignment.objects.bulk_create(rows)
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="round.create",
        obj=reporting_round,
        unit=plan.owner_unit,
        changes={
            "period": [None, parsed.code],
            "due_date": [None, due_date],
            "assignments": [None, len(rows)],
        },
    )
    return reporting_round


@transaction.atomic
def open_round(
    *, reporting_round: ReportingRound, actor: User | None, actor_label: str | None = None
) -> ReportingRound:
    """Open a prepared round: each assigned unit gets its (empty) draft submission."""
    _require_manager(reporting_round, actor)
    if reporting_round.state != RoundState.DRAFT:
        raise Conflict(
            "round-not-draft",
            _("This round is already %(state)s.") % {"state": reporting_round.get_state_display()},
        )
    unit_ids = set(reporting_round.assignments.values_list("unit_id", flat=True))
    Submission.objects.bulk_create(
        [Submission(reporting_round=reporting_round, unit_id=u) for u in unit_ids]
    )
    reporting_round.state, reporting_round.opened_at = RoundState.OPEN, timezone.now()
    reporting_round.save(update_fields=["state", "opened_at"])
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="round.open",
        obj=reporting_round,
        unit=reporting_round.plan.owner_unit,
        changes={"state": ["draft", "open"]},
    )
    return reporting_round


@transaction.atomic
def close_round(
    *, reporting_round: ReportingRound, actor: User | None, actor_label: str | None = None
) -> ReportingRound:
    """Close a round: it is frozen; nothing in it can change any more."""
    _require_manager(reporting_round, actor)
    if reporting_round.state != RoundState.OPEN:
        raise Conflict("round-not-open", _("Only an open round can be closed."))
    reporting_round.state, reporting_round.closed_at = RoundState.CLOSED, timezone.now()
    reporting_round.save(update_fields=["state", "closed_at"])
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="round.close",
        obj=reporting_round,
        unit=reporting_round.plan.owner_unit,
        changes={"state": ["open", "closed"]},
    )
    return reporting_round


@transaction.atomic
def remove_assignment(*, assignment: Assignment, actor: User) -> None:
    """Before opening, a coordinator may take an item off a unit's list."""
    reporting_round = assignment.reporting_round
    _require_manager(reporting_round, actor)
    if reporting_round.state != RoundState.DRAFT:
        raise Conflict("round-not-draft", _("Assignments can change only before the round opens."))
    record_event(
        actor=actor,
        action="assignment.delete",
        obj=assignment,
        unit=assignment.unit,
        changes={
            "unit": [assignment.unit.code, None],
            "item": [
                assignment.metric.code if assignment.metric else assignment.element.code,
                None,
            ],
        },
    )
    assignment.delete()


@transaction.atomic
def add_assignment(
    *,
    reporting_round: ReportingRound,
    unit: OrgUnit,
    item: str,
    actor: User | None,
    actor_label: str | None = None,
) -> Assignment:
    """Before opening, a coordinator may give a unit one more item: a metric code (its figures)
    or an element code (that action's status)."""
    _require_manager(reporting_round, actor)
    if reporting_round.state != RoundState.DRAFT:
        raise Conflict("round-not-draft", _("Assignments can change only before the round opens."))
    plan = reporting_round.plan
    metric = (
        plan.metrics.filter(code=item, retired_in=None).select_related("element", "current").first()
    )
    element = metric.element if metric else plan.elements.filter(code=item, retired_in=None).first()
    if element is None:
        raise ServiceError(
            "unknown-item",
            _("%(item)s is neither a metric nor an element of %(plan)s.")
            % {"item": item, "plan": plan.slug},
            field="item",
        )
    existing = reporting_round.assignments.filter(unit=unit, element=element, metric=metric)
    if existing.exists():
        raise Conflict(
            "already-assigned",
            _("%(unit)s already owes %(item)s.") % {"unit": unit.code, "item": item},
            field="item",
        )
    assignment = Assignment.objects.create(
        reporting_round=reporting_round,
        unit=unit,
        element=element,
        metric=metric,
        definition=metric.current if metric else None,
    )
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="assignment.create",
        obj=assignment,
        unit=unit,
        changes={"unit": [None, unit.code], "item": [None, item]},
    )
    return assignment


def _require_manager(reporting_round: ReportingRound, actor: User | None) -> None:
    if actor is not None and not access.can_manage_round(actor, reporting_round):
        raise NotAllowed(
            "not-plan-coordinator", _("Only the plan's coordinators manage its rounds.")
        )
