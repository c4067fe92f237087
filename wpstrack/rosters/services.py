"""Roster services: keep an uploaded file until its run, save mappings, run a roster into a round.

Every write is one transaction that writes its own audit rows. The roster's bytes never enter the
database: they sit in ``ROSTER_DIR`` under a random name until the run (then are deleted, unless
``ROSTER_RETENTION_HOURS`` keeps them a while) or until ``ROSTER_UPLOAD_HOURS`` pass unrun.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from wpstrack.accounts import access
from wpstrack.accounts.models import User
from wpstrack.audit.services import record_event
from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import NotAllowed, ServiceError
from wpstrack.rosters import engine, spec
from wpstrack.rosters.models import RosterMapping, RosterUpload

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class InvalidMapping(ServiceError):
    """A mapping that cannot be saved or run; ``problems`` name each part (path, code, message)."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        first = problems[0]["message"] if problems else ""
        super().__init__(
            "invalid-mapping",
            _("The mapping has %(n)s problem(s): %(first)s") % {"n": len(problems), "first": first},
        )
        self.problems = problems


def roster_dir() -> Path:
    folder = Path(settings.ROSTER_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_path(upload: RosterUpload) -> Path:
    return roster_dir() / upload.stored_name


def _require_coordinator(actor: User, plan: Plan) -> None:
    if not access.can_edit_plan(actor, plan):
        raise NotAllowed(
            "cannot-use-rosters",
            _("Only the plan's coordinators upload rosters, edit their mappings and run them."),
        )


# -- uploads ----------------------------------------------------------------------------------
def upload_roster(
    *, plan: Plan, stream: IO[bytes] | Iterable[bytes] | bytes, file_name: str, actor: User
) -> RosterUpload:
    """Keep a roster file until it is run: copy it to ROSTER_DIR (counting its size and SHA-256 as
    it streams), check it is a table we can read, and record the upload (no row of it)."""
    _require_coordinator(actor, plan)
    purge_expired()
    stored = f"{uuid.uuid4().hex}.roster"
    path = roster_dir() / stored
    digest, size = hashlib.sha256(), 0
    chunks = stream.chunks(CHUNK) if hasattr(stream, "chunks") else _chunks(stream)
    try:
        with path.open("wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > settings.ROSTER_MAX_BYTES:
                    raise ServiceError(
                        "file-too-large",
                        _(
                            "The file is larger than %(mb)s MB: split it, or ask the administrator "
                            "to raise ROSTER_MAX_MB."
                        )
                        % {"mb": settings.ROSTER_MAX_BYTES // 1048576},
                        field="file",
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ServiceError(
                "empty-file", _("The file is empty: choose the roster file."), field="file"
            )
        fmt = engine.detect_format(path)
        headers = engine.read_headers(path, fmt)
    except engine.RosterFileError as error:
        path.unlink(missing_ok=True)
        raise ServiceError(error.code, error.message, field="file") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    with transaction.atomic():
        upload = RosterUpload.objects.create(
            plan=plan,
            file_name=Path(file_name).name[:255] or "roster",
            fmt=fmt,
            size=size,
            sha256=digest.hexdigest(),
            headers=headers,
            stored_name=stored,
            uploaded_by=actor,
            expires_at=timezone.now() + timedelta(hours=settings.ROSTER_UPLOAD_HOURS),
        )
        record_event(
            actor=actor,
            action="roster.upload",
            obj=upload,
            unit=plan.owner_unit,
            changes={
                "file": [None, upload.file_name],
                "sha256": [None, upload.sha256],
                "size": [None, size],
                "format": [None, fmt],
                "columns": [None, len(headers)],
            },
        )
    return upload


def _chunks(stream: Any) -> Iterable[bytes]:
    if isinstance(stream, bytes | bytearray):
        yield bytes(stream)
        return
    while chunk := stream.read(CHUNK):
        yield chunk


def discard_upload(*, upload: RosterUpload, actor: User | None, reason: str = "") -> None:
    """Delete the file and its record (after a run, on request, or when it expires)."""
    if actor is not None:
        _require_coordinator(actor, upload.plan)
    with transaction.atomic():
        record_event(
            actor=actor,
            actor_label=None if actor else "wpstrack",
            action="roster.delete_file",
            obj=upload,
            unit=upload.plan.owner_unit,
            changes={"file": [upload.file_name, None], "sha256": [upload.sha256, None]},
            reason=reason,
        )
        path = upload_path(upload)
        upload.delete()
        transaction.on_commit(lambda: path.unlink(missing_ok=True))


def purge_expired() -> int:
    """Delete every upload whose time is up, and stray files with no upload; how many went."""
    gone = 0
    for upload in RosterUpload.objects.filter(expires_at__lte=timezone.now()).select_related(
        "plan__owner_unit"
    ):
        discard_upload(upload=upload, actor=None, reason=_("Retention period over"))
        gone += 1
    known = set(RosterUpload.objects.values_list("stored_name", flat=True))
    cutoff = timezone.now() - timedelta(hours=1)
    for path in roster_dir().glob("*.roster"):
        # A file with no record is left over from a crash; give a running upload an hour.
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        if path.name not in known and modified < cutoff:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


# -- mappings ---------------------------------------------------------------------------------
def check_mapping(plan: Plan, data: Any) -> tuple[spec.Spec | None, list[dict[str, str]]]:
    """Parse a mapping and check its rules name metrics of the plan; problems as dicts."""
    if not isinstance(data, dict):
        return None, [
            {
                "code": "not-a-mapping",
                "path": "",
                "message": _("A mapping file holds a mapping (name, kind, columns, ...)."),
            }
        ]
    try:
        parsed = spec.parse_spec(data)
    except spec.SpecError as error:
        return None, [as_problem(p) for p in error.problems]
    problems = []
    codes = set(plan.metrics.filter(retired_in__isnull=True).values_list("code", flat=True))
    for index, rule in enumerate(parsed.rules):
        if rule.metric not in codes:
            problems.append(
                {
                    "code": "unknown-metric",
                    "path": f"rules[{index}].metric",
                    "message": _(
                        "%(plan)s has no metric %(code)s: use a metric code from the plan's tree."
                    )
                    % {"plan": plan.slug, "code": rule.metric},
                }
            )
    return parsed, problems


def as_problem(problem: Any) -> dict[str, str]:
    return {"code": problem.code, "path": problem.path, "message": str(problem.message)}


def save_mapping(
    *,
    plan: Plan,
    data: dict[str, Any],
    actor: User | None,
    mapping: RosterMapping | None = None,
    actor_label: str | None = None,
) -> RosterMapping:
    """Create or change a mapping from its file content; each change is a new, audited version.
    ``actor`` None is the operator at the command line (or the demo), named by ``actor_label``."""
    if actor is not None:
        _require_coordinator(actor, plan)
    parsed, problems = check_mapping(plan, data)
    if problems or parsed is None:
        raise InvalidMapping(problems)
    content = spec.spec_to_data(parsed)
    with transaction.atomic():
        if mapping is None:
            mapping = RosterMapping(
                plan=plan, slug=_free_slug(plan, parsed.name), created_at=timezone.now()
            )
            old: dict[str, Any] | None = None
        else:
            mapping = RosterMapping.objects.select_for_update().get(pk=mapping.pk, plan=plan)
            old = mapping.spec
            if old == content:
                return mapping
            mapping.version += 1
        mapping.name, mapping.kind, mapping.spec = parsed.name, parsed.kind, content
        mapping.updated_at, mapping.updated_by = timezone.now(), actor
        mapping.save()
        record_event(
            actor=actor,
            actor_label=actor_label,
            action="roster_mapping.save",
            obj=mapping,
            unit=plan.owner_unit,
            changes={
                "spec": [old, content],
                "version": [None if old is None else mapping.version - 1, mapping.version],
            },
        )
    return mapping


def _free_slug(plan: Plan, name: str) -> str:
    base = slugify(name)[:70] or "mapping"
    slug, n = base, 1
    while RosterMapping.objects.filter(plan=plan, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def delete_mapping(*, mapping: RosterMapping, actor: User) -> None:
    """Remove a mapping that has never been run (a run's mapping stays, for its audit)."""
    _require_coordinator(actor, mapping.plan)
    if mapping.runs.exists():
        raise ServiceError(
            "mapping-in-use",
            _("This mapping has been run: it stays so its runs can be traced. Change it instead."),
        )
    with transaction.atomic():
        record_event(
            actor=actor,
            action="roster_mapping.delete",
            obj=mapping,
            unit=mapping.plan.owner_unit,
            changes={"spec": [mapping.spec, None]},
        )
        mapping.delete()
