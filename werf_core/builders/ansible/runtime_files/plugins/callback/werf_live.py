# Ansible stdout callback of werf-prefect's ansible runtime (installed at /.werf/ansible/plugins/callback).
#
# It runs inside build containers, with the runtime's own Python, so it imports nothing from werf_core.
# It prints one line when a task starts, naming the task by its index in werf.yaml (read from the `task_<i>` tag the
# builder adds) and its name, then the output of command-like tasks and debug messages. A failed task is reported
# with the module's message plus one machine-readable line (FAILURE_MARKER + JSON) that
# werf_core.builders.ansible.failure.describe_ansible_failure reads back from the container output.
from __future__ import annotations

import json
import re
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: werf_live
type: stdout
short_description: werf-prefect build output, one line per werf.yaml task
description:
  - Prints each task as it starts with its index in werf.yaml, the output of command-like tasks, and failures.
"""

FAILURE_MARKER = "werf-ansible-failure:"
PREFIX = "[ansible]"
TASK_TAG = re.compile(r"^task_(\d+)$")
OUTPUT_LINES_SHOWN = 40
COMMAND_LIKE = {"command", "shell", "raw", "script"}


def _short(action: str) -> str:
    for prefix in ("ansible.builtin.", "ansible.legacy."):
        if action.startswith(prefix):
            return action[len(prefix):]
    return action


def _werf_index(task):
    for tag in task.tags or []:
        match = TASK_TAG.match(str(tag))
        if match:
            return int(match.group(1))
    return None


def _text(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "werf_live"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started = time.monotonic()
        self._counts = {"changed": 0, "ok": 0, "skipped": 0, "failed": 0}

    # -- helpers ------------------------------------------------------------------------------------------------

    def _say(self, line: str) -> None:
        self._display.display(f"{PREFIX} {line}")

    def _task_label(self, task) -> str:
        index = _werf_index(task)
        where = f"task {index}" if index is not None else "task"
        label = f"{where} \"{task.name}\"" if task.name else where
        return f"{label} ({_short(task.action)})"

    def _show_output(self, task, result: dict, item_label=None) -> None:
        lines = []
        for key in ("stdout", "stderr", "module_stdout", "module_stderr"):
            text = _text(result.get(key)).rstrip("\n")
            if text:
                lines.extend(text.splitlines())
        if _short(task.action) == "debug" and "msg" in result:
            lines.extend(_text(result["msg"]).splitlines())  # what the user asked to print
        if not lines:
            return
        shown = lines[-OUTPUT_LINES_SHOWN:]
        if len(lines) > len(shown):
            self._say(f"  | ... {len(lines) - len(shown)} earlier lines not shown")
        prefix = f"  | ({item_label}) " if item_label is not None else "  | "
        for line in shown:
            self._say(prefix + line)

    @staticmethod
    def _failed_detail(result: dict):
        """The result that carries the real failure: the first failed loop item, or the result itself."""
        for item in result.get("results") or []:
            if isinstance(item, dict) and item.get("failed"):
                label = item.get("_ansible_item_label", item.get("item"))
                return item, _text(label) if label is not None else None
        return result, None

    def _report_failure(self, task, result: dict, ignored: bool) -> None:
        detail, item = self._failed_detail(result)
        msg = _text(detail.get("msg")) or "failed"
        if detail.get("module_stderr") and "MODULE FAILURE" in msg:
            msg += ": " + _text(detail["module_stderr"]).strip().splitlines()[-1]
        where = f" (item {item})" if item is not None else ""
        self._say(f"{self._task_label(task)} {'failed, ignored' if ignored else 'FAILED'}{where}: {msg}")
        self._show_output(task, detail)
        if ignored:
            return
        self._counts["failed"] += 1
        record = {
            "task": _werf_index(task),
            "name": task.name or "",
            "module": _short(task.action),
            "msg": msg,
            "item": item,
            # other modules put internal codes in rc (lineinfile says 257): only a command's exit code means much
            "rc": detail.get("rc") if _short(task.action) in COMMAND_LIKE else None,
            "stderr": _text(detail.get("stderr"))[-2000:],
            "stdout": _text(detail.get("stdout"))[-2000:],
        }
        self._display.display(FAILURE_MARKER + " " + json.dumps(record, sort_keys=True))

    # -- ansible events -----------------------------------------------------------------------------------------

    def v2_playbook_on_task_start(self, task, is_conditional):
        if _werf_index(task) is None:
            return  # implicit tasks ansible adds itself (e.g. flushing handlers)
        self._say(self._task_label(task))

    def v2_runner_on_ok(self, result):
        self._counts["changed" if result._result.get("changed") else "ok"] += 1
        if "results" not in result._result:
            self._show_output(result._task, result._result)

    def v2_runner_item_on_ok(self, result):
        label = result._result.get("_ansible_item_label", result._result.get("item"))
        self._show_output(result._task, result._result, item_label=_text(label))

    def v2_runner_item_on_failed(self, result):
        pass  # reported once, with the whole task, by v2_runner_on_failed

    def v2_runner_on_skipped(self, result):
        self._counts["skipped"] += 1

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._report_failure(result._task, result._result, ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._report_failure(result._task, result._result, False)

    def v2_playbook_on_stats(self, stats):
        c = self._counts
        tasks = sum(c.values())
        self._say(f"{tasks} task results: {c['changed']} changed, {c['ok']} ok, {c['skipped']} skipped, "
                  f"{c['failed']} failed in {time.monotonic() - self._started:.1f}s")
