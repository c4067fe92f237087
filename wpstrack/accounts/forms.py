from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from wpstrack.accounts.models import OrgUnit, Role


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * obj.depth}{obj.short_name} ({obj.code})"


class MembershipForm(forms.Form):
    """A role on a unit, chosen among the units the administrator administers."""

    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        to_field_name="code",
        error_messages={"invalid_choice": _("Choose one of the units you administer.")},
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.filter(is_active=True).select_related("kind")  # type: ignore[attr-defined]


class InviteForm(MembershipForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        required=False,
        help_text=_("Needed when the person has no account yet."),
    )
    field_order = ["email", "full_name", "unit", "role"]


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
