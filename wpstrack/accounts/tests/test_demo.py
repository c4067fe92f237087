from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from wpstrack.accounts.models import Membership, OrgUnit, User
from wpstrack.audit.models import AuditEvent


class DemoCommandTestCase(TestCase):
    def run_demo(self) -> str:
        out = StringIO()
        # The generated history has its own tests (test_demo_history): left out here for speed.
        call_command("demo", "--no-history", stdout=out)
        return out.getvalue()

    def test_it_loads_the_organisation_and_prints_one_login_per_role(self):
        output = self.run_demo()
        for code in (
            "DHS-CRCL",
            "DHS-WPS",
            "DHS-ST",
            "DHS-CCGBV",
            "DHS-FEMA",
            "DHS-ICE-ERO",
            "DHS-CBP",
            "DHS-FLETC",
            "DHS-CISA",
            "DHS-USCIS",
            "DHS-USCG",
            "DOS-PM",
            "UN-DPO-GU",
            "UN-DPO-OMA",
            "UN-DPO-PD",
            "MINUSCA-GAU",
            "UNMISS-MA",
        ):
            assert OrgUnit.objects.filter(code=code).exists(), code
        for role in ("Administrator", "Plan coordinator", "Focal point", "Reviewer", "Viewer"):
            assert role in output
        assert "focal.cbp@example.org" in output and "wpstrack-demo" in output
        assert User.objects.get(email="focal.cbp@example.org").check_password("wpstrack-demo")
        from wpstrack.reporting.models import ReportingRound

        demo_round = ReportingRound.objects.get(plan__slug="dhs-wps-2024", period="FY2025-Q3")
        assert (
            demo_round.state == "open"
            and demo_round.submissions.filter(unit__code="DHS-CBP").exists()
        )

    def test_running_it_again_changes_nothing(self):
        self.run_demo()
        counts = (
            OrgUnit.objects.count(),
            User.objects.count(),
            Membership.objects.count(),
            AuditEvent.objects.count(),
        )
        self.run_demo()
        assert counts == (
            OrgUnit.objects.count(),
            User.objects.count(),
            Membership.objects.count(),
            AuditEvent.objects.count(),
        )
