"""The registry stages storage (`--stages-storage REPO`): stages as `<REPO>:<digest>-<uniqueID>` in a Docker registry.

Many runners share one registry repository; each stage is pushed once and reused by everybody.

- Reading costs little: the repository is listed once per build (`tags`), and the listing is kept current from this
  storage's own pushes; `list_stage_ids` answers from it (stages marked `<tag>-rejected` and record tags are
  skipped), and so does `describe`'s rejected-marker probe. `describe` reads a stage's manifest and config once, then
  answers from the host manifest cache. With a warm stages-storage cache an idle build therefore sends the registry
  no request at all.
- `store` publishes a freshly built local image with our registry client (registry_push.py): only layers the parent
  stage does not already have are uploaded, with retries and restartable uploads; the manifest goes last, after every
  blob is confirmed, and the registry makes the tag visible only then — other runners never see a half-written
  stage. `store_layer` publishes a layer-native stage (a layer and/or config change built in-process) the same way,
  reusing the parent's layers: no pull, no engine.
- Every stage manifest and config this build read or wrote stays in memory (`documents`): publishing a child stage
  on it, publishing the image, or an engine-built stage reusing its parent's layers ask the registry nothing more
  than a HEAD (nothing at all for a parent this build pushed).
- `stat_paths` answers "mode and owner of these paths in a stage" from the stage's layers, top layer first
  (werf_core/layers/path_stats.py), when fetching the stage would mean a pull: a Dockerfile COPY or WORKDIR on a
  fresh runner reads a small top layer or two instead of pulling the chain and creating a container.
- `fetch` is the lazy pull: it runs only when something must be built on top of a stage, and pulls only when the
  engine does not already hold the stage's image ID. A stage that turns out gone makes the build reset its
  stages-storage cache and start over; a broken one (missing blobs) is marked rejected first, so nobody selects it
  again.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werf_core.errors import DockerEngineError, RegistryError, ShouldResetStagesStorageCache, StorageError
from werf_core.layers.config import ConfigChanges
from werf_core.layers.writer import Layer
from werf_core.registry.errors import BrokenImageError, ManifestBlobUnknownError, RegistryUnreachableError
from werf_core.registry.image_info import ImageInfo
from werf_core.registry.manifest import Descriptor, Manifest, UnsupportedManifestError
from werf_core.registry.protocol import Registry
from werf_core.registry.reference import ImageReference
from werf_core.storage.base import BrokenStage, StageDescription
from werf_core.storage.lru import record_use, refresh_use
from werf_core.storage.manifest_cache import ManifestCache
from werf_core.storage.stage_id import StageID

if TYPE_CHECKING:
    import docker

    from werf_core.layers.path_stats import LayerMemo
    from werf_core.registry.client import RegistryClient

REJECTED_SUFFIX = "-rejected"
# stat_paths reads at most this many bytes of layer blobs before leaving the question to the engine (which pulls)
STAT_SCAN_BUDGET = 32 << 20
_HEX = re.compile(r"[0-9a-f]+")
# what Docker says when a pull meets a manifest naming blobs the registry lost
_BROKEN_PULL_SIGNS = ("unknown blob", "blob unknown", "blob_unknown", "filesystem layer verification failed",
                      "digest did not match", "unexpected eof")
_MISSING_PULL_SIGNS = ("manifest unknown", "not found")
_UNREACHABLE_SIGNS = ("connection refused", "no such host", "i/o timeout", "connection reset", "dial tcp",
                      "no route to host", "tls handshake timeout")


def parse_stage_tags(tags: list[str], digest: str | None = None) -> list[StageID]:
    """Stage IDs among a repository's tags: `<hex digest>-<uniqueID>`, minus those marked `-rejected`."""
    rejected = {t[:-len(REJECTED_SUFFIX)] for t in tags if t.endswith(REJECTED_SUFFIX)}
    ids = []
    for tag in tags:
        if tag in rejected:
            continue
        stage_id = StageID.parse_tag(tag)
        if stage_id is None or not _HEX.fullmatch(stage_id.digest):
            continue
        if digest is None or stage_id.digest == digest:
            ids.append(stage_id)
    return sorted(ids)


def engine_auth_config(docker_config: str | None, registry: str) -> dict[str, Any] | None:
    """Credentials to hand the engine for a push/pull: from --docker-config when given; else None, and the engine
    client uses its own Docker config ($DOCKER_CONFIG or ~/.docker)."""
    if not docker_config:
        return None
    from werf_core.registry.credentials import DockerConfigCredentials
    found = DockerConfigCredentials(docker_config).lookup(registry)
    if found is None:
        return None
    if found.identity_token:
        return {"identitytoken": found.identity_token}
    return {"username": found.username, "password": found.password}


def transfer_error(verb: str, name: str, detail: str, registry: str) -> RegistryError:
    """A failed `docker push`/`docker pull` as one clear error: unreachable, denied, or anything else."""
    lowered = detail.lower()
    where = f"{verb} {name}"
    if any(sign in lowered for sign in _UNREACHABLE_SIGNS):
        return RegistryUnreachableError(
            f"registry {registry} is unreachable: cannot {where} ({detail.strip()})",
            hint="check that the registry is running and reachable from the Docker engine; nothing half-written "
                 "is visible in the registry, so rerunning continues where it stopped")
    if "denied" in lowered or "unauthorized" in lowered or "authentication required" in lowered:
        return RegistryError(f"the registry refused to {where}: {detail.strip()}",
                             hint=f"log in to {registry} (`docker login`, or --docker-config with credentials "
                                  "that may push there)")
    return RegistryError(f"cannot {where}: {detail.strip()}",
                         hint="check the Docker engine's log and the registry; rerunning continues where it stopped")


def docker_push(client: docker.DockerClient, name: str, *, auth_config: dict[str, Any] | None, say: Callable[[str], None], registry: str,
                what: str = "image") -> str:
    """`docker push NAME`, reporting layers uploaded vs. already present; returns the pushed manifest digest.

    The engine uploads every missing layer and then the manifest, which is the moment the tag appears.
    """
    import docker.errors
    import requests.exceptions
    repository, _, tag = name.rpartition(":")
    started = time.monotonic()
    uploaded, present, digest = set(), set(), ""
    say(f"Pushing {what} {name} ...")
    try:
        for event in client.api.push(repository, tag, stream=True, decode=True, auth_config=auth_config):
            if "error" in event:
                raise transfer_error("push", name, event.get("error") or str(event), registry)
            status, layer = event.get("status") or "", event.get("id")
            if status == "Pushed":
                uploaded.add(layer)
            elif status == "Layer already exists":
                present.add(layer)
            digest = (event.get("aux") or {}).get("Digest") or digest
    except docker.errors.APIError as err:
        raise transfer_error("push", name, str(err.explanation or err), registry) from None
    except requests.exceptions.ConnectionError as err:
        raise DockerEngineError(f"lost the Docker engine while pushing {name}: {err}",
                                hint="check that dockerd is running; nothing half-written was published") from None
    say(f"Pushed {what} {name}: {len(uploaded)} layer(s) uploaded, {len(present)} already in the registry "
        f"({time.monotonic() - started:.2f}s)")
    return digest


def ensure_blobs(registry: Registry, source: str, target: str, descriptors: Iterable[Descriptor]) -> None:
    """Make every blob of `descriptors` present in `target`'s repository, mounting (or copying) only missing ones.

    Checking first matters beyond saving requests: re-mounting a blob the repository already links rewrites that
    link, and the reference registry does not do it atomically — a manifest PUT checking the same blob at that
    moment is refused ("blob unknown"). So each blob is linked once, and only when absent.
    """
    wanted = [d for d in descriptors if not d.is_foreign]
    if len(wanted) > 1:   # the checks are independent small requests: ask them together
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=min(8, len(wanted)), thread_name_prefix="werf-blob-check") as pool:
            present = list(pool.map(lambda d: registry.blob_exists(target, d.digest), wanted))
    else:
        present = [registry.blob_exists(target, d.digest) for d in wanted]
    for descriptor, there in zip(wanted, present, strict=True):
        if not there:
            registry.mount_or_copy_blob(source, target, descriptor)


def put_manifest_settled(registry: Registry, source: str, target: str, raw: bytes, media_type: str,
                         descriptors: Sequence[Descriptor], attempts: int = 3) -> str:
    """PUT a manifest whose blobs were just ensured; if the registry still reports one unknown (another writer was
    linking it at that instant), ensure the blobs again and retry."""
    for attempt in range(attempts):
        try:
            return registry.put_manifest(target, raw, media_type)
        except ManifestBlobUnknownError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
            ensure_blobs(registry, source, target, descriptors)
    raise AssertionError("unreachable")


def description_from_info(stage_id: StageID, image_name: str, info: ImageInfo) -> StageDescription:
    return StageDescription(stage_id=stage_id, image_name=image_name, image_id=info.id, labels=dict(info.labels),
                            size=info.size, created_at=info.created_at_unix_nano / 1e9, parent=info.parent_id)


class RegistryStagesStorage:
    def __init__(self, address: str, client_factory: Callable[[], docker.DockerClient], *, insecure: bool = False,
                 skip_tls_verify: bool = False, docker_config: str | None = None) -> None:
        reference = ImageReference.parse(address)
        if reference.tag or reference.digest:
            raise StorageError(f"stages storage {address!r} names an image, not a repository",
                               hint="drop the tag or digest: --stages-storage registry.example.com/project/stages")
        self.address = address
        self.reference = reference
        self.insecure = insecure
        self.skip_tls_verify = skip_tls_verify
        self.docker_config = docker_config
        self.manifest_cache = ManifestCache(address)
        self._client_factory = client_factory
        self._registry: RegistryClient | None = None
        self._listing: set[str] | None = None
        self._lock = threading.Lock()
        self._say: Callable[[str], None] = lambda message: None
        # layer-native stages this process published: a later fetch loads them into the engine from the layer file
        # (the parent is local or loaded the same way) instead of pulling every layer again
        self._built_here: dict[str, tuple[StageDescription, Layer | None, bytes]] = {}
        # manifest and raw config of every stage this process read or wrote (a stage never changes under its
        # name): publishing a child on one of them needs only a HEAD to confirm the parent is still there
        self._documents: dict[str, tuple[Manifest, bytes]] = {}
        # stage images this process pushed (their manifests came from our own PUT)
        self._pushed_here: set[str] = set()
        # layer blobs this process wrote, by digest: reading them back (stat_paths) needs no download
        self._layer_files: dict[str, Path] = {}
        # what each layer read by stat_paths said about each path asked (a blob's content never changes)
        self._layer_memo: LayerMemo = {}

    # ---------------------------------------------------------------- services, created on first use
    @property
    def registry(self) -> RegistryClient:
        """The registry API client (httpx is imported only now)."""
        with self._lock:
            if self._registry is None:
                from werf_core.registry.client import RegistryClient
                self._registry = RegistryClient.from_werf_options(
                    insecure_registry=self.insecure, skip_tls_verify_registry=self.skip_tls_verify,
                    docker_config=self.docker_config)
            return self._registry

    @property
    def client(self) -> docker.DockerClient:
        """The Docker engine client; only pushes and pulls need it."""
        return self._client_factory()

    def report_to(self, say: Callable[[str], None]) -> None:
        """Where push and pull progress goes (the build's progress output)."""
        self._say = say

    def is_local(self) -> bool:
        return False

    def stage_image_name(self, project: str, stage_id: StageID) -> str:
        return f"{self.address}:{stage_id.tag}"

    # ---------------------------------------------------------------- reading
    def list_stage_ids(self, project: str, digest: str | None = None) -> list[StageID]:
        """From this build's listing of the repository (one request per build, see `tags`)."""
        return parse_stage_tags(sorted(self.tags()), digest)

    def tags(self) -> set[str]:
        """Every tag of the repository: listed once, then kept current from this storage's own writes.

        Another runner's later pushes are not in it; callers that must see them (the re-check before publishing)
        rely on the stages-storage cache entry the publisher wrote, or call `forget_listing` first.
        """
        with self._lock:
            if self._listing is not None:
                return set(self._listing)
        listed = set(self.registry.list_tags(self.address))
        with self._lock:
            if self._listing is None:
                self._listing = listed
            return set(self._listing)

    def listed(self) -> set[str] | None:
        """This build's listing, if it made one (no request)."""
        with self._lock:
            return None if self._listing is None else set(self._listing)

    def forget_listing(self) -> None:
        with self._lock:
            self._listing = None

    def _note_tag(self, tag: str, present: bool = True) -> None:
        with self._lock:
            if self._listing is not None:
                (self._listing.add if present else self._listing.discard)(tag)

    def describe(self, project: str, stage_id: StageID) -> StageDescription | None:
        name = self.stage_image_name(project, stage_id)
        info = self.manifest_cache.get(name)
        if info is None:
            listing = self.listed()
            if listing is not None:
                if stage_id.tag + REJECTED_SUFFIX in listing:    # the listing already answers the probe
                    return None
            elif self.registry.head_manifest(name + REJECTED_SUFFIX) is not None:
                return None
            try:
                found = self.registry.manifest_and_config(name)
            except (BrokenImageError, UnsupportedManifestError) as err:
                raise BrokenStage(stage_id, err.message) from None
            if found is None:
                return None
            info = self._remember_documents(stage_id, name, *found)
            self.manifest_cache.put(name, info)
        return description_from_info(stage_id, name, info)

    # ---------------------------------------------------------------- writing
    def store(self, project: str, local_image_id: str, stage_id: StageID, *, parent: str | None = None
              ) -> StageDescription:
        """Publish an image the engine built: its new layers go up through our client (retried, restartable), the
        parent's (`parent`, else the image's Config.Image) are reused — read from this build's memory when it knows
        them; the tag appears with the manifest, after every blob is confirmed."""
        from werf_core.storage.registry_push import push_engine_image
        name = self.stage_image_name(project, stage_id)
        started = time.monotonic()
        self._say(f"Pushing stage {name} ...")
        with self._publishing(name):
            with self._lock:
                parent_documents = self._documents.get(parent) if parent else None
            info, manifest, config = push_engine_image(self.registry, self.client, local_image_id, self.address,
                                                       name, parent_ref=parent or "",
                                                       parent_documents=parent_documents)
        with self._lock:
            self._documents[name] = (manifest, config)
            self._pushed_here.add(name)
        repository, _, tag = name.rpartition(":")
        self.client.api.tag(local_image_id, repository, tag)  # a later fetch finds it without a pull
        self._say(f"Pushed stage {name} ({time.monotonic() - started:.2f}s)")
        self.manifest_cache.put(name, info)
        self._note_tag(stage_id.tag)
        return description_from_info(stage_id, name, info)

    def store_layer(self, project: str, parent: StageDescription, layer: Layer | None, changes: ConfigChanges,
                    stage_id: StageID) -> StageDescription:
        """Publish a layer-native stage: `parent` + `layer` + `changes`, without pulling anything or the engine."""
        from werf_core.storage.registry_push import push_layer_stage
        name = self.stage_image_name(project, stage_id)
        with self._publishing(name):
            found = self._parent_documents(parent)
            if found is None or found[0].config.digest != parent.image_id:
                self.manifest_cache.delete(parent.image_name)
                with self._lock:
                    self._documents.pop(parent.image_name, None)
                raise ShouldResetStagesStorageCache(f"stage {parent.image_name} is no longer in {self.address} "
                                                    "as it was selected")
            started = time.monotonic()
            info, manifest, config = push_layer_stage(self.registry, self.address, name, parent.image_name,
                                                      parent.image_id, found, layer, changes)
        self._say(f"Pushed stage {name}: {layer.size if layer else 0} byte(s) of layer, no engine "
                  f"({time.monotonic() - started:.2f}s)")
        self.manifest_cache.put(name, info)
        self._note_tag(stage_id.tag)
        description = description_from_info(stage_id, name, info)
        with self._lock:
            self._built_here[description.image_id] = (parent, layer, config)
            self._documents[name] = (manifest, config)
            self._pushed_here.add(name)
            if layer is not None and layer.compressed:
                self._layer_files[layer.digest] = layer.path
        return description

    def _remember_documents(self, stage_id: StageID, name: str, manifest: Manifest, config: bytes) -> ImageInfo:
        try:
            parsed = json.loads(config)
        except ValueError:
            raise BrokenStage(stage_id, f"the config blob of {name} is not JSON") from None
        info = ImageInfo.from_manifest_and_config(ImageReference.parse(name), manifest,
                                                  parsed if isinstance(parsed, dict) else {})
        with self._lock:
            self._documents[name] = (manifest, config)
        return info

    def _parent_documents(self, parent: StageDescription) -> tuple[Manifest, bytes] | None:
        """The parent stage's manifest and config, as publishing a child on it needs them, confirmed current: from
        this build's memory plus one HEAD when it read or wrote them, else read (two requests)."""
        with self._lock:
            known = self._documents.get(parent.image_name)
            pushed_here = parent.image_name in self._pushed_here
        if known is not None:
            # a parent this build pushed itself needs no check: its blobs were confirmed moments ago, and a
            # manifest naming a blob the repository lost is refused by the registry anyway
            if pushed_here or \
                    self.registry.head_manifest(parent.image_name) == (known[0].index_digest or known[0].digest):
                return known
        return self.registry.manifest_and_config(parent.image_name)

    def stat_paths(self, project: str, description: StageDescription, paths: list[str]
                   ) -> dict[str, tuple[int, int, int] | None] | None:
        """Mode, owner and group of `paths` in a stage image (None where missing), read from its layers in the
        registry top layer first (werf_core/layers/path_stats.py) — nothing pulled into the engine, no container.

        Layers this process wrote are read from their files. None when the answer would need more than
        STAT_SCAN_BUDGET bytes of layers, or a layer cannot be read: the caller then asks the engine.
        """
        from werf_core.layers.path_stats import LayerScanError, LayerSource, stat_paths_in_layers
        with self._lock:
            known = self._documents.get(description.image_name)
        manifest = known[0] if known is not None else None
        if manifest is None:
            try:
                manifest = self.registry.get_manifest(description.image_name)
            except (RegistryError, UnsupportedManifestError):
                return None
            if manifest is None:
                return None
        if any(layer.is_foreign for layer in manifest.layers):
            return None

        def source(layer: Descriptor) -> LayerSource:
            with self._lock:
                local = self._layer_files.get(layer.digest)
            if local is not None and local.exists():
                return LayerSource(size=0, open=lambda: open(local, "rb"), key=layer.digest)
            return LayerSource(size=layer.size, open=lambda: self.registry.open_blob(description.image_name, layer),
                               key=layer.digest)

        try:
            return stat_paths_in_layers([source(layer) for layer in reversed(manifest.layers)], paths,
                                        budget=STAT_SCAN_BUDGET, memo=self._layer_memo)
        except (LayerScanError, RegistryError, BrokenImageError, OSError):
            return None

    @property
    def compresses_layers(self) -> bool:
        return True

    @contextlib.contextmanager
    def _publishing(self, name: str) -> Iterator[None]:
        """A registry that stays unreachable through every retry: one clear error (nothing half-written exists:
        a stage appears only with its manifest, which goes last)."""
        try:
            yield
        except RegistryUnreachableError as err:
            raise RegistryUnreachableError(
                f"registry {self.reference.registry} is unreachable: cannot push {name} ({err.message})",
                hint="check that the registry is running and reachable; nothing half-written is visible in the "
                     "registry, so rerunning continues where it stopped") from None

    def fetch(self, project: str, description: StageDescription) -> str:
        """The stage image in the local engine (pulled only if its image ID is missing); returns its name."""
        import docker.errors
        client = self.client
        name = description.image_name
        record_use(name)
        try:
            local = client.api.inspect_image(description.image_id)
        except docker.errors.ImageNotFound:
            local = None
        if local is not None:
            if name not in (local.get("RepoTags") or []):
                repository, _, tag = name.rpartition(":")
                client.api.tag(description.image_id, repository, tag)
            return name
        with self._lock:
            built_here = self._built_here.get(description.image_id)
        if built_here is not None and (built_here[1] is None or built_here[1].path.exists()):
            self._load_built_here(project, description, *built_here)
            return name
        self._pull(project, description)
        return name

    def documents(self, image_name: str) -> tuple[Manifest, bytes] | None:
        """The manifest and raw config of a stage this build read or wrote (from memory; None if it did not)."""
        with self._lock:
            return self._documents.get(image_name)

    def fetch_pulls(self, description: StageDescription) -> bool:
        """Whether `fetch` would pull from the registry: the engine lacks the image and it is not a stage this
        process published on a chain the engine holds (those are loaded from their layer files)."""
        if self._engine_has(description.image_id):
            return False
        with self._lock:
            built_here = self._built_here.get(description.image_id)
        if built_here is None or (built_here[1] is not None and not built_here[1].path.exists()):
            return True
        return self.fetch_pulls(built_here[0])

    def _engine_has(self, image_id: str) -> bool:
        """Whether the engine holds the image; asked over its socket when it can be (no docker-py import)."""
        from werf_core.engine_api import EngineAPI, NotAnswered
        engine = EngineAPI.from_env()
        if engine is not None:
            try:
                return engine.inspect_image(image_id) is not None
            except NotAnswered:
                pass
        import docker.errors
        try:
            self.client.api.inspect_image(image_id)
            return True
        except docker.errors.ImageNotFound:
            return False

    def mark_used(self, project: str, description: StageDescription) -> None:
        """A build used this stage: if the engine holds a copy (`fetch` recorded it), its last-use time orders the
        host LRU GC."""
        if description.image_name:
            refresh_use(description.image_name)

    def _load_built_here(self, project: str, description: StageDescription, parent: StageDescription,
                         layer: Layer | None, raw: bytes) -> None:
        """`docker load` of a stage this process published layer-natively: only its own layer goes in."""
        import tempfile

        from werf_core import paths
        from werf_core.layers.engine_archive import write_load_archive
        self.fetch(project, parent)
        diff_ids = json.loads(raw)["rootfs"]["diff_ids"]
        with tempfile.TemporaryDirectory(prefix="werf-load-", dir=paths.tmp_dir()) as work:
            archive = write_load_archive(f"{work}/image.tar", raw, diff_ids, layer, [description.image_name])
            with open(archive, "rb") as data:
                for _ in self.client.api.load_image(data, quiet=True):
                    pass

    def delete(self, project: str, stage_id: StageID) -> None:
        name = self.stage_image_name(project, stage_id)
        self.manifest_cache.delete(name)
        with self._lock:
            self._documents.pop(name, None)
            self._pushed_here.discard(name)
        self.registry.delete_tag(name)
        self._note_tag(stage_id.tag, present=False)

    def reject(self, project: str, stage_id: StageID) -> None:
        """Push `<tag>-rejected`: listings skip the stage from now on, on every runner."""
        name = self.stage_image_name(project, stage_id)
        self.manifest_cache.delete(name)
        self.registry.push_manifest_only_image(name + REJECTED_SUFFIX,
                                               {"werf": project, "werf-rejected-stage": stage_id.tag})
        self._note_tag(stage_id.tag + REJECTED_SUFFIX)

    # ---------------------------------------------------------------- docker push / pull
    def _auth_config(self) -> dict[str, Any] | None:
        return engine_auth_config(self.docker_config, self.reference.registry)

    def _pull(self, project: str, description: StageDescription) -> None:
        import docker.errors
        import requests.exceptions
        name = description.image_name
        repository, _, tag = name.rpartition(":")
        started = time.monotonic()
        self._say(f"Pulling {name} ...")
        error = None
        try:
            for event in self.client.api.pull(repository, tag, stream=True, decode=True,
                                              auth_config=self._auth_config()):
                if "error" in event:
                    error = event.get("error") or str(event)
                    break
        except docker.errors.APIError as err:
            error = str(err.explanation or err)
        except requests.exceptions.ConnectionError as err:
            raise DockerEngineError(f"lost the Docker engine while pulling {name}: {err}",
                                    hint="check that dockerd is running") from None
        if error is not None:
            self._pull_failed(project, description, error)
        pulled = self.client.api.inspect_image(name)["Id"]
        if pulled != description.image_id:
            # the tag now names other content than the description we selected by: start over with fresh facts
            self.manifest_cache.delete(name)
            raise ShouldResetStagesStorageCache(f"stage {name} changed in {self.address} "
                                                f"(image {pulled}, expected {description.image_id})")
        self._say(f"Pulled {name} ({time.monotonic() - started:.2f}s)")

    def _pull_failed(self, project: str, description: StageDescription, error: str) -> None:
        lowered = error.lower()
        name = description.image_name
        if any(sign in lowered for sign in _BROKEN_PULL_SIGNS):
            self.reject(project, description.stage_id)
            raise ShouldResetStagesStorageCache(f"stage {name} is broken in {self.address} ({error}); "
                                                "it was marked rejected and will be rebuilt")
        if any(sign in lowered for sign in _MISSING_PULL_SIGNS):
            self.manifest_cache.delete(name)
            try:
                still_there = self.registry.head_manifest(name) is not None
            except RegistryError:
                still_there = True
            if not still_there:
                raise ShouldResetStagesStorageCache(f"stage {name} is no longer in {self.address}")
        raise transfer_error("pull", name, error, self.reference.registry)
