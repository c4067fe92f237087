"""A three-level chain as the DHS plan declares it: office, then component, then coordinator."""

import datetime as dt

from wpstrack.accounts.models import Membership, Role, User
from wpstrack.frameworks.models import Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.lib.errors import NotAllowed
from wpstrack.reporting import services
from wpstrack.reporting.approval import steps_for
from wpstrack.reporting.models import Approval, Submission
from wpstrack.reporting.tests.test_views import DOCUMENT
from wpstrack.testing import PASSWORD, PersonasTestCase, make_sex_categories

CHAIN = {
    "steps": ["unit", "ancestor:component", "coordinator"],
    "higher_levels_see_unapproved": False,
}


class ApprovalChainTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_sex_categories()
        load_plan_document(
            {**DOCUMENT, "approval": CHAIN}, file_name="tiny.yaml", sha256="0" * 64, actor=None
        )
        cls.round = services.create_round(
            plan=Plan.objects.get(), period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=None
        )
        services.open_round(reporting_round=cls.round, actor=None)
        people = {}
        for name, unit, role in (
            ("eve", cls.w.ero, Role.FOCAL_POINT),
            ("erin", cls.w.ero, Role.REVIEWER),
            ("ivan", cls.w.ice, Role.REVIEWER),
        ):
            people[name] = User.objects.create_user(
                email=f"{name}@example.org", password=PASSWORD, full_name=name.title()
            )
            Membership.objects.create(user=people[name], unit=unit, role=role)
        cls.eve, cls.erin, cls.ivan = people["eve"], people["erin"], people["ivan"]

    def ero(self):
        return Submission.objects.get(unit__code="DHS-ICE-ERO")

    def submit(self):
        services.save_submission(
            submission=self.ero(),
            lock_version=None,
            actor=self.eve,
            values={
                "2-M1": {
                    "sex=women": {"number": "1"},
                    "sex=men": {"number": "2"},
                    "sex=other": {"number": "0"},
                }
            },
            actions={"2": {"status": "on_track"}},
        )
        services.submit_submission(submission=self.ero(), actor=self.eve)

    def can_see(self, user):
        self.client.force_login(user)
        return self.client.get(f"/rounds/{self.round.pk}/units/DHS-ICE-ERO").status_code == 200

    def test_the_chain_is_office_component_coordinator(self):
        names = [(s.kind, s.unit.code if s.unit else None) for s in steps_for(self.ero())]
        assert names == [
            ("reviewers", "DHS-ICE-ERO"),
            ("reviewers", "DHS-ICE"),
            ("coordinator", None),
        ]
        cbp = Submission.objects.get(
            unit__code="DHS-CBP"
        )  # a component reports once at its own level
        assert [(s.kind, s.unit.code if s.unit else None) for s in steps_for(cbp)] == [
            ("reviewers", "DHS-CBP"),
            ("coordinator", None),
        ]

    def test_each_level_sees_it_once_the_level_below_has_approved(self):
        assert not self.can_see(self.erin) and not self.can_see(self.ivan)
        self.submit()
        assert self.can_see(self.erin) and not self.can_see(self.ivan)
        services.approve_submission(submission=self.ero(), actor=self.erin)
        assert self.can_see(self.ivan)
        assert self.ero().state == "submitted" and self.ero().approval_step == 1

    def test_it_climbs_to_the_coordinator_who_accepts(self):
        self.submit()
        with self.assertRaises(NotAllowed):  # ICE may not jump ERO's turn
            services.approve_submission(submission=self.ero(), actor=self.ivan)
        services.approve_submission(submission=self.ero(), actor=self.erin)
        with self.assertRaises(NotAllowed):  # nor may ERO's reviewer decide ICE's level too
            services.approve_submission(submission=self.ero(), actor=self.erin)
        services.approve_submission(submission=self.ero(), actor=self.ivan)
        assert self.ero().state == "submitted" and self.ero().approval_step == 2
        services.approve_submission(submission=self.ero(), actor=self.w.cora)
        assert self.ero().state == "approved"
        assert list(Approval.objects.values_list("step", "approver__email")) == [
            (0, "erin@example.org"),
            (1, "ivan@example.org"),
            (2, "cora@example.org"),
        ]

    def test_a_return_at_any_level_starts_the_chain_again(self):
        self.submit()
        services.approve_submission(submission=self.ero(), actor=self.erin)
        services.return_submission(
            submission=self.ero(), actor=self.ivan, comment="Add the men trained."
        )
        assert self.ero().state == "returned" and self.ero().approval_step == 0
        assert not Approval.objects.filter(current=True).exists()
        self.submit()
        services.approve_submission(submission=self.ero(), actor=self.erin)  # ERO decides again
        assert self.ero().approval_step == 1
