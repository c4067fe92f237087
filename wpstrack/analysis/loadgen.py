"""Synthetic load for the analysis benchmark (``wpstrack bench-analysis``): many plans, units,
quarterly rounds and approved values broken down by sex and age, in the configured database.

This is throwaway data for a benchmark database, never for a real one. The plans are real (loaded
by ``load_plan_document``, so elements, metrics and definitions are what a plan file makes), but
everything reported is written with plain ``bulk_create`` of model instances, not through the
reporting services: no checks, no audit rows, no notifications. Submissions are stored already
approved (submitted and approved by a generator account, with one approval row each) and the
figures are then rebuilt by ``refresh.refresh_plan`` as after a real approval.

At full scale (``Scale()``): 20 departments of 15 units each, one plan per department of 100
count and percentage metrics under 5 pillars x 4 actions (each action names 2 of its department's
units), 40 quarterly rounds (FY2016-Q1 .. FY2025-Q4), each unit's update of each of its actions
every period, and 15 values per metric, unit and period (sex x age band; the total is derived,
so not stored): 20 x 100 x 2 x 40 x 15 = 2.4M values.

Deterministic: each plan draws from its own generator seeded by the scale's seed and its number.
Resumable: each plan is written in one transaction with its rounds, values and statuses, and a
bench plan that exists is skipped. ``regenerate`` wipes the bench's own objects first (plans whose
slug starts with ``PLAN_PREFIX``, with their rounds, submissions, values and statuses); units,
people and the sex and age sets are kept and reused (audit rows, which are append-only, name the
department units).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from wpstrack.accounts.models import Membership, OrgUnit, Role, UnitKind, User
from wpstrack.analysis.models import MetricStatus
from wpstrack.analysis.refresh import refresh_plan
from wpstrack.frameworks.models import (
    Category,
    DisaggregationSet,
    Element,
    Metric,
    MetricDefinition,
    Plan,
    PlanVersion,
)
from wpstrack.frameworks.services import load_plan_document
from wpstrack.lib.periods import Period
from wpstrack.reporting.models import (
    ActionUpdate,
    Approval,
    Assignment,
    Reminder,
    ReportingRound,
    RoundState,
    Submission,
    SubmissionComment,
    SubmissionState,
    Value,
)

PLAN_PREFIX = "bench-analysis-"
UNIT_PREFIX = "BENCH-D"
GENERATOR_EMAIL = "bench-generator@example.org"
COORDINATOR_EMAIL = "bench-coordinator@example.org"
ACTOR_LABEL = "wpstrack bench-analysis (generated load)"
SEXES = [("women", "Women"), ("men", "Men"), ("other", "Other / not recorded")]
AGES = [
    ("under-18", "Under 18"),
    ("18-24", "18-24"),
    ("25-34", "25-34"),
    ("35-49", "35-49"),
    ("50-plus", "50 and over"),
]
COMBINATIONS = [f"sex={s}|age={a}" for s, _ in SEXES for a, _ in AGES]
METRICS_PER_ACTION = 5
ACTIONS_PER_PILLAR = 4
LAST_YEAR = 2025
FISCAL_START = 10  # as plan_document's plans: FY2025 runs from October 2024
TODAY = dt.date(2026, 1, 15)  # statuses are judged as of this day, so reruns agree
BATCH = 5000
HUNDRED = Decimal(100)
PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Scale:
    plans: int = 20
    units: int = 15  # per department; each plan belongs to one department
    metrics: int = 100  # per plan
    years: int = 10  # of quarterly rounds, ending with FY2025
    seed: int = 2025

    @property
    def signature(self) -> str:
        return (
            f"loadgen {self.plans} plans x {self.metrics} metrics, {self.units} units a "
            f"department, {self.years} years of quarters, seed {self.seed}; action updates"
        )

    @property
    def periods(self) -> list[Period]:
        first = LAST_YEAR - self.years + 1
        return [
            Period(year, quarter, FISCAL_START)
            for year in range(first, LAST_YEAR + 1)
            for quarter in range(1, 5)
        ]


@dataclass
class Report:
    generated: int = 0  # plans written now
    skipped: int = 0  # plans already there
    wiped: int = 0
    seconds: float = 0.0


def plan_slug(number: int) -> str:
    return f"{PLAN_PREFIX}{number:02d}"


def department_code(number: int) -> str:
    return f"{UNIT_PREFIX}{number:02d}"


def bench_plans() -> QuerySet[Plan]:
    return Plan.objects.filter(slug__startswith=PLAN_PREFIX).order_by("slug")


def coordinator() -> User:
    """The generated plan coordinator (of every bench department), for signing in."""
    return User.objects.get(email=COORDINATOR_EMAIL)


def generate(
    scale: Scale | None = None,
    *,
    regenerate: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Write the load (the plans not there yet) and return what was done and how long it took."""
    scale = scale or Scale()
    say = progress or (lambda message: None)
    started = time.perf_counter()
    report = Report()
    if regenerate:
        report.wiped = wipe()
        say(f"wiped {report.wiped} bench plan(s)")
    existing = dict(bench_plans().values_list("slug", "source"))
    foreign = sorted(s for s, src in existing.items() if src.get("note") != scale.signature)
    if foreign:
        raise ValueError(
            f"{', '.join(foreign[:3])} ... were generated at another scale or seed: "
            "regenerate to replace them"
        )
    with transaction.atomic():
        units = _units(scale)
        categories = _categories()
        generator = _people(scale, units)
    for number in range(1, scale.plans + 1):
        if plan_slug(number) in existing:
            report.skipped += 1
            continue
        began = time.perf_counter()
        with transaction.atomic():
            rows = _plan(scale, number, units[number], categories, generator)
        report.generated += 1
        say(f"{plan_slug(number)}: {rows} values in {time.perf_counter() - began:.1f} s")
    if report.generated and connection.vendor == "postgresql":
        # What autovacuum would soon do after so large a load: fresh planner statistics.
        with connection.cursor() as cursor:
            for model in (
                Value,
                Submission,
                ReportingRound,
                Assignment,
                ActionUpdate,
                MetricStatus,
            ):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    report.seconds = time.perf_counter() - started
    return report


@transaction.atomic
def wipe() -> int:
    """Delete the bench plans and everything reported for them; other plans are not touched."""
    plans = list(bench_plans())
    if not plans:
        return 0
    submissions = Submission.objects.filter(reporting_round__plan__in=plans)
    for model in (Value, Approval, ActionUpdate, SubmissionComment, Reminder):
        model.objects.filter(submission__in=submissions).delete()
    submissions.delete()
    Assignment.objects.filter(reporting_round__plan__in=plans).delete()
    ReportingRound.objects.filter(plan__in=plans).delete()
    MetricStatus.objects.filter(plan__in=plans).delete()
    Metric.objects.filter(plan__in=plans).update(current=None)
    MetricDefinition.objects.filter(metric__plan__in=plans).delete()
    Metric.objects.filter(plan__in=plans).delete()
    elements = Element.objects.filter(plan__in=plans)
    elements.update(parent=None)
    elements.delete()
    Plan.objects.filter(pk__in=[p.pk for p in plans]).update(current_version=None)
    PlanVersion.objects.filter(plan__in=plans).delete()
    Plan.objects.filter(pk__in=[p.pk for p in plans]).delete()
    return len(plans)


def _unit(code: str, name: str, kind: UnitKind, parent: OrgUnit | None) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is not None:
        return unit
    unit = OrgUnit.objects.create(code=code, name=name, short_name=code, kind=kind, parent=parent)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    return unit


def _units(scale: Scale) -> dict[int, list[OrgUnit]]:
    """Plan number -> [its department, then the department's units]."""
    department, _ = UnitKind.objects.get_or_create(
        key="bench-department", defaults={"name": "Bench department"}
    )
    office, _ = UnitKind.objects.get_or_create(key="bench-unit", defaults={"name": "Bench unit"})
    found = {}
    for number in range(1, scale.plans + 1):
        code = department_code(number)
        top = _unit(code, f"Generated department {number}", department, None)
        below = [
            _unit(f"{code}-U{u:02d}", f"Generated unit {number}.{u}", office, top)
            for u in range(1, scale.units + 1)
        ]
        found[number] = [top, *below]
    return found


def _categories() -> list[str]:
    """The sex set and an age set, made if missing (with the categories the load fills)."""
    for key, name, categories in (("sex", "Sex", SEXES), ("age", "Age band", AGES)):
        group, _ = DisaggregationSet.objects.get_or_create(key=key, defaults={"name": name})
        have = set(group.categories.values_list("key", flat=True))
        for position, (category, label) in enumerate(categories):
            if category not in have:
                Category.objects.create(
                    disaggregation_set=group, key=category, label=label, position=position
                )
    return COMBINATIONS


def _people(scale: Scale, units: dict[int, list[OrgUnit]]) -> User:
    generator = User.objects.filter(email=GENERATOR_EMAIL).first() or User.objects.create_user(
        email=GENERATOR_EMAIL, full_name="Load generator"
    )
    boss = User.objects.filter(email=COORDINATOR_EMAIL).first() or User.objects.create_user(
        email=COORDINATOR_EMAIL, full_name="Bench coordinator"
    )
    for found in units.values():
        for user in (generator, boss):
            Membership.objects.get_or_create(
                user=user, unit=found[0], defaults={"role": Role.COORDINATOR}
            )
    return generator


def document(scale: Scale, number: int) -> dict[str, Any]:
    """Plan ``number`` as a canonical plan document: pillars of actions of metrics."""
    from wpstrack.testing import plan_action, plan_document, plan_metric

    code = department_code(number)
    unit_codes = [f"{code}-U{u:02d}" for u in range(1, scale.units + 1)]
    actions = []
    made = 0
    action = 0
    while made < scale.metrics:
        action += 1
        metrics: list[dict[str, Any]] = []
        for _ in range(min(METRICS_PER_ACTION, scale.metrics - made)):
            made += 1
            pillar = (action - 1) // ACTIONS_PER_PILLAR + 1
            metrics.append(_metric(f"P{pillar}-A{action}-M{len(metrics) + 1}", made, plan_metric))
        first = (2 * (action - 1)) % len(unit_codes)
        pair = sorted({unit_codes[first], unit_codes[(first + 1) % len(unit_codes)]})
        item = plan_action(f"P{(action - 1) // ACTIONS_PER_PILLAR + 1}-A{action}", pair, metrics)
        item["title"] = f"Generated action {action}"
        actions.append(item)
    pillars = []
    for start in range(0, len(actions), ACTIONS_PER_PILLAR):
        pillar = start // ACTIONS_PER_PILLAR + 1
        pillars.append(
            {
                **plan_action(f"P{pillar}", [], []),
                "level": "pillar",
                "title": f"Generated pillar {pillar}",
                "children": actions[start : start + ACTIONS_PER_PILLAR],
            }
        )
    return plan_document(
        pillars,
        slug=plan_slug(number),
        title=f"Generated plan {number} (benchmark load)",
        owner_unit=code,
        source={
            "file": f"{plan_slug(number)}.yaml",
            "title": "Generated load",
            "publisher": "",
            "note": scale.signature,
            "date": None,
        },
        levels=[{"key": "pillar", "name": "Pillar"}, {"key": "action", "name": "Action"}],
    )


def _metric(code: str, serial: int, plan_metric: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Odd metrics count people, even ones are shares; every third has a baseline and targets."""
    kind = "count" if serial % 2 else "percentage"
    fields: dict[str, Any] = {"unit": "people" if kind == "count" else ""}
    if serial % 3 == 0:
        low, high = (20, 30) if kind == "percentage" else (250, 400)
        fields["baselines"] = [{"value": low, "period": "FY2020", "at": "FY2020"}]
        fields["targets"] = [{"value": high, "period": "2030", "at": "FY2030"}]
        if serial % 6 == 0:
            middle = (low + high) // 2
            fields["targets"].insert(0, {"value": middle, "period": "2025", "at": "FY2025"})
    return plan_metric(code, kind, ["sex", "age"], **fields)


def _plan(
    scale: Scale,
    number: int,
    units: list[OrgUnit],
    combinations: list[str],
    generator: User,
) -> int:
    content = document(scale, number)
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    plan, _ = load_plan_document(
        content,
        file_name=f"{plan_slug(number)}.yaml",
        sha256=digest,
        actor=None,
        actor_label=ACTOR_LABEL,
    )
    assert plan.current_version is not None
    rng = random.Random(f"{scale.seed}-{number}")  # noqa: S311 - synthetic figures, not secrets
    actions = [
        e
        for e in plan.elements.select_related("level")
        .prefetch_related("units", "metrics__current")
        .order_by("position")
        if e.level.key == "action"
    ]
    owed = [(e, list(e.units.all()), list(e.metrics.all())) for e in actions]
    periods = scale.periods
    rounds = ReportingRound.objects.bulk_create(
        [_round(plan, plan.current_version, p) for p in periods], batch_size=BATCH
    )
    Assignment.objects.bulk_create(
        (
            assignment
            for rnd in rounds
            for element, owners, metrics in owed
            for unit in owners
            for assignment in [
                *(
                    Assignment(
                        reporting_round=rnd,
                        unit=unit,
                        element=element,
                        metric=m,
                        definition=m.current,
                    )
                    for m in metrics
                ),
                Assignment(reporting_round=rnd, unit=unit, element=element),
            ]
        ),
        batch_size=BATCH,
    )
    reporting = sorted({u.pk for _, owners, _ in owed for u in owners})
    submissions = Submission.objects.bulk_create(
        [_submission(rnd, unit_id, generator) for rnd in rounds for unit_id in reporting],
        batch_size=BATCH,
    )
    Approval.objects.bulk_create(
        [
            Approval(
                submission=s,
                step=0,
                step_name="Plan coordinator",
                approver=generator,
                approved_at=_approved(s.reporting_round),
            )
            for s in submissions
        ],
        batch_size=BATCH,
    )
    by_cell = {(s.reporting_round_id, s.unit_id): s.pk for s in submissions}
    ActionUpdate.objects.bulk_create(_updates(rng, rounds, owed, by_cell), batch_size=BATCH)
    written = 0
    batch: list[Value] = []
    for value in _values(rng, rounds, owed, by_cell, combinations):
        batch.append(value)
        if len(batch) >= BATCH * 4:
            Value.objects.bulk_create(batch, batch_size=BATCH)
            written += len(batch)
            batch = []
    Value.objects.bulk_create(batch, batch_size=BATCH)
    written += len(batch)
    refresh_plan(plan, today=TODAY)
    return written


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def _round(plan: Plan, version: PlanVersion, period: Period) -> ReportingRound:
    due = period.end + dt.timedelta(days=30)
    return ReportingRound(
        plan=plan,
        plan_version=version,
        period=period.code,
        period_start=period.start,
        period_end=period.end,
        due_date=due,
        state=RoundState.CLOSED,
        created_at=_moment(period.start),
        opened_at=_moment(period.end),
        closed_at=_moment(due + dt.timedelta(days=30)),
    )


def _submitted(rnd: ReportingRound) -> dt.datetime:
    return _moment(rnd.due_date - dt.timedelta(days=5))


def _approved(rnd: ReportingRound) -> dt.datetime:
    return _moment(rnd.due_date + dt.timedelta(days=2))


def _closed(rnd: ReportingRound) -> dt.datetime:
    return _moment(rnd.due_date + dt.timedelta(days=30))


def _submission(rnd: ReportingRound, unit_id: int, generator: User) -> Submission:
    submitted, approved = _submitted(rnd), _approved(rnd)
    return Submission(
        reporting_round=rnd,
        unit_id=unit_id,
        state=SubmissionState.APPROVED,
        lock_version=3,
        approval_step=0,
        furthest_step=0,
        updated_at=approved,
        submitted_at=submitted,
        submitted_by=generator,
        approved_at=approved,
        approved_by=generator,
    )


ACTION_STATES = ["on_track"] * 6 + ["delayed", "not_started", "completed"]


def _updates(
    rng: random.Random,
    rounds: list[ReportingRound],
    owed: list[tuple[Element, list[OrgUnit], list[Metric]]],
    by_cell: dict[tuple[int, int], int],
) -> list[ActionUpdate]:
    """Each unit's update of each action it answers for, every period; every fourth action has
    a promised date, kept or not."""
    found = []
    for number, (element, owners, _metrics) in enumerate(owed):
        for unit in owners:
            for step, rnd in enumerate(rounds):
                milestones = []
                if number % 4 == 0:
                    due = rounds[-1].period_end - dt.timedelta(days=400)
                    done = rnd.period_end >= due and rng.random() < 0.7
                    milestones.append(
                        {
                            "title": f"Generated milestone {element.code}",
                            "due": due.isoformat(),
                            "done_on": due.isoformat() if done else None,
                        }
                    )
                found.append(
                    ActionUpdate(
                        submission_id=by_cell[(rnd.pk, unit.pk)],
                        element=element,
                        status=rng.choice(ACTION_STATES),
                        percent_complete=min(100, step * 100 // len(rounds) + rng.randint(0, 9)),
                        narrative="Generated update.",
                        milestones=milestones,
                        updated_at=_closed(rnd),
                    )
                )
    return found


def _values(
    rng: random.Random,
    rounds: list[ReportingRound],
    owed: list[tuple[Element, list[OrgUnit], list[Metric]]],
    by_cell: dict[tuple[int, int], int],
    combinations: list[str],
) -> Iterator[Value]:
    """Each metric and unit drifts from its own starting point, with noise, period by period."""
    for _element, owners, metrics in owed:
        for metric in metrics:
            definition = metric.current
            assert definition is not None
            share = definition.type == "percentage"
            for unit in owners:
                starts = [rng.randint(2, 15) for _ in combinations]
                drift = rng.uniform(-0.1, 0.25)
                for step, rnd in enumerate(rounds):
                    submission_id, closed = by_cell[(rnd.pk, unit.pk)], _closed(rnd)
                    for combination, start in zip(combinations, starts, strict=True):
                        count = max(0, round(start + drift * step) + rng.randint(-2, 2))
                        if share:
                            whole = count + rng.randint(10, 40)
                            numerator, denominator = Decimal(count), Decimal(whole)
                            number = (numerator / denominator * HUNDRED).quantize(PLACES)
                            yield Value(
                                submission_id=submission_id,
                                metric_id=metric.pk,
                                definition_id=definition.pk,
                                combination=combination,
                                number=number,
                                numerator=numerator,
                                denominator=denominator,
                                updated_at=closed,
                            )
                        else:
                            yield Value(
                                submission_id=submission_id,
                                metric_id=metric.pk,
                                definition_id=definition.pk,
                                combination=combination,
                                number=Decimal(count),
                                updated_at=closed,
                            )
