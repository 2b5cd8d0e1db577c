"""Our registry client against a registry that fails often: uploads restart, the manifest goes last."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest

from tests.support.fault_proxy import FaultProxy
from werf_core.layers import LayerWriter
from werf_core.registry.client import RegistryClient
from werf_core.registry.manifest import DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST, manifest_document

pytestmark = [pytest.mark.registry]


def test_blobs_and_manifest_survive_a_failing_registry(registry, tmp_path):
    repository = f"t-{uuid.uuid4().hex[:10]}/faults"
    with FaultProxy(registry.address, failure_rate=0.3, seed=7) as proxy:
        client = RegistryClient(retry_base_delay=0.01, retry_max_delay=0.05)
        target = f"{proxy.address}/{repository}"
        for index in range(8):
            writer = LayerWriter(tmp_path / f"l{index}.gz", mtime=1)
            writer.add_file("data.bin", os.urandom(200_000))
            layer = writer.close()
            blob = client.upload_blob_file(target, layer.path, layer.digest, layer.size, DOCKER_LAYER)
            config = client.upload_blob_restartable(target, b'{"n": %d}' % index, DOCKER_CONFIG)
            client.put_manifest(f"{target}:v{index}", manifest_document(config, [blob], DOCKER_MANIFEST),
                                DOCKER_MANIFEST)
        client.close()
        assert proxy.answered_503 and proxy.dropped
    for index in range(8):
        manifest = httpx.get(f"{registry.url}/v2/{repository}/manifests/v{index}",
                             headers={"Accept": DOCKER_MANIFEST}, timeout=10).json()
        for blob in [manifest["config"], *manifest["layers"]]:
            assert httpx.head(f"{registry.url}/v2/{repository}/blobs/{blob['digest']}", timeout=10).status_code == 200
