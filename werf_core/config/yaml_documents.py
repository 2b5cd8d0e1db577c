"""Rendered werf.yaml → YAML documents → plain Python data that remembers where every value came from.

werf splits the rendered config on separator lines itself (a line that is `---`, optionally followed by blanks or a
`# comment`) and parses each document on its own, so one bad document is reported with its own line numbers. A
`---` inside a line, `----`, or `--- foo` is not a separator, exactly as in werf.

Values are built from PyYAML's node tree rather than `yaml.safe_load` because the loader needs more than values:
- the rendered line span of every key and list item (`spans`), to point errors at the right line;
- duplicate keys are an error (Go's strict unmarshalling refuses them; PyYAML would silently keep the last);
- a number written where werf expects a string keeps its written text (`GO_VERSION: 1.10` is "1.10", not "1.1"),
  as Go's yaml.v2 does; see `YamlInt`/`YamlFloat` and `plain()`;
- alias bombs and self-referencing anchors end in a `ConfigError` instead of exhausting memory or recursing forever.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # libyaml makes composing a 2,000-line config several times faster; the pure-Python loader works the same way
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

# A document that expands to more values than this is an alias bomb, not a real werf.yaml section (an image section
# of the 2,000-line benchmark config has about 70 values; the limit is per document).
MAX_NODES = 100_000

Path = tuple[str | int, ...]  # a location inside a document: mapping keys (str) and list indices (int)

MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlInt(int):
    """An integer whose written form differs from `str(int)` (`0755`, `0x1f`, `1_000`); `text` is what was written."""

    text: str

    def __new__(cls, value: int, text: str) -> YamlInt:
        obj = super().__new__(cls, value)
        obj.text = text
        return obj


class YamlFloat(float):
    """A float whose written form differs from `str(float)` (`1.10`, `1e3`); `text` is what was written."""

    text: str

    def __new__(cls, value: float, text: str) -> YamlFloat:
        obj = super().__new__(cls, value)
        obj.text = text
        return obj


def scalar_text(value: Any) -> str | None:
    """How a YAML scalar reads where werf expects a string (Go's yaml.v2 keeps the written text); None: no scalar."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (YamlInt, YamlFloat)):
        return value.text
    if isinstance(value, (int, float)):
        return str(value)
    return None


def plain(value: Any) -> Any:
    """Deep copy with the number subclasses turned back into int/float, for payloads handed on (ansible tasks)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, YamlInt):
        return int(value)
    if isinstance(value, YamlFloat):
        return float(value)
    return value


@dataclass(frozen=True)
class Span:
    """Rendered lines (1-based, inclusive) covered by a key with its value, or by a list item."""

    first: int
    last: int


@dataclass
class YamlDocument:
    """One non-empty document of the rendered config."""

    index: int              # position among the non-empty documents, from 0
    text: str               # the document's rendered text, without separators
    first_line: int         # rendered line (1-based) of the document's first line
    data: Any = None        # plain Python data (dicts keep key order)
    spans: dict[Path, Span] = field(default_factory=dict)

    @property
    def content_line(self) -> int:
        """Rendered line of the document's first key (skipping leading blank and comment lines)."""
        for offset, line in enumerate(self.text.split("\n")):
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                return self.first_line + offset
        return self.first_line

    def span(self, path: Path) -> Span:
        """Span of the deepest part of `path` that exists in the document (the whole document for `()`)."""
        path = tuple(path)
        while path:
            if path in self.spans:
                return self.spans[path]
            path = path[:-1]
        return self.spans.get((), Span(self.content_line, self.content_line))


class YamlLocationError(Exception):
    """Raised while reading YAML; `line` and `last_line` are rendered lines. The loader makes it a ConfigError."""

    def __init__(self, message: str, line: int, last_line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.last_line = last_line or line
        self.hint = hint


def split_documents(rendered: str) -> list[YamlDocument]:
    """Split on werf's separator lines; documents holding only blanks and comments are dropped (as werf does)."""
    lines = rendered.split("\n")
    documents: list[YamlDocument] = []
    chunk: list[str] = []
    chunk_first = 1
    for number, line in enumerate(lines, start=1):
        if _is_separator(line):
            _add_document(documents, chunk, chunk_first)
            chunk, chunk_first = [], number + 1
        else:
            chunk.append(line)
    _add_document(documents, chunk, chunk_first)
    return documents


def _is_separator(line: str) -> bool:
    if not line.startswith("---"):
        return False
    rest = line[3:].rstrip("\r")
    stripped = rest.lstrip(" \t")
    if stripped == "":
        return True
    # `---# x` is a separator in werf's scanner as well as `--- # x`; `--- foo` and `----` are not
    return stripped.startswith("#")


def _add_document(documents: list[YamlDocument], chunk: list[str], first_line: int) -> None:
    if all(not line.strip() or line.lstrip().startswith("#") for line in chunk):
        return
    documents.append(YamlDocument(index=len(documents), text="\n".join(chunk), first_line=first_line))


def load_document(document: YamlDocument) -> YamlDocument:
    """Compose the document's YAML and fill `data` and `spans`; YAML mistakes raise `YamlLocationError`."""
    try:
        node = yaml.compose(document.text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = document.first_line + (mark.line if mark else 0)
        problem = err.problem or "invalid YAML"
        if err.context:
            problem = f"{err.context}, {problem}"
        lines = document.text.split("\n")
        text = lines[mark.line] if mark and mark.line < len(lines) else ""
        raise YamlLocationError(f"YAML syntax error: {problem}", line, hint=_yaml_hint(problem, text)) from None
    except yaml.YAMLError as err:
        raise YamlLocationError(f"YAML error: {err}", document.first_line) from None
    builder = _DataBuilder(document.first_line)
    document.data = builder.build(node, ()) if node is not None else None
    document.spans = builder.spans
    last = document.first_line + len(document.text.rstrip("\n").split("\n")) - 1
    document.spans[()] = Span(document.content_line, max(document.content_line, last))
    return document


def _yaml_hint(problem: str, line: str) -> str | None:
    if "\t" in line[:len(line) - len(line.lstrip())] or "tab" in problem:
        return "YAML indentation must use spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted, or a key is indented wrongly"
    if "could not find expected ':'" in problem or "found character that cannot start any token" in problem:
        return "check indentation and quoting on this line; values containing '{', '}', '*', '&' or ': ' need quotes"
    return None


def _last_line(node: yaml.Node) -> int:
    """Document line (from 0) of the last character of a node's value, ignoring blank lines that follow it."""
    seen: set[int] = set()  # a recursive alias would otherwise lead here forever
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.value and not node.flow_style \
            and id(node) not in seen:
        seen.add(id(node))
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    end = node.end_mark
    # an end mark at the start of a line (block scalars keep their newline) belongs to the line before
    if end.column == 0 and end.line > node.start_mark.line:
        return end.line - 1
    return end.line


class _DataBuilder:
    """Walks a composed node tree into plain data, recording spans; guards against alias bombs and recursion."""

    def __init__(self, first_line: int) -> None:
        self.constructor = yaml.constructor.SafeConstructor()  # used only for scalars: tags → Python values
        self.first_line = first_line
        self.spans: dict[Path, Span] = {}
        self.count = 0
        self.active: set[int] = set()

    def _span(self, start: yaml.Node, end: yaml.Node) -> Span:
        first = self.first_line + start.start_mark.line
        return Span(first, max(first, self.first_line + _last_line(end)))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlLocationError(f"YAML document expands to more than {MAX_NODES} values (aliases referring to "
                                    "aliases?)", self.first_line + node.start_mark.line)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.active:
            raise YamlLocationError("a YAML alias refers to the mapping or list that contains it",
                                    self.first_line + node.start_mark.line)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                items = []
                for index, item in enumerate(node.value):
                    self.spans.setdefault(path + (index,), self._span(item, item))
                    items.append(self.build(item, path + (index,)))
                return items
            assert isinstance(node, yaml.MappingNode), "scalars and sequences are handled above"
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                merged.append((key_node, value_node))
                continue
            key = self._key(key_node)
            if key in result:
                raise YamlLocationError(f'duplicate key "{key}"', self.first_line + key_node.start_mark.line,
                                        hint="each key may appear only once in a mapping; remove or rename one")
            self.spans[path + (key,)] = self._span(key_node, value_node)
            result[key] = self.build(value_node, path + (key,))
        # `<<: *anchor` fills in keys that the mapping does not set itself (YAML merge key, supported by Go's yaml.v2)
        for merge_key, merge_node in merged:
            sources = merge_node.value if isinstance(merge_node, yaml.SequenceNode) else [merge_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise YamlLocationError("a YAML merge key (<<) must refer to a mapping or a list of mappings",
                                            self.first_line + merge_key.start_mark.line)
                explicit_spans = dict(self.spans)
                for key, value in self.build(source, path).items():
                    result.setdefault(key, value)
                self.spans.update(explicit_spans)  # keys set in the mapping itself keep their own lines
        return result

    def _key(self, key_node: yaml.Node) -> str:
        if not isinstance(key_node, yaml.ScalarNode):
            raise YamlLocationError("mapping keys must be plain words, not lists or mappings",
                                    self.first_line + key_node.start_mark.line)
        return str(key_node.value)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as err:
            raise YamlLocationError(f"invalid YAML value: {err.problem}",
                                    self.first_line + node.start_mark.line) from None
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, int):
            return value if str(value) == node.value else YamlInt(value, node.value)
        if isinstance(value, float):
            return value if repr(value) == node.value else YamlFloat(value, node.value)
        if isinstance(value, (datetime.date, datetime.datetime)):
            return node.value  # werf reads dates as the text written
        if isinstance(value, bytes):
            raise YamlLocationError("binary (!!binary) values are not supported in werf.yaml",
                                    self.first_line + node.start_mark.line)
        return value
