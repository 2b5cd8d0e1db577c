"""A corpus of werf.yaml files in the styles of werf 1.1, 1.2 and 2.x documentation and examples (templates,
partials in `.werf/`, several documents, artifacts, Dockerfile images, imageSpec, dependencies, cleanup, deploy):
every one renders and loads, and so does its CRLF twin, to the same models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from werf_core.config import load_werf_config

CORPUS = Path(__file__).parent / "data" / "corpus"
PROJECTS = sorted(p.name for p in CORPUS.iterdir() if (p / "werf.yaml").is_file())
ENV = {"NPM_REGISTRY": "https://npm.example.com", "HOSTNAME": "builder-1"}


def test_the_corpus_covers_every_werf_generation():
    assert len(PROJECTS) >= 40
    generations = {name.split("-")[0] for name in PROJECTS}
    assert generations == {"v11", "v12", "v2"}
    assert sum(1 for name in PROJECTS if (CORPUS / name / ".werf").is_dir()) >= 5


def _snapshot(config) -> list:
    return [(type(m).__name__, m.name, m.model_dump()) for m in config.all()] + [config.meta.model_dump()]


def _copy(source: Path, target: Path, *, crlf: bool) -> Path:
    """A copy outside any git repository (so `.Commit` reads the same for both), optionally with CRLF templates."""
    shutil.copytree(source, target)
    for path in [target / "werf.yaml", *(target / ".werf").rglob("*.tmpl")]:
        if crlf and path.is_file():
            path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return target


@pytest.mark.parametrize("name", PROJECTS)
def test_corpus_config_loads_with_lf_and_crlf(name, tmp_path):
    config = load_werf_config(_copy(CORPUS / name, tmp_path / "lf", crlf=False), env=ENV)
    assert config.all(), f"{name}: no images"
    crlf = load_werf_config(_copy(CORPUS / name, tmp_path / "crlf", crlf=True), env=ENV)
    assert b"\r\n" in (tmp_path / "crlf" / "werf.yaml").read_bytes()
    assert _snapshot(crlf) == _snapshot(config)
    assert [(m.name, m.source.line) for m in crlf.all()] == [(m.name, m.source.line) for m in config.all()]


def test_corpus_spot_checks():
    def load(name: str):
        return load_werf_config(CORPUS / name, env=ENV)

    assert load("v11-04-range-images").image_names() == ["admin", "shop", "landing"]
    assert load("v11-09-files-get").get("app").docker.label == {"version": "1.4.2"}
    assert load("v12-05-env-defaults").get("app").from_ == "docker.io/library/node:16-alpine"
    assert load("v12-09-helpers-tmpl").image_names() == ["api", "consumer", "cron"]
    assert load("v12-11-tpl-values").get("api").shell.install == ("go build -o /bin/api ./cmd/api",)
    assert load("v12-12-config-version-float").meta.config_version == 1
    spec = load("v2-02-global-imagespec").image_spec_of("frontend")
    assert spec.author == "ACME <dev@acme.example>" and spec.config.labels == {
        "org.opencontainers.image.vendor": "ACME", "component": "frontend"}
    app = load("v2-04-import-from").get("app")
    assert [i.source_name for i in app.imports][:2] == ["tools", "bitnami/kubectl:1.30"]
    assert [s.secret_id for s in load("v2-03-secrets").get("api").secrets] == ["AWS_ACCESS_KEY_ID", "aws"]
    assert load("v2-07-env-commit").get("app").image_spec.config.labels == {"werf-env": "local"}
    assert load_werf_config(CORPUS / "v2-07-env-commit", env={"WERF_ENV": "prod"}).get(
        "app").image_spec.config.labels == {"werf-env": "prod"}


def test_corpus_requires_what_it_says(tmp_path):
    from werf_core.errors import ConfigError
    with pytest.raises(ConfigError) as info:
        load_werf_config(CORPUS / "v12-05-env-defaults", env={})
    assert "NPM_REGISTRY must be set" in info.value.message and "$NPM_REGISTRY" in info.value.hint
