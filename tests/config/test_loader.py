"""load_werf_config: finding werf.yaml, rendering it with the Go template engine, and loading the result."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from werf_core.config import find_config_file, load_werf_config
from werf_core.errors import ConfigError

DATA = Path(__file__).parent / "data"
MINIMAL = "project: demo\nconfigVersion: 1\n---\nimage: app\nfrom: alpine\n"


class TestFindingTheConfig:
    def test_werf_yml_is_checked_before_werf_yaml_as_werf_does(self, tmp_path):
        (tmp_path / "werf.yaml").write_text(MINIMAL)
        assert find_config_file(tmp_path) == tmp_path / "werf.yaml"
        (tmp_path / "werf.yml").write_text(MINIMAL)
        assert find_config_file(tmp_path) == tmp_path / "werf.yml"

    def test_explicit_config_relative_or_absolute(self, tmp_path):
        (tmp_path / "ci").mkdir()
        (tmp_path / "ci" / "werf-ci.yaml").write_text(MINIMAL)
        assert find_config_file(tmp_path, "ci/werf-ci.yaml") == tmp_path / "ci" / "werf-ci.yaml"
        assert find_config_file(tmp_path, str(tmp_path / "ci" / "werf-ci.yaml")) == tmp_path / "ci" / "werf-ci.yaml"

    def test_explicit_config_relative_to_the_working_directory(self, tmp_path, monkeypatch):
        # werf v1.1 reads --config relative to the working directory: `--dir app --config app/werf.yaml`
        (tmp_path / "app").mkdir()
        (tmp_path / "app" / "werf.yaml").write_text(MINIMAL)
        monkeypatch.chdir(tmp_path)
        assert find_config_file(Path("app"), "app/werf.yaml") == Path("app/werf.yaml")
        assert find_config_file(Path("app"), "werf.yaml") == Path("app/werf.yaml")

    def test_no_config_in_the_project(self, tmp_path):
        with pytest.raises(ConfigError) as info:
            load_werf_config(tmp_path)
        assert f"no werf.yaml or werf.yml in {tmp_path}" in info.value.message
        assert "--dir" in info.value.hint

    def test_explicit_config_that_does_not_exist(self, tmp_path):
        with pytest.raises(ConfigError) as info:
            load_werf_config(tmp_path, config="other.yaml")
        assert "other.yaml does not exist" in info.value.message and "--config" in info.value.hint

    def test_project_dir_that_does_not_exist(self, tmp_path):
        with pytest.raises(ConfigError, match="does not exist"):
            load_werf_config(tmp_path / "nope")

    def test_config_that_is_not_text(self, tmp_path):
        (tmp_path / "werf.yaml").write_bytes(b"project: \xff\xfe\n")
        with pytest.raises(ConfigError, match="not UTF-8 text"):
            load_werf_config(tmp_path)


class TestRenderingAndLoading:
    def test_minimal(self, tmp_path):
        (tmp_path / "werf.yaml").write_text(MINIMAL)
        config = load_werf_config(tmp_path)
        assert config.meta.project == "demo" and config.image_names() == ["app"]
        assert config.config_path == "werf.yaml" and config.rendered == MINIMAL

    def test_symfony_demo_with_escaped_jinja(self, tmp_path):
        shutil.copy(DATA / "symfony-demo.werf.yaml", tmp_path / "werf.yaml")
        config = load_werf_config(tmp_path)
        app = config.get(None)
        assert config.meta.project == "symfony-demo" and config.image_names() == [None]
        php = next(task for task in app.ansible.before_install if task["name"] == "Install PHP and modules")
        assert php["apt"]["name"] == "{{packages}}"                # the Go template escape, left for Jinja
        assert php["vars"]["packages"][0] == "php7.2"
        setup = app.ansible.setup
        assert setup[0]["copy"]["mode"] == 0o755 and type(setup[0]["copy"]["mode"]) is int
        assert app.docker.expose == ("80",) and app.docker.env == {"LC_ALL": "en_US.UTF-8"}
        assert app.git[0].to == "/app" and app.git[0].owner == "app"

    def test_templates_files_env_and_includes(self, tmp_path):
        (tmp_path / ".werf").mkdir()
        (tmp_path / ".werf" / "base.tmpl").write_text('{{ define "base" }}from: alpine:{{ .version }}{{ end }}')
        (tmp_path / "packages.txt").write_text("curl\ngit\n")
        (tmp_path / "werf.yaml").write_text(
            'project: {{ env "PROJECT" }}\nconfigVersion: 1\n'
            '{{- range $name := list "api" "worker" }}\n---\nimage: {{ $name }}\n'
            '{{ include "base" (dict "version" "3.20") }}\nshell:\n  install:\n'
            '{{- range $p := splitList "\\n" ($.Files.Get "packages.txt" | trim) }}\n  - apk add {{ $p }}\n'
            '{{- end }}\n{{- end }}\n')
        config = load_werf_config(tmp_path, env={"PROJECT": "templated"})
        assert config.meta.project == "templated"
        assert config.image_names() == ["api", "worker"]
        assert config.get("worker").from_ == "alpine:3.20"
        assert config.get("api").shell.install == ("apk add curl", "apk add git")

    def test_custom_templates_dir(self, tmp_path):
        (tmp_path / "tpl").mkdir()
        (tmp_path / "tpl" / "from.tmpl").write_text("from: debian")
        (tmp_path / "werf.yaml").write_text('project: a\nconfigVersion: 1\n---\nimage: x\n'
                                            '{{ include "from.tmpl" . }}\n')
        assert load_werf_config(tmp_path, templates_dir="tpl").get("x").from_ == "debian"

    def test_render_dump_only_when_asked(self, tmp_path):
        (tmp_path / "werf.yaml").write_text('project: a\nconfigVersion: 1\n---\nimage: x\nfrom: {{ "alp" }}ine\n')
        dump = tmp_path / "rendered.yaml"
        load_werf_config(tmp_path)
        assert not dump.exists()
        load_werf_config(tmp_path, render_dump_path=dump)
        assert dump.read_text().endswith("from: alpine\n")

    def test_validation_error_points_at_the_template_source(self, tmp_path):
        (tmp_path / "werf.yaml").write_text(
            'project: a\nconfigVersion: 1\n{{- range $i := until 3 }}\n---\nimage: img{{ $i }}\nfrom: alpine\n'
            '{{- end }}\n---\nimage: last\nfromImage: img7\n')
        with pytest.raises(ConfigError) as info:
            load_werf_config(tmp_path)
        err = info.value
        assert 'no such image "img7" (fromImage of image "last")' in err.message
        assert err.path == "werf.yaml" and err.line == 10 and "10 | fromImage: img7" in err.snippet
        assert "img0, img1, img2" in err.hint

    def test_template_errors_are_config_errors_with_a_line(self, tmp_path):
        (tmp_path / "werf.yaml").write_text("project: a\nconfigVersion: 1\n---\nimage: x\nfrom: {{ .Nope.x }\n")
        with pytest.raises(ConfigError) as info:
            load_werf_config(tmp_path)
        assert info.value.line == 5

    def test_project_name_override(self, tmp_path):
        (tmp_path / "werf.yaml").write_text(MINIMAL)
        assert load_werf_config(tmp_path, project_name_override="other").meta.project == "other"

    def test_config_outside_the_project_dir_is_named_as_given(self, tmp_path):
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "project").mkdir()
        path = tmp_path / "elsewhere" / "werf.yaml"
        path.write_text(MINIMAL + "bad: 1\n")
        with pytest.raises(ConfigError) as info:
            load_werf_config(tmp_path / "project", config=str(path))
        assert info.value.path == str(path) and info.value.line == 6
