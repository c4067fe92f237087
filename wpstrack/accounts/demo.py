"""The demo organisation's people: one account per role, printed at the end of ``wpstrack demo``."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from wpstrack.accounts import services
from wpstrack.accounts.models import OrgUnit, Role
from wpstrack.accounts.unitfile import load_unit_file

DEMO_PASSWORD = "wpstrack-demo"
ACTOR_LABEL = "wpstrack demo"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    roles: tuple[tuple[str, str], ...]  # (unit code, role)


DEMO_PEOPLE = (
    DemoPerson(
        "admin@example.org",
        "Amira Haddad",
        (
            ("DHS", Role.ADMINISTRATOR),
            ("DOS", Role.ADMINISTRATOR),
            ("UN-DPO", Role.ADMINISTRATOR),
            ("UN-DOS", Role.ADMINISTRATOR),
        ),
    ),
    DemoPerson("coordinator@example.org", "Claire Moreau", (("DHS", Role.COORDINATOR),)),
    DemoPerson("focal.cbp@example.org", "Fatima Rahman", (("DHS-CBP", Role.FOCAL_POINT),)),
    DemoPerson("reviewer.cbp@example.org", "Ravi Patel", (("DHS-CBP", Role.REVIEWER),)),
    DemoPerson("viewer@example.org", "Victor Okafor", (("DHS", Role.VIEWER),)),
    DemoPerson("coordinator.state@example.org", "Sofia Alvarez", (("DOS-PM", Role.COORDINATOR),)),
    DemoPerson(
        "coordinator.dpo@example.org",
        "Nadia Mensah",
        (("UN-DPO", Role.COORDINATOR), ("UN-DOS", Role.VIEWER)),
    ),
    DemoPerson(
        "focal.minusca@example.org", "Jean-Paul Ngrebada", (("MINUSCA-GAU", Role.FOCAL_POINT),)
    ),
)


@transaction.atomic
def load_demo() -> list[tuple[DemoPerson, str]]:
    """Load the organisation and demo accounts; safe to run again (nothing is duplicated)."""
    report, _changed = load_unit_file(settings.PLANS_DIR / "organisation.yaml", actor=None)
    if not report.valid:
        raise ValueError("\n".join(str(p) for p in report.problems))
    # Imported here: accounts must not depend on frameworks at import time.
    from wpstrack.frameworks.loading import bundled_plan_files, load_plan_files

    plans = load_plan_files(bundled_plan_files(), actor=None, actor_label=ACTOR_LABEL)
    if not plans.ok:
        raise ValueError("\n".join(str(p) for p in plans.problems))
    loaded = []
    for person in DEMO_PEOPLE:
        user, _created = services.ensure_account(
            email=person.email,
            full_name=person.full_name,
            password=DEMO_PASSWORD,
            actor=None,
            actor_label=ACTOR_LABEL,
        )
        for code, role in person.roles:
            unit = OrgUnit.objects.get(code=code)
            services.ensure_membership(
                user=user, unit=unit, role=role, actor=None, actor_label=ACTOR_LABEL
            )
        roles = ", ".join(f"{Role(role).label} of {code}" for code, role in person.roles)
        loaded.append((person, roles))
    _demo_round()
    return loaded


def _demo_round() -> None:
    """An open DHS round, FY2025 Q3, so the offices have something to report (once)."""
    import datetime as dt

    from wpstrack.frameworks.models import Plan
    from wpstrack.reporting import services as reporting

    plan = Plan.objects.filter(slug="dhs-wps-2024").first()
    if plan is None or plan.rounds.filter(period="FY2025-Q3").exists():
        return
    created = reporting.create_round(
        plan=plan,
        period="FY2025-Q3",
        due_date=dt.date(2025, 7, 31),
        actor=None,
        actor_label=ACTOR_LABEL,
    )
    reporting.open_round(reporting_round=created, actor=None, actor_label=ACTOR_LABEL)
