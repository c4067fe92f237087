"""Reporting rounds: who owes what for a period, their submissions, values and action updates.

A value is one row per submission x metric x combination of categories ("sex=women|age=18-24");
the empty combination is the total. Totals of disaggregated metrics are derived from their parts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wpstrack.accounts.models import OrgUnit
from wpstrack.frameworks.models import Element, Metric, MetricDefinition, Plan, PlanVersion


class RoundState(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ReportingRound(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="rounds")
    plan_version = models.ForeignKey(
        PlanVersion,
        on_delete=models.PROTECT,
        related_name="rounds",
        help_text="The plan as it was when the round opened.",
    )
    period = models.CharField(_("period"), max_length=12)  # FY2025 or FY2025-Q3
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField(_("due date"))
    state = models.CharField(max_length=10, choices=RoundState.choices, default=RoundState.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    generated = models.BooleanField(
        _("generated"),
        default=False,
        help_text="Demo data made by wpstrack demo, not reported: every page says so.",
    )

    class Meta:
        ordering = ["plan", "-period_start", "period"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "period"], name="one_round_per_plan_period")
        ]

    def __str__(self) -> str:
        return f"{self.plan.slug} {self.period}"


class Assignment(models.Model):
    """One thing a unit owes in a round: a metric's figures, or an action's status (metric null)."""

    reporting_round = models.ForeignKey(
        ReportingRound, on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="assignments")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="assignments")
    metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    definition = models.ForeignKey(
        MetricDefinition,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )

    class Meta:
        ordering = ["reporting_round", "unit__path", "element__position", "metric__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_round", "unit", "metric"],
                condition=models.Q(metric__isnull=False),
                name="one_metric_assignment",
            ),
            models.UniqueConstraint(
                fields=["reporting_round", "unit", "element"],
                condition=models.Q(metric__isnull=True),
                name="one_action_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reporting_round} {self.unit.code} {self.metric or self.element.code}"


class SubmissionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class Submission(models.Model):
    """A unit's answer to a round. ``lock_version`` rises with every save, so two people saving
    the same submission cannot overwrite each other silently."""

    reporting_round = models.ForeignKey(
        ReportingRound, on_delete=models.PROTECT, related_name="submissions"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="submissions")
    state = models.CharField(
        max_length=10, choices=SubmissionState.choices, default=SubmissionState.DRAFT
    )
    lock_version = models.PositiveIntegerField(default=0)
    approval_step = models.PositiveSmallIntegerField(
        default=0, help_text="Index of the step now deciding."
    )
    furthest_step = models.SmallIntegerField(
        default=-1,
        help_text="Furthest approval step reached (-1: never submitted); that level and those "
        "below it may see the submission.",
    )
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["reporting_round", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_round", "unit"], name="one_submission_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reporting_round} {self.unit.code}"


class Value(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="values")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="values")
    definition = models.ForeignKey(
        MetricDefinition,
        on_delete=models.PROTECT,
        related_name="values",
        help_text="What the metric meant when this value was reported.",
    )
    combination = models.CharField(max_length=200, blank=True, help_text="'' for the total")
    number = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    numerator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    text = models.TextField(blank=True)
    done = models.BooleanField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submission", "metric__position", "combination"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "metric", "combination"], name="one_value_per_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.metric.code} {self.combination or 'total'}"


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    DELAYED = "delayed", _("Delayed")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ActionUpdate(models.Model):
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="action_updates"
    )
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="action_updates")
    status = models.CharField(max_length=20, choices=ActionStatus.choices, blank=True)
    percent_complete = models.PositiveSmallIntegerField(null=True, blank=True)
    narrative = models.TextField(blank=True)
    evidence_links = models.JSONField(default=list, blank=True)
    milestones = models.JSONField(
        default=list, blank=True, help_text="[{'title', 'due', 'done_on'}]"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submission", "element__position"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "element"], name="one_update_per_action")
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.element.code}"


class SubmissionComment(models.Model):
    """The discussion thread of a submission: focal point and reviewers, kept with the audit."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submission", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.submission}"


class Reminder(models.Model):
    """A reminder sent to a unit's focal points; kept so each is sent once."""

    BEFORE, AFTER = "before", "after"

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(
        max_length=10,
        choices=[(BEFORE, _("Before the due date")), (AFTER, _("After the due date"))],
    )
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["submission", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "kind"], name="one_reminder_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.submission} {self.kind}"


class Approval(models.Model):
    """One step of the approval chain passed: who approved, for which level, when."""

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="approvals")
    step = models.PositiveSmallIntegerField()
    step_name = models.CharField(max_length=200)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(default=timezone.now)
    current = models.BooleanField(
        default=True, help_text="False once the submission was returned or reopened."
    )

    class Meta:
        ordering = ["submission", "approved_at", "id"]

    def __str__(self) -> str:
        return f"{self.submission} step {self.step} by {self.approver}"
