"""Years of generated reporting history for ``wpstrack demo``, so a newcomer sees a living system.

What it makes (``PLANS``): the DHS plan's quarterly rounds FY2022-Q1 .. FY2025-Q2 and the DPO
policy's annual rounds FY2021 .. FY2024, every unit's report saved, submitted, approved up the
plan's chain (DHS: office > component > coordinator; UN: section > mission > coordinator) and the
round closed. In each round a few units submit after the due date (and get the reminders
``send-reminders`` would send), and a few reports are returned once with a comment, corrected and
approved. Figures follow a model per metric (``SERIES``): counts by sex whose parts add up to the
total typed with them, shares as numerator over denominator, trending from the plan's baseline
towards its target where the plan states them; some improve, some stay flat, a few go the wrong
way, so every status shows. The DPO policy's UGPS metric (which names no unit) is given to the
Gender Unit before each round opens (``EXTRA_ASSIGNMENTS``), and its share of women is reported per
personnel category (``ByCategory``). Actions (``STORIES``) start, progress, stall and complete, with a
narrative, evidence links and the milestone promised. Everything is seeded: the same run makes
the same history, period by period, whatever slice of it is asked for.

How it is made: through the real services only (``create_round``, ``open_round``,
``save_submission``, ``submit_submission``, ``return_submission``, ``approve_submission``,
``close_round``, ``send_reminders``), acted by the demo people (``demo.HISTORY_PEOPLE``), so each
figure has its submitter, approvers, comments and audit rows like reported data. A *simulated
clock* dates them: while the history runs, Django's ``timezone.now()`` answers the historical
moment of each step (a discrete-event simulation plays every step in time order), so
``submitted_at``, approvals, comments, values and the append-only audit rows are written once with
their historical time; nothing is updated after the fact. Emails the services queue are dropped.
Each generated round is marked ``generated`` (audited), which puts the demo-data banner on every
page.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings

from wpstrack.accounts.demo import ACTOR_LABEL, DEMO_PEOPLE, HISTORY_PEOPLE
from wpstrack.accounts.models import Membership, OrgUnit, Role, User
from wpstrack.analysis.refresh import refresh_plan
from wpstrack.audit.services import record_event
from wpstrack.frameworks.models import Element, Plan
from wpstrack.lib.periods import Period
from wpstrack.reporting import approval, entry, reminders, services
from wpstrack.reporting.models import (
    ActionUpdate,
    ReportingRound,
    RoundState,
    Submission,
    Value,
)
from wpstrack.reporting.rules import TOTAL, Cell, CellError, derived_total

SEED = "wpstrack-demo-history-1"
REMINDER_LABEL = "command send-reminders"
WARNINGS = {"large-change", "implausible-value", "outlier"}


@dataclass(frozen=True)
class PlanHistory:
    slug: str
    first: str  # the first period of the history
    last: str  # the last one
    coordinator: str  # who prepares, opens, accepts (last step) and closes the rounds
    due_months: int  # due on the last day of this many months after the period ends
    late: tuple[int, ...]  # how many units submit late in a round (one drawn per round)
    returned: tuple[int, ...]  # how many reports are returned once in a round
    hours: tuple[int, int] = (13, 21)  # working hours, UTC


PLANS = (
    PlanHistory(
        "dhs-wps-2024",
        "FY2022-Q1",
        "FY2025-Q2",
        "coordinator@example.org",
        due_months=1,
        late=(1, 1, 1, 2, 2),
        returned=(0, 1, 1, 1, 2),
    ),
    PlanHistory(
        "dpo-gender-policy-2024",
        "FY2021",
        "FY2024",
        "coordinator.dpo@example.org",
        due_months=2,
        late=(1, 2, 2, 3),
        returned=(1, 1, 2, 3),
    ),
)
# Units more often late than others (weights; 1 is the usual).
LATE_PRONE = {"DHS-FEMA": 3.0, "DHS-ICE-ERO": 2.0, "DHS": 1.5, "UNMISS-UNPOL": 2.0}
# Working hours by where the unit sits (UTC): the missions are in Bangui and Juba.
UNIT_HOURS = {"MINUSCA": (7, 16), "UNMISS": (6, 15)}
MISSIONS = tuple(UNIT_HOURS)


# --- Figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """How a metric's figures move: ``start`` in the first period of the history (or in the
    period ``after`` completes), changing by ``per_year``. Counts are per period (a quarter's
    count in a quarterly round); ``noise`` is a share of the figure for counts, points for shares
    and scores. Counts by sex split into women (``women``, moving by ``women_per_year``), "other /
    not recorded" (``other``) and men. A share with a ``denominator`` is reported as numerator
    over a denominator of about that size. ``yearly``: one figure a fiscal year (a survey), the
    same in each quarter. ``after``: an action whose completion starts the figures (0 before)."""

    start: float
    per_year: float = 0.0
    noise: float = 0.0
    women: float = 0.0
    women_per_year: float = 0.0
    other: float = 0.0
    denominator: int = 0
    yearly: bool = False
    after: str = ""
    floor: float = 0.0
    why_first: str = ""  # the comment on the first figure after ``after`` completed
    why_up: str = ""
    why_down: str = ""


@dataclass(frozen=True)
class Milestone:
    """Done in the period the action it belongs to completes."""

    action: str


@dataclass(frozen=True)
class Texts:
    """Narrative answers, one a period in turn; ``before`` until action ``after`` completes."""

    texts: tuple[str, ...]
    after: str = ""
    before: str = ""


@dataclass(frozen=True)
class ByCategory:
    """A share reported per category (e.g. of uniformed personnel), each category's numerator
    over its denominator moving by its own ``Series`` (keyed by category key)."""

    categories: Mapping[str, Series]


Profile = Series | Milestone | Texts | ByCategory

SERIES: dict[str, Profile | dict[str, Profile]] = {
    # LOE 1: participation
    "1.1-A1-M1": Series(
        38,
        4,
        0.06,
        women=0.97,
        other=0.03,
        why_up="A larger cohort started in the WLE Mentoring Program.",
        why_down="A smaller cohort: fewer mentors were available this period.",
    ),
    "1.1-A1-M2": Series(3, 0.9),
    "1.1-A2-M1": Series(16.2, 0.9, 0.25, denominator=61000),
    "1.1-A2-M2": Series(
        2300,
        120,
        0.06,
        women=0.33,
        women_per_year=0.01,
        other=0.01,
        why_up="Hiring surge at CBP and ICE this period.",
        why_down="Fewer vacancies announced this period (hiring freeze).",
    ),
    "1.1-A2-M3": Series(24.5, 0.8, 0.6, denominator=2300),
    "1.1-A3-M1": Series(21.8, 0.05, 0.5, denominator=600),
    "1.2-A1-M1": Series(31.0, 0.8, 0.3, denominator=420),
    "1.2-A1-M2": Series(7.4, 0.45, 0.25),  # attrition should fall: it rises
    "1.2-A1-M3": Series(
        66.0,
        1.1,
        0.4,
        yearly=True,
        why_up="This fiscal year's FEVS results came out higher.",
        why_down="This fiscal year's FEVS results came out lower.",
    ),
    "1.2-A1-M4": Series(4, 0.8),
    "1.2-A2-M1": Series(8.2, -0.4, 0.2),
    "1.2-A2-M2": Series(
        68.4,
        -0.6,
        0.3,
        yearly=True,
        why_up="This fiscal year's FEVS results came out higher.",
        why_down="This fiscal year's FEVS results came out lower.",
    ),  # should rise: it falls
    "1.2-A2-M3": Series(1, 0.3),
    "1.2-A3-M1": Series(6.8, 0.0, 0.2),  # flat
    "1.2-A3-M2": Series(26, 4, 0.08, women=0.9, other=0.02),
    "1.2-A3-M3": Series(5, 1),
    # LOE 2: protection
    "2.1-A1-M1": Milestone("2.1-A1"),
    "2.1-A2-M1": Series(
        9500,
        -3000,
        0.06,
        women=0.38,
        other=0.01,
        after="2.1-A1",
        floor=2500,
        why_first="The online GBV training was launched: the first completions.",
        why_down="Most staff completed the training when it launched; now mainly new hires take it.",
    ),
    "2.1-A2-M2": Texts(
        (
            "Survey responses rated the training useful; most respondents said it explained the "
            "survivor-centered approach clearly. Several asked for more scenarios for field staff.",
            "Components reported the module length was right; staff who took it at launch asked "
            "for a shorter refresher.",
            "Listening sessions with ICE and USCIS staff: the case studies were valued most. "
            "Captions on the videos were corrected after comments on accessibility.",
            "Feedback consistent with earlier periods; requests for a supervisors' version were "
            "passed to CCGBV.",
        ),
        after="2.1-A1",
        before="The training is not deployed yet; the feedback survey is ready to go out with it.",
    ),
    "2.2-A1-M1": Milestone("2.2-A1"),
    "2.2-A1-M2": Texts(
        (
            "The DHS Indigenous Languages Plan's progress measures are being drafted with CRCL; "
            "none is final yet.",
            "Progress measures agreed for interpreter availability and waiting times; reporting "
            "against them starts next fiscal year.",
            "Requests for interpreters in Indigenous languages were tracked in three components; "
            "the data will feed the plan's progress measures.",
        )
    ),
    "2.2-A2-M1": Series(
        1150,
        -90,
        0.04,
        women=0.56,
        other=0.01,
        why_down="Funding was lower than requested: enrolment paused in two locations.",
    ),  # should rise: funding falls
    "2.2-A2-M2": Texts(
        (
            "Participants' appearance rate at immigration court hearings stayed high and in "
            "absentia orders among them remained rare; applications for relief filed with case "
            "managers' help rose slightly.",
            "Use of services (legal orientation, referrals to health and housing services) was "
            "steady; fewer new enrolments because of the funding limit.",
            "Case managers referred more participants to legal service providers; grants of "
            "relief among participants are counted once a year.",
        )
    ),
    # LOE 3: relief, response and recovery
    "3.1-A1-M1": Series(
        160,
        55,
        0.12,
        women=0.46,
        other=0.01,
        why_up="Extra sessions were held for newly recruited responders.",
        why_down="Trainers were deployed to disaster response; sessions moved to the next period.",
    ),
    "3.1-A2-M1": Series(1, 0.35),
    # LOE 4: integration and institutionalization
    "4.1-A1-M1": Texts(
        (
            "The WPS Team reviewed two programme documents with the gender analysis checklist and "
            "sent comments to their owners.",
            "Gender analysis guidance presented to the Focal Points Working Group; three "
            "components volunteered to pilot it.",
            "The pilot components used the checklist in their planning; lessons learned were "
            "collected for the Management Directive.",
        )
    ),
    "4.1-A1-M2": Milestone("4.1-A1"),
    "4.1-A2-M1": Series(
        240,
        120,
        0.1,
        women=0.52,
        other=0.01,
        after="4.1-A2",
        why_first="The training on GBV and the survivor-centered approach was deployed: the first "
        "completions.",
    ),
    "4.1-A2-M2": Texts(
        (
            "Survivor-centered principles added to the intake procedures of two programmes.",
            "CCGBV reviewed complaint-handling guidance with CRCL so survivors are referred to "
            "support before interviews.",
            "Trauma-informed interviewing is now part of the onboarding of staff who meet the "
            "public in three components.",
        )
    ),
    "4.1-A3-M1": Milestone("4.1-A3"),
    "4.1-A4-M1": Series(
        14,
        12,
        0.12,
        women=0.4,
        other=0.02,
        after="4.1-A4",
        why_first="The micro-credential course opened: the first completions.",
    ),
    "4.2-A1-M1": {"DHS-CBP": Series(2, 0.2), "DHS-ICE-ERO": Series(1, 0.3)},
    "4.2-A2-M1": {"DHS-CBP": Series(1, 0.3), "DHS-ICE-ERO": Series(1, 0.2)},
    "4.2-A3-M1": Series(1, 0.6),
    "4.3-A1-M1": Series(310, 30, 0.07, women=0.31, women_per_year=0.005, other=0.01),
    "4.3-A2-M1": Texts(
        (
            "Two additional SAITP classes scheduled; instructor pool extended with two adjunct "
            "instructors from partner agencies.",
            "The SAITP course was revised with a module on trauma-informed interviewing.",
            "Requests for SAITP seats from partner agencies met in full this period.",
        )
    ),
    "4.3-A3-M1": Milestone("4.3-A3"),
    "4.3-A3-M2": Series(
        900,
        700,
        0.08,
        women=0.36,
        other=0.01,
        after="4.3-A3",
        why_first="The PREA Directive was signed and its training started: the first completions.",
    ),
    # LOE 5: partnerships
    "5.1-A1-M1": Series(3, 0.8),
    "5.1-A1-M2": Series(3, 0.0),  # flat: one meeting a month
    "5.1-A2-M1": Series(2, 0.7),
    "5.2-A1-M1": Series(6, 1.6, 0.1),
    "5.2-A1-M2": Series(240, 95, 0.1, women=0.61, other=0.03),
    "5.2-A1-M3": Series(8, 3, 0.15, women=0.93, other=0.02),
    # DPO policy: the Task Force meets at least twice a year; 15% of project funding
    "30-M1": {
        "UN-DPO-GU": Series(2, 0.35),
        "MINUSCA-GAU": Series(1.4, 0.4),
        "UNMISS-GAU": Series(2.3, -0.45),  # falls below the target
    },
    "A1-02-F6-M1": {
        "MINUSCA-CA": Series(9.6, 2.0, 0.3, denominator=2_400_000),
        "UNMISS-CA": Series(12.4, -0.8, 0.3, denominator=3_100_000),  # away from 15
    },
    # The UGPS metric wpstrack added: women among deployed uniformed personnel per category.
    # Starts near the April 2021 figures DPO published (5.3% of troops, 17.6% of individual
    # military officers) and moves toward the 2023-2025 figures reported since
    # (../shared/design/DOMAIN-FACTS.md, section 1): troops short of their targets, staff
    # officers near theirs, FPUs past theirs, IPOs around 30%.
    "17-M1": ByCategory(
        {
            "military-contingent": Series(5.3, 0.7, 0.15, denominator=68_000),
            "staff-officer": Series(17.6, 1.5, 0.3, denominator=4_600),
            "formed-police-unit": Series(11.5, 2.0, 0.4, denominator=9_800),
            "individual-police-officer": Series(29.5, 0.5, 0.4, denominator=1_450),
            "justice-corrections": Series(26.0, 0.8, 0.8, denominator=380),
        }
    ),
}
# Metrics whose element names no unit: the coordinator gives each to a unit before opening the
# round, as the plan's note asks (the UGPS metric: OCSS is not in the organisation tree).
EXTRA_ASSIGNMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "dpo-gender-policy-2024": (("UN-DPO-GU", "17-M1"),),
}


# --- Actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """How an action goes: not started before period ``begins`` (counted from the history's
    first period); then ``periods`` periods of work to complete it (0: continuing work that is
    never "completed"), each ``steps`` entry describing a stage; stalled in the periods listed in
    ``delayed`` (for ``why_delayed``), which pushes completion back; ``delivers`` is the
    milestone promised, with the date it is then expected."""

    steps: tuple[str, ...]
    begins: int = 0
    periods: int = 0
    delayed: tuple[int, ...] = ()
    why_delayed: str = ""
    delivers: str = ""
    waits_for: str = ""

    def completed_at(self) -> int | None:
        if not self.periods:
            return None
        active, index = 0, self.begins
        while True:
            if index not in self.delayed:
                active += 1
                if active >= self.periods:
                    return index
            index += 1


STORIES: dict[str, Story | dict[str, Story]] = {
    "1.1-A1": Story(
        (
            "A new WLE Mentoring Program cohort was matched: mentees paired with senior law "
            "enforcement mentors from other components.",
            "Mentoring pairs met monthly; a cohort session on promotion boards was held.",
            "Mid-cohort survey sent; mentees asked for more pairings across components.",
            "The cohort graduated; applications for the next cohort opened.",
        )
    ),
    "1.1-A2": Story(
        (
            "The Women in Law Enforcement working group shared recruiting practices across "
            "components.",
            "Components compared hiring data and agreed two practices to pilot: preparation "
            "for the fitness test and recruiting events led by women officers.",
            "Results of the pilots reviewed with the components' human capital offices.",
        )
    ),
    "1.1-A3": Story(
        (
            "Legal review started with the Office of the General Counsel on where Bona Fide "
            "Occupational Qualifications can apply.",
            "Positions where a BFOQ applies identified with CBP and ICE.",
            "Draft guidance on using BFOQs in vacancy announcements sent to components.",
            "Guidance issued; components use it in their vacancy announcements.",
        ),
        begins=1,
        periods=8,
        delayed=(6, 7),
        why_delayed="The draft guidance waits for legal clearance.",
        delivers="BFOQ guidance issued to components",
    ),
    "1.2-A1": Story(
        (
            "S&T held outreach events with universities and STEM associations for women.",
            "Internal STEM talks and a speaker series on inclusive teams were held.",
            "Hiring panels for STEM positions now include at least one woman panel member.",
        )
    ),
    "1.2-A2": Story(
        (
            "Survey of STEM staff on the flexibilities they need (telework, schedules, leave).",
            "Managers briefed on the existing flexibilities; gaps reported to human capital.",
            "Pilot of compressed schedules in two divisions.",
            "Flexible-work guidance for STEM positions issued after the pilot's review.",
        ),
        periods=10,
        delayed=(3,),
        why_delayed="The survey closed late; the analysis moves to the next quarter.",
        delivers="Flexible-work guidance for STEM positions in place",
    ),
    "1.2-A3": Story(
        (
            "Networking sessions for women in STEM held with the DHS women's employee network.",
            "Mentoring matches made for this period's mentees.",
            "Career development plans reviewed with mentees and their supervisors.",
        )
    ),
    "2.1-A1": Story(
        (
            "Content of the online GBV training drafted with survivors' organisations.",
            "Modules reviewed by components; accessibility testing started.",
            "Pilot with 200 staff in three components; feedback taken in.",
            "Online training deployed to the DHS workforce.",
        ),
        periods=6,
        delivers="Online GBV training deployed",
    ),
    "2.1-A2": Story(
        (
            "Components identified the staff who must take the GBV training and track their "
            "completion.",
            "Completion figures collected from every component's learning system.",
            "Reminders sent to staff who have not completed the training.",
        ),
        begins=5,
        waits_for="CCGBV's online training (action 2.1-A1)",
    ),
    "2.2-A1": Story(
        (
            "Interpreting needs of Indigenous women and girls mapped with CBP and USCIS.",
            "Guidance for interpreters drafted with Indigenous organisations.",
            "Draft guidance tested with contract interpreters.",
            "Language access guidance distributed to components.",
        ),
        begins=2,
        periods=8,
        delayed=(6,),
        why_delayed="Consultation with Indigenous organisations took longer than planned.",
        delivers="Interpreter guidance distributed",
    ),
    "2.2-A2": Story(
        (
            "CMPP case management continued in all locations.",
            "New service providers joined CMPP in two locations.",
            "CMPP participants referred to legal orientation and community services.",
        ),
        delayed=(9, 10, 11),
        why_delayed="Funding for the year was lower than requested: enrolment paused in two "
        "locations.",
    ),
    "3.1-A1": Story(
        (
            "GBV training sessions held for disaster responders.",
            "GBV module added to the emergency managers' course.",
            "Refresher sessions held before the hurricane season.",
        ),
        delayed=(3, 11),
        why_delayed="Trainers were deployed to hurricane response; sessions moved to the next "
        "quarter.",
    ),
    "3.1-A2": Story(
        (
            "Inventory of FEMA policies that touch on GBV prepared.",
            "Policies reviewed with the Office of Civil Rights; priorities agreed.",
            "First revised policies in clearance.",
            "GBV considerations integrated in FEMA's policies.",
        ),
        begins=1,
        periods=14,
        delayed=(7,),
        why_delayed="Policy staff were assigned to disaster operations.",
        delivers="GBV considerations integrated in FEMA policies",
    ),
    "4.1-A1": Story(
        (
            "Outline of the WPS Management Directive agreed with the Focal Points Working Group.",
            "First draft of the Directive and Instruction written.",
            "Draft shared with components for comment.",
            "Directive in Departmental clearance.",
            "WPS Management Directive and Instruction signed and distributed.",
        ),
        begins=4,
        periods=14,
        delayed=(9, 10),
        why_delayed="The draft Directive is in Departmental clearance; comments from two "
        "components are outstanding.",
        delivers="WPS Management Directive and Instruction signed",
    ),
    "4.1-A2": Story(
        (
            "Training on GBV and the survivor-centered approach designed with trauma experts.",
            "Course materials reviewed by components whose staff meet the public.",
            "Training deployed to employees and contractors who interact with the public.",
        ),
        periods=7,
        delivers="Training on GBV and the survivor-centered approach deployed",
    ),
    "4.1-A3": Story(
        (
            "Contents of the toolkit on GBV and secondary trauma agreed with employee assistance.",
            "Toolkit drafted and tested with employee focus groups.",
            "Employee toolkit on GBV and secondary trauma published.",
        ),
        begins=2,
        periods=6,
        delivers="Employee toolkit on GBV and secondary trauma published",
    ),
    "4.1-A4": Story(
        (
            "Micro-credential curriculum on reintegrating Foreign Terrorist Fighter children "
            "and spouses designed.",
            "Course piloted with partner-country practitioners.",
            "Micro-credential course open to practitioners.",
        ),
        periods=4,
        delivers="Micro-credential course open",
    ),
    "4.2-A1": {
        "DHS-CBP": Story(
            (
                "Review of detention standards for gender-specific needs of women started.",
                "Standards compared with good practice; facility visits held.",
                "Proposed changes drafted and discussed with the Office of Field Operations.",
                "Review finished; changes to standards proposed.",
            ),
            periods=9,
            delayed=(4,),
            why_delayed="Facility visits postponed because of the rise in border encounters.",
            delivers="Review of detention standards finished",
        ),
        "DHS-ICE-ERO": Story(
            (
                "Review of detention standards for gender-specific needs of women started.",
                "Standards compared with good practice; inspections' findings analysed.",
                "Proposed changes drafted with the detention standards unit.",
                "Review finished; changes to standards proposed.",
            ),
            begins=1,
            periods=10,
            delayed=(5, 6),
            why_delayed="Staff reassigned to the detention standards revision ordered by "
            "leadership.",
            delivers="Review of detention standards finished",
        ),
    },
    "4.2-A2": {
        "DHS-CBP": Story(
            (
                "Review of policies for gender-specific issues of certain populations scoped.",
                "Policies reviewed with civil rights advisers.",
                "Review finished; updates proposed.",
            ),
            begins=2,
            periods=10,
            delivers="Policy review finished",
        ),
        "DHS-ICE-ERO": Story(
            (
                "Review of policies for gender-specific issues of certain populations scoped.",
                "Policies reviewed with civil rights advisers.",
                "Review finished; updates proposed.",
            ),
            begins=2,
            periods=12,
            delayed=(8,),
            why_delayed="Waiting for the results of the detention standards review (4.2-A1).",
            delivers="Policy review finished",
        ),
    },
    "4.2-A3": Story(
        (
            "Needs for supplemental guidance collected from the field.",
            "Supplemental guidance on detention conditions drafted.",
            "Guidance issued to the field with a short briefing.",
        ),
        begins=4,
        periods=7,
        delivers="Supplemental guidance issued",
    ),
    "4.3-A1": Story(
        (
            "HTAT courses delivered at FLETC's training sites.",
            "HTAT course updated with new case studies on labour trafficking.",
            "HTAT delivered online for partner agencies.",
        )
    ),
    "4.3-A2": Story(
        (
            "SAITP classes delivered as scheduled.",
            "Two additional SAITP classes added to meet demand.",
            "SAITP materials revised after the course review.",
        ),
        delayed=(6,),
        why_delayed="Two SAITP classes cancelled: instructors reassigned to the basic training "
        "surge.",
    ),
    "4.3-A3": Story(
        (
            "Scope of the PREA extension agreed with components.",
            "Draft Directive and Instruction written.",
            "Draft in Departmental clearance.",
            "PREA Directive and Instruction signed.",
        ),
        begins=1,
        periods=8,
        delivers="PREA Directive and Instruction signed",
    ),
    "5.1-A1": Story(
        (
            "Meeting with the Civil Society Working Group on WPS implementation.",
            "Roundtable with academic partners on gender and homeland security.",
            "Interagency WPS meeting: DHS reported its progress.",
        )
    ),
    "5.1-A2": Story(
        (
            "Exchange with a partner country's ministry of interior on its WPS national action "
            "plan.",
            "DHS took part in an international WPS focal points network meeting.",
            "Joint workshop on gender in border management held with a partner agency.",
        )
    ),
    "5.2-A1": Story(
        (
            "Events with organisations for women in cybersecurity held.",
            "CISA staff spoke at women-in-cyber conferences; internship openings promoted.",
            "Mentoring sessions for girls in cybersecurity camps.",
        )
    ),
}

# DPO actions: generic stories per kind of unit, drawn per unit and action.
UN_STEPS = {
    "mission": (
        "The section agreed its gender work plan on this requirement with the mission's Gender "
        "Affairs Unit and named its gender focal point.",
        "Staff briefed on the requirement; field offices started to apply it in their planning.",
        "Progress reviewed at the mission's Gender/WPS Taskforce; gaps in field offices "
        "followed up.",
        "Applied across the section's field offices; results included in the mission's annual "
        "gender report.",
    ),
    "hq": (
        "Work plan on this requirement agreed with the DPO Gender Unit.",
        "Guidance and briefing materials prepared for missions; mission focal points consulted.",
        "Progress reviewed at the Gender/WPS Taskforce; follow-up agreed with missions.",
        "Done; the practice is now part of the office's regular work.",
    ),
}
UN_DELAYS = (
    "Security incidents restricted movement to field offices.",
    "The section's gender focal point post was vacant for six months.",
    "Budget cuts under the liquidity crisis postponed the planned workshops.",
    "Work paused while the mission closed two field offices.",
)


def _story(code: str, unit: OrgUnit) -> Story:
    story = STORIES.get(code)
    if isinstance(story, dict):
        story = story.get(unit.code) or next(iter(story.values()))
    if story is not None:
        return story
    rng = _rng("story", unit.code, code)
    begins = rng.choice((0, 0, 1))
    periods = rng.choice((0, 2, 3, 3, 4, 5))
    delayed = (rng.randint(begins + 1, 3),) if rng.random() < 0.35 else ()
    kind = "mission" if unit.code.startswith(MISSIONS) else "hq"
    return Story(
        UN_STEPS[kind],
        begins=begins,
        periods=periods,
        delayed=delayed,
        why_delayed=rng.choice(UN_DELAYS),
        delivers="Requirement met across the section" if kind == "mission" else "Requirement met",
    )


# --- Generating ----------------------------------------------------------------------------


@dataclass
class HistoryReport:
    """What ``generate_history`` made (counted over the rounds it made this time)."""

    rounds: list[str] = field(default_factory=list)  # "slug PERIOD"
    submissions: int = 0
    values: int = 0
    action_updates: int = 0
    late: int = 0  # submitted (or, once returned, resubmitted) after the due date
    returned: int = 0
    reminders: int = 0

    def __str__(self) -> str:
        return (
            f"{len(self.rounds)} closed round{'' if len(self.rounds) == 1 else 's'}, "
            f"{self.submissions} approved reports "
            f"({self.late} submitted after the due date, {self.returned} returned once and "
            "corrected), "
            f"{self.values} figures, {self.action_updates} action updates, "
            f"{self.reminders} reminders"
        )


def generate_history(periods: Mapping[str, Sequence[str]] | None = None) -> HistoryReport:
    """Generate the history of ``PLANS`` (or, with ``periods``, of those plan slugs' periods only,
    e.g. for a quick test). A period that already has a round is skipped, so this is safe to run
    again. One transaction; the emails the services queue are dropped (history is not news)."""
    report = HistoryReport()
    clock = _Clock()
    # The transaction closes inside the email override: the queued emails go nowhere.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        simulation = _Simulation(clock, report)
        with clock.installed():
            for history in PLANS:
                if periods is not None and history.slug not in periods:
                    continue
                plan = Plan.objects.filter(slug=history.slug).first()
                if plan is None or plan.current_version is None:
                    continue
                wanted = _periods(history, plan.fiscal_year_start_month)
                if periods is not None:
                    chosen = set(periods[history.slug])
                    wanted = [p for p in wanted if p.code in chosen]
                existing = set(plan.rounds.values_list("period", flat=True))
                for period in wanted:
                    if period.code not in existing:
                        simulation.plan_round(history, plan, period)
            simulation.run()
        # The services judged each approval's figures as of its own day; the dashboards judge
        # them as of today, as the daily refresh would.
        for plan in Plan.objects.filter(rounds__pk__in=simulation.made).distinct():
            refresh_plan(plan)
        made = ReportingRound.objects.filter(pk__in=simulation.made)
        report.values = Value.objects.filter(submission__reporting_round__in=made).count()
        report.action_updates = ActionUpdate.objects.filter(
            submission__reporting_round__in=made
        ).count()
        report.late = Submission.objects.filter(
            reporting_round__in=made, submitted_at__date__gt=F("reporting_round__due_date")
        ).count()
    return report


class _Clock:
    """A clock for Django's ``timezone.now()``: while installed and set, it answers ``now``.

    ``timezone.now()`` reads ``datetime.now`` from ``django.utils.timezone``'s module globals
    on each call (model field defaults hold ``timezone.now`` itself), so swapping that name for a
    subclass whose ``now`` answers the simulated time dates every row the services write."""

    def __init__(self) -> None:
        self.now: dt.datetime | None = None

    @contextmanager
    def installed(self) -> Iterator[_Clock]:
        from django.utils import timezone as django_timezone

        real = getattr(django_timezone, "datetime")  # noqa: B009 (not exported, still there)
        _SimulatedDatetime.clock = self
        setattr(django_timezone, "datetime", _SimulatedDatetime)  # noqa: B010
        try:
            yield self
        finally:
            setattr(django_timezone, "datetime", real)  # noqa: B010
            _SimulatedDatetime.clock = None


class _SimulatedDatetime(dt.datetime):
    clock: _Clock | None = None

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        moment = cls.clock.now if cls.clock is not None else None
        if moment is None:
            return dt.datetime.now(tz)
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


def _place(history: PlanHistory, period: Period) -> tuple[int, int]:
    """The period's index in the plan's history (0: its first period), and periods a year."""
    start = Period.parse(history.first, period.start_month)
    per_year = 1 if period.quarter is None else 4
    index = (period.fiscal_year - start.fiscal_year) * per_year + (
        (period.quarter or 1) - (start.quarter or 1)
    )
    return index, per_year


def slot_of(submission: Submission) -> Slot:
    """Where a generated submission sits in its plan's history (to recompute what it reported)."""
    reporting_round = submission.reporting_round
    plan = reporting_round.plan
    history = next(h for h in PLANS if h.slug == plan.slug)
    period = Period.parse(reporting_round.period, plan.fiscal_year_start_month)
    index, per_year = _place(history, period)
    return Slot(submission.unit, period, index, per_year)


def _rng(*parts: object) -> random.Random:
    return random.Random("|".join([SEED, *map(str, parts)]))  # noqa: S311 (not for secrets)


def _next(period: Period) -> Period:
    if period.quarter is None:
        return Period(period.fiscal_year + 1, None, period.start_month)
    if period.quarter == 4:
        return Period(period.fiscal_year + 1, 1, period.start_month)
    return Period(period.fiscal_year, period.quarter + 1, period.start_month)


def _periods(history: PlanHistory, start_month: int) -> list[Period]:
    period, last = Period.parse(history.first, start_month), Period.parse(history.last, start_month)
    found = []
    while period <= last:
        found.append(period)
        period = _next(period)
    return found


def _month_end(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months + 1
    return dt.date(index // 12, index % 12 + 1, 1) - dt.timedelta(days=1)


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _label(period: Period) -> str:
    return "quarter" if period.quarter else "year"


@dataclass
class Slot:
    """A unit's place in the history: the period, and how far into the plan's history it is."""

    unit: OrgUnit
    period: Period
    index: int  # the period's place in the plan's history (0: its first period)
    per_year: int  # periods a year (4 or 1)


@dataclass
class _Report(Slot):
    """One unit's report in one round, as the simulation plays it."""

    submission_id: int
    focal: User
    returned_at: int | None  # the step that returns it, if it is returned
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    actions: dict[str, dict[str, str]] = field(default_factory=dict)
    fix: Callable[[], str] | None = None  # corrects what the reviewer asked; returns the reason
    comment: str = ""  # the reviewer's comment when returning it


class _Simulation:
    """A discrete-event simulation: steps wait in a queue by their time and run in time order,
    each with the clock set to its time. Each round, once made, queues its reports' steps."""

    def __init__(self, clock: _Clock, report: HistoryReport) -> None:
        self.clock = clock
        self.report = report
        self.queue: list[tuple[dt.datetime, int, Callable[[], None]]] = []
        self.sequence = 0
        self.made: list[int] = []  # the rounds made
        emails = [p.email for p in (*DEMO_PEOPLE, *HISTORY_PEOPLE)]
        self.people = {u.email: u for u in User.objects.filter(email__in=emails)}
        self.roles: dict[tuple[int, str], User] = {}
        memberships = Membership.objects.filter(user__email__in=emails).select_related("user")
        for membership in memberships:
            self.roles.setdefault((membership.unit_id, membership.role), membership.user)

    def at(self, when: dt.datetime, step: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (when, self.sequence, step))
        self.sequence += 1

    def run(self) -> None:
        while self.queue:
            when, _sequence, step = heapq.heappop(self.queue)
            self.clock.now = when
            step()

    def person(self, unit: OrgUnit, role: str) -> User:
        """The demo person with ``role`` on the unit, or on the nearest unit above it."""
        for candidate in (unit, *reversed(list(unit.ancestors()))):
            user = self.roles.get((candidate.pk, role))
            if user is not None:
                return user
        raise LookupError(f"no demo {role} for {unit.code}: see demo.HISTORY_PEOPLE")

    # Rounds ------------------------------------------------------------------------------

    def plan_round(self, history: PlanHistory, plan: Plan, period: Period) -> None:
        rng = _rng(history.slug, period.code, "round")
        created = dt.datetime.combine(
            _weekday(period.end - dt.timedelta(days=10)), dt.time(14, rng.randrange(60)), dt.UTC
        )
        self.at(created, lambda: self.make_round(history, plan, period))

    def make_round(self, history: PlanHistory, plan: Plan, period: Period) -> None:
        coordinator = self.people[history.coordinator]
        due = _month_end(period.end, history.due_months)
        made = services.create_round(plan=plan, period=period.code, due_date=due, actor=coordinator)
        for unit_code, item in EXTRA_ASSIGNMENTS.get(plan.slug, ()):
            services.add_assignment(
                reporting_round=made,
                unit=OrgUnit.objects.get(code=unit_code),
                item=item,
                actor=coordinator,
            )
        ReportingRound.objects.filter(pk=made.pk).update(generated=True)
        made.generated = True
        record_event(
            actor=None,
            actor_label=ACTOR_LABEL,
            action="round.generated",
            obj=made,
            unit=plan.owner_unit,
            changes={"generated": [False, True]},
            reason="Demo history made by wpstrack demo: generated, not reported.",
        )
        self.report.rounds.append(f"{plan.slug} {period.code}")
        self.made.append(made.pk)
        assert self.clock.now is not None
        opening = self.clock.now + dt.timedelta(minutes=20)
        self.at(opening, lambda: self.open_round(history, made, period, due, coordinator))

    def open_round(
        self,
        history: PlanHistory,
        made: ReportingRound,
        period: Period,
        due: dt.date,
        coordinator: User,
    ) -> None:
        """Open the round, then queue each unit's report, the reminders and the closing."""
        services.open_round(reporting_round=made, actor=coordinator)
        plan = made.plan
        index, per_year = _place(history, period)
        submissions = list(made.submissions.select_related("unit", "reporting_round__plan"))
        rng = _rng(plan.slug, period.code, "who")
        by_lateness = sorted(
            submissions, key=lambda s: rng.random() / LATE_PRONE.get(s.unit.code, 1.0)
        )
        late = {s.pk for s in by_lateness[: rng.choice(history.late)]}
        returned = {s.pk for s in rng.sample(submissions, rng.choice(history.returned))}
        assert self.clock.now is not None
        last: dt.datetime = self.clock.now
        for submission in submissions:
            last = max(
                last,
                self.plan_report(
                    history,
                    submission,
                    period,
                    index,
                    per_year,
                    due,
                    submission.pk in late,
                    submission.pk in returned,
                ),
            )
        for day in (
            due - dt.timedelta(days=settings.REMINDER_DAYS),
            due + dt.timedelta(days=settings.REMINDER_DAYS),
        ):
            self.at(dt.datetime.combine(day, dt.time(6, 0), dt.UTC), partial(self.remind, day))
        closing = dt.datetime.combine(
            _weekday(last.date() + dt.timedelta(days=rng.randint(3, 8))),
            dt.time(15, rng.randrange(60)),
            dt.UTC,
        )
        self.at(closing, lambda: self.close(made, coordinator))

    def remind(self, day: dt.date) -> None:
        """The daily reminder job on that day, unless it would write to a round that is not
        generated (the open demo round, or real ones): history does not touch them."""
        days = dt.timedelta(days=settings.REMINDER_DAYS)
        if ReportingRound.objects.filter(
            state=RoundState.OPEN, generated=False, due_date__lte=day + days
        ).exists():
            return
        sent = reminders.send_reminders(
            today=day, days=settings.REMINDER_DAYS, actor_label=REMINDER_LABEL
        )
        self.report.reminders += len(sent)

    def close(self, made: ReportingRound, coordinator: User) -> None:
        made.refresh_from_db()
        services.close_round(reporting_round=made, actor=coordinator)

    # Reports -----------------------------------------------------------------------------

    def plan_report(
        self,
        history: PlanHistory,
        submission: Submission,
        period: Period,
        index: int,
        per_year: int,
        due: dt.date,
        late: bool,
        returned: bool,
    ) -> dt.datetime:
        """Queue one unit's report: saved, submitted (on time or late), perhaps returned once and
        corrected, approved step by step. Returns the time of its last step."""
        unit = submission.unit
        rng = _rng(submission.reporting_round.plan.slug, period.code, unit.code, "when")
        hours = next(
            (h for prefix, h in UNIT_HOURS.items() if unit.code.startswith(prefix)), history.hours
        )

        def moment(day: dt.date) -> dt.datetime:
            minute = rng.randrange(hours[0] * 60, hours[1] * 60)
            return dt.datetime.combine(_weekday(day), dt.time(minute // 60, minute % 60), dt.UTC)

        def after(previous: dt.datetime, low: int, high: int) -> dt.datetime:
            following = moment(previous.date() + dt.timedelta(days=rng.randint(low, high)))
            return max(following, previous + dt.timedelta(minutes=30))

        steps = approval.steps_for(submission)
        returned_at = None
        if returned:
            returned_at = min(len(steps) - 1, rng.choice((0, 0, 0, 1, len(steps) - 1)))
        state = _Report(
            unit,
            period,
            index,
            per_year,
            submission.pk,
            self.person(unit, Role.FOCAL_POINT),
            returned_at,
        )
        if late:
            submitted = moment(due + dt.timedelta(days=rng.randint(3, 20)))
        else:
            submitted = moment(due - dt.timedelta(days=rng.randint(1, 12)))
            submitted = min(submitted, dt.datetime.combine(due, dt.time(22, 0), dt.UTC))
        saved = min(
            moment(submitted.date() - dt.timedelta(days=rng.randint(1, 5))),
            submitted - dt.timedelta(hours=2),
        )
        self.at(saved, lambda: self.save(state))
        self.at(submitted, lambda: self.submit(state))
        when = submitted
        if returned_at is not None:
            for _step in range(returned_at):
                when = after(when, 1, 4)
                self.at(when, lambda: self.approve(state))
            when = after(when, 1, 5)
            self.at(when, lambda: self.send_back(state))
            when = after(when, 2, 6)
            self.at(when, lambda: self.correct(state))
            when += dt.timedelta(minutes=rng.randint(10, 90))
            self.at(when, lambda: self.submit(state))
            self.report.returned += 1
        for _level in steps:
            when = after(when, 1, 5)
            self.at(when, lambda: self.approve(state))
        self.report.submissions += 1
        return when

    def submission(self, state: _Report) -> Submission:
        return Submission.objects.select_related("reporting_round__plan", "unit").get(
            pk=state.submission_id
        )

    def save(self, state: _Report) -> None:
        submission = self.submission(state)
        plan = entry.EntryPlan.for_submission(submission)
        state.values = {item.code: figures(item, state) for item in plan.metrics}
        state.actions = {a.code: action_update(a, state) for a in plan.actions}
        cleaned, problems = plan.check(state.values)
        warned = self.explain(plan, state, cleaned, [p for p in problems if not p.blocking])
        if state.returned_at is not None:
            self.prepare_return(state, warned)
        services.save_submission(
            submission=submission,
            values=state.values,
            actions=state.actions,
            lock_version=None,
            actor=state.focal,
        )

    def submit(self, state: _Report) -> None:
        try:
            services.submit_submission(submission=self.submission(state), actor=state.focal)
        except services.InvalidSubmission as error:
            # Approvals elsewhere since the draft was saved can flag a figure anew (a big move
            # against a previous period approved meanwhile): the focal point answers and submits.
            if any(e.code not in WARNINGS for e in error.errors):
                raise
            for problem in error.errors:
                cell = state.values[problem.metric].setdefault(problem.combination, {})
                cell["comment"] = cell.get("comment") or "Checked against the source records."
            services.save_submission(
                submission=self.submission(state),
                values=state.values,
                actions=state.actions,
                lock_version=None,
                actor=state.focal,
                reason="Answered the checks on the figures.",
            )
            services.submit_submission(submission=self.submission(state), actor=state.focal)

    def approve(self, state: _Report) -> None:
        submission = self.submission(state)
        services.approve_submission(submission=submission, actor=self.decider(submission))

    def send_back(self, state: _Report) -> None:
        submission = self.submission(state)
        services.return_submission(
            submission=submission, actor=self.decider(submission), comment=state.comment
        )

    def correct(self, state: _Report) -> None:
        assert state.fix is not None
        reason = state.fix()
        services.save_submission(
            submission=self.submission(state),
            values=state.values,
            actions=state.actions,
            lock_version=None,
            actor=state.focal,
            reason=reason,
        )

    def decider(self, submission: Submission) -> User:
        step = approval.current_step(submission)
        if step is None:
            raise RuntimeError(f"{submission} is not waiting for a decision")
        if step.unit is None:
            return self.person(submission.reporting_round.plan.owner_unit, Role.COORDINATOR)
        return self.person(step.unit, Role.REVIEWER)

    # What the reports say ---------------------------------------------------------------

    def explain(
        self,
        plan: entry.EntryPlan,
        state: _Report,
        cleaned: Mapping[str, Mapping[str, Cell]],
        warnings: list[CellError],
    ) -> list[str]:
        """The focal point's comment on each figure the checks flag (a big move, an outlier):
        the reason from the metric's series, or a plain one. Returns the metrics commented."""
        items = {item.code: item for item in plan.metrics}
        commented: list[str] = []
        for warning in warnings:
            if warning.code not in WARNINGS or warning.metric in commented:
                continue
            item = items[warning.metric]
            cells = state.values[warning.metric]
            current = derived_total(cleaned.get(warning.metric, {}), item.definition.type)
            previous = item.previous.get(TOTAL)
            if previous is None and item.previous:
                previous = sum((v for v in item.previous.values() if v is not None), Decimal(0))
            profile = SERIES.get(warning.metric)
            if isinstance(profile, dict):
                profile = profile.get(state.unit.code)
            up = previous is None or current is None or current >= previous
            reason = ""
            if isinstance(profile, Series):
                reason = profile.why_up if up else profile.why_down
                if profile.why_first and not previous:
                    reason = profile.why_first
            period = _label(state.period)
            if reason:
                pass
            elif item.definition.type != "count":
                reason = (
                    f"{'Higher' if up else 'Lower'} than the last {period}; checked against the "
                    "source data."
                )
            elif previous is not None and previous < 10:
                reason = "Small numbers: one or two more or fewer than last time moves it a lot."
            elif up:
                reason = f"More activity this {period} than the last; checked against the records."
            else:
                reason = f"Less activity this {period}; checked against the records."
            cells.setdefault(warning.combination, {})["comment"] = reason
            commented.append(warning.metric)
        return commented

    def prepare_return(self, state: _Report, warned: list[str]) -> None:
        """What the reviewer will send back, and the focal point's correction: a thin comment on
        a big move, else an action reported without narrative or evidence."""
        what = _label(state.period)
        if warned:
            code = warned[0]
            cells = state.values[code]
            combo = next(c for c, cell in cells.items() if cell.get("comment"))
            explained = cells[combo]["comment"]
            cells[combo]["comment"] = "See note."
            state.comment = (
                f"Please explain {code} in its comment: the checks flag it against the earlier "
                f'figures, and "See note" does not tell us which note.'
            )

            def fix_comment() -> str:
                state.values[code][combo]["comment"] = explained
                return f"Explained the change in {code}, as asked."

            state.fix = fix_comment
            return
        if state.actions:
            working = [
                c for c, a in state.actions.items() if a["status"] in ("on_track", "delayed")
            ]
            code = _rng(state.unit.code, state.period.code, "return").choice(
                working or list(state.actions)
            )
            full = dict(state.actions[code])
            state.actions[code] = {**full, "narrative": "Work continued.", "evidence_links": ""}
            state.comment = (
                f"Please say what was done on action {code} this {what} and link the evidence: "
                '"Work continued" is not enough for the report.'
            )

            def fix_action() -> str:
                state.actions[code] = full
                return f"Added what was done on {code} and the evidence, as asked."

            state.fix = fix_action
            return
        code = next(iter(state.values))
        state.comment = "Please check the figures against the source records before we accept them."

        def fix_check() -> str:
            cell = next(iter(state.values[code].values()))
            cell["comment"] = "Checked against the source records."
            return "Checked the figures against the source records, as asked."

        state.fix = fix_check


def figures(item: entry.MetricEntry, state: Slot) -> dict[str, dict[str, str]]:
    """What the unit reports for a metric in its slot: cells as typed in the form (a count's
    total typed with its parts, a share as numerator and denominator)."""
    profile = SERIES.get(item.code)
    if isinstance(profile, dict):
        profile = profile.get(state.unit.code) or next(iter(profile.values()))
    kind = item.definition.type
    rng = _rng(item.code, state.unit.code, state.period.code)
    if isinstance(profile, ByCategory):
        return _by_category(item, state, profile)
    if isinstance(profile, Milestone):
        done_at = _story(profile.action, state.unit).completed_at()
        if done_at is None or done_at > state.index:
            return {TOTAL: {"done": "no"}}
        done_period = _shift(state.period, done_at - state.index)
        day = done_period.start + dt.timedelta(
            days=_rng(item.code, state.unit.code, "done").randint(10, 80)
        )
        return {TOTAL: {"done": "yes", "done_on": min(day, done_period.end).isoformat()}}
    if kind == "rating" and item.definition.scale:
        scale = list(item.definition.scale)
        notch = (_begun("", state) or 0) // (2 * state.per_year)  # a notch better every 2 years
        return {TOTAL: {"text": scale[min(len(scale) - 1, len(scale) // 2 + notch)]}}
    if isinstance(profile, Texts) or kind in ("text", "rating"):
        texts = profile if isinstance(profile, Texts) else Texts(("Reported as planned.",))
        begun = _begun(texts.after, state)
        if begun is None:
            return {TOTAL: {"text": texts.before or texts.texts[0]}}
        answer = texts.texts[begun % len(texts.texts)]
        return {TOTAL: {"text": answer}}
    series = profile if isinstance(profile, Series) else Series(5, 0.5, 0.1)
    begun = _begun(series.after, state)
    if begun is None:
        level = 0.0
    else:
        years = begun // state.per_year if series.yearly else begun / state.per_year
        level = max(series.floor, series.start + series.per_year * years)
        if series.yearly:
            rng = _rng(item.code, state.unit.code, state.period.fiscal_year)
    spread = max(-2.0, min(2.0, rng.gauss(0, 1)))
    if kind in ("percentage", "ratio", "score"):
        share = level + series.noise * spread
        if kind == "percentage":
            share = max(0.5, min(99.5, share))
        if series.denominator:
            denominator = round(series.denominator * (1 + 0.03 * rng.gauss(0, 1)))
            numerator = min(denominator, round(share * denominator / 100))
            return {TOTAL: {"numerator": str(numerator), "denominator": str(denominator)}}
        return {TOTAL: {"number": f"{share:.1f}"}}
    if kind == "money":
        return {TOTAL: {"number": str(round(level)), "currency": "USD"}}
    total = max(0, round(level * (1 + series.noise * spread)))
    if item.combos == [TOTAL]:
        return {TOTAL: {"number": str(total)}}
    if not all(combo.startswith("sex=") for combo in item.combos):
        split = [total // len(item.combos)] * len(item.combos)
        split[0] += total - sum(split)
        cells = {c: {"number": str(n)} for c, n in zip(item.combos, split, strict=True)}
        return {**cells, TOTAL: {"number": str(total)}}
    women_share = (
        series.women
        + series.women_per_year * ((begun or 0) / state.per_year)
        + 0.01 * rng.gauss(0, 1)
    )
    women_share = max(0.0, min(1.0 - series.other, women_share))
    other = round(total * series.other)
    men = round(total * (1.0 - series.other - women_share))
    women = total - other - men
    if women < 0:
        men, women = men + women, 0
    parts = {"sex=women": women, "sex=men": men, "sex=other": other}
    cells = {c: {"number": str(parts.get(c, 0))} for c in item.combos}
    return {**cells, TOTAL: {"number": str(total)}}


def _by_category(
    item: entry.MetricEntry, state: Slot, profile: ByCategory
) -> dict[str, dict[str, str]]:
    """Each category's share as numerator over denominator (categories the profile does not
    name get the default series)."""
    cells = {}
    for combo in item.combos:
        series = profile.categories.get(combo.partition("=")[2], Series(20, 0.5, 0.5, 1000))
        rng = _rng(item.code, state.unit.code, state.period.code, combo)
        share = series.start + series.per_year * state.index / state.per_year
        share = max(0.5, min(99.5, share + series.noise * max(-2.0, min(2.0, rng.gauss(0, 1)))))
        denominator = round(series.denominator * (1 + 0.03 * rng.gauss(0, 1)))
        numerator = min(denominator, round(share * denominator / 100))
        cells[combo] = {"numerator": str(numerator), "denominator": str(denominator)}
    return cells


def action_update(element: Element, state: Slot) -> dict[str, str]:
    """What the unit reports on an action in its slot, from the action's story."""
    story = _story(element.code, state.unit)
    index, period, unit = state.index, state.period, state.unit
    link = f"https://docs.example.org/{unit.code.lower()}/{period.code.lower()}/{element.code.lower()}.pdf"
    if index < story.begins:
        waiting = (
            f"waits for {story.waits_for}"
            if story.waits_for
            else f"planned to start in {_shift(period, story.begins - index).code}"
        )
        return {
            "status": "not_started",
            "percent_complete": "0",
            "narrative": f"Not started: {waiting}.",
        }
    delayed = index in story.delayed
    if not story.periods:
        narrative = story.steps[(index - story.begins) % len(story.steps)]
        if delayed:
            return {
                "status": "delayed",
                "narrative": f"Delayed: {story.why_delayed} Work this {_label(period)}: "
                + _lower_first(narrative),
            }
        return {"status": "on_track", "narrative": narrative, "evidence_links": link}
    active = sum(1 for i in range(story.begins, index + 1) if i not in story.delayed)
    done_at = story.completed_at()
    if done_at is not None and index >= done_at:
        done_code = _shift(period, done_at - index).code
        narrative = story.steps[-1] + (
            "" if index == done_at else f" (completed in {done_code}; nothing further to do)"
        )
        return {
            "status": "completed",
            "percent_complete": "100",
            "narrative": narrative,
            "evidence_links": link if index == done_at else "",
        }
    percent = round(100 * active / story.periods)
    stage = min(
        len(story.steps) - 2, (max(active, 1) - 1) * (len(story.steps) - 1) // story.periods
    )
    expected = _shift(period, story.periods - active)
    promised = f"{story.delivers or 'Completed'}|{expected.end.isoformat()}"
    if delayed:
        return {
            "status": "delayed",
            "percent_complete": str(percent),
            "narrative": f"Delayed: {story.why_delayed} Now expected by the end of {expected.code}.",
            "milestones": promised,
        }
    return {
        "status": "on_track",
        "percent_complete": str(percent),
        "narrative": f"{story.steps[max(0, stage)]} About {percent}% of the planned work is done.",
        "evidence_links": link,
        "milestones": promised,
    }


def _lower_first(text: str) -> str:
    """A sentence to go after a colon: "Sessions held" -> "sessions held"; "CMPP ..." stays."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _shift(period: Period, steps: int) -> Period:
    for _ in range(steps):
        period = _next(period)
    for _ in range(-steps):
        period = period.previous()
    return period


def _begun(action: str, state: Slot) -> int | None:
    """Periods since the series started: since the history's start, or since action ``action``
    (of the same unit, or the plan's only story for it) completed; None before that."""
    if not action:
        return state.index
    done_at = _story(action, state.unit).completed_at()
    if done_at is None or done_at > state.index:
        return None
    return state.index - done_at
