"""Roster mappings (saved per source), uploaded roster files waiting for a run, and runs.

Nothing person-level is stored here: a mapping holds column names, spellings and rules; an
upload holds the file's name, size, digest and headers (its bytes live in ``ROSTER_DIR`` until the
run, then are deleted); a run holds counts, problem row numbers and the aggregates it wrote.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wpstrack.frameworks.models import Plan
from wpstrack.reporting.models import ReportingRound


class RosterKind(models.TextChoices):
    HR = "hr", _("HR extract (one row per person)")
    LEARNING = "learning", _("Learning-system export (one row per course completion)")
    TRAINEES = "trainees", _("Programme trainee list (one row per trainee)")


class RosterMapping(models.Model):
    """How one source's files are read: columns, spellings, date formats, filters and rules."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="roster_mappings")
    slug = models.SlugField(_("key"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=RosterKind.choices)
    spec = models.JSONField(_("mapping"), help_text="The mapping file's content (rosters.spec).")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["plan", "name"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "slug"], name="unique_roster_mapping_in_plan")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class RosterUpload(models.Model):
    """A roster file kept only until it is run (or its hours of retention pass)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="roster_uploads")
    file_name = models.CharField(max_length=255)
    fmt = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    headers = models.JSONField(default=list)
    stored_name = models.CharField(max_length=80, help_text="File name inside ROSTER_DIR.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.file_name


class RosterRun(models.Model):
    """One run of a roster file through a mapping against a round: what was read and written."""

    DONE = "done"
    REFUSED = "refused"
    STATES = [(DONE, _("Values written to drafts")), (REFUSED, _("Refused"))]

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="roster_runs")
    mapping = models.ForeignKey(RosterMapping, on_delete=models.PROTECT, related_name="runs")
    mapping_version = models.PositiveIntegerField()
    spec = models.JSONField(help_text="The mapping as it was used.")
    reporting_round = models.ForeignKey(
        ReportingRound, on_delete=models.PROTECT, related_name="roster_runs"
    )
    state = models.CharField(max_length=10, choices=STATES)
    file_name = models.CharField(max_length=255)
    fmt = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    rows_read = models.PositiveBigIntegerField(default=0)
    rows_counted = models.PositiveBigIntegerField(default=0)
    unreadable = models.PositiveBigIntegerField(default=0)
    duplicates = models.PositiveBigIntegerField(default=0)
    accepted_share = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, help_text="Percent of unreadable rows accepted."
    )
    problems = models.JSONField(default=list, help_text="Per problem: code, field, count, rows.")
    refusal = models.JSONField(default=list, help_text="Why the run wrote nothing.")
    results = models.JSONField(
        default=list, help_text="Per unit and metric: the aggregates computed and what changed."
    )
    skipped = models.JSONField(default=list, help_text="Units whose report could not be changed.")
    seconds = models.FloatField(default=0)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} -> {self.reporting_round} ({self.state})"

    @property
    def unreadable_share(self) -> float:
        return 100.0 * self.unreadable / self.rows_read if self.rows_read else 0.0
