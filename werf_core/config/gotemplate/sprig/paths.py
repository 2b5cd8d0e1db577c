"""Sprig's path, OS, network and URL functions: Go's path.Base/Dir/Clean/Ext/IsAbs (and the filepath twins),
os.ExpandEnv, a host lookup, and url.Parse/URL.String as dictionaries."""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.values import go_kind_of
from werf_core.gopath import clean as go_path_clean

clean = go_path_clean  # path.Clean


def base(path: str) -> str:
    if path == "":
        return "."
    path = path.rstrip("/")
    if path == "":
        return "/"
    return path[path.rfind("/") + 1:]


def dirname(path: str) -> str:
    i = path.rfind("/")
    return clean(path[:i + 1])


def ext(path: str) -> str:
    for i in range(len(path) - 1, -1, -1):
        if path[i] == "/":
            break
        if path[i] == ".":
            return path[i:]
    return ""


def _is_shell_special(ch: str) -> bool:
    return ch in "*#$@!?-0123456789"


def _shell_name(s: str) -> tuple[str, int]:
    if s[0] == "{":
        if len(s) > 2 and _is_shell_special(s[1]) and s[2] == "}":
            return s[1:2], 3
        for i in range(1, len(s)):
            if s[i] == "}":
                if i == 1:
                    return "", 2  # bad syntax: "${}" is eaten
                return s[1:i], i + 1
        return "", 1  # bad syntax: "${" is eaten
    if _is_shell_special(s[0]):
        return s[0:1], 1
    i = 0
    while i < len(s) and (s[i] == "_" or (s[i].isascii() and s[i].isalnum())):
        i += 1
    return s[:i], i


def expand(s: str, mapping: Callable[[str], str]) -> str:
    """os.Expand: replace $var and ${var} using mapping."""
    out: list[str] = []
    i = 0
    j = 0
    n = len(s)
    while j < n:
        if s[j] == "$" and j + 1 < n:
            out.append(s[i:j])
            name, w = _shell_name(s[j + 1:])
            if name == "" and w > 0:
                pass
            elif name == "":
                out.append(s[j])
            else:
                out.append(mapping(name))
            j += w
            i = j + 1
        j += 1
    return "".join(out) + s[i:]


def _host_by_name(name: str) -> str:
    try:
        infos = socket.getaddrinfo(name, None)
    except (OSError, UnicodeError):
        raise GoError("invalid argument to Intn") from None
    addrs = sorted({info[4][0] for info in infos})
    if not addrs:
        raise GoError("invalid argument to Intn")
    return str(addrs[0])


def url_parse(v: str) -> dict[str, Any]:
    try:
        parts = urlsplit(v)
        hostname = parts.hostname or ""
        if parts.netloc.startswith("[") and "]" in parts.netloc:
            hostname = parts.netloc[1:parts.netloc.index("]")]
    except ValueError as err:
        raise GoError(f"unable to parse url: {err}") from None
    netloc = parts.netloc
    userinfo = ""
    host = netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
    opaque = ""
    path = unquote(parts.path)
    if parts.scheme and not netloc and not parts.path.startswith("/") and "://" not in v:
        opaque, path = parts.path, ""
    return {
        "scheme": parts.scheme,
        "host": host,
        "hostname": hostname,
        "path": path,
        "query": parts.query,
        "opaque": opaque,
        "fragment": unquote(parts.fragment),
        "userinfo": userinfo,
    }


def _dict_str(d: Mapping[str, Any], key: str) -> str:
    if key not in d:
        return ""
    value = d[key]
    if type(value) is not str:
        raise GoError(f"unable to parse {key} key, must be of type string, but {go_kind_of(value)} found")
    return value


def url_join(d: dict[str, Any] | None) -> str:
    d = d or {}
    scheme = _dict_str(d, "scheme")
    host = _dict_str(d, "host")
    path = _dict_str(d, "path")
    query = _dict_str(d, "query")
    opaque = _dict_str(d, "opaque")
    fragment = _dict_str(d, "fragment")
    userinfo = _dict_str(d, "userinfo")
    out = []
    if scheme:
        out.append(scheme + ":")
    if opaque:
        out.append(opaque)
    else:
        if scheme or host or userinfo:
            if host or path or userinfo:
                out.append("//")
            if userinfo:
                out.append(userinfo + "@")
            out.append(host)
        if path and not path.startswith("/") and host:
            out.append("/")
        out.append(quote(path, safe="/:@!$&'()*+,;=-._~"))
    if query:
        out.append("?" + query)
    if fragment:
        out.append("#" + quote(fragment, safe="/:@!$&'()*+,;=-._~?"))
    return "".join(out)


FUNCS = {
    "base": gofunc("string")(base),
    "dir": gofunc("string")(dirname),
    "clean": gofunc("string")(clean),
    "ext": gofunc("string")(ext),
    "isAbs": gofunc("string")(lambda p: p.startswith("/")),
    "osBase": gofunc("string")(base),
    "osDir": gofunc("string")(dirname),
    "osClean": gofunc("string")(clean),
    "osExt": gofunc("string")(ext),
    "osIsAbs": gofunc("string")(lambda p: p.startswith("/")),
    "getHostByName": gofunc("string")(_host_by_name),
    "urlParse": gofunc("string")(url_parse),
    "urlJoin": gofunc("map")(url_join),
}
