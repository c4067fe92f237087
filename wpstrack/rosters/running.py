"""Running a roster against a round: aggregate the file, then fill the units' drafts in one go.

The engine reads the file outside any transaction (it can take seconds); the writes that follow
are one transaction: every unit's draft is checked by the entry rules and stored with
``store_entry`` (one audit row per changed cell, naming the file, its digest, the mapping and the
rule), or nothing is written at all. Drafts are never submitted by a run.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wpstrack.accounts import access
from wpstrack.accounts.models import OrgUnit, User
from wpstrack.audit.services import record_event
from wpstrack.frameworks.models import Category
from wpstrack.lib.errors import Conflict, NotAllowed, ServiceError
from wpstrack.reporting.entry import EntryPlan
from wpstrack.reporting.models import ReportingRound, Submission, SubmissionState
from wpstrack.reporting.services.storing import store_entry, touch_draft
from wpstrack.rosters import compute, engine, services, spec
from wpstrack.rosters.models import RosterMapping, RosterRun, RosterUpload

EDITABLE = (SubmissionState.DRAFT, SubmissionState.RETURNED)


@dataclass
class Prepared:
    """The rules resolved against the round, and which unit reports which metric."""

    rules: list[compute.RulePlan] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    units: dict[str, list[str]] = field(default_factory=dict)  # metric code -> unit codes


def unit_lookup(extra: Mapping[str, str]) -> dict[str, str]:
    """Spellings of units a roster may use -> unit code: codes and short names, plus the mapping's."""
    units = list(OrgUnit.objects.values_list("code", "short_name"))
    # Short names first, so a code always wins over a short name spelled the same.
    lookup = {short.strip().lower(): code for code, short in units}
    lookup |= {code.lower(): code for code, _short in units}
    for spelling, code in extra.items():
        lookup[str(spelling).strip().lower()] = code
    return lookup


def age_bands() -> list[str]:
    return list(
        Category.objects.filter(disaggregation_set__key="age").values_list("key", flat=True)
    )


def prepare(parsed: Any, reporting_round: ReportingRound) -> Prepared:
    """Resolve each rule to its metric's definition in this round; refuse rules the round lacks."""
    prepared = Prepared()
    assignments = (
        reporting_round.assignments.filter(metric__isnull=False)
        .select_related("metric", "definition", "unit", "metric__current")
        .order_by("unit__code")
    )
    by_metric: dict[str, list[Any]] = {}
    for assignment in assignments:
        assert assignment.metric is not None
        by_metric.setdefault(assignment.metric.code, []).append(assignment)
    for index, rule in enumerate(parsed.rules):
        found = by_metric.get(rule.metric)
        if not found:
            prepared.problems.append(
                {
                    "code": "metric-not-in-round",
                    "path": f"rules[{index}].metric",
                    "message": _(
                        "Metric %(metric)s is not asked for in %(period)s: no unit would get its "
                        "figure. Add it to the round, or run the roster against another round."
                    )
                    % {"metric": rule.metric, "period": reporting_round.period},
                }
            )
            continue
        definition = found[0].definition or found[0].metric.current
        rule_plan, problems = compute.plan_rule(
            index, rule, definition, tuple(rule.where), has_unit="unit" in parsed.columns
        )
        prepared.problems += [p.as_dict() for p in problems]
        if rule_plan is not None:
            prepared.rules.append(rule_plan)
            prepared.units[rule.metric] = [a.unit.code for a in found]
    return prepared


def run_roster(
    *,
    upload: RosterUpload,
    mapping: RosterMapping,
    reporting_round: ReportingRound,
    accept_share: Decimal = Decimal(0),
    actor: User,
) -> RosterRun:
    """Aggregate the roster with the mapping and fill the round's drafts; return the run.

    A run whose unreadable rows exceed ``accept_share`` percent, or whose figures break an entry
    rule, writes no value: it is kept as a refused run with its reasons. Raises ServiceError for
    what must be fixed before any run (access, a closed round, a mapping that does not fit)."""
    if mapping.plan_id != upload.plan_id:
        raise ServiceError(
            "wrong-plan",
            _("The file, the mapping and the round must belong to the same plan."),
            field="mapping",
        )
    parsed, problems = services.check_mapping(mapping.plan, mapping.spec)
    if parsed is None or problems:
        raise services.InvalidMapping(problems)
    prepared = preflight(parsed=parsed, upload=upload, reporting_round=reporting_round, actor=actor)
    started = time.perf_counter()
    try:
        result = engine.aggregate(
            services.upload_path(upload),
            upload.fmt,
            parsed,
            start=reporting_round.period_start,
            end=reporting_round.period_end,
            units=unit_lookup(parsed.values.get("unit", {})),
            age_bands=age_bands(),
            measures=[rule.engine for rule in prepared.rules],
        )
    except engine.RosterFileError as error:
        raise ServiceError(error.code, error.message, field="file") from None
    run = _new_run(upload, mapping, reporting_round, accept_share, actor, result)
    if not run.rows_read:  # a header alone: written, its zeros would overwrite every draft
        message = _(
            "The file has no rows under its header row: there is nothing to count. "
            "Check that you chose the right file or export, then upload it again."
        )
        return _finish_refused(run, upload, started, [{"code": "no-rows", "message": message}])
    share = Decimal(run.unreadable_share).quantize(Decimal("0.01"))
    # Compared exactly (unreadable / rows > accepted / 100): the rounded share shown in the
    # message would let 1 bad row in 100,000 pass as 0.00% with nothing accepted.
    if run.unreadable * 100 > accept_share * run.rows_read:
        message = _(
            "%(n)s of %(rows)s rows (%(share)s%%) cannot be read, more than the "
            "%(accept)s%% you accepted: fix the mapping or the file, or accept that share."
        ) % {"n": run.unreadable, "rows": run.rows_read, "share": share, "accept": accept_share}
        refusal = [{"code": "too-many-unreadable-rows", "message": message}]
        return _finish_refused(run, upload, started, refusal)
    return _write(run, upload, prepared, result, started)


def header_problems(parsed: Any, headers: list[str]) -> list[dict[str, str]]:
    """The mapping's columns the file lacks, as problem dicts (the file's headers in each message)."""
    return [services.as_problem(p) for p in spec.check_against_headers(parsed, headers)]


def preflight(
    *, parsed: Any, upload: RosterUpload, reporting_round: ReportingRound, actor: User
) -> Prepared:
    """Everything a run needs before the file is read: the actor may run it, the file and the
    round are of one plan, the round is open, the file has the mapped columns and every rule
    fits a metric the round asks for. The page calls it before saving a mapping to run, so a
    run refused here leaves nothing behind."""
    if not access.can_manage_round(actor, reporting_round):
        raise NotAllowed(
            "cannot-use-rosters",
            _("Only the plan's coordinators run rosters into its rounds."),
        )
    if upload.plan_id != reporting_round.plan_id:
        raise ServiceError(
            "wrong-plan",
            _("The file, the mapping and the round must belong to the same plan."),
            field="reporting_round",
        )
    if reporting_round.state != "open":
        raise Conflict(
            "round-not-open",
            _("%(period)s is not open: a roster fills drafts of an open round.")
            % {"period": reporting_round.period},
            field="reporting_round",
        )
    missing = header_problems(parsed, upload.headers)
    prepared = prepare(parsed, reporting_round)
    if missing or prepared.problems:
        raise services.InvalidMapping(missing + prepared.problems)
    return prepared


def _new_run(
    upload: RosterUpload,
    mapping: RosterMapping,
    reporting_round: ReportingRound,
    accept_share: Decimal,
    actor: User,
    result: Any,
) -> RosterRun:
    return RosterRun(
        plan=mapping.plan,
        mapping=mapping,
        mapping_version=mapping.version,
        spec=mapping.spec,
        reporting_round=reporting_round,
        file_name=upload.file_name,
        fmt=upload.fmt,
        size=upload.size,
        sha256=upload.sha256,
        rows_read=result.rows_read,
        rows_counted=result.rows_counted,
        unreadable=result.unreadable,
        duplicates=result.duplicates,
        accepted_share=accept_share,
        problems=[_summary(p) for p in result.problems.values()],
        actor=actor,
    )


def _summary(problem: Any) -> dict[str, Any]:
    """A problem as kept: code, field, count, row numbers and unknown spellings (no values),
    unless they look like names or ids (engine.looks_personal): then only how many there are."""
    spellings = list(problem.spellings)
    withheld = engine.looks_personal(len(spellings), problem.count)
    return {
        "code": problem.code,
        "field": problem.field,
        "count": problem.count,
        "rows": list(problem.rows)[:10],
        "spellings": [] if withheld else [[s, n] for s, n in spellings[:20]],
        "spellings_withheld": len(spellings) if withheld else 0,
    }


def _finish_refused(
    run: RosterRun, upload: RosterUpload, started: float, refusal: list[dict[str, Any]]
) -> RosterRun:
    """Keep the run as refused, with its reasons (the first says what to do), writing nothing."""
    run.state, run.refusal = RosterRun.REFUSED, refusal
    run.seconds = time.perf_counter() - started
    with transaction.atomic():
        run.save()
        record_event(
            actor=run.actor,
            action="roster.refused",
            obj=run,
            unit=run.plan.owner_unit,
            changes=_run_changes(run),
        )
    return run


def _run_changes(run: RosterRun) -> dict[str, list[Any]]:
    rules = [f"{r['metric']} {r['measure']}" for r in run.spec.get("rules", [])]
    return {
        "file": [None, run.file_name],
        "sha256": [None, run.sha256],
        "rows": [None, run.rows_read],
        "unreadable": [None, run.unreadable],
        "mapping": [None, f"{run.mapping.name} v{run.mapping_version}"],
        "rules": [None, rules],
        "round": [None, run.reporting_round.period],
    }


def _write(
    run: RosterRun, upload: RosterUpload, prepared: Prepared, result: Any, started: float
) -> RosterRun:
    """Check every unit's cells with the entry rules, then store them all with the run, or nothing."""
    tree = compute.UnitTree.load()
    why = _(
        "Computed from roster %(file)s (SHA-256 %(sha)s, %(rows)s rows) by mapping %(name)s v%(v)s"
    ) % {
        "file": run.file_name,
        "sha": run.sha256[:12],
        "rows": run.rows_read,
        "name": run.mapping.name,
        "v": run.mapping_version,
    }
    with transaction.atomic():
        submissions = {
            s.unit.code: s
            for s in Submission.objects.select_for_update()
            .filter(reporting_round=run.reporting_round)
            .select_related("unit", "reporting_round__plan")
        }
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        writes: list[tuple[Submission, EntryPlan, Any]] = []
        codes = sorted({u for units in prepared.units.values() for u in units} & submissions.keys())
        skipped = [
            {"unit": code, "state": submissions[code].state}
            for code in codes
            if submissions[code].state not in EDITABLE
        ]
        editable = [submissions[code] for code in codes if submissions[code].state in EDITABLE]
        plans = EntryPlan.for_submissions(editable)
        for submission in editable:
            code, plan = submission.unit.code, plans[submission.pk]
            values, rows = _unit_values(prepared, result, plan, code, tree)
            cleaned, found = plan.check(values)
            errors += [{"unit": code, **e.as_dict()} for e in found if e.blocking]
            results += rows
            writes.append((submission, plan, cleaned))
        if not errors:
            run.results, run.skipped = results, skipped
            rules = {rule.metric_code: _rule_text(rule) for rule in prepared.rules}
            reasons = {code: f"{why}; {rule}" for code, rule in rules.items()}
            for submission, plan, cleaned in writes:
                # Each value's audit row names the rule behind it (reasons per metric).
                changed = store_entry(
                    submission, plan, cleaned, {}, actor=run.actor, reason=why, reasons=reasons
                )
                _mark_changed(run, submission, changed, why)
            _finish_done(run, upload, started)
            return run
    message = _(
        "The computed figures break entry rules (below): nothing was written. Check the "
        "mapping's rules and filters."
    )
    refusal = [{"code": "figures-break-rules", "message": message}, *errors[:50]]
    return _finish_refused(run, upload, started, refusal)


def _rule_text(rule: compute.RulePlan) -> str:
    """A rule as the audit shows it: 'rule 1.1-A2-M1 = share_women where leadership equals Y'."""
    where = "; ".join(f"{f.field} {f.op} {', '.join(f.values)}".strip() for f in rule.engine.where)
    text = _("rule %(metric)s = %(measure)s") % {
        "metric": rule.metric_code,
        "measure": rule.measure,
    }
    return f"{text} where {where}" if where else text


def _unit_values(
    prepared: Prepared, result: Any, plan: EntryPlan, code: str, tree: compute.UnitTree
) -> tuple[dict[str, dict[str, dict[str, str]]], list[dict[str, Any]]]:
    items = {item.code: item for item in plan.metrics}
    values: dict[str, dict[str, dict[str, str]]] = {}
    rows = []
    for rule in prepared.rules:
        item = items.get(rule.metric_code)
        if item is None or code not in prepared.units.get(rule.metric_code, []):
            continue
        cells, figures, unplaced = compute.cells_for_unit(
            rule, result.values.get(rule.engine.key, {}), code, item.combos, tree
        )
        values[rule.metric_code] = cells
        row = {
            "unit": code,
            "metric": rule.metric_code,
            "measure": rule.measure,
            "total": compute.total_of(rule, figures),
            "cells": len(cells),
        }
        if not compute.is_empty(unplaced):
            row["unplaced"] = compute.total_of(rule, {"": unplaced})
        rows.append(row)
    return values, rows


def _mark_changed(run: RosterRun, submission: Submission, changed: list[str], why: str) -> None:
    for row in run.results:
        if row["unit"] == submission.unit.code:
            row["changed"] = [c for c in changed if c.split(" ", 1)[0] == row["metric"]]
    if not changed:
        return
    old_state = touch_draft(submission)
    record_event(
        actor=run.actor,
        action="submission.roster",
        obj=submission,
        unit=submission.unit,
        changes={
            "file": [None, run.file_name],
            "sha256": [None, run.sha256],
            "mapping": [None, f"{run.mapping.name} v{run.mapping_version}"],
            "cells": [None, changed],
            "state": [old_state, submission.state],
        },
        reason=why,
    )


def _finish_done(run: RosterRun, upload: RosterUpload, started: float) -> None:
    """Save a done run with its audit row and let the file go, now or after the retention time.
    Runs inside the caller's transaction: the values, the run and its audit land together."""
    run.state = RosterRun.DONE
    run.seconds = time.perf_counter() - started
    if settings.ROSTER_RETENTION_HOURS == 0:
        run.file_deleted_at = timezone.now()
    run.save()
    record_event(
        actor=run.actor,
        action="roster.run",
        obj=run,
        unit=run.plan.owner_unit,
        changes={
            **_run_changes(run),
            "values": [None, sum(len(r.get("changed", [])) for r in run.results)],
        },
    )
    if settings.ROSTER_RETENTION_HOURS == 0:
        services.discard_upload(upload=upload, actor=None, reason=_("Run done"))
    else:
        upload.expires_at = timezone.now() + timedelta(hours=settings.ROSTER_RETENTION_HOURS)
        upload.save(update_fields=["expires_at"])
