"""YAML the way Helm's `toYaml`/`fromYaml` see it (sigs.k8s.io/yaml over gopkg.in/yaml.v2).

toYaml: the value goes through JSON first (so numbers are JSON numbers), then yaml.v2 prints it: keys in yaml.v2's
natural order, strings quoted only when they would read back as something else ("true", "1.5", "null"), multi-line
strings as `|` blocks, long plain lines folded at 80 columns, sequences not indented under their key.
fromYaml: YAML 1.1 scalars as yaml.v2 resolves them (yes/no are booleans, timestamps stay strings), converted
through JSON (every number becomes a float64, keys become strings); errors come back as {"Error": "..."}.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from werf_core.config.gotemplate import gojson, gostrconv
from werf_core.config.gotemplate.values import MISSING, GoObject, is_int

_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_TRUE = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"}
_FALSE = {"n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"}
_NULL = {"", "~", "null", "Null", "NULL"}
_INF = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}
_NEG_INF = {"-.inf", "-.Inf", "-.INF"}
_NAN = {".nan", ".NaN", ".NAN"}


def resolve_plain(s: str) -> tuple[str, Any]:
    """yaml.v2's resolve() for a plain scalar: (kind, value) with kind in str/bool/null/int/float."""
    if s in _NULL:
        return "null", None
    if s in _TRUE:
        return "bool", True
    if s in _FALSE:
        return "bool", False
    if s in _INF:
        return "float", math.inf
    if s in _NEG_INF:
        return "float", -math.inf
    if s in _NAN:
        return "float", math.nan
    c = s[0]
    if c in "+-.0123456789":
        plain = s.replace("_", "")
        try:
            return "int", gostrconv.parse_int(plain)
        except ValueError:
            pass
        try:
            return "int", gostrconv.parse_int(plain, bits_unsigned=True)
        except ValueError:
            pass
        if _YAML_FLOAT.match(plain):
            try:
                return "float", float(plain)
            except ValueError:
                pass
        if plain.startswith(("0b", "-0b")):
            digits = plain[2:] if plain[0] == "0" else plain[3:]
            if digits and set(digits) <= {"0", "1"}:
                value = int(digits, 2)
                return "int", -value if plain[0] == "-" else value
    return "str", s


# ---------------------------------------------------------------- toYaml


def _json_compatible(v: Any) -> Any:
    """What sigs.k8s.io/yaml sees after its JSON round trip."""
    if v is None or v is MISSING:
        return None
    t = type(v)
    if t is str or t is bool:
        return v
    if is_int(v):
        return int(v)
    if t is float:
        text = gojson.marshal(v)
        try:
            return int(text)
        except ValueError:
            return float(text)
    if isinstance(v, list):
        return [_json_compatible(e) for e in v]
    if isinstance(v, dict):
        return {str(k): _json_compatible(e) for k, e in v.items()}
    if isinstance(v, GoObject) and hasattr(v, "go_json"):
        return _json_compatible(v.go_json())
    if isinstance(v, GoObject):
        return {}
    gojson.marshal(v)  # raises JSONError for what JSON cannot carry
    return None


def _natural_less(a: str, b: str) -> bool:
    """yaml.v2 keyList.Less for string keys: letters after non-letters, digit runs compared as numbers."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai]) if a[ai].isascii() else an
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi]) if b[bi].isascii() else bn
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _natural_compare(a: str, b: str) -> int:
    return -1 if _natural_less(a, b) else (1 if _natural_less(b, a) else 0)


_natural_key = functools.cmp_to_key(_natural_compare)


def _float_text(f: float) -> str:
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    return gostrconv.format_float(f, "g", -1)


@functools.lru_cache(maxsize=1)
def _dumper() -> type:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class GoYamlDumper(base):  # type: ignore[misc, valid-type]
        def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
            if kind is yaml.ScalarNode and implicit[0]:
                return "tag:yaml.org,2002:" + resolve_plain(value)[0]
            resolved: str = super().resolve(kind, value, implicit)
            return resolved

    def represent_str(dumper: yaml.Dumper, data: str) -> yaml.Node:
        if "\n" in data:
            style = "|"
        elif data == "" or resolve_plain(data)[0] != "str" or _is_base60_float(data):
            style = '"'
        else:
            style = None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def represent_dict(dumper: yaml.Dumper, data: dict[str, Any]) -> yaml.Node:
        items = sorted(data.items(), key=lambda kv: _natural_key(kv[0]))
        return dumper.represent_mapping("tag:yaml.org,2002:map", items)

    def represent_float(dumper: yaml.Dumper, data: float) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:float", _float_text(data))

    def represent_none(dumper: yaml.Dumper, data: None) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:null", "null")

    GoYamlDumper.add_representer(str, represent_str)
    GoYamlDumper.add_representer(dict, represent_dict)
    GoYamlDumper.add_representer(float, represent_float)
    GoYamlDumper.add_representer(type(None), represent_none)
    return GoYamlDumper


_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


def _is_base60_float(s: str) -> bool:
    return bool(s) and s[0] in "+-0123456789" and ":" in s and bool(_BASE60.match(s))


def to_yaml(v: Any) -> str:
    """sigs.k8s.io/yaml.Marshal(v) without the final newline (Helm's toYaml)."""
    import yaml

    data = _json_compatible(v)
    text = yaml.dump(data, Dumper=_dumper(), allow_unicode=True, default_flow_style=False, sort_keys=False,
                     width=80, indent=2)
    if text.endswith("\n...\n"):
        text = text[:-4]
    return text[:-1] if text.endswith("\n") else text


# ---------------------------------------------------------------- fromYaml


@functools.lru_cache(maxsize=1)
def _loader() -> type:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class GoYamlLoader(base):  # type: ignore[misc, valid-type]
        def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
            if kind is yaml.ScalarNode and implicit[0]:
                return "tag:yaml.org,2002:" + {"str": "str", "null": "null", "bool": "bool", "int": "int",
                                               "float": "float"}[resolve_plain(value)[0]]
            resolved: str = super().resolve(kind, value, implicit)
            return resolved

    def construct_scalar(kind: str) -> Callable[[yaml.Loader, yaml.ScalarNode], Any]:
        def construct(loader: yaml.Loader, node: yaml.ScalarNode) -> Any:
            value = loader.construct_scalar(node)
            got_kind, parsed = resolve_plain(value)
            if got_kind == kind:
                return parsed
            if kind == "str":
                return value
            raise yaml.constructor.ConstructorError(None, None, f"cannot decode !!{kind} `{value}`",
                                                    node.start_mark)
        return construct

    for kind in ("null", "bool", "int", "float", "str"):
        GoYamlLoader.add_constructor(f"tag:yaml.org,2002:{kind}", construct_scalar(kind))
    GoYamlLoader.add_constructor("tag:yaml.org,2002:timestamp",
                                 lambda loader, node: loader.construct_scalar(node))
    return GoYamlLoader


class YAMLError(Exception):
    pass


def _json_key(k: Any) -> str:
    if k is None:
        return "null"
    if type(k) is bool:
        return "true" if k else "false"
    if type(k) is float:
        return _float_text(k)
    if isinstance(k, (list, dict, tuple)):
        raise YAMLError(f"error converting YAML to JSON: Unsupported map key of type: {type(k).__name__}, key: "
                        f"{k!r}")
    return str(k)


def _to_json_value(v: Any) -> Any:
    """The JSON step of sigs.k8s.io/yaml: numbers become float64, keys strings."""
    if isinstance(v, dict):
        return {_json_key(k): _to_json_value(e) for k, e in v.items()}
    if isinstance(v, list):
        return [_to_json_value(e) for e in v]
    if type(v) is bool or v is None or type(v) is str:
        return v
    if isinstance(v, int):
        return float(v)
    if type(v) is float:
        if math.isnan(v) or math.isinf(v):
            raise YAMLError(f"error converting YAML to JSON: json: unsupported value: {_float_text(v)}")
        return v
    return str(v)


def load(text: str) -> Any:
    """Parse one YAML document to JSON-compatible values. Raises YAMLError with a yaml.v2-like message."""
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = err.problem or err.context or "invalid YAML"
        raise YAMLError(f"error converting YAML to JSON: yaml: line {line}: {problem}") from None
    except yaml.YAMLError as err:
        raise YAMLError(f"error converting YAML to JSON: yaml: {err}") from None
    except RecursionError:
        raise YAMLError("error converting YAML to JSON: yaml: document nested too deeply") from None
    return _to_json_value(data)


def from_yaml(text: str) -> dict[str, Any]:
    try:
        data = load(text)
    except YAMLError as err:
        return {"Error": str(err)}
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = "array" if isinstance(data, list) else "string" if isinstance(data, str) else \
            "bool" if isinstance(data, bool) else "number"
        return {"Error": f"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go "
                         f"value of type map[string]interface {{}}"}
    return data


def from_yaml_array(text: str) -> list[Any]:
    try:
        data = load(text)
    except YAMLError as err:
        return [str(err)]
    if data is None:
        return []
    if not isinstance(data, list):
        kind = "object" if isinstance(data, dict) else "string" if isinstance(data, str) else \
            "bool" if isinstance(data, bool) else "number"
        return [f"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of "
                f"type []interface {{}}"]
    return data

