"""HTTP vs HTTPS: loopback and insecure registries, a TLS registry with a self-signed certificate, and mismatches."""

import pytest

from tests.registry.conftest import fast_client
from tests.registry.pki import self_signed
from tests.registry.servers import start_registry, stop_process
from werf_core.registry import RegistryClient, RegistryUnreachableError

pytestmark = pytest.mark.registry


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory):
    registry = start_registry(directory=tmp_path_factory.mktemp("tls-registry"),
                              tls=self_signed("werf test registry", ip="127.0.0.1"))
    yield registry
    stop_process(registry.process)


def test_loopback_registry_speaking_tls_is_detected_and_used_without_verification(tls_registry):
    name = f"{tls_registry.address}/app"
    with fast_client() as client:
        client.push_manifest_only_image(f"{name}:t", {"k": "v"})
        first = client.counter.total
        assert client._transport.scheme(tls_registry.address) == "https"
        client.counter.reset()
        assert client.image_info(f"{name}:t").labels["k"] == "v"
        assert client.counter.snapshot() == {"GET manifest": 1, "GET blob": 1}   # no more plain-HTTP probes
    assert first == 4                         # one plain request answered 400, then POST, PUT, PUT over TLS


def test_untrusted_certificate_explains_the_choices(tls_registry):
    with fast_client(plain_http_loopback=False) as client:
        with pytest.raises(RegistryUnreachableError) as info:
            client.list_tags(f"{tls_registry.address}/app")
        assert client.counter.total == 1        # certificate problems are not retried
    assert f"TLS certificate of registry {tls_registry.address} is not trusted" in info.value.message
    assert "--skip-tls-verify-registry" in info.value.hint and "CA certificate" in info.value.hint


def test_skip_tls_verify(tls_registry):
    with fast_client(plain_http_loopback=False, skip_tls_verify=True) as client:
        client.push_manifest_only_image(f"{tls_registry.address}/skip:t", {})
        assert client.list_tags(f"{tls_registry.address}/skip") == ["t"]


def test_https_to_a_plain_http_registry_hints_at_insecure_registry(registry):
    with fast_client(plain_http_loopback=False) as client:
        with pytest.raises(RegistryUnreachableError) as info:
            client.list_tags(f"{registry.address}/app")
        assert client.counter.total == 1
    assert f"cannot talk TLS to registry {registry.address}" in info.value.message
    assert "plain HTTP" in info.value.message
    assert "--insecure-registry" in info.value.hint


def test_insecure_registries_use_plain_http(registry, repo):
    name = repo("plain")
    with fast_client(plain_http_loopback=False, insecure_registries={registry.address}) as client:
        client.push_manifest_only_image(f"{name}:t", {})
    with RegistryClient.from_werf_options(insecure_registry=True, plain_http_loopback=False) as client:
        assert client.list_tags(name) == ["t"]


def test_the_verifying_tls_half_is_made_only_for_https_and_still_verifies(registry, tls_registry, repo):
    """Plain-HTTP requests never load the CA bundle; the first https request of the same client does, and verifies."""
    with fast_client(plain_http_loopback=False, insecure_registries={registry.address}) as client:
        client.list_tags(repo("plain-first"))
        transport = client._transport._client(True)._transport
        assert transport._tls is None
        with pytest.raises(RegistryUnreachableError) as info:
            client.list_tags(f"{tls_registry.address}/app")
        assert transport._tls is not None
    assert "is not trusted" in info.value.message
