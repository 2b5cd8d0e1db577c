"""Sprig's string functions (strings, string slices, quoting, case conversion, padding and wrapping)."""

from __future__ import annotations

import random
import secrets
import string as pystring
from typing import Any

from werf_core.config.gotemplate import bounds, gofmt, gostrconv
from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.sprig import casing
from werf_core.config.gotemplate.sprig.common import GO_SPACES, is_go_space, strval
from werf_core.config.gotemplate.values import MISSING, StringMap, StringSlice


def _to_upper(s: str) -> str:
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in s)


def _to_lower(s: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in s)


def _is_title_separator(ch: str) -> bool:
    if ord(ch) < 0x80:
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdecimal():
        return False
    return is_go_space(ch)


def go_title(s: str) -> str:
    """strings.Title: upper-case the first letter of every word."""
    out = []
    prev = " "
    for ch in s:
        if _is_title_separator(prev):
            t = ch.title()
            out.append(t if len(t) == 1 else ch)
        else:
            out.append(ch)
        prev = ch
    return "".join(out)


def _repeat(s: str, count: int) -> str:
    if count < 0:
        raise GoError("strings: negative Repeat count")
    bounds.ensure_string_size("repeat", count * len(s))
    return s * count


def go_split(s: str, sep: str, n: int = -1) -> list[str]:
    """strings.SplitN (n < 0: all parts)."""
    if n == 0:
        return []
    bounds.ensure_items("split", (len(s) if sep == "" else s.count(sep) + 1) if n < 0 else min(n, len(s) + 1))
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            chars = chars[:n - 1] + ["".join(chars[n - 1:])]
        return chars
    if n < 0:
        return s.split(sep)
    return s.split(sep, n - 1)


def trunc(c: int, s: str) -> str:
    size = gostrconv.byte_len(s)
    if c < 0 and size + c > 0:
        return gostrconv.byte_slice(s, size + c)
    if c >= 0 and size > c:
        return gostrconv.byte_slice(s, 0, c)
    return s


def _bounds_error(lo: int, hi: int | None, size: int) -> GoError:
    if hi is None:
        return GoError(f"runtime error: slice bounds out of range [{lo}:{size}]")
    if lo > hi and 0 <= hi <= size:
        return GoError(f"runtime error: slice bounds out of range [{lo}:{hi}]")
    return GoError(f"runtime error: slice bounds out of range [:{hi}] with length {size}")


def substr(start: int, end: int, s: str) -> str:
    size = gostrconv.byte_len(s)
    if start < 0:
        if end < 0 or end > size:
            raise _bounds_error(0, end, size)
        return gostrconv.byte_slice(s, 0, end)
    if end < 0 or end > size:
        if start > size:
            raise _bounds_error(start, None, size)
        return gostrconv.byte_slice(s, start)
    if start > end:
        raise _bounds_error(start, end, size)
    return gostrconv.byte_slice(s, start, end)


def abbrev(width: int, s: str) -> str:
    if width < 4:
        return s
    return casing.abbreviate_full(s, 0, width)


def abbrevboth(left: int, right: int, s: str) -> str:
    if right < 4 or (left > 0 and right < 7):
        return s
    return casing.abbreviate_full(s, left, right)


def quote(*values: Any) -> str:
    return " ".join(gostrconv.quote(strval(v)) for v in values if v is not None and v is not MISSING)


def squote(*values: Any) -> str:
    return " ".join(f"'{gofmt.value_text(v)}'" for v in values if v is not None and v is not MISSING)


def cat(*values: Any) -> str:
    return " ".join(gofmt.value_text(v) for v in values if v is not None and v is not MISSING)


def indent(spaces: int, v: str) -> str:
    bounds.ensure_string_size("indent", len(v) + max(spaces, 0) * (v.count("\n") + 1))
    pad = _repeat(" ", spaces)
    return pad + v.replace("\n", "\n" + pad)


def nindent(spaces: int, v: str) -> str:
    return "\n" + indent(spaces, v)


def strslice(v: Any) -> StringSlice:
    """Sprig's strslice: a []string from a []string, a []interface{} (nils dropped) or a single value."""
    if isinstance(v, StringSlice):
        return v
    if isinstance(v, list):
        return StringSlice(strval(e) for e in v if e is not None and e is not MISSING)
    if v is None or v is MISSING:
        return StringSlice()
    return StringSlice([strval(v)])


def join(sep: str, v: Any) -> str:
    return sep.join(strslice(v))


def split(sep: str, orig: str) -> StringMap:
    return StringMap((f"_{i}", part) for i, part in enumerate(go_split(orig, sep)))


def splitn(sep: str, n: int, orig: str) -> StringMap:
    return StringMap((f"_{i}", part) for i, part in enumerate(go_split(orig, sep, n)))


def _trim_cutset(s: str, cutset: str) -> str:
    return s.strip(cutset) if cutset else s


def _delete_white_space(s: str) -> str:
    return "".join(c for c in s if not is_go_space(c))


_RANDOM_ALPHA = pystring.ascii_letters
_RANDOM_ALNUM = pystring.ascii_letters + pystring.digits
_RANDOM_ASCII = "".join(chr(c) for c in range(32, 127))


def _random_text(count: int, alphabet: str) -> str:
    if count < 0:
        raise GoError(f"Requested random string length {count} is less than 0.")
    bounds.ensure_string_size("a random string", count)
    return "".join(secrets.choice(alphabet) for _ in range(count))


def _shuffle(s: str) -> str:
    chars = list(s)
    random.shuffle(chars)
    return "".join(chars)



def _replace_empty(src: str, new: str) -> str:
    """strings.Replace with an empty `old` inserts `new` before every rune and at the end."""
    bounds.ensure_string_size("replace", len(src) + (len(src) + 1) * len(new))
    return new + "".join(ch + new for ch in src)


def _wrap_with(width: int, sep: str, s: str) -> str:
    # a break goes at most at every space and every `width` characters: bound the separators inserted
    breaks = s.count(" ") + len(s) // max(width, 1) + 1
    bounds.ensure_string_size("wrapWith", len(s) + breaks * len(sep))
    return casing.wrap_custom(s, width, sep, True)


def _replace(old: str, new: str, src: str) -> str:
    if not old:
        return _replace_empty(src, new)
    if len(new) > len(old):
        bounds.ensure_string_size("replace", len(src) + src.count(old) * (len(new) - len(old)))
    return src.replace(old, new)


FUNCS = {
    "abbrev": gofunc("int", "string")(abbrev),
    "abbrevboth": gofunc("int", "int", "string")(abbrevboth),
    "trunc": gofunc("int", "string")(trunc),
    "trim": gofunc("string")(lambda s: s.strip(GO_SPACES)),
    "upper": gofunc("string")(_to_upper),
    "lower": gofunc("string")(_to_lower),
    "title": gofunc("string")(go_title),
    "untitle": gofunc("string")(casing.uncapitalize),
    "substr": gofunc("int", "int", "string")(substr),
    "repeat": gofunc("int", "string")(lambda count, s: _repeat(s, count)),
    "trimall": gofunc("string", "string")(lambda cutset, s: _trim_cutset(s, cutset)),
    "trimAll": gofunc("string", "string")(lambda cutset, s: _trim_cutset(s, cutset)),
    "trimSuffix": gofunc("string", "string")(lambda suffix, s: s[:-len(suffix)] if suffix and s.endswith(suffix)
                                             else s),
    "trimPrefix": gofunc("string", "string")(lambda prefix, s: s[len(prefix):] if s.startswith(prefix) else s),
    "nospace": gofunc("string")(_delete_white_space),
    "initials": gofunc("string")(casing.initials),
    "randAlphaNum": gofunc("int")(lambda n: _random_text(n, _RANDOM_ALNUM)),
    "randAlpha": gofunc("int")(lambda n: _random_text(n, _RANDOM_ALPHA)),
    "randAscii": gofunc("int")(lambda n: _random_text(n, _RANDOM_ASCII)),
    "randNumeric": gofunc("int")(lambda n: _random_text(n, pystring.digits)),
    "swapcase": gofunc("string")(casing.swap_case),
    "shuffle": gofunc("string")(_shuffle),
    "snakecase": gofunc("string")(lambda s: casing.camel_to_lower(s, "_")),
    "camelcase": gofunc("string")(casing.to_camel_case),
    "kebabcase": gofunc("string")(lambda s: casing.camel_to_lower(s, "-")),
    "wrap": gofunc("int", "string")(lambda width, s: casing.wrap_custom(s, width, "", False)),
    "wrapWith": gofunc("int", "string", "string")(lambda width, sep, s: _wrap_with(width, sep, s)),
    "contains": gofunc("string", "string")(lambda sub, s: sub in s),
    "hasPrefix": gofunc("string", "string")(lambda prefix, s: s.startswith(prefix)),
    "hasSuffix": gofunc("string", "string")(lambda suffix, s: s.endswith(suffix)),
    "quote": gofunc(variadic="any")(quote),
    "squote": gofunc(variadic="any")(squote),
    "cat": gofunc(variadic="any")(cat),
    "indent": gofunc("int", "string")(indent),
    "nindent": gofunc("int", "string")(nindent),
    "replace": gofunc("string", "string", "string")(_replace),
    "plural": gofunc("string", "string", "int")(lambda one, many, count: one if count == 1 else many),
    "toString": gofunc("any")(strval),
    "split": gofunc("string", "string")(split),
    "splitList": gofunc("string", "string")(lambda sep, orig: StringSlice(go_split(orig, sep))),
    "splitn": gofunc("string", "int", "string")(splitn),
    "toStrings": gofunc("any")(strslice),
    "join": gofunc("string", "any")(join),
}

