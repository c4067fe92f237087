"""Reminders to units that have not submitted: N days before the due date and N days after."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from wpstrack.audit.services import record_event
from wpstrack.reporting.models import Reminder, Submission, SubmissionState
from wpstrack.reporting.notifications import _link, _people


def _mail(subject: str, body: str, recipients: list[str]) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=True)


@transaction.atomic
def send_reminders(*, today: dt.date, days: int, actor_label: str) -> list[Reminder]:
    """Send each late or nearly-due unit its reminder once, and record that it was sent."""
    sent = []
    pending = Submission.objects.filter(
        reporting_round__state="open", state__in=[SubmissionState.DRAFT, SubmissionState.RETURNED]
    ).select_related("reporting_round__plan", "unit")
    for submission in pending:
        due = submission.reporting_round.due_date
        kinds = []
        if today >= due - dt.timedelta(days=days) and today <= due:
            kinds.append(Reminder.BEFORE)
        if today >= due + dt.timedelta(days=days):
            kinds.append(Reminder.AFTER)
        for kind in kinds:
            if Reminder.objects.filter(submission=submission, kind=kind).exists():
                continue
            recipients = _people(submission, {"focal_point"})
            reminder = Reminder.objects.create(
                submission=submission, kind=kind, recipients=recipients
            )
            record_event(
                actor=None,
                actor_label=actor_label,
                action=f"reminder.{kind}",
                obj=submission,
                unit=submission.unit,
                changes={"recipients": [None, recipients]},
            )
            subject = (
                _("Due %(due)s: %(round)s")
                if kind == Reminder.BEFORE
                else _("Overdue since %(due)s: %(round)s")
            ) % {"due": due, "round": submission.reporting_round}
            body = _(
                "The report of %(unit)s for %(round)s is due on %(due)s and has not been submitted yet.\n\n"
                "Report at %(link)s"
            ) % {
                "unit": submission.unit.name,
                "round": submission.reporting_round,
                "due": due,
                "link": _link(submission),
            }
            if recipients:
                transaction.on_commit(partial(_mail, subject, body, recipients))
            sent.append(reminder)
    return sent
