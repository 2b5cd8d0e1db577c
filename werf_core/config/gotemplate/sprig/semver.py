"""Semantic versions as Masterminds/semver v3 parses and compares them: `semver` returns a *semver.Version
(with Major, Minor, Patch, Prerelease, Metadata, Original, Compare, ... methods), `semverCompare` checks a
constraint like ">= 1.2, < 2" or "^1.4 || ~2.0.1"."""

from __future__ import annotations

import functools
import re
from typing import Any

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import GoFunc, gofunc
from werf_core.config.gotemplate.values import GoObject, Int64

_SEMVER = r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
_CV = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"


# compiled on first use: every werf.yaml render loads Sprig, few templates compare versions
@functools.cache
def _version_re() -> re.Pattern[str]:
    return re.compile("^" + _SEMVER + "$")


@functools.cache
def _constraint_re() -> re.Pattern[str]:
    return re.compile(rf"^\s*({_OPS})\s*({_CV})\s*$")


@functools.cache
def _range_re() -> re.Pattern[str]:
    return re.compile(rf"\s*({_CV})\s+-\s+({_CV})\s*")


@functools.cache
def _find_re() -> re.Pattern[str]:
    return re.compile(rf"({_OPS})\s*({_CV})")


@functools.cache
def _valid_re() -> re.Pattern[str]:
    return re.compile(rf"^(\s*({_OPS})\s*({_CV})\s*)((?:\s+|,\s*)({_OPS})\s*({_CV})\s*)*$")


_ALLOWED = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789")
_U64 = (1 << 64) - 1


class Version(GoObject):
    go_type = "*semver.Version"
    go_kind = "ptr"
    is_stringer = True

    def __init__(self, major: int, minor: int, patch: int, pre: str, metadata: str, original: str):
        self.major, self.minor, self.patch = major, minor, patch
        self.pre, self.metadata, self.original = pre, metadata, original

    def go_string(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + self.pre
        if self.metadata:
            text += "+" + self.metadata
        return text

    def go_json(self) -> str:
        return self.go_string()

    def compare(self, other: Version) -> int:
        for a, b in ((self.major, other.major), (self.minor, other.minor), (self.patch, other.patch)):
            if a != b:
                return -1 if a < b else 1
        if not self.pre and not other.pre:
            return 0
        if not self.pre:
            return 1
        if not other.pre:
            return -1
        return _compare_prerelease(self.pre, other.pre)

    def _inc(self, major: int, minor: int, patch: int) -> Version:
        prefix = "v" if self.original.startswith("v") else ""
        v = Version(major, minor, patch, "", "", "")
        v.original = prefix + v.go_string()
        return v

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Version) and self.go_string() == other.go_string() and \
            self.original == other.original


def _compare_prerelease(a: str, b: str) -> int:
    sparts, oparts = a.split("."), b.split(".")
    for i in range(max(len(sparts), len(oparts))):
        s = sparts[i] if i < len(sparts) else ""
        o = oparts[i] if i < len(oparts) else ""
        d = _compare_pre_part(s, o)
        if d:
            return d
    return 0


def _compare_pre_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if s == "":
        return -1 if o != "" else 1
    if o == "":
        return 1 if s != "" else -1
    s_num, o_num = s.isdigit(), o.isdigit()
    if not s_num and not o_num:
        return 1 if s > o else -1
    if not o_num:
        return -1
    if not s_num:
        return 1
    return 1 if int(s) > int(o) else -1


def _validate_prerelease(p: str) -> None:
    for part in p.split("."):
        if part.isdigit() and part.isascii():
            if len(part) > 1 and part[0] == "0":
                raise GoError("Version segment starts with 0")
        elif not set(part) <= _ALLOWED:
            raise GoError("Invalid Prerelease string")


def _validate_metadata(m: str) -> None:
    for part in m.split("."):
        if not set(part) <= _ALLOWED:
            raise GoError("Invalid Metadata string")


def new_version(v: str) -> Version:
    m = _version_re().match(v)
    if m is None:
        raise GoError("Invalid Semantic Version")
    nums = []
    for group in (m.group(1), m.group(2), m.group(3)):
        text = (group or "0").lstrip(".")
        value = int(text)
        if value > _U64:
            raise GoError(f'Error parsing version segment: strconv.ParseUint: parsing "{text}": value out of range')
        nums.append(value)
    pre, metadata = m.group(5) or "", m.group(8) or ""
    if pre:
        _validate_prerelease(pre)
    if metadata:
        _validate_metadata(metadata)
    return Version(nums[0], nums[1], nums[2], pre, metadata, v)


class _Constraint:
    def __init__(self, text: str):
        m = _constraint_re().match(text)
        if m is None:
            raise GoError(f"improper constraint: {text}")
        self.op = m.group(1)
        self.orig = m.group(2)
        major, minor, patch = m.group(3), m.group(4), m.group(5)
        pre_part = m.group(6) or ""
        self.minor_dirty = self.patch_dirty = self.dirty = False
        ver = self.orig
        if _is_x(major) or major == "":
            ver = "0.0.0" + pre_part
            self.dirty = True
        elif _is_x((minor or "").lstrip(".")) or not minor:
            self.minor_dirty = self.dirty = True
            ver = f"{major}.0.0{pre_part}"
        elif _is_x((patch or "").lstrip(".")) or not patch:
            self.dirty = self.patch_dirty = True
            ver = f"{major}{minor}.0{pre_part}"
        try:
            self.con = new_version(ver)
        except GoError:
            raise GoError("constraint Parser Error") from None

    def check(self, v: Version) -> bool:
        c = self.con
        op = self.op
        # a prerelease only satisfies constraints that mention one (`!=` checks that only for wildcards)
        if v.pre and not c.pre and (op != "!=" or self.dirty):
            return False
        if op in ("", "="):
            return self._tilde(v) if self.dirty else v.compare(c) == 0
        if op == "!=":
            if self.dirty:
                if c.major != v.major:
                    return True
                if c.minor != v.minor and not self.minor_dirty:
                    return True
                if self.minor_dirty:
                    return False
                if c.patch != v.patch and not self.patch_dirty:
                    return True
                if self.patch_dirty:
                    if v.pre or c.pre:
                        return _compare_prerelease(v.pre, c.pre) != 0
                    return False
            return v.compare(c) != 0
        if op == ">":
            if not self.dirty:
                return v.compare(c) == 1
            if v.major != c.major:
                return v.major > c.major
            if self.minor_dirty:
                return False
            if self.patch_dirty:
                return v.minor > c.minor
            return v.compare(c) == 1
        if op == "<":
            return v.compare(c) < 0
        if op in (">=", "=>"):
            return v.compare(c) >= 0
        if op in ("<=", "=<"):
            if not self.dirty:
                return v.compare(c) <= 0
            if v.major > c.major:
                return False
            if v.major == c.major and v.minor > c.minor and not self.minor_dirty:
                return False
            return True
        if op in ("~", "~>"):
            return self._tilde(v)
        return self._caret(v)

    def _tilde(self, v: Version) -> bool:
        c = self.con
        if v.compare(c) < 0:
            return False
        if c.major == 0 and c.minor == 0 and c.patch == 0 and not self.minor_dirty and not self.patch_dirty:
            return True
        if v.major != c.major:
            return False
        if v.minor != c.minor and not self.minor_dirty:
            return False
        return True

    def _caret(self, v: Version) -> bool:
        c = self.con
        if v.compare(c) < 0:
            return False
        if c.major > 0 or self.minor_dirty:
            return v.major == c.major
        if c.major == 0 and v.major > 0:
            return False
        if c.minor > 0 or self.patch_dirty:
            return v.minor == c.minor
        if c.minor == 0 and v.minor > 0:
            return False
        return c.patch == v.patch


def _is_x(s: str) -> bool:
    return s in ("x", "X", "*")


def new_constraint(text: str) -> list[list[_Constraint]]:
    for m in list(_range_re().finditer(text)):
        text = text.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)} ", 1)
    groups = []
    for part in text.split("||"):
        if not _valid_re().match(part):
            raise GoError(f"improper constraint: {part}")
        found = [m.group(0) for m in _find_re().finditer(part)] or [part]
        groups.append([_Constraint(s) for s in found])
    return groups


def semver_compare(constraint: str, version: str) -> bool:
    groups = new_constraint(constraint)
    v = new_version(version)
    return any(all(c.check(v) for c in group) for group in groups)


def _compare(v: Version, other: Any) -> int:
    if not isinstance(other, Version):
        raise GoError("Compare expects a *semver.Version")
    return v.compare(other)


Version.go_methods = {
    "Major": GoFunc(lambda v: Int64(v.major), ("any",), name="Major"),
    "Minor": GoFunc(lambda v: Int64(v.minor), ("any",), name="Minor"),
    "Patch": GoFunc(lambda v: Int64(v.patch), ("any",), name="Patch"),
    "Prerelease": GoFunc(lambda v: v.pre, ("any",), name="Prerelease"),
    "Metadata": GoFunc(lambda v: v.metadata, ("any",), name="Metadata"),
    "Original": GoFunc(lambda v: v.original, ("any",), name="Original"),
    "String": GoFunc(lambda v: v.go_string(), ("any",), name="String"),
    "IncMajor": GoFunc(lambda v: v._inc(v.major + 1, 0, 0), ("any",), name="IncMajor"),
    "IncMinor": GoFunc(lambda v: v._inc(v.major, v.minor + 1, 0), ("any",), name="IncMinor"),
    "IncPatch": GoFunc(lambda v: v._inc(v.major, v.minor, v.patch if v.pre else v.patch + 1), ("any",),
                       name="IncPatch"),
    "Compare": GoFunc(_compare, ("any", "any"), name="Compare"),
    "LessThan": GoFunc(lambda v, o: _compare(v, o) < 0, ("any", "any"), name="LessThan"),
    "GreaterThan": GoFunc(lambda v, o: _compare(v, o) > 0, ("any", "any"), name="GreaterThan"),
    "Equal": GoFunc(lambda v, o: _compare(v, o) == 0, ("any", "any"), name="Equal"),
}

FUNCS = {
    "semver": gofunc("string")(new_version),
    "semverCompare": gofunc("string", "string")(semver_compare),
}
