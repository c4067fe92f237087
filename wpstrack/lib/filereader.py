"""A base for readers of YAML data files that collect every problem with its line."""

from __future__ import annotations

from typing import Any

from wpstrack.lib.yamlfile import LineDict, Problem


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
                f"{where}: expected text, found {type(value).__name__}",
                "write it as a quoted string",
                "not-text",
            )
            return ""
        return str(value).strip() if key not in {"text"} else str(value).rstrip()

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
