"""What the stage kinds need to know about one image, independent of how werf.yaml spelled it.

`werf_core.stages.from_config` turns the loaded werf.yaml models into these records; stage kinds read only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from werf_core.builders.secrets import SecretSpec

USER_STAGES = ("beforeInstall", "install", "beforeSetup", "setup")


class BuilderKind(StrEnum):
    """Who runs the user stages. String values as werf.yaml spells them (they compare equal to those strings)."""

    NONE = ""
    SHELL = "shell"
    ANSIBLE = "ansible"


class MountKind(StrEnum):
    TMP_DIR = "tmp_dir"       # `from: tmp_dir`: a fresh directory per build
    BUILD_DIR = "build_dir"   # `from: build_dir`: a directory kept between builds of the project
    CUSTOM = "custom"         # `fromPath`: a host directory


class ImportStage(StrEnum):
    """The import stage an import runs in (werf's stage names)."""

    BEFORE_INSTALL = "importsBeforeInstall"
    AFTER_INSTALL = "importsAfterInstall"
    BEFORE_SETUP = "importsBeforeSetup"
    AFTER_SETUP = "importsAfterSetup"


@dataclass(frozen=True)
class MountSpec:
    to: str
    kind: MountKind
    from_path: str = ""       # for MountKind.CUSTOM


@dataclass(frozen=True)
class ImportSpec:
    source: str               # image or artifact name
    source_is_artifact: bool
    placement: ImportStage
    add: str
    to: str
    include_paths: tuple[str, ...] = ()
    exclude_paths: tuple[str, ...] = ()
    owner: str = ""
    group: str = ""
    stage: str = ""           # source stage name (beforeInstall|install|beforeSetup|setup) or "" for the last one


@dataclass(frozen=True)
class DockerSpec:
    volume: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()      # config order
    label: tuple[tuple[str, str], ...] = ()
    cmd: str = ""                              # normalised string form, e.g. '["a", "b"]' or 'a b'
    entrypoint: str = ""
    workdir: str = ""
    user: str = ""
    healthcheck: str = ""
    cmd_set: bool = False
    entrypoint_set: bool = False


@dataclass(frozen=True)
class UserStageSpec:
    """Commands (shell) or tasks (ansible) of one user stage, with its cache versions."""

    items: tuple[Any, ...] = ()
    stage_cache_version: str = ""


@dataclass(frozen=True)
class DockerfileSpec:
    """An image built from a Dockerfile: paths relative to the project directory."""

    dockerfile: str
    context: str = "."
    target: str = ""
    args: tuple[tuple[str, str], ...] = ()
    add_host: tuple[str, ...] = ()
    network: str = ""
    ssh: str = ""
    cache_versions: tuple[str, ...] = ()       # build.cacheVersion / cacheVersion: in every FROM stage's digest


@dataclass(frozen=True)
class ImageSpec:
    name: str | None                           # None for the nameless image
    is_artifact: bool = False
    from_ref: str = ""                         # `from:` as written
    from_image: str = ""                       # `fromImage` / `fromArtifact` / `fromImageArtifact` target
    from_image_is_artifact: bool = False
    from_latest: bool = False
    from_cache_version: str = ""
    mounts: tuple[MountSpec, ...] = ()
    git: tuple[Any, ...] = ()                  # werf_core.git mapping specs (config values)
    builder: BuilderKind = BuilderKind.NONE
    cache_version: str = ""
    user_stages: dict[str, UserStageSpec] = field(default_factory=dict)
    imports: tuple[ImportSpec, ...] = ()
    docker: DockerSpec | None = None
    dockerfile: DockerfileSpec | None = None   # a Dockerfile image (then no stapel directives)
    secrets: tuple[SecretSpec, ...] = ()       # build secrets, mounted at /run/secrets for user stages only
    image_dependencies: tuple[Any, ...] = ()   # werf_core.stages.dependency_env.DependencySpec records
    disable_git_after_patch: bool = False      # werf 1.2: no gitCache / gitLatestPatch stages
    platforms: tuple[str, ...] = ()            # target platforms (OS/ARCH[/VARIANT]); () is the host's
    source_path: str = ""                      # werf.yaml path, for messages
    source_line: int = 0

    @property
    def display_name(self) -> str:
        return self.name if self.name is not None else "~"

    def dependencies(self) -> set[str]:
        """Names of the images/artifacts this one is built from or imports from."""
        deps = {i.source for i in self.imports} | {d.image for d in self.image_dependencies}
        if self.from_image:
            deps.add(self.from_image)
        return deps
