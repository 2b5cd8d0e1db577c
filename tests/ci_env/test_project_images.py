"""Reading werf.yaml for the GitHub nameless-image rule."""

from __future__ import annotations

import pytest

from werf_core.ci_env.project_images import ProjectImages, _full_config_loader, read_project_images, scan_project_images
from werf_core.errors import ConfigError


def scan(tmp_path, text, **kwargs):
    path = tmp_path / "werf.yaml"
    path.write_text(text)
    return scan_project_images(path, **kwargs)


META = "configVersion: 1\nproject: shop\n"


@pytest.mark.parametrize("image_line", ["image: ~", "image:", "image: null", 'image: ""', "image: ''",
                                        "image: ~  # the only image", "image: NULL"])
def test_nameless_spellings(tmp_path, image_line):
    assert scan(tmp_path, f"{META}---\n{image_line}\nfrom: alpine\n") == ProjectImages("shop", True)


@pytest.mark.parametrize("image_block", [
    "image: api", "image: 'api'", 'image: "api" # main', "image: [api, worker]", "image:\n- api\n- worker",
    "image:\n  # several\n  - api", "image: {{ .Values.name }}", "image: \"{{ $name }}\"",
])
def test_named_images(tmp_path, image_block):
    assert scan(tmp_path, f"{META}---\n{image_block}\nfrom: alpine\n") == ProjectImages("shop", False)


def test_nested_image_keys_do_not_count(tmp_path):
    text = f"{META}---\nimage: api\nfrom: alpine\nimport:\n- image: ~\n  add: /x\n  to: /y\n"
    assert not scan(tmp_path, text).has_nameless_image


def test_quoted_project_and_comments(tmp_path):
    assert scan(tmp_path, 'configVersion: 1\nproject: "shop-api" # owned by team a\n').project == "shop-api"


def test_project_name_override_wins(tmp_path):
    assert scan(tmp_path, META, project_name_override="other").project == "other"


def test_templated_project_needs_an_override(tmp_path):
    text = 'configVersion: 1\nproject: {{ env "PROJECT" }}\n---\nimage: ~\nfrom: alpine\n'
    with pytest.raises(ConfigError, match=r"werf\.yaml:2: the project name is a template") as err:
        scan(tmp_path, text)
    assert "WERF_PROJECT_NAME" in err.value.hint
    assert scan(tmp_path, text, project_name_override="shop") == ProjectImages("shop", True)


def test_missing_project_is_an_error_with_a_hint(tmp_path):
    with pytest.raises(ConfigError, match="no `project:`") as err:
        scan(tmp_path, "configVersion: 1\n---\nimage: ~\n")
    assert "configVersion: 1" in err.value.hint


def test_no_config_means_no_answer(tmp_path):
    assert read_project_images(tmp_path) is None


def test_absolute_config_path(tmp_path):
    path = tmp_path / "elsewhere.yaml"
    path.write_text(f"{META}---\nimage: ~\nfrom: alpine\n")
    (tmp_path / "project").mkdir()
    assert read_project_images(tmp_path / "project", config=str(path)) == ProjectImages("shop", True)


@pytest.mark.skipif(_full_config_loader() is None, reason="the Go template engine has not landed yet")
def test_full_loader_renders_templated_names(tmp_path):
    (tmp_path / "werf.yaml").write_text(
        'configVersion: 1\nproject: {{ "shop" | upper | lower }}\n---\n'
        '{{ range $name := list "api" "worker" }}image: {{ $name }}\nfrom: alpine\n---\n{{ end }}'
        "image: ~\nfrom: alpine\n")
    with pytest.raises(ConfigError):  # a nameless image must be the only image: the full loader checks that
        read_project_images(tmp_path)
    (tmp_path / "werf.yaml").write_text('configVersion: 1\nproject: {{ "shop" }}\n---\nimage: ~\nfrom: alpine\n')
    assert read_project_images(tmp_path) == ProjectImages("shop", True)
