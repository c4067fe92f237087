import pytest
from django.db import transaction

from wpstrack.audit.models import AuditEvent, AuditLogIsAppendOnly
from wpstrack.audit.services import diff, record_event
from wpstrack.testing import PersonasTestCase


class AuditTestCase(PersonasTestCase):
    def record(self):
        with transaction.atomic():
            return record_event(
                actor=self.w.alice,
                action="unit.update",
                obj=self.w.cbp,
                changes={"name": ["a", "b"]},
            )

    def test_it_records_who_what_and_the_values(self):
        event = self.record()
        assert (event.actor_label, event.object_type, event.object_id) == (
            "alice@example.org",
            "accounts.orgunit",
            str(self.w.cbp.pk),
        )
        assert AuditEvent.objects.for_object(self.w.cbp).get() == event

    def test_it_cannot_be_changed_or_deleted(self):
        event = self.record()
        event.action = "something.else"
        with pytest.raises(AuditLogIsAppendOnly):
            event.save()
        with pytest.raises(AuditLogIsAppendOnly):
            event.delete()
        with pytest.raises(AuditLogIsAppendOnly):
            AuditEvent.objects.all().delete()
        with pytest.raises(AuditLogIsAppendOnly):
            AuditEvent.objects.update(action="x")

    def test_diff_keeps_only_changed_fields(self):
        assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_write_outside_a_transaction():
    from wpstrack.accounts.models import UnitKind

    kind = UnitKind.objects.create(key="office", name="Office")
    with pytest.raises(RuntimeError):
        record_event(actor=None, action="x", obj=kind)
    assert AuditEvent.objects.count() == 0
