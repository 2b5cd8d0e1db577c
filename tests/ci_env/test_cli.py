"""`werf ci-env` on the command line: output modes, options, errors (one message, exit 1, no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci_env.script_readers import read_assignments
from werf_cli.main import COMMANDS, main

WERF_BIN = Path(sys.executable).parent / "werf"


def test_registered_as_ci_env(capsys):
    assert COMMANDS["ci-env"] == "werf_cli.ci_env:ci_env_command"
    assert main(["--help"]) == 0
    assert "ci-env" in capsys.readouterr().out


def test_help_shows_the_sourcing_examples(capsys):
    assert main(["ci-env", "--help"]) == 0
    out = capsys.readouterr().out
    assert ". $(werf ci-env gitlab --as-file)" in out
    for flag in ("--as-file", "--as-env-file", "--shell", "--tagging-strategy", "--docker-config", "--dir"):
        assert flag in out


def test_prints_the_script(gitlab_env, capsys):
    assert main(["ci-env", "gitlab"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# DOCKER CONFIG\nexport DOCKER_CONFIG='")
    assert "export WERF_IMAGES_REPO='registry.example.com/acme/shop-api'\n" in out


def test_as_file_prints_only_the_path(gitlab_env, werf_home, capsys):
    assert main(["ci-env", "gitlab", "--as-file", "--shell", "powershell"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.parent == werf_home / "service" / "tmp" / "ci_env"
    assert path.suffix == ".ps1"
    assert read_assignments(path.read_text(), "powershell")["WERF_TAG_BY_STAGES_SIGNATURE"] == "true"


def test_as_file_from_environment(gitlab_env, werf_home, capsys, monkeypatch):
    monkeypatch.setenv("WERF_AS_FILE", "1")
    monkeypatch.setenv("WERF_SHELL", "cmdexe")
    assert main(["ci-env", "gitlab"]) == 0
    assert Path(capsys.readouterr().out.strip()).suffix == ".bat"


def test_as_env_file_prints_k_v_lines(gitlab_env, capsys):
    assert main(["ci-env", "gitlab", "--as-env-file"]) == 0
    out = capsys.readouterr().out
    assert read_assignments(out, "env-file")["WERF_STAGES_STORAGE"] == "registry.example.com/acme/shop-api/stages"


def test_as_env_file_with_as_file_writes_a_dot_env_file(gitlab_env, werf_home, capsys):
    assert main(["ci-env", "gitlab", "--as-env-file", "--as-file"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.name.startswith(".env_")
    assert "WERF_IMAGES_REPO=registry.example.com/acme/shop-api\n" in path.read_text()


def test_output_file_path_prints_nothing(gitlab_env, tmp_path, capsys):
    target = tmp_path / "werf-ci.sh"
    assert main(["ci-env", "gitlab", "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert "export WERF_TAG_BY_STAGES_SIGNATURE='true'" in target.read_text()


def test_docker_config_option_and_environment(gitlab_env, tmp_path, capsys, monkeypatch):
    source = tmp_path / "custom-docker"
    source.mkdir()
    (source / "marker.txt").write_text("copied")
    monkeypatch.setenv("DOCKER_CONFIG", str(source))
    assert main(["ci-env", "gitlab", "--as-env-file"]) == 0
    session = Path(read_assignments(capsys.readouterr().out, "env-file")["DOCKER_CONFIG"])
    assert (session / "marker.txt").read_text() == "copied"
    other = tmp_path / "other-docker"
    other.mkdir()
    assert main(["ci-env", "gitlab", "--as-env-file", "--docker-config", str(other)]) == 0
    session = Path(read_assignments(capsys.readouterr().out, "env-file")["DOCKER_CONFIG"])
    assert not (session / "marker.txt").exists()


def test_home_dir_option(gitlab_env, tmp_path, capsys):
    home = tmp_path / "another-home"
    assert main(["ci-env", "gitlab", "--as-file", "--home-dir", str(home)]) == 0
    assert Path(capsys.readouterr().out.strip()).parent == home / "service" / "tmp" / "ci_env"


def test_github_reads_werf_yaml_from_dir(github_env, tmp_path, capsys):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "werf.yaml").write_text("configVersion: 1\nproject: shop\n---\nimage: ~\nfrom: alpine\n")
    assert main(["ci-env", "github", "--dir", str(tmp_path / "proj"), "--github-registry", "ghcr.io"]) == 0
    assert "export WERF_IMAGES_REPO='ghcr.io/acme/shop-api/shop'\n" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["ci-env", "jenkins"], "provided CI system 'jenkins' is not supported"),
    (["ci-env", "gitlab", "--shell", "fish"], "provided shell 'fish' is not supported"),
    (["ci-env", "gitlab", "--tagging-strategy", "latest"], "tagging strategy 'latest' is not supported"),
    (["ci-env", "github", "--tagging-strategy", "tag-or-branch"], "not supported for GitHub"),
])
def test_user_mistakes_end_in_one_message_and_stop_the_sourcing_shell(gitlab_env, capsys, args, message):
    assert main(args) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.startswith("Error: ")
    assert captured.out == "exit 1\n"  # `eval "$(werf ci-env ...)"` stops too


def test_errors_with_as_file_print_no_path(clean_env, capsys):
    assert main(["ci-env", "gitlab", "--as-file", "--tagging-strategy", "tag-or-branch"]) == 1
    assert capsys.readouterr().out == ""


def test_verbose_error_is_echoed_by_the_script(clean_env, capsys):
    assert main(["ci-env", "gitlab", "--tagging-strategy", "tag-or-branch", "--log-verbose"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "exit 1"
    assert out[-2].startswith("echo 'Error: the tag-or-branch tagging strategy needs")


def test_cmdexe_error_script_uses_exit_b(clean_env, capsys):
    assert main(["ci-env", "gitlab", "--shell", "cmdexe", "--tagging-strategy", "tag-or-branch"]) == 1
    assert capsys.readouterr().out == "exit /b 1\n"


def test_installed_command_runs_without_prefect_or_docker_sdk(gitlab_env, tmp_path):
    code = ("import sys; from werf_cli.main import main; rc = main(['ci-env', 'gitlab', '--as-file']); "
            "print(rc, 'prefect' in sys.modules, 'docker' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], env=os.environ, capture_output=True, text=True, timeout=60)
    assert done.stderr.split() == ["0", "False", "False"]


def test_installed_werf_error_has_no_traceback(clean_env, tmp_path):
    done = subprocess.run([str(WERF_BIN), "ci-env", "gitlab", "--tagging-strategy", "tag-or-branch"],
                          env=os.environ, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == "exit 1\n"
    assert done.stderr.count("\n") == 2  # "Error: ..." and "Hint: ..."
    assert "Traceback" not in done.stderr
