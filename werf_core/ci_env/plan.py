"""What ci-env decided for one CI system: which registry to log into, and the variables to export."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from werf_core.ci_env.script import Section

TAGGING_STRATEGIES = ("stages-signature", "tag-or-branch")


@dataclass(frozen=True)
class RegistryLogin:
    registry: str  # host[:port], or a repository address whose host part is used
    username: str
    password: str


@dataclass(frozen=True)
class CiEnvPlan:
    login: RegistryLogin | None
    sections: tuple[Section, ...]  # everything after the DOCKER CONFIG section


class EnvReader:
    """Reads CI variables; an unset variable reads as the empty string (as Go's os.Getenv, which werf relies on)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __call__(self, name: str) -> str:
        return self._environ.get(name, "")
