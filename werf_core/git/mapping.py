"""A git mapping: one `git:` entry of an image in werf.yaml, in the form the git stages need.

`paramshash()` identifies the mapping in stage labels (`werf-git-<paramshash>-commit`) and in the gitArchive digest.
It is werf v1.1's formula: SHA-256 over the plain concatenation of
`fullName ::: to ::: add ::: includePaths… ::: excludePaths… ::: owner ::: group ::: branch ::: tag ::: commit`
where `fullName` is `own_own` for the project repository and `<repoID>_<repoID>` for a remote one, `add` is "" for
"/" (else without the leading slash), and the path lists are concatenated without separators.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from werf_core.git.matcher import PathMatcher, clean_path

__all__ = ["GitMapping", "STAGE_DEPENDENCY_STAGES", "repository_id_from_url", "mappings_from_config",
           "LOCAL_MAPPING_NAME"]

LOCAL_MAPPING_NAME = "own_own"
STAGE_DEPENDENCY_STAGES = ("install", "beforeSetup", "setup")

_STAGE_KEY_ALIASES = {"install": "install", "beforeSetup": "beforeSetup", "before_setup": "beforeSetup",
                      "setup": "setup"}

# werf's `(?U).*?[:/](.*/[^/ ]+)(\.git)?/?$` with Go's swapped greediness written out: the host part is greedy,
# so the ID is the last two path components ("werf/werf" from ".../werf/werf.git" or "git@host:werf/werf.git").
_REPOSITORY_ID = re.compile(r"^.*[:/](.*?/[^/ ]+?)(?:\.git)??/??$")


def repository_id_from_url(url: str) -> str:
    """`https://github.com/werf/werf.git`, `git@github.com:werf/werf.git` → `werf/werf` (else the URL itself)."""
    match = _REPOSITORY_ID.match(url)
    return match.group(1) if match else url


def _fields_of(model: Any) -> dict[str, Any]:
    """A pydantic model's fields by their Python names, values as validated (nested models stay models)."""
    return {name: getattr(model, name) for name in type(model).model_fields}


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class GitMapping:
    """One git mapping. `url` is None for the project's own repository."""

    to: str
    add: str = "/"
    include_paths: tuple[str, ...] = ()
    exclude_paths: tuple[str, ...] = ()
    owner: str = ""
    group: str = ""
    url: str | None = None
    branch: str = ""
    tag: str = ""
    commit: str = ""
    # (stage, globs) pairs for install / beforeSetup / setup, in that order; stages without globs are left out
    stage_dependencies: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "to", clean_path(self.to))
        object.__setattr__(self, "add", clean_path(self.add or "/"))
        object.__setattr__(self, "include_paths", tuple(clean_path(p) for p in _as_list(self.include_paths)))
        object.__setattr__(self, "exclude_paths", tuple(clean_path(p) for p in _as_list(self.exclude_paths)))
        deps = dict(self.stage_dependencies)  # accepts a mapping or (stage, globs) pairs
        normalised = []
        for stage in STAGE_DEPENDENCY_STAGES:
            globs = tuple(clean_path(g) for g in _as_list(deps.get(stage)))
            if globs:
                normalised.append((stage, globs))
        unknown = set(deps) - set(STAGE_DEPENDENCY_STAGES)
        if unknown:
            raise ValueError(f"stageDependencies only knows {', '.join(STAGE_DEPENDENCY_STAGES)}, "
                             f"got {sorted(unknown)}")
        object.__setattr__(self, "stage_dependencies", tuple(normalised))
        for name in ("owner", "group", "branch", "tag", "commit"):
            object.__setattr__(self, name, getattr(self, name) or "")

    # ------------------------------------------------------------------ construction from werf.yaml values
    @classmethod
    def from_config(cls, value: Any) -> GitMapping:
        """Build from a `git:` entry: a dict with werf's camelCase keys (as in werf.yaml) or a config model object.

        Pydantic models are read field by field (snake_case names; no `model_dump`, which would build a serializer
        for the model on every build), other objects by their attributes in snake_case. `stageDependencies` values
        may be a string or a list.
        """
        from pydantic import BaseModel

        if isinstance(value, BaseModel):
            value = _fields_of(value)
        if not isinstance(value, Mapping):
            value = {k: getattr(value, k) for k in dir(value) if not k.startswith("_")}

        def pick(*keys: str, default: Any = None) -> Any:
            for key in keys:
                if key in value and value[key] is not None:
                    return value[key]
            return default

        raw_deps = pick("stageDependencies", "stage_dependencies", default={}) or {}
        if not isinstance(raw_deps, Mapping):
            if isinstance(raw_deps, BaseModel):
                raw_deps = _fields_of(raw_deps)
            else:
                raw_deps = {k: getattr(raw_deps, k) for k in dir(raw_deps) if k in _STAGE_KEY_ALIASES}
        deps = {}
        for key, globs in raw_deps.items():
            if globs is None or key not in _STAGE_KEY_ALIASES:
                continue
            deps[_STAGE_KEY_ALIASES[key]] = _as_list(globs)
        return cls(
            to=pick("to"),
            add=pick("add", default="/"),
            include_paths=_as_list(pick("includePaths", "include_paths", default=())),
            exclude_paths=_as_list(pick("excludePaths", "exclude_paths", default=())),
            owner=pick("owner", default="") or "",
            group=pick("group", default="") or "",
            url=pick("url"),
            branch=pick("branch", default="") or "",
            tag=pick("tag", default="") or "",
            commit=pick("commit", default="") or "",
            stage_dependencies=tuple(deps.items()),
        )

    # ------------------------------------------------------------------ identity
    @property
    def is_remote(self) -> bool:
        return self.url is not None

    @property
    def repository_name(self) -> str:
        """`own` for the project repository, the repository ID (`werf/werf`) for a remote one."""
        return repository_id_from_url(self.url) if self.url is not None else "own"

    @property
    def name(self) -> str:
        """werf's full mapping name: `own_own`, or `<repoID>_<repoID>` for a remote repository."""
        return f"{self.repository_name}_{self.repository_name}"

    @property
    def add_param(self) -> str:
        """`add` as werf keeps it: "" for the repository root, otherwise without the leading slash."""
        return "" if self.add == "/" else self.add.lstrip("/")

    def paramshash(self) -> str:
        parts: list[str] = [self.name, ":::", self.to, ":::", self.add_param, ":::", *self.include_paths, ":::",
                            *self.exclude_paths, ":::", self.owner, ":::", self.group, ":::", self.branch, ":::",
                            self.tag, ":::", self.commit]
        return hashlib.sha256("".join(parts).encode()).hexdigest()

    # ------------------------------------------------------------------ paths
    def matcher(self) -> PathMatcher:
        return self._matcher

    @cached_property
    def _matcher(self) -> PathMatcher:
        # built once per mapping: archives and patches ask for it per file
        return PathMatcher(self.add_param, self.include_paths, self.exclude_paths)

    def stage_dependency_globs(self, stage: str) -> tuple[str, ...]:
        """Globs of `stageDependencies.<stage>` in config order (empty when none)."""
        if stage not in STAGE_DEPENDENCY_STAGES:
            raise ValueError(f"stageDependencies has no stage {stage!r}; known: {', '.join(STAGE_DEPENDENCY_STAGES)}")
        return dict(self.stage_dependencies).get(stage, ())

    def describe(self) -> str:
        """Short human name for messages: `own_own add=/src to=/app`."""
        return f"{self.name} add={self.add} to={self.to}"


def mappings_from_config(values: Iterable[Any]) -> list[GitMapping]:
    return [GitMapping.from_config(v) for v in values]
