"""Plans as data: a plan's levels, its tree of elements, metrics (versioned), tags and obligations.

Elements and metrics keep their identity across plan versions (matched by code). A metric's
definition (text, type, disaggregation...) is versioned: a change creates a new
``MetricDefinition`` and leaves the old one, so values reported against it keep their meaning.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wpstrack.accounts.models import OrgUnit
from wpstrack.frameworks.planformat import METRIC_STATUS_DEFAULTS, PLAN_STATUS_DEFAULTS


def default_plan_status_rule() -> dict[str, object]:
    """The plan's status block as the plan file's ``status:`` holds it, with its defaults."""
    return dict(PLAN_STATUS_DEFAULTS)


def default_metric_status_rule() -> dict[str, object]:
    """A metric's ``status:`` with its defaults (tolerance None: the plan's)."""
    return dict(METRIC_STATUS_DEFAULTS)


class TagSet(models.Model):
    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    source = models.TextField(_("source"), blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    tag_set = models.ForeignKey(TagSet, on_delete=models.PROTECT, related_name="tags")
    key = models.CharField(_("key"), max_length=40)
    name = models.TextField(_("name"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["tag_set__key", "position"]
        constraints = [models.UniqueConstraint(fields=["tag_set", "key"], name="unique_tag_in_set")]

    def __str__(self) -> str:
        return f"{self.tag_set.key}:{self.key}"

    @property
    def ref(self) -> str:
        return f"{self.tag_set.key}:{self.key}"


class Plan(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.TextField(_("title"))
    short_title = models.CharField(_("short title"), max_length=200, blank=True)
    owner_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="plans_owned"
    )
    source = models.JSONField(_("source document"), default=dict)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    period_as_written = models.TextField(_("period as written"), blank=True)
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"), default=1
    )
    approval_steps = models.JSONField(
        _("approval steps"),
        default=list,
        blank=True,
        help_text="Who approves a unit's submission, in order: 'unit' (reviewers of the unit or above), "
        "'ancestor:<kind>' (reviewers of the nearest unit of that kind above), 'coordinator'.",
    )
    higher_levels_see_unapproved = models.BooleanField(
        _("higher levels see unapproved data"),
        default=False,
        help_text="If on, every reviewer of the chain sees a submission from the start, drafts included.",
    )
    status_rules = models.JSONField(
        _("status rules"),
        default=default_plan_status_rule,
        blank=True,
        help_text="The plan file's status block: {'tolerance': share of the planned change a figure "
        "may lag and still be at risk, 'rollup': 'worst' or 'share', 'rollup_share': share}.",
    )
    current_version = models.ForeignKey(
        "PlanVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.short_title or self.title


class PlanVersion(models.Model):
    """One loaded state of a plan file: reporting periods point at the version in force."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=254)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    content = models.JSONField(help_text="The plan as loaded, in the export tree shape.")
    changes = models.JSONField(default=list, help_text="What changed from the previous version.")

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_plan_version")
        ]

    def __str__(self) -> str:
        return f"{self.plan.slug} v{self.number}"


class Level(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="levels")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "key"], name="unique_level_in_plan")]

    def __str__(self) -> str:
        return self.name


class Element(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="elements")
    code = models.CharField(_("code"), max_length=60)
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="elements")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveIntegerField(default=0, help_text="Order in the document.")
    title = models.TextField(_("title"))
    text = models.TextField(_("text as written"), blank=True)
    responsible_as_written = models.TextField(_("responsible (as written)"), blank=True)
    units = models.ManyToManyField(OrgUnit, blank=True, related_name="elements")
    outcomes = models.JSONField(_("outcomes as written"), default=list, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="elements")
    needs_indicators = models.BooleanField(default=False)
    source_section = models.TextField(_("source section"), blank=True)
    source_page = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(_("editor's note"), blank=True)
    retired_in = models.ForeignKey(
        PlanVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Set when a later plan file no longer has this element.",
    )

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="unique_element_code_in_plan")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title[:80]}"


class MetricType(models.TextChoices):
    COUNT = "count", _("Count")
    PERCENTAGE = "percentage", _("Percentage")
    RATIO = "ratio", _("Ratio")
    MONEY = "money", _("Amount of money")
    SCORE = "score", _("Score")
    MILESTONE = "milestone", _("Milestone")
    TEXT = "text", _("Qualitative text")
    RATING = "rating", _("Rating")


class Direction(models.TextChoices):
    INCREASE = "increase", _("Increase")
    DECREASE = "decrease", _("Decrease")
    MAINTAIN = "maintain", _("Maintain")
    TARGET = "target", _("Reach a target")
    NONE = "none", _("None stated")


class Frequency(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Twice a year")
    ANNUAL = "annual", _("Annual")
    ONCE = "once", _("Once")
    AD_HOC = "ad_hoc", _("As needed")


class Metric(models.Model):
    """A metric's identity; what it says lives in its definitions, one per change."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="metrics")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="metrics")
    code = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    current = models.ForeignKey(
        "MetricDefinition", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_in = models.ForeignKey(
        PlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="unique_metric_code_in_plan")
        ]

    def __str__(self) -> str:
        return self.code


class MetricDefinition(models.Model):
    """What a metric meant from one plan version on. Never changed once values refer to it."""

    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="definitions")
    valid_from = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("text as written"))
    type = models.CharField(max_length=20, choices=MetricType.choices)
    unit = models.CharField(max_length=200, blank=True)
    direction = models.CharField(max_length=20, choices=Direction.choices)
    compare_previous = models.BooleanField(default=False)
    disaggregation = models.JSONField(default=list, blank=True)
    frequency = models.CharField(max_length=20, choices=Frequency.choices, default=Frequency.ANNUAL)
    sensitive = models.BooleanField(default=False)
    source_text = models.CharField(max_length=20, default="table")
    appendix_text = models.TextField(blank=True)
    source = models.TextField(
        blank=True,
        help_text="Where the words and figures come from when not from the plan's document "
        "(source_text 'added'): the publication and its addresses.",
    )
    note = models.TextField(blank=True)
    baselines = models.JSONField(default=list, blank=True)
    targets = models.JSONField(default=list, blank=True)
    scale = models.JSONField(
        default=list, blank=True, help_text="A rating's allowed answers, in order"
    )
    plausible = models.JSONField(
        default=dict, blank=True, help_text="{'min': n, 'max': n}: outside it, a comment"
    )
    status_rule = models.JSONField(
        default=default_metric_status_rule,
        blank=True,
        help_text="The metric's status block: {'tolerance': share or null (the plan's), "
        "'trajectory': 'linear' or 'step'}",
    )

    class Meta:
        ordering = ["metric", "id"]

    def __str__(self) -> str:
        return f"{self.metric.code} ({self.valid_from})"


class Obligation(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="obligations")
    code = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    title = models.TextField()
    text = models.TextField(blank=True)
    cadence = models.CharField(max_length=60, blank=True)
    due = models.CharField(max_length=100, blank=True)
    years = models.JSONField(default=list, blank=True)
    units = models.ManyToManyField(OrgUnit, blank=True, related_name="obligations")
    responsible_as_written = models.TextField(blank=True)
    source_section = models.TextField(blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="unique_obligation_code_in_plan")
        ]

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    """Narrative parts of the document kept for reference (foreword, background, definitions)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    title = models.TextField()
    text = models.TextField(blank=True)
    source_section = models.TextField(blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="unique_section_code_in_plan")
        ]

    def __str__(self) -> str:
        return self.title


class DisaggregationSet(models.Model):
    """A way of breaking a figure down (sex, age band, personnel category...), kept as data."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    source = models.TextField(_("source"), blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    disaggregation_set = models.ForeignKey(
        DisaggregationSet, on_delete=models.PROTECT, related_name="categories"
    )
    key = models.CharField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["disaggregation_set__key", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["disaggregation_set", "key"], name="unique_category_in_set"
            )
        ]

    def __str__(self) -> str:
        return self.label


class RuleOperator(models.TextChoices):
    LE = "<=", "<="
    LT = "<", "<"
    GE = ">=", ">="
    GT = ">", ">"
    EQ = "==", "=="


class ValidationRule(models.Model):
    """A check across metrics, kept in the plan file: e.g. women trained <= women employed.

    Each side is a sum of terms: a metric code, optionally with a combination in brackets
    (``2.1-A2-M1[sex=women]``; no brackets means the total), or a number.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rules")
    code = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    left = models.CharField(max_length=500)
    operator = models.CharField(max_length=2, choices=RuleOperator.choices)
    right = models.CharField(max_length=500)
    when_missing = models.CharField(
        max_length=10, choices=[("skip", _("Skip the rule")), ("fail", _("Fail"))], default="skip"
    )
    message = models.TextField()

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="unique_rule_code_in_plan")
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.left} {self.operator} {self.right}"
