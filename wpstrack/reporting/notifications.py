"""Emails on submit, return and approval. Sent after the transaction commits, never inside it."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from wpstrack.accounts.models import Membership, Role
from wpstrack.reporting.models import Submission


def _people(submission: Submission, roles: set[str]) -> list[str]:
    """Active people holding ``roles`` on the submission's unit or a unit above it."""
    paths = [
        submission.unit.path[: i + 1] for i, ch in enumerate(submission.unit.path) if ch == "/"
    ]
    members = Membership.objects.filter(role__in=roles, unit__path__in=paths, user__is_active=True)
    return sorted({m.user.email for m in members.select_related("user")})


def _send(subject: str, body: str, to: list[str]) -> None:
    if to:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=True)


def _link(submission: Submission) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/rounds/{submission.reporting_round_id}/units/{submission.unit.code}"


def submitted(submission: Submission) -> None:
    _send(
        _("%(unit)s submitted %(round)s")
        % {"unit": submission.unit, "round": submission.reporting_round},
        _("%(unit)s has submitted its report for %(round)s. Review it at %(link)s")
        % {
            "unit": submission.unit.name,
            "round": submission.reporting_round,
            "link": _link(submission),
        },
        _people(submission, {Role.REVIEWER}),
    )


def returned(submission: Submission, comment: str) -> None:
    _send(
        _("%(round)s returned to %(unit)s")
        % {"unit": submission.unit, "round": submission.reporting_round},
        _("The report was returned with this comment:\n\n%(comment)s\n\nCorrect it at %(link)s")
        % {"comment": comment, "link": _link(submission)},
        _people(submission, {Role.FOCAL_POINT}),
    )


def approved(submission: Submission) -> None:
    _send(
        _("%(round)s approved for %(unit)s")
        % {"unit": submission.unit, "round": submission.reporting_round},
        _("The report of %(unit)s for %(round)s was approved. %(link)s")
        % {
            "unit": submission.unit.name,
            "round": submission.reporting_round,
            "link": _link(submission),
        },
        _people(submission, {Role.FOCAL_POINT}),
    )
