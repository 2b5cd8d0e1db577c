"""The ansible builder checksum: stable for the same tasks, different for any change (werf §2.2)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from werf_core.builders.ansible.checksum import ansible_stage_checksum, canonical_task_json
from werf_core.hashing import sha256_hash

TASKS = [
    {"name": "Install deps", "apt": {"name": ["curl", "git"], "update_cache": True}},
    {"name": "Write config", "copy": {"content": "a=1\n", "dest": "/etc/app.conf", "mode": "0644"}},
    {"shell": "echo {{ item }} >> /items", "with_items": ["a", "b"]},
]


def test_checksum_has_werf_structure():
    items = [canonical_task_json(t) for t in TASKS]
    assert ansible_stage_checksum(TASKS, None, None) == sha256_hash(*items)
    # stage-specific cache version first, then the image's
    assert ansible_stage_checksum(TASKS, "s1", "c1") == sha256_hash(*items, sha256_hash("s1", "c1"))
    assert ansible_stage_checksum(TASKS, None, "c1") == sha256_hash(*items, sha256_hash("c1"))
    assert ansible_stage_checksum(TASKS, "s1", "") == sha256_hash(*items, sha256_hash("s1"))


def test_no_tasks_and_no_cache_version_gives_empty_checksum():
    assert ansible_stage_checksum([], None, None) == ""
    assert ansible_stage_checksum([], None, "2") == sha256_hash(sha256_hash("2"))


def test_canonical_json_sorts_keys_compactly_and_escapes_like_go():
    text = canonical_task_json({"shell": "a < b && c > d", "name": "ünïcode", "args": {"z": 1, "a": None}})
    assert text == ('{"args":{"a":null,"z":1},"name":"ünïcode",'
                    '"shell":"a \\u003c b \\u0026\\u0026 c \\u003e d"}')
    assert json.loads(text)["shell"] == "a < b && c > d"


def test_key_order_and_container_types_do_not_matter():
    a = {"name": "x", "file": {"path": "/a", "state": "directory"}, "tags": ["t1", "t2"]}
    b = {"tags": ("t1", "t2"), "file": {"state": "directory", "path": "/a"}, "name": "x"}
    assert ansible_stage_checksum([a], None, None) == ansible_stage_checksum([b], None, None)


def test_yaml_scalars_keep_their_types_so_a_type_change_is_a_change():
    as_bool = canonical_task_json({"apt": {"update_cache": True}})
    as_text = canonical_task_json({"apt": {"update_cache": "true"}})
    as_int = canonical_task_json({"file": {"mode": 420}})
    as_octal_text = canonical_task_json({"file": {"mode": "0644"}})
    assert as_bool != as_text and as_int != as_octal_text
    assert canonical_task_json({"k": datetime.date(2024, 1, 2)}) == '{"k":"2024-01-02"}'
    assert canonical_task_json({1: "one", None: "nothing"}) == '{"1":"one","null":"nothing"}'
    assert canonical_task_json({True: "yes"}) == '{"true":"yes"}'
    assert canonical_task_json({"x": float("inf")}) == '{"x":".inf"}'


@pytest.mark.parametrize("change", [
    lambda t: t[0]["apt"]["name"].append("vim"),
    lambda t: t[1].__setitem__("name", "Write the config"),
    lambda t: t[1]["copy"].__setitem__("mode", "0600"),
    lambda t: t[2].__setitem__("with_items", ["a", "b", "c"]),
    lambda t: t[2].__setitem__("when", "x is defined"),
    lambda t: t.append({"debug": {"msg": "hi"}}),
    lambda t: t.pop(),
    lambda t: t.reverse(),
], ids=["list-item", "name", "nested-value", "loop", "keyword-added", "task-added", "task-removed", "order"])
def test_any_task_change_changes_the_checksum(change):
    changed = json.loads(json.dumps(TASKS))
    change(changed)
    assert ansible_stage_checksum(changed, None, None) != ansible_stage_checksum(TASKS, None, None)


def test_cache_versions_change_the_checksum_and_their_roles_differ():
    base = ansible_stage_checksum(TASKS, None, None)
    values = {ansible_stage_checksum(TASKS, s, c) for s, c in [(None, "1"), (None, "2"), ("1", None), ("1", "2"),
                                                               ("2", "1")]}
    assert base not in values and len(values) == 4  # ("1", None) and (None, "1") hash the same list: ["1"]
    assert ansible_stage_checksum(TASKS, "1", None) == ansible_stage_checksum(TASKS, None, "1")


def test_checksum_is_the_same_in_another_process_with_another_hash_seed():
    code = ("import json, sys; from werf_core.builders.ansible.checksum import ansible_stage_checksum as c; "
            "print(c(json.loads(sys.argv[1]), 's', 'c'))")
    here = ansible_stage_checksum(TASKS, "s", "c")
    for seed in ("1", "12345"):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(TASKS)], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONHASHSEED": seed},
                             cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
        assert out.stdout.strip() == here


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), json_values, min_size=1, max_size=4))
def test_canonical_json_round_trips_and_ignores_insertion_order(task):
    text = canonical_task_json(task)
    assert json.loads(text) == json.loads(json.dumps(task))
    reordered = dict(reversed(list(task.items())))
    assert canonical_task_json(reordered) == text


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20))
def test_different_commands_give_different_checksums(a, b):
    same = ansible_stage_checksum([{"shell": a}], None, None) == ansible_stage_checksum([{"shell": b}], None, None)
    assert same == (a == b)
