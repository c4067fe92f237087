"""Checks beyond one cell's type: plausible ranges, outliers against the unit's own history, and
the plan's cross-metric rules. Range and outlier checks are warnings that need a comment before
submitting; a rule that fails blocks the submission with the rule's own message."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from wpstrack.frameworks.models import ValidationRule
from wpstrack.frameworks.planformat import TERM_RE
from wpstrack.reporting.rules import TOTAL, CellError, plain_number

MIN_HISTORY = 4


def plausible(
    code: str, combo: str, value: Decimal | None, bounds: Mapping[str, Any]
) -> CellError | None:
    if value is None or not bounds:
        return None
    low, high = bounds.get("min"), bounds.get("max")
    if (low is not None and value < Decimal(str(low))) or (
        high is not None and value > Decimal(str(high))
    ):
        return CellError(
            "implausible-value",
            _(
                "%(value)s is outside the plausible range %(low)s to %(high)s: "
                "check it, and say why in the comment if it is right."
            )
            % {
                "value": plain_number(value),
                "low": "-" if low is None else low,
                "high": "-" if high is None else high,
            },
            code,
            combo,
            "comment",
            blocking=False,
        )
    return None


def outlier(
    code: str, combo: str, value: Decimal | None, history: list[Decimal]
) -> CellError | None:
    """Compare with the unit's own approved history, by the method set in OUTLIER_METHOD."""
    if value is None or len(history) < MIN_HISTORY:
        return None
    method = settings.OUTLIER_METHOD
    numbers = [float(h) for h in history]
    x = float(value)
    unusual = False
    if method == "z":
        spread = statistics.pstdev(numbers)
        unusual = spread > 0 and abs(x - statistics.fmean(numbers)) / spread > 3
    elif method == "min-max":
        unusual = x < min(numbers) or x > max(numbers)
    else:  # modified z-score (Iglewicz and Hoaglin): robust to one odd past value
        median = statistics.median(numbers)
        mad = statistics.median([abs(n - median) for n in numbers])
        unusual = mad > 0 and 0.6745 * abs(x - median) / mad > 3.5
    if not unusual:
        return None
    return CellError(
        "outlier",
        _(
            "%(value)s is far from this unit's earlier figures (%(history)s): check it, and "
            "say why in the comment if it is right."
        )
        % {
            "value": plain_number(value),
            "history": ", ".join(plain_number(h) for h in history[-6:]),
        },
        code,
        combo,
        "comment",
        blocking=False,
    )


def _side(text: str, values: Mapping[tuple[str, str], Decimal | None]) -> Decimal | None:
    total = Decimal(0)
    for term in (t.strip() for t in text.split("+")):
        match = TERM_RE.match(term)
        if match is None:
            return None
        if match.group("number") is not None:
            total += Decimal(match.group("number"))
            continue
        value = values.get((match.group("metric"), match.group("combo") or TOTAL))
        if value is None:
            return None
        total += value
    return total


COMPARE = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "==": lambda a, b: a == b,
}


def rule_failures(
    rules: list[ValidationRule],
    values: Mapping[tuple[str, str], Decimal | None],
    owned: set[str],
    *,
    blocking: bool,
) -> list[CellError]:
    """Rules whose metrics this unit reports, evaluated on its figures (totals derived)."""
    failures = []
    for rule in rules:
        metrics = {
            m.group("metric")
            for t in (rule.left + "+" + rule.right).split("+")
            if (m := TERM_RE.match(t.strip())) and m.group("metric")
        }
        if not metrics or not metrics <= owned:
            continue
        left, right = _side(rule.left, values), _side(rule.right, values)
        if left is None or right is None:
            if rule.when_missing == "fail":
                failures.append(
                    CellError(
                        "rule-missing-value",
                        _("%(message)s (a side of this check is not reported yet)")
                        % {"message": rule.message},
                        sorted(metrics)[0],
                        blocking=blocking,
                    )
                )
            continue
        if not COMPARE[rule.operator](left, right):
            failures.append(
                CellError(
                    "rule-failed",
                    f"{rule.message} ({rule.left} = {plain_number(left)}, "
                    f"{rule.right} = {plain_number(right)})",
                    sorted(metrics)[0],
                    blocking=blocking,
                )
            )
    return failures
