# Ansible become plugin of werf-prefect's ansible runtime (installed at /.werf/ansible/plugins/become).
#
# Build containers run as root and base images usually have no sudo. Root needs no password to switch users, so the
# runtime's static busybox `su` is enough: `su -s <runtime shell> <user> -c <command>`. `-s` matters because the
# user's login shell may be /bin/false or missing from the image. When the target is root (or the current user) the
# command runs unchanged, so images without /etc/passwd still work with werf's default `become: yes`.
from __future__ import annotations

import os
import pwd
import shlex

from ansible.plugins.become import BecomeBase

DOCUMENTATION = """
name: werf_su
short_description: switch user with the runtime's busybox su, as root, without a password
description:
  - Runs the command as become_user through busybox su with the runtime's shell; no-op when already that user.
author: werf-prefect
options:
  become_user:
    description: User to become.
    default: root
    ini:
      - section: privilege_escalation
        key: become_user
    vars:
      - name: ansible_become_user
    env:
      - name: ANSIBLE_BECOME_USER
    keyword:
      - name: become_user
  become_exe:
    description: The su program.
    default: /.werf/ansible/bin/su
    ini:
      - section: privilege_escalation
        key: become_exe
    env:
      - name: ANSIBLE_BECOME_EXE
  become_flags:
    description: Extra flags for su.
    default: ""
    ini:
      - section: privilege_escalation
        key: become_flags
    env:
      - name: ANSIBLE_BECOME_FLAGS
  become_pass:
    description: Unused; root's su asks for no password.
    required: false
"""

RUNTIME_SHELL = "/.werf/ansible/bin/sh"


def _is_current_user(user: str) -> bool:
    uid = os.geteuid()
    if user == str(uid):
        return True
    if user == "root" and uid == 0:
        return True
    try:
        return pwd.getpwuid(uid).pw_name == user
    except KeyError:  # the image has no /etc/passwd entry for us
        return False


class BecomeModule(BecomeBase):
    name = "werf_su"

    def build_become_command(self, cmd, shell):
        user = self.get_option("become_user") or "root"
        if not cmd or _is_current_user(user):
            # nothing to switch: no success marker to wait for either
            self._id = ""
            self.success = ""
            self.prompt = ""
            return cmd
        super().build_become_command(cmd, shell)
        self.prompt = ""  # root is never asked for a password
        exe = self.get_option("become_exe") or "/.werf/ansible/bin/su"
        flags = self.get_option("become_flags") or ""
        success_cmd = self._build_success_command(cmd, shell)
        return " ".join(part for part in (
            shlex.quote(exe), flags, "-s", RUNTIME_SHELL, shlex.quote(user), "-c", shlex.quote(success_cmd)) if part)
