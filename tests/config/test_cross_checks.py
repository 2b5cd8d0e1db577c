"""Checks across sections: one meta, unique names, existing references, no loops."""

from __future__ import annotations

import subprocess

import pytest

from tests.config.support import error, load
from werf_core.config import parse_werf_config
from werf_core.errors import ConfigError


def test_missing_meta_suggests_the_section():
    err = error("image: app\nfrom: alpine\n", meta=False)
    assert "the meta config section is not defined" in err.message and err.line is None
    assert "configVersion: 1\nproject: <name>" in err.hint


def test_missing_meta_suggests_a_project_name_from_the_git_origin(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", "git@gitlab.example.com:Team/My_App.git"],
                   check=True)
    with pytest.raises(ConfigError) as info:
        parse_werf_config("image: app\nfrom: alpine\n", project_dir=tmp_path)
    assert "project: team-my-app" in info.value.hint


def test_missing_meta_suggests_the_directory_name_without_git(tmp_path):
    project = tmp_path / "Shop Front"
    project.mkdir()
    with pytest.raises(ConfigError) as info:
        parse_werf_config("image: app\nfrom: alpine\n", project_dir=project)
    assert "project: shop-front" in info.value.hint


def test_duplicate_meta():
    err = error("image: app\nfrom: alpine\n---\nproject: other\nconfigVersion: 1\n")
    assert "duplicate meta config section (the first one is at werf.yaml:1)" in err.message and err.line == 7


def test_duplicate_image_names():
    err = error("image: app\nfrom: alpine\n---\nimage: app\nfrom: debian\n")
    assert 'conflict between images names: image "app" is already defined at werf.yaml:4' in err.message
    assert err.line == 7


def test_duplicate_between_a_list_and_a_single_image():
    err = error("image: [a, b]\nfrom: alpine\n---\nimage: b\nfrom: debian\n")
    assert 'image "b" is already defined' in err.message


def test_duplicate_between_stapel_and_dockerfile_images():
    assert "conflict between images names" in error("image: app\nfrom: x\n---\nimage: app\ndockerfile: D\n").message


def test_duplicate_artifact_names():
    err = error("artifact: a\nfrom: x\n---\nartifact: a\nfrom: y\n")
    assert 'conflict between artifacts names: artifact "a"' in err.message and err.line == 7


@pytest.mark.parametrize("text", ["image: a\nfrom: x\n---\nartifact: a\nfrom: y\n",
                                  "artifact: a\nfrom: y\n---\nimage: a\nfrom: x\n"])
def test_image_and_artifact_share_one_namespace(text):
    err = error(text)
    assert "conflict between image and artifact names" in err.message and err.line == 7


def test_nameless_image_must_be_alone():
    err = error("image: ~\nfrom: x\n---\nimage: other\nfrom: y\n")
    assert "nameless image (`image: ~`) cannot be specified in a config with several images" in err.message
    assert err.line == 4


def test_nameless_image_with_artifacts_is_fine():
    config = load("image: ~\nfrom: x\nimport:\n- {artifact: a, add: /o, after: install}\n---\nartifact: a\nfrom: y\n")
    assert config.image_names() == [None] and config.artifact_names() == ["a"]


@pytest.mark.parametrize("body, message, hint", [
    ("fromImage: nope", 'no such image "nope" (fromImage of image "app")', "defined: base"),
    ("fromImage: bse", 'no such image "bse"', 'did you mean "base"?'),
    ("fromArtifact: base", 'no such artifact "base" (fromArtifact of image "app")', "use `fromImage`"),
    ("fromImage: builder", 'no such image "builder"', "use `fromArtifact`"),
    ("fromImageArtifact: nope", 'no such artifact "nope"', "defined: builder"),
    ("from: x\nimport:\n- {image: nope, add: /a, after: install}", 'no such image "nope" (import[0] of image "app")',
     None),
    ("from: x\nimport:\n- {artifact: nope, add: /a, after: install}", 'no such artifact "nope" (import[0]', None),
    ("from: x\ndependencies:\n- {image: nope, after: install}", 'no such image "nope" (dependencies[0]', None),
])
def test_references_must_exist(body, message, hint):
    err = error(f"image: base\nfrom: alpine\n---\nartifact: builder\nfrom: alpine\n---\nimage: app\n{body}\n")
    assert message in err.message
    assert err.line >= 11
    if hint:
        assert hint in err.hint


@pytest.mark.parametrize("body, directive", [
    ("fromImage: app", "fromImage"),
    ("from: x\nimport:\n- {image: app, add: /a, after: install}", "import[0]"),
    ("from: x\ndependencies:\n- {image: app, after: install}", "dependencies[0]"),
])
def test_own_name_as_source(body, directive):
    err = error(f"image: app\n{body}\n")
    assert f"cannot use own name as `{directive}` source" in err.message


def test_artifact_own_name():
    assert "cannot use own name as `fromArtifact`" in error("artifact: a\nfromArtifact: a\n").message


def test_loop_through_from_image():
    err = error("image: a\nfromImage: b\n---\nimage: b\nfromImage: a\n")
    assert "infinite loop detected: a -> b -> a" in err.message
    assert err.line == 8 and "fromImage: a" in err.snippet


def test_loop_through_imports_and_artifacts():
    err = error("image: app\nfrom: x\nimport:\n- {artifact: one, add: /a, after: install}\n---\n"
                "artifact: one\nfromArtifact: two\n---\n"
                "artifact: two\nfrom: x\nimport:\n- {artifact: one, add: /b, before: setup}\n")
    assert "infinite loop detected: one -> two -> one" in err.message


def test_loop_through_dependencies():
    err = error("image: a\nfrom: x\ndependencies:\n- {image: c, after: install}\n---\n"
                "image: b\nfromImage: a\n---\nimage: c\nfromImage: b\n")
    assert "infinite loop detected: a -> c -> b -> a" in err.message


def test_diamond_is_not_a_loop():
    config = load("image: base\nfrom: x\n---\nimage: l\nfromImage: base\n---\nimage: r\nfromImage: base\n---\n"
                  "image: top\nfromImage: l\nimport:\n- {image: r, add: /x, after: install}\n")
    assert [[m.name for m in s] for s in config.dependency_sets()] == [["base"], ["l", "r"], ["top"]]
