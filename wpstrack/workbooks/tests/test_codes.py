"""Every problem code an upload can get has a fix and is documented in docs/spreadsheets.md."""

import re
from pathlib import Path

from django.conf import settings

from wpstrack.workbooks.report import FIXES

PACKAGE = Path(__file__).resolve().parents[1]
RAISED = re.compile(r'(?:Problem|FileRefused|problem)\(\s*"([a-z][a-z-]+)"')


def codes_in_code() -> set[str]:
    found = set()
    for path in PACKAGE.glob("*.py"):
        found |= set(RAISED.findall(path.read_text()))
    return found


def test_every_code_the_importer_raises_has_a_fix():
    assert codes_in_code() - set(FIXES) == set()


def test_every_code_is_documented():
    text = (Path(settings.BASE_DIR) / "docs" / "spreadsheets.md").read_text()
    assert [code for code in FIXES if f"`{code}`" not in text] == []
