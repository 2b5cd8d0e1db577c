"""Pure decision logic of the cleanup: limits, reference selection, history reach, tagging scheme, stage ancestry."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from werf_core.ci_env.slug import docker_tag
from werf_core.cleanup.ancestry import StageIndex
from werf_core.cleanup.git_history import GitReference, reached_digests, select_references
from werf_core.cleanup.policies import AND, BRANCH, DEFAULT_POLICIES, OR, TAG, KeepPolicy, Limit, reference_pattern
from werf_core.cleanup.repo_images import RepoImage
from werf_core.cleanup.tag_strategy import TagStrategyLimits, tag_strategy_decisions
from werf_core.registry.image_info import ImageInfo
from werf_core.storage.base import StageDescription
from werf_core.storage.stage_id import StageID

DAY = 86400
NOW = 1_800_000_000


def test_limit_operators():
    both_and = Limit(last=2, within=timedelta(days=1), operator=AND)
    both_or = Limit(last=2, within=timedelta(days=1), operator=OR)
    assert both_and.allows(0, 10) and not both_and.allows(2, 10) and not both_and.allows(0, 2 * DAY)
    assert both_or.allows(5, 10) and both_or.allows(0, 2 * DAY) and not both_or.allows(2, 2 * DAY)
    assert Limit(last=-1).allows(10_000, 10 * DAY)
    assert not Limit(last=0).allows(0, 0)


def test_reference_patterns_are_exact_names_or_regexes():
    assert reference_pattern("main").search("main") and not reference_pattern("main").search("main2")
    assert reference_pattern("/^feature-/").search("feature-x")
    assert not reference_pattern("/^feature-/").search("hotfix")


def refs():
    return [GitReference(BRANCH, "main", "c-main", NOW - 1 * DAY),
            GitReference(BRANCH, "old", "c-old", NOW - 30 * DAY),
            GitReference(BRANCH, "production", "c-prod", NOW - 40 * DAY),
            *[GitReference(TAG, f"v{i}", f"c-v{i}", NOW - i * DAY) for i in range(1, 13)]]


def test_default_policies_select_recent_branches_last_tags_and_long_lived_branches():
    selected = select_references(refs(), DEFAULT_POLICIES, NOW)
    names = {(r.kind, r.name) for r in selected}
    assert (BRANCH, "main") in names and (BRANCH, "old") not in names        # inactive for a month
    assert (BRANCH, "production") in names                                    # always kept
    assert {n for k, n in names if k == TAG} == {f"v{i}" for i in range(1, 11)}   # the last 10 tags
    assert selected[GitReference(BRANCH, "production", "c-prod", NOW - 40 * DAY)] == Limit(last=10)


def test_a_later_policy_overrides_images_per_reference():
    policies = [KeepPolicy(BRANCH, reference_pattern("/.*/"), images_per_reference=Limit(last=1)),
                KeepPolicy(BRANCH, reference_pattern("main"), images_per_reference=Limit(last=5))]
    selected = select_references(refs(), policies, NOW)
    assert selected[refs()[0]] == Limit(last=5)
    assert selected[refs()[1]] == Limit(last=1)


def fake_git(histories: dict[str, list[tuple[str, int]]]):
    def run_git(*args: str) -> str:
        assert args[0] == "log"
        head = args[3]
        return "\n".join(f"{c} {t}" for c, t in histories[head])
    return run_git


def test_reach_counts_distinct_digests_newest_first_and_respects_age():
    history = [("c5", NOW - 1 * DAY), ("c4", NOW - 2 * DAY), ("c3", NOW - 3 * DAY), ("c2", NOW - 10 * DAY),
               ("c1", NOW - 20 * DAY)]
    digests = {"c5": "d5", "c4": "d4", "c3": "d4", "c2": "d2", "c1": "d1"}   # c3 rebuilt the same content as c4
    branch = GitReference(BRANCH, "main", "c5", NOW - DAY)
    run_git = fake_git({"c5": history})
    assert reached_digests(run_git, {branch: Limit(last=2)}, digests, NOW).digests == {"d5", "d4"}
    assert reached_digests(run_git, {branch: Limit(last=3)}, digests, NOW).digests == {"d5", "d4", "d2"}
    week = timedelta(days=7)
    assert reached_digests(run_git, {branch: Limit(within=week)}, digests, NOW).digests == {"d5", "d4"}
    assert reached_digests(run_git, {branch: Limit(last=1, within=week, operator=OR)}, digests,
                           NOW).digests == {"d5", "d4"}
    tag = GitReference(TAG, "v1", "c2", NOW - 10 * DAY)
    assert reached_digests(run_git, {tag: Limit(last=5)}, digests, NOW).digests == {"d2"}   # tags: one commit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])   # 2 busy shared cores
@given(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=30), st.integers(0, 6))
def test_reach_grows_with_the_limit(sequence, last):
    history = [(f"c{i}", NOW - i * 3600) for i in range(len(sequence))]
    digests = {f"c{i}": d for i, d in enumerate(sequence)}
    branch = GitReference(BRANCH, "main", "c0", NOW)
    run_git = fake_git({"c0": history})
    smaller = reached_digests(run_git, {branch: Limit(last=last)}, digests, NOW).digests
    larger = reached_digests(run_git, {branch: Limit(last=last + 1)}, digests, NOW).digests
    assert smaller <= larger and len(smaller) == min(last, len(set(sequence)))


def repo_image(tag: str, strategy: str, meta: str, age_days: float, image: str | None = "app") -> RepoImage:
    info = ImageInfo(name=f"r/app:{tag}", repository="r/app", tag=tag, repo_digest=f"r/app@sha256:{tag}",
                     id=f"sha256:{tag}", parent_id="", labels={"werf-tag-strategy": strategy, "werf-image-tag": meta},
                     created_at_unix_nano=int((NOW - age_days * DAY) * 1e9))
    return RepoImage(image, f"r/app:{tag}", tag, info)


def test_tagging_scheme_rules():
    images = [repo_image("main", "git-branch", "main", 50), repo_image("gone", "git-branch", "gone", 1),
              repo_image("feature-x", "git-branch", docker_tag("feature/x"), 1),
              repo_image("v1", "git-tag", "v1", 40), repo_image("v2", "git-tag", "v2", 1),
              repo_image("v3", "git-tag", "v3", 2), repo_image("vx", "git-tag", "vx", 1),
              repo_image("abc", "git-commit", "abc", 1), repo_image("def", "git-commit", "def", 1),
              repo_image("mine", "custom", "mine", 400)]
    doomed = tag_strategy_decisions(images, branches={"main", "feature/x"}, tags={"v1", "v2", "v3"},
                                    commit_exists=lambda c: c == "abc",
                                    limits=TagStrategyLimits(git_tag_limit=1, git_tag_expiry_days=30), now=NOW)
    assert set(doomed) == {"r/app:gone", "r/app:v1", "r/app:v3", "r/app:vx", "r/app:def"}
    assert "r/app:feature-x" not in doomed        # branch feature/x, slugged as werf ci-env tags it
    assert "older than 30" in doomed["r/app:v1"] and "limit" in doomed["r/app:v3"]


def stage(tag: str, image_id: str, parent: str = "", labels: dict | None = None) -> StageDescription:
    stage_id = StageID.parse_tag(tag)
    assert stage_id is not None
    return StageDescription(stage_id, f"repo/stages:{tag}", image_id, labels or {}, parent=parent)


def test_ancestry_follows_parents_by_id_and_by_name_and_import_labels():
    index = StageIndex([
        stage("aa-1", "sha256:1", parent="busybox:latest"),
        stage("bb-2", "sha256:2", parent="repo/stages:aa-1"),
        stage("cc-3", "sha256:3", parent="sha256:2", labels={"werf-import-tools": "sha256:9"}),
        stage("ee-9", "sha256:9", parent="sha256:8"),
        stage("ff-8", "sha256:8", parent="busybox:latest"),
        stage("dd-4", "sha256:4", parent="sha256:2"),           # a sibling nobody keeps
    ])
    needed = index.needed_by(["sha256:3"])
    assert {s.tag for s in needed} == {"aa-1", "bb-2", "cc-3", "ee-9", "ff-8"}
    assert index.needed_by(["unknown"]) == set()
