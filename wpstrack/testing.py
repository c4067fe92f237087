"""Named personas shared by the tests, built with explicit ``create()`` calls.

Alice administers DHS; Cora coordinates DHS; Fatima is CBP's focal point and Ravi its reviewer;
Vera views ICE (and ERO below it); Oscar has an account and no role at all.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.test import TestCase

from wpstrack.accounts.models import Membership, OrgUnit, Role, UnitKind, User

PASSWORD = "correct-horse-battery-staple"


def _unit(code: str, name: str, kind: UnitKind, parent: OrgUnit | None) -> OrgUnit:
    unit = OrgUnit.objects.create(code=code, name=name, short_name=code, kind=kind, parent=parent)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.depth = parent.depth + 1 if parent else 0
    unit.save()
    return unit


def make_personas() -> SimpleNamespace:
    department = UnitKind.objects.create(key="department", name="Department")
    component = UnitKind.objects.create(key="component", name="Component")
    office = UnitKind.objects.create(key="office", name="Office")
    mission = UnitKind.objects.create(key="mission", name="Mission")
    section = UnitKind.objects.create(key="section", name="Section")
    w = SimpleNamespace()
    w.dhs = _unit("DHS", "Department of Homeland Security", department, None)
    w.cbp = _unit("DHS-CBP", "U.S. Customs and Border Protection", component, w.dhs)
    w.ice = _unit("DHS-ICE", "U.S. Immigration and Customs Enforcement", component, w.dhs)
    w.ero = _unit("DHS-ICE-ERO", "Enforcement and Removal Operations", office, w.ice)
    w.dpo = _unit("UN-DPO", "Department of Peace Operations", department, None)
    w.minusca = _unit("MINUSCA", "MINUSCA", mission, w.dpo)
    w.gau = _unit("MINUSCA-GAU", "Gender Affairs Unit", section, w.minusca)
    people = {
        "alice": ("alice@example.org", "Alice Admin", w.dhs, Role.ADMINISTRATOR),
        "cora": ("cora@example.org", "Cora Coordinator", w.dhs, Role.COORDINATOR),
        "fatima": ("fatima@example.org", "Fatima Focal", w.cbp, Role.FOCAL_POINT),
        "ravi": ("ravi@example.org", "Ravi Reviewer", w.cbp, Role.REVIEWER),
        "vera": ("vera@example.org", "Vera Viewer", w.ice, Role.VIEWER),
        "oscar": ("oscar@example.org", "Oscar Outsider", None, None),
    }
    for name, (email, full_name, unit, role) in people.items():
        user = User.objects.create_user(email=email, password=PASSWORD, full_name=full_name)
        if unit is not None and role is not None:
            Membership.objects.create(user=user, unit=unit, role=role)
        setattr(w, name, user)
    return w


class PersonasTestCase(TestCase):
    """Base test case: every test gets the personas and the small organisation above."""

    w: SimpleNamespace

    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = make_personas()


def make_sex_categories() -> None:
    """The sex set (women, men, other) as plans/disaggregations.yaml ships it."""
    from wpstrack.frameworks.models import Category, DisaggregationSet

    sex = DisaggregationSet.objects.create(key="sex", name="Sex")
    for position, (key, label) in enumerate(
        [("women", "Women"), ("men", "Men"), ("other", "Other")]
    ):
        Category.objects.create(disaggregation_set=sex, key=key, label=label, position=position)


def plan_metric(
    code: str, metric_type: str = "count", disaggregation: list[str] | None = None, **fields: object
) -> dict[str, object]:
    """A metric as a canonical plan document holds it, for tests that build plans in code."""
    return {
        "code": code,
        "text": f"Metric {code}.",
        "type": metric_type,
        "unit": "",
        "direction": "increase",
        "compare_previous": False,
        "disaggregation": ["sex"] if disaggregation is None else disaggregation,
        "frequency": "quarterly",
        "sensitive": False,
        "source_text": "table",
        "appendix_text": "",
        "note": "",
        "baselines": [],
        "targets": [],
        "plausible": {},
        "scale": [],
        "status": {"tolerance": None, "trajectory": "linear"},
        **fields,
    }


def plan_action(code: str, units: list[str], metrics: list[dict[str, object]]) -> dict[str, object]:
    """An action-level element of a canonical plan document."""
    return {
        "code": code,
        "level": "action",
        "title": f"Action {code}",
        "text": "",
        "responsible_as_written": "",
        "units": units,
        "outcomes": [],
        "tags": [],
        "needs_indicators": False,
        "source": {"section": code},
        "note": "",
        "metrics": metrics,
        "children": [],
    }


def plan_document(elements: list[dict[str, object]], **fields: object) -> dict[str, object]:
    """A one-level plan ("tiny", owned by DHS) in the canonical shape ``planfile`` produces."""
    return {
        "format": "wpstrack-plan/1",
        "slug": "tiny",
        "title": "Tiny plan",
        "short_title": "",
        "owner_unit": "DHS",
        "source": {"file": "tiny.txt", "title": "Tiny", "publisher": "", "note": "", "date": None},
        "period": {"start": None, "end": None, "as_written": ""},
        "fiscal_year_start_month": 10,
        "approval": {"steps": [], "higher_levels_see_unapproved": False},
        "status": {"tolerance": 0.1, "rollup": "worst", "rollup_share": 0.25},
        "rules": [],
        "levels": [{"key": "action", "name": "Action"}],
        "sections": [],
        "obligations": [],
        "elements": elements,
        **fields,
    }
