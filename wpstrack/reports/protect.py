"""Suppressing small counts of sensitive metrics in published tables (see DISCLOSURE.md).

Builders call these for every table that shows a sensitive metric's counts; the decision itself
is ``suppression.suppress``, so every output shows the same cells hidden."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings


@dataclass
class Protected:
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def _plain(value: int | None) -> str:
    return "–" if value is None else str(value)


def protect_rows(values: list[list[int | None]], *, sensitive: bool) -> Protected:
    """Rows of parts whose last column is their total. Each row is an additive group."""
    if not sensitive:
        return Protected([[_plain(v) for v in row] for row in values])
    from wpstrack.reports import suppression  # the one decision (DISCLOSURE.md)

    groups = [[(r, c) for c in range(len(row))] for r, row in enumerate(values)]
    result = suppression.suppress(
        suppression.TableSpec(values=values, groups=groups),
        threshold=settings.SUPPRESSION_THRESHOLD,
    )
    rows = [
        [result.mark(r, c) or _plain(v) for c, v in enumerate(row)] for r, row in enumerate(values)
    ]
    return Protected(rows, [result.footnote] if result.cells else [])


def mark_single(text: str | None) -> str:
    """One count of a sensitive metric shown on its own (a provenance line): hidden when small."""
    if text in (None, ""):
        return ""
    try:
        number = float(str(text))
    except ValueError:
        return str(text)
    if 0 < number < settings.SUPPRESSION_THRESHOLD:
        return f"<{settings.SUPPRESSION_THRESHOLD}"
    return str(text)


def footnote() -> str:
    from wpstrack.reports import suppression

    return suppression.suppress(
        suppression.TableSpec(values=[[1, 1]], groups=[[(0, 0), (0, 1)]]),
        threshold=settings.SUPPRESSION_THRESHOLD,
    ).footnote
