"""The demo organisation's people: one account per role, printed at the end of ``wpstrack demo``,
and the people who reported and reviewed the generated history (``demo_history``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from wpstrack.accounts import services
from wpstrack.accounts.models import OrgUnit, Role, User
from wpstrack.accounts.unitfile import load_unit_file

if TYPE_CHECKING:
    from wpstrack.accounts.demo_history import HistoryReport

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


def _focal(slug: str, name: str, unit: str) -> DemoPerson:
    return DemoPerson(f"focal.{slug}@example.org", name, ((unit, Role.FOCAL_POINT),))


def _reviewer(slug: str, name: str, unit: str) -> DemoPerson:
    return DemoPerson(f"reviewer.{slug}@example.org", name, ((unit, Role.REVIEWER),))


# Who reported and reviewed the generated history: a focal point and a reviewer for every unit
# that reports, and the reviewers of the levels above (DHS: office > component > coordinator, so
# ERO's reports go to ICE; UN: section > mission > coordinator). The coordinators are above.
HISTORY_PEOPLE = (
    _focal("dhs", "Grace Kim", "DHS"),
    _reviewer("dhs", "Daniel Brooks", "DHS"),
    _focal("wps", "Hannah Schultz", "DHS-WPS"),
    _reviewer("crcl", "Marcus Bell", "DHS-CRCL"),
    _focal("st", "Priya Nair", "DHS-ST"),
    _reviewer("st", "Thomas Weber", "DHS-ST"),
    _focal("ccgbv", "Alicia Romero", "DHS-CCGBV"),
    _reviewer("ccgbv", "Samuel Osei", "DHS-CCGBV"),
    _focal("fema", "Laura Jensen", "DHS-FEMA"),
    _reviewer("fema", "Kevin O'Brien", "DHS-FEMA"),
    _focal("ero", "Rosa Delgado", "DHS-ICE-ERO"),
    _reviewer("ero", "James Carter", "DHS-ICE-ERO"),
    _reviewer("ice", "Linda Nguyen", "DHS-ICE"),
    _focal("fletc", "Michael Reyes", "DHS-FLETC"),
    _reviewer("fletc", "Sarah Whitfield", "DHS-FLETC"),
    _focal("cisa", "Aisha Bello", "DHS-CISA"),
    _reviewer("cisa", "Erik Lindqvist", "DHS-CISA"),
    _focal("dpo-gu", "Ingrid Solberg", "UN-DPO-GU"),
    _reviewer("dpo-gu", "Kwame Asante", "UN-DPO-GU"),
    _focal("dpo-oma", "Arjun Mehta", "UN-DPO-OMA"),
    _reviewer("dpo-oma", "Beatriz Santos", "UN-DPO-OMA"),
    _focal("dpo-pd", "Fatou Diallo", "UN-DPO-PD"),
    _reviewer("dpo-pd", "Henrik Larsen", "UN-DPO-PD"),
    _reviewer("minusca", "Aminata Touré", "MINUSCA"),
    _reviewer("minusca-gau", "Clarisse Yakité", "MINUSCA-GAU"),
    _focal("minusca-ca", "Didier Kossi", "MINUSCA-CA"),
    _reviewer("minusca-ca", "Elena Petrova", "MINUSCA-CA"),
    _focal("minusca-hr", "Mariam Sow", "MINUSCA-HR"),
    _reviewer("minusca-hr", "Paul Ndjoni", "MINUSCA-HR"),
    _focal("minusca-unpol", "Nicole Fortin", "MINUSCA-UNPOL"),
    _reviewer("minusca-unpol", "Ibrahim Keita", "MINUSCA-UNPOL"),
    _focal("minusca-mil", "Rakesh Sharma", "MINUSCA-MIL"),
    _reviewer("minusca-mil", "Tomasz Zielinski", "MINUSCA-MIL"),
    _focal("minusca-ma", "Grace Achieng", "MINUSCA-MA"),
    _reviewer("minusca-ma", "Lars Eriksen", "MINUSCA-MA"),
    _reviewer("unmiss", "Rebecca Nyandeng", "UNMISS"),
    _focal("unmiss-gau", "Achol Deng", "UNMISS-GAU"),
    _reviewer("unmiss-gau", "Sophie Martin", "UNMISS-GAU"),
    _focal("unmiss-ca", "John Lado", "UNMISS-CA"),
    _reviewer("unmiss-ca", "Yuki Tanaka", "UNMISS-CA"),
    _focal("unmiss-hr", "Mary Akech", "UNMISS-HR"),
    _reviewer("unmiss-hr", "David Mwangi", "UNMISS-HR"),
    _focal("unmiss-unpol", "Esther Boateng", "UNMISS-UNPOL"),
    _reviewer("unmiss-unpol", "Ahmed Farouk", "UNMISS-UNPOL"),
    _focal("unmiss-mil", "Bilal Chaudhry", "UNMISS-MIL"),
    _reviewer("unmiss-mil", "Joseph Kariuki", "UNMISS-MIL"),
    _focal("unmiss-ma", "Ana Ferreira", "UNMISS-MA"),
    _reviewer("unmiss-ma", "Peter Okello", "UNMISS-MA"),
)


@dataclass
class DemoLoad:
    """What ``load_demo`` did: the people (with their roles in words) and the history made."""

    people: list[tuple[DemoPerson, str]]
    history_people: list[tuple[DemoPerson, str]]
    history: HistoryReport | None  # None when the history was not asked for


def load_demo(
    *, history: bool = True, periods: Mapping[str, Sequence[str]] | None = None
) -> DemoLoad:
    """Load the organisation, plans, demo accounts and the open FY2025 Q3 DHS round, then the
    generated history (all of it, or ``periods``: plan slug -> period codes, for a slice). Safe to
    run again: nothing is duplicated, and a period that already has a round is left alone.

    Two transactions: the history commits on its own, so the emails its services queue on commit
    are dropped while it runs (see ``demo_history.generate_history``)."""
    people, history_people = _load_base()
    made = None
    if history:
        from wpstrack.accounts import demo_history

        made = demo_history.generate_history(periods)
    return DemoLoad(people, history_people, made)


@transaction.atomic
def _load_base() -> tuple[list[tuple[DemoPerson, str]], list[tuple[DemoPerson, str]]]:
    report, _changed = load_unit_file(settings.PLANS_DIR / "organisation.yaml", actor=None)
    if not report.valid:
        raise ValueError("\n".join(str(p) for p in report.problems))
    # Imported here: accounts must not depend on frameworks at import time.
    from wpstrack.frameworks.loading import bundled_plan_files, load_plan_files

    plans = load_plan_files(bundled_plan_files(), actor=None, actor_label=ACTOR_LABEL)
    if not plans.ok:
        raise ValueError("\n".join(str(p) for p in plans.problems))
    # One hash for every demo account: they all share the published password, and hashing it
    # afresh for each of ~60 accounts would cost half a second apiece.
    password_hash = make_password(DEMO_PASSWORD)
    people = [_ensure_person(person, password_hash) for person in DEMO_PEOPLE]
    history_people = [_ensure_person(person, password_hash) for person in HISTORY_PEOPLE]
    _demo_round()
    from wpstrack.rosters.demo import ensure_demo_mapping

    ensure_demo_mapping()
    return people, history_people


def _ensure_person(person: DemoPerson, password_hash: str) -> tuple[DemoPerson, str]:
    user, created = services.ensure_account(
        email=person.email,
        full_name=person.full_name,
        password=None,
        actor=None,
        actor_label=ACTOR_LABEL,
    )
    if created:
        User.objects.filter(pk=user.pk).update(password=password_hash)
    for code, role in person.roles:
        unit = OrgUnit.objects.get(code=code)
        services.ensure_membership(
            user=user, unit=unit, role=role, actor=None, actor_label=ACTOR_LABEL
        )
    roles = ", ".join(f"{Role(role).label} of {code}" for code, role in person.roles)
    return person, roles


LAW_ENFORCEMENT_COMPONENTS = ("DHS-CBP", "DHS-ICE", "DHS-FLETC")
# Share of women in law-enforcement positions; women applicants and new hires (by sex).
ROSTER_METRICS = ("1.1-A2-M1", "1.1-A2-M2")


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
    # DHS collects the law-enforcement workforce figures from each law-enforcement component as
    # well as for the Department (a coordinator's adjustment before opening): the HR roster fills
    # them all in one run (see the Rosters page and docs/rosters.md).
    for code in LAW_ENFORCEMENT_COMPONENTS:
        unit = OrgUnit.objects.get(code=code)
        for item in ROSTER_METRICS:
            reporting.add_assignment(
                reporting_round=created,
                unit=unit,
                item=item,
                actor=None,
                actor_label=ACTOR_LABEL,
            )
    reporting.open_round(reporting_round=created, actor=None, actor_label=ACTOR_LABEL)
