"""Tagging strategies: options, WERF_TAG_CUSTOM_* variables, validation, order (pure logic)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from werf_core.publish.tags import TagError, TagPlan, check_docker_tag, custom_tags_from_env

DIGEST = "f" * 56


def test_every_strategy_in_order_with_stages_signature_last():
    plan = TagPlan.from_options(custom=["v1", "stable"], git_branch="main", git_tag="v1.0.0", git_commit="abc123",
                                by_stages_signature=True, env={})
    assert plan.tags_for(DIGEST) == [("custom", "v1"), ("custom", "stable"), ("git-branch", "main"),
                                     ("git-tag", "v1.0.0"), ("git-commit", "abc123"), ("stages-signature", DIGEST)]


def test_custom_tags_come_from_options_and_environment_without_duplicates():
    env = {"WERF_TAG_CUSTOM_B": "from-env-b", "WERF_TAG_CUSTOM_A": "from-env-a", "WERF_TAG_CUSTOM_C": "v1",
           "WERF_TAG_CUSTOM_EMPTY": " ", "WERF_TAG_GIT_BRANCH": "ignored-here", "OTHER": "x"}
    plan = TagPlan.from_options(custom=["v1"], env=env)
    assert plan.tags_for(DIGEST) == [("custom", "v1"), ("custom", "from-env-a"), ("custom", "from-env-b")]


def test_custom_env_order_follows_variable_names():
    assert custom_tags_from_env({"WERF_TAG_CUSTOM_2": "b", "WERF_TAG_CUSTOM_1": "a"}) == ["a", "b"]


def test_at_least_one_tag_is_required():
    with pytest.raises(TagError, match="no tag given") as info:
        TagPlan.from_options(env={})
    assert "--tag-by-stages-signature" in info.value.hint


def test_stages_signature_alone_is_enough():
    assert TagPlan.from_options(by_stages_signature=True, env={}).tags_for(DIGEST) == [("stages-signature", DIGEST)]


@pytest.mark.parametrize("bad", ["feature/x", "-lead", ".lead", "a" * 129, "spa ce", "ümlaut", "a:b"])
def test_invalid_docker_tags_are_refused_naming_the_option(bad):
    with pytest.raises(TagError, match="--tag-git-branch value") as info:
        TagPlan.from_options(git_branch=bad, env={})
    assert "ci-env" in info.value.hint


@pytest.mark.parametrize("good", ["v1", "_x", "1.2.3-rc.1", "a" * 128, "Main_Branch"])
def test_valid_docker_tags_pass(good):
    assert check_docker_tag(good, "custom") == good


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789_.-", min_size=1, max_size=140))
def test_validation_matches_docker_tag_grammar(text):
    valid = (text[0] not in ".-") and len(text) <= 128
    try:
        check_docker_tag(text, "custom")
        accepted = True
    except TagError:
        accepted = False
    assert accepted == valid
