"""Images built from a Dockerfile."""

from __future__ import annotations

import pytest

from tests.config.support import error, image, load
from werf_core.config import DockerfileImage


def test_dockerfile_image():
    built = image("""\
        image: web
        dockerfile: docker/./Dockerfile
        context: app/
        target: prod
        args: {VERSION: 1.10, DEBUG: true}
        addHost: [db:10.0.0.2]
        network: host
        ssh: default
        """)
    assert isinstance(built, DockerfileImage) and built.name == "web"
    assert built.dockerfile == "docker/Dockerfile" and built.context == "app"
    assert built.target == "prod" and built.add_host == ("db:10.0.0.2",)
    assert built.args == {"VERSION": 1.1, "DEBUG": True} and type(built.args["VERSION"]) is float
    assert (built.network, built.ssh) == ("host", "default")
    assert built.source_references() == ()


def test_several_names():
    config = load("image: [a, b]\ndockerfile: Dockerfile\n")
    assert [i.name for i in config.dockerfile_images] == ["a", "b"]
    assert config.image_names() == ["a", "b"]


@pytest.mark.parametrize("body, message", [
    ("dockerfile: /abs/Dockerfile", "must be relative to the project directory"),
    ("dockerfile: ''", "must be a path relative to the project directory"),
    ("dockerfile: Dockerfile\ncontext: /src", "`context` must be relative"),
    ("dockerfile: Dockerfile\nargs: [a]", "expected a mapping"),
    ("dockerfile: Dockerfile\nfrom: alpine", 'unknown key "from" in Dockerfile image "web"'),
    ("dockerfile: Dockerfile\ntargte: x", 'did you mean "target"?'),
    ("dockerfile: Dockerfile\naddHost: {a: b}", "expected a string or a list of strings"),
])
def test_dockerfile_rules(body, message):
    assert message in error(f"image: web\n{body}\n").message


def test_stapel_image_may_use_a_dockerfile_image_as_base():
    config = load("image: base\ndockerfile: Dockerfile\n---\nimage: app\nfromImage: base\n")
    assert [[m.name for m in s] for s in config.dependency_sets()] == [["base"], ["app"]]


def test_dockerfile_image_name_must_be_a_string():
    assert "image names in a list must be non-empty strings" in error("image: [[a]]\ndockerfile: D\n").message
    assert "an image name must be a string" in error("image: {a: 1}\ndockerfile: D\n").message
