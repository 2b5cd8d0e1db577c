"""Sprig's defaults (`default`, `empty`, `coalesce`, `ternary`...) and JSON functions."""

from __future__ import annotations

from typing import Any

from werf_core.config.gotemplate import gojson
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.values import is_empty


def _default(d: Any, *given: Any) -> Any:
    if not given or is_empty(given[0]):
        return d
    return given[0]


def _coalesce(*values: Any) -> Any:
    for v in values:
        if not is_empty(v):
            return v
    return None


def _to_json(v: Any) -> str:
    try:
        return gojson.marshal(v)
    except gojson.JSONError:
        return ""


def _must_to_json(v: Any) -> str:
    try:
        return gojson.marshal(v)
    except gojson.JSONError as err:
        raise GoError(str(err)) from None


def _to_pretty_json(v: Any) -> str:
    try:
        return gojson.marshal(v, indent="  ")
    except gojson.JSONError:
        return ""


def _must_to_pretty_json(v: Any) -> str:
    try:
        return gojson.marshal(v, indent="  ")
    except gojson.JSONError as err:
        raise GoError(str(err)) from None


def _must_to_raw_json(v: Any) -> str:
    try:
        return gojson.marshal(v, escape_html=False)
    except gojson.JSONError as err:
        raise GoError(str(err)) from None


def _from_json(text: str) -> Any:
    try:
        return gojson.unmarshal(text)
    except gojson.JSONError:
        return None


def _must_from_json(text: str) -> Any:
    try:
        return gojson.unmarshal(text)
    except gojson.JSONError as err:
        raise GoError(str(err)) from None


FUNCS = {
    "default": gofunc("any", variadic="any")(_default),
    "empty": gofunc("any")(is_empty),
    "coalesce": gofunc(variadic="any")(_coalesce),
    "all": gofunc(variadic="any")(lambda *v: all(not is_empty(x) for x in v)),
    "any": gofunc(variadic="any")(lambda *v: any(not is_empty(x) for x in v)),
    "ternary": gofunc("any", "any", "bool")(lambda vt, vf, cond: vt if cond else vf),
    "fromJson": gofunc("string")(_from_json),
    "mustFromJson": gofunc("string")(_must_from_json),
    "toJson": gofunc("any")(_to_json),
    "mustToJson": gofunc("any")(_must_to_json),
    "toPrettyJson": gofunc("any")(_to_pretty_json),
    "mustToPrettyJson": gofunc("any")(_must_to_pretty_json),
    "toRawJson": gofunc("any")(_must_to_raw_json),
    "mustToRawJson": gofunc("any")(_must_to_raw_json),
}
