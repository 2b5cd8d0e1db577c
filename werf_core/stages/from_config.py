"""Turn loaded werf.yaml models into the ImageSpec records stage kinds read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from werf_core.errors import ConfigError
from werf_core.stages.spec import (
    USER_STAGES,
    BuilderKind,
    DockerSpec,
    ImageSpec,
    ImportSpec,
    ImportStage,
    MountKind,
    MountSpec,
    UserStageSpec,
)

if TYPE_CHECKING:
    from werf_core.config.schema import DockerInstructions, ImageLike
    from werf_core.config.werf_config import WerfConfig


def image_spec(model: ImageLike) -> ImageSpec:
    from werf_core.stages import builders
    spec = _image_spec(model)
    builders.validate(spec)
    return spec


def _image_spec(model: ImageLike) -> ImageSpec:
    from werf_core.config.schema import DockerfileImage, StapelImage
    from werf_core.git import GitMapping

    if isinstance(model, DockerfileImage):
        source = model.source
        raise ConfigError(f"image {model.name or '~'}: Dockerfile images are not built by werf-prefect yet",
                          path=source.path if source else None, line=source.line if source else None,
                          hint="describe the image with the stapel directives (from, git, shell/ansible, docker)")
    builder, stages, cache_version = BuilderKind.NONE, {}, ""
    if model.shell is not None:
        builder, cache_version = BuilderKind.SHELL, model.shell.cache_version or ""
        stages = {s: UserStageSpec(tuple(model.shell.commands(s)), model.shell.stage_cache_version(s) or "")
                  for s in USER_STAGES}
    elif model.ansible is not None:
        builder, cache_version = BuilderKind.ANSIBLE, model.ansible.cache_version or ""
        stages = {s: UserStageSpec(tuple(model.ansible.tasks(s)), model.ansible.stage_cache_version(s) or "")
                  for s in USER_STAGES}
    base_name = model.base_name or ""
    source = model.source
    return ImageSpec(
        name=model.name,
        is_artifact=model.is_artifact,
        from_ref=model.base_image_reference or "",
        from_image=base_name,
        from_image_is_artifact=bool(base_name) and not model.from_image,
        from_latest=model.from_latest,
        from_cache_version=model.from_cache_version or "",
        mounts=tuple(MountSpec(to=m.to, kind=MountKind(m.from_ or MountKind.CUSTOM), from_path=m.from_path or "") for m in model.mount),
        git=tuple(GitMapping.from_config(g) for g in model.git),
        builder=builder,
        cache_version=cache_version,
        user_stages=stages,
        imports=tuple(ImportSpec(
            source=i.source_name, source_is_artifact=i.source_is_artifact, placement=ImportStage(i.stage_name), add=i.add,
            to=i.to or i.add, include_paths=tuple(i.include_paths), exclude_paths=tuple(i.exclude_paths),
            owner=i.owner or "", group=i.group or "", stage=i.stage or "") for i in model.imports),
        docker=_docker(model.docker if isinstance(model, StapelImage) else None),
        source_path=source.path if source else "",
        source_line=source.line if source else 0,
    )


def _docker(docker: DockerInstructions | None) -> DockerSpec | None:
    if docker is None:
        return None
    return DockerSpec(
        volume=tuple(docker.volume), expose=tuple(docker.expose), env=tuple(docker.env.items()),
        label=tuple(docker.label.items()), cmd=docker.cmd or "", entrypoint=docker.entrypoint or "",
        workdir=docker.workdir or "", user=docker.user or "", healthcheck=docker.healthcheck or "",
        cmd_set=docker.cmd is not None, entrypoint_set=docker.entrypoint is not None)


def specs_in_sets(config: WerfConfig, names: list[str | None] | None) -> list[list[ImageSpec]]:
    """The config's dependency sets (sources first) as ImageSpecs."""
    return [[image_spec(model) for model in image_set] for image_set in config.dependency_sets(names)]
