"""The round the workbook tests use: a tiny plan where CBP owes one metric of each kind.

CBP's template (Values sheet): row 2-4 1-M1 by sex (women, men, other), row 5 its computed total,
row 6 1-M2 percentage, 7 1-M3 rating, 8 1-M4 milestone, 9 1-M5 money, 10 1-M6 text.
Actions sheet: row 2 action 1. ICE owes 2-M1 (a count) and action 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from wpstrack.frameworks.models import Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import services as reporting
from wpstrack.reporting.models import ReportingRound
from wpstrack.testing import make_sex_categories, plan_action, plan_document, plan_metric

DATA = Path(__file__).parent / "data"
DOCUMENT = plan_document(
    [
        plan_action(
            "1",
            ["DHS-CBP"],
            [
                plan_metric("1-M1", "count", ["sex"]),
                plan_metric("1-M2", "percentage", []),
                plan_metric("1-M3", "rating", [], scale=["low", "medium", "high"]),
                plan_metric("1-M4", "milestone", []),
                plan_metric("1-M5", "money", []),
                plan_metric("1-M6", "text", []),
            ],
        ),
        plan_action("2", ["DHS-ICE"], [plan_metric("2-M1", "count", [])]),
    ]
)
# What a person types into CBP's template (column letter -> value), row by row.
FILLED: dict[str, Any] = {
    "H2": 30,
    "H3": 70,
    "H4": 0,
    "H6": 31.5,
    "H7": "medium",
    "H8": "yes",
    "L8": dt.date(2025, 5, 2),
    "H9": 125000,
    "K9": "USD",
    "H10": "Directive drafted",
    "M10": "@SUM(A1)",
}
FILLED_ACTIONS: dict[str, Any] = {
    "D2": "On track",
    "E2": 40,
    "F2": "Training delivered in two sectors.",
    "G2": "https://example.org/report",
}


def open_round(coordinator: Any) -> ReportingRound:
    make_sex_categories()
    load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
    plan = Plan.objects.get(slug="tiny")
    rnd = reporting.create_round(
        plan=plan, period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=coordinator
    )
    reporting.open_round(reporting_round=rnd, actor=coordinator)
    return rnd


def fill(
    data: bytes, cells: dict[str, Any] | None = None, actions: dict[str, Any] | None = None
) -> bytes:
    """Fill a template with openpyxl, as a person with Excel would, and return the saved file."""
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    for ref, value in (FILLED if cells is None else cells).items():
        book["Values"][ref] = value
    for ref, value in (FILLED_ACTIONS if actions is None else actions).items():
        book["Actions"][ref] = value
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
