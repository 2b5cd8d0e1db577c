"""Turning the output of a failed ansible stage into one message that names the task and says what went wrong.

The runtime's stdout callback (runtime_files/plugins/callback/werf_live.py) prints, for a failed task, one line
`werf-ansible-failure: {json}` with the task's werf.yaml index, name, module, the module's message and the command's
output. When ansible-playbook failed before any task ran (a playbook error, a broken runtime), its own error lines are
used instead.
"""

from __future__ import annotations

import json
from typing import Any

FAILURE_MARKER = "werf-ansible-failure:"
OUTPUT_LINES = 10


def _last_failure_record(lines: list[str]) -> dict[str, Any] | None:
    for line in reversed(lines):
        _, marker, payload = line.partition(FAILURE_MARKER)
        if not marker:
            continue
        try:
            record = json.loads(payload)
        except ValueError:
            continue
        if isinstance(record, dict):
            return record
    return None


def _tail(text: str | None, limit: int = OUTPUT_LINES) -> list[str]:
    lines = [line for line in (text or "").rstrip().splitlines() if line.strip()]
    return lines[-limit:]


def _describe_record(record: dict[str, Any]) -> str:
    index = record.get("task")
    where = f"task {index}" if index is not None else "an ansible task"
    name = record.get("name")
    label = f"{where} \"{name}\"" if name else where
    module = record.get("module")
    text = f"ansible {label} ({module}) failed" if module else f"ansible {label} failed"
    if record.get("item") is not None:
        text += f" for item {record['item']}"
    text += f": {record.get('msg') or 'no message'}"
    if record.get("rc") not in (None, 0):
        text += f" (exit code {record['rc']})"
    for stream in ("stderr", "stdout"):
        lines = _tail(record.get(stream))
        if lines:
            text += f"\n  {stream}:\n" + "\n".join("    " + line for line in lines)
    return text


def describe_ansible_failure(output: str) -> str:
    """A message for BuildError: the failed task's werf.yaml index and name, and the module's message."""
    lines = output.splitlines()
    record = _last_failure_record(lines)
    if record is not None:
        return _describe_record(record)
    errors = [i for i, line in enumerate(lines) if line.lstrip().startswith(("[ERROR]", "ERROR!"))]
    if errors:
        first = errors[-1]
        block = [line for line in lines[first:first + OUTPUT_LINES] if line.strip()]
        return "ansible-playbook failed before finishing its tasks:\n" + "\n".join("    " + entry for entry in block)
    tail = _tail(output)
    if not tail:
        return "ansible-playbook failed without output"
    return "ansible-playbook failed; last output:\n" + "\n".join("    " + line for line in tail)
