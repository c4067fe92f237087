"""Loading the bundled (or given) plan files: validate every file, then load them all or none."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from wpstrack.accounts.models import User
from wpstrack.frameworks import services
from wpstrack.frameworks.planfile import PlanFileReport, read_plan_file
from wpstrack.lib.yamlfile import Problem

REFERENCE_FILES = {
    "organisation.yaml",
    "tag-sets.yaml",
    "disaggregations.yaml",
}  # plans/sources/ holds the documents


def bundled_plan_files() -> list[Path]:
    return sorted(p for p in settings.PLANS_DIR.glob("*.yaml") if p.name not in REFERENCE_FILES)


@dataclass
class LoadResult:
    reports: list[PlanFileReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    loaded: list[tuple[str, int | None, list[str]]] = field(
        default_factory=list
    )  # slug, version, changes

    @property
    def ok(self) -> bool:
        return not self.problems


@transaction.atomic
def load_plan_files(
    paths: list[Path], *, actor: User | None, actor_label: str | None = None
) -> LoadResult:
    """Tag sets and disaggregation sets first, then every plan file; any problem anywhere and
    nothing is loaded."""
    result = LoadResult()
    reference = settings.PLANS_DIR
    result.problems += services.load_tag_sets(
        reference / "tag-sets.yaml", actor=actor, actor_label=actor_label
    )
    result.problems += services.load_disaggregations(
        reference / "disaggregations.yaml", actor=actor, actor_label=actor_label
    )
    for path in paths:
        report = read_plan_file(path)
        result.reports.append(report)
        result.problems.extend(report.problems)
    slugs = [r.document["slug"] for r in result.reports if r.document]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        result.problems.append(
            Problem(
                "(files)",
                0,
                "slug",
                f"two files define the plan {slug!r}",
                "give each plan its own slug",
                "duplicate-slug",
            )
        )
    if result.problems:
        transaction.set_rollback(True)
        return result
    for report in result.reports:
        assert report.document is not None
        plan, version = services.load_plan_document(
            report.document,
            file_name=report.file,
            sha256=report.sha256,
            actor=actor,
            actor_label=actor_label,
        )
        result.loaded.append(
            (plan.slug, version.number if version else None, version.changes if version else [])
        )
    return result
