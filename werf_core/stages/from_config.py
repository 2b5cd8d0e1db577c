"""Turn loaded werf.yaml models into the ImageSpec records stage kinds read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from werf_core.builders.secrets import SecretSpec
from werf_core.config.schema.imports import is_external_reference
from werf_core.errors import ConfigError
from werf_core.stages.spec import (
    USER_STAGES,
    BuilderKind,
    DockerfileSpec,
    DockerSpec,
    ImageSpec,
    ImportSpec,
    ImportStage,
    MountKind,
    MountSpec,
    UserStageSpec,
)

if TYPE_CHECKING:
    from werf_core.config.schema import DockerfileImage, DockerInstructions, ImageLike, StapelArtifact, StapelImage
    from werf_core.config.werf_config import WerfConfig
    from werf_core.stages.dependency_env import DependencySpec


def image_spec(model: ImageLike) -> ImageSpec:
    from werf_core.stages import builders
    spec = _image_spec(model)
    builders.validate(spec)
    return spec


def _image_spec(model: ImageLike) -> ImageSpec:
    from werf_core.config.schema import DockerfileImage
    from werf_core.git import GitMapping

    external = [i.source_name for i in getattr(model, "imports", ()) if i.from_ is not None
                and is_external_reference(i.source_name)]
    if external:
        source = model.source
        raise ConfigError(f"image {model.name or '~'}: imports from external images ({external[0]}) are not built "
                          f"by werf-prefect yet", path=source.path if source else None,
                          line=source.line if source else None,
                          hint="build the external image's files into an image of werf.yaml (`from: IMAGE:TAG`) "
                               "and import from that")
    if isinstance(model, DockerfileImage):
        return _dockerfile_spec(model)
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
        from_cache_version=_from_cache_version(model),
        mounts=tuple(MountSpec(to=m.to, kind=MountKind(m.from_ or MountKind.CUSTOM), from_path=m.from_path or "") for m in model.mount),
        git=tuple(GitMapping.from_config(g) for g in model.git),
        builder=builder,
        cache_version=cache_version,
        user_stages=stages,
        imports=tuple(ImportSpec(
            source=i.source_name, source_is_artifact=i.source_is_artifact, placement=ImportStage(i.stage_name), add=i.add,
            to=i.to or i.add, include_paths=tuple(i.include_paths), exclude_paths=tuple(i.exclude_paths),
            owner=i.owner or "", group=i.group or "", stage=i.stage or "") for i in model.imports),
        docker=_docker(getattr(model, "docker", None)),
        secrets=tuple(SecretSpec(s.secret_id, s.kind, s.env or s.src or s.value or "") for s in model.secrets),
        image_dependencies=_dependencies(model),
        disable_git_after_patch=getattr(model, "disable_git_after_patch", False),
        platforms=getattr(model, "platforms", ()),
        source_path=source.path if source else "",
        source_line=source.line if source else 0,
    )


def _dockerfile_spec(model: DockerfileImage) -> ImageSpec:
    from werf_core.stages.dependency_env import DOCKERFILE_BUILD_ARGS, DependencySpec
    source = model.source
    # `staged` needs nothing: every instruction is a stage here
    args = tuple((str(k), _arg_text(v)) for k, v in (model.args or {}).items())
    return ImageSpec(
        name=model.name,
        dockerfile=DockerfileSpec(dockerfile=model.dockerfile, context=model.context or ".",
                                  target=model.target or "", args=args, add_host=tuple(model.add_host),
                                  network=model.network or "", ssh=model.ssh or "",
                                  cache_versions=model.cache_versions),
        platforms=model.platforms,
        secrets=tuple(SecretSpec(s.secret_id, s.kind, s.env or s.src or s.value or "") for s in model.secrets),
        image_dependencies=tuple(DependencySpec(image=d.image, placement=DOCKERFILE_BUILD_ARGS,
                                                imports=tuple((i.type, i.target) for i in d.imports))
                                 for d in model.dependencies),
        source_path=source.path if source else "",
        source_line=source.line if source else 0,
    )


def _arg_text(value: object) -> str:
    """Build argument values as werf passes them: YAML scalars in their string form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _from_cache_version(model: StapelImage | StapelArtifact) -> str:
    """fromCacheVersion, extended by werf 1.2's build.cacheVersion / cacheVersion: the `from` digest covers them, so
    every stage of the image (digests chain) changes with them. Unchanged for configs that set neither."""
    extra = getattr(model, "cache_versions", ())
    if not extra:
        return model.from_cache_version or ""
    return "\n".join([model.from_cache_version or "", *(f"cacheVersion={v}" for v in extra)])


def _dependencies(model: StapelImage | StapelArtifact) -> tuple[DependencySpec, ...]:
    from werf_core.stages.dependency_env import PLACEMENTS, DependencySpec
    return tuple(DependencySpec(image=d.image, placement=PLACEMENTS[("before", d.before) if d.before
                                                                    else ("after", d.after)],
                                imports=tuple((i.type, i.target) for i in d.imports))
                 for d in getattr(model, "dependencies", ()))


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
