from __future__ import annotations

import math
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wpstrack.accounts.models import OrgUnit
from wpstrack.frameworks.models import Direction, DisaggregationSet, Frequency, MetricType, Tag
from wpstrack.lib.periods import Period, PeriodError

LONG = forms.Textarea(attrs={"rows": 4})


class ElementForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(
        label=_("Title as written"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    text = forms.CharField(
        label=_("Full text as written"), widget=LONG, required=False, max_length=20000
    )
    responsible_as_written = forms.CharField(
        label=_("Responsible (as written)"), required=False, max_length=500
    )
    units = forms.MultipleChoiceField(
        label=_("Responsible units"), required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    outcomes = forms.CharField(
        label=_("Outcomes, one per line"), widget=LONG, required=False, max_length=20000
    )
    tags = forms.MultipleChoiceField(
        label=_("Tags"), required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    needs_indicators = forms.BooleanField(
        label=_("The document asks for indicators"), required=False
    )
    note = forms.CharField(label=_("Editor's note"), widget=LONG, required=False, max_length=5000)
    reason = forms.CharField(label=_("Reason for the change"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = [(u.code, f"{u.short_name} ({u.code})") for u in OrgUnit.objects.all()]
        tags = [(t.ref, f"{t.ref} — {t.name[:60]}") for t in Tag.objects.select_related("tag_set")]
        self.fields["units"].choices = units  # type: ignore[attr-defined]
        self.fields["tags"].choices = tags  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"].strip(),
            "text": data["text"].rstrip(),
            "responsible_as_written": data["responsible_as_written"].strip(),
            "units": sorted(data["units"]),
            "tags": sorted(data["tags"]),
            "outcomes": [line.strip() for line in data["outcomes"].splitlines() if line.strip()],
            "needs_indicators": data["needs_indicators"],
            "note": data["note"].strip(),
        }


def figures_text(figures: list[dict[str, Any]]) -> str:
    """Baselines or targets as lines of ``period: value @ code for combination | as written |
    note | source`` for editing (``@ FY2030``: the period code the figure is for, when it has one;
    ``for personnel-category=military-contingent``: the category it is for, when it has one)."""
    lines = []
    for figure in figures:
        at = f" @ {figure['at']}" if figure.get("at") else ""
        part = f" for {figure['for']}" if figure.get("for") else ""
        parts = [
            f"{figure.get('period') or ''}: {figure['value']}{at}{part}",
            figure.get("as_written", ""),
            figure.get("note", ""),
            figure.get("source", ""),
        ]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


class FiguresField(forms.CharField):
    """Lines of ``period: value @ code for combination | as written | note | source``; each
    becomes a baseline or target. ``@ code`` (optional) is the period code the figure is for:
    FY2030, FY2030-Q3; ``for combination`` (optional) the category it is for (checked by the
    plan-file rules against the metric's disaggregation)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("max_length", 10000)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[dict[str, Any]]:
        text = super().clean(value)
        figures = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            head, *rest = line.split(" | ", 3)
            written, note, source = [*rest, "", "", ""][:3]
            period, colon, amount = head.rpartition(":")
            amount, _for, part = amount.partition(" for ")
            amount, at_sign, code = amount.partition("@")
            at = ""
            if at_sign:
                try:
                    # The code's shape is the same whatever the fiscal year's start month; the
                    # plan-file rules check it again with the plan's.
                    at = Period.parse(code, 1).code
                except PeriodError:
                    raise forms.ValidationError(
                        _(
                            "Line %(n)s: %(code)s is not a period code: write FY2030 for a "
                            "fiscal year or FY2030-Q3 for a quarter, e.g. 2030: 30 @ FY2030"
                        )
                        % {"n": number, "code": repr(code.strip())}
                    ) from None
            try:
                figure_value = float(amount.strip())
                if not math.isfinite(figure_value):
                    raise ValueError(amount)
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)s: write it as period: value, e.g. FY2030: 30") % {"n": number}
                ) from None
            entry: dict[str, Any] = {
                "value": int(figure_value) if figure_value.is_integer() else figure_value,
                "period": period.strip() if colon else "",
            }
            if at:
                entry["at"] = at
            if part.strip():
                entry["for"] = part.strip()
            for key, text in (("as_written", written), ("source", source), ("note", note)):
                if text.strip():
                    entry[key] = text.strip()
            figures.append(entry)
        return figures


class MetricForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("Metric as written"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    type = forms.ChoiceField(label=_("Type"), choices=MetricType.choices)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=200)
    direction = forms.ChoiceField(label=_("Desired direction"), choices=Direction.choices)
    compare_previous = forms.BooleanField(
        label=_("Compared with the previous period"), required=False
    )
    disaggregation = forms.MultipleChoiceField(
        label=_("Disaggregated by"), required=False, widget=forms.CheckboxSelectMultiple
    )
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    sensitive = forms.BooleanField(
        label=_("Sensitive (small counts suppressed when published)"), required=False
    )
    note = forms.CharField(label=_("Editor's note"), widget=LONG, required=False, max_length=5000)
    baselines = FiguresField(
        label=_("Baselines, one per line: period: value @ period code | as written | note"),
        help_text=_(
            "The period as the document words it, the figure, then the period code it is for "
            "(FY2023, FY2023-Q3), e.g. FY 2023: 12 @ FY2023. Without a code the figure is kept "
            "but no trajectory can be drawn from it."
        ),
    )
    targets = FiguresField(
        label=_("Targets, one per line: period: value @ period code | as written | note"),
        help_text=_(
            "e.g. by 2030: 30 @ FY2030 | 30% by 2030. A target for one category of the "
            "breakdown names it after the code: 2028: 15 @ FY2028 for "
            "personnel-category=military-contingent; a fourth part after | names its source."
        ),
    )
    tolerance = forms.FloatField(
        label=_("Tolerance (share of the planned change)"),
        required=False,
        help_text=_(
            "How far, as a share of the change from baseline to target, a figure may lag the "
            "expected path and still be at risk rather than off track: 0.1 for 10%. Blank: the "
            "plan's tolerance."
        ),
    )
    trajectory = forms.ChoiceField(
        label=_("Expected path to the target"),
        choices=[
            ("linear", _("Linear: a straight line from the baseline to the target")),
            ("step", _("Step: the target applies only from its date")),
        ],
        initial="linear",
        required=False,  # left out: unchanged
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=500)

    def __init__(self, *args: Any, plan_tolerance: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan_tolerance is not None:
            self.fields["tolerance"].help_text = _(
                "How far, as a share of the change from baseline to target, a figure may lag the "
                "expected path and still be at risk rather than off track: 0.1 for 10%%. Blank: "
                "the plan's tolerance (%(tolerance)s)."
            ) % {"tolerance": plan_tolerance}
        sets: list[tuple[str, Any]] = [(s.key, s.name) for s in DisaggregationSet.objects.all()]
        sets = (sets or [("sex", _("Sex")), ("age", _("Age"))]) + [
            ("unit", _("Organisational unit (sub-units)"))
        ]
        self.fields["disaggregation"].choices = sets  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {
            key: (value.strip() if isinstance(value, str) else value)
            for key, value in data.items()
            if key not in {"base_version", "reason", "tolerance", "trajectory"}
        }
        tolerance = data.get("tolerance")
        if tolerance is not None and float(tolerance).is_integer():
            tolerance = int(tolerance)  # 1, as a plan file writes it
        status: dict[str, Any] = {"tolerance": tolerance}
        if data.get("trajectory"):
            status["trajectory"] = data["trajectory"]  # left out: unchanged
        changes["status"] = status
        return changes


class PlanStatusForm(forms.Form):
    """The plan's status rules: the default tolerance and how statuses roll up."""

    base_version = forms.IntegerField(widget=forms.HiddenInput)
    tolerance = forms.FloatField(
        label=_("Tolerance (share of the planned change)"),
        required=False,
        help_text=_(
            "How far, as a share of the change from baseline to target, a figure may lag the "
            "expected path and still be at risk rather than off track: 0.1 for 10%. Metrics may "
            "set their own. Blank: 0.1."
        ),
    )
    rollup = forms.ChoiceField(
        label=_("Roll-up rule"),
        choices=[
            ("worst", _("Worst: any off track makes the group off track, else any at risk")),
            ("share", _("Share: off track when more than the share below are off track")),
        ],
    )
    rollup_share = forms.FloatField(
        label=_("Roll-up share"),
        required=False,
        help_text=_(
            "For the share rule: a group is off track when more than this share of its assessed "
            "items are off track, at risk when more than this share are at risk or off track "
            "(0.25 for a quarter). Blank: 0.25."
        ),
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=500)

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {"rollup": data["rollup"]}
        for key, default in (("tolerance", 0.1), ("rollup_share", 0.25)):
            value = data.get(key)
            if value is None:
                value = default
            elif float(value).is_integer():
                value = int(value)
            changes[key] = value
        return changes


class TagForm(forms.Form):
    tag_set_key = forms.SlugField(label=_("Tag set key"), max_length=40)
    tag_set_name = forms.CharField(
        label=_("Tag set name (for a new set)"), required=False, max_length=200
    )
    key = forms.RegexField(
        label=_("Tag key"),
        regex=r"^[A-Za-z0-9-]{1,40}$",
        max_length=40,
        error_messages={"invalid": _("Use letters, digits and hyphens.")},
    )
    name = forms.CharField(label=_("Tag name"), max_length=500)


class RuleForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$",
        max_length=60,
        error_messages={"invalid": _("Use letters, digits, dots and hyphens.")},
    )
    left = forms.CharField(
        label=_("Left side"),
        max_length=500,
        help_text=_("Metric codes joined by +; [sex=women] for one part; or a number."),
    )
    operator = forms.ChoiceField(
        label=_("Operator"), choices=[(o, o) for o in ("<=", "<", ">=", ">", "==")]
    )
    right = forms.CharField(label=_("Right side"), max_length=500)
    when_missing = forms.ChoiceField(
        label=_("When a side is not reported"),
        choices=[("skip", _("Skip the check")), ("fail", _("Fail the check"))],
    )
    message = forms.CharField(label=_("Message shown when the check fails"), max_length=500)


class CategoriesField(forms.CharField):
    """Lines of ``key: label`` (or just a label, whose key is made from it)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 5}))
        kwargs.setdefault("max_length", 5000)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[tuple[str, str]]:
        from django.utils.text import slugify

        text = super().clean(value)
        categories = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, colon, label = line.partition(":")
            key, label = (
                (key.strip(), label.strip()) if colon else (slugify(line)[:40], line.strip())
            )
            if not re.fullmatch(r"[A-Za-z0-9-]{1,40}", key) or not label:
                raise forms.ValidationError(
                    _("Line %(n)s: write key: label, e.g. fpu: Formed police unit") % {"n": number}
                )
            categories.append((key, label[:200]))
        return categories


class DisaggregationSetForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    categories = CategoriesField(label=_("Categories, one per line: key: label"))
