"""A bounded, strict YAML loader for the files users share (scenarios, claims).

PyYAML's ``SafeLoader`` builds only plain data (no Python objects), but it accepts duplicate
keys (the last silently wins), nests as deep as the interpreter's recursion allows, and lets
aliases expand a few hundred bytes into billions of nodes ("billion laughs"). This loader
subclasses it and refuses, with one line naming the file, the line and the column:

* a duplicate key in a mapping;
* nesting deeper than :data:`~standoff.limits.YAML_MAX_DEPTH` levels (checked while the
  document is composed, before any recursion error);
* more than :data:`~standoff.limits.YAML_MAX_NODES` nodes once aliases are expanded
  (counted on the composed graph, before anything is constructed);
* strings that are not valid Unicode (lone surrogates from ``"\\ud800"`` escapes);
* integers longer than :data:`~standoff.limits.MAX_INT_DIGITS` digits (Python refuses to
  convert them).

Files larger than :data:`~standoff.limits.YAML_MAX_BYTES` are refused before they are read.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from standoff.limits import (
    MAX_INT_DIGITS,
    YAML_MAX_BYTES,
    YAML_MAX_DEPTH,
    YAML_MAX_NODES,
    clip,
    one_line,
    read_text_bounded,
)

__all__ = ["BoundedSafeLoader", "load_yaml_file", "load_yaml_text"]


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, mark=None):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class BoundedSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with duplicate keys, depth and alias expansion refused."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > YAML_MAX_DEPTH:
                raise _Refused(
                    f"nesting deeper than {YAML_MAX_DEPTH} levels", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if isinstance(key_node, ScalarNode):
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        raise _Refused(
                            f"duplicate key {clip(key_node.value)} (first on line {seen[key] + 1})",
                            key_node.start_mark,
                        )
                    seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_str(self, node):
        value = super().construct_yaml_str(node)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refused(
                "expected valid Unicode text (a lone surrogate escape)", node.start_mark
            ) from None
        return value

    def construct_yaml_int(self, node):
        digits = sum(ch.isalnum() for ch in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise _Refused(
                f"an integer of {digits} digits (at most {MAX_INT_DIGITS})", node.start_mark
            )
        return super().construct_yaml_int(node)


BoundedSafeLoader.add_constructor("tag:yaml.org,2002:str", BoundedSafeLoader.construct_yaml_str)
BoundedSafeLoader.add_constructor("tag:yaml.org,2002:int", BoundedSafeLoader.construct_yaml_int)


def _count_nodes(root: Node) -> None:
    """Nodes of the document with aliases expanded; refuse above the limit (memoised)."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if not done:
            if id(node) in visiting:  # reached from its own descendants
                raise _Refused("a recursive alias (a value that contains itself)", node.start_mark)
            visiting.add(id(node))
        if isinstance(node, ScalarNode):
            sizes[id(node)] = 1
            continue
        children = (
            [c for kv in node.value for c in kv]
            if isinstance(node, MappingNode)
            else list(node.value)
            if isinstance(node, SequenceNode)
            else []
        )
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 1) for c in children)
        if total > YAML_MAX_NODES:
            raise _Refused(
                f"more than {YAML_MAX_NODES} values once aliases are expanded", node.start_mark
            )
        sizes[id(node)] = total


def load_yaml_text(text: str, where: str, *, error) -> object:
    """Parse ``text`` (named ``where`` in messages); raise ``error`` with one line."""
    if len(text) > YAML_MAX_BYTES:
        raise error(f"{where}: a YAML file may be at most {YAML_MAX_BYTES >> 20} MiB")
    loader = None
    try:
        loader = BoundedSafeLoader(text)  # the reader checks the characters here already
        node = loader.get_single_node()
        if node is None:
            return None
        _count_nodes(node)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise error(one_line(f"{where}: {at}expected valid YAML ({problem})")) from None
    except RecursionError:  # pragma: no cover - the depth bound comes first
        raise error(f"{where}: expected valid YAML (nesting too deep)") from None
    finally:
        if loader is not None:
            loader.dispose()


def load_yaml_file(path: str | Path, *, error, what: str = "YAML") -> object:
    """Read (bounded, regular files only) and parse a YAML file."""
    text = read_text_bounded(path, YAML_MAX_BYTES, what, error=error)
    return load_yaml_text(text, one_line(str(path), 200), error=error)
