"""The idle build's own Engine API requests: same answers as docker-py, docker-py's turn for everything else."""

from __future__ import annotations

import http.server
import io
import threading
import uuid

import pytest

from werf_core.engine_api import DEFAULT_SOCKET, EngineAPI, EngineUnavailable, NotAnswered
from werf_core.storage.local import LocalStagesStorage
from werf_core.storage.stage_id import StageID


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, f"unix://{DEFAULT_SOCKET}"),
    ({"DOCKER_HOST": ""}, f"unix://{DEFAULT_SOCKET}"),
    ({"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}, "unix:///run/user/1000/docker.sock"),
    ({"DOCKER_HOST": "tcp://127.0.0.1:2375"}, "tcp://127.0.0.1:2375"),
    ({"DOCKER_HOST": "tcp://127.0.0.1:2375", "DOCKER_TLS_VERIFY": ""}, "tcp://127.0.0.1:2375"),
    # what needs TLS, or addresses this module does not speak, are docker-py's
    ({"DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY": "1"}, None),
    ({"DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY": "0"}, None),
    ({"DOCKER_CERT_PATH": "/certs"}, None),
    ({"DOCKER_HOST": "ssh://user@host"}, None),
    ({"DOCKER_HOST": "npipe:////./pipe/docker_engine"}, None),
    ({"DOCKER_HOST": "unix://relative.sock"}, None),
    ({"DOCKER_HOST": "tcp://127.0.0.1"}, None),
    ({"DOCKER_HOST": "tcp://127.0.0.1:notaport"}, None),
    ({"DOCKER_HOST": "tcp://127.0.0.1:2375/prefix"}, None),
])
def test_address_from_the_environment_as_docker_py_reads_it(environ, expected):
    engine = EngineAPI.from_env(environ)
    assert (engine.address if engine else None) == expected


def test_inspect_answers_like_docker_py(docker_client, busybox_image):
    engine = EngineAPI.from_env()
    if engine is None:
        pytest.skip("the test engine is reached through TLS or ssh")
    engine.ping()
    assert engine.inspect_image(busybox_image) == docker_client.api.inspect_image(busybox_image)
    assert engine.inspect_image(f"werf-prefect/no-such-image-{uuid.uuid4().hex[:8]}:latest") is None


def test_unreachable_engine_is_unavailable(tmp_path):
    engine = EngineAPI(socket_path=str(tmp_path / "no.sock"), timeout=5)
    with pytest.raises(EngineUnavailable):
        engine.ping()
    with pytest.raises(EngineUnavailable):
        engine.inspect_image("busybox")


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"message": "engine exploded"}'
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_engine():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield EngineAPI(host="127.0.0.1", port=server.server_address[1], timeout=5)
    server.shutdown()
    server.server_close()
    thread.join()


def test_other_answers_are_left_to_docker_py(failing_engine):
    with pytest.raises(NotAnswered):
        failing_engine.inspect_image("busybox")
    with pytest.raises(EngineUnavailable):
        failing_engine.ping()


def test_local_storage_describes_the_same_through_either_client(docker_client, busybox_image, project_name):
    stage_id = StageID("0" * 56, 1700000000000)
    # an image of its own (labelled with the project, so the fixture removes it), never a tag of the shared base
    dockerfile = f"FROM {busybox_image}\nLABEL werf={project_name} werf-stage-signature={stage_id.digest}\n".encode()
    image, _ = docker_client.images.build(fileobj=io.BytesIO(dockerfile), rm=True)
    docker_client.api.tag(image.id, LocalStagesStorage.repository(project_name), stage_id.tag)
    engine = EngineAPI.from_env()
    if engine is None:
        pytest.skip("the test engine is reached through TLS or ssh")
    made: list[object] = []

    def factory():
        made.append(docker_client)
        return docker_client

    fast = LocalStagesStorage(client_factory=factory, engine=engine)
    assert fast.describe(project_name, stage_id) == LocalStagesStorage(docker_client).describe(project_name, stage_id)
    filters = {"reference": LocalStagesStorage.repository(project_name), "label": f"werf={project_name}"}
    assert engine.images(filters) == docker_client.api.images(filters=dict(filters))
    assert fast.list_stage_ids(project_name) == [stage_id]
    assert fast.list_stage_ids(project_name, "0" * 56) == [stage_id]
    assert fast.list_stage_ids(project_name, "1" * 56) == []
    assert fast.describe(project_name, StageID("1" * 56, 1700000000000)) is None
    assert made == []          # docker-py's client was never needed for the inspections
    # a failing engine hands the request to docker-py, whose answer (or error) counts
    broken = LocalStagesStorage(client_factory=factory,
                                engine=EngineAPI(host="127.0.0.1", port=9, timeout=2))
    assert broken.describe(project_name, stage_id) == fast.describe(project_name, stage_id)
    assert made == [docker_client]


def test_local_storage_lists_a_digest_from_one_listing_kept_current(docker_client, busybox_image, project_name):
    digest = "2" * 56
    dockerfile = f"FROM {busybox_image}\nLABEL werf={project_name} werf-stage-signature={digest}\n".encode()
    image, _ = docker_client.images.build(fileobj=io.BytesIO(dockerfile), rm=True)
    repository = LocalStagesStorage.repository(project_name)
    first, second, third = (StageID(digest, n) for n in (1700000000001, 1700000000002, 1700000000003))
    docker_client.api.tag(image.id, repository, first.tag)
    storage = LocalStagesStorage(docker_client, engine=EngineAPI.from_env())
    assert storage.list_stage_ids(project_name, digest) == [first]
    # somebody else stores a stage: this build's listing does not see it until it is forgotten (a lookup under
    # the stage lock forgets it first) ...
    docker_client.api.tag(image.id, repository, second.tag)
    assert storage.list_stage_ids(project_name, digest) == [first]
    assert storage.list_stage_ids(project_name) == [first, second]       # the full listing is always asked anew
    storage.forget_listing()
    assert storage.list_stage_ids(project_name, digest) == [first, second]
    # ... while its own stores and deletes keep it current
    storage.store(project_name, image.id, third)
    assert storage.list_stage_ids(project_name, digest) == [first, second, third]
    storage.delete(project_name, first)
    assert storage.list_stage_ids(project_name, digest) == [second, third]
    storage.forget_listing()
    assert storage.list_stage_ids(project_name, digest) == [second, third]
    # the tag must name the digest and the label must agree
    assert storage.list_stage_ids(project_name, "3" * 56) == []
    docker_client.api.tag(image.id, repository, StageID("3" * 56, 1700000000004).tag)
    storage.forget_listing()
    assert storage.list_stage_ids(project_name, "3" * 56) == []
