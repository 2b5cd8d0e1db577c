"""git's ref-name rules in Python, checked against `git check-ref-format --allow-onelevel` itself."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from werf_core.git.refname import refname_problem


def git_accepts(name: str) -> bool:
    return subprocess.run(["git", "check-ref-format", "--allow-onelevel", name], capture_output=True).returncode == 0


@pytest.mark.parametrize("name", [
    "main", "v1.2.3", "refs/heads/main", "refs/pull/42/head", "refs/merge-requests/7/head", "feature/ünïcode",
    "a+b", "user@feature", "x.y/z", "release-2024_01", "a#b", "a,b", "weird'quote", "@x", "a@b",
])
def test_valid_names(name):
    assert refname_problem(name) is None
    assert git_accepts(name)


@pytest.mark.parametrize("name, problem", [
    ("", "empty"), ("main\n", "control"), ("ma\tin", "control"), ("a\x7fb", "control"), ("a b", "' '"),
    ("a~1", "'~'"), ("a^", "'^'"), ("a:b", "':'"), ("a?", "'?'"), ("a*", "'*'"), ("a[b", "'['"),
    ("a\\b", "'\\\\'"), ("a..b", "'..'"), ("a@{1}", "'@{'"), ("@", "'@'"), ("a.", "ends with '.'"),
    ("a.lock", ".lock"), ("refs/heads/x.lock/y", ".lock"), ("refs/.hidden", "begins with '.'"),
    ("/refs/heads/x", "empty path"), ("refs/heads/", "empty path"), ("refs//heads", "empty path"),
    ("-main", "begins with '-'"), ("x" * 256, "longer than"), ("a\udc80", "surrogate"),
])
def test_invalid_names(name, problem):
    found = refname_problem(name)
    assert found is not None and problem in found
    if "\x00" not in name and "surrogate" not in problem and not name.startswith("-") and len(name) < 256:
        assert not git_accepts(name)


@settings(max_examples=120, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab/.-@{}~^:?*[\\ \t\nlock") + ["é"]), min_size=1, max_size=14))
def test_same_verdict_as_git(name):
    if name.startswith("-"):
        assert refname_problem(name) is not None      # ours is stricter: it would be read as an option
        return
    assert (refname_problem(name) is None) == git_accepts(name), name
