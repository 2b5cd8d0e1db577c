"""The Dockerfile-image path of the conveyor, beside the stapel one.

A Dockerfile image is planned once (werf_core.dockerfile.plan), then every needed Dockerfile stage is walked in
order and every instruction becomes one conveyor stage with its own digest, selected, built and published by the
conveyor's per-stage algorithm exactly like a stapel stage. `FROM <stage>` continues that stage's chain;
`COPY --from=<stage>` depends on the digest of that stage's last instruction.

What the engine builds here: FROM (a config-only `docker load` on the base image), RUN (a container on the parent
stage, committed, then its config replaced by the planned one so no build argument or command leaks into it), and —
only when layer-native stages are unavailable — the other instructions (their layer loaded onto the parent).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werf_core import BUILD_CACHE_VERSION, paths
from werf_core.builders.container import ContainerRunner
from werf_core.builders.instructions import Bind
from werf_core.conveyor.results import ImageResult, StageResult
from werf_core.dockerfile.context import BuildContext
from werf_core.dockerfile.errors import DockerfileError
from werf_core.dockerfile.image_config import scratch_config
from werf_core.dockerfile.plan import Plan, SecretMount, load_plan
from werf_core.errors import BuildError
from werf_core.hashing import sha3_224_hash
from werf_core.layers.config import ConfigChanges, append_layer, canonical_json, now_rfc3339
from werf_core.layers.engine_archive import write_load_archive
from werf_core.layers.recipe import build_layer
from werf_core.layers.writer import Layer, LayerWriter
from werf_core.platforms import EMULATION_HINT, Platform, can_run, host_platform, of_config
from werf_core.stages.base import StageContext
from werf_core.stages.dependency_env import dependencies_checksum, dependency_build_args
from werf_core.stages.dockerfile_steps import DockerfileFromKind, DockerfileStepKind, dockerfile_text
from werf_core.stages.spec import ImageSpec
from werf_core.storage.base import StageDescription
from werf_core.storage.local import engine_config
from werf_core.storage.stage_id import StageID

if TYPE_CHECKING:
    from werf_core.conveyor.conveyor import BuildMode, Conveyor, StageJob


def dockerfile_digest(dependencies: str, parent_digest: str | None) -> str:
    """Independent of the instruction's position: the same instruction on the same parent is the same stage."""
    if parent_digest is None:
        return sha3_224_hash(BUILD_CACHE_VERSION, "dockerfile", dependencies)
    return sha3_224_hash(BUILD_CACHE_VERSION, "dockerfile", dependencies, parent_digest)


def plan_image(conveyor: Conveyor, spec: ImageSpec, platform: Platform | None = None) -> tuple[Plan, BuildContext]:
    assert spec.dockerfile is not None
    root = Path(conveyor.project_dir)
    path = root / spec.dockerfile.dockerfile
    context_dir = (root / spec.dockerfile.context).resolve()
    try:
        context_dir.relative_to(root.resolve())
    except ValueError:
        raise DockerfileError("the build context is outside the project directory", path=str(context_dir)) from None
    text = dockerfile_text(path, root)

    def base_config(reference: str, for_platform: str) -> dict[str, Any]:
        return base_image_config(conveyor, spec, reference, Platform.parse(for_platform))

    # werf 1.2 `dependencies`: facts about images built before this one, as build arguments
    build_args = {**dict(spec.dockerfile.args),
                  **dependency_build_args(conveyor.source_image, spec.image_dependencies)}
    plan = load_plan(text, spec.dockerfile.dockerfile, build_args=build_args,
                     target=spec.dockerfile.target or None, base_config=base_config, ssh=bool(spec.dockerfile.ssh),
                     secrets=frozenset(s.id for s in spec.secrets), platform=platform)
    return plan, BuildContext.open(context_dir, tracked_blobs(context_dir))


def tracked_blobs(context_dir: Path) -> dict[str, str]:
    """Context-relative path → git object ID of the files whose working-tree content is their index entry (werf
    reads tracked files' checksums from git); empty without a repository."""
    from werf_core.errors import WerfError
    from werf_core.git import open_local_repository
    try:
        repository = open_local_repository(context_dir)
        top = repository.work_tree
        if top is None:
            return {}
        prefix = context_dir.resolve().relative_to(Path(top).resolve()).as_posix()
        listed = str(repository.run_git("ls-files", "-s", "-z", "--full-name", "--", prefix, what="ls-files"))
        changed = set(str(repository.run_git("diff", "--name-only", "-z", "--", prefix, what="diff")).split("\0"))
    except (WerfError, ValueError):
        return {}
    blobs: dict[str, str] = {}
    start = "" if prefix == "." else prefix + "/"
    for record in listed.split("\0"):
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if len(fields) != 3 or fields[2] != "0" or path in changed or not path.startswith(start):
            continue
        if fields[0] in ("100644", "100755"):
            blobs[path[len(start):]] = fields[1]
    return blobs


def base_image_config(conveyor: Conveyor, spec: ImageSpec, reference: str, platform: Platform) -> dict[str, Any]:
    """The base image's runtime config for `platform`: from the engine when it has the image for that platform,
    else only the config from its registry (planning and an idle build pull no layer), else pulled. The engine is
    asked over its socket directly when it can be (werf_core/engine_api.py: an idle build imports no docker-py)."""
    from werf_core.engine_api import EngineAPI, NotAnswered
    from werf_core.errors import WerfError
    from werf_core.registry import RegistryClient
    engine = EngineAPI.from_env()
    try:
        if engine is None:
            raise NotAnswered("the engine address needs docker-py")
        info = engine.inspect_image(reference)
        if info is not None and of_config(info) == platform:
            return dict(info.get("Config") or {})
    except NotAnswered:
        import docker.errors
        try:
            found = conveyor.client.api.inspect_image(reference)
            if of_config(found) == platform:
                return dict(found.get("Config") or {})
        except docker.errors.ImageNotFound:
            pass
    try:
        with RegistryClient.from_werf_options() as registry:
            document = registry.get_config(reference, str(platform))
        _check_platform(spec, reference, of_config(document), platform)
        return dict(document.get("config") or {})
    except (WerfError, OSError, ValueError):
        image = base_image_for(conveyor, spec, reference, platform)
        return dict(conveyor.client.api.inspect_image(image).get("Config") or {})


def base_image_for(conveyor: Conveyor, spec: ImageSpec, reference: str, platform: Platform) -> str:
    """The base image in the engine for `platform` (pulled for it when the engine has another platform's or none);
    a base image of another platform is an error, never silently used."""
    import docker.errors
    if platform == host_platform():
        image = conveyor.ensure_base_image(reference, spec)
    else:
        try:
            info = conveyor.client.api.inspect_image(reference)
            if of_config(info) == platform:
                return reference
        except docker.errors.ImageNotFound:
            pass
        conveyor.progress.info(f"Pulling base image {reference} for {platform} ...")
        try:
            for _ in conveyor.client.api.pull(reference, platform=str(platform), stream=True, decode=True):
                pass
        except docker.errors.APIError as err:
            raise BuildError(f"image {spec.display_name}: cannot pull the base image {reference} for "
                                  f"{platform}: {err.explanation}",
                                  hint="check that the image exists for that platform") from None
        image = reference
    _check_platform(spec, reference, of_config(conveyor.client.api.inspect_image(image)), platform)
    return image


def _check_platform(spec: ImageSpec, reference: str, found: Platform, wanted: Platform) -> None:
    if found != wanted:
        raise BuildError(f"image {spec.display_name}: the base image {reference} is built for {found}, not for "
                              f"{wanted}", hint="use a base image (or a multi-platform index) that has the platform, "
                                                "or change `platform:` in werf.yaml")


def build_dockerfile_platforms(conveyor: Conveyor, spec: ImageSpec, image_tmp: Path, mode: BuildMode
                               ) -> ImageResult:
    """The image for each of its platforms (the host's when none is set); several make one image over all."""
    from werf_core.conveyor.conveyor import image_content_digest
    platforms = [Platform.parse(p) for p in spec.platforms] or [host_platform()]
    if len(platforms) == 1:
        stages = build_dockerfile_image(conveyor, spec, image_tmp, mode, platforms[0])
        return conveyor._image_done(spec, stages, str(platforms[0]))
    variants: list[ImageResult] = []
    for platform in platforms:
        work = image_tmp / str(platform).replace("/", "-")
        work.mkdir()
        stages = build_dockerfile_image(conveyor, spec, work, mode, platform)
        variants.append(ImageResult(name=spec.name, is_artifact=spec.is_artifact, stages=tuple(stages),
                                    content_digest=image_content_digest(stages[-1]), platform=str(platform)))
    return conveyor._image_done(spec, list(variants[0].stages), variants[0].platform, tuple(variants))


def build_dockerfile_image(conveyor: Conveyor, spec: ImageSpec, image_tmp: Path,
                           mode: BuildMode, platform: Platform | None = None) -> list[StageResult]:
    from werf_core.conveyor.conveyor import StageJob
    plan, context = plan_image(conveyor, spec, platform)
    # every chain starts at a FROM: the dependencies' digests there reach every stage of the image
    chain_root = dependencies_checksum(conveyor.source_image, spec.image_dependencies)
    if spec.dockerfile is not None and spec.dockerfile.cache_versions:
        chain_root = sha3_224_hash(chain_root, *(f"cacheVersion={v}" for v in spec.dockerfile.cache_versions))
    finals: dict[int, StageResult] = {}
    planned: dict[int, str] = {}   # digest of each Dockerfile stage's last instruction, known before any lookup
    results: list[StageResult] = []

    def lookup(index: int) -> tuple[StageDescription, str]:
        result = finals.get(index)
        if result is None:   # while the digests are computed, only the digest is asked for
            return _NOT_YET_SELECTED, planned[index]
        return result.description, result.digest

    def new_ctx(kind: DockerfileFromKind | DockerfileStepKind, prev: StageResult | None) -> StageContext:
        return StageContext(spec=spec, project=conveyor.project, project_dir=conveyor.project_dir, git=[],
                            prev_built=prev.description if prev else None, source_image=conveyor.source_image,
                            export_path=conveyor.export_path, docker_client=lambda: conveyor.client,
                            stat_paths=lambda d, p: stat_paths(conveyor, d, p),
                            werf_home=str(paths.werf_home()), tmp_dir=str(image_tmp / kind.name))

    # Every digest first: an instruction's digest chains only digests (its parent's, a COPY --from stage's), never
    # a selected stage, so the stored stages of all of them can be described at once (a registry answers them
    # concurrently) before the instructions are selected or built in order.
    chains: list[list[tuple[DockerfileFromKind | DockerfileStepKind, str]]] = []
    for stage in plan.stages:
        parent = planned.get(stage.base_stage) if stage.base_stage is not None else None
        kinds: list[DockerfileFromKind | DockerfileStepKind] = []
        if stage.base_stage is None:   # an image or scratch: the chain starts here
            # a stage for another platform than the host's never shares a digest with the host's
            extra = chain_root if stage.platform == str(host_platform()) else sha3_224_hash(chain_root,
                                                                                            stage.platform)
            kinds.append(DockerfileFromKind(plan=plan, stage=stage, extra=extra))
        kinds.extend(DockerfileStepKind(plan=plan, stage=stage, step=step, context=context, stage_lookup=lookup,
                                        image_exporter=lambda ref, path: export_image_path(conveyor, spec, ref, path))
                     for step in stage.steps)
        chain = []
        for kind in kinds:
            parent = dockerfile_digest(kind.dependencies(new_ctx(kind, None)), parent)
            chain.append((kind, parent))
        assert parent is not None
        planned[stage.index] = parent
        chains.append(chain)
    conveyor.manager.prefetch(digest for chain in chains for _, digest in chain)

    for stage, chain in zip(plan.stages, chains, strict=True):
        prev = finals.get(stage.base_stage) if stage.base_stage is not None else None
        for kind, digest in chain:
            ctx = new_ctx(kind, prev)
            Path(ctx.tmp_dir).mkdir(parents=True, exist_ok=True)
            job = StageJob(image=spec.display_name, kind=kind, digest=digest, ctx=ctx, project=conveyor.project,
                           stages_storage=conveyor.storage.address, mode=mode)
            prev = conveyor.stage_runner.run_stage(conveyor, job)
            results.append(prev)
        assert prev is not None
        finals[stage.index] = prev
    target = finals[plan.target.index]
    if not results or results[-1] is not target:
        results.append(target)
    return results


# what a COPY --from lookup answers while digests are computed (nothing is selected yet; only the digest is read)
_NOT_YET_SELECTED = StageDescription(StageID("", 0), "", "", {})


# ---------------------------------------------------------------------- engine builds
def from_base_reference(job: StageJob) -> str | None:
    """The base image a FROM stage is built on (its layers are the stage's layers), None for other stages."""
    kind = job.kind
    return kind.stage.base_image if isinstance(kind, DockerfileFromKind) else None


def build_in_engine(conveyor: Conveyor, job: StageJob) -> str:
    """The local image of a Dockerfile stage built with the engine (not yet published)."""
    kind = job.kind
    if isinstance(kind, DockerfileFromKind) and kind.stage.is_scratch:
        if not conveyor.storage.is_local():
            # the engine cannot export an image without layers, which publishing to a registry needs
            raise DockerfileError("FROM scratch is not supported with a registry stages storage yet",
                                  path=kind.plan.path, line=kind.stage.line,
                                  hint="build with --stages-storage :local, or start from a small base image")
        # an image without layers: BuildKit's empty image (the default PATH) and werf's labels
        runtime = {**scratch_config(), "Labels": conveyor._stage_labels(job, {})}
        return _load(conveyor, job, {**Platform.parse(kind.stage.platform).config_fields(), "config": runtime,
                                     "rootfs": {"type": "layers", "diff_ids": []}, "history": []}, None)
    if isinstance(kind, DockerfileFromKind):
        assert kind.stage.base_image is not None
        base = base_image_for(conveyor, job.ctx.spec, kind.stage.base_image, Platform.parse(kind.stage.platform))
        info = conveyor.client.api.inspect_image(base)
        runtime = dict(info.get("Config") or {})
        runtime["Labels"] = {**(runtime.get("Labels") or {}), **conveyor._stage_labels(job, {})}
        config = engine_config(info)
        config["config"] = runtime
        return _load(conveyor, job, config, None)
    assert isinstance(kind, DockerfileStepKind) and job.ctx.prev_built is not None
    parent = conveyor.storage.fetch(conveyor.project, job.ctx.prev_built)
    run = kind.step.run
    if run is not None:
        if not can_run(Platform.parse(kind.stage.platform)):
            raise DockerfileError(f"RUN: image {job.image} is built for {kind.stage.platform}, and this "
                                  f"{host_platform()} host cannot run its commands (no emulator registered)",
                                  path=kind.plan.path, line=kind.step.line, hint=EMULATION_HINT)
        runner = ContainerRunner(conveyor.client, project=conveyor.project, toolchain_container="",
                                 on_output=lambda line: conveyor.progress.stage_output(job, line))
        binds, secret_env = secret_mounts(job.ctx, run.secrets)
        stubs: list[str] = []
        conveyor._runners.append(runner)
        try:
            network = "none" if run.network == "none" else (job.ctx.spec.dockerfile.network if job.ctx.spec.dockerfile
                                                          and job.ctx.spec.dockerfile.network else "none")
            committed = runner.run_command(parent, list(run.argv), stage=f"{job.image}/{job.stage}",
                                           env=[*run.env, *secret_env], user=run.user, workdir=run.workdir,
                                           network="host" if run.network == "host" else network,
                                           extra_hosts=list(job.ctx.spec.dockerfile.add_host)
                                           if job.ctx.spec.dockerfile else None, binds=binds, mount_stubs=stubs)
        finally:
            conveyor._runners.remove(runner)
            remove_secret_files(job.ctx)
        try:
            info = conveyor.client.api.inspect_image(committed)
            runtime = json.loads(json.dumps(kind.step.config))
            runtime["Labels"] = {**(runtime.get("Labels") or {}), **conveyor._stage_labels(job, {})}
            config = engine_config(info)
            config["config"] = runtime
            stub_layer = _without_mount_stubs(job, stubs)
            if stub_layer is not None:
                config = append_layer(config, stub_layer, ConfigChanges(runtime=runtime, created_by="werf: secret "
                                                                        "mount points removed"), parent_id=info["Id"])
            return _load(conveyor, job, config, stub_layer)
        finally:
            conveyor._remove_image(committed)
    recipe = kind.layer_recipe(job.ctx)
    assert recipe is not None
    recipe.changes.labels.update(conveyor._stage_labels(job, {}))
    layer = build_layer(recipe, Path(job.ctx.tmp_dir) / "layer.tar", compress=False)
    info = conveyor.client.api.inspect_image(parent)
    config = append_layer(engine_config(info), layer, recipe.changes, parent_id=info["Id"])
    return _load(conveyor, job, config, layer)


def secret_mounts(ctx: StageContext, mounts: tuple[SecretMount, ...]) -> tuple[list[Bind], list[str]]:
    """The file binds and environment variables of a RUN's secret mounts, their values read only now.

    Each mount gets its own host file (0700 directory inside the stage's temporary directory, the mount's mode and
    owner), bound read-only at its target: the content is never part of the committed layer."""
    import os

    from werf_core.builders.secrets import secret_bytes
    by_id = {s.id: s for s in ctx.spec.secrets}
    directory = Path(ctx.tmp_dir) / "secrets"
    binds: list[Bind] = []
    env: list[str] = []
    for number, mount in enumerate(mounts):
        data = secret_bytes(by_id[mount.id], project_dir=ctx.project_dir, environ=os.environ)
        if mount.env is not None:
            env.append(f"{mount.env}={data.decode(errors='replace')}")
        if mount.target is None:
            continue
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        host = directory / f"{number}-{mount.id}"
        host.unlink(missing_ok=True)
        fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.chown(host, mount.uid, mount.gid)
        os.chmod(host, mount.mode)
        binds.append(Bind(str(host), mount.target, read_only=True))
    return binds, env


def remove_secret_files(ctx: StageContext) -> None:
    import shutil
    shutil.rmtree(Path(ctx.tmp_dir) / "secrets", ignore_errors=True)


def _without_mount_stubs(job: StageJob, stubs: list[str]) -> Layer | None:
    """A layer deleting the empty files the engine created as secret mount points (BuildKit leaves none; the
    directories it created for them stay, as BuildKit's do)."""
    if not stubs:
        return None
    writer = LayerWriter(Path(job.ctx.tmp_dir) / "mount-stubs.tar", compress=False)
    for stub in stubs:
        writer.add_whiteout(stub)
    return writer.close()


def _load(conveyor: Conveyor, job: StageJob, config: dict[str, Any], layer: Any) -> str:
    if not config.get("created"):
        config["created"] = now_rfc3339()
    raw = canonical_json(config)
    image_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    with tempfile.TemporaryDirectory(prefix="werf-dockerfile-", dir=paths.tmp_dir()) as work:
        archive = write_load_archive(f"{work}/image.tar", raw, config["rootfs"]["diff_ids"], layer, [])
        with open(archive, "rb") as data:
            for _ in conveyor.client.api.load_image(data, quiet=True):
                pass
    conveyor.client.api.inspect_image(image_id)
    return image_id


def export_image_path(conveyor: Conveyor, spec: ImageSpec, reference: str, path: str) -> Path:
    """A tar of `path` inside the external image `reference` (COPY --from=<image>); pulled if missing."""
    image = conveyor.ensure_base_image(reference, spec)
    return conveyor.archive_from_image(image, path, prefix="copy-from-", missing=(
        f"COPY --from={reference}: {path} does not exist in the image", "check the COPY source path"))


def stat_paths(conveyor: Conveyor, description: StageDescription, paths: list[str]
               ) -> dict[str, tuple[int, int, int] | None]:
    """Mode (with the file type bits), owner and group of `paths` in a stage image (None when missing), reading only each path's first tar
    header from the engine (a directory's content is never streamed). When getting the image into the engine would
    need a pull, a storage that can answer from the stage's layers (a registry: usually the top layer or two) does,
    so nothing is pulled and no container is created."""
    from_layers = getattr(conveyor.storage, "stat_paths", None)
    fetch_pulls = getattr(conveyor.storage, "fetch_pulls", None)
    if from_layers is not None and fetch_pulls is not None and fetch_pulls(description):
        found: dict[str, tuple[int, int, int] | None] | None = from_layers(conveyor.project, description, paths)
        if found is not None:
            return found
    import docker.errors
    local = conveyor.storage.fetch(conveyor.project, description)
    client = conveyor.client
    container = client.api.create_container(local, command=["/.werf/none"], network_disabled=True,
                                            labels={"werf": conveyor.project})
    result: dict[str, tuple[int, int, int] | None] = {}
    try:
        for path in paths:
            try:
                stream, _ = client.api.get_archive(container["Id"], path, chunk_size=4096)
            except docker.errors.NotFound:
                result[path] = None
                continue
            result[path] = _first_header(stream)
    finally:
        client.api.remove_container(container["Id"], force=True)
    return result


def _first_header(stream: Any) -> tuple[int, int, int] | None:
    import io
    import stat
    import tarfile
    buffer = b""
    try:
        for chunk in stream:
            buffer += chunk
            if len(buffer) >= 64 * 1024:
                break
        with tarfile.open(fileobj=io.BytesIO(buffer), mode="r|") as tar:
            member = tar.next()
            if member is None:
                return None
            kind = stat.S_IFDIR if member.isdir() else stat.S_IFLNK if member.issym() else stat.S_IFREG
            return (kind | member.mode, member.uid, member.gid)   # the type bits too: a directory is told apart
    except tarfile.TarError:
        return None
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
