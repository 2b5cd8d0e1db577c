"""Ansible stages, stapel-style: werf.yaml tasks run by a self-contained Ansible runtime on any base image.

- `validate_ansible_tasks` checks tasks when werf.yaml is loaded (one supported module per task).
- `ansible_stage_checksum` is the builder's part of the stage digest.
- `AnsibleBuilder.instructions` writes the stage's playbook and says how to run it (`ContainerInstructions`).
- `describe_ansible_failure` turns a failed container's output into a message naming the task.
- `AnsibleRuntime` builds (once per engine and version) and finds the runtime container that build containers mount.

See docs/ansible.md. Importing this package imports neither docker nor ansible.
"""

from werf_core.builders.ansible.builder import AnsibleBuilder
from werf_core.builders.ansible.checksum import ansible_stage_checksum, canonical_task_json
from werf_core.builders.ansible.failure import describe_ansible_failure
from werf_core.builders.ansible.runtime.image import AnsibleRuntime, RuntimeInfo, ensure_ansible_runtime
from werf_core.builders.ansible.validation import validate_ansible_tasks

__all__ = [
    "AnsibleBuilder", "AnsibleRuntime", "RuntimeInfo", "ansible_stage_checksum", "canonical_task_json",
    "describe_ansible_failure", "ensure_ansible_runtime", "validate_ansible_tasks",
]
