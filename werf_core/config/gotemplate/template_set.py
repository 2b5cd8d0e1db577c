"""A set of named templates sharing one function map, like Go's *template.Template with its associated templates.

Parsed trees are cached by (name, text, function names), so rendering the same werf.yaml again skips parsing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from werf_core.config.gotemplate import gostrconv
from werf_core.config.gotemplate.errors import TemplateError
from werf_core.config.gotemplate.executor import ExecContext, Output, State
from werf_core.config.gotemplate.funcs import BUILTINS, GoFunc, as_gofunc
from werf_core.config.gotemplate.nodes import is_empty_tree
from werf_core.config.gotemplate.parser import ParseError, Tree, parse_templates
from werf_core.config.gotemplate.values import MISSING

# Go allows 100000 nested template calls; Python's stack allows far fewer, so we stop at a depth no sane
# werf.yaml reaches and say why.
MAX_TEMPLATE_DEPTH = 60

_CACHE_SIZE = 256
# `tpl` on big generated texts must not pin hundreds of them in memory after the render; real templates are small
_MAX_CACHED_TEXT_CHARS = 256 * 1024
_parse_cache: OrderedDict[tuple, dict[str, Tree]] = OrderedDict()
_cache_lock = threading.Lock()


def _cached_parse(name: str, text: str, funcs_key: frozenset, has_function: Callable[[str], bool]) -> dict:
    key = (name, text, funcs_key)
    with _cache_lock:
        trees = _parse_cache.get(key)
        if trees is not None:
            _parse_cache.move_to_end(key)
            return trees
    trees = parse_templates(name, text, has_function)
    if len(text) > _MAX_CACHED_TEXT_CHARS:
        return trees
    with _cache_lock:
        _parse_cache[key] = trees
        if len(_parse_cache) > _CACHE_SIZE:
            _parse_cache.popitem(last=False)
    return trees


class TemplateSet:
    """Parse several named templates, execute one. Functions: Go's builtins plus `funcs` (which win on clash)."""

    def __init__(self, funcs: Mapping[str, Callable | GoFunc] | None = None):
        self._funcs: dict[str, GoFunc] = {}
        self._trees: dict[str, Tree] = {}
        self._sources: dict[str, str] = {}
        self._root_name: str | None = None
        self.max_depth = MAX_TEMPLATE_DEPTH
        self._funcs_key: frozenset = frozenset()
        if funcs:
            self.add_funcs(funcs)

    # ------------------------------------------------------------ functions

    def add_funcs(self, funcs: Mapping[str, Callable | GoFunc]) -> None:
        for name, fn in funcs.items():
            if not name or not (name[0].isalpha() or name[0] == "_") or \
                    not all(c == "_" or c.isalnum() for c in name):
                raise ValueError(f"function name {name!r} is not a valid identifier")
            self._funcs[name] = as_gofunc(name, fn)
        self._funcs_key = frozenset(self._funcs)

    def has_function(self, name: str) -> bool:
        return name in self._funcs or name in BUILTINS

    def lookup_func(self, name: str) -> tuple[GoFunc | None, bool]:
        fn = self._funcs.get(name)
        if fn is not None:
            return fn, False
        fn = BUILTINS.get(name)
        return fn, fn is not None

    # ------------------------------------------------------------ templates

    def parse(self, name: str, text: str, source_path: str | None = None) -> None:
        """Parse `text` as template `name` (and the templates it defines). Raises TemplateError."""
        if self._root_name is None:
            self._root_name = name
        if source_path is not None:
            self._sources[name] = source_path
        try:
            trees = _cached_parse(name, text, self._funcs_key, self.has_function)
        except ParseError as err:
            raise TemplateError(err.message, template=name, path=self.source_path(name), line=err.line,
                                snippet=_line_of(text, err.line)) from None
        for tree_name, tree in trees.items():
            self._associate(tree_name, tree)

    def _associate(self, name: str, tree: Tree) -> None:
        old = self._trees.get(name)
        if old is not None and is_empty_tree(tree.root):
            return  # an empty redefinition never replaces a real template
        self._trees[name] = tree

    def lookup_tree(self, name: str) -> Tree | None:
        return self._trees.get(name)

    def names(self) -> list[str]:
        return sorted(self._trees)

    def source_path(self, parse_name: str) -> str:
        return self._sources.get(parse_name, parse_name)

    # ------------------------------------------------------------ execution

    def execute(self, name: str, data: Any) -> str:
        """Execute template `name` with `data` as dot; returns the output. Raises TemplateError."""
        out = Output()
        self.execute_into(name, data, out, ExecContext(self.max_depth))
        return "".join(out)

    def execute_into(self, name: str, data: Any, out: list[str], ctx: ExecContext) -> None:
        """Execute template `name`, appending its text to `out` (an `Output` keeps count of its size)."""
        if not isinstance(out, Output):
            counted = Output()
            self.execute_into(name, data, counted, ctx)
            out.extend(counted)
            return
        tree = self._trees.get(name)
        if tree is None:
            root = self._root_name if self._root_name is not None else name
            raise TemplateError(f"template: no template {gostrconv.quote(name)} associated with template "
                                f"{gostrconv.quote(root)}", template=name)
        dot = MISSING if data is None else data
        state = State(self, tree, name, dot, out, ctx)
        try:
            state.walk(dot, tree.root)
        except RecursionError:
            raise TemplateError(f"template: {name}: templates nested too deeply to execute", template=name,
                                path=self.source_path(tree.parse_name)) from None


def _line_of(text: str, line: int | None) -> str | None:
    if not line:
        return None
    lines = text.split("\n", line)
    return lines[line - 1] if len(lines) >= line else None
