"""Read back what a ci-env script sets: by really sourcing it (POSIX shells) or by the shell's own quoting rules."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def source_with_bash(script: str, env: dict[str, str], tmp_path: Path, *, shell: str = "bash") -> dict[str, str]:
    """Source `script` in a real shell started with `env`, and return the environment it ends up with."""
    path = tmp_path / "ci-env.sh"
    path.write_text(script)
    done = subprocess.run([shell, "-c", '. "$1" && env -0', "sh", str(path)], env=env, capture_output=True,
                          cwd=tmp_path, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    return dict(pairs)


def changed_variables(after: dict[str, str], before: dict[str, str]) -> dict[str, str]:
    """What sourcing a script changed in the environment (minus what the shell itself sets)."""
    return {k: v for k, v in after.items() if before.get(k) != v and k not in ("PWD", "SHLVL", "_", "OLDPWD")}


_POWERSHELL = re.compile(r"\$Env:(\w+) = '((?:[^'\u2018\u2019\u201a\u201b]|(['\u2018\u2019\u201a\u201b])\3)*)'")
_CMD = re.compile(r"set (\w+)=([^\n]*)")
_ENV_FILE = re.compile(r"(\w+)=([^\n]*)")


def _undouble_quotes(text: str) -> str:
    return re.sub("(['\u2018\u2019\u201a\u201b])\\1", r"\1", text)


def _uncaret(text: str) -> str:
    return re.sub(r"\^(.)", r"\1", text).replace("%%", "%")


def read_assignments(script: str, shell: str) -> dict[str, str]:
    """Variables assigned by a powershell, cmdexe or env-file script. Every other line must be a comment or blank;
    anything else fails the test. (A PowerShell single-quoted value may span lines.)"""
    result = {}
    comment = "::" if shell == "cmdexe" else "#"
    pattern = {"powershell": _POWERSHELL, "cmdexe": _CMD, "env-file": _ENV_FILE}[shell]
    pos = 0
    while pos < len(script):
        end = script.find("\n", pos)
        end = len(script) if end < 0 else end
        line = script[pos:end]
        if not line or line.startswith(comment + " "):
            pos = end + 1
            continue
        match = pattern.match(script, pos)
        assert match, f"not a safe {shell} assignment: {line!r}"
        name, value = match.group(1), match.group(2)
        if shell == "powershell":
            value = _undouble_quotes(value)
        elif shell == "cmdexe":
            assert not re.search(r'(?<!\^)[&|<>()"]', value.replace("^^", "")), line
            value = _uncaret(value)
        result[name] = value
        pos = match.end()
        assert pos == len(script) or script[pos] == "\n", f"trailing text after {line!r}"
        pos += 1
    return result


def commented_out(script: str, shell: str = "default") -> list[str]:
    """Names of variables written as `# export NAME=...` (empty values), not as skip comments."""
    sign = "::" if shell == "cmdexe" else "#"
    names = []
    for line in script.splitlines():
        match = re.match(rf"^{re.escape(sign)} (?:export |set |\$Env:)?(\w+)\s?=", line)
        if match:
            names.append(match.group(1))
    return names


def skipped(script: str, shell: str = "default") -> list[str]:
    sign = "::" if shell == "cmdexe" else "#"
    return re.findall(rf"^{re.escape(sign)} skip (?:export |set |\$Env:)?(\w+)", script, flags=re.MULTILINE)
