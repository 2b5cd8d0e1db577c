"""Sprig's dictionary functions. `merge` follows mergo's rules: a key is filled from a source only when the
destination lacks it or holds an empty value, nested maps merge recursively, and the destination is modified."""

from __future__ import annotations

from typing import Any

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.sprig.common import strval
from werf_core.config.gotemplate.values import MISSING, StringSlice, go_type_of, is_empty


def _dict(*pairs: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for i in range(0, len(pairs), 2):
        key = strval(None if pairs[i] is MISSING else pairs[i])
        result[key] = pairs[i + 1] if i + 1 < len(pairs) else ""
    return result


def _require_map(d: Any) -> dict[str, Any]:
    if d is None:
        raise GoError("assignment to entry in nil map")
    mapping: dict[str, Any] = d
    return mapping


def _get(d: dict[str, Any] | None, key: str) -> Any:
    if d is not None and key in d:
        return d[key]
    return ""


def _set(d: dict[str, Any] | None, key: str, value: Any) -> dict[str, Any]:
    target = _require_map(d)
    target[key] = value
    return target


def _unset(d: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if d is not None:
        d.pop(key, None)
    return d


def _pluck(key: str, *dicts: dict[str, Any] | None) -> list[Any]:
    return [d[key] for d in dicts if d is not None and key in d]


def _keys(*dicts: dict[str, Any] | None) -> StringSlice:
    result = StringSlice()
    for d in dicts:
        if d is not None:
            result.extend(d)
    return result


def _pick(d: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: d[k] for k in keys if d is not None and k in d}


def _omit(d: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    drop = set(keys)
    return {k: v for k, v in (d or {}).items() if k not in drop}


def _values(d: dict[str, Any] | None) -> list[Any]:
    return list((d or {}).values())


def merge_into(dst: dict[str, Any], src: dict[str, Any], overwrite: bool) -> None:
    """mergo.Merge (overwrite=False) / MergeWithOverwrite on map[string]interface{} trees."""
    for key, sv in src.items():
        if sv is None:
            if overwrite:
                dst[key] = None
            continue
        has = key in dst
        dv = dst.get(key)
        if isinstance(sv, dict) and type(sv) is dict:
            if has and type(dv) is dict:
                merge_into(dv, sv, overwrite)
                continue
            if not has or overwrite or is_empty(dv):
                dst[key] = sv
            continue
        if isinstance(sv, list):
            if not has or overwrite or is_empty(dv):
                dst[key] = sv
            continue
        if not has or overwrite or is_empty(dv):
            dst[key] = sv


def _merge(dst: dict[str, Any] | None, *srcs: dict[str, Any] | None, overwrite: bool = False) -> Any:
    if dst is None:
        dst = {}
    for src in srcs:
        if src is not None:
            merge_into(dst, src, overwrite)
    return dst


def _dig(*args: Any) -> Any:
    if len(args) < 3:
        raise GoError("dig needs at least three arguments")
    d = args[-1]
    default = args[-2]
    keys = args[:-2]
    for k in keys:
        if type(k) is not str:
            raise GoError(f"interface conversion: interface {{}} is {go_type_of(k)}, not string")
    if type(d) is not dict:
        raise GoError(f"interface conversion: interface {{}} is {go_type_of(d)}, not map[string]interface {{}}")
    for i, k in enumerate(keys):
        if k not in d:
            return default
        step = d[k]
        if i == len(keys) - 1:
            return step
        if type(step) is not dict:
            raise GoError(f"interface conversion: interface {{}} is {go_type_of(step)}, "
                          f"not map[string]interface {{}}")
        d = step
    return default


FUNCS = {
    "dict": gofunc(variadic="any")(_dict),
    "get": gofunc("map", "string")(_get),
    "set": gofunc("map", "string", "any")(_set),
    "unset": gofunc("map", "string")(_unset),
    "hasKey": gofunc("map", "string")(lambda d, key: d is not None and key in d),
    "pluck": gofunc("string", variadic="map")(_pluck),
    "keys": gofunc(variadic="map")(_keys),
    "pick": gofunc("map", variadic="string")(_pick),
    "omit": gofunc("map", variadic="string")(_omit),
    "merge": gofunc("map", variadic="map")(lambda dst, *srcs: _merge(dst, *srcs)),
    "mustMerge": gofunc("map", variadic="map")(lambda dst, *srcs: _merge(dst, *srcs)),
    "mergeOverwrite": gofunc("map", variadic="map")(lambda dst, *srcs: _merge(dst, *srcs, overwrite=True)),
    "mustMergeOverwrite": gofunc("map", variadic="map")(lambda dst, *srcs: _merge(dst, *srcs, overwrite=True)),
    "values": gofunc("map")(_values),
    "dig": gofunc(variadic="any")(_dig),
}
