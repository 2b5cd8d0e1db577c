"""The one interface every stage kind implements, and the context it is given.

Stage kinds are stateless: everything they need arrives in `StageContext` (the image spec, the git mappings bound to
the current commits, the stage image the previous non-empty stage resolved to) and everything they produce is
returned (a dependency string, a selection, container instructions). The conveyor chains digests and keeps results
in small immutable records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from werf_core.builders.instructions import ContainerInstructions
from werf_core.hashing import sha256_hash
from werf_core.layers.recipe import LayerRecipe
from werf_core.storage.base import StageDescription

if TYPE_CHECKING:
    from werf_core.stages.git_runtime import GitMappingRuntime
    from werf_core.stages.spec import ImageSpec


@dataclass(frozen=True)
class SourceImage:
    """Another image of the config as the current one sees it (for fromImage and imports)."""

    content_digest: str                            # werf's image content signature
    last_stage: StageDescription                   # the image's last non-empty stage
    stages: dict[str, tuple[str, StageDescription]]  # stage name -> (content digest, stage)


@dataclass
class StageContext:
    spec: ImageSpec
    project: str
    project_dir: str
    git: list[GitMappingRuntime]
    # the stage image the previous non-empty stage resolved to (selected or built); None before `from`
    prev_built: StageDescription | None
    # resolve another image of the config (already built: images are processed in dependency order)
    source_image: Callable[[str], SourceImage]
    # the base image for the from stage: (reference, image ID or "" when not resolved)
    base_image_id: Callable[[], str] = lambda: ""
    # export a path of a stored stage image as a tar file on the host (for imports)
    export_path: Callable[[StageDescription, str], Path] | None = None
    # the Docker engine client, for builders that need engine-side resources (the ansible runtime)
    docker_client: Callable[[], object] | None = None
    werf_home: str = ""
    tmp_dir: str = ""
    # Dockerfile images: (mode, uid, gid) of paths in a stored stage image, None for a missing path
    stat_paths: Callable[[StageDescription, list[str]], dict[str, tuple[int, int, int] | None]] | None = None


@dataclass
class BuildRecipe:
    """What the container runner must do to produce the stage: instructions plus files under /.werf/build."""

    instructions: ContainerInstructions = field(default_factory=ContainerInstructions)
    files: dict = field(default_factory=dict)
    # turns the failed container's output into the error message (e.g. naming the failed ansible task)
    describe_failure: Callable[[str], str] | None = None


class StageKind(Protocol):
    name: str                 # werf's stage name, e.g. "gitLatestPatch"
    git_related: bool         # selection by git ancestry; next-stage dependencies carry the commits

    def is_present(self, spec: ImageSpec) -> bool:
        """Static: does the config create this stage for the image at all?"""

    def is_empty(self, ctx: StageContext) -> bool:
        """Dynamic: skip the stage for this build (it then takes no part in digest chaining)."""

    def dependencies(self, ctx: StageContext) -> str:
        """The stage's own digest input."""

    def next_stage_dependencies(self, ctx: StageContext, image: StageDescription) -> str:
        """What this stage passes to the next one's digest, given the stage image actually used."""

    def select(self, ctx: StageContext, candidates: list[StageDescription]) -> StageDescription | None:
        """Pick the stage image to reuse among those stored for the digest, or None to build."""

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        """What the builder must do to produce the stage on top of `ctx.prev_built` (or the base image)."""

    def layer_recipe(self, ctx: StageContext) -> LayerRecipe | None:
        """The stage as a layer and/or config change made without a container (file-only or config-only), or None
        when it needs a container (it runs commands, or needs the image's own files, e.g. to resolve a user name).
        Both recipes must give the same filesystem and config."""


def commit_label(paramshash: str) -> str:
    return f"werf-git-{paramshash}-commit"


def type_label(paramshash: str) -> str:
    return f"werf-git-{paramshash}-type"


def oldest(candidates: list[StageDescription]) -> StageDescription | None:
    return min(candidates, key=lambda d: d.stage_id.unique_id) if candidates else None


class PlainStage:
    """Defaults for stages unrelated to git: select the oldest, pass nothing on."""

    name = ""
    git_related = False

    def is_present(self, spec: ImageSpec) -> bool:
        return True

    def is_empty(self, ctx: StageContext) -> bool:
        return False

    def next_stage_dependencies(self, ctx: StageContext, image: StageDescription) -> str:
        return ""

    def select(self, ctx: StageContext, candidates: list[StageDescription]) -> StageDescription | None:
        return oldest(candidates)

    def layer_recipe(self, ctx: StageContext) -> LayerRecipe | None:
        return None


class GitRelatedStage(PlainStage):
    """Stages whose image records git commits: selected by ancestry, passing the used commits on."""

    git_related = True

    def next_stage_dependencies(self, ctx: StageContext, image: StageDescription) -> str:
        commits = [image.labels.get(commit_label(m.paramshash)) or m.current_commit for m in ctx.git]
        return sha256_hash(*sorted(commits))

    def select(self, ctx: StageContext, candidates: list[StageDescription]) -> StageDescription | None:
        suitable = [c for c in candidates if all(self._commit_usable(m, c) for m in ctx.git)]
        return oldest(suitable)

    @staticmethod
    def _commit_usable(mapping: GitMappingRuntime, candidate: StageDescription) -> bool:
        commit = candidate.labels.get(commit_label(mapping.paramshash))
        if not commit:
            return False
        return mapping.is_ancestor_of_current(commit)
