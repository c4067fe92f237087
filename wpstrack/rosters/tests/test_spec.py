"""The mapping parser: every problem code with its path, the round trip, the headers check."""

from __future__ import annotations

from typing import Any

import pytest

from wpstrack.rosters.spec import (
    SpecError,
    check_against_headers,
    parse_age_band,
    parse_spec,
    spec_to_data,
)


def mapping(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "wpstrack_roster_mapping": 1,
        "name": "CBP HR extract",
        "kind": "hr",
        "sheet": "",
        "columns": {
            "person_id": "Employee ID",
            "unit": "Org",
            "sex": "Gender",
            "birth_year": "Year of birth",
            "hire_date": "EOD",
            "separation_date": "Separation",
            "occupation": "Series",
            "leadership": "Supervisory",
        },
        "values": {
            "sex": {"F": "women", "Woman": "women", "M": "men", "X": "other"},
            "unit": {"Customs & Border": "DHS-CBP"},
        },
        "blank": {"sex": "other"},
        "date_formats": ["%Y-%m-%d", "%m/%d/%Y"],
        "filters": [{"field": "occupation", "in": ["1811", "1896"]}],
        "rules": [
            {
                "metric": "1.1-A2-M1",
                "measure": "share_women",
                "where": [{"field": "leadership", "equals": "Y"}],
            }
        ],
    }
    data.update(changes)
    return data


def problems(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as error:
        parse_spec(data)
    return [(p.code, p.path) for p in error.value.problems]


def test_a_full_mapping_parses_and_round_trips() -> None:
    spec = parse_spec(mapping())
    assert spec.kind == "hr" and spec.rules[0].where[0].values == ("Y",)
    assert parse_spec(spec_to_data(spec)) == spec


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"wpstrack_roster_mapping": 2}, ("bad-version", "wpstrack_roster_mapping")),
        ({"colour": "red"}, ("unknown-key", "colour")),
        ({"kind": "payroll"}, ("bad-kind", "kind")),
        ({"name": ""}, ("missing-value", "name")),
        ({"columns": "Org"}, ("bad-type", "columns")),
        ({"values": {"sex": {"Femme": "femme"}}}, ("bad-sex-key", "values.sex.Femme")),
        ({"values": {"age_band": {"young": "youth"}}}, ("bad-age-band", "values.age_band.young")),
        ({"values": {"sex": {"F": "women", " f": "men"}}}, ("duplicate-spelling", "values.sex. f")),
        ({"values": {"hire_date": {"x": "y"}}}, ("not-categorical", "values.hire_date")),
        ({"values": {"country": {"x": "y"}}}, ("unknown-field", "values.country")),
        ({"blank": {"sex": "unknown"}}, ("bad-sex-key", "blank.sex")),
        ({"date_formats": ["YYYY-MM-DD"]}, ("bad-date-format", "date_formats[0]")),
        ({"filters": [{"field": "occupation", "like": "18"}]}, ("bad-filter", "filters[0]")),
        ({"filters": [{"field": "hire_date", "equals": "x"}]}, ("bad-filter", "filters[0].equals")),
        ({"rules": [{"metric": "m", "measure": "median_pay"}]}, ("unknown-measure", "rules[0].measure")),
        ({"rules": [{"metric": "m", "measure": "completions"}]}, ("measure-not-for-kind", "rules[0].measure")),
        ({"rules": [{"measure": "headcount"}]}, ("missing-value", "rules[0].metric")),
        ({"rules": [{"metric": "m", "measure": "headcount", "by": "x"}]}, ("unknown-key", "rules[0].by")),
    ],
)  # fmt: skip
def test_each_mistake_is_reported_with_its_code_and_path(
    change: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert expected in problems(mapping(**change))


def test_a_field_the_kind_lacks_is_unknown() -> None:
    data = mapping(columns={**mapping()["columns"], "country": "Country"})
    assert ("unknown-field", "columns.country") in problems(data)


def test_required_fields_missing_and_two_age_fields_are_reported() -> None:
    found = problems(mapping(columns={"sex": "Gender", "age": "Age", "age_band": "Band"}))
    assert ("missing-field", "columns.unit") in found
    assert ("conflicting-fields", "columns.age_band") in found


def test_one_column_mapped_twice_is_reported() -> None:
    data = mapping(columns={**mapping()["columns"], "grade": " org "})
    assert ("duplicate-column", "columns.grade") in problems(data)


def test_a_snapshot_without_hire_dates_cannot_count_hires() -> None:
    columns = {"unit": "Org", "sex": "Gender"}
    data = mapping(columns=columns, filters=[], rules=[{"metric": "m", "measure": "hires"}])
    assert problems(data) == [("rule-needs-field", "rules[0].measure")]
    ok = mapping(columns=columns, filters=[], rules=[{"metric": "m", "measure": "headcount"}])
    assert parse_spec(ok).rules[0].measure == "headcount"


def test_every_problem_message_says_what_to_write() -> None:
    with pytest.raises(SpecError) as error:
        parse_spec(mapping(kind="payroll"))
    assert "hr, learning, trainees" in error.value.problems[0].message


def test_extra_fields_are_accepted_for_any_kind() -> None:
    data = mapping(columns={**mapping()["columns"], "extra_duty_station": "Station"})
    assert parse_spec(data).columns["extra_duty_station"] == "Station"


def test_a_mapped_column_missing_from_the_file_lists_the_file_headers() -> None:
    spec = parse_spec(mapping())
    found = check_against_headers(spec, [" employee id", "ORG", "Gender", "Year of birth", "EOD",
                                         "Separation", "Series"])  # fmt: skip
    assert [(p.code, p.path) for p in found] == [("missing-column", "columns.leadership")]
    assert '"ORG"' in found[0].message


def test_age_band_keys_are_parsed() -> None:
    assert [(b.low, b.high) for b in map(parse_age_band, ["under-18", "18-24", "50-plus"]) if b] == [
        (0, 17), (18, 24), (50, None),
    ]  # fmt: skip
    assert parse_age_band("unknown").is_unknown and parse_age_band("old") is None  # type: ignore[union-attr]
