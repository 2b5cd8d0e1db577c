"""Mapping paths that normalise to outside their root are rejected with the file and line, never silently cleaned."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.config.support import error, image
from werf_core.gopath import clean, climbs_out

GIT = "image: app\nfrom: alpine\ngit:\n- add: {add}\n  to: {to}\n"
IMPORT = ("image: app\nfrom: alpine\nimport:\n- artifact: a\n  add: {add}\n  to: {to}\n  after: install\n"
          "---\nartifact: a\nfrom: alpine\n")


@pytest.mark.parametrize("add, to, bad, line", [
    ("/../../x", "/app", "/../../x", 7),
    ("/src", "/../../etc", "/../../etc", 8),
    ("/src/../../x", "/app", "/src/../../x", 7),
    ("/src", "/app/../../..//root", "/app/../../..//root", 8),
    ("/..", "/app", "/..", 7),
])
def test_git_mapping_add_and_to_climbing_above_root(add, to, bad, line):
    err = error(GIT.format(add=add, to=to))
    assert f'"{bad}" climbs above "/"' in err.message
    assert err.path == "werf.yaml" and err.line == line
    assert err.hint and ".." in err.hint


@pytest.mark.parametrize("add, to, bad, line", [
    ("/../x", "/app", "/../x", 8),
    ("/app", "/../../x", "/../../x", 9),
    ("/a/b/../../../c", "/c", "/a/b/../../../c", 8),
])
def test_import_add_and_to_climbing_above_root(add, to, bad, line):
    err = error(IMPORT.format(add=add, to=to))
    assert f'"{bad}" climbs above "/"' in err.message
    assert err.line == line


def test_import_to_defaulting_to_a_bad_add_is_reported_once_as_add():
    err = error("image: app\nfrom: alpine\nimport:\n- artifact: a\n  add: /../x\n  after: install\n"
                "---\nartifact: a\nfrom: alpine\n")
    assert '"/../x" climbs above "/"' in err.message and err.line == 8


def test_mount_to_climbing_above_root():
    err = error("image: app\nfrom: alpine\nmount:\n- from: tmp_dir\n  to: /../../var/run\n")
    assert '"/../../var/run" climbs above "/"' in err.message and err.line == 8


@pytest.mark.parametrize("key", ["includePaths", "excludePaths"])
@pytest.mark.parametrize("value", ["../x", "a/../../x", "./../secret", "x/y/../../../z"])
def test_relative_mapping_paths_leaving_add(key, value):
    err = error(f"image: app\nfrom: alpine\ngit:\n- add: /src\n  to: /app\n  {key}: ['{value}']\n")
    assert f'"{value}" leads outside' in err.message and err.line == 9


def test_stage_dependencies_leaving_add():
    err = error("image: app\nfrom: alpine\ngit:\n- add: /src\n  to: /app\n  stageDependencies:\n"
                "    install: ['../package.json']\n")
    assert '"../package.json" leads outside' in err.message and err.line == 10


@pytest.mark.parametrize("key, value", [("dockerfile", "../Dockerfile"), ("context", "app/../../other")])
def test_dockerfile_paths_leaving_the_project(key, value):
    other = "context: ." if key == "dockerfile" else "dockerfile: Dockerfile"
    err = error(f"image: app\n{key}: {value}\n{other}\n")
    assert f'`{key}` "{value}" leads outside the project directory' in err.message and err.line == 5


def test_paths_that_stay_inside_are_cleaned_as_before():
    app = image("image: app\nfrom: alpine\ngit:\n- add: /src/./sub/../lib//\n  to: /app/x/..\n"
                "  includePaths: ['a/../b', './c/']\n")
    mapping = app.git[0]
    assert (mapping.add, mapping.to, mapping.include_paths) == ("/src/lib", "/app", ("b", "c"))


def test_double_star_globs_followed_by_dotdot_are_inside():
    assert not climbs_out("**/../x") and climbs_out("../**") and not climbs_out("a/..")


@given(st.lists(st.sampled_from(["a", "b", "..", ".", ""]), max_size=8), st.booleans())
def test_climbs_out_agrees_with_lexical_normalisation(segments, rooted):
    path = ("/" if rooted else "") + "/".join(segments)
    # a path climbs out exactly when a naive normalisation that keeps leading ".." starts with ".."
    stack: list[str] = []
    escaped = False
    for seg in segments:
        if seg in ("", "."):
            continue
        if seg == "..":
            if stack:
                stack.pop()
            else:
                escaped = True
        else:
            stack.append(seg)
    assert climbs_out(path) is escaped
    if not escaped:
        root = "/" if path.startswith("/") else ""
        assert clean(path) == (root + "/".join(stack) or root or ".")
