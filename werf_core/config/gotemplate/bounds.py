"""Keeping one render of an untrusted werf.yaml bounded in memory and time.

Three mechanisms, all using the limits of `werf_core.config.limits`:
- every value a template function returns is measured (`charge_result`): a string over MAX_STRING_CHARS or a list/dict
  over MAX_COLLECTION_ITEMS stops the render; its size is charged to the render's work budget;
- functions that could allocate far more than their arguments before returning check their inputs first
  (`ensure_*`, called by `repeat`, `indent`, `until`, ...), and functions that turn nested values into text or copies
  (`toJson`, `join`, `printf`, printing a list ...) first measure what they would produce (`ensure_text_size`):
  a list holding the same big string a million times is small in memory but not once printed;
- every function call, template call and loop iteration costs one unit of MAX_RENDER_WORK, which bounds the time of
  loops and of recursion that fans out; MAX_RENDER_SECONDS is the wall-clock backstop.
"""

from __future__ import annotations

from typing import Any

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.limits import (
    MAX_COLLECTION_ITEMS,
    MAX_RENDER_SECONDS,
    MAX_RENDER_WORK,
    MAX_STRING_CHARS,
    human_size,
)

HINT = ("werf.yaml rendering is bounded so that an untrusted config cannot exhaust the machine; the limits "
        "(werf_core/config/limits.py) are far above what real configs need, so look for a runaway loop, repeat or "
        "recursion in the template")

# strings cost less per character than items or calls: copying a MiB takes about as long as a few hundred calls
CHARS_PER_WORK_UNIT = 16  # keep in step with the MAX_RENDER_WORK docstring
ITEMS_PER_WORK_UNIT = 16
# executing a template (`include`, `tpl`, `{{ template }}`) sets up a new state and output: ten calls' worth
TEMPLATE_CALL_COST = 10

# functions that render nested values into text, or copy them deeply: their output can be far larger than the
# (shared) values they are given, so ensure_text_size measures first
SERIALIZING_FUNCTIONS = frozenset({
    "print", "printf", "println", "html", "js", "urlquery",
    "toString", "toStrings", "join", "cat", "quote", "squote",
    "toJson", "mustToJson", "toPrettyJson", "mustToPrettyJson", "toRawJson", "mustToRawJson", "toYaml",
    "deepCopy", "mustDeepCopy",
})

# functions that cost far more CPU than a call (key generation, password hashing): their cost in work units (a unit is
# roughly ten microseconds of a loaded machine), so that a loop over them is bounded too
CALL_COSTS = {
    "genPrivateKey": 100_000, "genCA": 25_000, "genSelfSignedCert": 25_000, "genSignedCert": 25_000,
    "genCAWithKey": 500, "genSelfSignedCertWithKey": 500, "genSignedCertWithKey": 500, "buildCustomCert": 500,
    "derivePassword": 10_000, "htpasswd": 10_000, "bcrypt": 10_000,
}


SERIALIZES = -1
"""PRECHECKS value of a serialising function (a CALL_COSTS value is a positive cost)."""

PRECHECKS: dict[str, int] = {**dict.fromkeys(SERIALIZING_FUNCTIONS, SERIALIZES), **CALL_COSTS}
"""What the executor does before calling a function, in one lookup: measure the arguments, or charge a cost."""


def string_too_long(what: str, size: int) -> GoError:
    return GoError(f"{what} would be {size} characters long, over the {human_size(MAX_STRING_CHARS)} limit "
                   "(MAX_STRING_CHARS) for one value while rendering werf.yaml", hint=HINT)


def too_many_items(what: str, size: int) -> GoError:
    return GoError(f"{what} would have {size} items, over the limit of {MAX_COLLECTION_ITEMS} (MAX_COLLECTION_ITEMS) "
                   "while rendering werf.yaml", hint=HINT)


def ensure_string_size(what: str, size: int) -> None:
    """Before building a string of `size` characters."""
    if size > MAX_STRING_CHARS:
        raise string_too_long(what, size)


def ensure_items(what: str, count: int) -> None:
    """Before building a list or dict of `count` items."""
    if count > MAX_COLLECTION_ITEMS:
        raise too_many_items(what, count)


def text_size_at_most(value: Any, limit: int) -> int:
    """A lower bound on the characters printing `value` produces, exact enough to compare with `limit`: string
    lengths plus one per item, stopping as soon as `limit` is passed (so measuring is O(limit) at worst, whatever
    the sharing inside the value)."""
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v) + 1
        elif isinstance(v, dict):
            total += len(v) + 2
            for key, item in v.items():
                total += len(key) if isinstance(key, str) else 1
                stack.append(item)
        elif isinstance(v, (list, tuple)):
            total += len(v) + 2
            stack.extend(v)
        else:
            total += 1
        if total > limit:
            return total
    return total


def ensure_text_size(what: str, values: Any) -> int:
    """Before serialising `values`; returns the measured size (to charge as work)."""
    size = text_size_at_most(values, MAX_STRING_CHARS)
    if size > MAX_STRING_CHARS:
        raise GoError(f"{what} would produce more than {human_size(MAX_STRING_CHARS)} (MAX_STRING_CHARS) while "
                      "rendering werf.yaml", hint=HINT)
    return size


def result_cost(what: str, value: Any) -> int:
    """The work units a function result costs; raises when it is over the value limits."""
    if isinstance(value, str):
        size = len(value)
        if size > MAX_STRING_CHARS:
            raise string_too_long(f"the result of {what}", size)
        return 1 + size // CHARS_PER_WORK_UNIT
    if isinstance(value, (list, dict)):
        size = len(value)
        if size > MAX_COLLECTION_ITEMS:
            raise too_many_items(f"the result of {what}", size)
        return 1 + size // ITEMS_PER_WORK_UNIT
    return 1


def work_exceeded() -> GoError:
    return GoError(f"rendering werf.yaml took more than {MAX_RENDER_WORK} steps (MAX_RENDER_WORK: function calls, "
                   "template calls, loop iterations and the size of the values they make)", hint=HINT)


def time_exceeded() -> GoError:
    return GoError(f"rendering werf.yaml took more than {MAX_RENDER_SECONDS:g} seconds (MAX_RENDER_SECONDS)",
                   hint=HINT)
