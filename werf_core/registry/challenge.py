"""`WWW-Authenticate` challenges (RFC 7235), as registries send them on 401.

    Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:app:pull,push"
    Basic realm="Registry Realm"

Parameter values may be quoted strings with commas and backslash escapes inside, so a naive split on `,` breaks on
scopes like `repository:app:pull,push`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# token68 (RFC 7235) adds these; a few servers put such values unquoted.
_VALUE_CHARS = _TCHARS | frozenset("/:=@[]")


@dataclass(frozen=True)
class Challenge:
    scheme: str                                   # lower-case: "bearer", "basic", ...
    params: dict[str, str] = field(default_factory=dict)   # keys lower-case

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        return self.params.get("service")

    @property
    def scopes(self) -> tuple[str, ...]:
        """The `scope` parameter, which may list several space-separated scopes."""
        return tuple(self.params.get("scope", "").split())

    @property
    def error(self) -> str | None:
        """`invalid_token`, `insufficient_scope`, ... when the server says why a token was refused."""
        return self.params.get("error")


def _skip_spaces(s: str, i: int) -> int:
    while i < len(s) and s[i] in " \t":
        i += 1
    return i


def _read(s: str, i: int, chars: frozenset[str]) -> tuple[str, int]:
    start = i
    while i < len(s) and s[i] in chars:
        i += 1
    return s[start:i], i


def _read_quoted(s: str, i: int) -> tuple[str, int]:
    """`s[i]` is the opening quote; returns the unescaped value and the index after the closing quote."""
    out = []
    i += 1
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), i  # unterminated: take what is there


def parse_www_authenticate(header: str | None) -> list[Challenge]:
    """All challenges in one header value, in order. Malformed input yields what could be read, never raises."""
    s = header or ""
    challenges: list[Challenge] = []
    i = 0
    while i < len(s):
        i = _skip_spaces(s, i)
        while i < len(s) and s[i] in ", \t":
            i += 1
        scheme, i = _read(s, i, _TCHARS)
        if not scheme:
            i += 1  # stray character: skip it
            continue
        params: dict[str, str] = {}
        while True:
            j = _skip_spaces(s, i)
            name, k = _read(s, j, _TCHARS)
            k = _skip_spaces(s, k)
            if not name or k >= len(s) or s[k] != "=":
                i = j  # not a parameter: the next challenge starts here (or we are at the end)
                break
            k = _skip_spaces(s, k + 1)
            if k < len(s) and s[k] == '"':
                value, k = _read_quoted(s, k)
            else:
                value, k = _read(s, k, _VALUE_CHARS)
            params[name.lower()] = value
            i = _skip_spaces(s, k)
            if i < len(s) and s[i] == ",":
                i += 1
                continue
            break
        challenges.append(Challenge(scheme.lower(), params))
    return challenges


def preferred_challenge(challenges: list[Challenge]) -> Challenge | None:
    """Bearer if offered (it can carry credentials *and* scopes), else Basic, else None."""
    for wanted in ("bearer", "basic"):
        for challenge in challenges:
            if challenge.scheme == wanted:
                return challenge
    return None
