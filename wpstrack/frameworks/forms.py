from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wpstrack.accounts.models import OrgUnit
from wpstrack.frameworks.models import Direction, Frequency, MetricType, Tag

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
        label=_("Disaggregated by"),
        required=False,
        choices=[("sex", _("Sex")), ("age", _("Age"))],
        widget=forms.CheckboxSelectMultiple,
    )
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    sensitive = forms.BooleanField(
        label=_("Sensitive (small counts suppressed when published)"), required=False
    )
    note = forms.CharField(label=_("Editor's note"), widget=LONG, required=False, max_length=5000)
    reason = forms.CharField(label=_("Reason for the change"), max_length=500)

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            key: (value.strip() if isinstance(value, str) else value)
            for key, value in data.items()
            if key not in {"base_version", "reason"}
        }


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
