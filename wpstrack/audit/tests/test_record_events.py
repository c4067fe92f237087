"""``record_events``: many audit rows in one INSERT, each the row ``record_event`` would write."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from wpstrack.accounts.models import UnitKind
from wpstrack.audit.models import AuditEvent, AuditLogIsAppendOnly
from wpstrack.audit.services import record_event, record_events
from wpstrack.testing import PersonasTestCase

FIELDS = ("actor", "actor_label", "action", "object_type", "object_id", "object_repr", "unit")


def row(event):
    return (*(getattr(event, f) for f in FIELDS), event.changes, event.reason)


class RecordEventsTestCase(PersonasTestCase):
    def test_each_row_is_the_one_record_event_writes_in_one_insert(self):
        events = [
            {
                "actor": self.w.alice,
                "action": "unit.update",
                "obj": self.w.cbp,
                "changes": {
                    "budget": [Decimal("1.50"), Decimal("2")],
                    "parent": [None, self.w.dhs],
                },
                "unit": self.w.dhs,
                "reason": "reorganised",
            },
            {"actor": None, "action": "unit.update", "obj": self.w.ice},
            {"actor": self.w.cora, "action": "x", "obj": self.w.ero, "actor_label": "import"},
        ]
        with transaction.atomic():
            one_by_one = [record_event(**event) for event in events]
            with CaptureQueriesContext(connection) as queries:
                written = record_events(events)
        assert len(queries) == 1
        assert [row(e) for e in written] == [row(e) for e in one_by_one]
        assert [e.actor_label for e in written] == ["alice@example.org", "system", "import"]
        assert written[0].changes == {"budget": ["1.50", "2"], "parent": [None, str(self.w.dhs)]}
        stored = AuditEvent.objects.filter(pk__in=[e.pk for e in written]).order_by("id")
        assert [row(e) for e in stored] == [row(e) for e in one_by_one]

    def test_rows_written_in_bulk_stay_append_only(self):
        with transaction.atomic():
            written = record_events([{"actor": None, "action": "x", "obj": self.w.cbp}])
        event = written[0]
        assert event.pk is not None
        event.action = "y"
        with pytest.raises(AuditLogIsAppendOnly):
            event.save()
        # (bulk_update refuses inside its own atomic block, so give it a savepoint to roll back)
        with pytest.raises(AuditLogIsAppendOnly), transaction.atomic():
            AuditEvent.objects.bulk_update([event], ["action"])
        with pytest.raises(AuditLogIsAppendOnly):
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert AuditEvent.objects.get(pk=event.pk).action == "x"

    def test_it_refuses_unsaved_objects_and_writes_nothing(self):
        kind = UnitKind(key="unsaved", name="Unsaved")
        with transaction.atomic(), pytest.raises(ValueError):
            record_events(
                [
                    {"actor": None, "action": "x", "obj": self.w.cbp},
                    {"actor": None, "action": "x", "obj": kind},
                ]
            )
        assert AuditEvent.objects.count() == 0

    def test_nothing_to_record_is_no_query(self):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            assert record_events([]) == []
        assert len(queries) == 0


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_write_outside_a_transaction():
    kind = UnitKind.objects.create(key="office", name="Office")
    with pytest.raises(RuntimeError):
        record_events([{"actor": None, "action": "x", "obj": kind}])
    assert AuditEvent.objects.count() == 0
