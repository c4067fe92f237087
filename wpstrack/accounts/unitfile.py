"""The organisation file (``plans/organisation.yaml``): validate it whole, then load it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from wpstrack.accounts import services
from wpstrack.accounts.models import OrgUnit, User
from wpstrack.lib.yamlfile import LineDict, Problem, YamlFileError, load_yaml

FORMAT = "wpstrack-units/1"
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
UNIT_KEYS = {"code", "kind", "name", "short_name", "active", "children"}


@dataclass
class UnitFileReport:
    file: str
    problems: list[Problem] = field(default_factory=list)
    units: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems


def validate_unit_file(path: Path) -> UnitFileReport:
    report = UnitFileReport(file=path.name)
    try:
        data = load_yaml(path)
    except YamlFileError as error:
        report.problems.append(error.problem)
        return report
    report.problems.extend(_check(report, data))
    return report


def _check(report: UnitFileReport, data: Any) -> Iterator[Problem]:
    name = report.file
    if not isinstance(data, LineDict):
        yield Problem(name, 1, "file", "expected a mapping with format, kinds and units")
        return
    if data.get("format") != FORMAT:
        yield Problem(
            name, data.line_of("format"), "format", f"must be {FORMAT!r}", f"write format: {FORMAT}"
        )
    for kind in data.get("kinds") or []:
        if not isinstance(kind, LineDict) or not kind.get("key") or not kind.get("name"):
            yield Problem(
                name,
                getattr(kind, "line", data.line_of("kinds")),
                "kinds",
                "each kind needs key and name",
            )
            continue
        report.kinds[str(kind["key"])] = str(kind["name"])
    seen: set[str] = set()
    yield from _check_units(report, data.get("units"), None, seen, data.line_of("units"))


def _check_units(
    report: UnitFileReport, units: Any, parent: str | None, seen: set[str], line: int
) -> Iterator[Problem]:
    name = report.file
    if not isinstance(units, list):
        yield Problem(
            name, line, "units", "expected a list of units", "start each unit with '- code: ...'"
        )
        return
    for unit in units:
        if not isinstance(unit, LineDict):
            yield Problem(name, line, "units", "each unit must be a mapping")
            continue
        for key in sorted(set(unit) - UNIT_KEYS):
            yield Problem(
                name,
                unit.line_of(key),
                key,
                "unknown field",
                "allowed: " + ", ".join(sorted(UNIT_KEYS)),
            )
        code = str(unit.get("code") or "")
        if not CODE_RE.match(code):
            yield Problem(
                name,
                unit.line_of("code"),
                "code",
                f"{code!r} is not a valid unit code",
                "use 1-40 letters, digits, hyphens or underscores",
            )
        elif code in seen:
            yield Problem(
                name,
                unit.line_of("code"),
                "code",
                f"duplicate unit code {code!r}",
                "give each unit its own code",
            )
        seen.add(code)
        if str(unit.get("kind")) not in report.kinds:
            yield Problem(
                name,
                unit.line_of("kind"),
                "kind",
                f"unknown kind {unit.get('kind')!r}",
                "use a key listed under kinds",
            )
        for required in ("name", "short_name"):
            if not str(unit.get(required) or "").strip():
                yield Problem(name, unit.line, required, "missing", f"give the unit a {required}")
        report.units.append((unit, parent))
        if "children" in unit:
            yield from _check_units(report, unit["children"], code, seen, unit.line_of("children"))


@transaction.atomic
def load_unit_file(path: Path, *, actor: User | None) -> tuple[UnitFileReport, int]:
    """Validate the whole file; load it only if clean. Returns the report and units changed."""
    report = validate_unit_file(path)
    if not report.valid:
        return report, 0
    kinds = {
        key: services.ensure_unit_kind(key=key, name=label, actor=actor)
        for key, label in report.kinds.items()
    }
    by_code: dict[str, OrgUnit] = {}
    changed = 0
    for unit, parent_code in report.units:
        saved, was_changed = services.save_unit(
            code=str(unit["code"]),
            name=str(unit["name"]),
            short_name=str(unit["short_name"]),
            kind=kinds[str(unit["kind"])],
            parent=by_code[parent_code] if parent_code else None,
            is_active=bool(unit.get("active", True)),
            actor=actor,
        )
        by_code[saved.code] = saved
        changed += was_changed
    return report, changed
