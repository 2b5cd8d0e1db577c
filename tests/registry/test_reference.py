"""Image references follow Docker's rules: which part is the registry, Docker Hub's defaults, tags and digests."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from werf_core.errors import RegistryError
from werf_core.registry import ImageReference, InvalidReferenceError

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize("text, registry, repository, tag, digest", [
    ("alpine", "registry-1.docker.io", "library/alpine", None, None),
    ("alpine:3.20", "registry-1.docker.io", "library/alpine", "3.20", None),
    ("bitnami/redis:7", "registry-1.docker.io", "bitnami/redis", "7", None),
    ("docker.io/alpine", "registry-1.docker.io", "library/alpine", None, None),
    ("index.docker.io/library/alpine:edge", "registry-1.docker.io", "library/alpine", "edge", None),
    ("localhost/app", "localhost", "app", None, None),
    ("localhost:5000/group/app:v1", "localhost:5000", "group/app", "v1", None),
    ("127.0.0.1:5000/stages", "127.0.0.1:5000", "stages", None, None),
    ("registry.example.com/a/b/c:1.0-rc_1", "registry.example.com", "a/b/c", "1.0-rc_1", None),
    ("ghcr.io/org/app@" + DIGEST, "ghcr.io", "org/app", None, DIGEST),
    ("ghcr.io/org/app:v2@" + DIGEST, "ghcr.io", "org/app", "v2", DIGEST),
    ("[::1]:5000/app", "[::1]:5000", "app", None, None),
    ("my-registry:5000/app", "my-registry:5000", "app", None, None),
    ("Registry.Example.com/app", "Registry.Example.com", "app", None, None),
    ("foo/bar__baz/a-b.c", "registry-1.docker.io", "foo/bar__baz/a-b.c", None, None),
])
def test_parse_splits_registry_repository_tag_and_digest(text, registry, repository, tag, digest):
    ref = ImageReference.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)


def test_first_component_without_dot_or_port_is_a_docker_hub_namespace():
    ref = ImageReference.parse("myteam/app")
    assert ref.is_docker_hub and ref.repository == "myteam/app"


def test_str_gives_the_canonical_name_and_reparses_to_the_same_reference():
    assert str(ImageReference.parse("alpine:3.20")) == "docker.io/library/alpine:3.20"
    assert str(ImageReference.parse("127.0.0.1:5000/x/y@" + DIGEST)) == "127.0.0.1:5000/x/y@" + DIGEST
    ref = ImageReference.parse("registry-1.docker.io/library/alpine:3")
    assert ImageReference.parse(str(ref)) == ref == ImageReference.parse("alpine:3")


def test_reference_is_digest_then_tag_then_latest():
    assert ImageReference.parse("r.io/a").reference == "latest"
    assert ImageReference.parse("r.io/a:t").reference == "t"
    assert ImageReference.parse(f"r.io/a:t@{DIGEST}").reference == DIGEST


def test_derived_references():
    ref = ImageReference.parse("r.io:5000/stages:abc-1")
    assert str(ref.repository_ref()) == "r.io:5000/stages"
    assert str(ref.with_tag("def-2")) == "r.io:5000/stages:def-2"
    assert str(ref.with_digest(DIGEST)) == f"r.io:5000/stages@{DIGEST}"
    assert ref.name == "r.io:5000/stages"
    assert ref.same_registry(ImageReference.parse("R.IO:5000/other"))
    assert not ref.same_registry(ImageReference.parse("r.io:5001/stages"))


@pytest.mark.parametrize("text, reason", [
    ("", "empty"),
    (" alpine", "whitespace"),
    ("registry.io/App", "lower-case"),
    ("registry.io/app:-bad", "tag"),
    ("registry.io/app:" + "x" * 129, "tag"),
    ("registry.io/app@sha256:xyz", "digest"),
    ("registry.io/a//b", "path component"),
    ("registry.io/a_-b", "path component"),
    ("registry.io/", "path component"),
    ("bad_host.io:port/app", "host"),
    ("registry.io/" + "a" * 250, "255"),
])
def test_invalid_references_raise_a_user_error_naming_the_input(text, reason):
    with pytest.raises(InvalidReferenceError) as info:
        ImageReference.parse(text)
    assert reason in info.value.message
    assert repr(text) in info.value.message
    assert "HOST[:PORT]/]NAME" in info.value.hint
    assert isinstance(info.value, RegistryError) and isinstance(info.value, ValueError)


_component = st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8}){0,2}", fullmatch=True)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@given(host=st.sampled_from(["127.0.0.1:5000", "registry.example.com", "localhost:443", "docker.io"]),
       path=st.lists(_component, min_size=1, max_size=3), tag=st.none() | _tag)
def test_round_trip_of_generated_references(host, path, tag):
    text = f"{host}/{'/'.join(path)}" + (f":{tag}" if tag else "")
    ref = ImageReference.parse(text)
    assert ImageReference.parse(str(ref)) == ref
    assert ref.tag == tag
    assert ref.repository.endswith("/".join(path))
