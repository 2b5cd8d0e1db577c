"""werf's distributed-mode demo (ansible on Ubuntu, apt and composer from the internet) plans without the network."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.project import run_werf, werf_env

SYMFONY = Path(__file__).resolve().parents[1] / "config" / "data" / "symfony-demo.werf.yaml"

pytestmark = [pytest.mark.docker]


def plan(repo, werf_home, *images: str) -> dict:
    result = run_werf(["stages", "plan", *images, "--dir", str(repo.path), "--stages-storage", ":local",
                       "--output", "json"], env=werf_env(werf_home))
    return json.loads(result.stdout)


def test_symfony_demo_plans_offline(git_repo, werf_home, docker_client):
    shutil.copyfile(SYMFONY, git_repo.path / "werf.yaml")
    git_repo.write("composer.json", "{}\n")
    git_repo.commit("symfony demo")
    first = plan(git_repo, werf_home)
    stages = first["images"]["~"]["stages"]
    assert [s["name"] for s in stages] == ["from", "beforeInstall", "gitArchive", "install", "setup",
                                           "dockerInstructions"]
    assert {s["status"] for s in stages} == {"planned"}
    assert all(len(s["digest"]) == 56 for s in stages)            # SHA3-224
    second = plan(git_repo, werf_home, "~")   # the nameless image asked for by name
    assert [s["digest"] for s in second["images"]["~"]["stages"]] == [s["digest"] for s in stages]
    # planning pulled nothing: the Ubuntu base image is not in the engine
    assert not any("ubuntu:16.04" in t for i in docker_client.images.list() for t in i.tags)


def test_symfony_ansible_task_change_changes_digest(git_repo, werf_home):
    text = SYMFONY.read_text()
    git_repo.write("werf.yaml", text)
    git_repo.commit("symfony demo")
    before = {s["name"]: s["digest"] for s in plan(git_repo, werf_home)["images"]["~"]["stages"]}
    git_repo.write("werf.yaml", text.replace("php7.2-intl", "php7.2-gd"))
    git_repo.commit("another php module")
    after = {s["name"]: s["digest"] for s in plan(git_repo, werf_home)["images"]["~"]["stages"]}
    assert after["from"] == before["from"]
    assert all(after[n] != before[n] for n in ("beforeInstall", "gitArchive", "install", "setup",
                                               "dockerInstructions"))
