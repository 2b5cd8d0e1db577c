"""Errors of the template engine.

`TemplateError` is what users see: Go's own wording (`template: werf.yaml:3:14: executing "werf.yaml" at
<.Values.x>: ...`), plus `path`/`line` of the failing action for the config loader. `GoError` is what a template
function raises to return a Go `error`; the executor wraps it as `error calling NAME: ...`.
"""

from __future__ import annotations

from werf_core.errors import ConfigError

_HINT = ("Go template syntax: https://pkg.go.dev/text/template; a missing value can be given a fallback with "
         "`default`, tested with `hasKey`, or required with `required`.")


class TemplateError(ConfigError):
    """A template that cannot be parsed or executed. The message reads like Go's text/template error."""

    def __init__(self, go_message: str, *, template: str | None = None, path: str | None = None,
                 line: int | None = None, column: int | None = None, snippet: str | None = None,
                 hint: str | None = _HINT) -> None:
        # The Go message already names template, line and column; do not prefix it a second time.
        super().__init__(go_message, snippet=snippet, hint=hint)
        self.go_message = go_message
        self.template = template
        self.path = path
        self.line = line
        self.column = column


class GoError(Exception):
    """Raised by a template function to return a Go error (the template stops with `error calling NAME: msg`)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint  # replaces the generic template hint when the user has something specific to fix

    def __str__(self) -> str:
        return self.message
