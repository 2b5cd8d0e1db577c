"""werf 1.2/2.x keys: each accepted with good values, refused with bad ones at the right line, exposed on the models."""

from __future__ import annotations

import pytest

from tests.config.support import error, load

META_HEAD = "project: demo\nconfigVersion: 1\n"
IMAGE = "---\nimage: app\nfrom: alpine\n"


def meta(text: str):
    return load(META_HEAD + text + IMAGE, meta=False).meta


def meta_error(text: str):
    return error(META_HEAD + text + IMAGE, meta=False)


def stapel(text: str):
    return load("image: app\nfrom: alpine\n" + text).images[0]


def stapel_error(text: str):
    return error("image: app\nfrom: alpine\n" + text)


def dockerfile(text: str):
    return load("image: app\ndockerfile: Dockerfile\n" + text).dockerfile_images[0]


def dockerfile_error(text: str):
    return error("image: app\ndockerfile: Dockerfile\n" + text)


# --- meta: build ----------------------------------------------------------------------------------------------------

def test_meta_build_settings():
    build = meta("build:\n  cacheVersion: v3\n  platform: [linux/amd64, linux/arm64/v8]\n  staged: true\n"
                 "  imageSpec:\n    author: Ops <ops@example.com>\n    clearHistory: true\n    config:\n"
                 "      labels: {team: core}\n      removeLabels: [old, /^org\\.opencontainers\\./]\n"
                 "      keepEssentialWerfLabels: true\n").build
    assert build.cache_version == "v3" and build.platform == ("linux/amd64", "linux/arm64/v8") and build.staged
    spec = build.image_spec
    assert spec.author == "Ops <ops@example.com>" and spec.clear_history
    assert spec.config.labels == {"team": "core"} and spec.config.remove_labels == ("old", "/^org\\.opencontainers\\./")
    assert spec.config.keep_essential_werf_labels


@pytest.mark.parametrize("text, line, message", [
    ("build:\n  platform: [amd64]\n", 4, 'invalid platform "amd64"'),
    ("build:\n  platform: [linux/amd64, linux/amd64]\n", 4, "listed twice"),
    ("build:\n  cacheVersion: ''\n", 4, "must not be empty"),
    ("build:\n  staged: yes please\n", 4, "expected true or false"),
    ("build:\n  imageSpec:\n    config:\n      cmd: [a]\n", 6, 'unknown key "cmd"'),
    ("build:\n  imageSpec:\n    config:\n      removeLabels: ['/[a/']\n", 6, "invalid regular expression"),
    ("build:\n  imageSpec:\n    clearHistory: 1\n", 5, "expected true or false"),
    ("build:\n  plattform: [linux/amd64]\n", 4, 'did you mean "platform"'),
])
def test_meta_build_bad_values(text, line, message):
    err = meta_error(text)
    assert err.line == line and message in err.message and err.path == "werf.yaml"


# --- meta: deploy, gitWorktree -------------------------------------------------------------------------------------

def test_meta_deploy_keys():
    deploy = meta("deploy:\n  helmChartDir: .helm/app\n  helmChartConfig:\n    appVersion: 1.2.3\n"
                  "  helmRelease: '[[ project ]]-[[ env ]]'\n  helmReleaseSlug: false\n"
                  "  namespace: '[[ project ]]'\n  namespaceSlug: true\n").deploy
    assert deploy.helm_chart_dir == ".helm/app" and deploy.helm_chart_config.app_version == "1.2.3"
    assert deploy.helm_release == "[[ project ]]-[[ env ]]" and deploy.helm_release_slug is False
    assert deploy.namespace == "[[ project ]]" and deploy.namespace_slug is True


@pytest.mark.parametrize("text, line, message", [
    ("deploy:\n  helmChartDir: /etc\n", 4, "must be a path inside the project"),
    ("deploy:\n  helmChartDir: ../other\n", 4, "must be a path inside the project"),
    ("deploy:\n  helmReleaseSlug: 'no'\n", 4, "expected true or false"),
    ("deploy:\n  helmChartConfig:\n    version: 1\n", 5, 'unknown key "version"'),
    ("deploy:\n  helmChart: .helm\n", 4, 'unknown key "helmChart"'),
])
def test_meta_deploy_bad_values(text, line, message):
    err = meta_error(text)
    assert err.line == line and message in err.message


def test_git_worktree_defaults_and_values():
    worktree = meta("gitWorktree:\n  forceShallowClone: true\n").git_worktree
    assert worktree.force_shallow_clone and worktree.allow_unshallow and worktree.allow_fetch_origin_branches_and_tags
    err = meta_error("gitWorktree:\n  allowUnshallow: maybe\n")
    assert err.line == 4 and "expected true or false" in err.message


# --- meta: cleanup --------------------------------------------------------------------------------------------------

def test_cleanup_switches_and_policies():
    cleanup = meta("cleanup:\n  disableKubernetesBasedPolicy: true\n  disableGitHistoryBasedPolicy: false\n"
                   "  disableBuiltWithinLastNHoursPolicy: true\n  keepImagesBuiltWithinLastNHours: 12\n"
                   "  keepPolicies:\n  - references:\n      branch: /^(main|staging)$/\n"
                   "      limit: {last: 5, in: 168h, operator: Or}\n    imagesPerReference: {last: 2}\n").cleanup
    assert cleanup.disable_kubernetes_based_policy and not cleanup.disable_git_history_based_policy
    assert cleanup.disable_built_within_last_n_hours_policy and cleanup.keep_hours == 12
    policy = cleanup.keep_policies[0]
    assert policy.references.pattern.search("staging") and policy.references.limit.operator == "Or"
    assert meta("cleanup:\n  disable: true\n").cleanup.keep_hours == 2


@pytest.mark.parametrize("text, line, message", [
    ("cleanup:\n  keepImagesBuiltWithinLastNHours: -1\n", 4, "0 or more"),
    ("cleanup:\n  keepImagesBuiltWithinLastNHours: 2h\n", 4, "whole number of hours"),
    ("cleanup:\n  disableKubernetesBasedPolicy: 1\n", 4, "expected true or false"),
    ("cleanup:\n  keepPolicies:\n  - references: {tag: '/v[/'}\n", 5, "invalid regular expression"),
    ("cleanup:\n  keepPolicies:\n  - references: {branch: main, limit: {in: 3d}}\n", 5, "no day unit"),
])
def test_cleanup_bad_values(text, line, message):
    err = meta_error(text)
    assert err.line == line and message in err.message


# --- images: final, platform, cacheVersion, disableGitAfterPatch --------------------------------------------------

def test_stapel_image_scalars():
    image = stapel("final: false\nplatform: linux/arm64\ncacheVersion: 2\ndisableGitAfterPatch: true\n")
    assert image.final is False and image.platform == ("linux/arm64",) and image.cache_version == "2"
    assert image.disable_git_after_patch


@pytest.mark.parametrize("text, line, message", [
    ("final: 'false'\n", 6, "expected true or false"),
    ("platform: [linux]\n", 6, 'invalid platform "linux"'),
    ("cacheVersion: ''\n", 6, "must not be empty"),
    ("cacheVersion: [1]\n", 6, "expected a string"),
])
def test_stapel_image_scalar_errors(text, line, message):
    err = stapel_error(text)
    assert err.line == line and message in err.message


# --- images: imageSpec ----------------------------------------------------------------------------------------------

FULL_SPEC = """\
imageSpec:
  author: Dev <dev@example.com>
  clearHistory: true
  config:
    user: "1000:1000"
    cmd: [app, --serve]
    entrypoint: [/sbin/tini, --]
    workingDir: /app
    stopSignal: SIGINT
    labels: {org.example/version: "1.0"}
    env: {PORT: 8080, DEBUG: ""}
    volumes: [/data]
    expose: [8080/tcp, "9090"]
    healthcheck: {test: [CMD-SHELL, "wget -q -O- localhost:8080"], interval: 10, timeout: 3, startPeriod: 5, retries: 3}
    removeLabels: [maintainer]
    removeEnv: [/^BUILD_/]
    removeVolumes: [/var/cache]
    keepEssentialWerfLabels: true
"""


def test_image_spec_all_keys():
    spec = stapel(FULL_SPEC).image_spec
    config = spec.config
    assert spec.author == "Dev <dev@example.com>" and spec.clear_history
    assert config.user == "1000:1000" and config.cmd == ("app", "--serve") and config.entrypoint == ("/sbin/tini", "--")
    assert config.working_dir == "/app" and config.stop_signal == "SIGINT"
    assert config.labels == {"org.example/version": "1.0"} and config.env == {"PORT": "8080", "DEBUG": ""}
    assert config.volumes == ("/data",) and config.expose == ("8080/tcp", "9090")
    assert config.healthcheck.test[0] == "CMD-SHELL" and config.healthcheck.start_period == 5
    assert config.remove_labels == ("maintainer",) and config.remove_env == ("/^BUILD_/",)
    assert config.remove_volumes == ("/var/cache",) and config.keep_essential_werf_labels
    assert dockerfile(FULL_SPEC).image_spec == spec


@pytest.mark.parametrize("text, line, message", [
    ("imageSpec:\n  config:\n    stopSignal: TERM!\n", 8, "invalid stop signal"),
    ("imageSpec:\n  config:\n    expose: [http]\n", 8, 'invalid port "http"'),
    ("imageSpec:\n  config:\n    volumes: [data]\n", 8, "absolute path"),
    ("imageSpec:\n  config:\n    cmd: {a: b}\n", 8, "expected a string or a list of strings"),
    ("imageSpec:\n  config:\n    healthcheck: {test: [RUN, x]}\n", 8, "NONE, CMD or CMD-SHELL"),
    ("imageSpec:\n  config:\n    healthcheck: {test: [CMD], interval: 10s}\n", 8, "expected a whole number"),
    ("imageSpec:\n  config:\n    removeEnv: ['/(/']\n", 8, "invalid regular expression"),
    ("imageSpec:\n  config:\n    cmd: [a]\n    clearCmd: true\n", 9, "contradict"),
    ("imageSpec:\n  config:\n    workdir: /app\n", 8, 'did you mean "workingDir"'),
    ("imageSpec:\n  autor: me\n", 7, 'did you mean "author"'),
    ("imageSpec:\n  config:\n    env: {A=B: c}\n", 8, "invalid environment variable name"),
    ("docker: {WORKDIR: /app}\nimageSpec: {author: me}\n", 7, "cannot be used together"),
])
def test_image_spec_errors(text, line, message):
    err = stapel_error(text)
    assert err.line == line and message in err.message


def test_image_spec_is_refused_for_artifacts_with_its_own_message():
    err = error("artifact: build\nfrom: alpine\nimageSpec:\n  author: me\n")
    assert err.line == 6 and "`imageSpec` directive (werf 1.2+) is not supported for artifacts" in err.message
    assert "did you mean" not in err.message


def test_image_spec_misplaced_is_not_taken_for_image():
    err = error("image: app\nfrom: alpine\nimport:\n- image: b\n  imageSpec: {}\n  add: /x\n  after: install\n"
                "---\nimage: b\nfrom: alpine\n")
    assert 'unknown key "imageSpec"' in err.message and "did you mean" not in err.message
    assert "stapel image sections" in err.message and err.line == 8


def test_meta_image_spec_defaults_merge_into_every_image():
    config = load(META_HEAD + "build:\n  imageSpec:\n    author: Ops\n    clearHistory: true\n    config:\n"
                  "      labels: {team: core, tier: x}\n      removeLabels: [a]\n"
                  "---\nimage: app\nfrom: alpine\nimageSpec:\n  author: Dev\n  config:\n    labels: {tier: web}\n"
                  "    removeLabels: [b, a]\n---\nimage: worker\nfrom: alpine\n", meta=False)
    app, worker = config.image_spec_of("app"), config.image_spec_of("worker")
    assert app.author == "Dev" and app.clear_history and app.config.labels == {"team": "core", "tier": "web"}
    assert app.config.remove_labels == ("b", "a")
    assert worker.author == "Ops" and worker.config.labels == {"team": "core", "tier": "x"}


# --- images: secrets --------------------------------------------------------------------------------------------------

def test_secrets_ids():
    secrets = stapel("secrets:\n- env: NPM_TOKEN\n- src: ./certs/ca.pem\n- id: api\n  value: s3cr3t\n"
                     "- id: aws\n  src: ~/.aws/credentials\n").secrets
    assert [s.secret_id for s in secrets] == ["NPM_TOKEN", "ca.pem", "api", "aws"]
    assert [s.kind for s in secrets] == ["env", "src", "value", "src"]
    assert "s3cr3t" not in repr(secrets)
    assert dockerfile("secrets:\n- env: TOKEN\n").secrets[0].secret_id == "TOKEN"


@pytest.mark.parametrize("text, line, message", [
    ("secrets:\n- id: x\n", 7, "needs one source"),
    ("secrets:\n- env: A\n  value: b\n", 8, "only one of env, src or value"),
    ("secrets:\n- value: b\n", 7, "needs an `id`"),
    ("secrets:\n- env: 1A\n", 7, "invalid environment variable name"),
    ("secrets:\n- id: a b\n  value: x\n", 7, "invalid secret id"),
    ("secrets:\n- env: A\n- id: A\n  value: x\n", 8, 'share the id "A"'),
    ("secrets:\n- environment: A\n", 7, 'unknown key "environment"'),
])
def test_secret_errors(text, line, message):
    err = stapel_error(text)
    assert err.line == line and message in err.message
    assert "x\n" not in err.hint if err.hint else True


# --- images: dependencies -------------------------------------------------------------------------------------------

DEPENDENCY_TARGET = "---\nimage: base\nfrom: alpine\n"


def test_stapel_dependencies_with_env_targets():
    config = load("image: app\nfrom: alpine\ndependencies:\n- image: base\n  after: install\n  imports:\n"
                  "  - {type: ImageName, targetEnv: BASE_NAME}\n  - {type: ImageID, targetEnv: BASE_ID}\n"
                  "  - {type: ImageRepo, targetEnv: BASE_REPO}\n  - {type: ImageTag, targetEnv: BASE_TAG}\n"
                  "  - {type: ImageDigest, targetEnv: BASE_DIGEST}\n" + DEPENDENCY_TARGET)
    dep = config.get("app").dependencies[0]
    assert [i.target for i in dep.imports] == ["BASE_NAME", "BASE_ID", "BASE_REPO", "BASE_TAG", "BASE_DIGEST"]
    assert [m.name for m in config.dependency_sets(["app"])[0]] == ["base"]


def test_dockerfile_dependencies_with_build_arg_targets():
    config = load("image: app\ndockerfile: Dockerfile\ndependencies:\n- image: base\n  imports:\n"
                  "  - {type: ImageName, targetBuildArg: BASE_IMAGE}\n" + DEPENDENCY_TARGET)
    assert config.get("app").dependencies[0].imports[0].target == "BASE_IMAGE"
    assert [[m.name for m in s] for s in config.dependency_sets(["app"])] == [["base"], ["app"]]


@pytest.mark.parametrize("body, line, message", [
    ("image: app\nfrom: alpine\ndependencies:\n- image: base\n  after: install\n  imports:\n"
     "  - {type: ImageName, targetBuildArg: X}\n", 10, "`targetBuildArg` is for Dockerfile images"),
    ("image: app\ndockerfile: Dockerfile\ndependencies:\n- image: base\n  imports:\n"
     "  - {type: ImageName, targetEnv: X}\n", 9, "`targetEnv` is for stapel images"),
    ("image: app\ndockerfile: Dockerfile\ndependencies:\n- image: base\n  after: install\n", 8,
     'unknown key "after"'),
    ("image: app\nfrom: alpine\ndependencies:\n- image: base\n  after: install\n  imports:\n"
     "  - {type: ImageSize, targetEnv: X}\n", 10, "invalid dependency import `type`"),
    ("image: app\ndockerfile: Dockerfile\ndependencies:\n- image: nope\n", 7, 'no such image "nope"'),
    ("image: app\ndockerfile: Dockerfile\ndependencies:\n- image: base\n  imports:\n"
     "  - {type: ImageName, targetBuildArg: X}\n  - {type: ImageTag, targetBuildArg: X}\n", 8, "used twice"),
])
def test_dependency_errors(body, line, message):
    err = error(body + DEPENDENCY_TARGET)
    assert err.line == line and message in err.message


def test_a_dependency_build_arg_that_args_also_set_is_refused():
    err = error("image: app\ndockerfile: Dockerfile\nargs:\n  BASE: x\ndependencies:\n- image: base\n  imports:\n"
                "  - {type: ImageName, targetBuildArg: BASE}\n" + DEPENDENCY_TARGET)
    assert err.line == 11 and 'build argument "BASE" is set both by `args` and by dependencies[0]' in err.message


def test_build_platform_is_every_image_platform_unless_the_image_sets_its_own():
    config = load("project: demo\nconfigVersion: 1\nbuild:\n  platform: [linux/arm64]\n---\nimage: a\n"
                  "dockerfile: Dockerfile\n---\nimage: b\ndockerfile: Dockerfile\nplatform: [linux/amd64, "
                  "linux/arm/v7]\n---\nimage: c\nfrom: alpine\n", meta=False)
    assert config.get("a").platforms == ("linux/arm64",)
    assert config.get("b").platforms == ("linux/amd64", "linux/arm/v7")
    assert config.get("c").platforms == ("linux/arm64",)


# --- Dockerfile image keys -------------------------------------------------------------------------------------------

def test_dockerfile_image_newer_keys():
    image = dockerfile("final: false\ncacheVersion: v1\nplatform: [linux/amd64]\nstaged: true\n"
                       "contextAddFiles: [.env, generated/]\n")
    assert image.final is False and image.cache_version == "v1" and image.platform == ("linux/amd64",)
    assert image.staged and image.context_add_files == (".env", "generated/")


@pytest.mark.parametrize("text, line, message", [
    ("contextAddFiles: [../secret]\n", 6, "relative to the context"),
    ("staged: 1\n", 6, "expected true or false"),
    ("final: null\n", 6, "expected true or false"),
    ("platform: [linux/amd64, arm64]\n", 6, 'invalid platform "arm64"'),
    ("platform: linux/amd64/v1/x\n", 6, "invalid platform"),
])
def test_dockerfile_image_newer_key_errors(text, line, message):
    err = dockerfile_error(text)
    assert err.line == line and message in err.message


# --- imports from external images --------------------------------------------------------------------------------------

def test_import_from_an_external_image_or_a_config_image():
    config = load("image: app\nfrom: alpine\nimport:\n- from: nginx:1.25\n  add: /etc/nginx\n  after: install\n"
                  "- from: base\n  add: /opt\n  before: setup\n- from: ghcr.io/o/tool@sha256:" + "a" * 64 +
                  "\n  add: /bin/tool\n  after: setup\n" + DEPENDENCY_TARGET)
    app = config.get("app")
    assert [i.source_name for i in app.imports] == ["nginx:1.25", "base", "ghcr.io/o/tool@sha256:" + "a" * 64]
    assert [m.name for m in config.dependencies_of(app)] == ["base"]


@pytest.mark.parametrize("body, line, message", [
    ("import:\n- from: nginx\n  add: /x\n  after: install\n", 7, 'no such image "nginx"'),
    ("import:\n- from: nginx:1.25\n  image: base\n  add: /x\n  after: install\n", 7, "only one source"),
])
def test_import_from_errors(body, line, message):
    err = error("image: app\nfrom: alpine\n" + body + DEPENDENCY_TARGET)
    assert err.line == line and message in err.message


# --- misplaced newer keys --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    ("image: app\nfrom: alpine\nbuild: {platform: [linux/amd64]}\n", "`build` is a werf key of the meta section"),
    ("image: app\nfrom: alpine\nkeepPolicies: []\n", "`keepPolicies` is a werf key of the meta section's `cleanup`"),
    ("image: app\nfrom: alpine\nhelmRelease: x\n", "`helmRelease` is a werf key of the meta section's `deploy`"),
])
def test_newer_keys_in_the_wrong_place_say_where_they_belong(body, message):
    err = error(body)
    assert message in err.message and err.line == 6


def test_secrets_in_the_meta_section_point_at_images():
    err = meta_error("secrets:\n- env: A\n")
    assert "`secrets` is a werf key of stapel image sections" in err.message and err.line == 3


# --- cache versions reach the stage digests ----------------------------------------------------------------------------

def test_cache_versions_extend_the_from_digest_input_only_when_set():
    from werf_core.stages.from_config import image_spec
    plain = load("image: app\nfrom: alpine\nfromCacheVersion: x\n").images[0]
    assert image_spec(plain).from_cache_version == "x"                     # configs without cacheVersion: unchanged
    own = load("image: app\nfrom: alpine\nfromCacheVersion: x\ncacheVersion: 2\n").images[0]
    both = load(META_HEAD + "build:\n  cacheVersion: b1\n" + IMAGE + "cacheVersion: 2\n", meta=False).images[0]
    build_only = load(META_HEAD + "build:\n  cacheVersion: b1\n" + IMAGE, meta=False).images[0]
    versions = {image_spec(m).from_cache_version for m in (plain, own, both, build_only)}
    assert len(versions) == 4
    assert both.cache_versions == ("b1", "2") and build_only.cache_versions == ("b1",)


def test_intermediate_images_are_named_for_the_publisher():
    config = load("image: a\nfrom: alpine\nfinal: false\n---\nimage: b\nfrom: alpine\n---\nartifact: c\nfrom: alpine\n")
    assert config.intermediate_image_names() == frozenset({"a"})
