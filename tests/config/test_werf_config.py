"""WerfConfig: lookup by name, image names, and the build order in dependency sets."""

from __future__ import annotations

import pydantic
import pytest

from tests.config.support import load
from werf_core.errors import ConfigError

PROJECT = """\
artifact: go-builder
from: golang
---
image: base
from: alpine
---
image: api
fromImage: base
import:
- {artifact: go-builder, add: /out/api, to: /usr/bin/api, after: install}
---
image: web
dockerfile: web/Dockerfile
---
image: e2e
from: alpine
dependencies:
- image: api
  after: setup
  imports: [{type: ImageName, targetEnv: API_IMAGE}]
- image: web
  after: setup
---
artifact: unused
from: alpine
"""


@pytest.fixture(scope="module")
def config():
    return load(PROJECT)


def names(sets):
    return [[model.name for model in dependency_set] for dependency_set in sets]


def test_sections_by_kind(config):
    assert [i.name for i in config.images] == ["base", "api", "e2e"]
    assert [a.name for a in config.artifacts] == ["go-builder", "unused"]
    assert [d.name for d in config.dockerfile_images] == ["web"]
    assert config.meta.project == "demo"


def test_image_names_are_images_in_config_order_without_artifacts(config):
    assert config.image_names() == ["base", "api", "web", "e2e"]
    assert config.artifact_names() == ["go-builder", "unused"]


def test_get(config):
    assert config.get("api").from_image == "base"
    assert config.get("go-builder").is_artifact
    assert config.get("web").dockerfile == "web/Dockerfile"
    assert config.get("missing") is None


def test_every_section_knows_where_it_was_written(config):
    assert [str(m.source) for m in config.all()] == ["werf.yaml:4", "werf.yaml:7", "werf.yaml:10", "werf.yaml:15",
                                                      "werf.yaml:18", "werf.yaml:27"]


def test_require_unknown_name_lists_what_exists(config):
    with pytest.raises(ConfigError) as info:
        config.require("apii")
    assert 'image "apii" is not defined in werf.yaml' in info.value.message
    assert "base, api, web, e2e, go-builder, unused" in info.value.hint


def test_all_images_in_dependency_order(config):
    # artifacts come in only when an image needs them: "unused" is not built
    assert names(config.dependency_sets()) == [["go-builder", "base", "web"], ["api"], ["e2e"]]


def test_selecting_an_image_pulls_in_its_sources(config):
    assert names(config.dependency_sets(["api"])) == [["go-builder", "base"], ["api"]]
    assert names(config.dependency_sets(["e2e"])) == [["go-builder", "base", "web"], ["api"], ["e2e"]]


def test_selecting_independent_images(config):
    assert names(config.dependency_sets(["web", "base"])) == [["base", "web"]]


def test_selecting_an_artifact_alone(config):
    assert names(config.dependency_sets(["unused"])) == [["unused"]]


def test_selecting_an_unknown_image(config):
    with pytest.raises(ConfigError, match='image "nope" is not defined'):
        config.dependency_sets(["nope"])


def test_dependencies_of(config):
    assert [m.name for m in config.dependencies_of(config.get("api"))] == ["base", "go-builder"]
    assert config.dependencies_of(config.get("web")) == []


def test_nameless_image_selected_by_none():
    config = load("image: ~\nfrom: alpine\n")
    assert config.image_names() == [None]
    assert names(config.dependency_sets([None])) == [[None]]
    assert config.get(None).name is None


def test_document_text_of_an_image(config):
    assert config.document_text("web") == "image: web\ndockerfile: web/Dockerfile"
    assert "project: demo" in config.rendered


def test_models_are_frozen(config):
    with pytest.raises(pydantic.ValidationError):
        config.get("api").from_image = "other"


def test_importing_the_config_package_and_cli_module_stays_light():
    """`werf --help` and the template engine import werf_core.config; pydantic must wait until a config is loaded."""
    import subprocess
    import sys
    code = ("import sys, werf_core.config, werf_core.config.gotemplate, werf_cli.config; "
            "print('pydantic' in sys.modules, 'yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
