"""Go's `path.Clean`, which werf applies to every path in werf.yaml and Sprig's `clean` exposes to templates."""

from __future__ import annotations


def clean(path: str) -> str:
    """The shortest equivalent slash-separated path: collapse `//`, drop `.`, resolve `..` (never above a leading
    `/`); "" → "."; no trailing slash except for "/" itself."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(segment)
    joined = "/".join(parts)
    if rooted:
        return "/" + joined
    return joined or "."


def climbs_out(path: str) -> bool:
    """Whether a `..` segment of `path` goes above its starting point: "/../x", "a/../../x", "../x" do; "/a/../x"
    does not. `clean` silently drops such segments for rooted paths ("/../x" → "/x"), which hides a mistake (or an
    attempt to leave a directory) that werf reports."""
    depth = 0
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if depth == 0:
                return True
            depth -= 1
        else:
            depth += 1
    return False
