"""A base for readers of YAML data files that collect every problem with its line."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from wpstrack.lib.yamlfile import LineDict, LineList, Problem

ISO_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
PARTIAL_DATE_RE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")


def a_or_an(word: str) -> str:
    """The word with its indefinite article: "a goal", "an action"."""
    return f"{'an' if word[:1].lower() in set('aeiou') else 'a'} {word}"


def described(value: Any) -> str:
    """How a YAML value reads in a message: "a list", "the number 1.1", "true/false"."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


class FieldReader:
    """Typed field access on ``LineDict`` mappings; each wrong value becomes a ``Problem``."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(
        self, line: int, name: str, message: str, fix: str = "", code: str = "invalid"
    ) -> None:
        self.problems.append(Problem(self.file, line, name, message, fix, code))

    def known(self, mapping: LineDict, allowed: set[str], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(
                    mapping.line_of(key),
                    str(key),
                    f"unknown field in {where}",
                    "allowed: " + ", ".join(sorted(allowed)),
                    "unknown-field",
                )

    def text(self, mapping: LineDict, key: str, where: str, *, required: bool = False) -> str:
        value = mapping.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(
                    mapping.line_of(key),
                    key,
                    f"missing in {where}",
                    f"give {where} a {key}",
                    f"missing-{key.replace('_', '-')}",
                )
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(
                mapping.line_of(key),
                key,
                f"{where}: expected text, found {described(value)}",
                "write it as a quoted string",
                "not-text",
            )
            return ""
        return str(value).strip() if key not in {"text"} else str(value).rstrip()

    def word(self, mapping: LineDict, key: str, where: str, *, required: bool = False) -> str:
        """Text that must be written as text: unquoted, a code like 1.10 is the number 1.1."""
        value = mapping.get(key)
        if value is not None and not isinstance(value, str):
            self.problem(
                mapping.line_of(key),
                key,
                f"the {key} of {where} was read as {described(value)}, not as text",
                'write it as a quoted string, e.g. "1.10"',
                "not-text",
            )
            return ""
        return self.text(mapping, key, where, required=required)

    def date(self, mapping: LineDict, key: str, *, partial: bool = False) -> dt.date | None:
        """A date written YYYY-MM-DD (or, ``partial``, also YYYY or YYYY-MM); null is None."""
        value = mapping.get(key)
        if value is None:
            return None
        match = (PARTIAL_DATE_RE if partial else ISO_DATE_RE).match(str(value))
        try:
            parsed = dt.date(*(int(part or 1) for part in match.groups())) if match else None
        except ValueError:  # no such day, e.g. 2025-09-31
            parsed = None
        if parsed is None or not isinstance(value, str):
            shown = repr(value) if isinstance(value, str) else f"{value!r} (not in quotes)"
            if partial:
                message = f"{shown} is not a date written as YYYY, YYYY-MM or YYYY-MM-DD"
                fix = 'write it as precisely as the document does: "2024", "2024-10" or '
                fix += '"2024-10-01"; or null'
            else:
                message, fix = f"{shown} is not a date", "write YYYY-MM-DD, or null"
            self.problem(mapping.line_of(key), key, message, fix, "bad-date")
            return None
        return parsed

    def whole_number(self, mapping: LineDict, key: str, where: str) -> int | None:
        """A whole number (a page, a year); null is None."""
        value = mapping.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            self.problem(
                mapping.line_of(key),
                key,
                f"{where}: {key} {value!r} is not a whole number",
                "write a whole number, e.g. 4",
                "not-a-whole-number",
            )
            return None
        return value

    def flag(self, mapping: LineDict, key: str, where: str, default: bool = False) -> bool:
        value = mapping.get(key, default)
        if not isinstance(value, bool):
            self.problem(
                mapping.line_of(key),
                key,
                f"{where}: expected true or false, found {value!r}",
                "write true or false",
                "not-a-flag",
            )
            return default
        return value

    def items(self, mapping: LineDict, key: str, where: str) -> list[Any]:
        value = mapping.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(
                mapping.line_of(key),
                key,
                f"{where}: expected a list",
                "start each item with '- '",
                "not-a-list",
            )
            return []
        return value

    def records(self, mapping: LineDict, key: str, where: str, what: str) -> list[LineDict]:
        """The items of the list under ``key``; an item that is not a mapping of fields is a
        problem on its own line (the list's line if the item's is not known)."""
        values = self.items(mapping, key, where)
        found = []
        for index, value in enumerate(values):
            line = values.line_of(index) if isinstance(values, LineList) else mapping.line_of(key)
            record = self.mapping(value, line, key, what)
            if record is not None:
                found.append(record)
        return found

    def choice(
        self,
        mapping: LineDict,
        key: str,
        where: str,
        choices: list[str],
        default: str | None,
        code: str,
        *,
        owner: str = "it",
    ) -> str:
        """One of ``choices``; without a ``default`` the field is required (a null is missing)."""
        if key not in mapping or (default is None and mapping[key] is None):
            if default is None:
                self.problem(
                    mapping.line_of(key),
                    key,
                    f"missing in {where}",
                    f"give {owner} a {key}: one of " + ", ".join(choices),
                    f"missing-{key.replace('_', '-')}",
                )
            return default or ""
        value = mapping[key]
        if value not in choices:
            self.problem(
                mapping.line_of(key),
                key,
                f"{where}: {value!r} is not a {key.replace('_', ' ')}",
                "use one of: " + ", ".join(choices),
                code,
            )
            return default or ""
        return str(value)

    def mapping(self, value: Any, line: int, name: str, where: str) -> LineDict | None:
        if isinstance(value, LineDict):
            return value
        self.problem(
            line,
            name,
            f"{where}: expected a mapping of fields, found {value!r}",
            "check the indentation: fields go under the item, indented the same",
            "not-a-mapping",
        )
        return None
