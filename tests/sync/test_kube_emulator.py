"""The Kubernetes API emulator answers the official client as an API server would: the synchronization code is
tested against it, so its semantics and error bodies must match a real cluster's."""

from __future__ import annotations

import json

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

NS = "werf-synchronization"


@pytest.fixture
def core(kubeconfig_path):
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig_path), client_configuration=configuration,
                            persist_config=False)
    api = client.CoreV1Api(client.ApiClient(configuration))
    api.create_namespace({"metadata": {"name": NS}})
    return api


def status_of(call) -> tuple[int, dict]:
    with pytest.raises(ApiException) as info:
        call()
    body = json.loads(info.value.body)
    assert body["kind"] == "Status" and body["status"] == "Failure" and body["code"] == info.value.status
    return info.value.status, body


def test_create_get_and_resource_versions_grow(core):
    created = core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a"}, "data": {"k": "v"}})
    assert created.metadata.uid and created.metadata.creation_timestamp
    read = core.read_namespaced_config_map("werf-a", NS)
    assert read.data == {"k": "v"} and read.metadata.resource_version == created.metadata.resource_version
    read.data["k"] = "w"
    replaced = core.replace_namespaced_config_map("werf-a", NS, read)
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    assert replaced.metadata.uid == created.metadata.uid


def test_stale_replace_is_a_409_conflict_with_the_api_servers_message(core):
    core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a"}})
    first = core.read_namespaced_config_map("werf-a", NS)
    second = core.read_namespaced_config_map("werf-a", NS)
    first.data = {"winner": "1"}
    core.replace_namespaced_config_map("werf-a", NS, first)
    second.data = {"loser": "1"}
    code, body = status_of(lambda: core.replace_namespaced_config_map("werf-a", NS, second))
    assert code == 409 and body["reason"] == "Conflict"
    assert body["message"] == ('Operation cannot be fulfilled on configmaps "werf-a": the object has been modified; '
                               'please apply your changes to the latest version and try again')
    assert body["details"] == {"name": "werf-a", "kind": "configmaps"}
    assert core.read_namespaced_config_map("werf-a", NS).data == {"winner": "1"}


def test_replace_without_resource_version_is_unconditional(core):
    core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a"}})
    core.replace_namespaced_config_map("werf-a", NS, {"metadata": {"name": "werf-a"}, "data": {"x": "1"}})
    assert core.read_namespaced_config_map("werf-a", NS).data == {"x": "1"}


def test_already_exists_not_found_and_missing_namespace(core):
    core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a"}})
    code, body = status_of(lambda: core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a"}}))
    assert (code, body["reason"], body["message"]) == (409, "AlreadyExists", 'configmaps "werf-a" already exists')
    code, body = status_of(lambda: core.read_namespaced_config_map("nope", NS))
    assert (code, body["reason"], body["message"]) == (404, "NotFound", 'configmaps "nope" not found')
    code, body = status_of(lambda: core.create_namespaced_config_map("ghost", {"metadata": {"name": "x"}}))
    assert (code, body["message"], body["details"]["kind"]) == (404, 'namespaces "ghost" not found', "namespaces")
    code, body = status_of(lambda: core.replace_namespaced_config_map("nope", NS, {"metadata": {"name": "nope"}}))
    assert code == 404  # configmaps are not created by PUT


def test_namespaces(core):
    assert NS in [n.metadata.name for n in core.list_namespace().items]
    assert core.read_namespace(NS).status.phase == "Active"
    code, body = status_of(lambda: core.create_namespace({"metadata": {"name": NS}}))
    assert (code, body["reason"]) == (409, "AlreadyExists")
    code, body = status_of(lambda: core.create_namespace({"metadata": {"name": "Bad_Name"}}))
    assert (code, body["reason"]) == (422, "Invalid")
    core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a"}})
    core.delete_namespace(NS)
    code, _ = status_of(lambda: core.read_namespaced_config_map("werf-a", NS))
    assert code == 404


def test_merge_and_strategic_merge_patches(core, kube_emulator):
    core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a", "annotations": {"a.io/x": "1",
                                                                                           "a.io/y": "2"}},
                                           "data": {"k": "v"}})
    # the client sends a dict body as a strategic merge patch
    patched = core.patch_namespaced_config_map("werf-a", NS, {"metadata": {"annotations": {"a.io/x": None,
                                                                                          "a.io/z": "3"}}})
    assert patched.metadata.annotations == {"a.io/y": "2", "a.io/z": "3"} and patched.data == {"k": "v"}
    replaced = core.patch_namespaced_config_map("werf-a", NS, {"data": {"$patch": "replace", "only": "this"}})
    assert replaced.data == {"only": "this"}
    api_client = core.api_client
    raw = api_client.call_api(*api_client.param_serialize(
        "PATCH", "/api/v1/namespaces/{namespace}/configmaps/{name}", {"namespace": NS, "name": "werf-a"},
        header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
        body={"data": {"only": None, "merged": "yes"}}, auth_settings=["BearerToken"]))
    raw.read()
    assert raw.status == 200 and json.loads(raw.data)["data"] == {"merged": "yes"}
    assert kube_emulator.count("patch", "configmaps", status=200) == 3


def test_json_patch_and_stale_patch_precondition(core):
    core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a"}, "data": {"k": "v"}})
    patched = core.patch_namespaced_config_map("werf-a", NS, [
        {"op": "test", "path": "/data/k", "value": "v"},
        {"op": "add", "path": "/data/n", "value": "1"},
        {"op": "remove", "path": "/data/k"}])
    assert patched.data == {"n": "1"}
    code, body = status_of(lambda: core.patch_namespaced_config_map(
        "werf-a", NS, {"metadata": {"resourceVersion": "1"}, "data": {"n": "2"}}))
    assert (code, body["reason"]) == (409, "Conflict")


def test_delete_with_preconditions(core):
    created = core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a"}})
    code, _ = status_of(lambda: core.delete_namespaced_config_map(
        "werf-a", NS, body={"preconditions": {"resourceVersion": "1"}}))
    assert code == 409
    core.delete_namespaced_config_map("werf-a", NS, body={"preconditions": {
        "resourceVersion": created.metadata.resource_version}})
    code, _ = status_of(lambda: core.read_namespaced_config_map("werf-a", NS))
    assert code == 404


def test_size_limits(core):
    one_mib = 1024 * 1024
    code, body = status_of(lambda: core.create_namespaced_config_map(
        NS, {"metadata": {"name": "big"}, "data": {"a": "x" * (one_mib // 2), "b": "y" * (one_mib // 2 + 1)}}))
    assert (code, body["reason"]) == (422, "Invalid")
    assert body["message"] == 'ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes'
    assert body["details"]["causes"][0]["reason"] == "FieldValueTooLong"
    core.create_namespaced_config_map(NS, {"metadata": {"name": "exact"}, "data": {"a": "x" * one_mib}})
    code, body = status_of(lambda: core.create_namespaced_config_map(
        NS, {"metadata": {"name": "notes", "annotations": {"n.io/a": "x" * (256 * 1024)}}}))
    assert code == 422 and "metadata.annotations: Too long: must have at most 262144 bytes" in body["message"]
    code, body = status_of(lambda: core.create_namespaced_config_map(
        NS, {"metadata": {"name": "huge"}, "binaryData": {"b": "QUFB" * (one_mib)}}))
    assert (code, body["reason"]) == (413, "RequestEntityTooLarge")


def test_invalid_names_and_keys(core):
    code, body = status_of(lambda: core.create_namespaced_config_map(NS, {"metadata": {"name": "Werf_A"}}))
    assert code == 422 and "metadata.name: Invalid value" in body["message"]
    code, body = status_of(lambda: core.create_namespaced_config_map(
        NS, {"metadata": {"name": "ok", "annotations": {"bad key!": "1"}}}))
    assert code == 422
    code, body = status_of(lambda: core.create_namespaced_config_map(
        NS, {"metadata": {"name": "ok"}, "data": {"bad/key": "1"}}))
    assert code == 422


def test_forbidden_answers_like_rbac(core, kube_emulator):
    kube_emulator.deny("update", "configmaps", NS)
    kube_emulator.deny("create", "namespaces")
    core.create_namespaced_config_map(NS, {"metadata": {"name": "werf-a"}})
    cm = core.read_namespaced_config_map("werf-a", NS)
    code, body = status_of(lambda: core.replace_namespaced_config_map("werf-a", NS, cm))
    assert (code, body["reason"]) == (403, "Forbidden")
    assert body["message"] == ('configmaps "werf-a" is forbidden: User "system:serviceaccount:werf-synchronization:'
                               'werf-runner" cannot update resource "configmaps" in API group "" in the namespace '
                               '"werf-synchronization"')
    code, body = status_of(lambda: core.create_namespace({"metadata": {"name": "other"}}))
    assert code == 403 and body["message"].endswith('cannot create resource "namespaces" in API group "" at the '
                                                    'cluster scope')
    kube_emulator.allow_all()
    core.replace_namespaced_config_map("werf-a", NS, cm)


def test_wrong_token_is_401(kube_emulator, core):
    kube_emulator.token = "another"
    code, body = status_of(lambda: core.read_namespace(NS))
    assert (code, body["reason"]) == (401, "Unauthorized")
