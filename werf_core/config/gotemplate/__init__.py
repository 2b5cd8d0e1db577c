"""Go's text/template, Sprig and werf's template functions, for rendering werf.yaml.

    ts = TemplateSet(funcs)             # Go builtins + funcs
    ts.parse("a", "{{ .x | upper }}")   # several named templates; {{define}} adds more
    ts.execute("a", {"x": "hi"})        # -> "HI"

    render_werf_config(project_dir, config_path, templates_dir, env)   # werf.yaml -> rendered text

Errors are `TemplateError` (a `ConfigError` with `path`, `line`, `column`, `template`), worded like Go's.
Template functions declare Go signatures with `@gofunc(...)` and return Go errors by raising `GoError`.
"""

from __future__ import annotations

from werf_core.config.gotemplate.errors import GoError, TemplateError
from werf_core.config.gotemplate.funcs import GoFunc, gofunc
from werf_core.config.gotemplate.render import render_werf_config, render_werf_config_text
from werf_core.config.gotemplate.template_set import TemplateSet
from werf_core.config.gotemplate.werf_funcs import werf_functions

__all__ = [
    "GoError",
    "GoFunc",
    "TemplateError",
    "TemplateSet",
    "gofunc",
    "render_werf_config",
    "render_werf_config_text",
    "werf_functions",
]
