"""Valid werf 1.2/2.x keys whose features builds here do not have: kept, rendered, and named in ONE warning."""

from __future__ import annotations

import pytest

from tests.config.support import load
from tests.config.test_cli import run
from werf_core.config.ignored_keys import WARNING_PREFIX

DEPLOY_CONFIG = """\
project: demo
configVersion: 1
deploy:
  helmChartDir: .helm
  helmRelease: "[[ project ]]-[[ env ]]"
  namespace: "[[ project ]]-[[ env ]]"
gitWorktree:
  forceShallowClone: true
---
image: app
from: alpine
platform: [linux/arm64]
"""


def ignored_warnings(config) -> list[str]:
    return [w for w in config.warnings if w.startswith(WARNING_PREFIX)]


def test_one_warning_names_every_ignored_key():
    config = load(DEPLOY_CONFIG, meta=False)
    warnings = ignored_warnings(config)
    assert len(warnings) == 1
    assert "deploy.helmChartDir, deploy.helmRelease, deploy.namespace, gitWorktree" in warnings[0]
    assert "platform" not in warnings[0]      # honoured by builds (Dockerfile images; stapel: host only)
    assert config.meta.deploy.helm_release == "[[ project ]]-[[ env ]]"  # kept for whoever needs it


def test_a_config_without_such_keys_has_no_warning():
    config = load("image: app\nfrom: alpine\nfinal: true\nplatform: []\n")
    assert ignored_warnings(config) == []


def test_values_that_change_nothing_are_not_reported():
    config = load("image: app\nfrom: alpine\nfinal: true\ndisableGitAfterPatch: false\n")
    assert ignored_warnings(config) == []


def test_config_render_shows_the_sections_and_the_warning_once(tmp_path, capsys):
    (tmp_path / "werf.yaml").write_text(DEPLOY_CONFIG)
    code, out, err = run(capsys, "config", "render", "--dir", str(tmp_path))
    assert code == 0 and out == DEPLOY_CONFIG
    assert err.count(WARNING_PREFIX) == 1


@pytest.mark.docker
def test_build_prints_the_warning_once(git_repo, werf_home, project_name):
    from tests.support.project import build, make_project
    make_project(git_repo, f"""
        project: {project_name}
        configVersion: 1
        deploy:
          helmRelease: "[[ project ]]"
          namespaceSlug: true
        ---
        image: app
        from: werf-prefect/busybox:latest
        shell:
          install:
          - echo built > /built
        """)
    result, report = build(git_repo, werf_home)
    output = result.stdout + result.stderr
    assert output.count(WARNING_PREFIX) == 1
    assert "deploy.helmRelease, deploy.namespaceSlug" in output
    assert report["images"]["app"]["stages"]
