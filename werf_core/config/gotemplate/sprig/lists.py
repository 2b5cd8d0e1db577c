"""Sprig's list functions. They accept any slice (including []string and []int) and return []interface{}."""

from __future__ import annotations

from typing import Any

from werf_core.config.gotemplate import bounds
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.sprig.common import NIL_DEREF, list_kind, strval, to_int64
from werf_core.config.gotemplate.sprig.reflection import deep_equal
from werf_core.config.gotemplate.sprig.strings import strslice
from werf_core.config.gotemplate.values import MISSING, SliceOfSlices, StringSlice, go_kind_of, is_empty


def _push(lst: Any, v: Any) -> list:
    return list(list_kind(lst, "Cannot push on type")) + [v]


def _prepend(lst: Any, v: Any) -> list:
    return [v] + list(list_kind(lst, "Cannot prepend on type"))


def _chunk(size: int, lst: Any) -> SliceOfSlices:
    items = list_kind(lst, "Cannot chunk type")
    if size <= 0:
        raise GoError("runtime error: makeslice: len out of range")
    return SliceOfSlices(list(items[i:i + size]) for i in range(0, len(items), size))


def _last(lst: Any) -> Any:
    items = list_kind(lst, "Cannot find last on type")
    return items[-1] if items else None


def _first(lst: Any) -> Any:
    items = list_kind(lst, "Cannot find first on type")
    return items[0] if items else None


def _rest(lst: Any) -> Any:
    items = list_kind(lst, "Cannot find rest on type")
    return list(items[1:]) if items else []


def _initial(lst: Any) -> Any:
    items = list_kind(lst, "Cannot find initial on type")
    return list(items[:-1]) if items else []


def _reverse(lst: Any) -> list:
    return list(reversed(list_kind(lst, "Cannot find reverse on type")))


def _compact(lst: Any) -> list:
    return [e for e in list_kind(lst, "Cannot compact on type") if not is_empty(e)]


def _in_list(haystack: list, needle: Any) -> bool:
    return any(deep_equal(needle, h) for h in haystack)


def _uniq(lst: Any) -> list:
    dest: list = []
    for item in list_kind(lst, "Cannot find uniq on type"):
        if not _in_list(dest, item):
            dest.append(item)
    return dest


def _without(lst: Any, *omit: Any) -> list:
    return [e for e in list_kind(lst, "Cannot find without on type") if not _in_list(list(omit), e)]


def _has(needle: Any, haystack: Any) -> bool:
    if haystack is None or haystack is MISSING:
        return False
    return _in_list(list_kind(haystack, "Cannot find has on type"), needle)


def _slice(lst: Any, *indices: Any) -> Any:
    if lst is None or lst is MISSING:
        raise GoError(NIL_DEREF)
    if not isinstance(lst, list):
        raise GoError(f"list should be type of slice or array but {go_kind_of(lst)}")
    if not lst:
        return None
    start = to_int64(indices[0]) if indices else 0
    end = to_int64(indices[1]) if len(indices) >= 2 else len(lst)
    if start < 0 or end < start or end > len(lst):
        raise GoError("reflect: slice index out of range")
    return type(lst)(lst[start:end])


def _concat(*lists: Any) -> Any:
    result: list = []
    for lst in lists:
        if lst is None or lst is MISSING:
            raise GoError(NIL_DEREF)
        if not isinstance(lst, list):
            raise GoError(f"Cannot concat type {go_kind_of(lst)} as list")
        bounds.ensure_items("concat", len(result) + len(lst))
        result.extend(lst)
    return result


def _sort_alpha(lst: Any) -> StringSlice:
    if isinstance(lst, list):
        return StringSlice(sorted(strslice(lst), key=lambda s: s.encode("utf-8", "surrogateescape")))
    return StringSlice([strval(lst)])


FUNCS = {
    "list": gofunc(variadic="any")(lambda *v: list(v)),
    "tuple": gofunc(variadic="any")(lambda *v: list(v)),
    "append": gofunc("any", "any")(_push),
    "push": gofunc("any", "any")(_push),
    "mustAppend": gofunc("any", "any")(_push),
    "mustPush": gofunc("any", "any")(_push),
    "prepend": gofunc("any", "any")(_prepend),
    "mustPrepend": gofunc("any", "any")(_prepend),
    "first": gofunc("any")(_first),
    "mustFirst": gofunc("any")(_first),
    "rest": gofunc("any")(_rest),
    "mustRest": gofunc("any")(_rest),
    "last": gofunc("any")(_last),
    "mustLast": gofunc("any")(_last),
    "initial": gofunc("any")(_initial),
    "mustInitial": gofunc("any")(_initial),
    "reverse": gofunc("any")(_reverse),
    "mustReverse": gofunc("any")(_reverse),
    "uniq": gofunc("any")(_uniq),
    "mustUniq": gofunc("any")(_uniq),
    "without": gofunc("any", variadic="any")(_without),
    "mustWithout": gofunc("any", variadic="any")(_without),
    "has": gofunc("any", "any")(_has),
    "mustHas": gofunc("any", "any")(_has),
    "slice": gofunc("any", variadic="any")(_slice),
    "mustSlice": gofunc("any", variadic="any")(_slice),
    "concat": gofunc(variadic="any")(_concat),
    "compact": gofunc("any")(_compact),
    "mustCompact": gofunc("any")(_compact),
    "chunk": gofunc("int", "any")(_chunk),
    "mustChunk": gofunc("int", "any")(_chunk),
    "sortAlpha": gofunc("any")(_sort_alpha),
}
