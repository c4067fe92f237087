"""The demo's mapping on the demo's sample extract, against the real DHS plan's FY2025 Q3 round."""

from __future__ import annotations

from decimal import Decimal

from django.test import TestCase, override_settings

from wpstrack.accounts.demo import load_demo
from wpstrack.accounts.models import User
from wpstrack.reporting.models import ReportingRound, Value
from wpstrack.rosters import running, services
from wpstrack.rosters.demo import MAPPING, ensure_demo_mapping, sample_extract
from wpstrack.rosters.models import RosterRun
from wpstrack.rosters.tests.test_runs import _tmpdir


class DemoRosterTests(TestCase):
    def test_the_demo_mapping_fills_each_law_enforcement_components_draft(self):
        tmp = self.enterContext(_tmpdir())
        self.enterContext(override_settings(ROSTER_DIR=tmp))
        load_demo(history=False)
        mapping = ensure_demo_mapping()
        assert mapping is not None and mapping.name == MAPPING["name"]
        coordinator = User.objects.get(email="coordinator@example.org")
        upload = services.upload_roster(
            plan=mapping.plan, stream=sample_extract(), file_name="sample.csv", actor=coordinator
        )
        reporting_round = ReportingRound.objects.get(plan=mapping.plan, period="FY2025-Q3")
        refused = running.run_roster(
            upload=upload, mapping=mapping, reporting_round=reporting_round, actor=coordinator
        )
        assert refused.state == RosterRun.REFUSED  # the sample is messy on purpose
        share = Decimal(refused.unreadable_share).quantize(Decimal("0.01")) + Decimal("0.01")
        with self.captureOnCommitCallbacks(execute=True):
            run = running.run_roster(
                upload=upload,
                mapping=mapping,
                reporting_round=reporting_round,
                accept_share=share,
                actor=coordinator,
            )
        assert run.state == RosterRun.DONE, run.refusal
        units = {row["unit"] for row in run.results}
        assert units == {"DHS", "DHS-CBP", "DHS-ICE", "DHS-FLETC"}
        values = Value.objects.filter(submission__reporting_round=reporting_round)
        cbp = values.get(submission__unit__code="DHS-CBP", metric__code="1.1-A2-M1")
        dhs = values.get(submission__unit__code="DHS", metric__code="1.1-A2-M1")
        assert 0 < cbp.numerator < cbp.denominator < dhs.denominator
        hires = values.filter(submission__unit__code="DHS-CBP", metric__code="1.1-A2-M2")
        assert {v.combination for v in hires} == {"sex=women", "sex=men", "sex=other"}
