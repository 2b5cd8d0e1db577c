"""Template functions and data of werf 1.2/2.x: env with a default, required, expandenv, include/tpl, the *_debug
helpers, `.Env`, `.Commit`, `.Files.IsDir`."""

from __future__ import annotations

import subprocess

import pytest

from werf_core.config.gotemplate import TemplateError, render_werf_config_text
from werf_core.config.gotemplate.werf_funcs import UnsetEnvRead


def render(text: str, tmp_path, env: dict | None = None, unset: list | None = None) -> str:
    return render_werf_config_text(text, project_dir=tmp_path, env=env if env is not None else {}, unset_env=unset)


@pytest.mark.parametrize("template, env, expected", [
    ('{{ env "A" "dflt" }}', {}, "dflt"),                    # unset → default
    ('{{ env "A" "dflt" }}', {"A": ""}, "dflt"),             # empty → default, as werf
    ('{{ env "A" "dflt" }}', {"A": "set"}, "set"),
    ('{{ env "A" }}', {}, ""),                               # no default, unset → "" (no giterminism here)
    ('{{ env 42 "x" }}', {"42": "num"}, "num"),              # the name is fmt.Sprint'ed
    ('{{ "A" | env }}', {"A": "piped"}, "piped"),
    ('{{ env "A" | default "d" }}', {}, "d"),
])
def test_env_with_default(tmp_path, template, env, expected):
    assert render(template, tmp_path, env) == expected


def test_env_rejects_a_second_default(tmp_path):
    with pytest.raises(TemplateError) as info:
        render('{{ env "A" "b" "c" }}', tmp_path)
    assert info.value.go_message.endswith("error calling env: more than 1 optional argument prohibited")


def test_unset_reads_are_recorded_with_their_place(tmp_path):
    unset: list[UnsetEnvRead] = []
    render('a\n{{ env "ONE" }}{{ env "TWO" "x" }}\n{{ expandenv "$THREE-${SET}" }}{{ env "ONE" }}', tmp_path,
           {"SET": "y"}, unset)
    assert [(r.name, r.function, r.path, r.line) for r in unset] == [
        ("ONE", "env", "werf.yaml", 2), ("THREE", "expandenv", "werf.yaml", 3), ("ONE", "env", "werf.yaml", 3)]


def test_required(tmp_path):
    assert render('{{ required "need A" (env "A") }}', tmp_path, {"A": "v"}) == "v"
    with pytest.raises(TemplateError) as info:
        render('{{ required "need A" (env "A") }}', tmp_path)
    assert "error calling required: need A" in info.value.go_message


def test_debug_helpers_render_nothing(tmp_path):
    text = ('{{ define "x" }}X{{ end }}[{{ include_debug "x" . }}{{ tpl_debug "{{ 1 }}" . }}'
            '{{ printf_debug "%s=%d" "a" 1 }}]')
    assert render(text, tmp_path) == "[]"


def test_env_data_is_the_werf_environment(tmp_path):
    assert render("[{{ .Env }}]", tmp_path, {"WERF_ENV": "staging"}) == "[staging]"
    assert render("[{{ .Env }}]", tmp_path, {}) == "[]"


def test_commit_data_reads_head(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f").write_text("x")
    subprocess.run(["git", "-C", str(tmp_path), "add", "f"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "m"],
                   check=True, env={"GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z", "PATH": "/usr/bin:/bin"})
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    out = render("{{ .Commit.Hash }} {{ .Commit.Date.Unix }}", tmp_path)
    assert out == f"{head} 1704164645"


def test_commit_data_outside_git_is_empty(tmp_path):
    assert render("[{{ .Commit.Hash }}]", tmp_path) == "[]"


def test_files_is_dir_and_exists(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    out = render('{{ .Files.IsDir "d" }} {{ .Files.IsDir "d/f" }} {{ .Files.Exists "d/f" }} {{ .Files.IsDir "no" }}',
                 tmp_path)
    assert out == "true false true false"
    with pytest.raises(TemplateError):
        render('{{ .Files.IsDir "../" }}', tmp_path)


def test_tpl_and_include_keep_go_semantics(tmp_path):
    text = ('{{ define "svc" }}name: {{ .name }}{{ end }}'
            '{{ include "svc" (dict "name" "api") | indent 2 }}|{{ tpl "{{ .a }}" (dict "a" (env "X" "dx")) }}')
    assert render(text, tmp_path) == "  name: api|dx"
