"""Reading YAML data files so that every problem can be reported as ``file:line: field: message``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A mapping that remembers the line of itself and of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A list that remembers the line of itself and of each of its items (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            found = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"keys must be plain words, found a {found} used as a key",
                key_node.start_mark,
                "write the field name alone, without [ ] or { } around it",
            )
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# Dates stay as text: plan files hold dates "as written" and we parse them where needed.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data file, with where it is and how to fix it."""

    file: str
    line: int
    field: str
    message: str
    fix: str = ""
    code: str = "invalid"

    def __str__(self) -> str:
        fix = f" ({self.fix})" if self.fix else ""
        return f"{self.file}:{self.line}: {self.field}: {self.message}{fix}"


class YamlFileError(Exception):
    """The file is not YAML at all; carries the one problem found."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def load_yaml(path: Path) -> Any:
    """Parse ``path`` with line numbers; a syntax error becomes a ``YamlFileError``."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlFileError(
            Problem(name, 0, "file", f"cannot read: {error}", "save as UTF-8 text")
        ) from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.reader.ReaderError as error:
        # Raised before parsing, with a position in the text rather than a line.
        line = text.count("\n", 0, error.position) + 1
        problem = Problem(
            name,
            line,
            "yaml",
            f"special character #x{error.character:04x} is not allowed in a YAML file",
            "remove the special character (often pasted from a PDF)",
            code="yaml-syntax",
        )
        raise YamlFileError(problem) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        problem = Problem(
            name,
            line,
            "yaml",
            f"{error.problem or error}",
            error.note or "check the indentation and quoting on this line and the one before it",
            code="yaml-syntax",
        )
        raise YamlFileError(problem) from None
    except yaml.YAMLError as error:
        raise YamlFileError(Problem(name, 0, "yaml", str(error), code="yaml-syntax")) from None
    except RecursionError:  # PyYAML builds nested collections recursively
        problem = Problem(
            name,
            0,
            "yaml",
            "lists or mappings are nested too deeply",
            "flatten the nesting",
            code="yaml-syntax",
        )
        raise YamlFileError(problem) from None
