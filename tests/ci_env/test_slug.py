"""Docker-tag slugs of branch and tag names (werf's slug.DockerTag)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from werf_core.ci_env.slug import docker_tag, is_valid_docker_tag, slugify
from werf_core.hashing import murmur_hash

VALID_TAG = re.compile(r"^[\w][\w.-]*$", re.ASCII)


@pytest.mark.parametrize("name, expected", [
    # The cases of werf's own slug tests.
    ("", ""),
    ("-data", "data-a871d86e"),
    ("da/ta", "da-ta-afa96f8"),  # a hash with a leading zero is printed without it: 7 characters
    ("x" * 129, "x" * 119 + "-8cca70eb"),
])
def test_matches_werf_reference_cases(name, expected):
    assert docker_tag(name) == expected


@pytest.mark.parametrize("name", ["main", "v1.4.0", "Release_2024.01", "A", "x" * 128, "1-hotfix"])
def test_valid_docker_tags_are_kept_verbatim(name):
    assert docker_tag(name) == name


def test_branch_with_slash_and_uppercase_is_lowercased_and_hashed():
    name = "feature/PAY-42_checkout"
    assert docker_tag(name) == f"feature-pay-42-checkout-{murmur_hash(name)}"


def test_names_that_slug_alike_still_get_different_tags():
    assert slugify("feature/a") == slugify("feature_a") == slugify("feature..a") == "feature-a"
    tags = {docker_tag("feature/a"), docker_tag("feature..a"), docker_tag("-feature-a")}
    assert len(tags) == 3


@pytest.mark.parametrize("name, slug", [
    ("$(reboot)", "reboot"),
    ("`id`", "id"),
    ("a'b", "ab"),
    ('x"; rm -rf ~; "', "x-rm-rf"),
    ("  spaces  around ", "spaces-around"),
    ("--double--dash--", "double-dash"),
])
def test_hostile_or_odd_names_become_plain_tags(name, slug):
    tag = docker_tag(name)
    assert tag == f"{slug}-{murmur_hash(name)}"
    assert is_valid_docker_tag(tag)


def test_name_without_any_usable_character_is_just_the_hash():
    assert docker_tag("$$$") == murmur_hash("$$$")
    assert docker_tag("!!!") != docker_tag("???")


def test_long_name_is_cut_to_128_bytes_keeping_the_hash():
    name = "feature/" + "very-long-branch-name-" * 10
    tag = docker_tag(name)
    assert len(tag) == 128
    assert tag.endswith("-" + murmur_hash(name))
    assert tag.startswith("feature-very-long-branch-name-very")


def test_cut_landing_on_a_dash_keeps_it_as_werf_does():
    # The slug is cut right after a "-", and werf does not trim it: "<...>--<hash>".
    name = "x" * 118 + "/yy!"
    suffix = murmur_hash(name)
    room = 128 - len(suffix) - 1
    assert room == 119  # this name's hash has 8 digits
    assert docker_tag(name) == "x" * 118 + "--" + suffix


def test_non_ascii_letters_are_transliterated():
    assert slugify("Ünïcode-Straße") == "unicode-strasse"
    assert slugify("фича/Жук") == "ficha-zhuk"
    assert slugify("ωμέγα") == ""  # no ASCII form: dropped
    assert docker_tag("ωμέγα") == murmur_hash("ωμέγα")


def test_valid_tag_limit_counts_bytes():
    assert is_valid_docker_tag("a" * 128)
    assert not is_valid_docker_tag("a" * 129)
    assert not is_valid_docker_tag(".starts-with-dot")
    assert not is_valid_docker_tag("é")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_name_gives_a_valid_tag_of_at_most_128_bytes(name):
    tag = docker_tag(name)
    if name:
        assert VALID_TAG.match(tag), tag
        assert len(tag.encode()) <= 128
    else:
        assert tag == ""
    assert docker_tag(name) == tag  # deterministic


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_different_invalid_names_collide_only_with_a_murmur_collision(a, b):
    if a != b and not is_valid_docker_tag(a) and not is_valid_docker_tag(b) and murmur_hash(a) != murmur_hash(b):
        assert docker_tag(a) != docker_tag(b)
