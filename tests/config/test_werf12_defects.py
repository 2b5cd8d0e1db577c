"""Three loader defects met on real werf 1.2/2.x configs: `configVersion: 1.0`, CRLF line endings, unset env vars."""

from __future__ import annotations

import pytest

from tests.config.support import error, load
from werf_core.config import load_werf_config
from werf_core.errors import ConfigError

IMAGE = "---\nimage: app\nfrom: alpine\n"


@pytest.mark.parametrize("written", ["1", "1.0", "1.00", "+1.0"])
def test_config_version_one_in_any_numeric_spelling(written):
    assert load(f"project: a\nconfigVersion: {written}\n" + IMAGE, meta=False).meta.config_version == 1


@pytest.mark.parametrize("written, shown", [("1.5", "1.5"), ("2.0", "2"), ("true", "boolean true")])
def test_config_version_other_values_are_still_refused(written, shown):
    err = error(f"project: a\nconfigVersion: {written}\n" + IMAGE, meta=False)
    assert err.line == 2 and "configVersion" in err.message


def _project(tmp_path, text: str, *, crlf: bool = False, env_files: dict | None = None):
    body = text.replace("\n", "\r\n") if crlf else text
    (tmp_path / "werf.yaml").write_bytes(body.encode())
    for name, content in (env_files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((content.replace("\n", "\r\n") if crlf else content).encode())
    return tmp_path


CRLF_CASES = [
    # (config, expected line, text that must be quoted)
    ("project: demo\nconfigVersion: 1\n---\nimage: app\nfrom: alpine\nshell:\n  instal:\n  - echo hi\n",
     7, "7 |   instal:"),
    ('{{ $v := "3" }}\nproject: demo\nconfigVersion: 1\n---\nimage: app\nfrom: alpine\n\ndocker:\n'
     '  WORKDlR: /app\n', 9, "9 |   WORKDlR: /app"),
    ("project: demo\nconfigVersion: 1\n---\nimage: app\nfrom: alpine\nimport:\n- image: x\n  add: /a\n"
     "  after: install\n", 7, "7 | - image: x"),
]


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("text, line, quoted", CRLF_CASES)
def test_crlf_configs_report_the_same_line_and_snippet_as_lf(tmp_path, crlf, text, line, quoted):
    project = _project(tmp_path, text, crlf=crlf)
    with pytest.raises(ConfigError) as info:
        load_werf_config(project, env={})
    err = info.value
    assert err.line == line
    assert quoted in err.snippet and "\r" not in err.snippet and "\r" not in err.message


def test_crlf_config_with_templates_loads_and_sections_know_their_lines(tmp_path):
    text = ('{{ $base := "alpine:3.20" }}\nproject: demo\nconfigVersion: 1\n---\n'
            '{{- range list "a" "b" }}\nimage: {{ . }}\nfrom: {{ $base }}\n'
            'shell:\n  install:\n  - {{ include "cmd" . }}\n---\n{{- end }}\n')
    project = _project(tmp_path, text, crlf=True, env_files={".werf/cmd.tmpl": '{{- define "cmd" }}echo {{ . }}'
                                                                               '{{- end }}\n'})
    config = load_werf_config(project, env={})
    assert config.image_names() == ["a", "b"]
    assert [m.shell.install for m in config.images] == [("echo a",), ("echo b",)]
    assert config.meta.source.line == 2


class TestUnsetEnvironmentVariables:
    def test_null_value_names_the_variable(self, tmp_path):
        project = _project(tmp_path, "project: demo\nconfigVersion: 1\n---\nimage: app\nfrom: alpine\n"
                                     "git:\n- add: /\n  to: {{ env \"APP_DIR\" }}\n")
        with pytest.raises(ConfigError) as info:
            load_werf_config(project, env={})
        err = info.value
        assert err.line == 8 and "nothing (null)" in err.message
        assert "$APP_DIR is not set" in err.hint and 'env "APP_DIR" at werf.yaml:8' in err.hint
        assert '{{ env "APP_DIR" "default" }}' in err.hint

    def test_yaml_syntax_error_far_from_the_read_names_the_variable(self, tmp_path):
        project = _project(tmp_path, '{{ $port := env "PORT" }}\nproject: demo\nconfigVersion: 1\n---\n'
                                     'image: app\nfrom: alpine\ndocker:\n  EXPOSE:\n  - {{ $port }}: tcp: x\n')
        with pytest.raises(ConfigError) as info:
            load_werf_config(project, env={})
        assert "YAML syntax error" in info.value.message
        assert "$PORT" in info.value.hint and "werf.yaml:1" in info.value.hint

    def test_read_in_a_partial_is_named_with_the_partial(self, tmp_path):
        project = _project(tmp_path, 'project: demo\nconfigVersion: 1\n---\nimage: app\n'
                                     'from: {{ include "base" . }}\n',
                           env_files={".werf/base.tmpl": '{{- define "base" }}{{ env "BASE_IMAGE" }}{{ end }}'})
        with pytest.raises(ConfigError) as info:
            load_werf_config(project, env={})
        assert "$BASE_IMAGE" in info.value.hint and ".werf/base.tmpl:1" in info.value.hint

    def test_required_on_env_keeps_the_message_and_adds_the_variable(self, tmp_path):
        project = _project(tmp_path, 'project: demo\nconfigVersion: 1\n---\nimage: app\n'
                                     'from: {{ required "set REGISTRY" (env "REGISTRY") }}/app\n')
        with pytest.raises(ConfigError) as info:
            load_werf_config(project, env={})
        assert "error calling required: set REGISTRY" in info.value.message
        assert "$REGISTRY" in info.value.hint

    def test_env_default_is_used_for_unset_and_empty_variables_without_a_hint(self, tmp_path):
        project = _project(tmp_path, 'project: demo\nconfigVersion: 1\n---\nimage: app\n'
                                     'from: {{ env "BASE" "alpine" }}:{{ env "TAG" "3" }}\n')
        config = load_werf_config(project, env={"TAG": ""})
        assert config.images[0].from_ == "alpine:3"
        assert load_werf_config(project, env={"BASE": "debian", "TAG": "12"}).images[0].from_ == "debian:12"

    def test_unrelated_errors_get_no_env_hint(self, tmp_path):
        project = _project(tmp_path, 'project: demo\nconfigVersion: 1\n---\nimage: app\n'
                                     'from: alpine{{ env "UNUSED" }}\nshel: {}\n')
        with pytest.raises(ConfigError) as info:
            load_werf_config(project, env={})
        assert "UNUSED" not in (info.value.hint or "")

    def test_env_takes_at_most_one_default(self, tmp_path):
        project = _project(tmp_path, 'project: demo\nconfigVersion: 1\n---\nimage: app\n'
                                     'from: {{ env "A" "b" "c" }}\n')
        with pytest.raises(ConfigError) as info:
            load_werf_config(project, env={})
        assert "more than 1 optional argument prohibited" in info.value.message
