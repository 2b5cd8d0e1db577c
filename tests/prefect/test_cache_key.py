"""The stage cache key: digest namespaced by project and stages storage, safe as a file name and ConfigMap key."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks.cache_key import is_stage_cache_key, key_component, stage_cache_key

DIGEST = "6ae33a1e2c77ba9dd321648cf71f6fa3f4155be15e26545816eddd7a"
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")


def test_key_names_project_storage_and_digest():
    key = stage_cache_key("hello-app", ":local", DIGEST)
    assert key.startswith("werf-stage.hello-app.local-")
    assert key.endswith("." + DIGEST)
    assert is_stage_cache_key(key)


def test_same_digest_in_two_storages_or_projects_gets_two_keys():
    local = stage_cache_key("app", ":local", DIGEST)
    registry = stage_cache_key("app", "127.0.0.1:5000/app/stages", DIGEST)
    other_project = stage_cache_key("other", ":local", DIGEST)
    assert len({local, registry, other_project}) == 3


def test_storages_that_slug_alike_stay_apart():
    assert key_component("registry:5000/a") != key_component("registry-5000/a")
    assert stage_cache_key("p", "reg.example.com/a_b", DIGEST) != stage_cache_key("p", "reg.example.com/a-b", DIGEST)


def test_surrounding_whitespace_of_the_storage_does_not_matter():
    assert stage_cache_key("p", " :local ", DIGEST) == stage_cache_key("p", ":local", DIGEST)


@pytest.mark.parametrize("digest", ["", "xyz", "ABCDEF0123456789", "../../etc/passwd", DIGEST + "/x"])
def test_a_non_digest_is_refused(digest):
    with pytest.raises(ValueError):
        stage_cache_key("p", ":local", digest)


@pytest.mark.parametrize("key", ["6614c620-5e6c-4428-a718-765cbdc7ecff", "werf-stage.p.local", "",
                                 f"werf-stage.p.local.{DIGEST}/x", f"other.p.local.{DIGEST}"])
def test_other_record_names_are_not_stage_keys(key):
    assert not is_stage_cache_key(key)


@given(project=st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?", fullmatch=True),
       storage=st.text(min_size=1, max_size=300).filter(lambda s: s.strip()),
       digest=st.from_regex(r"[0-9a-f]{56}", fullmatch=True))
def test_every_key_is_a_valid_file_name_and_configmap_key(project, storage, digest):
    key = stage_cache_key(project, storage, digest)
    assert CONFIGMAP_KEY.match(key)
    assert "/" not in key and key not in (".", "..")
    assert is_stage_cache_key(key)
    assert key.split(".")[1] == project
