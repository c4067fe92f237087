"""A copy of an uploaded workbook with each bad cell highlighted and commented, so the person who
filled it can fix it in Excel where they work, then upload it again.

The copy is kept a day under the var directory; the link to it is signed for the person who
uploaded, so nothing is written to the database for a refused file.
"""

from __future__ import annotations

import io
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from wpstrack.workbooks.report import Report

KEEP_SECONDS = 86400
SALT = "wpstrack.workbooks.marked"


def _folder() -> Path:
    folder = Path(settings.VAR_DIR) / "marked"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def mark(data: bytes, report: Report) -> bytes | None:
    """The workbook with its problems marked, or None when it cannot be opened to mark."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    if report.kind != "xlsx":
        return None
    try:
        book = openpyxl.load_workbook(io.BytesIO(data))  # defusedxml is installed: openpyxl uses it
    except Exception:  # a file openpyxl cannot open gets no copy; the report still says why
        return None
    red = PatternFill("solid", fgColor="FFC7CE")
    listing = book.create_sheet(_("Problems"), 0)
    listing.append([_("Sheet"), _("Cell"), _("Code"), _("Problem"), _("How to fix")])
    for problem in report.problems:
        data_row = problem.as_dict()
        listing.append(
            [problem.sheet, problem.cell, problem.code, problem.message, data_row["fix"]]
        )
        if problem.sheet in book.sheetnames and problem.cell:
            cell = book[problem.sheet][problem.cell]
            cell.fill = red
            text = f"{problem.code}: {problem.message}\n{_('Fix')}: {data_row['fix']}"
            cell.comment = Comment(text[:2000], "wpstrack", width=320, height=140)
    for column, width in zip("ABCDE", (12, 8, 22, 70, 70), strict=True):
        listing.column_dimensions[column].width = width
    book.active = 0
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def keep(content: bytes, user_id: int | None, filename: str) -> str:
    """Store a marked copy for a day; return the signed token that fetches it."""
    folder = _folder()
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    name = secrets.token_hex(16)
    (folder / f"{name}.xlsx").write_bytes(content)
    return signing.dumps({"f": name, "u": user_id, "n": filename[:200]}, salt=SALT)


def fetch(token: str, user_id: int | None) -> tuple[bytes, str] | None:
    """The marked copy a token names, if it is this user's and not yet expired."""
    try:
        found = signing.loads(token, salt=SALT, max_age=KEEP_SECONDS)
    except signing.BadSignature:
        return None
    if found.get("u") != user_id:
        return None
    path = _folder() / f"{found['f']}.xlsx"
    if not path.is_file():
        return None
    stem = str(found.get("n", "upload")).rsplit(".", 1)[0]
    return path.read_bytes(), f"{stem}-problems.xlsx"
