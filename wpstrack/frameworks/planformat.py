"""The plan file format's names: the fields each part may have and the shapes of codes."""

import re

FORMAT = "wpstrack-plan/1"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
PEOPLE_WORDS = re.compile(
    r"\b(women|men|people|persons|individuals|employees|students|trainees|"
    r"mentees|participants|peacekeepers|staff|personnel)\b",
    re.I,
)

TOP_KEYS = {
    "format",
    "slug",
    "title",
    "short_title",
    "owner_unit",
    "source",
    "period",
    "fiscal_year_start_month",
    "approval",
    "status",
    "rules",
    "levels",
    "sections",
    "obligations",
    "elements",
}
SOURCE_KEYS = {"file", "title", "publisher", "date", "note"}
PERIOD_KEYS = {"start", "end", "as_written"}
LEVEL_KEYS = {"key", "name"}
ELEMENT_KEYS = {
    "code",
    "level",
    "title",
    "text",
    "responsible_as_written",
    "units",
    "outcomes",
    "tags",
    "needs_indicators",
    "source",
    "note",
    "metrics",
    "children",
}
ELEMENT_SOURCE_KEYS = {"section", "page", "note"}
# What a metric means; a change to any of these makes a new MetricDefinition.
METRIC_DEFINITION_FIELDS = (
    "text",
    "type",
    "unit",
    "direction",
    "compare_previous",
    "disaggregation",
    "frequency",
    "sensitive",
    "source_text",
    "appendix_text",
    "source",
    "note",
    "baselines",
    "targets",
    "plausible",
    "scale",
    "status",
)
METRIC_KEYS = {"code", *METRIC_DEFINITION_FIELDS}
# Definition fields added after the format's first release, with the value a document without
# them means.
LATER_FIELD_DEFAULTS: dict[str, object] = {"source": ""}
FIGURE_KEYS = {"value", "period", "at", "for", "as_written", "source", "note"}
# Where a metric's words come from: the document's table (default), only its appendix, or
# nowhere in the document: "added" by wpstrack to track what the document commits to (its note
# says why, its ``source`` where the figures come from).
SOURCE_TEXTS = ("table", "appendix", "added")
# Status rules (docs/status-rules.md). A metric's tolerance of None means "the plan's tolerance".
TRAJECTORIES = ("linear", "step")
ROLLUPS = ("worst", "share")
METRIC_STATUS_DEFAULTS: dict[str, object] = {"tolerance": None, "trajectory": "linear"}
PLAN_STATUS_DEFAULTS: dict[str, object] = {
    "tolerance": 0.1,
    "rollup": "worst",
    "rollup_share": 0.25,
}
SECTION_KEYS = {"code", "title", "text", "source", "note"}
OBLIGATION_KEYS = {
    "code",
    "title",
    "text",
    "cadence",
    "due",
    "years",
    "units",
    "responsible_as_written",
    "source",
    "note",
}
RULE_KEYS = {"code", "left", "operator", "right", "when_missing", "message"}
TERM_RE = re.compile(
    r"^(?:(?P<number>-?\d+(?:\.\d+)?)|(?P<metric>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[(?P<combo>[^\]]*)\])?)$"
)
