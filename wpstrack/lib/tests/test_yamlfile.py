"""Plan and unit files: YAML that cannot be a plan is one problem with its fix, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from wpstrack.lib.yamlfile import YamlFileError, load_yaml


def test_yaml_nested_too_deeply_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("elements: " + "[" * 5000, encoding="utf-8")
    with pytest.raises(YamlFileError) as refused:
        load_yaml(path)
    assert "nested too deeply" in str(refused.value.problem)
