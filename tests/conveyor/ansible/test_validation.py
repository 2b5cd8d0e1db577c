"""validate_ansible_tasks: one supported module per task, keywords are not modules, mistakes named precisely."""

from __future__ import annotations

import pytest

from werf_core.builders.ansible.modules import WERF_SUPPORTED_MODULES, runtime_availability
from werf_core.builders.ansible.validation import validate_ansible_tasks
from werf_core.errors import ConfigError


def check(tasks, stage="install"):
    validate_ansible_tasks(tasks, image="backend", stage=stage)


def error_for(tasks, stage="install") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        check(tasks, stage)
    return info.value


def test_valid_tasks_with_keywords_pass():
    check([
        {"name": "deps", "apt": {"name": "curl"}, "become": True, "become_user": "root", "when": "x",
         "register": "out", "tags": ["a"], "ignore_errors": True, "changed_when": False, "failed_when": False,
         "environment": {"A": "1"}, "notify": "h", "vars": {"v": 1}, "args": {"chdir": "/"}, "no_log": True,
         "retries": 3, "delay": 1, "until": "out is success"},
        {"shell": "echo {{ item }}", "loop": [1, 2], "loop_control": {"label": "{{ item }}"}},
        {"command": "echo {{ item }}", "with_items": ["a"]},
        {"file": {"path": "/x", "state": "touch"}, "with_dict": {"a": 1}},
        {"set_fact": {"x": 1}},
        {"debug": {"msg": "{{ x }}"}},
        {"ansible.builtin.copy": {"content": "x", "dest": "/y"}},
    ])


def test_nested_blocks_are_checked_recursively():
    check([{"name": "outer", "block": [
        {"shell": "true"},
        {"block": [{"file": {"path": "/a", "state": "directory"}}], "rescue": [{"debug": {"msg": "r"}}]},
    ], "always": [{"command": "true"}], "when": "yes"}])
    err = error_for([{"name": "outer", "block": [{"shell": "true"}, {"name": "deep", "rescue": [
        {"debug": {"msg": "ok"}}, {"name": "bad one", "template": {"src": "a", "dest": "b"}}]}]}])
    assert "task 0 > block item 1 > rescue item 1" in err.message
    assert "\"bad one\"" in err.message and "\"template\"" in err.message


def test_unsupported_module_names_image_stage_index_name_and_close_modules():
    err = error_for([{"shell": "ok"}, {"name": "Install packages", "apt_get": {"name": "curl"}}],
                    stage="beforeInstall")
    assert 'image "backend"' in err.message
    assert "stage beforeInstall" in err.message
    assert "task 1" in err.message and '"Install packages"' in err.message
    assert 'module "apt_get" is not supported' in err.message
    assert err.hint.startswith("close supported modules:")
    assert "apt" in err.hint and "apt_key" in err.hint
    assert err.render().count("Hint:") == 1


def test_unknown_module_without_close_names_lists_all_supported_modules():
    err = error_for([{"kubernetes_deploy_everything": {}}])
    assert err.hint.startswith("supported modules:") and "lineinfile" in err.hint and "set_fact" in err.hint


def test_two_modules_in_one_task():
    err = error_for([{"name": "confused", "copy": {"dest": "/a", "content": "x"}, "file": {"path": "/a"}}])
    assert "uses 2 modules (copy, file)" in err.message and "exactly one" in err.message
    assert '"confused"' in err.message and "task 0" in err.message


def test_misspelt_keyword_counts_as_a_second_module_and_is_pointed_out():
    err = error_for([{"shell": "true", "whne": "x"}])
    assert "uses 2 modules (shell, whne)" in err.message
    assert "`whne` looks like the keyword `when`" in err.hint


def test_lone_misspelt_keyword_is_suggested():
    err = error_for([{"name": "x", "becom_user": "app"}])
    assert "becom_user" in err.message and "become_user" in err.hint


def test_task_without_module():
    err = error_for([{"name": "nothing to do", "when": "x"}])
    assert "uses no module" in err.message and "name, when" in err.message


def test_action_form_is_rejected_with_a_hint():
    err = error_for([{"action": "shell echo hi"}])
    assert "`action:` is not supported" in err.message and "- shell:" in err.hint


def test_block_with_a_module_is_rejected():
    err = error_for([{"block": [{"shell": "true"}], "copy": {"dest": "/a", "content": ""}}])
    assert "a block cannot also use a module (copy)" in err.message


def test_non_mapping_task_and_non_list_stage():
    assert "a task must be a mapping" in error_for(["shell: echo"]).message
    assert "expected a list of tasks" in error_for({"shell": "echo"}).message
    assert "`block` must be a list" in error_for([{"block": {"shell": "x"}}]).message
    check(None)
    check([])


def test_modules_werf_lists_but_ansible_core_no_longer_ships_are_rejected_early():
    assert runtime_availability("apk") == "community.general.apk"
    assert runtime_availability("copy") is None
    assert runtime_availability("yum") is None  # ansible-core redirects yum to its dnf
    err = error_for([{"name": "alpine deps", "apk": {"name": "curl"}}])
    assert "ships ansible-core only" in err.message and "community.general.apk" in err.message
    assert "shell:" in err.hint


def test_every_module_werf_lists_is_either_runnable_or_explained():
    runnable = [m for m in WERF_SUPPORTED_MODULES if runtime_availability(m) is None]
    # the modules our tests and docs rely on must run in the runtime
    for module in ("command", "shell", "raw", "script", "copy", "file", "lineinfile", "blockinfile", "replace",
                   "stat", "find", "unarchive", "get_url", "uri", "apt", "dnf", "user", "group", "getent",
                   "set_fact", "debug", "assert", "fail", "meta", "wait_for", "pip", "cron"):
        assert module in runnable, module
    for module in set(WERF_SUPPORTED_MODULES) - set(runnable):
        check_error = error_for([{module: {}}])
        assert "ansible runtime ships ansible-core only" in check_error.message
