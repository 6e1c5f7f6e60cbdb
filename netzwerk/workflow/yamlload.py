"""A YAML loader that keeps line numbers and refuses duplicate keys.

``load_with_lines(text)`` returns plain Python values in which every mapping
is a :class:`LineDict` and every list a :class:`LineList`; both know the line
of the node itself and of each key or item (1-based), so the validator can
name the line of each problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


@dataclass(frozen=True)
class YamlProblem:
    line: int
    message: str


class LineDict(dict[Any, Any]):
    line: int = 0
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]

    def line_of(self, key: Any, value: bool = False) -> int:
        table = self.value_lines if value else self.key_lines
        return table.get(key, self.line)


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _Builder:
    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.problems: list[YamlProblem] = []

    def build(self, node: Node) -> Any:
        if isinstance(node, MappingNode):
            return self._mapping(node)
        if isinstance(node, SequenceNode):
            result = LineList()
            result.line = _line(node)
            result.item_lines = []
            for item in node.value:
                result.append(self.build(item))
                result.item_lines.append(_line(item))
            return result
        if isinstance(node, ScalarNode):
            return self.loader.construct_object(node, deep=True)
        return None  # pragma: no cover - no other node kinds exist

    def _mapping(self, node: MappingNode) -> LineDict:
        result = LineDict()
        result.line = _line(node)
        result.key_lines = {}
        result.value_lines = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problems.append(YamlProblem(_line(key_node), "a key must be a plain name"))
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    YamlProblem(_line(key_node), "merge keys (<<) are not allowed")
                )
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if key in result:
                self.problems.append(
                    YamlProblem(
                        _line(key_node),
                        f"duplicate key {key!r} (first defined on line {result.key_lines[key]})",
                    )
                )
                continue
            result[key] = self.build(value_node)
            result.key_lines[key] = _line(key_node)
            result.value_lines[key] = _line(value_node)
        return result


def load_with_lines(text: str) -> tuple[Any, list[YamlProblem]]:
    """Parse one YAML document; return (value, problems).

    A syntax error yields ``(None, [problem])`` with the line of the error.
    """
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # unacceptable characters (reader errors)
        return None, [YamlProblem(_line_of_position(text, exc), f"YAML error: {exc}")]
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = int(mark.line) + 1 if mark is not None else 1
            return None, [YamlProblem(line, f"YAML syntax error: {exc.problem or exc}")]
        except yaml.YAMLError as exc:
            return None, [YamlProblem(_line_of_position(text, exc), f"YAML error: {exc}")]
        if node is None:
            return None, [YamlProblem(1, "the file is empty")]
        builder = _Builder(loader)
        try:
            value = builder.build(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = int(mark.line) + 1 if mark is not None else 1
            return None, [YamlProblem(line, f"YAML error: {exc.problem or exc}")]
        return value, builder.problems
    finally:
        loader.dispose()


def _line_of_position(text: str, exc: Exception) -> int:
    position = getattr(exc, "position", None)
    if isinstance(position, int):
        return text.count("\n", 0, position) + 1
    return 1
