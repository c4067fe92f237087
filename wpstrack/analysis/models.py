"""Figures and statuses derived from approved submissions, kept so dashboards answer fast.

A ``MetricStatus`` row is one metric's figure and status for one period, for one responsible unit
or (unit null) for the plan as a whole. Rows are rebuilt by ``analysis.refresh`` from approved
values whenever a submission is approved or reopened, a plan's rules change, or on demand
(``wpstrack refresh-analysis``); nobody edits them, so they carry no audit rows of their own:
the values they come from do.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wpstrack.accounts.models import OrgUnit
from wpstrack.frameworks.models import Metric, Plan


class StatusChoice(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")
    NO_DATA = "no_data", _("No data")
    NOT_ASSESSABLE = "not_assessable", _("Not assessable")


class MetricStatus(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="statuses")
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Null: the plan as a whole (all responsible units together).",
    )
    period = models.CharField(max_length=12)
    period_end = models.DateField()
    value = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    numerator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    parts = models.JSONField(default=dict, blank=True, help_text="combination -> figure")
    units_reporting = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=StatusChoice.choices)
    reason = models.TextField()
    expected = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    part_status = models.JSONField(
        default=dict,
        blank=True,
        help_text="For a metric with targets per category: combination -> {value, numerator, "
        "denominator, status, reason, expected, target, target_period}, each part judged against "
        "its own path (the row's status follows them).",
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "metric", "unit", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "unit", "period"], name="one_status_per_unit_period"
            ),
            models.UniqueConstraint(
                fields=["metric", "period"],
                condition=models.Q(unit__isnull=True),
                name="one_plan_status_per_period",
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "unit", "period_end"], name="status_by_plan_unit"),
            models.Index(fields=["metric", "unit", "period_end"], name="status_by_metric"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.unit or 'plan'} {self.period}: {self.status}"
