"""The report an upload gets: every problem with its stable code, where it is and how to fix it.

One list for the page, the API, the command and the marked copy of the workbook. A report with
any blocking problem means nothing was imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# How to fix each kind of problem, said once for every cell that has it.
FIXES: dict[str, Any] = {
    "file-too-large": gettext_lazy(
        "Upload one unit's or one round's template; it is far smaller than this limit."
    ),
    "empty-file": gettext_lazy("Upload the filled template, not an empty file."),
    "xls-file": gettext_lazy(
        "Open the file in Excel or LibreOffice and save it as Excel Workbook (.xlsx)."
    ),
    "macro-enabled-file": gettext_lazy(
        "Save it as Excel Workbook (.xlsx), without macros, and upload that."
    ),
    "ods-file": gettext_lazy(
        "In LibreOffice choose File > Save As > Excel 2007-365 (.xlsx) and upload that."
    ),
    "csv-renamed": gettext_lazy(
        "Give the file its real name ending in .csv, or save it as .xlsx from Excel."
    ),
    "password-protected": gettext_lazy(
        "Remove the password (File > Info > Protect Workbook) and upload again."
    ),
    "corrupt-file": gettext_lazy(
        "Open the file in Excel or LibreOffice, save it again as .xlsx, or download a new template."
    ),
    "not-a-spreadsheet": gettext_lazy("Upload the .xlsx template or a .csv export."),
    "unpacked-too-large": gettext_lazy(
        "Upload the template as wpstrack made it; remove pictures and extra sheets."
    ),
    "too-many-cells": gettext_lazy(
        "Delete whatever lies beyond the template's rows and columns, save and upload again."
    ),
    "xml-entities": gettext_lazy(
        "Save the file again from Excel or LibreOffice; do not edit its XML by hand."
    ),
    "not-a-template": gettext_lazy(
        "Download the template from the round's page and copy the figures into it."
    ),
    "old-template-version": gettext_lazy(
        "Download a new template from the round's page and copy the figures into it."
    ),
    "wrong-round": gettext_lazy(
        "Upload this file on its own round's page, or use this round's template."
    ),
    "wrong-unit": gettext_lazy(
        "Upload this file on its own unit's page, or use this unit's template."
    ),
    "template-out-of-date": gettext_lazy(
        "Download a new template; the round's items changed after this one was made."
    ),
    "missing-sheet": gettext_lazy(
        "Put the sheet back (download a new template if it was deleted)."
    ),
    "missing-column": gettext_lazy(
        "Put the column back with its header exactly as in the template."
    ),
    "extra-column": gettext_lazy("Delete the column; the template has no place for it."),
    "renamed-column": gettext_lazy("Give the column back its header exactly as in the template."),
    "duplicate-column": gettext_lazy("Delete one of the two columns."),
    "blank-required": gettext_lazy("Fill the cell as in the template; it says which row this is."),
    "duplicate-row": gettext_lazy("Keep one row for each metric and breakdown; delete the other."),
    "missing-row": gettext_lazy(
        "Put the row back (copy it from a new template); leave its value empty if you have none."
    ),
    "unknown-metric": gettext_lazy(
        "Use the metric codes of the template; a metric not assigned to the unit cannot be reported."
    ),
    "unknown-unit": gettext_lazy("Use the unit codes of the template."),
    "unknown-combination": gettext_lazy("Use the breakdown keys of the template."),
    "unknown-action": gettext_lazy("Use the action codes of the template."),
    "formula-without-value": gettext_lazy(
        "Open and save the file in Excel or LibreOffice so the formula is computed, or type the figure."
    ),
    "merged-cells": gettext_lazy("Unmerge the cells (Home > Merge > Unmerge) and fill each one."),
    "cannot-edit": gettext_lazy(
        "Leave this unit's rows as they were, or ask for its report to be returned first."
    ),
    "draft-changed-since": gettext_lazy(
        "Download a new template, which holds the latest figures, and copy your changes into it."
    ),
    "reason-required": gettext_lazy(
        "Upload again and fill in what you changed and why (the reviewer reads it)."
    ),
    "round-not-open": gettext_lazy(
        "Ask the plan's coordinator; a round takes figures only while open."
    ),
    "changed-meanwhile": gettext_lazy("Upload the file again."),
    "not-for-this-metric": gettext_lazy("Clear the cell; put the figure in the Value column."),
    "not-a-number": gettext_lazy("Type digits only, e.g. 12 or 12.5."),
    "ambiguous-comma": gettext_lazy("Write decimals with a point (2.5)."),
    "not-a-whole-number": gettext_lazy("Type a whole number, e.g. 12."),
    "negative-count": gettext_lazy("Type 0 or more."),
    "percentage-out-of-range": gettext_lazy("Type a percentage from 0 to 100, without the % sign."),
    "sex-total-mismatch": gettext_lazy(
        "Correct a part or the total; or clear the total, which is computed."
    ),
    "total-mismatch": gettext_lazy(
        "Correct a part or the total; or clear the total, which is computed."
    ),
    "not-on-scale": gettext_lazy("Choose an answer from the cell's drop-down list."),
    "bad-status": gettext_lazy("Choose a status from the cell's drop-down list."),
    "percent-out-of-range": gettext_lazy("Type a whole number from 0 to 100."),
    "bad-date": gettext_lazy("Type the date as YYYY-MM-DD, e.g. 2025-06-30."),
    "bad-milestone": gettext_lazy("Type yes or no."),
    "missing-date": gettext_lazy("Type the date the milestone was done, as YYYY-MM-DD."),
    "missing-currency": gettext_lazy("Type a three-letter currency code, e.g. USD."),
    "missing-numerator": gettext_lazy("Give both the numerator and the denominator, or neither."),
    "missing-denominator": gettext_lazy("Give both the numerator and the denominator, or neither."),
    "bad-link": gettext_lazy("Write each link on its own line, starting with https://"),
}


@dataclass(frozen=True)
class Problem:
    """One problem in an uploaded file. ``cell`` is A1-style; empty for problems of the whole file."""

    code: str
    message: str
    sheet: str = ""
    cell: str = ""
    column: str = ""
    value: str = ""
    blocking: bool = True
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "fix": self.fix or str(FIXES.get(self.code, "")),
            "sheet": self.sheet,
            "cell": self.cell,
            "column": self.column,
            "value": self.value,
            "blocking": self.blocking,
        }

    @property
    def where(self) -> str:
        """Where to look, as people say it: "Values!H7"."""
        if not self.sheet:
            return _("the whole file")
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet


class FileRefused(Exception):
    """The file cannot be read as a template at all (wrong format, hostile, corrupt)."""

    def __init__(self, code: str, message: str, *, sheet: str = "", cell: str = "") -> None:
        super().__init__(message)
        self.problem = Problem(code, message, sheet, cell)


@dataclass
class Report:
    """What an upload found: problems (blocking) and warnings, and what it would change."""

    filename: str
    sha256: str
    kind: str = ""  # xlsx or csv
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    changed: dict[str, list[str]] = field(default_factory=dict)  # unit code -> cells changed
    imported: bool = False
    dry_run: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def status(self) -> str:
        if not self.ok:
            return "invalid"
        if self.dry_run:
            return "valid"
        return "imported" if self.imported else "unchanged"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "sha256": self.sha256,
            "format": self.kind,
            "status": self.status,
            "rows": self.rows,
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
            "changed": {unit: len(cells) for unit, cells in self.changed.items()},
        }

    def pairs(self) -> list[tuple[str, str]]:
        """(code, cell) of each error: what the defect tests compare."""
        return [(p.code, p.cell) for p in self.errors]
