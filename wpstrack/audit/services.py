"""Writing audit rows. Every other app's services call ``record_event`` in their transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from django.db import models, transaction

from wpstrack.audit.models import AuditEvent

if TYPE_CHECKING:
    from wpstrack.accounts.models import OrgUnit, User


class Event(TypedDict):
    """One audit row for ``record_events``: the keyword arguments of ``record_event``."""

    actor: User | None
    action: str
    obj: models.Model
    changes: NotRequired[dict[str, list[Any]] | None]
    unit: NotRequired[OrgUnit | None]
    reason: NotRequired[str]
    actor_label: NotRequired[str | None]


def _plain(value: Any) -> Any:
    """Store values as JSON-friendly text so old values stay readable after schema changes."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose value differs, as ``{field: [old, new]}``."""
    changes: dict[str, list[Any]] = {}
    for field in sorted(set(before) | set(after)):
        old, new = _plain(before.get(field)), _plain(after.get(field))
        if old != new:
            changes[field] = [old, new]
    return changes


def record_event(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    changes: dict[str, list[Any]] | None = None,
    unit: OrgUnit | None = None,
    reason: str = "",
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one audit row. Must run inside the caller's transaction, so both land or neither."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must be called inside the service's transaction")
    event = _event(
        actor=actor,
        action=action,
        obj=obj,
        changes=changes,
        unit=unit,
        reason=reason,
        actor_label=actor_label,
    )
    event.save(force_insert=True)
    return event


def record_events(events: Iterable[Event]) -> list[AuditEvent]:
    """Append many audit rows in as few INSERTs as the database allows (one per batch), in order.
    Each is the row ``record_event`` would write; the objects must already be saved (have a pk).
    Must run inside the caller's transaction, so both land or neither."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events must be called inside the service's transaction")
    rows = []
    for event in events:
        if event["obj"].pk is None:
            raise ValueError(f"record_events needs saved objects, not {event['obj']!r}")
        rows.append(_event(**event))
    # Plain INSERTs of new rows only: no ignore/update_conflicts, so nothing written is changed.
    return AuditEvent.objects.bulk_create(rows) if rows else []


def _event(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    changes: dict[str, list[Any]] | None = None,
    unit: OrgUnit | None = None,
    reason: str = "",
    actor_label: str | None = None,
) -> AuditEvent:
    """The (unsaved) audit row for one change."""
    label = actor_label or (actor.email if actor is not None else "system")
    return AuditEvent(
        actor=actor,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        unit=unit,
        changes={
            field: [_plain(value) for value in pair] for field, pair in (changes or {}).items()
        },
        reason=reason,
    )
