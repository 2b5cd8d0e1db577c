"""Sprig's reflection functions (typeOf, kindOf, deepEqual...) and Go's reflect.DeepEqual / deep copy."""

from __future__ import annotations

import math
from typing import Any

from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.values import MISSING, go_kind_of, go_type_of


def deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual: same Go type and deeply equal contents (NaN is never equal)."""
    if a is MISSING:
        a = None
    if b is MISSING:
        b = None
    if a is None or b is None:
        return a is None and b is None
    if go_type_of(a) != go_type_of(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(k in b and deep_equal(v, b[k]) for k, v in a.items())
    if type(a) is float and (math.isnan(a) or math.isnan(b)):
        return False
    return bool(a == b)


def deep_copy(v: Any) -> Any:
    if isinstance(v, list):
        return type(v)(deep_copy(e) for e in v)
    if isinstance(v, dict):
        return type(v)((k, deep_copy(e)) for k, e in v.items())
    return v


def type_of(v: Any) -> str:
    return go_type_of(None if v is MISSING else v)


def kind_of(v: Any) -> str:
    return go_kind_of(None if v is MISSING else v)


FUNCS = {
    "typeOf": gofunc("any")(type_of),
    "typeIs": gofunc("string", "any")(lambda target, v: target == type_of(v)),
    "typeIsLike": gofunc("string", "any")(lambda target, v: type_of(v) in (target, "*" + target)),
    "kindOf": gofunc("any")(kind_of),
    "kindIs": gofunc("string", "any")(lambda target, v: target == kind_of(v)),
    "deepEqual": gofunc("any", "any")(deep_equal),
    "deepCopy": gofunc("any")(deep_copy),
    "mustDeepCopy": gofunc("any")(deep_copy),
}

