"""Fixtures for ci-env tests: a hermetic environment and realistic CI variable sets.

The variable sets follow GitLab's "Predefined CI/CD variables" and GitHub's "Default environment variables" pages;
values are what a real job on gitlab.example.com / github.com would see.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Variables of the machine running the tests that would change ci-env's output.
_FOREIGN = re.compile(r"^(CI|CI_.*|GITLAB_.*|GITHUB_.*|WERF_.*|DOCKER_CONFIG)$")


@pytest.fixture
def clean_env(monkeypatch, tmp_path, werf_home) -> Path:
    """No CI/werf variables from the host; HOME, WERF_HOME and WERF_TMP_DIR inside tmp_path. Returns HOME."""
    for name in list(os.environ):
        if _FOREIGN.match(name):
            monkeypatch.delenv(name)
    monkeypatch.setenv("WERF_HOME", str(werf_home))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("WERF_TMP_DIR", str(tmp))
    return home


GITLAB_BRANCH_PIPELINE = {
    "CI": "true",
    "GITLAB_CI": "true",
    "CI_SERVER_URL": "https://gitlab.example.com",
    "CI_SERVER_VERSION": "16.11.2-ee",
    "CI_PROJECT_PATH": "acme/shop-api",
    "CI_PROJECT_URL": "https://gitlab.example.com/acme/shop-api",
    "CI_PROJECT_DIR": "/builds/acme/shop-api",
    "CI_REGISTRY": "registry.example.com",
    "CI_REGISTRY_IMAGE": "registry.example.com/acme/shop-api",
    "CI_REGISTRY_USER": "gitlab-ci-token",
    "CI_JOB_TOKEN": "glcbt-64_FAKEjobTOKENvalue",
    "CI_JOB_ID": "98765432",
    "CI_JOB_NAME": "build",
    "CI_PIPELINE_ID": "1234567",
    "CI_COMMIT_SHA": "1f6c5d0a9b8e7d6c5b4a39281706f5e4d3c2b1a0",
    "CI_COMMIT_SHORT_SHA": "1f6c5d0a",
    "CI_COMMIT_REF_NAME": "feature/PAY-42_checkout",
    "CI_COMMIT_REF_SLUG": "feature-pay-42-checkout",
    "CI_COMMIT_BRANCH": "feature/PAY-42_checkout",
    "CI_ENVIRONMENT_NAME": "review/feature/PAY-42_checkout",
    "CI_ENVIRONMENT_SLUG": "review-feat-x3k9a1",
}

GITLAB_TAG_PIPELINE = {
    **{k: v for k, v in GITLAB_BRANCH_PIPELINE.items() if k not in ("CI_COMMIT_BRANCH", "CI_ENVIRONMENT_NAME",
                                                                     "CI_ENVIRONMENT_SLUG")},
    "CI_COMMIT_TAG": "v1.4.0",
    "CI_COMMIT_REF_NAME": "v1.4.0",
    "CI_COMMIT_REF_SLUG": "v1-4-0",
}

GITHUB_PUSH_WORKFLOW = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "Acme/Shop-API",
    "GITHUB_REPOSITORY_OWNER": "Acme",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_TOKEN": "ghs_FAKEinstallationTOKEN",  # workflows pass it in as env: GITHUB_TOKEN: ${{ github.token }}
    "GITHUB_SHA": "ffac537e6cbbf934b08745a378932722df287a53",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_RUN_ID": "1658821493",
    "GITHUB_RUN_NUMBER": "42",
    "GITHUB_WORKFLOW": "build",
    "GITHUB_WORKSPACE": "/home/runner/work/Shop-API/Shop-API",
    "GITHUB_EVENT_NAME": "push",
}


@pytest.fixture
def gitlab_env(clean_env, monkeypatch) -> dict[str, str]:
    """A GitLab branch pipeline's variables, set in os.environ; returns the full environment as a dict."""
    for key, value in GITLAB_BRANCH_PIPELINE.items():
        monkeypatch.setenv(key, value)
    return dict(os.environ)


@pytest.fixture
def github_env(clean_env, monkeypatch) -> dict[str, str]:
    for key, value in GITHUB_PUSH_WORKFLOW.items():
        monkeypatch.setenv(key, value)
    return dict(os.environ)


def write_werf_yaml(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "werf.yaml"
    path.write_text(text)
    return path
