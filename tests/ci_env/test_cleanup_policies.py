"""Cleanup policy defaults and the runner-wide overrides in <werf home>/config/cleanup.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from werf_core.ci_env.cleanup_policies import CleanupPolicies, load_cleanup_policies
from werf_core.ci_env.errors import CiEnvError


def write(tmp_path, text):
    path = tmp_path / "cleanup.yaml"
    path.write_text(text)
    return path


def test_defaults_are_werfs():
    assert load_cleanup_policies(Path("/nonexistent/cleanup.yaml")) == CleanupPolicies(
        git_tag_strategy_limit=10, git_tag_strategy_expiry_days=30, git_commit_strategy_limit=50,
        git_commit_strategy_expiry_days=30, stages_signature_strategy_limit=-1,
        stages_signature_strategy_expiry_days=-1)


def test_every_key_can_be_overridden(tmp_path):
    path = write(tmp_path, "gitTagStrategyLimit: 1\ngitTagStrategyExpiryDays: 2\ngitCommitStrategyLimit: 3\n"
                           "gitCommitStrategyExpiryDays: 4\nstagesSignatureStrategyLimit: 5\n"
                           "stagesSignatureStrategyExpiryDays: 6\n")
    assert load_cleanup_policies(path) == CleanupPolicies(1, 2, 3, 4, 5, 6)


def test_keys_left_out_keep_their_defaults(tmp_path):
    policies = load_cleanup_policies(write(tmp_path, "gitCommitStrategyLimit: 5\n"))
    assert policies.git_commit_strategy_limit == 5
    assert policies.git_tag_strategy_limit == 10


def test_empty_file_means_defaults(tmp_path):
    assert load_cleanup_policies(write(tmp_path, "# nothing yet\n")) == CleanupPolicies()


def test_unknown_key_suggests_the_closest(tmp_path):
    with pytest.raises(CiEnvError, match='unknown key "gitTagStrategyLimt"') as err:
        load_cleanup_policies(write(tmp_path, "gitTagStrategyLimt: 3\n"))
    assert err.value.hint == 'did you mean "gitTagStrategyLimit"?'
    assert "cleanup.yaml" in err.value.message


@pytest.mark.parametrize("value", ["ten", "1.5", "true", "[1]"])
def test_values_must_be_whole_numbers(tmp_path, value):
    with pytest.raises(CiEnvError, match='"gitTagStrategyLimit" must be a whole number'):
        load_cleanup_policies(write(tmp_path, f"gitTagStrategyLimit: {value}\n"))


def test_bad_yaml_names_the_line(tmp_path):
    with pytest.raises(CiEnvError, match=r"cleanup\.yaml:2: bad YAML"):
        load_cleanup_policies(write(tmp_path, "gitTagStrategyLimit: 1\n  bad: [indent\n"))


def test_not_a_mapping(tmp_path):
    with pytest.raises(CiEnvError, match="expected a mapping"):
        load_cleanup_policies(write(tmp_path, "- 1\n- 2\n"))
