"""Go's value model, as seen by templates, mapped onto Python values.

Go templates are strongly typed underneath: `1` is an `int`, `add 1 2` an `int64`, `splitList` returns `[]string`,
and a function declared `func(int, string)` rejects an `int64`. Users notice those types (error messages, `typeOf`,
`kindOf`, `eq` refusing to compare an int with a float), so we keep them:

| Go                       | Python                                   |
|--------------------------|------------------------------------------|
| bool                     | bool                                     |
| int                      | int                                      |
| int64 / uint8            | `Int64` / `Uint8` (int subclasses)       |
| float64                  | float                                    |
| string                   | str (bytes outside UTF-8 as surrogate escapes, like `os.fsdecode`) |
| []interface {}           | list                                     |
| []string, []int, ...     | `StringSlice`, `IntSlice`, ... (list subclasses) |
| map[string]interface {}  | dict                                     |
| map[string]string        | `StringMap` (dict subclass)              |
| nil interface            | None                                     |
| invalid reflect.Value    | `MISSING` (a missing map key; printed as `<no value>`) |
| structs with methods     | `GoObject` subclasses (`.Files`, time.Time, semver) |
"""

from __future__ import annotations

from typing import Any


class _Missing:
    """The zero reflect.Value: what a missing map key evaluates to. Prints as `<no value>`."""

    __slots__ = ()
    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class Int64(int):
    go_type = "int64"
    go_kind = "int64"

    def __repr__(self) -> str:
        return f"Int64({int(self)})"


class Uint8(int):
    go_type = "uint8"
    go_kind = "uint8"


class Uint32(int):
    go_type = "uint32"
    go_kind = "uint32"


class Int32(int):
    go_type = "int32"
    go_kind = "int32"


class StringSlice(list[str]):
    go_type = "[]string"


class IntSlice(list[int]):
    go_type = "[]int"


class SliceOfSlices(list[Any]):
    go_type = "[][]interface {}"


class StringMap(dict[str, str]):
    go_type = "map[string]string"


class GoObject:
    """A Go value with methods (a struct or a pointer to one).

    Subclasses set `go_type` / `go_kind` and list callable methods in `go_methods` (name -> GoFunc taking the
    receiver first). `go_string()` is what fmt prints for `%v` (a Stringer's String(), or the struct fields).
    """

    go_type = "struct {}"
    go_kind = "struct"
    go_methods: dict[str, Any] = {}

    def go_string(self) -> str:  # pragma: no cover - overridden
        return "{}"


_BUILTIN_TYPE_NAMES = {
    bool: "bool",
    int: "int",
    float: "float64",
    str: "string",
    list: "[]interface {}",
    dict: "map[string]interface {}",
    complex: "complex128",
    type(None): "<nil>",
    _Missing: "<nil>",
}

_BUILTIN_KINDS = {
    bool: "bool",
    int: "int",
    float: "float64",
    str: "string",
    list: "slice",
    dict: "map",
    complex: "complex128",
    type(None): "invalid",
    _Missing: "invalid",
}

INT_TYPES = (int,)  # bool is excluded explicitly wherever it matters


def go_type_of(value: Any) -> str:
    """The Go type name `%T` prints, e.g. `int`, `[]interface {}`, `map[string]interface {}`."""
    t = type(value)
    name = _BUILTIN_TYPE_NAMES.get(t)
    if name is not None:
        return name
    name = getattr(t, "go_type", None)
    if name is not None:
        return str(name)
    if callable(value):
        return "func(...) interface {}"
    return t.__name__


def go_kind_of(value: Any) -> str:
    """reflect.Kind name: `int`, `string`, `slice`, `map`, `struct`, `ptr`, `invalid`, ..."""
    t = type(value)
    kind = _BUILTIN_KINDS.get(t)
    if kind is not None:
        return kind
    kind = getattr(t, "go_kind", None)
    if kind is not None:
        return str(kind)
    if isinstance(value, list):
        return "slice"
    if isinstance(value, dict):
        return "map"
    if callable(value):
        return "func"
    return "struct"


def is_int(value: Any) -> bool:
    """Any Go integer kind (int, int64, uint8, ...), not bool."""
    return isinstance(value, int) and type(value) is not bool


def is_true(value: Any) -> tuple[bool, bool]:
    """Go's truth (template `if`): the value is not the zero of its type. Returns (truth, meaningful)."""
    t = type(value)
    if t is bool:
        return value, True
    if t is str or t is list or t is dict:
        return len(value) > 0, True
    if value is None or value is MISSING:
        return False, True
    if t is int or t is float or t is complex:
        return value != 0, True
    if isinstance(value, (int, float)):
        return value != 0, True
    if isinstance(value, (list, dict, str)):
        return len(value) > 0, True
    return True, True


def is_empty(value: Any) -> bool:
    """Sprig's `empty`: nil, zero numbers, false, and zero-length strings/lists/maps are empty; structs never."""
    return not is_true(value)[0]


def sorted_map_items(mapping: dict[str, Any]) -> list[Any]:
    """Map entries in Go's `fmtsort` order (what `range` and `%v` use): keys ordered by value within a type."""
    keys = list(mapping)
    try:
        keys.sort()
    except TypeError:
        keys.sort(key=lambda k: (go_type_of(k), str(k)))
    return [(k, mapping[k]) for k in keys]
