"""Sprig's text functions (Masterminds/sprig), as werf v1.1 offers them in werf.yaml.

`sprig_functions(env)` returns name -> GoFunc for every function; `env`/`expandenv` read the given mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import GoFunc, gofunc


def _fail(message: str) -> str:
    raise GoError(message)


def sprig_functions(env: Mapping[str, str] | None = None) -> dict[str, GoFunc]:
    from werf_core.config.gotemplate.sprig import (
        crypto,
        dates,
        defaults,
        dicts,
        encoding,
        lists,
        numeric,
        paths,
        reflection,
        regex,
        semver,
        strings,
    )

    environ = os.environ if env is None else env
    funcs: dict[str, GoFunc] = {}
    for module in (strings, numeric, lists, dicts, defaults, reflection, encoding, paths, regex, semver, dates,
                   crypto):
        funcs.update(module.FUNCS)
    funcs["env"] = gofunc("string")(lambda name: environ.get(name, ""))
    funcs["expandenv"] = gofunc("string")(lambda s: paths.expand(s, lambda name: environ.get(name, "")))
    funcs["fail"] = gofunc("string")(_fail)
    funcs["hello"] = gofunc()(lambda: "Hello!")
    return funcs
