"""Go's strconv rules we need: quoting (`%q`), literal unquoting, number parsing, float formatting, byte lengths.

Go strings are byte sequences. We carry them as Python str, with bytes that are not valid UTF-8 kept as surrogate
escapes (U+DC80..U+DCFF), so `len`, `trunc`, `b64enc` and friends can work on the exact bytes.
"""

from __future__ import annotations

import math
import re
import unicodedata

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1


# ---------------------------------------------------------------- bytes


def to_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def from_bytes(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def byte_len(s: str) -> int:
    if s.isascii():
        return len(s)
    return len(to_bytes(s))


def byte_slice(s: str, start: int, end: int | None = None) -> str:
    if s.isascii():
        return s[start:end]
    return from_bytes(to_bytes(s)[start:end])


# ---------------------------------------------------------------- quoting

_SHORT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
                  "\\": "\\\\"}


def is_print(ch: str) -> bool:
    """unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space."""
    if ch == " ":
        return True
    cat = unicodedata.category(ch)
    return cat[0] in "LMNPS"


def _escape_rune(ch: str, quote: str, ascii_only: bool) -> str:
    if ch == quote:
        return "\\" + ch
    esc = _SHORT_ESCAPES.get(ch)
    if esc is not None:
        return esc
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:  # an invalid UTF-8 byte carried as a surrogate escape
        return f"\\x{cp - 0xDC00:02x}"
    if cp < 0x80:
        if is_print(ch):
            return ch
        return f"\\x{cp:02x}"
    if not ascii_only and is_print(ch):
        return ch
    if 0xD800 <= cp <= 0xDFFF:
        return "\\ufffd"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def quote(s: str, ascii_only: bool = False) -> str:
    """strconv.Quote (or QuoteToASCII): a double-quoted Go string literal."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    return '"' + "".join(_escape_rune(ch, '"', ascii_only) for ch in s) + '"'


def quote_rune(cp: int, ascii_only: bool = False) -> str:
    """strconv.QuoteRune: a single-quoted Go rune literal (invalid runes become U+FFFD)."""
    if cp < 0 or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
        cp = 0xFFFD
    return "'" + _escape_rune(chr(cp), "'", ascii_only) + "'"


def can_backquote(s: str) -> bool:
    for ch in s:
        if ch == "`" or ch == "\ufeff":
            return False
        if ch != "\t" and (ord(ch) < 0x20 or ord(ch) == 0x7F):
            return False
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            return False
    return True


# ---------------------------------------------------------------- unquoting

_SIMPLE_UNESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unquote_char(s: str, i: int, quote: str) -> tuple[str, int]:
    """strconv.UnquoteChar at s[i]: returns (decoded text, next index). Raises ValueError on bad syntax."""
    ch = s[i]
    if ch == quote and quote in "'\"":
        raise ValueError("invalid syntax")
    if ch != "\\":
        return ch, i + 1
    if i + 1 >= len(s):
        raise ValueError("invalid syntax")
    c = s[i + 1]
    i += 2
    if c in _SIMPLE_UNESCAPES:
        return _SIMPLE_UNESCAPES[c], i
    if c in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[c]
        digits = s[i:i + n]
        if len(digits) < n or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise ValueError("invalid syntax")
        value = int(digits, 16)
        i += n
        if c == "x":
            # a single byte: ASCII as itself, anything else as a raw byte
            return (chr(value) if value < 0x80 else chr(0xDC00 + value)), i
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            raise ValueError("invalid syntax")
        return chr(value), i
    if c in "01234567":
        digits = s[i - 1:i + 2]
        if len(digits) < 3 or any(d not in "01234567" for d in digits):
            raise ValueError("invalid syntax")
        value = int(digits, 8)
        if value > 255:
            raise ValueError("invalid syntax")
        return (chr(value) if value < 0x80 else chr(0xDC00 + value)), i + 2
    if c == quote and quote in "'\"":
        return c, i
    raise ValueError("invalid syntax")


def unquote(literal: str) -> str:
    """strconv.Unquote for "..." and `...` literals. Raises ValueError("invalid syntax")."""
    if len(literal) < 2:
        raise ValueError("invalid syntax")
    q = literal[0]
    if q != literal[-1]:
        raise ValueError("invalid syntax")
    body = literal[1:-1]
    if q == "`":
        if "`" in body:
            raise ValueError("invalid syntax")
        return body.replace("\r", "")
    if q != '"':
        raise ValueError("invalid syntax")
    if "\n" in body:
        raise ValueError("invalid syntax")
    if "\\" not in body and '"' not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        text, i = unquote_char(body, i, '"')
        out.append(text)
    return "".join(out)


# ---------------------------------------------------------------- numbers


_INT_LITERAL = re.compile(
    r"(?P<dec>[1-9](?:_?[0-9])*|0)"
    r"|0[xX](?P<hex>(?:_?[0-9a-fA-F])+)"
    r"|0[oO](?P<oct>(?:_?[0-7])+)"
    r"|0[bB](?P<bin>(?:_?[01])+)"
    r"|0(?P<legacy>(?:_?[0-7])+)"
)
_DEC_FLOAT = re.compile(r"(?=\.?[0-9])(?:[0-9](?:_?[0-9])*)?(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?")
_HEX_FLOAT = re.compile(r"0[xX](?:_?[0-9a-fA-F])*(?:\.(?:[0-9a-fA-F](?:_?[0-9a-fA-F])*)?)?[pP][+-]?[0-9](?:_?[0-9])*")


def parse_int(text: str, bits_unsigned: bool = False) -> int:
    """strconv.ParseInt(text, 0, 64) / ParseUint: sign, 0x/0o/0b/0 prefixes, underscores. Raises ValueError."""
    s = text
    neg = False
    if s[:1] in "+-":
        if bits_unsigned:
            raise ValueError("invalid syntax")
        neg = s[0] == "-"
        s = s[1:]
    m = _INT_LITERAL.fullmatch(s)
    if m is None:
        raise ValueError("invalid syntax")
    for group, base in (("dec", 10), ("hex", 16), ("oct", 8), ("bin", 2), ("legacy", 8)):
        digits = m.group(group)
        if digits is not None:
            value = int(digits.replace("_", ""), base)
            break
    if neg:
        value = -value
    if bits_unsigned:
        if value > UINT64_MAX:
            raise ValueError("value out of range")
    elif not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("value out of range")
    return value


def parse_float(text: str) -> float:
    """strconv.ParseFloat(text, 64) for Go literal syntax (decimal and hex floats, underscores)."""
    s = text
    sign = 1.0
    if s[:1] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    low = s.lower()
    if low in ("inf", "infinity"):
        return sign * math.inf
    if low == "nan":
        return math.nan
    if _HEX_FLOAT.fullmatch(s):
        body = s[2:].replace("_", "")
        mant, _, exp = body.lower().partition("p")
        return sign * float.fromhex("0x" + (mant or "0") + "p" + exp)
    if _DEC_FLOAT.fullmatch(s) and s:
        return sign * float(s.replace("_", ""))
    raise ValueError("invalid syntax")


class NumberInfo:
    """What Go's parser knows about a number literal (parse.NumberNode)."""

    __slots__ = ("text", "is_int", "is_uint", "is_float", "is_complex", "int64", "uint64", "float64", "complex128")

    def __init__(self, text: str):
        self.text = text
        self.is_int = self.is_uint = self.is_float = self.is_complex = False
        self.int64 = 0
        self.uint64 = 0
        self.float64 = 0.0
        self.complex128 = 0j


def parse_number(text: str, is_char: bool = False, is_complex: bool = False) -> NumberInfo:
    """Classify a number literal like Go's parse.newNumber. Raises ValueError with Go's message."""
    n = NumberInfo(text)
    if is_char:
        decoded, end = unquote_char(text, 1, "'")
        if text[end:] != "'":
            raise ValueError(f"malformed character constant: {text}")
        cp = ord(decoded) if len(decoded) == 1 else 0xFFFD
        if 0xDC80 <= cp <= 0xDCFF:
            cp -= 0xDC00
        n.is_int = n.is_uint = n.is_float = True
        n.int64 = n.uint64 = cp
        n.float64 = float(cp)
        return n
    if is_complex:
        # "1+2i": split at the last sign that is not an exponent sign
        body = text[:-1]
        for i in range(len(body) - 1, 0, -1):
            if body[i] in "+-" and body[i - 1] not in "eEpP":
                real, imag = body[:i], body[i:]
                break
        else:
            raise ValueError(f"illegal number syntax: {quote(text)}")
        n.is_complex = True
        n.complex128 = complex(parse_float(real), parse_float(imag))
        _simplify_complex(n)
        return n
    if text.endswith("i"):
        try:
            f = parse_float(text[:-1])
        except ValueError:
            pass
        else:
            n.is_complex = True
            n.complex128 = complex(0, f)
            _simplify_complex(n)
            return n
    try:
        n.uint64 = parse_int(text, bits_unsigned=True)
        n.is_uint = True
    except ValueError:
        pass
    try:
        n.int64 = parse_int(text)
        n.is_int = True
        if n.int64 == 0:
            n.is_uint = True
            n.uint64 = 0
    except ValueError:
        pass
    if n.is_int:
        n.is_float = True
        n.float64 = float(n.int64)
    elif n.is_uint:
        n.is_float = True
        n.float64 = float(n.uint64)
    else:
        try:
            f = parse_float(text)
        except (ValueError, OverflowError):
            f = None
        if f is not None:
            if not any(c in text for c in ".eEpP"):
                raise ValueError(f"integer overflow: {quote(text)}")
            _set_float(n, f)
    if not (n.is_int or n.is_uint or n.is_float):
        raise ValueError(f"illegal number syntax: {quote(text)}")
    return n


def _simplify_complex(n: NumberInfo) -> None:
    c = n.complex128
    if c.imag == 0:
        _set_float(n, c.real)


def _set_float(n: NumberInfo, f: float) -> None:
    """A float constant, also an int / uint when it is a whole number in range (Go's parse.NumberNode rules)."""
    n.is_float = True
    n.float64 = f
    if math.isfinite(f) and f == int(f):
        iv = int(f)
        if INT64_MIN <= iv <= INT64_MAX:
            n.is_int = True
            n.int64 = iv
        if 0 <= iv <= UINT64_MAX:
            n.is_uint = True
            n.uint64 = iv


# ---------------------------------------------------------------- float formatting


def _decimal_digits(f: float, prec: int | None, mode: str) -> tuple[str, int]:
    """Digits and decimal point position (value = 0.DIGITS * 10**dp) of abs(f).

    prec None: the shortest digits that round-trip (Go's -1 precision). Otherwise rounded (half-even on the exact
    binary value, like Go) to `prec` significant digits (mode 'e'/'g') or `prec` decimals (mode 'f').
    """
    f = abs(f)
    if f == 0:
        if prec is None:
            return "0", 1
        return "0" * max(prec, 1), 1
    if prec is None:
        r = repr(f)
        mant, _, exp = r.partition("e")
        e = int(exp) if exp else 0
        intpart, _, frac = mant.partition(".")
        digits = (intpart + frac).lstrip("0")
        dp = len(intpart) + e
        if intpart == "0":
            stripped = frac.lstrip("0")
            dp = e - (len(frac) - len(stripped))
            digits = stripped
        digits = digits.rstrip("0") or "0"
        return digits, dp
    if mode == "f":
        s = f"{f:.{prec}f}"
        intpart, _, frac = s.partition(".")
        if intpart == "0":
            digits = frac
            dp = 0
            stripped = digits.lstrip("0")
            if not stripped:
                return "0" * max(len(frac), 1), 1
            dp = -(len(digits) - len(stripped))
            return stripped, dp
        return intpart + frac, len(intpart)
    s = f"{f:.{max(prec - 1, 0)}e}"
    mant, _, exp = s.partition("e")
    digits = mant.replace(".", "")
    return digits, int(exp) + 1


def _fmt_e(neg: bool, digits: str, dp: int, prec: int, e_char: str) -> str:
    first = digits[0] if digits else "0"
    out = ["-" if neg else "", first]
    if prec > 0:
        rest = digits[1:1 + prec]
        rest += "0" * (prec - len(rest))
        out.append("." + rest)
    exp = dp - 1 if digits and digits != "0" * len(digits) else 0
    sign = "+" if exp >= 0 else "-"
    exp = abs(exp)
    out.append(f"{e_char}{sign}{exp:02d}")
    return "".join(out)


def _fmt_f(neg: bool, digits: str, dp: int, prec: int) -> str:
    out = ["-" if neg else ""]
    if dp > 0:
        intpart = digits[:dp]
        intpart += "0" * (dp - len(intpart))
        out.append(intpart)
    else:
        out.append("0")
    if prec > 0:
        frac = []
        for i in range(prec):
            j = dp + i
            frac.append(digits[j] if 0 <= j < len(digits) else "0")
        out.append("." + "".join(frac))
    return "".join(out)


def format_float(f: float, fmt: str, prec: int = -1) -> str:
    """strconv.FormatFloat(f, fmt, prec, 64) for fmt in e E f F g G."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    neg = math.copysign(1.0, f) < 0
    shortest = prec < 0
    lower = fmt.lower()
    if lower == "x":
        return _fmt_hex(neg, abs(f), prec, fmt == "X")
    if lower == "e":
        digits, dp = _decimal_digits(f, None if shortest else prec + 1, "e")
        if shortest:
            prec = len(digits) - 1
        return _fmt_e(neg, digits, dp, prec, fmt)
    if lower == "f":
        digits, dp = _decimal_digits(f, None if shortest else prec, "f")
        if shortest:
            prec = max(len(digits) - dp, 0)
        return _fmt_f(neg, digits, dp, prec)
    # %g
    if shortest:
        digits, dp = _decimal_digits(f, None, "e")
        eprec = 6
        prec = len(digits)
    else:
        if prec == 0:
            prec = 1
        digits, dp = _decimal_digits(f, prec, "e")
        digits = digits.rstrip("0") or "0"
        eprec = prec
        if eprec > len(digits) and len(digits) >= dp:
            eprec = len(digits)
    if f == 0:
        digits, dp = "0", 1
    exp = dp - 1
    if exp < -4 or exp >= eprec:
        if prec > len(digits):
            prec = len(digits)
        return _fmt_e(neg, digits, dp, prec - 1, "e" if fmt == "g" else "E")
    if prec > dp:
        prec = len(digits)
    return _fmt_f(neg, digits, dp, max(prec - dp, 0))


def _fmt_hex(neg: bool, f: float, prec: int, upper: bool) -> str:
    """%x of a float: -0x1.cp+01 (hex mantissa 1.xxx, binary exponent with at least two digits)."""
    if f == 0:
        lead, frac_digits, exp = 0, "", 0
        if prec > 0:
            frac_digits = "0" * prec
    else:
        m, e = math.frexp(f)  # f = m * 2**e, 0.5 <= m < 1
        bits = int(m * (1 << 53))  # 1.fff... with 52 fraction bits
        exp = e - 1
        frac = bits - (1 << 52)
        lead = 1
        if prec >= 0 and prec < 13:
            shift = 52 - 4 * prec
            frac, rem = divmod(frac, 1 << shift)
            half = 1 << (shift - 1)
            if rem > half or (rem == half and frac & 1):
                frac += 1
            if frac >> (4 * prec):
                frac = 0
                exp += 1
            frac_digits = f"{frac:0{prec}x}" if prec else ""
        else:
            frac_digits = f"{frac:013x}"
            frac_digits = frac_digits.rstrip("0") if prec < 0 else frac_digits + "0" * (prec - 13)
    text = f"0x{lead}" + ("." + frac_digits if frac_digits else "") + f"p{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    if upper:
        text = text.upper()
    return ("-" if neg else "") + text
