"""Digest chaining and stage selection, planned against an in-memory stages storage (no Docker engine).

`simulate_build` records every planned stage in the storage with the labels a real build would give it, so a later
plan sees what a later `werf build` would see.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.memory_storage import MemoryStagesStorage
from werf_core.conveyor.conveyor import Conveyor
from werf_core.conveyor.results import PLANNED
from werf_core.git import GitMapping, open_local_repository
from werf_core.stages.git_runtime import bind_git_mappings
from werf_core.stages.spec import DockerSpec, ImageSpec, ImportSpec, UserStageSpec
from werf_core.storage.stage_id import StageID
from werf_core.sync import open_synchronization


class Silent:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def shell(**stages) -> dict[str, UserStageSpec]:
    return {name: UserStageSpec(tuple(commands)) for name, commands in stages.items()}


def app_spec(**overrides) -> ImageSpec:
    spec = ImageSpec(
        name="app", from_ref="base:1",
        git=(GitMapping(to="/app", add="/src", exclude_paths=("**/*.log",),
                        stage_dependencies=(("install", ("deps.txt",)), ("setup", ("conf/**",)))),),
        builder="shell",
        user_stages=shell(beforeInstall=["apk add curl"], install=["make deps"], setup=["make config"]),
        docker=DockerSpec(env=(("A", "1"),), cmd="run", cmd_set=True))
    return replace(spec, **overrides)


class Planner:
    def __init__(self, repo_path, werf_home):
        self.repo_path = repo_path
        self.storage = MemoryStagesStorage()
        self.sync = open_synchronization(":local", "p", stages_storage=":local")

    def plan(self, *specs: ImageSpec) -> dict[str, dict[str, tuple[str, str]]]:
        repository = open_local_repository(self.repo_path)
        conveyor = Conveyor(project="p", project_dir=str(self.repo_path), specs=list(specs), storage=self.storage,
                            sync=self.sync, docker_client_factory=lambda: pytest.fail("planning needs no Docker"),
                            git_binder=lambda spec: bind_git_mappings(spec.git, repository),
                            progress=Silent(), parallel=False)
        report = conveyor.build(None, [[s] for s in specs], dry_run=True)
        self.last = report
        return {i.display_name: {s.name: (s.digest, s.status) for s in i.stages} for i in report.images}

    def simulate_build(self, *specs: ImageSpec) -> dict[str, dict[str, tuple[str, str]]]:
        planned = self.plan(*specs)
        unique = 1
        for image in self.last.images:
            for stage in image.stages:
                if stage.status == PLANNED:
                    self.storage.add("p", StageID(stage.digest, unique), stage.description.labels)
                    unique += 1
        self.sync.cache.delete_all("p")
        return planned


@pytest.fixture
def repo(git_repo):
    git_repo.write("src/deps.txt", "a\n")
    git_repo.write("src/conf/app.conf", "x=1\n")
    git_repo.write("src/main.py", "print(1)\n")
    git_repo.write("src/debug.log", "log\n")
    git_repo.write("outside.txt", "not mapped\n")
    git_repo.commit("initial")
    return git_repo


@pytest.fixture
def planner(repo, werf_home):
    return Planner(repo.path, werf_home)


def digests(plan, image="app"):
    return {name: digest for name, (digest, _) in plan[image].items()}


ORDER = ["from", "beforeInstall", "gitArchive", "install", "setup", "gitLatestPatch", "dockerInstructions"]


def test_stage_list_follows_werf_order(planner):
    plan = planner.plan(app_spec())
    assert list(plan["app"]) == ["from", "beforeInstall", "gitArchive", "install", "setup", "dockerInstructions"]
    assert {status for _, status in plan["app"].values()} == {PLANNED}


def test_digests_are_stable(planner):
    assert planner.plan(app_spec()) == planner.plan(app_spec())


def test_shell_command_change_changes_that_stage_and_later_only(planner):
    before = digests(planner.plan(app_spec()))
    changed = app_spec(user_stages=shell(beforeInstall=["apk add curl"], install=["make deps V=2"],
                                         setup=["make config"]))
    after = digests(planner.plan(changed))
    names = list(before)
    i = names.index("install")
    assert all(before[n] == after[n] for n in names[:i])
    assert all(before[n] != after[n] for n in names[i:])


def test_file_in_install_dependencies_changes_install_and_later(planner, repo):
    first = digests(planner.simulate_build(app_spec()))
    repo.write("src/deps.txt", "a\nb\n")
    repo.commit("deps")
    plan = planner.plan(app_spec())
    second = digests(plan)
    assert [second[n] == first[n] for n in ("from", "beforeInstall", "gitArchive")] == [True] * 3
    assert plan["app"]["gitArchive"][1] == "reused"
    assert second["install"] != first["install"] and second["setup"] != first["setup"]
    assert second["dockerInstructions"] != first["dockerInstructions"]


def test_file_outside_dependency_globs_changes_only_the_patch_stages(planner, repo):
    first = digests(planner.simulate_build(app_spec()))
    repo.write("src/main.py", "print(2)\n")
    repo.commit("code")
    plan = planner.plan(app_spec())
    second = digests(plan)
    for name in ("from", "beforeInstall", "gitArchive", "install", "setup"):
        assert second[name] == first[name] and plan["app"][name][1] == "reused", name
    assert "gitLatestPatch" in second and plan["app"]["gitLatestPatch"][1] == PLANNED
    assert second["dockerInstructions"] != first["dockerInstructions"]


def test_disable_git_after_patch_drops_the_patch_stages(planner, repo):
    planner.simulate_build(app_spec(disable_git_after_patch=True))
    repo.write("src/main.py", "print(2)\n")
    repo.commit("code")
    plan = planner.plan(app_spec(disable_git_after_patch=True))
    assert "gitLatestPatch" not in plan["app"] and "gitCache" not in plan["app"]
    assert {status for _, status in plan["app"].values()} == {"reused"}   # werf: sources stay at the archive's commit


def test_change_to_excluded_or_unmapped_file_builds_nothing(planner, repo):
    planner.simulate_build(app_spec())
    repo.write("src/debug.log", "more\n")      # excluded by excludePaths
    repo.write("outside.txt", "changed\n")     # outside `add`
    repo.commit("noise")
    plan = planner.plan(app_spec())
    assert "gitLatestPatch" not in plan["app"]
    # the stored images (recording the older commit) are all still suitable: nothing to build
    assert {status for _, status in plan["app"].values()} == {"reused"}


def test_git_latest_patch_is_shared_by_runners_at_the_same_commit(planner, repo):
    planner.simulate_build(app_spec())
    repo.write("src/main.py", "print(3)\n")
    repo.commit("code")
    assert planner.plan(app_spec()) == planner.plan(app_spec())


def test_cache_version_changes_user_stages_but_not_from(planner):
    base = digests(planner.plan(app_spec()))
    bumped = digests(planner.plan(app_spec(cache_version="2")))
    assert bumped["from"] == base["from"]
    assert all(bumped[n] != base[n] for n in ("beforeInstall", "install", "setup", "dockerInstructions"))


def test_stage_cache_version_changes_that_stage_and_later(planner):
    base = digests(planner.plan(app_spec()))
    stages = shell(beforeInstall=["apk add curl"], install=["make deps"], setup=["make config"])
    stages["setup"] = UserStageSpec(("make config",), stage_cache_version="7")
    bumped = digests(planner.plan(app_spec(user_stages=stages)))
    assert [bumped[n] == base[n] for n in ("from", "beforeInstall", "gitArchive", "install")] == [True] * 4
    assert bumped["setup"] != base["setup"]


def test_cache_version_alone_materialises_user_stages(planner):
    spec = app_spec(user_stages={}, cache_version="1")
    assert {"beforeInstall", "install", "beforeSetup", "setup"} <= set(planner.plan(spec)["app"])
    assert {"beforeInstall", "install"}.isdisjoint(planner.plan(app_spec(user_stages={}))["app"])


def test_from_cache_version_changes_everything(planner):
    base = digests(planner.plan(app_spec()))
    bumped = digests(planner.plan(app_spec(from_cache_version="x")))
    assert all(bumped[n] != base[n] for n in base)


def test_base_reference_as_written_enters_from(planner):
    assert digests(planner.plan(app_spec(from_ref="base:2")))["from"] != digests(planner.plan(app_spec()))["from"]


def test_imports_follow_their_source(planner):
    tools = ImageSpec(name="tools", is_artifact=True, from_ref="base:1", builder="shell",
                      user_stages=shell(install=["build tools"]))
    app = app_spec(imports=(ImportSpec(source="tools", source_is_artifact=True, placement="importsAfterInstall",
                                       add="/out", to="/opt"),))
    base = digests(planner.plan(tools, app))
    tools2 = replace(tools, user_stages=shell(install=["build tools --fast"]))
    changed = digests(planner.plan(tools2, app))
    names = list(base)
    i = names.index("importsAfterInstall")
    assert all(changed[n] == base[n] for n in names[:i])
    assert all(changed[n] != base[n] for n in names[i:])
    moved = app_spec(imports=(ImportSpec(source="tools", source_is_artifact=True, placement="importsAfterInstall",
                                         add="/out", to="/srv"),))
    assert digests(planner.plan(tools, moved))["importsAfterInstall"] != base["importsAfterInstall"]


def test_from_image_follows_the_source_content(planner):
    base_image = ImageSpec(name="base", from_ref="base:1", builder="shell", user_stages=shell(install=["one"]))
    child = ImageSpec(name="child", from_image="base", builder="shell", user_stages=shell(install=["child"]))
    first = planner.plan(base_image, child)
    second = planner.plan(replace(base_image, user_stages=shell(install=["two"])), child)
    assert digests(first, "child")["from"] != digests(second, "child")["from"]


def test_mounts_enter_the_from_digest(planner):
    from werf_core.stages.spec import MountSpec
    base = digests(planner.plan(app_spec()))
    mounted = digests(planner.plan(app_spec(mounts=(MountSpec(to="/cache", kind="build_dir"),))))
    assert mounted["from"] != base["from"]


def test_artifacts_have_no_git_patch_stages(planner, repo):
    artifact = replace(app_spec(), name="art", is_artifact=True, docker=None)
    planner.simulate_build(artifact)
    repo.write("src/main.py", "print(9)\n")
    repo.commit("code")
    plan = planner.plan(artifact)
    assert "gitLatestPatch" not in plan["art"] and "gitCache" not in plan["art"]


def test_unsuitable_stage_from_another_branch_is_not_selected(planner, repo):
    planner.simulate_build(app_spec())
    main = repo.head()
    repo.branch("feature")
    repo.write("src/main.py", "print('feature')\n")
    repo.commit("feature work")
    planner.simulate_build(app_spec())
    repo.checkout(main)
    # back on main: the gitArchive stored from `feature` is not an ancestor; the one from main is selected
    plan = planner.plan(app_spec())
    assert plan["app"]["gitArchive"][1] == "reused"
    assert "gitLatestPatch" not in plan["app"]
    assert all(status == "reused" for _, status in plan["app"].values())


def test_digest_final_only_after_selection(planner):
    planner.plan(app_spec())
    report = planner.last
    finals = {s.name: s.final for s in report.images[0].stages}
    # a stage after a git stage that still has to be built depends on the commits that build will record
    assert finals == {"from": True, "beforeInstall": True, "gitArchive": True, "install": False, "setup": False,
                      "dockerInstructions": False}
