"""Property: any mutation of a valid werf.yaml loads cleanly or fails with one ConfigError — never another exception.

Mutations: delete, duplicate or swap lines; change indentation; replace a value with a value of another type; insert
YAML anchors/aliases/separators; insert Go template actions. The template-free path (`parse_werf_config`) runs every
mutation; the full path through the template engine (`load_werf_config`) runs when the engine is importable.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from werf_core.config import load_werf_config, parse_werf_config
from werf_core.errors import ConfigError

DATA = Path(__file__).parent / "data"

BASE_CONFIGS = [
    (DATA / "symfony-demo.werf.yaml").read_text(),
    """\
project: demo
configVersion: 1
cleanup:
  keepPolicies:
  - references: {branch: /^main$/, limit: {last: 5, in: 72h}}
    imagesPerReference: {last: 2}
deploy:
  helmRelease: demo
---
artifact: builder
from: golang:1.22
mount:
- from: build_dir
  to: /root/.cache/go-build
git:
- add: /
  to: /src
  includePaths: [cmd, go.mod]
  stageDependencies:
    install: [go.mod, go.sum]
    setup: '**/*.go'
shell:
  install: cd /src && go mod download
  setup: [cd /src && go build -o /out/app ./cmd/app]
---
image: app
from: alpine:3.20
fromCacheVersion: 1.10
import:
- artifact: builder
  add: /out/app
  to: /usr/local/bin/app
  after: install
docker:
  ENV: {MODE: prod, LEVEL: 3}
  EXPOSE: [8080/tcp]
  ENTRYPOINT: [/usr/local/bin/app]
  WORKDIR: /
---
image: [worker, cron]
fromImage: app
dependencies:
- image: app
  before: setup
  imports:
  - type: ImageName
    targetEnv: APP_IMAGE
---
image: web
dockerfile: web/Dockerfile
context: web
args: {VERSION: 1}
""",
]

REPLACEMENT_VALUES = ["[1, 2]", "{a: b}", "~", "true", "123", "''", "-1.5", "[]", "{}", "|\n  text", "*nope",
                      "!!binary aGk=", "0755", "2020-01-01", '"quoted"', "[a, [b]]", "&anchor x", "{{ }}"]
TEMPLATE_ACTIONS = ['{{ if true }}', '{{ end }}', '{{ .Files.Get "missing.txt" }}', '{{ include "nope" . }}',
                    '{{- /* comment */ -}}', '{{ $x := 1 }}', '{{ range $i := until 2 }}', '{{ $x }}',
                    '{{ env "HOME" }}', '{{ printf "%d" 1 }}', '{{', '}}', '{{ fail "stop" }}', '{{ "---" }}']
YAML_NOISE = ["---", "...", "- x", "? a", "<<: *a", "&a", "key: &a [*a]", "\t", "'unterminated", ": bare"]

VALUE = re.compile(r"^(\s*-?\s*[\w.]+:)\s+(.*)$")


@st.composite
def mutated_configs(draw) -> str:
    lines = draw(st.sampled_from(BASE_CONFIGS)).split("\n")
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        index = draw(st.integers(min_value=0, max_value=max(0, len(lines) - 1)))
        operation = draw(st.sampled_from(["delete", "duplicate", "swap", "indent", "dedent", "value", "template",
                                          "template-inline", "noise"]))
        line = lines[index] if lines else ""
        if operation == "delete" and lines:
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, line)
        elif operation == "swap" and len(lines) > 1:
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif operation == "indent":
            lines[index:index + 1] = [" " * draw(st.integers(1, 4)) + line]
        elif operation == "dedent":
            lines[index:index + 1] = [line[draw(st.integers(1, 4)):]]
        elif operation == "value":
            match = VALUE.match(line)
            if match:
                lines[index] = f"{match.group(1)} {draw(st.sampled_from(REPLACEMENT_VALUES))}"
        elif operation == "template":
            lines.insert(index, draw(st.sampled_from(TEMPLATE_ACTIONS)))
        elif operation == "template-inline":
            position = draw(st.integers(min_value=0, max_value=len(line)))
            lines[index:index + 1] = [line[:position] + draw(st.sampled_from(TEMPLATE_ACTIONS)) + line[position:]]
        elif operation == "noise":
            lines.insert(index, draw(st.sampled_from(YAML_NOISE)))
    return "\n".join(lines)


def test_base_configs_are_valid():
    for text in BASE_CONFIGS:
        if "{{" not in text:
            assert parse_werf_config(text, source_text=text).image_names()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_configs())
def test_mutations_end_in_config_error_or_success(text):
    try:
        config = parse_werf_config(text, source_text=text)
    except ConfigError as err:
        assert err.message and "\n" not in err.message.split("\n")[0]
        assert err.line is None or err.line >= 1
        return
    assert config.meta.project


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(text=mutated_configs())
def test_mutations_through_the_template_engine(tmp_path_factory, text):
    project = tmp_path_factory.mktemp("fuzz")
    (project / "werf.yaml").write_text(text)
    try:
        config = load_werf_config(project, env={"HOME": "/root"})
    except ConfigError as err:
        assert err.message
        return
    assert config.meta.project
