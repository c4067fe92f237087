"""Plan-file defects: one tiny fixture per defect, and the exact problem each one gets.

Every file in ``fixtures/`` is ``valid-minimal.yaml`` with exactly one thing wrong (its slug is
the file's name, so that is not a defect). A test pins the whole list of problems as printed,
``file:line: field: message (fix)``, with each problem's stable code.

The last group are defects the validator once got wrong (a crash, a missed defect, a wrong line
or a misleading message); they are pinned the same way so that none comes back.
"""

from pathlib import Path

import pytest

from wpstrack.accounts.models import OrgUnit, UnitKind
from wpstrack.frameworks.models import Tag, TagSet
from wpstrack.frameworks.planfile import read_plan_file

FIXTURES = Path(__file__).parent / "fixtures"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def reference_data():
    """The units and tags the fixtures name: HQ > HQ-TEAM, and pillar-1325:participation."""
    kind = UnitKind.objects.create(key="office", name="Office")
    hq = OrgUnit.objects.create(code="HQ", name="Headquarters", short_name="HQ", kind=kind)
    hq.path, hq.depth = f"/{hq.pk}/", 0
    hq.save()
    team = OrgUnit.objects.create(
        code="HQ-TEAM", name="Headquarters team", short_name="Team", kind=kind, parent=hq
    )
    team.path, team.depth = f"{hq.path}{team.pk}/", 1
    team.save()
    pillars = TagSet.objects.create(key="pillar-1325", name="1325 pillars")
    Tag.objects.create(tag_set=pillars, key="participation", name="Participation")


def problems(name: str) -> list[tuple[str, str]]:
    """(code, printed problem) for each problem in the fixture, in the order reported."""
    report = read_plan_file(FIXTURES / name)
    return [(p.code, str(p)) for p in report.problems]


# -- the clean file -----------------------------------------------------------------------------


def test_a_minimal_valid_plan_has_no_problems():
    report = read_plan_file(FIXTURES / "valid-minimal.yaml")
    assert [str(p) for p in report.problems] == []
    assert report.valid
    assert report.document["slug"] == "valid-minimal"
    action = report.document["elements"][0]["children"][0]
    assert action["units"] == ["HQ-TEAM"]
    assert action["metrics"][0]["targets"] == [{"value": 30, "period": "2025"}]


def test_every_defect_fixture_is_the_valid_plan_named_for_its_defect():
    for path in FIXTURES.glob("*.yaml"):
        if path.name not in {
            "valid-minimal.yaml",
            "empty-file.yaml",
            "bad-slug.yaml",
            "several-defects.yaml",
        }:
            assert f"slug: {path.stem}\n" in path.read_text(), path.name


# -- the top of the file ------------------------------------------------------------------------


def test_it_reports_a_wrong_format_on_the_first_line():
    assert problems("bad-format.yaml") == [
        (
            "bad-format",
            "bad-format.yaml:1: format: must be 'wpstrack-plan/1', found 'wpstrack-plan/2' "
            "(write format: wpstrack-plan/1 on the first line)",
        )
    ]


def test_it_reports_a_slug_that_is_not_lower_case_letters_digits_and_hyphens():
    assert problems("bad-slug.yaml") == [
        (
            "bad-slug",
            "bad-slug.yaml:2: slug: 'Bad_Slug' is not a valid slug "
            "(use lower-case letters, digits and hyphens)",
        )
    ]


def test_it_reports_a_plan_without_a_title_on_the_first_line():
    assert problems("missing-plan-title.yaml") == [
        (
            "missing-title",
            "missing-plan-title.yaml:1: title: missing in the plan (give the plan a title)",
        )
    ]


def test_it_reports_an_unknown_owner_unit_with_its_line():
    assert problems("unknown-owner-unit.yaml") == [
        (
            "unknown-unit",
            "unknown-owner-unit.yaml:4: owner_unit: unknown unit 'HQQ' "
            "(use a unit code from plans/organisation.yaml)",
        )
    ]


def test_it_reports_a_plan_without_a_source_document():
    assert problems("missing-plan-source.yaml") == [
        (
            "missing-source",
            "missing-plan-source.yaml:1: source: missing in the plan "
            "(add source: {file: ..., title: ...} naming the document the plan comes from)",
        )
    ]


def test_it_reports_an_impossible_period_date_on_its_line():
    assert problems("bad-period-date.yaml") == [
        (
            "bad-date",
            "bad-period-date.yaml:12: end: '2025-09-31' is not a date (write YYYY-MM-DD, or null)",
        )
    ]


def test_it_reports_a_fiscal_year_month_written_as_a_name():
    assert problems("bad-month.yaml") == [
        (
            "bad-month",
            "bad-month.yaml:13: fiscal_year_start_month: expected a month number 1-12, "
            "found 'October' (10 for US plans (October), 1 for UN plans (January))",
        )
    ]


def test_it_reports_a_level_named_twice_on_the_second():
    assert problems("duplicate-level.yaml") == [
        (
            "duplicate-level",
            "duplicate-level.yaml:17: key: duplicate level 'action' (name each level once)",
        )
    ]


def test_it_reports_a_plan_without_elements():
    assert problems("missing-elements.yaml") == [
        (
            "missing-elements",
            "missing-elements.yaml:1: elements: missing (list the plan's elements under elements:)",
        )
    ]


# -- YAML itself --------------------------------------------------------------------------------


def test_it_reports_a_yaml_indentation_error_on_the_misindented_line():
    assert problems("wrong-indentation.yaml") == [
        (
            "yaml-syntax",
            "wrong-indentation.yaml:26: yaml: expected <block end>, but found "
            "'<block mapping start>' "
            "(check the indentation and quoting on this line and the one before it)",
        )
    ]


def test_it_reports_a_key_written_twice_on_the_second():
    assert problems("duplicate-key.yaml") == [
        (
            "yaml-syntax",
            "duplicate-key.yaml:27: yaml: duplicate key 'title' "
            "(check the indentation and quoting on this line and the one before it)",
        )
    ]


# -- elements -----------------------------------------------------------------------------------


def test_it_reports_an_unknown_level_with_its_line():
    assert problems("unknown-level.yaml") == [
        (
            "unknown-level",
            "unknown-level.yaml:25: level: element G1-A1: unknown level 'task' "
            "(use one of: goal, action)",
        )
    ]


def test_it_reports_a_child_whose_level_comes_before_its_parents():
    assert problems("level-order.yaml") == [
        (
            "level-order",
            "level-order.yaml:25: level: element G1-A1: a goal cannot sit under a goal "
            "(a child's level must come after its parent's in levels)",
        )
    ]


def test_it_reports_a_duplicate_element_code_with_the_line_of_the_first():
    assert problems("duplicate-code.yaml") == [
        (
            "duplicate-code",
            "duplicate-code.yaml:30: code: duplicate element code 'G1-A1' (first at line 24) "
            "(give each element its own code)",
        )
    ]


def test_it_reports_a_code_with_a_space_in_it():
    assert problems("bad-code.yaml") == [
        (
            "bad-code",
            "bad-code.yaml:24: code: 'G1 A1' is not a valid element code "
            "(use letters, digits, dots, hyphens or underscores (at most 60))",
        )
    ]


def test_it_reports_an_element_without_a_title_on_the_elements_first_line():
    assert problems("missing-title.yaml") == [
        (
            "missing-title",
            "missing-title.yaml:24: title: missing in element G1-A1 (give element G1-A1 a title)",
        )
    ]


def test_it_reports_an_element_without_a_source_on_the_elements_first_line():
    assert problems("missing-source.yaml") == [
        (
            "missing-source",
            "missing-source.yaml:24: source: element G1-A1: missing "
            '(add source: {section: "..."} with the document\'s heading)',
        )
    ]


def test_it_reports_an_unknown_field_with_the_fields_allowed():
    assert problems("unknown-field.yaml") == [
        (
            "unknown-field",
            "unknown-field.yaml:29: responsible: unknown field in an element "
            "(allowed: children, code, level, metrics, needs_indicators, note, outcomes, "
            "responsible_as_written, source, tags, text, title, units)",
        )
    ]


def test_it_reports_an_unknown_unit_in_an_elements_units():
    assert problems("unknown-unit.yaml") == [
        (
            "unknown-unit",
            "unknown-unit.yaml:27: units: element G1-A1: unknown unit 'HQ-TEEM' "
            "(use a unit code from plans/organisation.yaml, or add the unit there first)",
        )
    ]


def test_it_reports_units_not_written_as_a_list():
    assert problems("not-a-list.yaml") == [
        (
            "not-a-list",
            "not-a-list.yaml:27: units: element G1-A1: expected a list (start each item with '- ')",
        )
    ]


def test_it_reports_an_unknown_tag_with_its_line():
    assert problems("unknown-tag.yaml") == [
        (
            "unknown-tag",
            "unknown-tag.yaml:21: tags: element G1: unknown tag 'pillar-1325:participaton' "
            "(use <tag set>:<tag> from plans/tag-sets.yaml)",
        )
    ]


def test_it_reports_a_flag_written_as_a_quoted_word():
    assert problems("flag-not-boolean.yaml") == [
        (
            "not-a-flag",
            "flag-not-boolean.yaml:28: needs_indicators: element G1-A1: expected true or false, "
            "found 'no' (write true or false)",
        )
    ]


# -- metrics ------------------------------------------------------------------------------------


def test_it_reports_a_metric_type_that_is_not_one_of_the_types():
    assert problems("bad-metric-type.yaml") == [
        (
            "bad-metric-type",
            "bad-metric-type.yaml:33: type: metric G1-A1-M1: 'number' is not a type "
            "(use one of: count, percentage, ratio, money, score, milestone, text, rating)",
        )
    ]


def test_it_reports_a_direction_that_is_not_one_of_the_directions():
    assert problems("bad-direction.yaml") == [
        (
            "bad-direction",
            "bad-direction.yaml:34: direction: metric G1-A1-M1: 'up' is not a direction "
            "(use one of: increase, decrease, maintain, target, none)",
        )
    ]


def test_it_reports_a_frequency_that_is_not_one_of_the_frequencies():
    assert problems("bad-frequency.yaml") == [
        (
            "bad-frequency",
            "bad-frequency.yaml:35: frequency: metric G1-A1-M1: 'monthly' is not a frequency "
            "(use one of: quarterly, semiannual, annual, once, ad_hoc)",
        )
    ]


def test_it_reports_an_unknown_disaggregation():
    assert problems("bad-disaggregation.yaml") == [
        (
            "bad-disaggregation",
            "bad-disaggregation.yaml:35: disaggregation: metric G1-A1-M1: ['gender'] is not a "
            "list of disaggregations (use a list of: age, sex, unit)",
        )
    ]


def test_it_reports_a_target_that_is_not_a_number_on_its_line():
    assert problems("target-not-a-number.yaml") == [
        (
            "not-a-number",
            "target-not-a-number.yaml:36: value: metric G1-A1-M1: targets value '30%' is not a "
            "number (write the figure as a number, e.g. 30 or 12.5)",
        )
    ]


# -- several at once ----------------------------------------------------------------------------


def test_it_lists_every_defect_in_a_file_not_just_the_first():
    assert problems("several-defects.yaml") == [
        (
            "bad-slug",
            "several-defects.yaml:2: slug: 'Several_Defects' is not a valid slug "
            "(use lower-case letters, digits and hyphens)",
        ),
        (
            "unknown-unit",
            "several-defects.yaml:4: owner_unit: unknown unit 'HQQ' "
            "(use a unit code from plans/organisation.yaml)",
        ),
        (
            "unknown-tag",
            "several-defects.yaml:21: tags: element G1: unknown tag 'pillar-1325:participaton' "
            "(use <tag set>:<tag> from plans/tag-sets.yaml)",
        ),
        (
            "missing-source",
            "several-defects.yaml:24: source: element G1-A1: missing "
            '(add source: {section: "..."} with the document\'s heading)',
        ),
        (
            "bad-metric-type",
            "several-defects.yaml:32: type: metric G1-A1-M1: 'number' is not a type "
            "(use one of: count, percentage, ratio, money, score, milestone, text, rating)",
        ),
        (
            "not-a-number",
            "several-defects.yaml:35: value: metric G1-A1-M1: targets value '30%' is not a "
            "number (write the figure as a number, e.g. 30 or 12.5)",
        ),
    ]


# -- defects the validator once got wrong ------------------------------------------------------


def test_an_unknown_level_on_an_element_with_children_is_reported_not_a_crash():
    # The children are read without a level-order check (their parent's level is unknown).
    assert problems("unknown-level-with-children.yaml") == [
        (
            "unknown-level",
            "unknown-level-with-children.yaml:19: level: element G1: unknown level 'objective' "
            "(use one of: goal, action)",
        )
    ]


def test_a_yaml_list_used_as_a_key_is_reported_not_a_crash():
    assert problems("unhashable-key.yaml") == [
        (
            "yaml-syntax",
            "unhashable-key.yaml:28: yaml: keys must be plain words, found a list used as a key "
            "(write the field name alone, without [ ] or { } around it)",
        )
    ]


def test_a_list_item_that_is_not_a_mapping_is_reported_on_its_own_line():
    assert problems("not-a-mapping.yaml") == [
        (
            "not-a-mapping",
            "not-a-mapping.yaml:24: children: an element: expected a mapping of fields, "
            "found 'G1-A0' "
            "(check the indentation: fields go under the item, indented the same)",
        )
    ]


def test_a_child_under_an_element_of_the_last_level_is_reported_on_the_childs_code_line():
    assert problems("child-under-leaf.yaml") == [
        (
            "child-under-leaf",
            "child-under-leaf.yaml:31: children: element G1-A1-X is under an action, "
            "the last level, which cannot have children "
            "(move it under an element of an earlier level, or change its parent's level)",
        )
    ]


def test_a_plan_without_levels_is_reported_once():
    assert problems("missing-levels.yaml") == [
        (
            "missing-levels",
            "missing-levels.yaml:1: levels: the plan names no levels "
            "(list its levels top-down, e.g. - {key: goal, name: Goal})",
        )
    ]


def test_a_code_written_as_a_number_is_reported_not_silently_changed():
    assert problems("number-like-code.yaml") == [
        (
            "not-text",
            "number-like-code.yaml:31: code: the code of the metric was read as the number 1.1, "
            'not as text (write it as a quoted string, e.g. "1.10")',
        )
    ]


def test_a_metric_without_a_direction_is_reported_as_missing():
    assert problems("missing-direction.yaml") == [
        (
            "missing-direction",
            "missing-direction.yaml:31: direction: missing in metric G1-A1-M1 "
            "(give the metric a direction: one of increase, decrease, maintain, target, none)",
        )
    ]


def test_a_target_without_a_period_is_reported():
    assert problems("missing-target-period.yaml") == [
        (
            "missing-period",
            "missing-target-period.yaml:36: period: missing in a target of metric G1-A1-M1 "
            "(give the target the period as written, or period: null where the document "
            "states none)",
        )
    ]


def test_a_source_date_not_written_as_year_month_day_is_reported():
    assert problems("bad-source-date.yaml") == [
        (
            "bad-date",
            "bad-source-date.yaml:9: date: 'October 2024' is not a date written as YYYY, "
            'YYYY-MM or YYYY-MM-DD (write it as precisely as the document does: "2024", '
            '"2024-10" or "2024-10-01"; or null)',
        )
    ]


def test_a_period_that_ends_before_it_starts_is_reported():
    assert problems("period-end-before-start.yaml") == [
        (
            "bad-period",
            "period-end-before-start.yaml:12: end: the period ends (2025-09-30) before it starts "
            "(2026-10-01) (check the dates: the end must not come before the start)",
        )
    ]


def test_a_section_without_a_source_is_reported():
    assert problems("section-missing-source.yaml") == [
        (
            "missing-source",
            "section-missing-source.yaml:18: source: section INTRO: missing "
            '(add source: {section: "..."} with the document\'s heading)',
        )
    ]


def test_a_control_character_is_reported_on_its_line():
    assert problems("control-character.yaml") == [
        (
            "yaml-syntax",
            "control-character.yaml:32: yaml: special character #x000c is not allowed in a "
            "YAML file (remove the special character (often pasted from a PDF))",
        )
    ]


def test_an_empty_file_is_reported_as_empty():
    assert problems("empty-file.yaml") == [
        (
            "empty-file",
            "empty-file.yaml:1: file: the file is empty "
            "(write the plan, starting with format: wpstrack-plan/1)",
        )
    ]


def test_it_reports_an_approval_step_that_names_no_unit_kind():
    assert problems("bad-approval-step.yaml") == [
        (
            "bad-approval-step",
            "bad-approval-step.yaml:15: steps: 'ancestor:planet' is not an approval step "
            "(use unit, coordinator, or ancestor:<unit kind> (one of: office))",
        )
    ]


def test_it_reports_a_rule_that_names_a_metric_the_plan_does_not_have():
    assert problems("bad-rule-term.yaml") == [
        (
            "bad-rule-term",
            "bad-rule-term.yaml:41: right: rule R1: 'G1-A1-M9' is not a metric of this plan or a "
            "number (write metric codes (with [sex=women] for one part) joined by +)",
        )
    ]


def test_it_reports_a_rule_with_an_unknown_operator():
    assert problems("bad-rule-operator.yaml") == [
        (
            "bad-operator",
            "bad-rule-operator.yaml:40: operator: rule R1: '=<' is not an operator "
            "(use one of: <=, <, >=, >, ==)",
        )
    ]


def test_it_reports_a_plausible_range_upside_down():
    assert problems("bad-plausible-range.yaml") == [
        (
            "bad-plausible-range",
            "bad-plausible-range.yaml:35: max: metric G1-A1-M1: plausible max is below min "
            "(swap the two figures)",
        )
    ]


def test_it_reports_a_target_that_is_not_a_finite_number():
    found = problems("target-not-finite.yaml")
    assert [code for code, _text in found] == ["not-a-number"]
    assert "target-not-finite.yaml:36: value:" in found[0][1]


def test_it_reports_a_rating_without_its_scale():
    assert problems("rating-without-scale.yaml") == [
        (
            "missing-scale",
            "rating-without-scale.yaml:31: scale: metric G1-A1-M1: a rating needs its scale "
            "(add scale: [first answer, second answer, ...])",
        )
    ]


# -- status rules: figures' period codes, tolerances, trajectories, roll-ups --------------------


def test_it_reports_a_figures_period_code_that_is_not_one():
    assert problems("bad-period-code.yaml") == [
        (
            "bad-period-code",
            "bad-period-code.yaml:36: at: metric G1-A1-M1: target at 'FY25' is not a period "
            "code (write FY2030 for a fiscal year or FY2030-Q3 for a quarter of it; or leave at "
            "out where the document states no period)",
        )
    ]


def test_it_reports_a_tolerance_written_as_a_percentage():
    assert problems("bad-tolerance.yaml") == [
        (
            "bad-tolerance",
            "bad-tolerance.yaml:35: tolerance: metric G1-A1-M1: tolerance 10 is not a share "
            "above 0 and at most 1 (write the share of the planned change a figure may lag and "
            "still be at risk, e.g. 0.1 for 10%)",
        )
    ]


def test_it_reports_an_unknown_trajectory():
    assert problems("unknown-trajectory.yaml") == [
        (
            "bad-trajectory",
            "unknown-trajectory.yaml:35: trajectory: metric G1-A1-M1: 'exponential' is not a "
            "trajectory (use one of: linear, step)",
        )
    ]


def test_it_reports_an_unknown_roll_up_rule():
    assert problems("bad-rollup.yaml") == [
        (
            "bad-rollup",
            "bad-rollup.yaml:14: rollup: the plan's status: 'average' is not a rollup "
            "(use one of: worst, share)",
        )
    ]


def test_it_reports_a_roll_up_share_that_is_not_a_share():
    assert problems("bad-rollup-share.yaml") == [
        (
            "bad-rollup-share",
            "bad-rollup-share.yaml:16: rollup_share: the plan's status: rollup_share 25 is not a "
            "share above 0 and below 1 (write the share of a group's assessed items that may be "
            "off track (or at risk) before the group is, e.g. 0.25)",
        )
    ]


def test_status_rules_and_period_codes_come_into_the_canonical_document(tmp_path):
    text = (FIXTURES / "valid-minimal.yaml").read_text()
    text = text.replace(
        "fiscal_year_start_month: 10\n",
        "fiscal_year_start_month: 10\nstatus: {rollup: share, rollup_share: 0.5}\n",
    ).replace(
        '              - {value: 30, period: "2025"}\n',
        '              - {value: 30, period: "by 2030", at: fy2030}\n'
        "            baselines:\n"
        '              - {value: 12, period: "2023 Q3", at: FY2023-Q3, note: "as reported"}\n'
        "            status: {tolerance: 0.2, trajectory: step}\n",
    )
    path = tmp_path / "valid-minimal.yaml"
    path.write_text(text)
    report = read_plan_file(path)
    assert [str(p) for p in report.problems] == []
    document = report.document
    assert document["status"] == {"tolerance": 0.1, "rollup": "share", "rollup_share": 0.5}
    metric = document["elements"][0]["children"][0]["metrics"][0]
    assert metric["targets"] == [{"value": 30, "period": "by 2030", "at": "FY2030"}]
    assert metric["baselines"] == [
        {"value": 12, "period": "2023 Q3", "at": "FY2023-Q3", "note": "as reported"}
    ]
    assert metric["status"] == {"tolerance": 0.2, "trajectory": "step"}


def test_without_status_rules_the_canonical_document_carries_the_defaults():
    document = read_plan_file(FIXTURES / "valid-minimal.yaml").document
    assert document["status"] == {"tolerance": 0.1, "rollup": "worst", "rollup_share": 0.25}
    metric = document["elements"][0]["children"][0]["metrics"][0]
    assert metric["status"] == {"tolerance": None, "trajectory": "linear"}
    assert "at" not in metric["targets"][0]


@pytest.mark.parametrize(
    ("status", "found"),
    [
        ("{tolerance: 0}", "tolerance 0 is not a share"),
        ("{tolerance: 1.5}", "tolerance 1.5 is not a share"),
        ("{tolerance: '10%'}", "tolerance '10%' is not a share"),
        ("{tolerance: true}", "tolerance True is not a share"),
        ("{tolerance: .nan}", "tolerance nan is not a share"),
        ("{trajectory: Linear}", "'Linear' is not a trajectory"),
        ("{speed: 2}", "speed: unknown field in metric G1-A1-M1's status"),
        ("[0.1]", "status: metric G1-A1-M1's status: expected a mapping"),
    ],
)
def test_every_wrong_metric_status_is_reported(tmp_path, status, found):
    text = (FIXTURES / "valid-minimal.yaml").read_text()
    text = text.replace(
        "direction: increase\n", f"direction: increase\n            status: {status}\n"
    )
    path = tmp_path / "valid-minimal.yaml"
    path.write_text(text)
    printed = [str(p) for p in read_plan_file(path).problems]
    assert len(printed) == 1 and found in printed[0], printed


def test_a_tolerance_of_one_and_a_quarter_code_are_accepted(tmp_path):
    text = (
        (FIXTURES / "valid-minimal.yaml")
        .read_text()
        .replace(
            "direction: increase\n",
            "direction: increase\n            status: {tolerance: 1}\n",
        )
    )
    text = text.replace('period: "2025"}', 'period: "2025", at: FY2025-Q4}')
    path = tmp_path / "valid-minimal.yaml"
    path.write_text(text)
    report = read_plan_file(path)
    assert report.valid, [str(p) for p in report.problems]


def test_a_period_code_written_as_a_number_is_reported_as_not_in_quotes(tmp_path):
    text = (FIXTURES / "valid-minimal.yaml").read_text()
    path = tmp_path / "valid-minimal.yaml"
    path.write_text(text.replace('period: "2025"}', 'period: "2025", at: 2025}'))
    assert [str(p) for p in read_plan_file(path).problems] == [
        "valid-minimal.yaml:36: at: metric G1-A1-M1: target at 2025 (not in quotes) is not a "
        "period code (write FY2030 for a fiscal year or FY2030-Q3 for a quarter of it; or leave "
        "at out where the document states no period)"
    ]


# -- figures for one category (for:) and metrics added by wpstrack -------------------------------


@pytest.fixture
def sex_categories():
    from wpstrack.frameworks.models import Category, DisaggregationSet

    sex = DisaggregationSet.objects.create(key="sex", name="Sex")
    for position, key in enumerate(("women", "men", "other")):
        Category.objects.create(disaggregation_set=sex, key=key, label=key, position=position)


def test_a_figure_for_a_set_the_metric_is_not_broken_down_by_is_reported():
    assert problems("figure-for-unknown-set.yaml") == [
        (
            "figure-for-unknown-set",
            "figure-for-unknown-set.yaml:38: for: metric G1-A1-M1: target is for "
            "'personnel-category', which the metric is not broken down by (use a set of the "
            "metric's disaggregation (sex), or add the set to it)",
        )
    ]


def test_a_figure_for_a_category_the_set_does_not_have_is_reported(sex_categories):
    assert problems("figure-for-unknown-category.yaml") == [
        (
            "figure-for-unknown-category",
            "figure-for-unknown-category.yaml:37: for: metric G1-A1-M1: target: sex has no "
            "category 'woman' (use one of: men, other, women)",
        )
    ]


def test_a_figure_for_without_set_and_category_is_reported():
    assert problems("bad-figure-for.yaml") == [
        (
            "bad-figure-for",
            "bad-figure-for.yaml:37: for: metric G1-A1-M1: target for 'women' is not a "
            "combination (write set=category (joined by | for several sets, each once), e.g. "
            "for: personnel-category=military-contingent)",
        )
    ]


def test_a_figure_for_part_of_a_combination_is_reported():
    assert problems("figure-for-incomplete.yaml") == [
        (
            "figure-for-incomplete",
            "figure-for-incomplete.yaml:37: for: metric G1-A1-M1: baseline for 'sex=women' "
            "names 1 of the metric's 2 sets (sex, age) (name one category of each set the "
            "metric is broken down by, joined by |)",
        )
    ]


def test_a_figure_for_a_category_is_kept_in_the_metrics_order(sex_categories, tmp_path):
    text = (FIXTURES / "valid-minimal.yaml").read_text()
    text = text.replace(
        "            direction: increase\n",
        "            direction: increase\n            disaggregation: [sex, age]\n",
    ).replace(
        '              - {value: 30, period: "2025"}',
        '              - {value: 30, period: "2025", at: FY2025, for: "age=18-24|sex=women",\n'
        '                 as_written: "30 by 2025", source: "https://example.org/targets"}',
    )
    path = tmp_path / "valid-minimal.yaml"
    path.write_text(text)
    report = read_plan_file(path)
    assert [str(p) for p in report.problems] == []
    metric = report.document["elements"][0]["children"][0]["metrics"][0]
    assert metric["targets"] == [
        {
            "value": 30,
            "period": "2025",
            "at": "FY2025",
            "for": "sex=women|age=18-24",
            "as_written": "30 by 2025",
            "source": "https://example.org/targets",
        }
    ]


def test_a_metric_added_by_wpstrack_names_its_source():
    assert problems("added-without-source.yaml") == [
        (
            "added-without-source",
            "added-without-source.yaml:35: source: metric G1-A1-M1 is added (not in the "
            "document) but has no source (name in source where its words and figures come "
            "from)",
        )
    ]
