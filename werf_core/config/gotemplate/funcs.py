"""Template functions: how a Python function declares its Go signature, and Go's builtin functions.

A Go template checks every argument against the function's parameter types (`trunc` wants an `int`, so
`trunc (add 1 2) "x"` fails with "wrong type for value; expected int; got int64"), and converts literals by the
parameter type (`1` is an int where an int is wanted, a float64 where a float64 is). `GoFunc` records those types.

Parameter type names: any, string, int, int64, uint32, float64, bool, map (map[string]interface {}),
list ([]interface {}), time (time.Time), value (reflect.Value: anything, including a missing value).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

from werf_core.config.gotemplate import gofmt, gostrconv
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.values import (
    MISSING,
    GoObject,
    Uint8,
    go_kind_of,
    go_type_of,
    is_int,
    is_true,
)


class TypeSpec:
    __slots__ = ("name", "go_name", "nilable", "literal", "check")

    def __init__(self, name: str, go_name: str, nilable: bool, literal: str, check: Callable[[Any], bool]):
        self.name = name
        self.go_name = go_name
        self.nilable = nilable
        self.literal = literal  # how a literal argument is read: bool/int/uint/float/string/iface/none
        self.check = check


def _is_time(v: Any) -> bool:
    from werf_core.config.gotemplate.gotime import GoTime

    return isinstance(v, GoTime)


TYPE_SPECS: dict[str, TypeSpec] = {
    "any": TypeSpec("any", "interface {}", True, "iface", lambda v: True),
    "value": TypeSpec("value", "reflect.Value", True, "iface", lambda v: True),
    "string": TypeSpec("string", "string", False, "string", lambda v: type(v) is str),
    "int": TypeSpec("int", "int", False, "int", lambda v: type(v) is int),
    "int64": TypeSpec("int64", "int64", False, "int", lambda v: type(v).__name__ == "Int64"),
    "uint32": TypeSpec("uint32", "uint32", False, "uint", lambda v: type(v).__name__ == "Uint32"),
    "float64": TypeSpec("float64", "float64", False, "float", lambda v: type(v) is float),
    "bool": TypeSpec("bool", "bool", False, "bool", lambda v: type(v) is bool),
    "map": TypeSpec("map", "map[string]interface {}", True, "none", lambda v: type(v) is dict),
    "list": TypeSpec("list", "[]interface {}", True, "none", lambda v: type(v) is list),
    "time": TypeSpec("time", "time.Time", False, "none", _is_time),
}


class GoFunc:
    """A template function with a Go signature.

    `fn` receives the converted arguments (and the executing state first when `needs_state`). It returns the
    result, or raises GoError for Go's (value, error) functions. Methods of GoObjects take the receiver first.
    """

    __slots__ = ("name", "fn", "params", "variadic", "needs_state")

    def __init__(self, fn: Callable[..., Any], params: tuple[str, ...] = (), variadic: str | None = None,
                 needs_state: bool = False, name: str | None = None) -> None:
        for p in (*params, *([variadic] if variadic else [])):
            if p not in TYPE_SPECS:
                raise ValueError(f"unknown parameter type {p!r}")
        self.fn = fn
        self.params = tuple(TYPE_SPECS[p] for p in params)
        self.variadic = TYPE_SPECS[variadic] if variadic else None
        self.needs_state = needs_state
        self.name = name or getattr(fn, "__name__", "func")

    def __repr__(self) -> str:
        return f"GoFunc({self.name})"


def gofunc(*params: str, variadic: str | None = None, needs_state: bool = False,
           name: str | None = None) -> Callable[[Callable[..., Any]], GoFunc]:
    """Decorator: `@gofunc("int", "string")` marks a Python function as a template function with that signature."""

    def wrap(fn: Callable[..., Any]) -> GoFunc:
        return GoFunc(fn, params, variadic, needs_state, name)

    return wrap


def as_gofunc(name: str, fn: Any) -> GoFunc:
    """Accept a GoFunc, or wrap a plain Python callable: every parameter `any`, `*args` variadic `any`."""
    if isinstance(fn, GoFunc):
        return fn
    if not callable(fn):
        raise TypeError(f"template function {name!r} is not callable")
    params: list[str] = []
    variadic = None
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return GoFunc(fn, (), "any", name=name)
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            params.append("any")
        elif p.kind == p.VAR_POSITIONAL:
            variadic = "any"
    return GoFunc(fn, tuple(params), variadic, name=name)


# ---------------------------------------------------------------- builtins


def truth(v: Any) -> bool:
    return is_true(v)[0]


def _basic_kind(v: Any) -> str:
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is str:
        return "string"
    if t is float:
        return "float"
    if is_int(v):
        return "uint" if go_kind_of(v).startswith("uint") else "int"
    if t is complex:
        return "complex"
    return "invalid"


def _valid(v: Any) -> bool:
    return v is not MISSING and v is not None


def _is_nil(v: Any) -> bool:
    return v is MISSING or v is None


def _eq(arg1: Any, *args: Any) -> bool:
    if not args:
        raise GoError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for arg in args:
        k2 = _basic_kind(arg)
        result = False
        if k1 != k2:
            if {k1, k2} == {"int", "uint"}:
                result = arg1 == arg
            elif _valid(arg1) and _valid(arg):
                raise GoError(f"incompatible types for comparison: {go_type_of(arg1)} and {go_type_of(arg)}")
        elif k1 != "invalid":
            result = arg1 == arg
        else:
            if go_kind_of(arg1) != go_kind_of(arg) and _valid(arg1) and _valid(arg):
                raise GoError(f"non-comparable types {gofmt.format_value(arg1, 's')}: {go_type_of(arg1)}, "
                              f"{go_type_of(arg)}: {gofmt.format_value(arg)}")
            if _is_nil(arg1) or _is_nil(arg):
                result = _is_nil(arg1) == _is_nil(arg)
            else:
                if isinstance(arg, (list, dict)) or isinstance(arg1, (list, dict)):
                    raise GoError(f"non-comparable type {gofmt.format_value(arg, 's')}: {go_type_of(arg)}")
                result = arg1 == arg
        if result:
            return True
    return False


def _ne(a: Any, b: Any) -> bool:
    return not _eq(a, b)


def _lt(a: Any, b: Any) -> bool:
    k1 = _basic_kind(a)
    if k1 == "invalid":
        raise GoError("invalid type for comparison")
    k2 = _basic_kind(b)
    if k2 == "invalid":
        raise GoError("invalid type for comparison")
    if k1 != k2:
        if {k1, k2} == {"int", "uint"}:
            return bool(a < b)
        raise GoError(f"incompatible types for comparison: {go_type_of(a)} and {go_type_of(b)}")
    if k1 in ("bool", "complex"):
        raise GoError("invalid type for comparison")
    if k1 == "string":
        return gostrconv.to_bytes(a) < gostrconv.to_bytes(b) if not (a.isascii() and b.isascii()) else a < b
    return bool(a < b)


def _le(a: Any, b: Any) -> bool:
    return _lt(a, b) or _eq(a, b)


def _gt(a: Any, b: Any) -> bool:
    return not _le(a, b)


def _ge(a: Any, b: Any) -> bool:
    return not _lt(a, b)


def _not(a: Any) -> bool:
    return not truth(a)


def _length(item: Any) -> int:
    if item is None:
        raise GoError("len of nil pointer")
    if item is MISSING:
        raise GoError("reflect: call of reflect.Value.Type on zero Value")
    if type(item) is str:
        return gostrconv.byte_len(item)
    if isinstance(item, (list, dict)):
        return len(item)
    raise GoError(f"len of type {go_type_of(item)}")


def _index_arg(index: Any, cap: int) -> int:
    if index is MISSING or index is None:
        raise GoError("cannot index slice/array with nil")
    if not is_int(index):
        raise GoError(f"cannot index slice/array with type {go_type_of(index)}")
    x = int(index)
    if x < 0 or x > cap:
        raise GoError(f"index out of range: {x}")
    return x


def _index(item: Any, *indexes: Any) -> Any:
    if item is MISSING or item is None:
        raise GoError("index of untyped nil")
    for index in indexes:
        if item is None or item is MISSING:
            raise GoError("index of nil pointer")
        if isinstance(item, (list, str)):
            is_str = isinstance(item, str)
            data: bytes | list[Any] = gostrconv.to_bytes(item) if isinstance(item, str) else item
            x = _index_arg(index, len(data))
            if x == len(data):
                raise GoError(f"reflect: {'string' if is_str else 'slice'} index out of range")
            item = Uint8(data[x]) if is_str else data[x]
        elif isinstance(item, dict):
            if index is MISSING or index is None:
                raise GoError("value is nil; should be of type string")
            if type(index) is not str:
                raise GoError(f"value has type {go_type_of(index)}; should be string")
            if index in item:
                item = item[index]
            else:
                item = "" if go_type_of(item) == "map[string]string" else None
        else:
            raise GoError(f"can't index item of type {go_type_of(item)}")
    return item


def _slice(item: Any, *indexes: Any) -> Any:
    if item is MISSING or item is None:
        raise GoError("slice of untyped nil")
    if len(indexes) > 3:
        raise GoError(f"too many slice indexes: {len(indexes)}")
    data: bytes | list[Any]
    if type(item) is str:
        if len(indexes) == 3:
            raise GoError("cannot 3-index slice a string")
        data = gostrconv.to_bytes(item)
    elif isinstance(item, list):
        data = item
    else:
        raise GoError(f"can't slice item of type {go_type_of(item)}")
    cap = len(data)
    idx = [0, len(data), cap]
    for i, index in enumerate(indexes):
        idx[i] = _index_arg(index, cap)
    if idx[0] > idx[1]:
        raise GoError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise GoError(f"invalid slice index: {idx[1]} > {idx[2]}")
    part = data[idx[0]:idx[1]]
    if isinstance(part, bytes):   # the item was a string
        return gostrconv.from_bytes(part)
    return type(item)(part)


def _printable_args(args: tuple[Any, ...]) -> str:
    """text/template's evalArgs: Sprint of the arguments, a missing value printing as <no value>."""
    if len(args) == 1 and type(args[0]) is str:
        return args[0]
    return gofmt.sprint(*("<no value>" if a is None or a is MISSING else a for a in args))


_HTML_ESCAPES = {"\0": "\ufffd", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}


def html_escape(s: str) -> str:
    if not any(c in s for c in "'\"&<>\0"):
        return s
    return "".join(_HTML_ESCAPES.get(c, c) for c in s)


_JS_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026",
               "=": "\\u003D"}


def js_escape(s: str) -> str:
    out = []
    for c in s:
        esc = _JS_ESCAPES.get(c)
        if esc is not None:
            out.append(esc)
        elif ord(c) < 0x20:
            out.append(f"\\u00{ord(c):02X}")
        elif ord(c) < 0x80:
            out.append(c)
        elif 0xDC80 <= ord(c) <= 0xDCFF or not gostrconv.is_print(c):
            out.append(f"\\u{0xFFFD if 0xDC80 <= ord(c) <= 0xDCFF else ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


def url_query_escape(s: str) -> str:
    return quote_plus(gostrconv.to_bytes(s), safe="-_.~")


def _call(fn: Any, *args: Any) -> Any:
    if fn is MISSING or fn is None:
        raise GoError("call of nil")
    if isinstance(fn, GoFunc):
        n_fixed = len(fn.params)
        if fn.variadic is not None:
            if len(args) < n_fixed:
                raise GoError(f"wrong number of args for {fn.name}: got {len(args)} want at least {n_fixed}")
        elif len(args) != n_fixed:
            raise GoError(f"wrong number of args for {fn.name}: got {len(args)} want {n_fixed}")
        converted = []
        for i, a in enumerate(args):
            spec = fn.params[i] if i < n_fixed else fn.variadic
            assert spec is not None, "arguments beyond the fixed ones exist only for variadic functions"
            if a is MISSING:
                a = None
            if a is None and not spec.nilable:
                raise GoError(f"arg {i}: value is nil; should be of type {spec.go_name}")
            if a is not None and not spec.check(a):
                raise GoError(f"arg {i}: value has type {go_type_of(a)}; should be {spec.go_name}")
            converted.append(a)
        return fn.fn(*converted)
    if callable(fn) and not isinstance(fn, GoObject):
        return fn(*(None if a is MISSING else a for a in args))
    raise GoError(f"non-function of type {go_type_of(fn)}")


def _builtin_and(*args: Any) -> Any:  # pragma: no cover - short-circuited by the executor
    raise AssertionError("and is evaluated by the executor")


def _builtin_or(*args: Any) -> Any:  # pragma: no cover - short-circuited by the executor
    raise AssertionError("or is evaluated by the executor")


BUILTINS: dict[str, GoFunc] = {
    "and": GoFunc(_builtin_and, ("value",), "value", name="and"),
    "or": GoFunc(_builtin_or, ("value",), "value", name="or"),
    "not": GoFunc(_not, ("value",), name="not"),
    "call": GoFunc(_call, ("value",), "value", name="call"),
    "html": GoFunc(lambda *a: html_escape(_printable_args(a)), (), "any", name="html"),
    "js": GoFunc(lambda *a: js_escape(_printable_args(a)), (), "any", name="js"),
    "urlquery": GoFunc(lambda *a: url_query_escape(_printable_args(a)), (), "any", name="urlquery"),
    "index": GoFunc(_index, ("value",), "value", name="index"),
    "slice": GoFunc(_slice, ("value",), "value", name="slice"),
    "len": GoFunc(_length, ("value",), name="len"),
    "print": GoFunc(gofmt.sprint, (), "any", name="print"),
    "printf": GoFunc(gofmt.sprintf, ("string",), "any", name="printf"),
    "println": GoFunc(gofmt.sprintln, (), "any", name="println"),
    "eq": GoFunc(_eq, ("value",), "value", name="eq"),
    "ne": GoFunc(_ne, ("value", "value"), name="ne"),
    "lt": GoFunc(_lt, ("value", "value"), name="lt"),
    "le": GoFunc(_le, ("value", "value"), name="le"),
    "gt": GoFunc(_gt, ("value", "value"), name="gt"),
    "ge": GoFunc(_ge, ("value", "value"), name="ge"),
}
