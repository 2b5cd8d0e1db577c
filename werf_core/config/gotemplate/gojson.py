"""Go's encoding/json for template values: Marshal (sorted keys, HTML-safe escapes, Go's float text) and
Unmarshal into interface{} (objects -> map, arrays -> list, every number -> float64), with Go's error texts."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from werf_core.config.gotemplate import gostrconv
from werf_core.config.gotemplate.values import MISSING, GoObject, go_type_of, is_int, sorted_map_items


class JSONError(Exception):
    pass


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def _quote(s: str, escape_html: bool) -> str:
    out = ['"']
    for ch in s:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
            continue
        cp = ord(ch)
        if cp < 0x20:
            out.append(f"\\u{cp:04x}")
        elif escape_html and ch in _HTML:
            out.append(_HTML[ch])
        elif cp in (0x2028, 0x2029):
            out.append(f"\\u{cp:04x}")
        elif 0xD800 <= cp <= 0xDFFF:
            out.append("\\ufffd")  # invalid UTF-8 is replaced
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise JSONError(f"json: unsupported value: {gostrconv.format_float(f, 'g', -1)}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        text = gostrconv.format_float(f, "e", -1)
        # Go cleans up e-09 to e-9
        m = re.match(r"^(.*e[-+])0(\d)$", text)
        if m:
            text = m.group(1) + m.group(2)
        return text
    return gostrconv.format_float(f, "f", -1)


def _encode(v: Any, out: list[Any], escape_html: bool, indent: str | None, level: int) -> None:
    t = type(v)
    if v is None or v is MISSING:
        out.append("null")
    elif t is str:
        out.append(_quote(v, escape_html))
    elif t is bool:
        out.append("true" if v else "false")
    elif is_int(v):
        out.append(str(int(v)))
    elif t is float:
        out.append(_float(v))
    elif isinstance(v, list):
        if not v:
            out.append("[]")
            return
        out.append("[")
        for i, e in enumerate(v):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + indent * (level + 1))
            _encode(e, out, escape_html, indent, level + 1)
        if indent is not None:
            out.append("\n" + indent * level)
        out.append("]")
    elif isinstance(v, dict):
        if not v:
            out.append("{}")
            return
        out.append("{")
        for i, (k, e) in enumerate(sorted_map_items(v)):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + indent * (level + 1))
            if type(k) is not str:
                if is_int(k):
                    k = str(k)
                else:
                    raise JSONError(f"json: unsupported type: {go_type_of(v)}")
            out.append(_quote(k, escape_html))
            out.append(": " if indent is not None else ":")
            _encode(e, out, escape_html, indent, level + 1)
        if indent is not None:
            out.append("\n" + indent * level)
        out.append("}")
    elif isinstance(v, GoObject) and hasattr(v, "go_json"):
        _encode(v.go_json(), out, escape_html, indent, level)
    elif isinstance(v, GoObject):
        out.append("{}")
    elif t is complex:
        raise JSONError("json: unsupported type: complex128")
    else:
        raise JSONError(f"json: unsupported type: {go_type_of(v)}")


def marshal(v: Any, escape_html: bool = True, indent: str | None = None) -> str:
    out: list[str] = []
    _encode(v, out, escape_html, indent, 0)
    return "".join(out)


def _reject_constant(name: str) -> Any:
    raise JSONError(f"invalid character '{name[0]}' looking for beginning of value")


def _parse_float(text: str) -> float:
    f = float(text)
    if math.isinf(f):
        raise JSONError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return f


def unmarshal(text: str) -> Any:
    """json.Unmarshal into interface{}. Raises JSONError with Go's wording for the common failures."""
    if text.strip(" \t\r\n") == "":
        raise JSONError("unexpected end of JSON input")
    try:
        return json.loads(text, parse_int=_parse_float, parse_float=_parse_float,
                          parse_constant=_reject_constant)
    except JSONError:
        raise
    except json.JSONDecodeError as err:
        raise JSONError(_go_message(text, err)) from None
    except (ValueError, RecursionError) as err:
        raise JSONError(str(err)) from None


def _go_message(text: str, err: json.JSONDecodeError) -> str:
    pos = err.pos
    if pos >= len(text) or err.msg.startswith("Unterminated") or err.msg.startswith("Expecting value") and \
            text[pos:].strip(" \t\r\n") == "":
        return "unexpected end of JSON input"
    ch = text[pos]
    if err.msg.startswith("Extra data"):
        return f"invalid character {_char(ch)} after top-level value"
    if err.msg.startswith("Expecting ',' delimiter") or err.msg.startswith("Expecting ':' delimiter"):
        where = "object key" if "':'" in err.msg else "array element" if text.rfind("[", 0, pos) > \
            text.rfind("{", 0, pos) else "object key:value pair"
        suffix = {"object key": "after object key", "array element": "after array element",
                  "object key:value pair": "after object key:value pair"}[where]
        return f"invalid character {_char(ch)} {suffix}"
    if err.msg.startswith("Expecting property name"):
        return f"invalid character {_char(ch)} looking for beginning of object key string"
    if err.msg.startswith("Invalid control character"):
        return f"invalid character {_char(ch)} in string literal"
    return f"invalid character {_char(ch)} looking for beginning of value"


def _char(ch: str) -> str:
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    if ord(ch) < 0x20:
        return gostrconv.quote_rune(ord(ch))
    return f"'{ch}'"
