"""`.Files`: reading project files while rendering, and refusing paths outside the project."""

from __future__ import annotations

import os

import pytest

from werf_core.config.gotemplate import TemplateError, TemplateSet, werf_functions
from werf_core.config.gotemplate.files import Files, glob_regex


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "conf" / "nested").mkdir(parents=True)
    (root / "conf" / "a.txt").write_text("A\n")
    (root / "conf" / "b.yaml").write_text("b: 1\n")
    (root / "conf" / "nested" / "c.txt").write_text("C")
    (root / ".hidden.txt").write_text("H")
    (tmp_path / "secret.txt").write_text("do not read")
    return root


def _render(project, text, warnings=None):
    ts = TemplateSet(werf_functions({}))
    ts.parse("werf.yaml", text)
    files = Files(project, warn=(warnings.append if warnings is not None else None))
    return ts.execute("werf.yaml", {"Files": files})


def test_get_returns_content_and_warns_for_missing_files(project):
    warnings: list[str] = []
    assert _render(project, '{{ .Files.Get "conf/a.txt" }}|{{ .Files.Get "nope.txt" }}|', warnings) == "A\n||"
    assert len(warnings) == 1 and 'Files.Get "nope.txt"' in warnings[0]


def test_missing_file_warning_goes_to_stderr_by_default(project, capsys):
    _render(project, '{{ .Files.Get "nope.txt" }}')
    assert "nope.txt" in capsys.readouterr().err


def test_exists(project):
    assert _render(project, '{{ .Files.Exists "conf/a.txt" }} {{ .Files.Exists "conf" }} {{ .Files.Exists "x" }}') == \
        "true false false"


def test_glob_maps_relative_paths_to_contents_with_doublestar(project):
    out = _render(project, '{{ range $p, $c := .Files.Glob "conf/**/*.txt" }}{{ $p }}={{ $c | trim }};{{ end }}')
    assert out == "conf/a.txt=A;conf/nested/c.txt=C;"
    assert _render(project, '{{ .Files.Glob "**/*.{yaml,txt}" | keys | sortAlpha }}') == \
        "[.hidden.txt conf/a.txt conf/b.yaml conf/nested/c.txt]"


def test_glob_without_matches_warns_and_is_empty(project):
    warnings: list[str] = []
    assert _render(project, '{{ .Files.Glob "*.none" }}|{{ len (.Files.Glob "*.none") }}', warnings) == "map[]|0"
    assert warnings and "*.none" in warnings[0]


@pytest.mark.parametrize("text", [
    '{{ .Files.Get "../secret.txt" }}',
    '{{ .Files.Get "conf/../../secret.txt" }}',
    '{{ .Files.Exists "../secret.txt" }}',
    '{{ .Files.Glob "../*.txt" }}',
])
def test_paths_leading_outside_the_project_are_refused(project, text):
    with pytest.raises(TemplateError) as err:
        _render(project, text)
    assert "outside the project directory" in err.value.go_message


def test_absolute_paths_are_refused(project, tmp_path):
    with pytest.raises(TemplateError) as err:
        _render(project, '{{ .Files.Get "%s" }}' % (tmp_path / "secret.txt"))
    assert "absolute paths are refused" in err.value.go_message


def test_symlinks_pointing_out_of_the_project_are_refused(project, tmp_path):
    os.symlink(tmp_path / "secret.txt", project / "link.txt")
    with pytest.raises(TemplateError) as err:
        _render(project, '{{ .Files.Get "link.txt" }}')
    assert "outside the project directory" in err.value.go_message
    with pytest.raises(TemplateError):
        _render(project, '{{ .Files.Glob "*.txt" }}')


def test_symlinks_inside_the_project_are_followed(project):
    os.symlink(project / "conf" / "a.txt", project / "alias.txt")
    assert _render(project, '{{ .Files.Get "alias.txt" }}') == "A\n"


@pytest.mark.parametrize("pattern, path, matches", [
    ("*.txt", "a.txt", True),
    ("*.txt", "d/a.txt", False),
    ("**/*.txt", "a.txt", True),
    ("**/*.txt", "d/e/a.txt", True),
    ("d/**", "d/e/f", True),
    ("d/**/f", "d/f", True),
    ("?.txt", "ab.txt", False),
    ("[ab].txt", "b.txt", True),
    ("[!ab].txt", "c.txt", True),
    ("{a,b/c}.txt", "b/c.txt", True),
])
def test_doublestar_patterns(pattern, path, matches):
    assert bool(glob_regex(pattern).fullmatch(path)) is matches
