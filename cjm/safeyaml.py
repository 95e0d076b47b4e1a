"""The one YAML loader for everything users give cjm: front matter, codebooks and what they extend.

PyYAML's SafeLoader refuses `!!python` tags but not the rest of what a hostile or broken file
can do: nine nested levels of `&a [*a, *a, ...]` expand to billions of values (5.7 GB before
MemoryError), `a: &a [*a]` is a list that contains itself (RecursionError wherever it is walked),
`[[[[...` nests past Python's stack, and `.nan` / `.inf` / `1e999` become floats that strict JSON
cannot hold. This loader refuses the first three with a message and a line, before anything is
built from the document, and keeps non-finite numbers as the text they were written as.
"""

from __future__ import annotations

import math
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.scanner import ScannerError

from .limits import DEFAULTS, Limits, current_limits, env_name

# Tags whose values JSON cannot hold (sets, bytes, ordered pairs): refused, as unknown tags are.
REFUSED_TAGS = ("tag:yaml.org,2002:set", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:omap",
                "tag:yaml.org,2002:pairs")


class YamlError(Exception):
    """A YAML document cjm will not read: what is wrong, and the 1-based line (of the text given)."""

    def __init__(self, message: str, line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint


class LimitedLoader(yaml.SafeLoader):
    """A SafeLoader with bounded nesting, no recursive aliases, bounded alias expansion, and
    finite numbers only."""

    limits: Limits = DEFAULTS

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._open_anchors: set[str] = set()

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        # Checked in the scanner too: it looks up to 1,024 characters ahead at every '[' or '{',
        # so 1,000 of them cost seconds before the composer sees the first.
        if self.flow_level >= self.limits.max_yaml_depth:
            raise ScannerError(None, None, f"values nested more than {self.limits.max_yaml_depth} levels deep",
                               self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: Any, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            if event.anchor in self._open_anchors:
                raise ComposerError(None, None, f"the alias *{event.anchor} is part of the value it names "
                                    "(a value that contains itself)", event.start_mark)
            return super().compose_node(parent, index)
        event = self.peek_event()
        if self._depth >= self.limits.max_yaml_depth:
            raise ComposerError(None, None, f"values nested more than {self.limits.max_yaml_depth} levels deep",
                                event.start_mark)
        anchor = getattr(event, "anchor", None)
        self._depth += 1
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open_anchors.discard(anchor)

    def compose_document(self) -> yaml.Node:
        node = super().compose_document()
        expanded_size(node, self.limits.max_yaml_values)
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:  # a date like 2024-13-45, an int of 5,000 digits
            raise ConstructorError(None, None, f"a value YAML cannot read: {exc}", node.start_mark) from None

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        value = super().construct_yaml_float(node)
        return value if math.isfinite(value) else str(node.value)  # '.nan', '.inf', '1e999' stay text


LimitedLoader.yaml_constructors = {tag: constructor for tag, constructor in yaml.SafeLoader.yaml_constructors.items()
                                   if tag not in REFUSED_TAGS}
LimitedLoader.add_constructor("tag:yaml.org,2002:float", LimitedLoader.construct_yaml_float)


def expanded_size(node: yaml.Node, ceiling: int) -> int:
    """How many values the document holds once every alias is expanded; past `ceiling`, an error.

    Counted on the composed node graph with one memo per node, so a bomb is measured in
    microseconds, not expanded."""
    memo: dict[int, int] = {}

    def size(current: yaml.Node) -> int:
        key = id(current)
        if key in memo:
            return memo[key]
        total = 1
        if isinstance(current, yaml.SequenceNode):
            for child in current.value:
                total += size(child)
                if total > ceiling:
                    break
        elif isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                total += size(key_node) + size(value_node)
                if total > ceiling:
                    break
        memo[key] = total
        if total > ceiling:
            raise ComposerError(None, None, f"the aliases expand to more than {ceiling:,} values (an alias bomb?)",
                                current.start_mark)
        return total

    return size(node)


def load_shipped(name: str) -> Any:
    """One of cjm's OWN data files (`cjm/data/NAME`), through libyaml's C loader where PyYAML has it
    (about ten times faster). Never for a user's file: those go through the bounded `load_yaml`."""
    from importlib import resources

    text = (resources.files("cjm") / "data" / name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_yaml(text: str, *, loader: type[LimitedLoader] = LimitedLoader, limits: Limits | None = None) -> Any:
    """Parse one YAML document within the limits; any problem is a `YamlError` with its line."""
    limits = limits or current_limits()
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limits.max_yaml_bytes:
        raise YamlError(f"the YAML is {size // 1024:,} KB, more than the limit of {limits.max_yaml_kb:,} KB",
                        line=1, hint=f"shorten it, or raise the limit with {env_name('max_yaml_kb')}")
    bound = type(loader.__name__, (loader,), {"limits": limits})
    instance = None
    try:
        instance = bound(text)  # the reader refuses control characters here already
        return instance.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        if isinstance(exc, yaml.reader.ReaderError):  # a control character: its line from its position
            problem, line = f"a control character (#x{exc.character:04x}) YAML does not allow", \
                text[:exc.position].count("\n") + 1
        raise YamlError(str(problem), line=line) from None
    except RecursionError:  # not expected within the depth limit; kept so no traceback can escape
        raise YamlError("values nested too deeply", line=None) from None
    finally:
        if instance is not None:
            instance.dispose()
