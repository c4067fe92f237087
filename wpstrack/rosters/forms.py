"""The mapping editor: a form built from the file's headers and spellings, to and from spec data.

The form never holds the mapping's rules for reading rows itself: it only turns what the
coordinator chose into the mapping file's data (``to_data``), which ``rosters.spec`` validates,
so a mapping typed in the page and one uploaded as a file pass the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wpstrack.frameworks.models import Plan
from wpstrack.reporting.models import ReportingRound
from wpstrack.rosters import spec
from wpstrack.rosters.engine import Spellings
from wpstrack.rosters.models import RosterKind

FIELDS: dict[str, list[str]] = {kind: list(fields) for kind, fields in spec.FIELDS.items()}
FIELD_LABELS = {
    "person_id": gettext_lazy("Person id (counts each person once)"),
    "unit": gettext_lazy("Unit"),
    "sex": gettext_lazy("Sex"),
    "birth_year": gettext_lazy("Year of birth"),
    "age": gettext_lazy("Age (years)"),
    "age_band": gettext_lazy("Age band"),
    "hire_date": gettext_lazy("Hire (entry on duty) date"),
    "separation_date": gettext_lazy("Separation date"),
    "occupation": gettext_lazy("Occupation"),
    "grade": gettext_lazy("Grade"),
    "leadership": gettext_lazy("Leadership flag"),
    "personnel_category": gettext_lazy("Personnel category"),
    "course": gettext_lazy("Course"),
    "completion_date": gettext_lazy("Completion date"),
    "country": gettext_lazy("Country"),
    "start_date": gettext_lazy("Start date"),
    "end_date": gettext_lazy("End (completion) date"),
}
# Fields whose spellings are mapped to our keys (the others are matched as written in filters).
SPELLED = ["sex", "unit", "age_band", "personnel_category"]
MEASURE_LABELS = {
    "headcount": gettext_lazy("Headcount at period end"),
    "headcount_start": gettext_lazy("Headcount at period start"),
    "hires": gettext_lazy("Entries (hires) during the period"),
    "exits": gettext_lazy("Exits during the period"),
    "attrition_rate": gettext_lazy("Attrition rate (exits / mean headcount, %)"),
    "share_women": gettext_lazy("Share of women in the headcount (%)"),
    "completions": gettext_lazy("Completions in the period"),
    "people_completed": gettext_lazy("People who completed a course in the period"),
    "trainees": gettext_lazy("Distinct trainees (course ended in the period)"),
}
OPS = ["in", "not_in", "equals", "not_equals", "blank", "not_blank"]
EXTRA_RULE_ROWS = 2


def guess_column(field: str, headers: Sequence[str]) -> str:
    """A first guess at a field's column from the header's words (the coordinator checks it)."""
    hints = {
        "person_id": ["person id", "employee id", "emplid", "id"],
        "unit": ["unit", "component", "org", "office"],
        "sex": ["sex", "gender"],
        "birth_year": ["birth year", "year of birth", "yob"],
        "age_band": ["age band", "age group"],
        "age": ["age"],
        "hire_date": ["hire", "eod", "entry"],
        "separation_date": ["separation", "exit", "leave date"],
        "completion_date": ["completion", "completed"],
        "end_date": ["end"],
        "start_date": ["start"],
    }
    lowered = [(h, h.strip().lower()) for h in headers]
    for hint in hints.get(field, [field.replace("_", " ")]):
        for header, low in lowered:
            if low == hint:
                return header
    for hint in hints.get(field, [field.replace("_", " ")]):
        for header, low in lowered:
            if hint in low and len(hint) > 2:
                return header
    return ""


def filter_lines(filters: Sequence[dict[str, Any]]) -> str:
    lines = []
    for item in filters:
        op = next((o for o in OPS if o in item), "")
        values = item.get(op)
        shown = ", ".join(str(v) for v in values) if isinstance(values, list) else values
        lines.append(
            f"{item.get('field', '')} {op} {shown if shown not in (None, True) else ''}".strip()
        )
    return "\n".join(lines)


def parse_filter_lines(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """``occupation in 1811, 1896`` -> {"field": "occupation", "in": ["1811", "1896"]}."""
    found, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.strip().split(None, 2)
        if len(parts) < 2 or parts[1] not in OPS:
            errors.append(
                _(
                    "Line %(n)s: write a field, an operation (%(ops)s) and values, e.g. "
                    "'occupation in 1811, 1896'."
                )
                % {"n": number, "ops": ", ".join(OPS)}
            )
            continue
        field, op = parts[0], parts[1]
        rest = parts[2] if len(parts) > 2 else ""
        if op in ("blank", "not_blank"):
            found.append({"field": field, op: True})
        elif op in ("in", "not_in"):
            found.append({"field": field, op: [v.strip() for v in rest.split(",") if v.strip()]})
        else:
            found.append({"field": field, op: rest.strip()})
    return found, errors


class MappingForm(forms.Form):
    """The whole mapping on one page; dynamic fields per kind, spelling and rule."""

    name = forms.CharField(label=gettext_lazy("Name of the source"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of roster"), choices=RosterKind.choices)
    sheet = forms.CharField(
        label=gettext_lazy("Sheet (XLSX only; empty for the first)"), required=False, max_length=100
    )
    date_formats = forms.CharField(
        label=gettext_lazy("Date formats, tried in order"),
        required=False,
        initial="%Y-%m-%d, %m/%d/%Y",
        help_text=gettext_lazy("strftime codes separated by commas, e.g. %Y-%m-%d, %d/%m/%Y"),
    )
    blank_sex = forms.BooleanField(
        label=gettext_lazy("A blank sex means 'not recorded' (counted as Other / not recorded)"),
        required=False,
        initial=True,
    )
    filters = forms.CharField(
        label=gettext_lazy("Which rows count (one condition a line; all must hold)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "For example 'occupation in 1811, 1896' or 'leadership equals Y'. Operations: "
            "in, not_in, equals, not_equals, blank, not_blank."
        ),
    )

    def __init__(
        self,
        *args: Any,
        plan: Plan,
        kind: str,
        headers: Sequence[str],
        spellings: Mapping[str, Spellings],
        choices: dict[str, list[tuple[str, str]]],
        spec_data: dict[str, Any] | None = None,
        rounds: Sequence[ReportingRound] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.roster_kind, self.headers, self.spellings = kind, list(headers), spellings
        spec_data = spec_data or {}
        columns = spec_data.get("columns", {})
        header_choices = [("", "–")] + [(h, h) for h in self.headers]
        for field in FIELDS.get(kind, []):
            self.fields[f"col_{field}"] = forms.ChoiceField(
                label=FIELD_LABELS[field],
                choices=header_choices,
                required=False,
                initial=columns.get(
                    field, guess_column(field, self.headers) if not spec_data else ""
                ),
            )
        values = spec_data.get("values", {})
        self.spelling_rows: dict[str, list[tuple[str, str, int]]] = {}
        for field in SPELLED:
            known = {str(k).strip().lower(): v for k, v in values.get(field, {}).items()}
            rows = []
            for index, (spelling, count) in enumerate(spellings.get(field, [])):
                name = f"val_{field}_{index}"
                self.fields[name] = forms.ChoiceField(
                    label=spelling or _("(blank)"),
                    choices=[("", _("as read (standard spellings only)")), *choices.get(field, [])],
                    required=False,
                    initial=known.get(spelling.strip().lower(), ""),
                )
                self.fields[f"spell_{field}_{index}"] = forms.CharField(
                    widget=forms.HiddenInput, initial=spelling, required=False
                )
                rows.append((name, spelling, count))
            self.spelling_rows[field] = rows
        metric_choices = [("", "–")] + [
            (m.code, f"{m.code} {m.current.text[:90] if m.current else ''}")
            for m in plan.metrics.filter(retired_in__isnull=True)
            .select_related("current")
            .order_by("position")
            if m.current is not None and m.current.type in ("count", "percentage", "ratio")
        ]
        rules = spec_data.get("rules", [])
        self.rule_rows: list[tuple[str, str, str]] = []
        for index in range(len(rules) + EXTRA_RULE_ROWS):
            rule = rules[index] if index < len(rules) else {}
            self.fields[f"rule_metric_{index}"] = forms.ChoiceField(
                label=_("Metric"),
                choices=metric_choices,
                required=False,
                initial=rule.get("metric", ""),
            )
            self.fields[f"rule_measure_{index}"] = forms.ChoiceField(
                label=_("Computed as"),
                choices=[("", "–")] + [(k, MEASURE_LABELS[k]) for k in MEASURE_LABELS],
                required=False,
                initial=rule.get("measure", ""),
            )
            self.fields[f"rule_where_{index}"] = forms.CharField(
                label=_("Only rows where"),
                required=False,
                initial=filter_lines(rule.get("where", [])).replace("\n", "; "),
            )
            self.rule_rows.append(
                (f"rule_metric_{index}", f"rule_measure_{index}", f"rule_where_{index}")
            )
        self.fields["reporting_round"] = forms.ChoiceField(
            label=gettext_lazy("Round to fill"),
            choices=[("", "–")] + [(str(r.pk), r.period) for r in rounds],
            required=False,
            initial=str(rounds[0].pk) if rounds else "",
        )
        self.fields["accept_share"] = forms.DecimalField(
            label=gettext_lazy("Accept up to this share of unreadable rows (%)"),
            min_value=Decimal(0),
            max_value=Decimal(100),
            decimal_places=2,
            initial=Decimal(0),
            required=False,
        )
        if spec_data:
            self.fields["name"].initial = spec_data.get("name", "")
            self.fields["sheet"].initial = spec_data.get("sheet", "")
            self.fields["date_formats"].initial = ", ".join(spec_data.get("date_formats", []))
            self.fields["blank_sex"].initial = spec_data.get("blank", {}).get("sex") == "other"
            self.fields["filters"].initial = filter_lines(spec_data.get("filters", []))
        self.fields["kind"].initial = kind

    def columns(self) -> list[Any]:
        return [self[f"col_{field}"] for field in FIELDS.get(self.roster_kind, [])]

    def spelling_groups(self) -> list[tuple[str, list[tuple[Any, str, int]], int]]:
        """Per field: its label, its spellings' rows, and how many spellings were withheld
        because they look like names or ids (engine.looks_personal)."""
        groups = []
        for field, rows in self.spelling_rows.items():
            found = self.spellings.get(field)
            withheld = found.withheld if found is not None else 0
            if rows or withheld:
                bound = [(self[name], spelling, count) for name, spelling, count in rows]
                groups.append((str(FIELD_LABELS[field]), bound, withheld))
        return groups

    def rules(self) -> list[tuple[Any, Any, Any]]:
        return [(self[a], self[b], self[c]) for a, b, c in self.rule_rows]

    def to_data(self) -> tuple[dict[str, Any], list[str]]:
        """The mapping file's data from the cleaned form, and the form-level problems."""
        c = self.cleaned_data
        errors: list[str] = []
        columns = {
            field: c[f"col_{field}"]
            for field in FIELDS.get(self.roster_kind, [])
            if c.get(f"col_{field}")
        }
        values: dict[str, dict[str, str]] = {}
        for field, rows in self.spelling_rows.items():
            for name, spelling, _count in rows:
                if c.get(name):
                    values.setdefault(field, {})[spelling] = c[name]
        filters, problems = parse_filter_lines(c.get("filters", ""))
        errors += problems
        rules = []
        for metric_name, measure_name, where_name in self.rule_rows:
            metric, measure = c.get(metric_name), c.get(measure_name)
            if not metric and not measure:
                continue
            where, problems = parse_filter_lines((c.get(where_name) or "").replace(";", "\n"))
            errors += problems
            rule: dict[str, Any] = {"metric": metric, "measure": measure}
            if where:
                rule["where"] = where
            rules.append(rule)
        data: dict[str, Any] = {
            "wpstrack_roster_mapping": 1,
            "name": c["name"],
            "kind": c["kind"],
            "columns": columns,
            "values": values,
            "date_formats": [
                f.strip() for f in (c.get("date_formats") or "").split(",") if f.strip()
            ],
            "filters": filters,
            "rules": rules,
        }
        if c.get("sheet"):
            data["sheet"] = c["sheet"]
        if c.get("blank_sex"):
            data["blank"] = {"sex": "other"}
        return data, errors


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file (.csv, .xlsx or .parquet)"),
        help_text=gettext_lazy(
            "Kept only until it is run, then deleted: only the figures computed from it remain."
        ),
    )


class MappingFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Mapping file (.yaml or .json)"))


class MappingTextForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("The mapping as YAML"),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        max_length=200_000,
    )
