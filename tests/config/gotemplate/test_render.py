"""render_werf_config: werf.yaml plus the .werf/**/*.tmpl templates, with errors naming file and line."""

from __future__ import annotations

import pytest

from werf_core.config.gotemplate import TemplateError, render_werf_config
from werf_core.errors import ConfigError


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "app"
    (root / ".werf" / "partials").mkdir(parents=True)
    (root / ".werf" / "partials" / "image.tmpl").write_text(
        '{{- define "image" -}}\nimage: {{ .name }}\nfrom: {{ .from | default "alpine:3.20" }}\n{{- end -}}\n')
    (root / ".werf" / "plain.tmpl").write_text("plain {{ .x }}")
    (root / "install.sh").write_text("apk add curl\n")
    return root


def test_renders_werf_yaml_with_templates_files_and_env(project):
    (project / "werf.yaml").write_text(
        'project: demo\nconfigVersion: 1\n'
        '{{- range list (dict "name" "a") (dict "name" "b" "from" "busybox") }}\n---\n'
        '{{ include "image" . }}\nshell:\n  install: {{ $.Files.Get "install.sh" | trim | quote }}\n{{- end }}\n'
        '---\n# {{ include "partials/image.tmpl" . | len }} {{ include "plain.tmpl" (dict "x" 1) }} '
        '{{ env "STAGE" }}\n')
    out = render_werf_config(project, project / "werf.yaml", None, {"STAGE": "ci"})
    assert out == ('project: demo\nconfigVersion: 1\n---\nimage: a\nfrom: alpine:3.20\nshell:\n'
                   '  install: "apk add curl"\n---\nimage: b\nfrom: busybox\nshell:\n  install: "apk add curl"\n'
                   '---\n# 0 plain 1 ci\n')


def test_relative_config_path_and_explicit_templates_dir(project, tmp_path):
    other = tmp_path / "tmpl"
    other.mkdir()
    (other / "x.tmpl").write_text("from other dir")
    (project / "werf.yaml").write_text('{{ include "x.tmpl" . }}')
    assert render_werf_config(project, "werf.yaml", other, {}) == "from other dir"


def test_config_defines_override_templates_dir_defines(project):
    (project / "werf.yaml").write_text('{{ define "image" }}mine{{ end }}{{ include "image" . }}')
    assert render_werf_config(project, project / "werf.yaml", None, {}) == "mine"


def test_execution_error_names_file_line_and_column(project):
    (project / "werf.yaml").write_text("project: demo\nconfigVersion: 1\nimage: {{ .Files.Read \"x\" }}\n")
    with pytest.raises(TemplateError) as err:
        render_werf_config(project, project / "werf.yaml", None, {})
    e = err.value
    assert isinstance(e, ConfigError)
    assert e.go_message == ('template: werf.yaml:3:16: executing "werf.yaml" at <.Files.Read>: '
                            "can't evaluate field Read in type interface {}")
    assert (e.path, e.line, e.column) == ("werf.yaml", 3, 16)
    assert 'image: {{ .Files.Read "x" }}' in e.render()


def test_missing_values_render_as_no_value_like_go(project):
    (project / "werf.yaml").write_text("image: {{ .Values.x.y }}\n")
    assert render_werf_config(project, project / "werf.yaml", None, {}) == "image: <no value>\n"


def test_error_inside_an_included_template_points_at_that_template(project):
    (project / ".werf" / "broken.tmpl").write_text('{{ define "broken" }}\n{{ fail "nope" }}\n{{ end }}')
    (project / "werf.yaml").write_text('a: 1\n{{ include "broken" . }}\n')
    with pytest.raises(TemplateError) as err:
        render_werf_config(project, project / "werf.yaml", None, {})
    e = err.value
    assert e.go_message.startswith('template: werf.yaml:2:3: executing "werf.yaml" at <include "broken" .>: '
                                   'error calling include: template: broken.tmpl:2:3: executing "broken"')
    assert (e.path, e.line) == (".werf/broken.tmpl", 2)


def test_parse_error_in_templates_dir_names_the_template_file(project):
    (project / ".werf" / "bad.tmpl").write_text("ok\n{{ if }}")
    (project / "werf.yaml").write_text("x")
    with pytest.raises(TemplateError) as err:
        render_werf_config(project, project / "werf.yaml", None, {})
    assert err.value.go_message == "template: bad.tmpl:2: missing value for if"
    assert (err.value.path, err.value.line) == (".werf/bad.tmpl", 2)


def test_missing_config_is_a_config_error(project):
    with pytest.raises(ConfigError) as err:
        render_werf_config(project, project / "werf.yaml", None, {})
    assert "werf.yaml not found" in str(err.value)


def test_env_defaults_to_the_process_environment(project, monkeypatch):
    monkeypatch.setenv("WERF_TEST_RENDER_VAR", "from-os")
    (project / "werf.yaml").write_text('{{ env "WERF_TEST_RENDER_VAR" }}')
    assert render_werf_config(project, project / "werf.yaml", None) == "from-os"
