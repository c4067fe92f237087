"""Storing figures in bulk (``services.store_entry``): a few queries however many cells, and
still one audit row with the old and new value for every cell that changed."""

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from wpstrack.audit.models import AuditEvent
from wpstrack.frameworks.models import Category, DisaggregationSet, Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.reporting import entry, services
from wpstrack.reporting.models import ActionUpdate, Submission, Value
from wpstrack.testing import PersonasTestCase, plan_action, plan_document, plan_metric

SITES = 200
MAX_QUERIES = 20
DOCUMENT = plan_document(
    [
        plan_action(
            "1",
            ["DHS-CBP"],
            [plan_metric("1-M1", "count", ["site"]), plan_metric("1-M2", "count", [])],
        )
    ]
)


def site(i):
    return f"site=s{i:03d}"


def figures(numbers):
    """The site grid as typed: ``numbers`` maps a site's index to its figure ("" for blank)."""
    return {"1-M1": {site(i): {"number": str(n)} for i, n in numbers.items()}}


class StoreEntryTestCase(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        sites = DisaggregationSet.objects.create(key="site", name="Site")
        Category.objects.bulk_create(
            Category(disaggregation_set=sites, key=f"s{i:03d}", label=f"Site {i}", position=i)
            for i in range(SITES)
        )
        load_plan_document(DOCUMENT, file_name="tiny.yaml", sha256="0" * 64, actor=None)
        plan = Plan.objects.get(slug="tiny")
        reporting_round = services.create_round(
            plan=plan, period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=cls.w.cora
        )
        services.open_round(reporting_round=reporting_round, actor=cls.w.cora)

    def store(self, values, actions=None, reason=""):
        """Check as ``save_submission`` does, then store, counting the queries of the store alone."""
        submission = Submission.objects.select_related("reporting_round__plan", "unit").get(
            unit=self.w.cbp
        )
        plan = entry.EntryPlan.for_submission(submission)
        cleaned, errors = plan.check(values)
        action_errors, action_rows = plan.check_actions(actions or {})
        assert not [e for e in errors + action_errors if e.blocking]
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            changed = services.store_entry(
                submission, plan, cleaned, action_rows, actor=self.w.fatima, reason=reason
            )
        return changed, len(queries)

    def value_events(self):
        """{combination: [(changes, reason), ...]} of the value.set audit rows, oldest first."""
        by_id = {str(v.pk): v.combination for v in Value.objects.all()}
        events = {}
        for event in AuditEvent.objects.filter(action="value.set").order_by("id"):
            assert (event.actor, event.actor_label, event.unit) == (
                self.w.fatima,
                "fatima@example.org",
                self.w.cbp,
            )
            assert event.object_type == "reporting.value"
            assert event.object_repr.endswith(f"1-M1 {by_id[event.object_id]}")
            events.setdefault(by_id[event.object_id], []).append((event.changes, event.reason))
        return events

    def test_storing_many_new_values_takes_a_few_queries_and_audits_each(self):
        changed, queries = self.store(
            figures({i: i for i in range(SITES)}), actions={"1": {"status": "on_track"}}
        )
        assert queries <= MAX_QUERIES, queries
        assert changed == [f"1-M1 {site(i)}" for i in range(SITES)] + ["action 1"]
        stored = {v.combination: v.number for v in Value.objects.all()}
        assert stored == {site(i): Decimal(i) for i in range(SITES)}
        events = self.value_events()
        assert events == {site(i): [({"number": [None, str(i)]}, "")] for i in range(SITES)}
        update = ActionUpdate.objects.get()
        event = AuditEvent.objects.get(action="action_update.set")
        assert (event.object_id, event.changes) == (str(update.pk), {"status": [None, "on_track"]})

    def test_storing_many_changes_takes_a_few_queries_and_audits_old_and_new(self):
        half = SITES // 2
        self.store(figures({i: i for i in range(half)}), actions={"1": {"status": "on_track"}})
        assert AuditEvent.objects.filter(action="value.set").count() == half
        # Change the first quarter, keep the second (also as 5.0 for 5: the same figure),
        # fill in the second half, leave the last site blank (not created).
        typed = {i: i + 1000 for i in range(half // 2)}
        typed |= {i: f"{i}.0" for i in range(half // 2, half)}
        typed |= {i: i for i in range(half, SITES - 1)}
        typed[SITES - 1] = ""
        changed, queries = self.store(
            figures(typed), actions={"1": {"status": "delayed"}}, reason="recount"
        )
        assert queries <= MAX_QUERIES, queries
        expected = [site(i) for i in range(half // 2)] + [site(i) for i in range(half, SITES - 1)]
        assert changed == [f"1-M1 {combo}" for combo in expected] + ["action 1"]
        events = self.value_events()
        for i in range(half // 2):  # changed: the first save's row, then old and new
            assert events[site(i)] == [
                ({"number": [None, str(i)]}, ""),
                ({"number": [str(i), str(i + 1000)]}, "recount"),
            ]
        for i in range(half // 2, half):  # the same figure: not written or audited again
            assert events[site(i)] == [({"number": [None, str(i)]}, "")]
        for i in range(half, SITES - 1):
            assert events[site(i)] == [({"number": [None, str(i)]}, "recount")]
        assert site(SITES - 1) not in events
        stored = {v.combination: v.number for v in Value.objects.all()}
        assert stored == {site(i): Decimal(typed[i]) for i in range(SITES - 1)}
        assert ActionUpdate.objects.get().status == "delayed"
        action_events = AuditEvent.objects.filter(action="action_update.set").order_by("id")
        assert [e.changes for e in action_events] == [
            {"status": [None, "on_track"]},
            {"status": ["on_track", "delayed"]},
        ]

    def test_storing_nothing_new_writes_nothing(self):
        self.store(figures({0: 1, 1: 2}))
        events = AuditEvent.objects.count()
        changed, queries = self.store(figures({0: "1.00", 1: 2}))
        assert changed == []
        assert queries <= 2  # reading the stored values and action updates
        assert AuditEvent.objects.count() == events
