"""Retries against a local HTTP server that answers from a script: transient failures heal, permanent ones do not."""

import time

import pytest

from tests.registry.conftest import fast_client
from tests.registry.servers import Scripted, ScriptedServer
from tests.support.net import free_port
from werf_core.errors import RegistryError
from werf_core.registry import RegistryUnreachableError

TAGS = Scripted(200, {"name": "app", "tags": ["a", "b"]})


@pytest.fixture
def scripted():
    servers = []

    def start(*script):
        server = ScriptedServer(list(script))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_503_twice_then_success(scripted, client):
    server = scripted(Scripted(503), Scripted(503), TAGS)
    assert client.list_tags(f"{server.address}/app") == ["a", "b"]
    assert len(server.requests) == 3
    assert client.counter.snapshot() == {"GET tags": 3}


def test_rate_limit_waits_as_told_by_retry_after(scripted):
    server = scripted(Scripted(429, headers={"Retry-After": "1"}), TAGS)
    started = time.monotonic()
    with fast_client(retry_max_delay=5) as client:
        assert client.list_tags(f"{server.address}/app") == ["a", "b"]
    assert time.monotonic() - started >= 0.9
    assert len(server.requests) == 2


def test_dropped_connection_is_retried(scripted, client):
    server = scripted(Scripted(drop=True), TAGS)
    assert client.list_tags(f"{server.address}/app") == ["a", "b"]
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [501, 400, 404])
def test_permanent_answers_are_not_retried(scripted, client, status):
    server = scripted(Scripted(status, {"errors": [{"code": "UNSUPPORTED", "message": "nope"}]}), TAGS)
    if status == 404:
        assert client.list_tags(f"{server.address}/app") == []
    else:
        with pytest.raises(RegistryError) as info:
            client.list_tags(f"{server.address}/app")
        assert f"answered {status}" in info.value.message and "UNSUPPORTED: nope" in info.value.message
    assert len(server.requests) == 1


def test_persistent_server_errors_give_up_after_the_retry_budget(scripted):
    server = scripted(Scripted(500, b"boom"))
    with fast_client(retries=3) as client:
        with pytest.raises(RegistryError) as info:
            client.get_manifest(f"{server.address}/app:1")
    assert len(server.requests) == 4
    assert f"registry {server.address} answered 500 to reading manifest" in info.value.message
    assert "retries did not help" in info.value.hint


def test_total_waiting_time_is_bounded(scripted):
    server = scripted(Scripted(503))
    with fast_client(retries=50, retry_base_delay=0.2, retry_max_delay=0.2, retry_max_total_delay=0.5) as client:
        started = time.monotonic()
        with pytest.raises(RegistryError):
            client.list_tags(f"{server.address}/app")
    assert time.monotonic() - started < 2
    assert 2 <= len(server.requests) <= 6


def test_unreachable_registry_is_named_after_retries():
    address = f"127.0.0.1:{free_port()}"          # nothing listens there
    with fast_client(retries=2) as client:
        with pytest.raises(RegistryUnreachableError) as info:
            client.image_info(f"{address}/stages:abc-1")
        assert client.counter.count() == 3
    assert f"registry {address} is unreachable" in info.value.message
    assert "running" in info.value.hint
    assert "--insecure-registry" not in info.value.hint      # it was plain HTTP already: no point suggesting it
