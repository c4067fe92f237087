"""Plan-file defects: one tiny fixture per defect, and the exact problem each one gets.

Every file in ``fixtures/`` is ``valid-minimal.yaml`` with exactly one thing wrong (its slug is
the file's name, so that is not a defect). A test pins the whole list of problems as printed,
``file:line: field: message (fix)``, with each problem's stable code.

Tests marked ``xfail(strict=True)`` describe what *should* happen where the validator is wrong
today (a crash, a missed defect, a wrong line or a misleading message). They check where the
problem is (line, field, code) and the words that matter, so a fix turns them into XPASS; pin the
exact message then and drop the marker.
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


def located(name: str) -> list[tuple[int, str, str]]:
    """(line, field, code) for each problem in the fixture."""
    return [(p.line, p.field, p.code) for p in read_plan_file(FIXTURES / name).problems]


def text_of(name: str) -> str:
    """Every problem's message and fix, for checking the words of a message."""
    return " | ".join(f"{p.message} ({p.fix})" for p in read_plan_file(FIXTURES / name).problems)


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
            "list of disaggregations (use a list of: sex, age)",
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


# -- what the validator gets wrong today --------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="crash: ValueError from self.levels.index(parent_level) when the parent's level is "
    "unknown; the children should be read without a level-order check",
)
def test_an_unknown_level_on_an_element_with_children_is_reported_not_a_crash():
    assert problems("unknown-level-with-children.yaml") == [
        (
            "unknown-level",
            "unknown-level-with-children.yaml:19: level: element G1: unknown level 'objective' "
            "(use one of: goal, action)",
        )
    ]


@pytest.mark.xfail(
    strict=True,
    reason="crash: TypeError (unhashable type: 'list') in yamlfile._construct_mapping for a "
    "key written as a YAML list; it should be a yaml-syntax problem on the key's line",
)
def test_a_yaml_list_used_as_a_key_is_reported_not_a_crash():
    assert located("unhashable-key.yaml") == [(28, "yaml", "yaml-syntax")]


@pytest.mark.xfail(
    strict=True,
    reason="wrong line: the item that is not a mapping is reported on the 'children:' line, "
    "and as field 'elements' although it is in children",
)
def test_a_list_item_that_is_not_a_mapping_is_reported_on_its_own_line():
    assert located("not-a-mapping.yaml") == [(24, "children", "not-a-mapping")]
    assert "'G1-A0'" in text_of("not-a-mapping.yaml")


@pytest.mark.xfail(
    strict=True,
    reason="wrong English and a fix that cannot work: 'under a action', and no level can come "
    "after the last one, so 'fix its level' does not help",
)
def test_a_child_under_an_element_of_the_last_level_is_reported_on_the_childs_code_line():
    assert located("child-under-leaf.yaml") == [(31, "children", "child-under-leaf")]
    message = text_of("child-under-leaf.yaml")
    assert "element G1-A1-X is under an action, the last level" in message
    assert "fix its level" not in message


@pytest.mark.xfail(
    strict=True,
    reason="cascade: with no levels every element also gets 'unknown level' with an empty "
    "'use one of: ' list; the one missing-levels problem is the defect",
)
def test_a_plan_without_levels_is_reported_once():
    assert problems("missing-levels.yaml") == [
        (
            "missing-levels",
            "missing-levels.yaml:1: levels: the plan names no levels "
            "(list its levels top-down, e.g. - {key: goal, name: Goal})",
        )
    ]


@pytest.mark.xfail(
    strict=True,
    reason="silently changes the code: an unquoted 1.10 is read as the float 1.1 and accepted "
    "as code '1.1'; a code must be written as a string",
)
def test_a_code_written_as_a_number_is_reported_not_silently_changed():
    assert located("number-like-code.yaml") == [(31, "code", "not-text")]
    assert "quoted string" in text_of("number-like-code.yaml")


@pytest.mark.xfail(
    strict=True,
    reason="misleading: a missing required direction (or type) is reported as "
    '"None is not a direction" rather than as missing',
)
def test_a_metric_without_a_direction_is_reported_as_missing():
    assert located("missing-direction.yaml") == [(31, "direction", "missing-direction")]
    message = text_of("missing-direction.yaml")
    assert "missing" in message and "None" not in message


@pytest.mark.xfail(
    strict=True,
    reason="missed: a target or baseline without 'period' is accepted; the format requires "
    "period (null where the document gives none)",
)
def test_a_target_without_a_period_is_reported():
    assert located("missing-target-period.yaml") == [(36, "period", "missing-period")]


@pytest.mark.xfail(
    strict=True,
    reason="missed: source.date is not checked; the format requires YYYY, YYYY-MM or YYYY-MM-DD",
)
def test_a_source_date_not_written_as_year_month_day_is_reported():
    assert located("bad-source-date.yaml") == [(9, "date", "bad-date")]
    assert "'October 2024'" in text_of("bad-source-date.yaml")


@pytest.mark.xfail(
    strict=True,
    reason="missed: an end date before the start date is accepted",
)
def test_a_period_that_ends_before_it_starts_is_reported():
    assert [(line, field) for line, field, _ in located("period-end-before-start.yaml")] == [
        (12, "end")
    ]


@pytest.mark.xfail(
    strict=True,
    reason="missed: a section without source is accepted (and its source is never checked); "
    "the format requires source.section for sections and obligations too",
)
def test_a_section_without_a_source_is_reported():
    assert located("section-missing-source.yaml") == [(18, "source", "missing-source")]


@pytest.mark.xfail(
    strict=True,
    reason="wrong line: a control character (here a form feed pasted from a PDF) is reported "
    "on line 0 with a character position and no fix",
)
def test_a_control_character_is_reported_on_its_line():
    assert located("control-character.yaml") == [(32, "yaml", "yaml-syntax")]
    assert read_plan_file(FIXTURES / "control-character.yaml").problems[0].fix


@pytest.mark.xfail(
    strict=True,
    reason="misleading: an empty file is reported as 'expected a mapping of fields, found "
    "None (check the indentation...)'",
)
def test_an_empty_file_is_reported_as_empty():
    assert [(line, field) for line, field, _ in located("empty-file.yaml")] == [(1, "file")]
    message = text_of("empty-file.yaml")
    assert "empty" in message and "None" not in message
