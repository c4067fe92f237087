"""Storing a submission's checked figures and action updates, with one audit row per change.

Bulk writes: a save of 5,000 cells is a handful of queries (one read, then one INSERT and one
UPDATE per batch for values, the same for action updates, and the audit rows), not one per cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from wpstrack.accounts.models import User
from wpstrack.audit.services import record_events
from wpstrack.frameworks.models import Element
from wpstrack.reporting import entry
from wpstrack.reporting.models import ActionUpdate, Submission, SubmissionState, Value
from wpstrack.reporting.rules import Cell

# Rows per UPDATE: bulk_update writes one CASE per column, which PostgreSQL evaluates per row,
# so one statement for 5,000 rows is slower than five of 1,000 (SQLite batches smaller anyway).
UPDATE_BATCH = 1000
VALUE_FIELDS = (
    "number",
    "numerator",
    "denominator",
    "currency",
    "text",
    "done",
    "done_on",
    "comment",
)


def store_entry(
    submission: Submission,
    plan: entry.EntryPlan,
    cleaned: dict[str, dict[str, Cell]],
    action_rows: dict[int, dict[str, Any]],
    *,
    actor: User | None,
    reason: str = "",
    actor_label: str | None = None,
    reasons: Mapping[str, str] | None = None,
) -> list[str]:
    """Store checked figures and action updates; return the changed cells ("CODE combo", "action CODE").

    ``cleaned`` and ``action_rows`` are what ``plan.check`` and ``plan.check_actions`` return;
    the caller has refused blocking errors and holds the transaction (and the submission's lock).
    A cell whose shown value is unchanged is left alone; an empty new cell with no comment is
    not created. Bulk writes: one query per kind of write (per database batch), not one per
    cell; one audit row per changed value / action update (``value.set``,
    ``action_update.set``) with its ``[old, new]`` changes, the unit and the reason
    (``reasons[metric code]`` for a value when given, e.g. the roster rule behind it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("store_entry must be called inside the caller's transaction")
    now = timezone.now()
    stored = _store_values(submission, plan, cleaned, now)
    stored += _store_actions(submission, plan, action_rows, now)
    record_events(
        [
            {
                "actor": actor,
                "actor_label": actor_label,
                "action": action,
                "obj": obj,
                "unit": submission.unit,
                "changes": differences,
                "reason": (reasons or {}).get(cell.split(" ", 1)[0], reason)
                if action == "value.set"
                else reason,
            }
            for cell, action, obj, differences in stored
        ]
    )
    return [cell for cell, _action, _obj, _differences in stored]


def touch_draft(submission: Submission) -> str:
    """After a bulk store that changed cells: the report is a draft again, one version on.
    Returns the state it had, for the caller's audit row (a returned report becomes a draft)."""
    old_state = submission.state
    submission.state = SubmissionState.DRAFT
    submission.lock_version += 1
    submission.updated_at = timezone.now()
    submission.save(update_fields=["state", "lock_version", "updated_at"])
    return old_state


# What a helper stored: (changed cell, audit action, the saved row, its [old, new] changes).
Stored = tuple[str, str, models.Model, dict[str, list[Any]]]


def _store_values(
    submission: Submission,
    plan: entry.EntryPlan,
    cleaned: dict[str, dict[str, Cell]],
    now: dt.datetime,
) -> list[Stored]:
    """Write the changed values in bulk; the caller audits them (new rows have their ids by then)."""
    existing = {(v.metric_id, v.combination): v for v in submission.values.all()}
    stored: list[Stored] = []
    created: list[Value] = []
    updated: list[Value] = []
    fields: set[str] = set()
    for item in plan.metrics:
        for combo, cell in cleaned.get(item.code, {}).items():
            new = {key: getattr(cell, key) for key in VALUE_FIELDS}
            row = existing.get((item.metric.pk, combo))
            old = {k: getattr(row, k) for k in new} if row else {k: None for k in new}
            differences = {
                k: [_show(old[k]), _show(v)] for k, v in new.items() if _show(old[k]) != _show(v)
            }
            if not differences:
                continue
            if row is None:
                if cell.is_empty and not cell.comment:
                    continue
                row = Value(submission=submission, combination=combo)
                created.append(row)
            else:
                updated.append(row)
                fields.update(differences)
            for key, value in new.items():
                setattr(row, key, value)
            # The same metric (same pk): set so the audit's str(row) needs no query per row.
            row.metric = item.metric
            row.definition, row.updated_at = item.definition, now
            stored.append((f"{item.code} {combo or 'total'}", "value.set", row, differences))
    if created:
        Value.objects.bulk_create(created)
    if updated:
        # Only the columns that changed in some row: a column whose shown value is the same
        # holds the same stored value (see _show), so leaving it alone is writing it again.
        columns = [key for key in VALUE_FIELDS if key in fields]
        Value.objects.bulk_update(
            updated, [*columns, "definition", "updated_at"], batch_size=UPDATE_BATCH
        )
    return stored


def same_value(old: Any, new: Any) -> bool:
    """Whether storing ``new`` over ``old`` would change a value (as the audit compares them)."""
    return bool(_show(old) == _show(new))


def _show(value: Any) -> Any:
    """Compare and audit values as text, so Decimal('5') and Decimal('5.0000') are the same."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value) if not isinstance(value, bool) else value


def _store_actions(
    submission: Submission,
    plan: entry.EntryPlan,
    rows: dict[int, dict[str, Any]],
    now: dt.datetime,
) -> list[Stored]:
    """Write the changed action updates in bulk; the caller audits them, as for values."""
    if not rows:  # a bulk store of figures only (a roster run) reads no action update
        return []
    existing = {u.element_id: u for u in submission.action_updates.all()}
    elements = {element.pk: element for element in plan.actions}
    missing = set(rows) - set(elements)
    if missing:
        elements.update(Element.objects.in_bulk(missing))
    stored: list[Stored] = []
    created: list[ActionUpdate] = []
    updated: list[ActionUpdate] = []
    fields: set[str] = set()
    for element_id, new in rows.items():
        update = existing.get(element_id)
        old = {k: getattr(update, k) for k in new} if update else {k: None for k in new}
        differences = {k: [old[k], v] for k, v in new.items() if (old[k] or None) != (v or None)}
        if not differences:
            continue
        if update is None:
            update = ActionUpdate(submission=submission, element=elements[element_id])
            created.append(update)
        else:
            update.element = elements[element_id]
            updated.append(update)
            fields.update(new)
        for key, value in new.items():
            setattr(update, key, value)
        update.updated_at = now
        stored.append((f"action {update.element.code}", "action_update.set", update, differences))
    if created:
        ActionUpdate.objects.bulk_create(created)
    if updated:
        ActionUpdate.objects.bulk_update(
            updated, [*sorted(fields), "updated_at"], batch_size=UPDATE_BATCH
        )
    return stored
