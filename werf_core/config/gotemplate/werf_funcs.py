"""werf's own template functions on top of Sprig: include, tpl, required, fromYaml/toYaml (Helm-style), the
`*_debug` helpers of werf 2.x, and env/expandenv bound to the environment given to the render.

`env NAME [DEFAULT]` is werf 1.2's: the default is used when NAME is unset or empty. Every lookup of a variable that
is unset (or empty, with no default) is recorded as an `UnsetEnvRead`, so the loader can name the variable when the
rendered config turns out to be invalid where the value was needed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werf_core.config.gotemplate import bounds, goyaml
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.executor import Output, State
from werf_core.config.gotemplate.funcs import GoFunc, gofunc
from werf_core.config.gotemplate.gofmt import sprint
from werf_core.config.gotemplate.gostrconv import quote
from werf_core.config.gotemplate.values import MISSING

MAX_RECORDED_ENV_READS = 100


@dataclass(frozen=True)
class UnsetEnvRead:
    """A template read an environment variable that is unset or empty (and gave no default)."""

    name: str
    function: str              # "env" or "expandenv"
    path: str | None           # template source (werf.yaml, .werf/x.tmpl) where the call is written
    line: int | None

    def where(self) -> str:
        if self.path and self.line:
            return f"{self.path}:{self.line}"
        return self.path or "the config"


class EnvLookup:
    """`env` and `expandenv` over one environment mapping, recording lookups that found nothing."""

    def __init__(self, environ: Mapping[str, str], unset: list[UnsetEnvRead] | None) -> None:
        self.environ = environ
        self.unset = unset

    def _record(self, state: State, name: str, function: str) -> None:
        if self.unset is None or len(self.unset) >= MAX_RECORDED_ENV_READS:
            return
        path = line = None
        if state.node is not None:
            line, _ = state.tree.location(state.node.pos)
            path = state.tset.source_path(state.tree.parse_name)
        read = UnsetEnvRead(name, function, path, line)
        if read not in self.unset:
            self.unset.append(read)

    def env(self, state: State, name: Any, *fallback: str) -> str:
        if len(fallback) > 1:
            raise GoError("more than 1 optional argument prohibited")
        variable = sprint(name)
        value = self.environ.get(variable)
        if not value:
            if fallback:
                return fallback[0]
            self._record(state, variable, "env")
            return ""
        return value

    def expandenv(self, state: State, text: str) -> str:
        from werf_core.config.gotemplate.sprig import paths

        def lookup(variable: str) -> str:
            value = self.environ.get(variable, "")
            if not value:
                self._record(state, variable, "expandenv")
            return value
        return paths.expand(text, lookup)


def _check_depth(state: State, what: str) -> None:
    ctx = state.ctx
    if ctx.depth >= ctx.max_depth:
        raise GoError(f"exceeded maximum template depth ({ctx.max_depth}): {what} calls itself too deeply")


def _include(state: State, name: str, data: Any) -> str:
    _check_depth(state, f"template {quote(name)}")
    state.count_work(bounds.TEMPLATE_CALL_COST)
    out = Output()
    state.ctx.depth += 1
    try:
        state.tset.execute_into(name, data, out, state.ctx)
    finally:
        state.ctx.depth -= 1
    return "".join(out)


def _tpl(state: State, text: str, data: Any) -> str:
    # Like werf, the text becomes a template of the set (so its defines are visible to later includes), under a
    # name derived from its content.
    # parsing costs about one unit per character, and the parsed text stays in the set for the rest of the render
    state.count_work(len(text))
    name = "tpl-" + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    state.tset.parse(name, text)
    return _include(state, name, data)


def _required(message: str, value: Any) -> Any:
    if value is None or value is MISSING or value == "":
        raise GoError(message)
    return value


def _debug_output(*_args: Any) -> str:
    # werf prints these only with --debug-templates; the rendered config never contains their output
    return ""


def werf_functions(env: Mapping[str, str] | None = None,
                   unset_env: list[UnsetEnvRead] | None = None) -> dict[str, GoFunc]:
    """Sprig's functions plus werf's, with env/expandenv reading `env` (os.environ when None); lookups of unset
    variables are appended to `unset_env` when it is given."""
    from werf_core.config.gotemplate.sprig import sprig_functions

    lookup = EnvLookup(os.environ if env is None else env, unset_env)
    funcs = sprig_functions(env)
    funcs.update({
        "env": gofunc("any", variadic="string", needs_state=True, name="env")(lookup.env),
        "expandenv": gofunc("string", needs_state=True, name="expandenv")(lookup.expandenv),
        "tpl_debug": gofunc("string", "any", name="tpl_debug")(_debug_output),
        "include_debug": gofunc("string", "any", name="include_debug")(_debug_output),
        "printf_debug": gofunc("string", variadic="any", name="printf_debug")(_debug_output),
        "include": gofunc("string", "any", needs_state=True, name="include")(_include),
        "tpl": gofunc("string", "any", needs_state=True, name="tpl")(_tpl),
        "required": gofunc("string", "any", name="required")(_required),
        "fromYaml": gofunc("string", name="fromYaml")(goyaml.from_yaml),
        "fromYamlArray": gofunc("string", name="fromYamlArray")(goyaml.from_yaml_array),
        "toYaml": gofunc("any", name="toYaml")(_to_yaml),
    })
    return funcs


def _to_yaml(value: Any) -> str:
    try:
        return goyaml.to_yaml(value)
    except Exception:  # Helm's toYaml swallows marshalling errors and prints nothing
        return ""
