"""Benchmark: render + load of a large templated werf.yaml.

Generates a project whose werf.yaml has about 2,000 lines and 50 images, written the way real configs are: variables,
`range` loops, `include` of templates from `.werf/*.tmpl`, Sprig helpers, git mappings with stageDependencies, shell
and ansible stages (with escaped Jinja), imports from artifacts and docker instructions. Prints a table with the median
of 5 runs of each phase; the target is a full load under 1 s.

    .venv/bin/python bench/config_render.py [--images 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HELPERS = """\
{{- define "git-app" }}
- add: /services/{{ .name }}
  to: /app
  owner: app
  group: app
  includePaths:
  {{- range .paths }}
  - {{ . }}
  {{- end }}
  excludePaths: [tests, docs]
  stageDependencies:
    install:
    - requirements.txt
    - package.json
    beforeSetup: config/**/*
    setup:
    - '**/*.py'
    - '**/*.js'
{{- end }}
{{- define "labels" }}
    service: {{ .name }}
    team: {{ .team | default "platform" }}
    tier: {{ ternary "backend" "frontend" (eq (mod .index 2) 0) }}
{{- end }}
"""

HEADER = """\
{{- $base := "alpine:3.20" }}
{{- $packages := list "ca-certificates" "curl" "tzdata" "git" }}
{{- $version := env "APP_VERSION" | default "1.0.0" }}
project: bench
configVersion: 1
cleanup:
  keepPolicies:
  - references:
      branch: /.*/
      limit:
        last: 20
        in: 168h
    imagesPerReference:
      last: 2
---
artifact: toolbox
from: {{ $base }}
shell:
  install:
  {{- range $tool := list "jq" "yq" "make" }}
  - apk add --no-cache {{ $tool }}
  {{- end }}
  setup: mkdir -p /out && cp /usr/bin/jq /out/
"""

SHELL_IMAGE = """\
---
image: svc-{{NN}}
from: {{ $base }}
fromCacheVersion: {{ printf "cv-%s-{{NN}}" $version | quote }}
git:
{{- include "git-app" (dict "name" "svc-{{NN}}" "paths" (list "src" "lib" "requirements.txt")) }}
- add: /shared
  to: /shared
  includePaths: [proto, schemas]
import:
- artifact: toolbox
  add: /out
  to: /usr/local/toolbox
  after: install
mount:
- from: tmp_dir
  to: /var/cache/apk
- from: build_dir
  to: /root/.cache/pip
shell:
  beforeInstall:
  - apk add --no-cache {{ join " " $packages }}
  - addgroup -S app && adduser -S app -G app
  install:
  {{- range $step := list "pip install -r /app/requirements.txt" "python -m compileall /app" }}
  - {{ $step }}
  {{- end }}
  beforeSetup: echo "configuring svc-{{NN}}"
  setup:
  - echo {{ $version }} > /app/VERSION
  - chown -R app:app /app
  installCacheVersion: "{{NN}}"
docker:
  WORKDIR: /app
  USER: app
  EXPOSE: "80{{NN}}"
  ENV:
    SERVICE: svc-{{NN}}
    VERSION: {{ $version | quote }}
  LABEL:
  {{- include "labels" (dict "name" "svc-{{NN}}" "index" {{N}}) }}
  CMD: [python, -m, app]
"""

ANSIBLE_IMAGE = """\
---
image: svc-{{NN}}
from: {{ $base }}
git:
{{- include "git-app" (dict "name" "svc-{{NN}}" "paths" (list "app" "package.json")) }}
ansible:
  beforeInstall:
  - name: install packages
    apk:
      name: "{{`{{ item }}`}}"
      state: present
      update_cache: yes
    loop:
    {{- range $packages }}
    - {{ . }}
    {{- end }}
  - name: create the app user
    user:
      name: app
      uid: 10{{NN}}
  install:
  - name: install node modules
    shell: npm ci
    args:
      chdir: /app
  setup:
  - name: write the version
    copy:
      content: "{{ $version }}"
      dest: /app/VERSION
      mode: 0644
docker:
  WORKDIR: /app
  EXPOSE: ["90{{NN}}/tcp"]
  ENV:
    SERVICE: svc-{{NN}}
  LABEL:
  {{- include "labels" (dict "name" "svc-{{NN}}" "index" {{N}} "team" "web") }}
  ENTRYPOINT: [node, server.js]
"""


def generate_project(directory: Path, images: int = 50) -> Path:
    """Write werf.yaml and .werf/helpers.tmpl into `directory`; returns the werf.yaml path."""
    (directory / ".werf").mkdir(parents=True, exist_ok=True)
    (directory / ".werf" / "helpers.tmpl").write_text(HELPERS)
    parts = [HEADER]
    for index in range(images):
        template = SHELL_IMAGE if index % 2 == 0 else ANSIBLE_IMAGE
        parts.append(template.replace("{{NN}}", f"{index:02d}").replace("{{N}}", str(index)))
    path = directory / "werf.yaml"
    path.write_text("".join(parts))
    return path


def median_seconds(action, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from werf_core.config.loader import load_werf_config, parse_werf_config, render_config
    from werf_core.errors import WerfError

    with tempfile.TemporaryDirectory(prefix="werf-config-bench-") as tmp:
        project = Path(tmp)
        config_path = generate_project(project, args.images)
        source = config_path.read_text()
        env = {"APP_VERSION": "2.4.1"}
        started = time.perf_counter()
        try:
            load_werf_config(project, env=env)          # first load: imports, pydantic schema build, template parse
        except WerfError as err:
            print(err.render(), file=sys.stderr)
            return 1
        first_load = time.perf_counter() - started
        rendered = render_config(project, config_path, None, env)
        config = parse_werf_config(rendered, source_text=source)
        rows = [
            ("first load in this process (1 run: imports, parse)", first_load),
            ("render (Go template → text, parse cached)",
             median_seconds(lambda: render_config(project, config_path, None, env), args.runs)),
            ("load (split, YAML, validate, cross-check)",
             median_seconds(lambda: parse_werf_config(rendered, source_text=source), args.runs)),
            ("render + load (load_werf_config)", median_seconds(lambda: load_werf_config(project, env=env),
                                                                args.runs)),
        ]
        started = time.perf_counter()
        cli = subprocess.run([sys.executable, "-m", "werf_cli.main", "config", "list", "--dir", str(project)],
                             capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
                             env={"APP_VERSION": "2.4.1", "PATH": "/usr/bin:/bin"})
        cli_seconds = time.perf_counter() - started

    print(f"werf.yaml: {len(source.splitlines())} source lines, {len(rendered.splitlines())} rendered lines, "
          f"{len(config.images)} images, {len(config.artifacts)} artifacts; median of {args.runs} runs\n")
    width = max(len(name) for name, _ in rows) + 2
    print(f"{'phase':<{width}}{'seconds':>10}")
    print("-" * (width + 10))
    for name, seconds in rows:
        print(f"{name:<{width}}{seconds:>10.3f}")
    status = "ok" if cli.returncode == 0 and len(cli.stdout.split()) == len(config.image_names()) + 1 else "FAILED"
    print(f"{'cold `werf config list` process (' + status + ')':<{width}}{cli_seconds:>10.3f}")
    total = rows[-1][1]
    met = total < 1.0 and first_load < 1.0
    print(f"\ntarget: render + load < 1 s, also on the first load in a process → {'met' if met else 'NOT met'} "
          f"({total:.3f} s steady, {first_load:.3f} s first)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
