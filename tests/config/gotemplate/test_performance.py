"""A large werf.yaml (2,000 lines, 50 images, ranges, includes, dict/merge, indent) renders completely and the same
way twice (the second time from the parse cache). How fast is measured by bench/config_render.py, not here: a timed
assertion on a shared 2-core machine says more about the machine than about the code."""

from __future__ import annotations

from werf_core.config.gotemplate import render_werf_config

DOCKER_TMPL = '''{{- define "docker" -}}
docker:
  ENV:
    NAME: {{ .name }}
  EXPOSE: {{ .port | toString | quote }}
{{- end -}}
'''


def _big_werf_yaml() -> str:
    lines = ["project: big", "configVersion: 1",
             '{{- $base := dict "shell" (dict "install" (list "apk add curl" "apk add git")) }}']
    for i in range(50):
        lines += [
            "---",
            f'{{{{- $img := merge (dict "name" "image-{i}" "port" {8000 + i}) $base }}}}',
            "image: {{ $img.name }}",
            'from: {{ env "BASE_IMAGE" | default "alpine:3.20" }}',
            "git:",
            "- add: /",
            f"  to: /app/{i}",
            "  stageDependencies:",
            "    install:",
            "    - package.json",
            "shell:",
            "  install:",
            "{{- range $cmd := $img.shell.install }}",
            "  - {{ $cmd | quote }}",
            "{{- end }}",
            "  setup:",
            "{{- range $k := until 8 }}",
            "  - echo step {{ $k }} for {{ $img.name | upper }} on port {{ $img.port }}",
            "{{- end }}",
            '{{ include "docker" (dict "name" $img.name "port" $img.port) | indent 0 }}',
        ]
    while len(lines) < 2000:
        lines.append('# padding {{ "line" | title }}')
    return "\n".join(lines) + "\n"


def test_large_werf_yaml_renders_completely_and_repeatably(tmp_path):
    (tmp_path / ".werf").mkdir()
    (tmp_path / ".werf" / "docker.tmpl").write_text(DOCKER_TMPL)
    text = _big_werf_yaml()
    assert text.count("\n") == 2000
    (tmp_path / "werf.yaml").write_text(text)
    out = render_werf_config(tmp_path, tmp_path / "werf.yaml", None, {})
    assert out.count("\nimage: image-") == 50
    assert '  EXPOSE: "8049"' in out and "echo step 7 for IMAGE-49 on port 8049" in out
    assert render_werf_config(tmp_path, tmp_path / "werf.yaml", None, {}) == out      # from the parse cache
