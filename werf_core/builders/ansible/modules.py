"""Which Ansible modules a werf.yaml task may use, and which task keys are keywords rather than modules.

werf v1.1 accepts a fixed list of modules in ansible stages (reference §11); everything else is rejected when the
config is loaded, before any container starts. Our runtime ships ansible-core only, so a few modules of werf's list
(those that moved to collections such as community.general) are not installed; `runtime_availability` tells which.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

# werf v1.1's list, grouped as in its docs. The order is kept for messages that list them.
WERF_SUPPORTED_MODULES: tuple[str, ...] = (
    # commands
    "command", "shell", "raw", "script",
    # crypto
    "openssl_certificate", "openssl_csr", "openssl_privatekey", "openssl_publickey",
    # files
    "acl", "archive", "assemble", "blockinfile", "copy", "file", "replace", "find", "ini_file", "iso_extract",
    "lineinfile", "stat", "tempfile", "unarchive", "xattr",
    # net tools
    "get_url", "slurp", "uri",
    # language packages
    "bower", "bundler", "composer", "cpanm", "easy_install", "gem", "maven_artifact", "npm", "pear", "pip", "yarn",
    # OS packages
    "apk", "apt", "apt_key", "apt_repository", "apt_rpm", "dnf", "dpkg_selections", "debconf", "homebrew",
    "homebrew_cask", "homebrew_tap", "layman", "macports", "openbsd_pkg", "opkg", "package", "pacman", "pkg5",
    "pkg5_publisher", "pkgin", "pkgng", "pkgutil", "portage", "portinstall", "pulp_repo", "redhat_subscription",
    "rhn_channel", "rhn_register", "rpm_key", "slackpkg", "sorcery", "svr4pkg", "swdepot", "swupd", "urpmi", "xbps",
    "yum", "yum_repository", "zypper", "zypper_repository",
    # system
    "cron", "user", "group", "getent", "locale_gen", "timezone",
    # utilities
    "meta", "assert", "debug", "fail", "set_fact", "wait_for",
)
SUPPORTED_MODULE_SET = frozenset(WERF_SUPPORTED_MODULES)

BLOCK_KEYS: tuple[str, ...] = ("block", "rescue", "always")

# Ansible's task and block keywords: they modify how a task runs, they are not modules.
TASK_KEYWORDS = frozenset({
    "name", "action", "local_action", "args", "any_errors_fatal", "async", "become", "become_exe", "become_flags",
    "become_method", "become_user", "changed_when", "check_mode", "collections", "connection", "debugger", "delay",
    "delegate_facts", "delegate_to", "diff", "environment", "failed_when", "ignore_errors", "ignore_unreachable",
    "loop", "loop_control", "module_defaults", "no_log", "notify", "poll", "port", "register", "remote_user",
    "retries", "run_once", "tags", "throttle", "timeout", "until", "vars", "when", "listen",
})
# `action`/`local_action` name their module in the value; werf does not support that form.
MODULE_IN_VALUE_KEYWORDS = frozenset({"action", "local_action"})

# Fully-qualified names that mean the same module as the short one.
BUILTIN_PREFIXES: tuple[str, ...] = ("ansible.builtin.", "ansible.legacy.")


def is_task_keyword(key: str) -> bool:
    return key in TASK_KEYWORDS or key.startswith("with_")


def short_module_name(key: str) -> str:
    for prefix in BUILTIN_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _ansible_package_dir() -> Path | None:
    # find_spec reads no ansible code: the CLI stays fast even when it validates tasks.
    import importlib.util

    spec = importlib.util.find_spec("ansible")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def _builtin_routing() -> dict[str, Any]:
    package = _ansible_package_dir()
    if package is None:
        return {}
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(package / "config" / "ansible_builtin_runtime.yml", encoding="utf-8") as f:
        routing = (yaml.load(f, Loader=loader) or {}).get("plugin_routing", {})
    return routing if isinstance(routing, dict) else {}


@lru_cache(maxsize=1)
def _builtin_module_files() -> frozenset[str]:
    package = _ansible_package_dir()
    if package is None:
        return frozenset()
    return frozenset(p.stem for p in (package / "modules").glob("*.py") if not p.name.startswith("_"))


def runtime_availability(module: str) -> str | None:
    """None when ansible-core (the version in our runtime, which is the installed one) runs `module`; otherwise where
    the module lives now (e.g. "community.general.apk"), or "removed"."""
    if module in _builtin_module_files():
        return None
    routing = _builtin_routing()
    for kind in ("action", "modules"):
        entry = routing.get(kind, {}).get(module) or {}
        target = entry.get("redirect")
        if target and target.startswith(BUILTIN_PREFIXES):
            return None
    entry = routing.get("modules", {}).get(module) or {}
    if entry.get("redirect"):
        return str(entry["redirect"])
    if _ansible_package_dir() is None:
        return None  # ansible-core is not installed here: nothing to compare with, the runtime build will say so
    return "removed"
