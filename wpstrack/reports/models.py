"""Published reports: frozen snapshots of approved data, the coordinator's narrative, and builds.

A report is always built from a ``Snapshot``: the approved figures, action updates and provenance
of a plan's fiscal year, frozen as JSON with its SHA-256. The same data gives the same snapshot
(and edition); a later correction gives a new snapshot and so a new edition, never a silent
change to a published figure.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wpstrack.frameworks.models import Plan


class Snapshot(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="snapshots")
    year = models.CharField(_("fiscal year"), max_length=12)  # FY2025
    edition = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=254)

    class Meta:
        ordering = ["plan", "year", "-edition"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year", "edition"], name="one_edition_number"),
            models.UniqueConstraint(
                fields=["plan", "year", "sha256"], name="one_snapshot_per_data"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.slug} {self.year} edition {self.edition}"

    @property
    def identifier(self) -> str:
        return f"{self.plan.slug}/{self.year}/ed{self.edition}"


class Narrative(models.Model):
    """What the coordinator writes for a plan's year: the executive summary, decisions needed."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="narratives")
    year = models.CharField(max_length=12)
    executive_summary = models.TextField(blank=True)
    decisions_needed = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], name="one_narrative_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.plan.slug} {self.year}"


class Build(models.Model):
    """One report built (or being built) in one format, kept for download."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    snapshot = models.ForeignKey(
        Snapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="builds"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    year = models.CharField(max_length=12)
    kind = models.CharField(max_length=20)  # annual, quarterly, scorecard, iptt, unit
    period = models.CharField(max_length=12, blank=True)  # the quarter, for the review pack
    unit_code = models.CharField(max_length=40, blank=True)  # for the per-unit report
    format = models.CharField(max_length=10)  # docx, pdf, xlsx, html
    state = models.CharField(max_length=10, default=QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.plan.slug} {self.year} {self.kind}.{self.format} ({self.state})"


class ReportTemplate(models.Model):
    """A plan's own report templates, uploaded by its coordinators: the HTML template (a Django
    template source) for the PDF and the static site, and a Word document whose styles the
    .docx reports use. Blank means the built-in one."""

    plan = models.OneToOneField(Plan, on_delete=models.PROTECT, related_name="report_template")
    html = models.TextField(blank=True)
    reference_docx = models.BinaryField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"report templates of {self.plan.slug}"
