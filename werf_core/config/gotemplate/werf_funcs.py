"""werf's own template functions on top of Sprig: include, tpl, required, fromYaml/toYaml (Helm-style), and
env/expandenv bound to the environment given to the render."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from werf_core.config.gotemplate import bounds, goyaml
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.executor import Output, State
from werf_core.config.gotemplate.funcs import GoFunc, gofunc
from werf_core.config.gotemplate.gostrconv import quote
from werf_core.config.gotemplate.values import MISSING


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


def werf_functions(env: Mapping[str, str] | None = None) -> dict[str, GoFunc]:
    """Sprig's functions plus werf's, with env/expandenv reading `env` (os.environ when None)."""
    from werf_core.config.gotemplate.sprig import sprig_functions

    funcs = sprig_functions(env)
    funcs.update({
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
