"""describe_ansible_failure: the failed task's werf.yaml index and name and the module's message."""

from __future__ import annotations

import ast
import json
import re

from werf_core.builders.ansible.failure import FAILURE_MARKER, describe_ansible_failure
from werf_core.builders.ansible.runtime.sources import RUNTIME_FILES
from werf_core.builders.ansible.workdir import TASK_TAG_FORMAT


def marker(**record) -> str:
    return FAILURE_MARKER + " " + json.dumps(record)


def test_names_index_name_module_message_and_command_output():
    output = "\n".join([
        "[ansible] task 0 \"prepare\" (file)",
        "[ansible] task 1 \"compile\" (shell)",
        "[ansible] task 1 \"compile\" (shell) FAILED: non-zero return code",
        "[ansible]   | make: *** No rule to make target 'all'.",
        marker(task=1, name="compile", module="shell", msg="non-zero return code", item=None, rc=2,
               stderr="make: *** No rule to make target 'all'.  Stop.\n", stdout="building\n"),
        "[ansible] 2 task results: 1 changed, 0 ok, 0 skipped, 1 failed in 1.2s",
    ])
    text = describe_ansible_failure(output)
    assert text.startswith('ansible task 1 "compile" (shell) failed: non-zero return code (exit code 2)')
    assert "No rule to make target" in text and "building" in text


def test_loop_item_and_unnamed_task():
    text = describe_ansible_failure(marker(task=4, name="", module="lineinfile", item="/etc/b",
                                           msg="Destination /etc/b does not exist !", rc=None))
    assert text == 'ansible task 4 (lineinfile) failed for item /etc/b: Destination /etc/b does not exist !'


def test_last_failure_wins_when_an_earlier_one_was_rescued():
    output = "\n".join([marker(task=0, name="a", module="fail", msg="first"),
                        marker(task=3, name="b", module="fail", msg="second")])
    assert describe_ansible_failure(output).startswith('ansible task 3 "b" (fail) failed: second')


def test_ansible_error_before_any_task():
    output = ("[WARNING]: something\n[ERROR]: couldn't resolve module/action 'nosuch'. This often indicates a "
              "misspelling.\nOrigin: /.werf/ansible-workdir/playbook.yml:5:5\n")
    text = describe_ansible_failure(output)
    assert text.startswith("ansible-playbook failed before finishing its tasks:")
    assert "couldn't resolve module/action 'nosuch'" in text and "playbook.yml:5:5" in text


def test_unknown_output_keeps_its_last_lines():
    output = "\n".join(f"line {i}" for i in range(30)) + "\nSegmentation fault\n"
    text = describe_ansible_failure(output)
    assert text.startswith("ansible-playbook failed; last output:") and "Segmentation fault" in text
    assert "line 5\n" not in text
    assert describe_ansible_failure("") == "ansible-playbook failed without output"


def test_a_broken_marker_line_is_not_trusted():
    assert describe_ansible_failure(FAILURE_MARKER + " {not json").startswith("ansible-playbook failed; last output")


def test_the_callback_prints_the_marker_this_module_reads():
    # the callback runs inside build containers and cannot import werf_core: both sides spell it out
    source = (RUNTIME_FILES / "plugins" / "callback" / "werf_live.py").read_text()
    tree = ast.parse(source)
    values = {node.targets[0].id: node.value.value for node in tree.body
              if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
              and isinstance(node.targets[0], ast.Name)}
    assert values["FAILURE_MARKER"] == FAILURE_MARKER
    # ... and the tag the builder puts on each task is the one the callback reads the index from
    [pattern] = [node.value.args[0].value for node in tree.body
                 if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "TASK_TAG"]
    match = re.match(pattern, TASK_TAG_FORMAT.format(index=17))
    assert match and match.group(1) == "17"
