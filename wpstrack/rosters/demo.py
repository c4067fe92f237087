"""The demo's roster mapping and sample file: DHS's law-enforcement workforce from an HR extract.

The sample is synthetic (``synth``): the columns and spellings of a payroll extract, with the
messiness real ones have, so a coordinator can try the whole path (upload, map, preview, run into
FY2025 Q3) on the demo without any personal data.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from wpstrack.frameworks.models import Plan
from wpstrack.rosters import synth
from wpstrack.rosters.models import RosterMapping

PLAN = "dhs-wps-2024"
# OPM occupational series of law-enforcement positions in the sample: criminal investigation,
# border patrol enforcement, police, general inspection.
LAW_ENFORCEMENT_SERIES = ["1811", "1896", "0083", "1801"]
MAPPING: dict[str, Any] = {
    "wpstrack_roster_mapping": 1,
    "name": "DHS HR extract (synthetic demo)",
    "kind": "hr",
    "columns": {
        "person_id": "Employee ID",
        "unit": "Org",
        "sex": "Gender",
        "birth_year": "Year of birth",
        "hire_date": "EOD",
        "separation_date": "Separation",
        "occupation": "Series",
        "grade": "Grade",
        "leadership": "Supervisory",
    },
    "values": {"sex": {"Femme": "women"}, "unit": {"Customs & Border": "DHS-CBP"}},
    "blank": {"sex": "other"},
    "date_formats": ["%Y-%m-%d"],
    "filters": [{"field": "occupation", "in": LAW_ENFORCEMENT_SERIES}],
    "rules": [
        {"metric": "1.1-A2-M1", "measure": "share_women"},
        {"metric": "1.1-A2-M2", "measure": "hires"},
    ],
}
SAMPLE_ROWS = 5000


def ensure_demo_mapping() -> RosterMapping | None:
    """Save the demo mapping for the DHS plan once (as the demo, not as a person)."""
    from wpstrack.rosters import services

    plan = Plan.objects.filter(slug=PLAN).first()
    if plan is None:
        return None
    existing = plan.roster_mappings.filter(name=MAPPING["name"]).first()
    if existing is not None:
        return existing
    return services.save_mapping(plan=plan, data=MAPPING, actor=None, actor_label="wpstrack demo")


def sample_extract(kind: str = "hr", rows: int = SAMPLE_ROWS) -> bytes:
    """A messy synthetic roster as CSV bytes (the same file for the same kind and size)."""
    with tempfile.TemporaryDirectory() as folder:
        path = synth.write_roster(Path(folder) / "sample.csv", kind, rows, seed=7, messy=True)
        return path.read_bytes()
