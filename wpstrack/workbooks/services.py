"""Templates out and whole-file imports in: the one service the page, the API and the command call.

An import reads the whole file, checks every cell with the web form's rules and returns a report;
only a report without errors is written, in one transaction, into the units' drafts (never
submitted), with the file's name and SHA-256 in the audit. A file that changes nothing writes
nothing, so uploading the same file twice is harmless.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from wpstrack.accounts import access
from wpstrack.accounts.models import OrgUnit, User
from wpstrack.audit.models import AuditEvent
from wpstrack.audit.services import record_event
from wpstrack.lib.errors import Conflict, NotAllowed
from wpstrack.lib.spreadsheets import csv_cell
from wpstrack.reporting.entry import EntryPlan
from wpstrack.reporting.models import ReportingRound, Submission
from wpstrack.reporting.services.storing import VALUE_FIELDS, same_value, store_entry, touch_draft
from wpstrack.workbooks import filecheck, layout, reading, xlsxout
from wpstrack.workbooks.checking import Checker, UnitEntry
from wpstrack.workbooks.filecheck import SheetScan
from wpstrack.workbooks.layout import ACTION_COLUMNS, ACTIONS, META, VALUE_COLUMNS, VALUES, Column
from wpstrack.workbooks.report import FileRefused, Problem, Report

ROUND_COLUMN = Column("round", N_("Round"), 22, required=True)


# -- templates out ------------------------------------------------------------------------------
def _submissions(reporting_round: ReportingRound, unit: OrgUnit | None) -> list[Submission]:
    found = reporting_round.submissions.select_related("unit", "reporting_round__plan")
    return list(found.filter(unit=unit) if unit is not None else found)


def template_content(reporting_round: ReportingRound, unit: OrgUnit | None) -> layout.Content:
    return layout.build(
        reporting_round, _submissions(reporting_round, unit), unit.code if unit else "*"
    )


def template_xlsx(reporting_round: ReportingRound, unit: OrgUnit | None, *, by: str) -> bytes:
    """The pre-filled workbook for one unit, or (``unit`` None) for every unit of the round."""
    return xlsxout.to_xlsx(template_content(reporting_round, unit), by)


def template_csv(reporting_round: ReportingRound, unit: OrgUnit | None, kind: str) -> bytes:
    """The same rows as CSV (``kind`` "values" or "actions"), with the round on every row."""
    content = template_content(reporting_round, unit)
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    if kind == "actions":
        writer.writerow([c.header for c in [ROUND_COLUMN, *ACTION_COLUMNS]])
        for row in content.actions:
            fixed = {"unit": row.unit, "action": row.code, "title": row.title}
            writer.writerow(
                [content.round_key]
                + [csv_cell(fixed.get(c.key, row.cells.get(c.key))) for c in ACTION_COLUMNS]
            )
    else:
        writer.writerow([c.header for c in [ROUND_COLUMN, *VALUE_COLUMNS]])
        for value in content.values:
            if value.is_total:
                continue  # a CSV holds no formulas; totals are computed on import
            fixed = {
                "unit": value.unit,
                "metric": value.metric,
                "title": value.title,
                "breakdown": value.breakdown,
                "key": value.key,
                "type": layout.type_label(value.metric_type, value.scale),
                "previous": value.previous,
            }
            writer.writerow(
                [content.round_key]
                + [
                    csv_cell(fixed[c.key] if c.key in fixed else value.cells.get(c.key))
                    for c in VALUE_COLUMNS
                ]
            )
    return output.getvalue().encode("utf-8-sig")


# -- imports in ---------------------------------------------------------------------------------
class _Upload:
    """One uploaded file on its way through the checks; ``report`` collects what is wrong."""

    def __init__(
        self,
        data: bytes,
        filename: str,
        reporting_round: ReportingRound | None,
        unit: OrgUnit | None,
    ) -> None:
        self.data = data
        self.report = Report(filename, hashlib.sha256(data).hexdigest())
        self.target_round = reporting_round
        self.target_unit = unit
        self.meta: dict[str, str] = {}
        self.tables: dict[str, tuple[reading.Table, SheetScan]] = {}
        self.round: ReportingRound | None = None
        self.checker: Checker | None = None

    @property
    def problems(self) -> list[Problem]:
        return self.report.problems

    def run(self) -> None:
        try:
            inspection = filecheck.inspect(self.data, self.report.filename)
            self.report.kind = inspection.kind
            if inspection.kind == "xlsx":
                self._xlsx(reading.read_xlsx(self.data, inspection))
            else:
                self._csv(reading.read_csv(self.data, self.report.filename))
        except FileRefused as refused:
            self.problems.append(refused.problem)
            return
        if self.round is None or any(p.code == "wrong-unit" and not p.cell for p in self.problems):
            return  # nothing row by row would add to that
        self._rows()

    # -- reading the file's own description ---------------------------------------------------
    def _xlsx(self, sheets: dict[str, reading.Sheet]) -> None:
        meta_sheet = sheets.get(META)
        self.meta = {
            row[0].strip(): row[1].strip()
            for row in (meta_sheet.rows if meta_sheet else [])
            if len(row) > 1
        }
        if self.meta.get("format") != layout.FORMAT:
            raise FileRefused(
                "not-a-template",
                _("This workbook was not made by wpstrack: it has no template description."),
            )
        version = self.meta.get("template_version", "")
        if not version.isdigit() or int(version) != layout.TEMPLATE_VERSION:
            raise FileRefused(
                "old-template-version",
                _("This template is version %(found)s; version %(now)s is in use now.")
                % {"found": version or "?", "now": layout.TEMPLATE_VERSION},
            )
        self._resolve_round(self.meta.get("round", ""), None)
        unit = self.meta.get("unit", "")
        if self.target_unit is not None and unit != self.target_unit.code:
            self.problems.append(
                Problem(
                    "wrong-unit",
                    _("This file is for %(found)s, not for %(unit)s.")
                    % {
                        "found": unit if unit != "*" else _("the whole round"),
                        "unit": self.target_unit.code,
                    },
                )
            )
        for name, columns in ((VALUES, VALUE_COLUMNS), (ACTIONS, ACTION_COLUMNS)):
            sheet = sheets.get(name)
            if sheet is None:
                self.problems.append(
                    Problem(
                        "missing-sheet", _("The sheet %(name)s is missing.") % {"name": name}, name
                    )
                )
                continue
            for merged in sheet.scan.merged:
                self.problems.append(
                    Problem(
                        "merged-cells",
                        _("Cells %(range)s are merged.") % {"range": merged},
                        name,
                        merged.split(":")[0],
                    )
                )
            table = reading.match_columns(sheet, columns, self.problems)
            if table is not None:
                self.tables[name] = (table, sheet.scan)

    def _csv(self, sheet: reading.Sheet) -> None:
        header = {h.strip().casefold() for h in (sheet.rows[0] if sheet.rows else [])}
        action = ACTION_COLUMNS[1]
        names = {action.english.casefold(), action.header.casefold(), action.key}
        kind, columns = (ACTIONS, ACTION_COLUMNS) if names & header else (VALUES, VALUE_COLUMNS)
        table = reading.match_columns(sheet, [ROUND_COLUMN, *columns], self.problems)
        if table is None:
            return
        rounds = [(n, cells.get("round", "").strip()) for n, cells in table.rows]
        wanted = layout.round_key(self.target_round) if self.target_round else None
        first = wanted or next((key for _n, key in rounds if key), "")
        for number, key in rounds:
            if key != first:
                code = "blank-required" if not key else "wrong-round"
                self.problems.append(
                    Problem(
                        code,
                        _("Round is empty.")
                        if not key
                        else _("This row is for round %(found)s, not %(round)s.")
                        % {"found": key[:60], "round": first},
                        table.sheet,
                        table.cell(number, "round"),
                        table.headers["round"],
                        key[:60],
                    )
                )
        if first:
            self._resolve_round(first, table)
        self.tables[kind] = (table, SheetScan(sheet.name))

    def _resolve_round(self, key: str, table: reading.Table | None) -> None:
        slug, _sep, period = key.partition("/")
        found = (
            ReportingRound.objects.select_related("plan")
            .filter(plan__slug=slug, period=period)
            .first()
        )
        if self.target_round is not None and (found is None or found.pk != self.target_round.pk):
            raise FileRefused(
                "wrong-round",
                _("This file is for round %(found)s, not %(round)s.")
                % {"found": key[:60] or "?", "round": layout.round_key(self.target_round)},
            )
        if found is None:
            raise FileRefused(
                "wrong-round", _("There is no round %(key)s.") % {"key": key[:60] or "?"}
            )
        if found.state != "open":
            raise FileRefused(
                "round-not-open",
                _("Round %(key)s is %(state)s: figures can be imported only while it is open.")
                % {"key": key, "state": found.get_state_display().lower()},
            )
        self.round = found

    # -- the rows --------------------------------------------------------------------------
    def _rows(self) -> None:
        assert self.round is not None
        submissions = {s.unit.code: s for s in _submissions(self.round, None)}
        only = self.target_unit.code if self.target_unit else None
        if only is None and self.meta.get("unit", "*") != "*":
            only = self.meta["unit"]
        checker = Checker(submissions, only)
        self.checker = checker
        values = self.tables.get(VALUES)
        actions = self.tables.get(ACTIONS)
        if values:
            checker.values(*values)
        if actions:
            checker.actions(*actions)
        checker.missing_rows(values[0] if values else None, actions[0] if actions else None)
        checker.judge()
        self.report.rows = sum(len(t.rows) for t, _s in self.tables.values())
        if self.meta:
            self._out_of_date(submissions)
        self.problems.extend(checker.problems)

    def _out_of_date(self, submissions: dict[str, Submission]) -> None:
        """Compare the template's key checksum with the round as it is now; a unit of the
        template with no row left in the file is reported too."""
        assert self.checker is not None
        unit = self.meta.get("unit", "*")
        values: list[tuple[str, str, str]] = []
        actions: list[tuple[str, str]] = []
        for code, submission in submissions.items():
            if unit not in ("*", code):
                continue
            entry = self.checker.entries.get(code)
            if entry is None:
                self.checker.problems.append(
                    Problem(
                        "missing-row",
                        _("Every row of %(unit)s is missing.") % {"unit": code},
                        VALUES,
                    )
                )
                plan = EntryPlan.for_submission(submission)
            else:
                plan = entry.plan
            found = layout.plan_keys(code, plan)
            values += found[0]
            actions += found[1]
        changed = layout.checksum(values, actions) != self.meta.get("checksum")
        if changed and any(
            p.code in ("unknown-metric", "unknown-combination", "unknown-action", "missing-row")
            for p in self.checker.problems
        ):
            self.problems.insert(
                0,
                Problem(
                    "template-out-of-date",
                    _("The round's items changed after this template was made on %(at)s.")
                    % {"at": self.meta.get("generated_at", "?")},
                ),
            )


def _same(old: Any, new: Any) -> bool:
    """Compare as the audit does: 5 and 5.0000 are one figure; None and "" are both empty."""

    def norm(value: Any) -> Any:
        if value is None or value == "" or value == []:
            return None
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return value

    return bool(norm(old) == norm(new))


def pending_changes(entry: UnitEntry) -> list[tuple[str, tuple[str, str], str]]:
    """The cells an import would change in this unit's draft (what ``store_entry`` would write),
    as (label, place key, column)."""
    stored = {(v.metric_id, v.combination): v for v in entry.submission.values.all()}
    changed = []
    for item in entry.plan.metrics:
        for combo, cell in entry.cleaned.get(item.code, {}).items():
            row = stored.get((item.metric.pk, combo))
            if row is None and cell.is_empty and not cell.comment:
                continue
            if any(
                not same_value(getattr(row, name, None), getattr(cell, name))
                for name in VALUE_FIELDS
            ):
                changed.append((f"{item.code} {combo or 'total'}", (item.code, combo), "value"))
    updates = {u.element_id: u for u in entry.submission.action_updates.all()}
    codes = {e.pk: e.code for e in entry.plan.actions}
    for element_id, new in entry.action_rows.items():
        update = updates.get(element_id)
        if any(not _same(getattr(update, k, None), v) for k, v in new.items()):
            code = codes[element_id]
            changed.append((f"action {code}", (code, ""), "status"))
    return changed


def _changed_by_others(upload: _Upload, submission: Submission) -> AuditEvent | None:
    """A save of this draft after the template was made, other than imports of this template."""
    made = upload.meta.get("generated_at", "")
    try:
        since = dt.datetime.fromisoformat(made)
    except ValueError:
        return None
    locks = json.loads(upload.meta.get("lock_versions", "{}") or "{}")
    if locks.get(submission.unit.code) == submission.lock_version:
        return None
    events = AuditEvent.objects.filter(
        object_type="reporting.submission",
        object_id=str(submission.pk),
        action__in=["submission.save", "submission.import"],
        created_at__gt=since,
    ).order_by("-created_at")
    template = upload.meta.get("template_id", "")
    for event in events:
        if (
            event.action == "submission.import"
            and template
            and (event.changes.get("template", [None, None])[1] == template)
        ):
            continue
        return event
    return None


def _permissions(upload: _Upload, actor: User | None, reason: str) -> dict[str, list[str]]:
    """What would change, unit by unit; changes the actor may not make become problems."""
    assert upload.checker is not None
    pending: dict[str, list[str]] = {}
    for code, entry in upload.checker.entries.items():
        changed = pending_changes(entry)
        if not changed:
            continue
        pending[code] = [label for label, _key, _col in changed]
        if not access.can_import_submission(actor, entry.submission):
            message = _(
                "%(unit)s's report is %(state)s: its figures cannot be changed by an import."
            ) % {"unit": code, "state": entry.submission.get_state_display().lower()}
            for _label, key, column in changed:
                place = entry.places.get(key)
                upload.problems.append(
                    place.problem("cannot-edit", message, column)
                    if place
                    else Problem("cannot-edit", message)
                )
            continue
        if entry.submission.furthest_step >= 0 and not reason.strip():
            # As on the form: once a report has been submitted, every change says why.
            upload.problems.append(
                Problem(
                    "reason-required",
                    _("%(unit)s's report was submitted before: say what you changed and why.")
                    % {"unit": code},
                )
            )
        event = _changed_by_others(upload, entry.submission) if upload.meta else None
        if event is not None:
            upload.problems.append(
                Problem(
                    "draft-changed-since",
                    _(
                        "%(unit)s's draft was saved by %(who)s at %(at)s, after this template was "
                        "made: importing it would overwrite those figures."
                    )
                    % {
                        "unit": code,
                        "who": event.actor_label,
                        "at": timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M"),
                    },
                )
            )
    return pending


def _store(
    upload: _Upload,
    pending: dict[str, list[str]],
    actor: User | None,
    label: str | None,
    reason: str,
) -> None:
    """Write every unit's changes in one transaction; a draft saved meanwhile stops it all."""
    assert upload.checker is not None
    report = upload.report
    with transaction.atomic():
        for code in pending:
            entry = upload.checker.entries[code]
            seen = entry.submission.lock_version
            submission = Submission.objects.select_for_update().get(pk=entry.submission.pk)
            if submission.lock_version != seen or submission.state != entry.submission.state:
                raise Conflict(
                    "changed-meanwhile",
                    _("%(unit)s's draft changed while the file was being checked: upload it again.")
                    % {"unit": code},
                )
            why = _("Imported from %(file)s") % {"file": report.filename}
            why = f"{why}: {reason.strip()}" if reason.strip() else why
            changed = store_entry(
                submission,
                entry.plan,
                entry.cleaned,
                entry.action_rows,
                actor=actor,
                reason=why,
                actor_label=label,
            )
            if not changed:
                continue
            old_state = touch_draft(submission)
            record_event(
                actor=actor,
                actor_label=label,
                action="submission.import",
                obj=submission,
                unit=submission.unit,
                changes={
                    "file": [None, report.filename],
                    "sha256": [None, report.sha256],
                    "template": [None, upload.meta.get("template_id", "")],
                    "cells": [None, changed],
                    "state": [old_state, submission.state],
                    "lock_version": [seen, submission.lock_version],
                },
                reason=why,
            )
            report.changed[code] = changed
    report.imported = bool(report.changed)


def import_workbook(
    *,
    data: bytes,
    filename: str,
    actor: User | None,
    reporting_round: ReportingRound | None = None,
    unit: OrgUnit | None = None,
    dry_run: bool = False,
    actor_label: str | None = None,
    reason: str = "",
) -> Report:
    """Check a whole .xlsx or .csv file and, when it has no errors and ``dry_run`` is off, import
    it into the drafts it is for. ``reporting_round``/``unit`` say what the upload page expects
    (None: what the file says, for the command line). Refuses (NotAllowed) an actor who may not
    import there at all; everything else is a problem in the report."""
    if unit is not None and reporting_round is not None and actor is not None:
        submission = (
            reporting_round.submissions.filter(unit=unit)
            .select_related("reporting_round__plan")
            .first()
        )
        if submission is None or not access.can_import_submission(actor, submission):
            raise NotAllowed(
                "cannot-import",
                _(
                    "Only the unit's focal points and the plan's coordinators can import into its "
                    "open draft."
                ),
            )
    elif (
        reporting_round is not None
        and actor is not None
        and not access.can_manage_round(actor, reporting_round)
    ):
        raise NotAllowed(
            "cannot-import", _("Only the plan's coordinators can import a whole round.")
        )
    upload = _Upload(data, filename, reporting_round, unit)
    upload.report.dry_run = dry_run
    upload.run()
    if upload.checker is None or upload.report.errors:
        return upload.report
    pending = _permissions(upload, actor, reason)
    if upload.report.errors or dry_run:
        upload.report.changed = pending if not upload.report.errors else {}
        return upload.report
    _store(upload, pending, actor, actor_label, reason[:500])
    return upload.report
