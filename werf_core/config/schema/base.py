"""Shared pieces of the werf.yaml schema: the strict, frozen base model and the value types werf's keys use.

Python attributes are snake_case; the YAML keys (werf's camelCase, or Docker's upper case) are aliases. Every model
forbids unknown keys: the loader turns pydantic's report into a message naming the file, the line and the closest
valid key. A rule a value breaks is raised as `werf_error(...)`, whose text reaches the user unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from werf_core.config.source_map import SourceLocation
from werf_core.config.yaml_documents import plain, scalar_text
from werf_core.gopath import clean as go_path_clean
from werf_core.gopath import climbs_out

WERF_ERROR = "werf"


def werf_error(message: str, *, key: str | tuple[str | int, ...] | None = None,
               hint: str | None = None) -> PydanticCustomError:
    """A rule violation with werf's wording. `key` names the key (inside the failing mapping) to point at."""
    # the text travels in the context: a message template would try to format braces in user values
    return PydanticCustomError(WERF_ERROR, "{message}", {"message": message, "key": key, "hint": hint})


class WerfModel(BaseModel):
    # only werf's keys are accepted in werf.yaml: `fromImage`, never the Python name `from_image`
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=False, alias_generator=to_camel,
                              hide_input_in_errors=True, defer_build=True)


class SourceAware(WerfModel):
    """A top-level config section (one per image, artifact or meta document) that knows where it was written."""

    _source: SourceLocation | None = PrivateAttr(default=None)

    @property
    def source(self) -> SourceLocation | None:
        """File and line where this section's document starts (a source line of the werf.yaml template)."""
        return self._source


def describe_value(value: Any) -> str:
    """A short description of a YAML value for error messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"number {scalar_text(value)}"
    text = str(value)
    return f'"{text[:60]}..."' if len(text) > 60 else f'"{text}"'


# --- strings -------------------------------------------------------------------------------------------------------

def _to_text(value: Any) -> Any:
    text = scalar_text(value)
    if text is None and value is not None:
        raise werf_error(f"expected a string, got {describe_value(value)}")
    return text


def _to_text_or_empty(value: Any) -> Any:
    """Go decodes a null into a string field as ""; maps of strings (ENV, LABEL) rely on that."""
    return "" if value is None else _to_text(value)


YamlStr = Annotated[str, BeforeValidator(_to_text)]
"""A string; numbers and booleans written where a string is expected keep their written text, as in werf."""

YamlStrOrEmpty = Annotated[str, BeforeValidator(_to_text_or_empty)]


def _non_empty(value: Any) -> Any:
    text = _to_text(value)
    if not text:
        raise werf_error("must not be empty")
    return text


NonEmptyStr = Annotated[str, BeforeValidator(_non_empty)]


def string_list(value: Any) -> tuple[str, ...]:
    """werf's "string or list of strings": null → (), "a" → ("a",), [a, b] → ("a", "b")."""
    if value is None:
        return ()
    if not isinstance(value, list):
        text = scalar_text(value)
        if text is None:
            raise werf_error(f"expected a string or a list of strings, got {describe_value(value)}")
        return (text,)
    items = []
    for item in value:
        text = scalar_text(item)
        if text is None:
            raise werf_error(f"expected a string or a list of strings, but an item is {describe_value(item)}")
        items.append(text)
    return tuple(items)


StrList = Annotated[tuple[str, ...], BeforeValidator(string_list)]


def string_map(value: Any) -> dict[str, str]:
    """A mapping of strings (ENV, LABEL): scalars keep their written text, null becomes ""."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise werf_error(f"expected a mapping of names to strings, got {describe_value(value)}")
    result = {}
    for key, item in value.items():
        text = "" if item is None else scalar_text(item)
        if text is None:
            raise werf_error(f'the value of "{key}" must be a string, got {describe_value(item)}', key=key)
        result[key] = text
    return result


StrMap = Annotated[dict[str, str], BeforeValidator(string_map)]


def plain_mapping(value: Any) -> Any:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise werf_error(f"expected a mapping, got {describe_value(value)}")
    return plain(value)


PlainMapping = Annotated[dict[str, Any], BeforeValidator(plain_mapping)]


# --- paths ---------------------------------------------------------------------------------------------------------

_CLIMB_HINT = 'write the path without ".." segments that leave its root'


def _absolute_path(value: Any) -> Any:
    text = _to_text(value)
    if text is None:
        raise werf_error("expected an absolute path, got nothing (null)")
    cleaned = go_path_clean(text)
    if not cleaned.startswith("/"):
        raise werf_error(f'expected an absolute path (starting with "/"), got "{text}"')
    if climbs_out(text):
        raise werf_error(f'the path "{text}" climbs above "/" with ".."', hint=_CLIMB_HINT)
    return cleaned


AbsPath = Annotated[str, BeforeValidator(_absolute_path)]


def _relative_paths(value: Any) -> tuple[str, ...]:
    paths = []
    for text in string_list(value):
        if text.startswith("/"):
            raise werf_error(f'expected relative paths, got the absolute path "{text}"',
                             hint="paths here are relative to the mapping's `add` directory; drop the leading /")
        if climbs_out(text):
            raise werf_error(f'the path "{text}" leads outside the mapping\'s `add` directory with ".."',
                             hint=_CLIMB_HINT)
        paths.append(go_path_clean(text))
    return tuple(paths)


RelPathList = Annotated[tuple[str, ...], BeforeValidator(_relative_paths)]
"""A relative path or list of them (includePaths, excludePaths, stageDependencies globs), each `path.Clean`ed."""


def one_of(allowed: tuple[str, ...], what: str):
    """A string restricted to `allowed`, with werf's wording in the error."""
    def check(value: Any) -> Any:
        if value is None:
            return None
        text = _to_text(value)
        if text not in allowed:
            raise werf_error(f'invalid {what} "{text}": expected {alternatives(allowed)}')
        return text
    return BeforeValidator(check)


def alternatives(words: tuple[str, ...]) -> str:
    """("a", "b", "c") → "a, b or c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
