"""Parsing --synchronization addresses as werf v1.1 does, and the lock names of each kind."""

from __future__ import annotations

import pytest

from werf_core.sync.address import parse_synchronization_address, with_kube_environment
from werf_core.sync.errors import SynchronizationError
from werf_core.sync.lock_names import image_lock_name, stage_cache_lock_name, stage_lock_name


def test_local():
    address = parse_synchronization_address(":local")
    assert address.is_local and address.kube is None


@pytest.mark.parametrize("text, namespace, context, path, data", [
    ("kubernetes://", "werf-synchronization", None, None, None),
    ("kubernetes://ns1", "ns1", None, None, None),
    ("kubernetes://ns1:prod", "ns1", "prod", None, None),
    ("kubernetes://ns1@/etc/kube/config", "ns1", None, "/etc/kube/config", None),
    ("kubernetes://ns1:prod@/etc/kube/config", "ns1", "prod", "/etc/kube/config", None),
    ("kubernetes://ns1:prod@base64:YWJj", "ns1", "prod", None, "YWJj"),
    ("kubernetes://:ctx", "werf-synchronization", "ctx", None, None),
    # split once on "@" then once on ":" — a context may itself contain ":" (e.g. EKS ARNs), a path may contain "@"
    ("kubernetes://ns1:arn:aws:eks:eu:1:cluster/x@/k@c", "ns1", "arn:aws:eks:eu:1:cluster/x", "/k@c", None),
])
def test_kubernetes_addresses(text, namespace, context, path, data):
    address = parse_synchronization_address(text)
    assert not address.is_local
    assert address.namespace == namespace
    assert (address.kube.context, address.kube.config_path, address.kube.config_data_base64) == (context, path, data)


def test_inline_kubeconfig_is_redacted_from_the_address_text():
    address = parse_synchronization_address("kubernetes://ns1@base64:c2VjcmV0LXRva2Vu")
    assert "c2VjcmV0" not in address.text and address.text.endswith("@base64:<redacted>")


@pytest.mark.parametrize("text, fragment", [
    ("http://synchronization.werf.io", "HTTP synchronization server is not supported"),
    ("https://sync.example.com", "HTTP synchronization server is not supported"),
    ("redis://x", "is not a synchronization address"),
    ("local", "is not a synchronization address"),
    ("kubernetes://Bad_Namespace", "not a valid Kubernetes namespace name"),
    ("kubernetes://" + "a" * 64, "not a valid Kubernetes namespace name"),
])
def test_bad_addresses_are_user_errors_that_show_the_formats(text, fragment):
    with pytest.raises(SynchronizationError) as info:
        parse_synchronization_address(text)
    assert fragment in info.value.message
    assert "kubernetes://NAMESPACE[:CONTEXT]" in (info.value.hint or "")


def test_werf_kube_variables_fill_what_the_address_leaves_out():
    env = {"WERF_KUBE_CONTEXT": "ci", "WERF_KUBE_CONFIG": "/ci/kubeconfig"}
    filled = with_kube_environment(parse_synchronization_address("kubernetes://ns"), env)
    assert (filled.kube.context, filled.kube.config_path) == ("ci", "/ci/kubeconfig")
    explicit = with_kube_environment(parse_synchronization_address("kubernetes://ns:mine@/my/config"), env)
    assert (explicit.kube.context, explicit.kube.config_path) == ("mine", "/my/config")
    inline = with_kube_environment(parse_synchronization_address("kubernetes://ns"),
                                   {"WERF_KUBE_CONFIG_BASE64": "YWJj", "WERF_KUBE_CONFIG": "/ignored"})
    assert (inline.kube.config_data_base64, inline.kube.config_path) == ("YWJj", None)


def test_lock_names_match_werf_v1_1():
    digest = "f" * 56
    assert stage_lock_name("proj", digest) == f"proj.{digest}"
    assert stage_cache_lock_name("proj", digest) == f"proj.{digest}.cache"
    assert image_lock_name("registry.local/app:v1") == "registry.local/app:v1.image"
    assert stage_lock_name("proj", digest, kubernetes=True) == f"stage/{digest}"
    assert stage_cache_lock_name("proj", digest, kubernetes=True) == f"stage-cache/{digest}"
    assert image_lock_name("registry.local/app:v1", kubernetes=True) == "image/registry.local/app:v1"
