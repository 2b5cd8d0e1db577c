"""werf 1.2 `dependencies:`: facts about another image as environment variables of a stapel image, or as build
arguments of a Dockerfile image (placement DOCKERFILE_BUILD_ARGS; see werf_core.conveyor.dockerfile_image).

Each dependency names an image of the config and a place (`before`/`after` `install`/`setup`); its `imports` map
ImageName / ImageID / ImageRepo / ImageTag / ImageDigest to `targetEnv` variables. As in werf, the variables are set
in the image config (ENV) by the import stage of that place, so the user stages that follow — and the final image —
see them. The stage digest follows the dependency's content digest and the variable names, so a rebuilt dependency
rebuilds the dependent stages.

Values describe the dependency's last stage image in the stages storage: ImageName is its full reference
(repository:tag), ImageRepo and ImageTag its parts, ImageID the image ID, ImageDigest the content-addressed identity
of that image (its image ID: stage images are addressed by tag and ID, a registry manifest digest is not tracked).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from werf_core.hashing import sha256_hash
from werf_core.stages.base import SourceImage, StageContext

DOCKERFILE_BUILD_ARGS = "dockerfileBuildArgs"   # the placement of a Dockerfile image's dependencies
PLACEMENTS = {("before", "install"): "importsBeforeInstall", ("after", "install"): "importsAfterInstall",
              ("before", "setup"): "importsBeforeSetup", ("after", "setup"): "importsAfterSetup"}


@dataclass(frozen=True)
class DependencySpec:
    image: str                                   # an image of the config
    placement: str                               # import stage name, e.g. "importsBeforeInstall"
    imports: tuple[tuple[str, str], ...] = ()    # (type, target env name)


def dependencies_at(ctx: StageContext, placement: str) -> list[DependencySpec]:
    return [d for d in ctx.spec.image_dependencies if d.placement == placement]


def image_facts(source: SourceImage) -> dict[str, str]:
    name = source.last_stage.image_name
    repository, _, tag = name.rpartition(":")
    if "/" in tag:                               # a registry port, not a tag
        repository, tag = name, ""
    return {"ImageName": name, "ImageID": source.last_stage.image_id, "ImageRepo": repository, "ImageTag": tag,
            "ImageDigest": source.last_stage.image_id}


def dependency_digest(ctx: StageContext, placement: str) -> str:
    """Digest input of the dependencies placed at this import stage ("" when there are none)."""
    args: list[str] = []
    for dep in dependencies_at(ctx, placement):
        args += [dep.image, ctx.source_image(dep.image).content_digest]
        for kind, target in dep.imports:
            args += [kind, target]
    return sha256_hash(*args) if args else ""


def dependency_env(ctx: StageContext, placement: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for dep in dependencies_at(ctx, placement):
        facts = image_facts(ctx.source_image(dep.image))
        for kind, target in dep.imports:
            env[target] = facts[kind]
    return env


def dependency_build_args(ctx_source: Callable[[str], SourceImage], dependencies: tuple[DependencySpec, ...]
                          ) -> dict[str, str]:
    """The build arguments a Dockerfile image's dependencies give it (`targetBuildArg` → the fact)."""
    args: dict[str, str] = {}
    for dep in dependencies:
        facts = image_facts(ctx_source(dep.image))
        for kind, target in dep.imports:
            args[target] = facts[kind]
    return args


def dependencies_checksum(ctx_source: Callable[[str], SourceImage], dependencies: tuple[DependencySpec, ...]) -> str:
    """The dependencies' content digests and what is taken from them ("" without dependencies)."""
    args: list[str] = []
    for dep in dependencies:
        args += [dep.image, ctx_source(dep.image).content_digest]
        for kind, target in dep.imports:
            args += [kind, target]
    return sha256_hash(*args) if args else ""
