"""Reading werf.yaml for the GitHub nameless-image rule: through the real config loader, templates rendered."""

from __future__ import annotations

import pytest

from werf_core.ci_env.project_images import ProjectImages, read_project_images
from werf_core.errors import ConfigError

META = "configVersion: 1\nproject: shop\n"


def read(tmp_path, text, **kwargs):
    (tmp_path / "werf.yaml").write_text(text)
    return read_project_images(tmp_path, **kwargs)


@pytest.mark.parametrize("image_line", ["image: ~", "image: null", "image: ~  # the only image", "image: NULL"])
def test_nameless_spellings(tmp_path, image_line):
    assert read(tmp_path, f"{META}---\n{image_line}\nfrom: alpine\n") == ProjectImages("shop", True)


@pytest.mark.parametrize("image_block", ["image: api", "image: 'api'", 'image: "api" # main'])
def test_named_images(tmp_path, image_block):
    assert read(tmp_path, f"{META}---\n{image_block}\nfrom: alpine\n") == ProjectImages("shop", False)


def test_quoted_project_and_comments(tmp_path):
    text = 'configVersion: 1\nproject: "shop-api" # owned by team a\n---\nimage: api\nfrom: alpine\n'
    assert read(tmp_path, text).project == "shop-api"


def test_project_name_override_wins(tmp_path):
    assert read(tmp_path, f"{META}---\nimage: ~\nfrom: alpine\n", project_name_override="other").project == "other"


def test_templated_names_are_rendered(tmp_path):
    text = ('configVersion: 1\nproject: {{ env "PROJECT" }}\n---\n'
            '{{ range $name := list "api" "worker" }}image: {{ $name }}\nfrom: alpine\n---\n{{ end }}')
    assert read(tmp_path, text, env={"PROJECT": "shop"}) == ProjectImages("shop", False)


def test_a_nameless_image_must_be_the_only_image(tmp_path):
    text = f"{META}---\nimage: api\nfrom: alpine\n---\nimage: ~\nfrom: alpine\n"
    with pytest.raises(ConfigError) as info:
        read(tmp_path, text)
    assert "werf.yaml" in info.value.message and "~" in info.value.message


def test_missing_project_is_an_error_naming_file_and_line(tmp_path):
    with pytest.raises(ConfigError) as info:
        read(tmp_path, "configVersion: 1\n---\nimage: ~\nfrom: alpine\n")
    assert 'werf.yaml:1: missing required key "project"' in info.value.message


def test_no_config_means_no_answer(tmp_path):
    assert read_project_images(tmp_path) is None


def test_absolute_config_path(tmp_path):
    path = tmp_path / "elsewhere.yaml"
    path.write_text(f"{META}---\nimage: ~\nfrom: alpine\n")
    (tmp_path / "project").mkdir()
    assert read_project_images(tmp_path / "project", config=str(path)) == ProjectImages("shop", True)
