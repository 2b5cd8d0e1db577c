"""Template confinement: everything rendering werf.yaml reads stays inside the project, is a regular file, and is
bounded in size; otherwise one clear error naming the file, and never a byte of the outside file in any output."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.config.security.conftest import SECRET_MARKER
from werf_core.config.limits import MAX_PROJECT_FILE_BYTES, MAX_READ_BYTES_PER_RENDER, MAX_TEMPLATE_FILE_BYTES
from werf_core.config.loader import load_werf_config, render_config
from werf_core.errors import ConfigError

pytestmark = pytest.mark.timeout(60)

MINIMAL = "project: demo\nconfigVersion: 1\n---\nimage: app\nfrom: alpine:3.20\n"


def _render(project: Path, werf_yaml: str | None = None) -> str:
    if werf_yaml is not None:
        (project / "werf.yaml").write_text(werf_yaml)
    return render_config(project, project / "werf.yaml")


def _refused(action: Callable[[], object], capfd: pytest.CaptureFixture[str]) -> ConfigError:
    """The ConfigError `action` raises, after checking that the secret appears nowhere the user could see it."""
    with pytest.raises(ConfigError) as info:
        action()
    err = info.value
    captured = capfd.readouterr()
    for text in (err.render(), str(err), err.hint or "", captured.out, captured.err):
        assert SECRET_MARKER not in text
    return err


def _within(seconds: float, action: Callable[[], object]) -> BaseException | None:
    """Run `action` in a thread; fail if it has not finished after `seconds` (a read that blocks forever)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            action()
            outcome.append(None)
        except BaseException as err:
            outcome.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"rendering still blocked after {seconds}s"
    return outcome[0]


# --- partials (.werf/**/*.tmpl) --------------------------------------------------------------------------------------

def test_partial_committed_as_symlink_to_a_host_file_is_refused(project, outside_secret, capfd):
    os.symlink(outside_secret, project / ".werf" / "creds.tmpl")
    err = _refused(lambda: _render(project, '{{ include "creds.tmpl" . }}\n' + MINIMAL), capfd)
    assert ".werf/creds.tmpl" in err.message and "outside the project directory" in err.message
    assert err.hint and "symlink" in err.hint


def test_partial_symlink_is_refused_even_when_werf_yaml_never_includes_it(project, outside_secret, capfd):
    os.symlink(outside_secret, project / ".werf" / "unused.tmpl")
    err = _refused(lambda: _render(project, MINIMAL), capfd)
    assert ".werf/unused.tmpl" in err.message


def test_partial_symlink_with_relative_target_climbing_out_is_refused(project, outside_secret, capfd):
    (project / ".werf" / "nested").mkdir()
    os.symlink("../../../outside/config.json", project / ".werf" / "nested" / "x.tmpl")
    err = _refused(lambda: _render(project, '{{ include "nested/x.tmpl" . }}'), capfd)
    assert ".werf/nested/x.tmpl" in err.message


def test_templates_directory_symlinked_outside_is_refused(project, outside_secret, capfd):
    os.rmdir(project / ".werf")
    (outside_secret.parent / "helpers.tmpl").write_text('{{ define "h" }}' + SECRET_MARKER + '{{ end }}')
    os.symlink(outside_secret.parent, project / ".werf")
    err = _refused(lambda: _render(project, '{{ include "h" . }}'), capfd)
    assert ".werf" in err.message and "outside the project directory" in err.message


def test_symlinked_directory_below_templates_is_not_entered(project, outside_secret, capfd):
    (outside_secret.parent / "helpers.tmpl").write_text('{{ define "h" }}' + SECRET_MARKER + '{{ end }}')
    os.symlink(outside_secret.parent, project / ".werf" / "vendor")
    err = _refused(lambda: _render(project, '{{ include "h" . }}'), capfd)
    assert 'no template "h"' in err.message


def test_partial_symlink_inside_the_project_still_works(project):
    (project / "shared").mkdir()
    (project / "shared" / "labels.tmpl").write_text('{{ define "labels" }}team: core{{ end }}')
    os.symlink("../shared/labels.tmpl", project / ".werf" / "labels.tmpl")
    assert _render(project, '{{ include "labels" . }}') == "team: core"


# --- werf.yaml itself ------------------------------------------------------------------------------------------------

def test_werf_yaml_committed_as_symlink_outside_is_refused(project, outside_secret, capfd):
    os.symlink(outside_secret, project / "werf.yaml")
    err = _refused(lambda: load_werf_config(project), capfd)
    assert "werf.yaml" in err.message and "outside the project directory" in err.message


def test_explicit_config_outside_the_project_is_the_operators_choice(project, tmp_path):
    elsewhere = tmp_path / "ci" / "werf.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(MINIMAL)
    assert load_werf_config(project, config=str(elsewhere)).meta.project == "demo"


def test_werf_yaml_that_is_too_big_is_refused(project, capfd):
    with open(project / "werf.yaml", "wb") as fh:
        fh.truncate(MAX_TEMPLATE_FILE_BYTES + 1)
    err = _refused(lambda: load_werf_config(project), capfd)
    assert "werf.yaml" in err.message and "larger than 4 MiB" in err.message


def test_partial_that_is_too_big_is_refused(project, capfd):
    with open(project / ".werf" / "big.tmpl", "wb") as fh:
        fh.truncate(MAX_TEMPLATE_FILE_BYTES + 1)
    err = _refused(lambda: _render(project, MINIMAL), capfd)
    assert ".werf/big.tmpl" in err.message and "larger than" in err.message


# --- .Files ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["Get", "Glob"])
def test_files_symlink_to_a_host_file_is_refused(project, outside_secret, capfd, action):
    os.symlink(outside_secret, project / "conf" / "docker.json")
    arg = "conf/docker.json" if action == "Get" else "conf/*.json"
    err = _refused(lambda: _render(project, f'{{{{ .Files.{action} "{arg}" }}}}'), capfd)
    assert "conf/docker.json" in err.message and "outside the project directory" in err.message
    assert err.line == 1 and err.path == "werf.yaml"


@pytest.mark.parametrize("path", ["../outside/config.json", "conf/../../outside/config.json", "./../outside/config.json"])
def test_files_get_with_dotdot_is_refused(project, outside_secret, capfd, path):
    err = _refused(lambda: _render(project, f'{{{{ .Files.Get "{path}" }}}}'), capfd)
    assert "outside the project directory" in err.message


def test_files_get_with_absolute_path_is_refused(project, outside_secret, capfd):
    err = _refused(lambda: _render(project, f'{{{{ .Files.Get "{outside_secret}" }}}}'), capfd)
    assert "absolute paths are refused" in err.message


def test_files_glob_does_not_follow_a_symlinked_directory(project, outside_secret, capfd):
    os.symlink(outside_secret.parent, project / "conf" / "linked")
    out = _render(project, '{{ range $p, $c := .Files.Glob "**/*.json" }}{{ $p }}={{ $c }}{{ end }}|')
    assert SECRET_MARKER not in out and out == "|"
    assert SECRET_MARKER not in capfd.readouterr().err


def test_files_glob_starting_in_a_symlinked_directory_outside_is_refused(project, outside_secret, capfd):
    os.symlink(outside_secret.parent, project / "conf" / "linked")
    err = _refused(lambda: _render(project, '{{ .Files.Glob "conf/linked/*" }}'), capfd)
    assert "conf/linked" in err.message and "outside the project directory" in err.message


def test_files_glob_with_dotdot_pattern_is_refused(project, outside_secret, capfd):
    err = _refused(lambda: _render(project, '{{ .Files.Glob "../outside/*" }}'), capfd)
    assert "outside the project directory" in err.message


def test_files_exists_never_looks_outside(project, outside_secret, capfd):
    os.symlink(outside_secret, project / "conf" / "docker.json")
    _refused(lambda: _render(project, '{{ .Files.Exists "conf/docker.json" }}'), capfd)
    _refused(lambda: _render(project, '{{ .Files.Exists "../outside/config.json" }}'), capfd)


def test_files_symlink_to_a_device_is_refused_without_reading(project, capfd):
    os.symlink("/dev/zero", project / "conf" / "zero")
    err = _within(10, lambda: _render(project, '{{ .Files.Get "conf/zero" }}'))
    assert isinstance(err, ConfigError) and "outside the project directory" in err.message


# --- not regular files -----------------------------------------------------------------------------------------------

def test_files_get_on_a_fifo_fails_fast_instead_of_hanging(project):
    os.mkfifo(project / "conf" / "pipe")
    err = _within(10, lambda: _render(project, '{{ .Files.Get "conf/pipe" }}'))
    assert isinstance(err, ConfigError)
    assert "conf/pipe" in err.message and "FIFO" in err.message and err.hint


def test_files_glob_over_a_fifo_fails_fast(project):
    os.mkfifo(project / "conf" / "pipe.txt")
    err = _within(10, lambda: _render(project, '{{ .Files.Glob "conf/*.txt" }}'))
    assert isinstance(err, ConfigError) and "conf/pipe.txt" in err.message and "FIFO" in err.message


def test_partial_that_is_a_fifo_fails_fast(project):
    os.mkfifo(project / ".werf" / "pipe.tmpl")
    err = _within(10, lambda: _render(project, MINIMAL))
    assert isinstance(err, ConfigError) and ".werf/pipe.tmpl" in err.message and "FIFO" in err.message


def test_werf_yaml_that_is_a_fifo_fails_fast(project):
    os.mkfifo(project / "werf.yaml")
    err = _within(10, lambda: load_werf_config(project, config="werf.yaml"))
    assert isinstance(err, ConfigError) and "werf.yaml" in err.message


def test_files_get_on_a_fifo_symlinked_inside_the_project_fails_fast(project):
    os.mkfifo(project / "pipe")
    os.symlink("../pipe", project / "conf" / "innocent.txt")
    err = _within(10, lambda: _render(project, '{{ .Files.Get "conf/innocent.txt" }}'))
    assert isinstance(err, ConfigError) and "FIFO" in err.message


def test_files_get_on_a_socket_is_refused(project):
    path = project / "conf" / "agent.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        err = _within(10, lambda: _render(project, '{{ .Files.Get "conf/agent.sock" }}'))
    finally:
        server.close()
    assert isinstance(err, ConfigError) and "socket" in err.message


def test_symlink_loops_fail_cleanly(project, capfd):
    os.symlink("b", project / "conf" / "a")
    os.symlink("a", project / "conf" / "b")
    os.symlink("loop.tmpl", project / ".werf" / "loop.tmpl")
    err = _refused(lambda: _render(project, '{{ .Files.Get "conf/a" }}'), capfd)
    assert ".werf/loop.tmpl" in err.message
    os.remove(project / ".werf" / "loop.tmpl")
    err = _refused(lambda: _render(project, '{{ .Files.Get "conf/a" }}'), capfd)
    assert "conf/a" in err.message and "symbolic links" in err.message


def test_files_get_on_a_directory_is_refused(project, capfd):
    err = _refused(lambda: _render(project, '{{ .Files.Get "conf" }}'), capfd)
    assert "conf" in err.message and "directory" in err.message


# --- sizes -----------------------------------------------------------------------------------------------------------

def test_files_get_of_a_file_over_the_size_limit_is_refused(project, capfd):
    with open(project / "conf" / "huge.bin", "wb") as fh:
        fh.truncate(MAX_PROJECT_FILE_BYTES + 1)
    err = _refused(lambda: _render(project, '{{ .Files.Get "conf/huge.bin" | len }}'), capfd)
    assert "conf/huge.bin" in err.message and "larger than 16 MiB" in err.message


def test_files_read_in_total_is_bounded(project, capfd):
    count = MAX_READ_BYTES_PER_RENDER // MAX_PROJECT_FILE_BYTES + 1
    for i in range(count):
        with open(project / "conf" / f"part{i}.bin", "wb") as fh:
            fh.truncate(MAX_PROJECT_FILE_BYTES)
    err = _refused(lambda: _render(project, '{{ .Files.Glob "conf/*.bin" | len }}'), capfd)
    assert "64 MiB" in err.message


def test_files_under_the_limits_are_read(project):
    assert _render(project, '{{ .Files.Get "conf/app.txt" | trim }}|{{ .Files.Exists "conf/app.txt" }}') == \
        "app config|true"


def test_files_exists_on_a_fifo_is_false_without_blocking(project):
    os.mkfifo(project / "conf" / "pipe")
    outcome: list[str] = []
    assert _within(10, lambda: outcome.append(_render(project, '{{ .Files.Exists "conf/pipe" }}'))) is None
    assert outcome == ["false"]


def test_cli_prints_one_error_and_hint_without_traceback(project, outside_secret):
    os.symlink(outside_secret, project / ".werf" / "creds.tmpl")
    (project / "werf.yaml").write_text('{{ include "creds.tmpl" . }}\n' + MINIMAL)
    proc = subprocess.run([sys.executable, "-m", "werf_cli.main", "config", "render", "--dir", str(project)],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[3])
    assert proc.returncode == 1
    assert SECRET_MARKER not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Error: template .werf/creds.tmpl is a symlink that leads outside the project directory" in proc.stderr
    assert "Hint: " in proc.stderr
