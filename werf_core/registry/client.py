"""`RegistryClient`: what werf needs from a Docker/OCI registry, over the Distribution API.

Reading: tags (paginated), manifests (Docker schema 2, OCI, lists/indexes resolved to one platform), image configs,
image descriptions (`ImageInfo`). Writing: blobs, manifests, werf's manifest-only record images, tag deletion, and
copying an image between repositories — by cross-repository blob mount on one registry (no layer leaves the
registry), by streaming blobs through this process between registries.

Every public method accepts an `ImageReference` or its string form. `client.counter` counts every HTTP attempt.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from werf_core.errors import RegistryError
from werf_core.registry.auth import Scope, delete_scope, pull_scope, push_scope
from werf_core.registry.counter import RequestCounter
from werf_core.registry.credentials import DockerConfigCredentials
from werf_core.registry.errors import (
    BrokenImageError,
    ImageNotFoundError,
    ManifestBlobUnknownError,
    describe_error_body,
    error_codes,
)
from werf_core.registry.image_info import ImageInfo
from werf_core.registry.manifest import (
    ACCEPT_MANIFESTS,
    DEFAULT_PLATFORM,
    DOCKER_CONFIG,
    DOCKER_MANIFEST,
    Descriptor,
    Manifest,
    ManifestIndex,
    Platform,
    UnsupportedManifestError,
    manifest_document,
    parse_manifest_document,
    sha256_digest,
)
from werf_core.registry.record_image import record_image_config, record_labels
from werf_core.registry.reference import ImageReference, as_reference
from werf_core.registry.retry import RetryPolicy, restartable
from werf_core.registry.transport import Body, Params, Transport, absolute_location

if TYPE_CHECKING:
    import httpx

CHUNK = 1 << 20
SPOOL_IN_MEMORY = 16 << 20   # blobs up to this size are copied through memory, larger ones through a temp file


class RegistryClient:
    def __init__(self, insecure_registries: Iterable[str] = (), skip_tls_verify: bool = False,
                 docker_config: Path | str | None = None, retries: int = 4, timeout: float = 30.0, *,
                 plain_http_loopback: bool = True, retry_base_delay: float = 0.5, retry_max_delay: float = 8.0,
                 retry_max_total_delay: float = 30.0, page_size: int = 1000,
                 default_platform: Platform | str = DEFAULT_PLATFORM) -> None:
        """
        insecure_registries: `host[:port]`, bare hosts, IP networks, or `*` for all — spoken to over plain HTTP.
        skip_tls_verify: HTTPS without certificate verification (werf's --skip-tls-verify-registry).
        docker_config: directory holding config.json (werf's --docker-config); default $DOCKER_CONFIG or ~/.docker.
        retries / retry_*: how often and how long to retry 429, 5xx (not 501) and connection failures.
        plain_http_loopback: treat localhost/127.0.0.0/8/::1 as insecure, as Docker does.
        """
        self.counter = RequestCounter()
        # blobs this client saw present, pushed or mounted: a blob in a repository stays there for the client's
        # lifetime (one build), so nobody asks again
        self._blobs_present: set[tuple[str, str, str]] = set()
        self.page_size = page_size
        self.default_platform = (Platform.parse(default_platform) if isinstance(default_platform, str)
                                 else default_platform)
        self._transport = Transport(
            insecure_registries=insecure_registries, skip_tls_verify=skip_tls_verify,
            plain_http_loopback=plain_http_loopback, credentials=DockerConfigCredentials(docker_config),
            retry=RetryPolicy(retries=retries, base_delay=retry_base_delay, max_delay=retry_max_delay,
                              max_total_delay=retry_max_total_delay),
            timeout=timeout, counter=self.counter)

    @classmethod
    def from_werf_options(cls, *, insecure_registry: bool = False, skip_tls_verify_registry: bool = False,
                          docker_config: str | None = None, **kwargs: Any) -> RegistryClient:
        """From werf v1.1's flags, where `--insecure-registry` is a switch for every registry."""
        return cls(insecure_registries={"*"} if insecure_registry else (),
                   skip_tls_verify=skip_tls_verify_registry, docker_config=docker_config, **kwargs)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ================================================================== tags
    def list_tags(self, repository: ImageReference | str, *, page_size: int | None = None) -> list[str]:
        """All tags of a repository, following `Link: <…>; rel="next"` pages. Unknown repository → []."""
        ref = as_reference(repository)
        target = f"/v2/{ref.repository}/tags/list"
        params: dict[str, str] | None = {"n": str(page_size or self.page_size)}
        tags: list[str] = []
        seen: set[str] = set()
        while True:
            response = self._request("GET", ref, target, scopes=(pull_scope(ref.repository),), params=params,
                                     what=f"listing tags of {ref.name}")
            if response.status_code == 404:
                return tags
            self._expect(response, (200,), ref.registry, f"listing tags of {ref.name}")
            try:
                tags.extend(response.json().get("tags") or [])
            except (ValueError, AttributeError):
                raise RegistryError(f"registry {ref.registry} answered the tag list of {ref.name} with invalid JSON",
                                    hint="check that the address points at a Docker registry") from None
            next_link = response.links.get("next", {}).get("url")
            if not next_link:
                return tags
            if next_link in seen:
                raise RegistryError(f"registry {ref.registry} paginates the tags of {ref.name} in a loop "
                                    f"({next_link})", hint="report this to the registry's operator")
            seen.add(next_link)
            target, params = next_link, None

    # ================================================================== manifests
    def head_manifest(self, ref: ImageReference | str) -> str | None:
        """The digest a tag (or digest) resolves to, without downloading the manifest; None if it does not exist."""
        ref = as_reference(ref)
        response = self._request("HEAD", ref, f"/v2/{ref.repository}/manifests/{ref.reference}",
                                 scopes=(pull_scope(ref.repository),), headers={"Accept": ACCEPT_MANIFESTS},
                                 what=f"reading manifest {ref}")
        if response.status_code == 404:
            return None
        self._expect(response, (200,), ref.registry, f"reading manifest {ref}")
        digest: str | None = response.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        # Some registries omit the header on HEAD: fall back to hashing the manifest itself.
        document = self._fetch_document(ref, ref.reference)
        return document.digest if document else None

    def get_manifest(self, ref: ImageReference | str, platform: Platform | str | None = None) -> Manifest | None:
        """The image manifest of `ref`; a list/index is resolved to `platform` (default linux/amd64). None if absent."""
        ref = as_reference(ref)
        document = self._fetch_document(ref, ref.reference)
        if document is None or isinstance(document, Manifest):
            return document
        wanted = Platform.parse(platform) if isinstance(platform, str) else (platform or self.default_platform)
        child = document.select(wanted, where=str(ref))
        manifest = self._fetch_document(ref, child.digest)
        if manifest is None:
            raise BrokenImageError(
                f"image {ref} is broken: its {document.media_type.rsplit('.', 1)[-1]} names manifest "
                f"{child.digest} for {wanted}, which registry {ref.registry} does not have",
                reference=str(ref), missing_digest=child.digest, hint="push the image again")
        if isinstance(manifest, ManifestIndex):
            raise UnsupportedManifestError(f"{ref}: nested manifest lists are not supported")
        return replace(manifest, index_digest=document.digest, index_media_type=document.media_type,
                       platform=child.platform)

    def put_manifest(self, ref: ImageReference | str, raw: bytes, media_type: str) -> str:
        """Store `raw` under `ref`'s tag (or digest); returns the manifest digest. Every blob must already be there."""
        ref = as_reference(ref)
        what = f"pushing manifest {ref}"
        response = self._request("PUT", ref, f"/v2/{ref.repository}/manifests/{ref.reference}",
                                 scopes=(push_scope(ref.repository),), headers={"Content-Type": media_type},
                                 body=raw, what=what)
        if response.status_code == 400 and any(c in ("MANIFEST_BLOB_UNKNOWN", "BLOB_UNKNOWN")
                                                for c, _ in error_codes(response.content)):
            raise ManifestBlobUnknownError(f"registry {ref.registry} refused manifest {ref}: it names blobs the "
                                           f"repository does not have ({describe_error_body(response.content)})",
                                           hint="push the image's layers and config before its manifest")
        self._expect(response, (200, 201), ref.registry, what)
        digest = sha256_digest(raw)
        returned = response.headers.get("Docker-Content-Digest")
        if returned and returned != digest:
            raise RegistryError(f"registry {ref.registry} stored manifest {ref} under digest {returned}, "
                                f"expected {digest}", hint="the registry rewrote the manifest; report this")
        return digest

    # ================================================================== configs and image descriptions
    def get_config(self, ref: ImageReference | str, platform: Platform | str | None = None) -> dict[str, Any]:
        """The image config (labels, env, created, rootfs, ...). The image must exist."""
        ref = as_reference(ref)
        manifest = self.get_manifest(ref, platform)
        if manifest is None:
            raise ImageNotFoundError(f"image {ref} not found in registry {ref.registry}",
                                     hint="check the name and tag; `werf` can only use images that were pushed")
        return self._read_config(ref, manifest)

    def image_info(self, ref: ImageReference | str, *, platform: Platform | str | None = None,
                   check_layers: bool = True) -> ImageInfo | None:
        """werf's description of one image; None if the tag does not exist.

        Raises BrokenImageError if the manifest exists but its config blob — or, with `check_layers`, one of its
        layers (one HEAD each) — is gone, so the stages storage can reject the stage instead of failing a pull later.
        """
        ref = as_reference(ref)
        manifest = self.get_manifest(ref, platform)
        if manifest is None:
            return None
        config = self._read_config(ref, manifest)
        if check_layers:
            for layer in manifest.layers:
                if not layer.is_foreign and not self.blob_exists(ref, layer.digest):
                    raise self._broken(ref, "layer", layer.digest)
        return ImageInfo.from_manifest_and_config(ref, manifest, config)

    # ================================================================== deletion
    def delete_tag(self, ref: ImageReference | str) -> bool:
        """Delete the manifest `ref` points at; False if there was nothing to delete.

        Registries delete manifests by digest, so this removes *every* tag pointing at the same manifest. Record
        images are made unique per tag (see record_image.py); for other images, retag-sharing tags vanish together.
        """
        ref = as_reference(ref)
        digest = ref.digest or self.head_manifest(ref)
        if digest is None:
            return False
        what = f"deleting {ref}"
        response = self._request("DELETE", ref, f"/v2/{ref.repository}/manifests/{digest}",
                                 scopes=(delete_scope(ref.repository),), what=what)
        if response.status_code == 404:
            return False
        if response.status_code == 405:
            raise RegistryError(
                f"registry {ref.registry} does not allow deleting images ({what}: "
                f"{describe_error_body(response.content) or '405 Method Not Allowed'})",
                hint="enable deletes in the registry (for the reference registry: storage.delete.enabled: true, "
                     "or REGISTRY_STORAGE_DELETE_ENABLED=true)")
        self._expect(response, (200, 202), ref.registry, what)
        return True

    # ================================================================== writing blobs and record images
    def blob_exists(self, repository: ImageReference | str, digest: str) -> bool:
        """Whether the repository has the blob; answered without a request for blobs already seen there."""
        ref = as_reference(repository)
        if self._blob_known(ref, digest):
            return True
        response = self._request("HEAD", ref, f"/v2/{ref.repository}/blobs/{digest}",
                                 scopes=(pull_scope(ref.repository),), follow_redirects=True,
                                 what=f"checking blob {digest} in {ref.name}")
        if response.status_code == 404:
            return False
        self._expect(response, (200,), ref.registry, f"checking blob {digest} in {ref.name}")
        self._blob_seen(ref, digest)
        return True

    def _blob_known(self, ref: ImageReference, digest: str) -> bool:
        return (ref.registry, ref.repository, digest) in self._blobs_present

    def _blob_seen(self, ref: ImageReference, digest: str) -> None:
        self._blobs_present.add((ref.registry, ref.repository, digest))

    def upload_blob(self, repository: ImageReference | str, data: bytes, media_type: str = "application/octet-stream",
                    *, check_exists: bool = True) -> Descriptor:
        """Upload `data` monolithically (POST then PUT); skipped when the repository already has it."""
        ref = as_reference(repository)
        digest = sha256_digest(data)
        if not (check_exists and self.blob_exists(ref, digest)):
            location = self._start_upload(ref)
            self._finish_upload(ref, location, digest, lambda: iter((data,)), len(data))
        return Descriptor(media_type=media_type, digest=digest, size=len(data))

    def upload_blob_file(self, repository: ImageReference | str, path: str | Path, digest: str, size: int,
                         media_type: str = "application/octet-stream") -> Descriptor:
        """Upload a blob from a file unless the repository has it; returns only once the registry confirmed it.

        Every request is already retried (5xx, 429, dropped connections); when an upload session itself breaks
        (the registry lost it, or the retries of one request ran out), the upload restarts from a new session, a
        bounded number of times. The source is re-read from the file on every attempt.
        """
        ref = as_reference(repository)
        path = Path(path)

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as source:
                while block := source.read(CHUNK):
                    yield block

        def attempt() -> None:
            if self.blob_exists(ref, digest):
                return
            location = self._start_upload(ref)
            self._finish_upload(ref, location, digest, chunks, size)

        restartable(attempt, what=f"uploading blob {digest} to {ref.name}")
        return Descriptor(media_type=media_type, digest=digest, size=size)

    def upload_blob_restartable(self, repository: ImageReference | str, data: bytes,
                                media_type: str = "application/octet-stream", *, check_exists: bool = True
                                ) -> Descriptor:
        """`upload_blob` (skipped when present, unless `check_exists` is False: for blobs that are new by
        construction the check is a wasted round trip), restarted from a new session when a session breaks."""
        ref = as_reference(repository)
        result: list[Descriptor] = []
        restartable(lambda: result.append(self.upload_blob(ref, data, media_type, check_exists=check_exists)),
                    what=f"uploading a blob to {ref.name}")
        return result[-1]

    def manifest_and_config(self, ref: ImageReference | str) -> tuple[Manifest, bytes] | None:
        """The image manifest of `ref` and the raw bytes of its config (digest-checked); None if `ref` is absent."""
        ref = as_reference(ref)
        manifest = self.get_manifest(ref)
        if manifest is None:
            return None
        return manifest, self._read_config_bytes(ref, manifest)

    @contextmanager
    def open_blob(self, repository: ImageReference | str, descriptor: Descriptor) -> Iterator[IO[bytes]]:
        """A blob's bytes as a stream, for readers that may stop early (no digest check: the caller reads a part).

        The request is retried like any other; a connection dropped mid-body surfaces as OSError while reading.
        """
        ref = as_reference(repository)
        what = f"reading blob {descriptor.digest} of {ref.name}"
        response = self._request("GET", ref, f"/v2/{ref.repository}/blobs/{descriptor.digest}",
                                 scopes=(pull_scope(ref.repository),), follow_redirects=True, stream=True, what=what)
        try:
            if response.status_code == 404:
                raise self._broken(ref, "layer" if descriptor.media_type != DOCKER_CONFIG else "config",
                                   descriptor.digest)
            self._expect(response, (200,), ref.registry, what)
            yield io.BufferedReader(_BodyReader(response.iter_bytes(CHUNK)), CHUNK)
        finally:
            response.close()

    def push_manifest_only_image(self, ref: ImageReference | str, labels: dict[str, str]) -> str:
        """Push a werf record image (labels, no layers) under `ref`'s tag; returns its manifest digest."""
        ref = as_reference(ref)
        if ref.digest:
            raise ValueError(f"a record image needs a tag, not a digest: {ref}")
        name = f"{ref.name}:{ref.reference}"
        config = record_image_config(record_labels(labels, name), time.time_ns())
        # The config is unique by construction (name label + creation time), so checking for it first is wasted.
        descriptor = self.upload_blob(ref, config, DOCKER_CONFIG, check_exists=False)
        return self.put_manifest(ref, manifest_document(descriptor, (), DOCKER_MANIFEST), DOCKER_MANIFEST)

    # ================================================================== copying between repositories
    def mount_or_copy_blob(self, source: ImageReference | str, destination: ImageReference | str,
                           descriptor: Descriptor) -> str:
        """Make `descriptor`'s blob available in `destination`'s repository.

        Same registry: a cross-repository mount (`POST …/blobs/uploads/?mount=<digest>&from=<source repo>`), which
        moves no data; if the registry declines (202), the bytes are copied through this process. Different
        registries: skipped if already present, else streamed. Returns "mounted", "present", "copied" or "skipped"
        (foreign layers, which registries do not store).
        """
        src, dst = as_reference(source), as_reference(destination)
        if descriptor.is_foreign:
            return "skipped"
        outcome = self._mount_or_copy(src, dst, descriptor)
        self._blob_seen(dst, descriptor.digest)
        return outcome

    def _mount_or_copy(self, src: ImageReference, dst: ImageReference, descriptor: Descriptor) -> str:
        if src.same_registry(dst):
            if src.repository == dst.repository:
                return "present"
            what = f"mounting blob {descriptor.digest} from {src.name} into {dst.name}"
            response = self._request("POST", dst, f"/v2/{dst.repository}/blobs/uploads/",
                                     params={"mount": descriptor.digest, "from": src.repository},
                                     scopes=(push_scope(dst.repository), pull_scope(src.repository)), what=what)
            if response.status_code == 201:
                return "mounted"
            self._expect(response, (202,), dst.registry, what)
            location = self._upload_location(dst, response)
        else:
            if self.blob_exists(dst, descriptor.digest):
                return "present"
            location = self._start_upload(dst)
        self._copy_blob_bytes(src, dst, descriptor, location)
        return "copied"

    def copy_image(self, source: ImageReference | str, destination: ImageReference | str) -> str:
        """Copy an image (or a whole manifest list) to `destination`, keeping its digest; returns that digest.

        On one registry no layer is downloaded: blobs are mounted. A destination without tag or digest takes the
        source's tag.
        """
        src, dst = as_reference(source), as_reference(destination)
        if not (dst.tag or dst.digest):
            dst = replace(dst, tag=src.tag or "latest")
        document = self._fetch_document(src, src.reference)
        if document is None:
            raise ImageNotFoundError(f"cannot copy {src}: it does not exist in registry {src.registry}",
                                     hint="check the source name and tag")
        if isinstance(document, ManifestIndex):
            for child in document.manifests:
                manifest = self._fetch_document(src, child.digest)
                if not isinstance(manifest, Manifest):
                    raise BrokenImageError(f"image {src} is broken: its manifest list names {child.digest}, "
                                           f"which registry {src.registry} does not have",
                                           reference=str(src), missing_digest=child.digest,
                                           hint="push the image again")
                self._copy_manifest(src, dst.with_digest(child.digest), manifest)
        else:
            for blob in document.blobs:
                self.mount_or_copy_blob(src, dst, blob)
        return self.put_manifest(dst, document.raw, document.media_type)

    # ================================================================== internals
    def _request(self, method: str, ref: ImageReference, target: str, *, scopes: tuple[Scope, ...], what: str,
                 headers: dict[str, str] | None = None, body: Body = None, params: Params = None,
                 follow_redirects: bool = False, stream: bool = False) -> httpx.Response:
        return self._transport.request(method, ref.registry, target, scopes=scopes, what=what, headers=headers,
                                       body=body, params=params, follow_redirects=follow_redirects, stream=stream)

    def _expect(self, response: httpx.Response, statuses: tuple[int, ...], registry: str, what: str) -> None:
        if response.status_code in statuses:
            return
        body = response.read()
        status = response.status_code
        if status == 429:
            hint = "the registry rate-limits this client; retry later or authenticate to get a higher limit"
        elif status >= 500:
            hint = "the registry is failing (retries did not help); retry later or check the registry's logs"
        else:
            hint = "check the image name and your permissions on this repository"
        raise RegistryError(f"registry {registry} answered {status} to {what}: "
                            f"{describe_error_body(body) or response.reason_phrase}", hint=hint)

    def _fetch_document(self, ref: ImageReference, reference: str) -> Manifest | ManifestIndex | None:
        what = f"reading manifest {ref}"
        response = self._request("GET", ref, f"/v2/{ref.repository}/manifests/{reference}",
                                 scopes=(pull_scope(ref.repository),), headers={"Accept": ACCEPT_MANIFESTS},
                                 what=what)
        if response.status_code == 404:
            return None   # MANIFEST_UNKNOWN / NAME_UNKNOWN
        self._expect(response, (200,), ref.registry, what)
        raw = response.content
        computed = sha256_digest(raw)
        if reference.startswith("sha256:") and computed != reference:
            raise RegistryError(f"registry {ref.registry} served manifest {reference} of {ref.name} with content "
                                f"that hashes to {computed}", hint="the registry's storage is corrupt; report this")
        digest = response.headers.get("Docker-Content-Digest") or computed
        return parse_manifest_document(raw, response.headers.get("Content-Type"), digest=digest, where=str(ref))

    def _read_config(self, ref: ImageReference, manifest: Manifest) -> dict[str, Any]:
        raw = self._read_config_bytes(ref, manifest)
        try:
            config = json.loads(raw)
        except ValueError:
            raise RegistryError(f"the config blob of {ref} is not JSON", hint="push the image again") from None
        return config if isinstance(config, dict) else {}

    def _read_config_bytes(self, ref: ImageReference, manifest: Manifest) -> bytes:
        digest = manifest.config.digest
        what = f"reading the config of {ref}"
        response = self._request("GET", ref, f"/v2/{ref.repository}/blobs/{digest}",
                                 scopes=(pull_scope(ref.repository),), follow_redirects=True, what=what)
        if response.status_code == 404:
            raise self._broken(ref, "config", digest)
        self._expect(response, (200,), ref.registry, what)
        if sha256_digest(response.content) != digest:
            raise RegistryError(f"registry {ref.registry} served config {digest} of {ref} with different content",
                                hint="the registry's storage is corrupt; push the image again")
        return response.content

    def _broken(self, ref: ImageReference, kind: str, digest: str) -> BrokenImageError:
        return BrokenImageError(
            f"image {ref} is broken: its manifest names {kind} blob {digest}, which registry {ref.registry} "
            f"no longer has", reference=str(ref), missing_digest=digest,
            hint="the image cannot be pulled; push it again (a broken stage is rejected and rebuilt)")

    def _upload_location(self, ref: ImageReference, response: httpx.Response) -> str:
        location = response.headers.get("Location")
        if not location:
            raise RegistryError(f"registry {ref.registry} started an upload to {ref.name} without a Location",
                                hint="check that the address points at a Docker registry")
        return absolute_location(str(response.request.url), location)

    def _start_upload(self, ref: ImageReference) -> str:
        what = f"starting an upload to {ref.name}"
        response = self._request("POST", ref, f"/v2/{ref.repository}/blobs/uploads/",
                                 scopes=(push_scope(ref.repository),), what=what)
        self._expect(response, (202,), ref.registry, what)
        return self._upload_location(ref, response)

    def _finish_upload(self, ref: ImageReference, location: str, digest: str, chunks: Body, length: int) -> None:
        what = f"uploading blob {digest} to {ref.name}"
        target = location + ("&" if "?" in location else "?") + f"digest={digest}"
        response = self._request("PUT", ref, target, scopes=(push_scope(ref.repository),), body=chunks,
                                 headers={"Content-Type": "application/octet-stream",
                                          "Content-Length": str(length)}, what=what)
        if response.status_code == 404 and self.blob_exists(ref, digest):
            return   # an earlier attempt completed, and only its answer was lost
        self._expect(response, (201, 204), ref.registry, what)
        self._blob_seen(ref, digest)

    def _copy_blob_bytes(self, src: ImageReference, dst: ImageReference, descriptor: Descriptor,
                         location: str) -> None:
        """Download the blob from `src` (verifying its digest), then upload it to the open upload `location`."""
        what = f"downloading blob {descriptor.digest} from {src.name}"
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            response = self._request("GET", src, f"/v2/{src.repository}/blobs/{descriptor.digest}",
                                     scopes=(pull_scope(src.repository),), follow_redirects=True, stream=True,
                                     what=what)
            try:
                if response.status_code == 404:
                    raise self._broken(src, "layer" if descriptor.media_type != DOCKER_CONFIG else "config",
                                       descriptor.digest)
                self._expect(response, (200,), src.registry, what)
                hasher = hashlib.sha256()
                for chunk in response.iter_bytes(CHUNK):
                    hasher.update(chunk)
                    spool.write(chunk)
            finally:
                response.close()
            if "sha256:" + hasher.hexdigest() != descriptor.digest:
                raise RegistryError(f"blob {descriptor.digest} downloaded from {src} has different content",
                                    hint="the source registry's storage is corrupt; push the image again")
            length = spool.tell()

            def chunks() -> Iterator[bytes]:
                spool.seek(0)
                while block := spool.read(CHUNK):
                    yield block

            self._finish_upload(dst, location, descriptor.digest, chunks, length)

    def _copy_manifest(self, src: ImageReference, dst: ImageReference, manifest: Manifest) -> None:
        for blob in manifest.blobs:
            self.mount_or_copy_blob(src, dst, blob)
        self.put_manifest(dst, manifest.raw, manifest.media_type)


class _BodyReader(io.RawIOBase):
    """A streamed response body as a raw file; transport failures mid-body become OSError."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        import httpx
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.HTTPError as err:
                raise OSError(f"the registry connection broke while reading a blob: {err}") from None
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
