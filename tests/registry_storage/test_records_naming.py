"""Record names: managed images and image metadata by commit, as werf v1.1 spells them (pure logic)."""

from __future__ import annotations

import pytest

from werf_core.storage.records import (
    image_name_from_slug,
    image_name_slug,
    metadata_tag,
    parse_managed_tag,
    recordable,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("name, slug", [
    ("app", "app"), (None, "__nameless__"), ("", "__nameless__"), ("group/app", "group__slash__app"),
    ("a+b", "a__plus__b"), ("x/y+z/w", "x__slash__y__plus__z__slash__w"),
])
def test_image_name_slugs_round_trip(name, slug):
    assert image_name_slug(name) == slug
    assert image_name_from_slug(slug) == (name or None)


def test_managed_tags_parse_back_to_names():
    assert parse_managed_tag("managed-image-group__slash__app") == "group/app"
    assert parse_managed_tag("managed-image-__nameless__") is None
    assert parse_managed_tag("managed-image-") is False
    assert parse_managed_tag(f"{'a' * 56}-17") is False


def test_upper_case_names_are_not_recorded():
    assert recordable("app") and recordable(None) and not recordable("App")


def test_metadata_tag_short_names_are_plain():
    assert metadata_tag("app", COMMIT) == f"image-metadata-by-commit-app-{COMMIT}"
    assert metadata_tag(None, COMMIT) == f"image-metadata-by-commit-__nameless__-{COMMIT}"


def test_metadata_tag_long_names_are_shortened_to_128_keeping_the_commit():
    long_a = "backend/" + "a" * 120
    long_b = "backend/" + "a" * 119 + "b"
    a, b = metadata_tag(long_a, COMMIT), metadata_tag(long_b, COMMIT)
    assert len(a) <= 128 and len(b) <= 128
    assert a.endswith("-" + COMMIT) and b.endswith("-" + COMMIT)
    assert a != b
    middle = a[len("image-metadata-by-commit-"):-len(COMMIT) - 1]
    assert "-" not in middle
