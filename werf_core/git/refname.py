"""git's ref-name rules (`git check-ref-format --allow-onelevel`), in Python, for names that come from outside.

Follows git's `check_refname_format` (refs.c) rule by rule:

1. no slash-separated component may be empty (so no leading or trailing `/`, no `//`), begin with `.`, or end
   with `.lock`;
2. no `..` anywhere;
3. no ASCII control character (below 0x20, and DEL), space, `~`, `^`, `:`, `?`, `*`, `[` or `\\`;
4. no trailing `.`;
5. no `@{`, and not `@` alone.

Characters above 0x7f are allowed (git accepts UTF-8 names; lone surrogates are refused). Added for names that end up on command lines: a name may not
begin with `-` (git would read it as an option) and is at most `MAX_LENGTH` bytes.
"""

from __future__ import annotations

__all__ = ["MAX_LENGTH", "refname_problem"]

MAX_LENGTH = 255
_FORBIDDEN = frozenset(" ~^:?*[\\")


def _component_problem(component: str) -> str | None:
    if not component:
        return "it may not contain empty path components (leading, trailing or double '/')"
    if component.startswith("."):
        return f"the component {component!r} begins with '.'"
    if component.endswith(".lock"):
        return f"the component {component!r} ends with '.lock'"
    return None


def refname_problem(name: str) -> str | None:
    """Why `name` is not a valid git ref name, or None when it is."""
    if not name:
        return "it is empty"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_LENGTH:
        return f"it is longer than {MAX_LENGTH} bytes"
    for char in name:
        code = ord(char)
        if code < 0x20 or code == 0x7f:
            return f"it contains the control character {char!r}"
        if 0xD800 <= code <= 0xDFFF:
            return "it is not valid UTF-8 (a lone surrogate)"
        if char in _FORBIDDEN:
            return f"it contains {char!r} (not allowed: space ~ ^ : ? * [ \\ and control characters)"
    if name.startswith("-"):
        return "it begins with '-'"
    if ".." in name:
        return "it contains '..'"
    if "@{" in name:
        return "it contains '@{'"
    if name == "@":
        return "it is '@'"
    if name.endswith("."):
        return "it ends with '.'"
    for component in name.split("/"):
        problem = _component_problem(component)
        if problem:
            return problem
    return None
