"""Read YAML while remembering where every value came from.

Content problems must be reported as ``file:line``, so that a member of municipal staff
can open the file and fix the line. PyYAML's ``safe_load`` throws line numbers away and
silently keeps the last of two duplicate keys; this module composes the node tree once,
records the line of every mapping value and list item by path, and reports duplicate
keys instead of hiding them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["SourceFile", "YamlSyntaxError", "load_yaml"]

PathKey = tuple[Any, ...]


class YamlSyntaxError(Exception):
    """The file is not valid YAML; ``line`` is 1-based."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass
class SourceFile:
    """A parsed YAML file with the line of every value, addressed by its key path."""

    path: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[PathKey, int]] = field(default_factory=list)

    def line(self, *keys: Any) -> int:
        """The line of the value at ``keys``, or of its nearest ancestor that has one."""
        path: PathKey = tuple(keys)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1


def load_yaml(path: Path) -> SourceFile:
    """Parse ``path``; raise :class:`YamlSyntaxError` with the line of the first error."""
    text = path.read_text(encoding="utf-8")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(path, line, f"malformed YAML: {exc.problem or exc}") from None
    finally:
        loader.dispose()
    source = SourceFile(path=path, data=data)
    if node is not None:
        _walk(node, (), source)
    return source


def _walk(node: yaml.Node, path: PathKey, source: SourceFile) -> None:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                source.duplicate_keys.append((path + (key,), key_node.start_mark.line + 1))
            seen.add(key)
            source.lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), source)
