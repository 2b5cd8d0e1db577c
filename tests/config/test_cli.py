"""`werf config render` and `werf config list`, through werf_cli.main.main and once as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from werf_cli.main import main

CONFIG = """\
project: demo
configVersion: 1
---
image: api
from: {{ "alpine" }}
---
artifact: builder
from: golang
---
image: web
dockerfile: Dockerfile
---
image: legacy
fromImageArtifact: builder
"""


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "werf.yaml").write_text(CONFIG)
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_prints_images_then_artifacts(project, capsys):
    code, out, _ = run(capsys, "config", "list", "--dir", str(project))
    assert code == 0 and out.splitlines() == ["api", "web", "legacy", "builder"]


def test_list_images_only(project, capsys):
    code, out, _ = run(capsys, "config", "list", "--images-only", "--dir", str(project))
    assert code == 0 and out.splitlines() == ["api", "web", "legacy"]


def test_list_shows_the_nameless_image_as_tilde(tmp_path, capsys):
    (tmp_path / "werf.yaml").write_text("project: a\nconfigVersion: 1\n---\nimage: ~\nfrom: alpine\n")
    assert run(capsys, "config", "list", "--dir", str(tmp_path))[1] == "~\n"


def test_warnings_go_to_stderr(project, capsys):
    _, out, err = run(capsys, "config", "list", "--dir", str(project))
    assert "fromImageArtifact` is deprecated" in err and "deprecated" not in out


def test_render_prints_the_rendered_config(project, capsys):
    code, out, _ = run(capsys, "config", "render", "--dir", str(project))
    assert code == 0 and out == CONFIG.replace('{{ "alpine" }}', "alpine")


def test_render_selected_images(project, capsys):
    code, out, _ = run(capsys, "config", "render", "api", "builder", "--dir", str(project))
    assert code == 0 and out == "image: api\nfrom: alpine\n---\nartifact: builder\nfrom: golang\n"


def test_render_unknown_image(project, capsys):
    code, _, err = run(capsys, "config", "render", "nope", "--dir", str(project))
    assert code == 1 and 'image "nope" is not defined in werf.yaml' in err and "Hint: defined: api" in err


def test_config_option_and_env_vars(project, capsys, monkeypatch):
    (project / "werf-other.yaml").write_text("project: other\nconfigVersion: 1\n---\nimage: only\nfrom: x\n")
    monkeypatch.setenv("WERF_DIR", str(project))
    monkeypatch.setenv("WERF_CONFIG", "werf-other.yaml")
    assert run(capsys, "config", "list")[1] == "only\n"
    assert run(capsys, "config", "list", "--config", "werf.yaml")[1].splitlines()[0] == "api"


def test_templates_dir_option(tmp_path, capsys):
    (tmp_path / "tmpl").mkdir()
    (tmp_path / "tmpl" / "name.tmpl").write_text("from-template")
    (tmp_path / "werf.yaml").write_text('project: a\nconfigVersion: 1\n---\nimage: {{ include "name.tmpl" . }}\n'
                                        "from: x\n")
    code, out, _ = run(capsys, "config", "list", "--dir", str(tmp_path), "--config-templates-dir", "tmpl")
    assert code == 0 and out == "from-template\n"


def test_invalid_config_is_one_error_and_exit_1(project, capsys):
    (project / "werf.yaml").write_text(CONFIG + "fromImge: api\n")
    code, out, err = run(capsys, "config", "list", "--dir", str(project))
    assert code == 1 and out == ""
    assert err.startswith('Error: werf.yaml:15: unknown key "fromImge" in image "legacy"; did you mean "fromImage"?')
    assert "Traceback" not in err


def test_missing_config(tmp_path, capsys):
    code, _, err = run(capsys, "config", "render", "--dir", str(tmp_path))
    assert code == 1 and err.startswith("Error: no werf.yaml or werf.yml in")


def test_installed_console_script(project):
    (project / "werf.yaml").write_text(CONFIG.replace("from: golang", "from: golang\nfoo: bar"))
    werf = Path(sys.executable).parent / "werf"
    result = subprocess.run([str(werf), "config", "list", "--dir", str(project)], capture_output=True, text=True,
                            env={**os.environ, "WERF_CONFIG": ""})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("Error:") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith('Error: werf.yaml:9: unknown key "foo" in artifact "builder"')
