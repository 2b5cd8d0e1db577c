"""The local stages storage: stage images kept in the local Docker engine as werf-stages-storage/<project>:<tag>.

Storing a stage is a `docker tag` of the built image, which is atomic: a stage is visible only once complete.
Nothing is ever pulled; `fetch` is a no-op returning the stored name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werf_core.layers.config import ConfigChanges
from werf_core.layers.writer import Layer
from werf_core.storage.base import LOCAL_ADDRESS, StageDescription
from werf_core.storage.lru import forget as forget_use
from werf_core.storage.lru import record_use
from werf_core.storage.stage_id import StageID

if TYPE_CHECKING:
    import docker

    from werf_core.engine_api import EngineAPI

REPOSITORY_PREFIX = "werf-stages-storage"
SIGNATURE_LABEL = "werf-stage-signature"


def _created_seconds(value: str) -> float:
    # Docker gives RFC 3339 with nanoseconds, e.g. 2026-11-27T03:28:00.123456789Z
    if not value:
        return 0.0
    head, _, frac = value.rstrip("Z").partition(".")
    stamp = datetime.fromisoformat(head + "+00:00").timestamp()
    return stamp + (float("0." + frac[:6]) if frac else 0.0)


def engine_config(inspect: dict[str, Any]) -> dict[str, Any]:
    """An image config rebuilt from the engine's inspect data (the engine does not hand out the raw config without
    a full `docker save`); what a new config needs of its parent: runtime config, platform, layers."""
    config = {"architecture": inspect.get("Architecture") or "amd64", "os": inspect.get("Os") or "linux",
              "config": inspect.get("Config") or {}, "created": inspect.get("Created") or "",
              "rootfs": {"type": "layers", "diff_ids": list((inspect.get("RootFS") or {}).get("Layers") or [])}}
    if inspect.get("Variant"):
        config["variant"] = inspect["Variant"]
    return config


class LocalStagesStorage:
    address = LOCAL_ADDRESS

    def __init__(self, client: docker.DockerClient | None = None, *,
                 client_factory: Callable[[], docker.DockerClient] | None = None,
                 engine: EngineAPI | None = None) -> None:
        """`client`, or `client_factory` to make docker-py's client when first needed; `engine` (optional) answers
        the stage inspections of an idle build without docker-py (see werf_core.engine_api)."""
        self._client = client
        self._client_factory = client_factory
        self._engine = engine
        self._listings: dict[str, dict[StageID, str]] = {}   # project → stage → signature label
        self._listing_lock = threading.Lock()

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None and self._client_factory is not None:
            self._client = self._client_factory()
        assert self._client is not None, "LocalStagesStorage needs a client or a client factory"
        return self._client

    def inspect_image(self, name: str) -> dict[str, Any] | None:
        """The engine's inspect answer for an image, None if there is none."""
        if self._engine is not None:
            from werf_core.engine_api import NotAnswered
            try:
                return self._engine.inspect_image(name)
            except NotAnswered:
                pass                    # docker-py asks again, and raises its own error if there is one
        import docker.errors
        try:
            info: dict[str, Any] = self.client.api.inspect_image(name)
        except docker.errors.ImageNotFound:
            return None
        return info

    def is_local(self) -> bool:
        return True

    def report_to(self, say: Callable[[str], None]) -> None:
        """Nothing is transferred: stages are images in the local engine already."""

    @staticmethod
    def repository(project: str) -> str:
        return f"{REPOSITORY_PREFIX}/{project}"

    def stage_image_name(self, project: str, stage_id: StageID) -> str:
        return f"{self.repository(project)}:{stage_id.tag}"

    def list_stage_ids(self, project: str, digest: str | None = None) -> list[StageID]:
        """The project's stages (of one `digest`: its tag and its `werf-stage-signature` label both say so).

        For a digest the answer comes from one listing of the project's stage images per build (each list request
        makes the engine walk every image it has), kept current by this storage's own stores and deletes — as the
        registry storage does. A listing may miss a stage another process stored since; that is why a lookup under
        the stage lock calls `forget_listing` first, and why a stages-storage cache entry is the newer truth."""
        if not digest:
            return self._list_now(project)
        listing = self._listing(project)
        return sorted(stage_id for stage_id, signature in listing.items()
                      if stage_id.digest == digest and signature == digest)

    def _list_now(self, project: str) -> list[StageID]:
        return sorted(self._stage_images(project))

    def _stage_images(self, project: str) -> dict[StageID, str]:
        """Every stage tag of the project → its image's `werf-stage-signature` label ("" without one)."""
        repository = self.repository(project)
        found: dict[StageID, str] = {}
        for image in self._images({"reference": repository}):
            signature = (image.get("Labels") or {}).get(SIGNATURE_LABEL) or ""
            for ref in image.get("RepoTags") or []:
                repo, _, tag = ref.rpartition(":")
                if repo != repository:
                    continue
                stage_id = StageID.parse_tag(tag)
                if stage_id:
                    found[stage_id] = signature
        return found

    def _listing(self, project: str) -> dict[StageID, str]:
        with self._listing_lock:
            listing = self._listings.get(project)
        if listing is None:
            listing = self._stage_images(project)
            with self._listing_lock:
                listing = self._listings.setdefault(project, listing)
        with self._listing_lock:
            return dict(listing)

    def forget_listing(self) -> None:
        with self._listing_lock:
            self._listings.clear()

    def _note_stage(self, project: str, stage_id: StageID, signature: str | None) -> None:
        """Keep a listing current: a stage stored with its signature label, or removed (None)."""
        with self._listing_lock:
            listing = self._listings.get(project)
            if listing is None:
                return
            if signature is None:
                listing.pop(stage_id, None)
            else:
                listing[stage_id] = signature

    def _images(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        if self._engine is not None:
            from werf_core.engine_api import NotAnswered
            try:
                return self._engine.images(filters)
            except NotAnswered:
                pass                    # docker-py asks again, and raises its own error if there is one
        images: list[dict[str, Any]] = self.client.api.images(filters=filters)
        return images

    def _load(self, archive: Path) -> None:
        if self._engine is not None:
            from werf_core.engine_api import NotAnswered
            try:
                self._engine.load_image(archive)
                return
            except NotAnswered:
                pass                    # loading the same archive again is harmless: docker-py tries once more
        with open(archive, "rb") as data:
            for _ in self.client.api.load_image(data, quiet=True):
                pass

    def describe(self, project: str, stage_id: StageID) -> StageDescription | None:
        name = self.stage_image_name(project, stage_id)
        info = self.inspect_image(name)
        if info is None:
            return None
        return StageDescription(stage_id=stage_id, image_name=name, image_id=info["Id"],
                                labels=dict((info.get("Config") or {}).get("Labels") or {}),
                                size=int(info.get("Size") or 0), created_at=_created_seconds(info.get("Created", "")),
                                parent=(info.get("Config") or {}).get("Image") or info.get("Parent") or "")

    def store(self, project: str, local_image_id: str, stage_id: StageID, *, parent: str | None = None
              ) -> StageDescription:
        self.client.api.tag(local_image_id, self.repository(project), stage_id.tag)
        description = self.describe(project, stage_id)
        assert description is not None, "a tag we just created must exist"
        self._note_stage(project, stage_id, description.labels.get(SIGNATURE_LABEL, ""))
        record_use(description.image_name)
        return description

    def store_layer(self, project: str, parent: StageDescription, layer: Layer | None, changes: ConfigChanges,
                    stage_id: StageID) -> StageDescription:
        """A layer-native stage without a container: `docker load` of an archive holding only the new layer and
        config (the engine has the parent's layers). The tag appears when the load completes."""
        import tempfile

        from werf_core import paths
        from werf_core.layers.config import append_layer, canonical_json
        from werf_core.layers.engine_archive import write_load_archive
        info = self.inspect_image(parent.image_id)
        if info is None:               # removed meanwhile: docker-py's ImageNotFound, as before
            info = self.client.api.inspect_image(parent.image_id)
        config = append_layer(engine_config(info), layer, changes, parent_id=info["Id"])
        raw = canonical_json(config)
        name = self.stage_image_name(project, stage_id)
        with tempfile.TemporaryDirectory(prefix="werf-load-", dir=paths.tmp_dir()) as work:
            archive = write_load_archive(f"{work}/image.tar", raw, config["rootfs"]["diff_ids"], layer, [name])
            self._load(archive)
        description = self.describe(project, stage_id)
        if description is None:
            from werf_core.errors import StorageError
            raise StorageError(f"the Docker engine did not load stage {name}",
                               hint="check the daemon log; nothing was stored")
        self._note_stage(project, stage_id, description.labels.get(SIGNATURE_LABEL, ""))
        return description

    @property
    def compresses_layers(self) -> bool:
        return False

    def fetch(self, project: str, description: StageDescription) -> str:
        record_use(description.image_name)
        return description.image_name

    def mark_used(self, project: str, description: StageDescription) -> None:
        """A build used this stage: its last-use time orders the LRU GC of `werf host cleanup`."""
        if description.image_name:
            record_use(description.image_name)

    def delete(self, project: str, stage_id: StageID) -> None:
        import docker.errors
        try:
            self.client.api.remove_image(self.stage_image_name(project, stage_id), noprune=False)
        except docker.errors.ImageNotFound:
            pass
        self._note_stage(project, stage_id, None)
        forget_use(self.stage_image_name(project, stage_id))

    def reject(self, project: str, stage_id: StageID) -> None:
        """Local stages cannot be half-present: nothing to mark."""
