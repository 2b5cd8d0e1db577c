"""Go's fmt package for template values: Sprint, Sprintln, Sprintf and the `%v` text of any value.

Covers the verbs templates use (`%v %+v %#v %T %t %d %b %o %O %x %X %c %q %U %e %E %f %F %g %G %s %%`), flags
`+ - # 0 space`, width and precision (also `*`), argument indexes (`%[2]d`), and Go's error spellings for bad input
(`%!d(string=x)`, `%!d(MISSING)`, `%!(EXTRA int=1)`, `%!(NOVERB)`).
"""

from __future__ import annotations

from typing import Any

from werf_core.config.gotemplate import bounds, gostrconv
from werf_core.config.gotemplate.values import MISSING, GoObject, go_type_of, is_int, sorted_map_items
from werf_core.config.limits import MAX_STRING_CHARS


class _Spec:
    __slots__ = ("plus", "minus", "sharp", "space", "zero", "width", "prec", "plus_v", "sharp_v")

    def __init__(self):
        self.plus = self.minus = self.sharp = self.space = self.zero = False
        self.plus_v = self.sharp_v = False
        self.width: int | None = None
        self.prec: int | None = None


_PLAIN = _Spec()



# Go's fmt ignores widths and precisions over a million (tooLarge): `%99999999d` cannot allocate gigabytes
_MAX_WIDTH = 1_000_000


def _too_large(x: int) -> bool:
    return x > _MAX_WIDTH or x < -_MAX_WIDTH


def _parse_num(fmt: str, i: int) -> tuple[int | None, int]:
    """fmt's parsenum: the decimal number at i (None if there is none), and the index after it. A number that grows
    too large is no number, and like Go it swallows the rest of the format."""
    num = 0
    start = i
    while i < len(fmt) and "0" <= fmt[i] <= "9":
        if _too_large(num):
            return None, len(fmt)
        num = num * 10 + ord(fmt[i]) - 48
        i += 1
    return (num if i > start else None), i

def _pad(s: str, spec: _Spec) -> str:
    if spec.width is None:
        return s
    n = spec.width - len(s)
    if n <= 0:
        return s
    if spec.minus:
        return s + " " * n
    if spec.zero:
        return "0" * n + s
    return " " * n + s


def _pad_number(sign: str, body: str, spec: _Spec, zero_ok: bool = True) -> str:
    """Pad a formatted number, putting zero padding between the sign and the digits like Go."""
    s = sign + body
    if spec.width is None or len(s) >= spec.width:
        return s
    n = spec.width - len(s)
    if spec.minus:
        return s + " " * n
    if spec.zero and zero_ok:
        return sign + "0" * n + body
    return " " * n + s


# ---------------------------------------------------------------- value text (%v)


def value_text(v: Any) -> str:
    """What fmt.Sprint prints for one value."""
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return gostrconv.format_float(v, "g", -1)
    return _format(v, "v", _PLAIN)


def sprint(*args: Any) -> str:
    """fmt.Sprint: operands separated by a space when neither side is a string."""
    out = []
    prev_string = True
    for i, a in enumerate(args):
        is_string = type(a) is str
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(value_text(a))
        prev_string = is_string
    return "".join(out)


def sprintln(*args: Any) -> str:
    return " ".join(value_text(a) for a in args) + "\n"


# ---------------------------------------------------------------- per-kind formatters


def _bad_verb(verb: str, v: Any) -> str:
    if v is None or v is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type_of(v)}={_format(v, 'v', _PLAIN)})"


def _fmt_int(v: int, verb: str, spec: _Spec, type_name: str) -> str:
    if verb in "vd":
        if spec.sharp_v and type_name != "int":
            return f"{type_name}({v})"
        digits = str(abs(v))
        base_prefix = ""
    elif verb == "b":
        digits = format(abs(v), "b")
        base_prefix = "0b" if spec.sharp else ""
    elif verb == "o":
        digits = format(abs(v), "o")
        base_prefix = "0" if spec.sharp and digits != "0" else ""
    elif verb == "O":
        digits = format(abs(v), "o")
        base_prefix = "0o"
    elif verb in "xX":
        digits = format(abs(v), "x" if verb == "x" else "X")
        base_prefix = ("0x" if verb == "x" else "0X") if spec.sharp else ""
    elif verb == "c":
        return _pad(_rune_text(v), spec)
    elif verb == "q":
        return _pad(gostrconv.quote_rune(v, ascii_only=spec.plus), spec)
    elif verb == "U":
        cp = v
        s = f"U+{cp:04X}"
        if spec.sharp and 0 <= cp <= 0x10FFFF and gostrconv.is_print(chr(cp)):
            s += f" '{chr(cp)}'"
        return _pad(s, spec)
    elif verb in "eEfFgG":
        return _fmt_float(float(v), verb, spec)
    else:
        return _bad_verb(verb, v)
    if spec.prec is not None:
        if spec.prec == 0 and v == 0:
            digits = ""
        elif len(digits) < spec.prec:
            digits = "0" * (spec.prec - len(digits)) + digits
    sign = "-" if v < 0 else ("+" if spec.plus else (" " if spec.space else ""))
    # Go ignores the 0 flag when a precision is given for integers
    return _pad_number(sign + base_prefix, digits, spec, zero_ok=spec.prec is None)


def _rune_text(cp: int) -> str:
    if cp < 0 or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
        return "\ufffd"
    return chr(cp)


def _fmt_float(v: float, verb: str, spec: _Spec) -> str:
    if verb == "v":
        verb_char, prec = "g", -1
    elif verb in "gG":
        verb_char, prec = verb, -1
    elif verb in "eEfF":
        verb_char, prec = ("f" if verb == "F" else verb), 6
    elif verb in "xX":
        verb_char, prec = verb, -1
    else:
        return _bad_verb(verb, v)
    if spec.prec is not None:
        prec = spec.prec
    num = gostrconv.format_float(v, verb_char, prec)
    if num in ("NaN", "+Inf", "-Inf"):
        if num == "+Inf" and spec.space and not spec.plus:
            num = " Inf"
        elif num == "NaN" and (spec.plus or spec.space):
            num = ("+" if spec.plus else " ") + "NaN"
        old_zero = spec.zero
        spec.zero = False
        try:
            return _pad(num, spec)
        finally:
            spec.zero = old_zero
    if spec.sharp and verb_char in "gG" and "." not in num:
        mant, e, exp = num.partition("e" if verb_char == "g" else "E")
        digits_wanted = 6 if prec < 0 else prec
        n_digits = len(mant.lstrip("-").replace(".", ""))
        mant += "." + "0" * max(digits_wanted - n_digits, 0)
        num = mant + (e + exp if e else "")
    sign = ""
    if num.startswith("-"):
        sign, num = "-", num[1:]
    elif spec.plus:
        sign = "+"
    elif spec.space:
        sign = " "
    return _pad_number(sign, num, spec)


def _fmt_complex(v: complex, verb: str, spec: _Spec) -> str:
    if verb not in "vbgGxXfFeE":
        return _bad_verb(verb, v)
    inner = _Spec()
    inner.prec = spec.prec
    inner.sharp = spec.sharp
    real = _fmt_float(v.real, verb, inner)
    inner.plus = True
    imag = _fmt_float(v.imag, verb, inner)
    return _pad("(" + real + imag + "i)", spec)


def _fmt_string(s: str, verb: str, spec: _Spec) -> str:
    if verb in "vs":
        if spec.sharp_v:
            return gostrconv.quote(s)
        if spec.prec is not None:
            s = s[:spec.prec]  # precision counts runes
        return _pad(s, spec)
    if verb == "q":
        if spec.prec is not None:
            s = s[:spec.prec]
        if spec.sharp and gostrconv.can_backquote(s):
            return _pad("`" + s + "`", spec)
        return _pad(gostrconv.quote(s, ascii_only=spec.plus), spec)
    if verb in "xX":
        data = gostrconv.to_bytes(s)
        if spec.prec is not None:
            data = data[:spec.prec]
        hexes = [format(b, "02x" if verb == "x" else "02X") for b in data]
        prefix = ("0x" if verb == "x" else "0X") if spec.sharp else ""
        sep = " " if spec.space else ""
        if spec.space:
            text = sep.join(prefix + h for h in hexes)
        else:
            text = prefix + "".join(hexes) if hexes else ""
        return _pad(text, spec)
    return _bad_verb(verb, s)


def _fmt_bool(v: bool, verb: str, spec: _Spec) -> str:
    if verb in "tv":
        return _pad("true" if v else "false", spec)
    return _bad_verb(verb, v)


def _fmt_list(v: list, verb: str, spec: _Spec) -> str:
    if spec.sharp_v:
        inner = ", ".join(_format(e, verb, spec) for e in v)
        return go_type_of(v) + "{" + inner + "}"
    return "[" + " ".join(_format(e, verb, spec) for e in v) + "]"


def _fmt_map(v: dict, verb: str, spec: _Spec) -> str:
    items = sorted_map_items(v)
    if spec.sharp_v:
        inner = ", ".join(_format(k, verb, spec) + ":" + _format(val, verb, spec) for k, val in items)
        return go_type_of(v) + "{" + inner + "}"
    return "map[" + " ".join(_format(k, verb, spec) + ":" + _format(val, verb, spec) for k, val in items) + "]"


def _format(v: Any, verb: str, spec: _Spec) -> str:
    if verb == "T":
        return _pad(go_type_of(v), spec)
    t = type(v)
    if t is str:
        return _fmt_string(v, verb, spec)
    if t is bool:
        return _fmt_bool(v, verb, spec)
    if getattr(t, "is_stringer", False) and verb in "vsqxX" and not spec.sharp_v:
        return _fmt_string(v.go_string(), "s" if verb == "v" else verb, spec)
    if is_int(v):
        return _fmt_int(int(v), verb, spec, go_type_of(v))
    if t is float:
        return _fmt_float(v, verb, spec)
    if v is None or v is MISSING:
        if verb == "v":
            return _pad("<nil>", spec)
        return _bad_verb(verb, None)
    if isinstance(v, list):
        return _fmt_list(v, verb, spec)
    if isinstance(v, dict):
        return _fmt_map(v, verb, spec)
    if t is complex:
        return _fmt_complex(v, verb, spec)
    if isinstance(v, GoObject):
        if verb in "vsqxX":
            text = v.go_string()
            if getattr(v, "is_stringer", False):
                return _fmt_string(text, verb, spec)
            if verb == "v":
                return _pad(text, spec)
        return _bad_verb(verb, v)
    if callable(v):
        return _pad("0xc000010000", spec) if verb in "vp" else _bad_verb(verb, v)
    return _pad(str(v), spec)


def format_value(v: Any, verb: str = "v") -> str:
    return _format(v, verb, _PLAIN)


# ---------------------------------------------------------------- Sprintf


def sprintf(fmt: str, *args: Any) -> str:
    out: list[str] = []
    size = 0
    argnum = 0
    reordered = False
    n = len(fmt)
    i = 0
    nargs = len(args)
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        if j > i:
            out.append(fmt[i:j])
        i = j + 1
        spec = _Spec()
        # flags
        while i < n:
            c = fmt[i]
            if c == "#":
                spec.sharp = True
            elif c == "0":
                spec.zero = not spec.minus
            elif c == "+":
                spec.plus = True
            elif c == "-":
                spec.minus = True
                spec.zero = False
            elif c == " ":
                spec.space = True
            else:
                break
            i += 1
        # argument index, width
        argnum, i, reordered_now = _arg_index(fmt, i, argnum, nargs)
        reordered = reordered or reordered_now
        bad = False
        if i < n and fmt[i] == "*":
            i += 1
            if argnum < nargs and is_int(args[argnum]) and not _too_large(int(args[argnum])):
                spec.width = int(args[argnum])
                if spec.width < 0:
                    spec.minus = True
                    spec.zero = False
                    spec.width = -spec.width
                argnum += 1
            else:
                out.append("%!(BADWIDTH)")
                argnum += 1 if argnum < nargs else 0
            reordered_after = False
        else:
            spec.width, i = _parse_num(fmt, i)
            reordered_after = False
        # precision
        if i < n and fmt[i] == ".":
            i += 1
            argnum, i, r2 = _arg_index(fmt, i, argnum, nargs)
            reordered = reordered or r2
            if i < n and fmt[i] == "*":
                i += 1
                if argnum < nargs and is_int(args[argnum]) and not _too_large(int(args[argnum])):
                    spec.prec = int(args[argnum])
                    if spec.prec < 0:
                        spec.prec = None
                    argnum += 1
                else:
                    out.append("%!(BADPREC)")
                    argnum += 1 if argnum < nargs else 0
            else:
                prec, i = _parse_num(fmt, i)
                spec.prec = 0 if prec is None else prec
        argnum, i, r3 = _arg_index(fmt, i, argnum, nargs)
        reordered = reordered or r3 or reordered_after
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if bad:
            continue
        if argnum >= nargs:
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[argnum]
        argnum += 1
        if verb == "v":
            if spec.sharp:
                spec.sharp = False
                spec.sharp_v = True
            if spec.plus:
                spec.plus = False
                spec.plus_v = True
        if verb == "w":
            verb = "v"
        piece = _format(arg, verb, spec)
        size += len(piece)
        if size > MAX_STRING_CHARS:
            # `%[1]v` a million times over one big argument: stop before the text is joined
            raise bounds.string_too_long("the result of printf", size)
        out.append(piece)
    if not reordered and argnum < nargs:
        extra = ", ".join(
            "<nil>" if a is None or a is MISSING else f"{go_type_of(a)}={_format(a, 'v', _PLAIN)}"
            for a in args[argnum:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _arg_index(fmt: str, i: int, argnum: int, nargs: int) -> tuple[int, int, bool]:
    """Parse an optional `[n]` argument index at fmt[i]."""
    if i >= len(fmt) or fmt[i] != "[":
        return argnum, i, False
    end = fmt.find("]", i)
    if end < 0:
        return argnum, i, False
    text = fmt[i + 1:end]
    if text.isdigit() and 1 <= int(text) <= nargs:
        return int(text) - 1, end + 1, True
    return argnum, end + 1, True
