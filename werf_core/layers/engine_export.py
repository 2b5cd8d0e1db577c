"""The layers of an image the engine built (a committed stage), read from `docker save` without a container.

`docker save` of this engine writes the legacy layout: one `<v1 id>/layer.tar` per entry of the config's
rootfs.diff_ids (in directory-name order), `<config digest>.json` and `manifest.json`. The stream is read once;
layers the caller already has somewhere (`known` diff_ids, e.g. the parent stage's layers in the registry) are
dropped, the others gzip'ed (fixed header, so a layer gives the same blob on every runner) into `work_dir`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from werf_core.layers.writer import GZIP_LEVEL, Layer

_CHUNK = 1 << 20


class ExportError(RuntimeError):
    """The engine's export did not have the expected shape."""


class _ChunkReader(io.RawIOBase):
    """A file-like view of an iterator of byte chunks (the engine's HTTP stream)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


@dataclass(frozen=True)
class ExportedImage:
    config: bytes                        # the exact config bytes (their sha256 is the image ID)
    diff_ids: list[str]
    layers: dict[str, Layer]             # diff_id -> gzip'ed blob, for the layers not in `known`


def _compress(source: IO[bytes], target: Path) -> tuple[str, str, int]:
    """gzip `source` into `target`; (diff_id, digest, size)."""
    tar_hash, blob_hash = hashlib.sha256(), hashlib.sha256()
    size = 0

    class _Sink(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
            nonlocal size
            block = bytes(data)
            blob_hash.update(block)
            size += len(block)
            out.write(block)
            return len(block)

    with open(target, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=_Sink(), mtime=0, compresslevel=GZIP_LEVEL) as zipped:
            while block := source.read(_CHUNK):
                tar_hash.update(block)
                zipped.write(block)
    return "sha256:" + tar_hash.hexdigest(), "sha256:" + blob_hash.hexdigest(), size


def export_layers(client: object, image_id: str, diff_ids: list[str], known: set[str], work_dir: str | Path
                  ) -> ExportedImage:
    """Read `docker save image_id`; return its config and the gzip'ed layers whose diff_id is not in `known`.

    The export's directories come in name order, not layer order (the engine tars a directory), and the manifest
    naming them comes last; so each layer is identified by hashing it as it streams by (kept as a plain file
    meanwhile), then compressed only when the caller does not already have it.
    """
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    wanted = set(diff_ids) - set(known)
    stream = client.api.get_image(image_id, chunk_size=_CHUNK)  # type: ignore[attr-defined]
    layers: dict[str, Layer] = {}
    seen = 0
    config: bytes | None = None
    with tarfile.open(fileobj=_ChunkReader(stream), mode="r|") as tar:
        for member in tar:
            if member.name.endswith("/layer.tar") and member.isfile():
                seen += 1
                source = tar.extractfile(member)
                if source is None:
                    raise ExportError(f"a layer of {image_id} is not a regular file in the export")
                plain = work / f"layer-{seen}.tar"
                diff_id = _copy_hashing(source, plain)
                if diff_id in wanted and diff_id not in layers:
                    target = work / f"{diff_id.partition(':')[2]}.tar.gz"
                    with open(plain, "rb") as raw:
                        _, digest, size = _compress(raw, target)
                    layers[diff_id] = Layer(path=target, diff_id=diff_id, digest=digest, size=size,
                                            compressed=True, entries=0)
                plain.unlink()
            elif member.name.endswith(".json") and "/" not in member.name and member.name != "manifest.json":
                data = tar.extractfile(member)
                config = data.read() if data is not None else None
    if config is None or "sha256:" + hashlib.sha256(config).hexdigest() != image_id:
        raise ExportError(f"the export of {image_id} holds no config with that digest")
    missing = wanted - set(layers)
    if missing:
        raise ExportError(f"the export of {image_id} lacks layer(s) {', '.join(sorted(missing))} of its config")
    json.loads(config)
    return ExportedImage(config=config, diff_ids=diff_ids, layers=layers)


def _copy_hashing(source: IO[bytes], target: Path) -> str:
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        while block := source.read(_CHUNK):
            digest.update(block)
            out.write(block)
    return "sha256:" + digest.hexdigest()
