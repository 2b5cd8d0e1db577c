"""Stapel images and artifacts: directives, normalisation and per-section rules (§10.2)."""

from __future__ import annotations

import pytest

from tests.config.support import error, image, load
from werf_core.config import StapelArtifact, StapelImage
from werf_core.errors import ConfigError


class TestNamesAndBase:
    def test_image_with_from(self):
        app = image("image: app\nfrom: alpine:3.20\nfromCacheVersion: 2\n")
        assert isinstance(app, StapelImage)
        assert app.name == "app" and app.from_ == "alpine:3.20" and app.base_image_reference == "alpine:3.20"
        assert app.from_cache_version == "2"
        assert app.final is True and app.docker is None and app.git == () and not app.is_artifact

    def test_nameless_image(self):
        assert image("image: ~\nfrom: alpine\n").name is None

    def test_list_of_names_gives_one_image_each_with_the_same_config(self):
        config = load("image: [api, worker]\nfrom: alpine\nshell: {install: make}\n")
        api, worker = config.images
        assert (api.name, worker.name) == ("api", "worker")
        assert api.shell == worker.shell and api.from_ == worker.from_
        assert api.source == worker.source

    @pytest.mark.parametrize("names, message", [
        ("[]", "empty list"),
        ("[a, ~]", "non-empty strings"),
        ("[a, '']", "non-empty strings"),
        ("[a, a]", 'image "a" is listed twice'),
        ("{a: 1}", "an image name must be a string"),
    ])
    def test_bad_image_names(self, names, message):
        err = error(f"image: {names}\nfrom: alpine\n")
        assert message in err.message and err.line == 4

    def test_artifact(self):
        builder = image("artifact: builder\nfrom: golang\nshell: {install: go build}\n")
        assert isinstance(builder, StapelArtifact) and builder.name == "builder" and builder.is_artifact

    def test_image_and_artifact_in_one_section(self):
        err = error("image: a\nartifact: b\nfrom: x\n")
        assert "either an image" in err.message and err.line == 5

    @pytest.mark.parametrize("base, attribute", [
        ("fromImage: base", "from_image"), ("fromArtifact: base", "from_artifact"),
        ("fromImageArtifact: base", "from_image_artifact"),
    ])
    def test_other_images_as_base(self, base, attribute):
        config = load(f"artifact: base\nfrom: alpine\n---\nimage: app\n{base}\n"
                      if "Artifact" in base else f"image: base\nfrom: alpine\n---\nimage: app\n{base}\n")
        app = config.get("app")
        assert getattr(app, attribute) == "base" and app.base_name == "base" and app.base_image_reference is None

    def test_a_base_is_required(self):
        err = error("image: app\nshell: {install: make}\n")
        assert 'image "app": a base is required' in err.message and err.line == 4

    def test_only_one_base(self):
        err = error("image: app\nfrom: alpine\nfromImage: other\n")
        assert "conflict between `from` and `fromImage`" in err.message
        assert err.line == 6 and "fromImage: other" in err.snippet

    def test_from_image_artifact_is_deprecated_with_a_warning(self):
        config = load("artifact: a\nfrom: x\n---\nimage: b\nfromImageArtifact: a\n")
        assert len(config.warnings) == 1 and "fromImageArtifact` is deprecated" in config.warnings[0]
        assert load("image: b\nfrom: x\n").warnings == ()

    def test_from_latest_needs_the_acknowledgement(self):
        err = error("image: app\nfrom: alpine\nfromLatest: true\n")
        assert err.line == 6 and "cannot be retried without a rebuild" in err.message
        assert "herebyIAdmitThatFromLatestMightBreakReproducibility: true" in err.hint
        app = image("image: app\nfrom: alpine\nfromLatest: true\n"
                    "herebyIAdmitThatFromLatestMightBreakReproducibility: true\n")
        assert app.from_latest is True

    def test_booleans_are_strict(self):
        err = error("image: app\nfrom: alpine\nfromLatest: 'yes'\n")
        assert 'fromLatest of image "app": expected true or false, got "yes"' in err.message

    def test_v12_directives(self):
        app = image("image: app\nfrom: alpine\nfinal: false\ndisableGitAfterPatch: true\n"
                    "platform: [linux/amd64, linux/arm64/v8]\nasLayers: true\n")
        assert app.final is False and app.disable_git_after_patch is True and app.as_layers is True
        assert app.platform == ("linux/amd64", "linux/arm64/v8")

    def test_bad_platform(self):
        assert 'invalid platform "amd64"' in error("image: app\nfrom: alpine\nplatform: amd64\n").message

    @pytest.mark.parametrize("key", ["final: false", "disableGitAfterPatch: true", "docker: {USER: app}"])
    def test_artifacts_refuse_image_only_directives(self, key):
        err = error(f"artifact: a\nfrom: x\n{key}\n")
        assert "not supported for artifacts" in err.message and 'artifact "a"' in err.message
        assert err.line == 6


class TestGit:
    def test_local_mapping_defaults_and_normalisation(self):
        app = image("""\
            image: app
            from: alpine
            git:
            - to: /app/
              includePaths: src/
              excludePaths: [src/tmp, ./docs//old/]
              owner: app
              group: app
              stageDependencies:
                install: package.json
                setup: ['**/*.py', src/]
            """)
        mapping = app.git[0]
        assert mapping.is_local and not mapping.is_remote
        assert mapping.add == "/" and mapping.to == "/app"
        assert mapping.include_paths == ("src",)
        assert mapping.exclude_paths == ("src/tmp", "docs/old")
        assert (mapping.owner, mapping.group) == ("app", "app")
        deps = mapping.stage_dependencies
        assert deps.install == ("package.json",) and deps.before_setup == () and deps.setup == ("**/*.py", "src")
        assert deps.for_stage("setup") == ("**/*.py", "src") and deps.for_stage("beforeInstall") == ()

    def test_remote_mapping(self):
        mapping = image("image: app\nfrom: alpine\ngit:\n- url: https://example.com/lib.git\n  add: /src\n"
                        "  to: /lib\n  tag: v1.2.0\n").git[0]
        assert mapping.is_remote and mapping.url == "https://example.com/lib.git" and mapping.tag == "v1.2.0"

    @pytest.mark.parametrize("mapping, message, line", [
        ("- add: /\n", 'missing required key "to" in git[0]', 7),
        ("- to: app\n", 'git[0].to of image "app": expected an absolute path', 7),
        ("- add: src\n  to: /app\n", "expected an absolute path", 7),
        ("- to: /app\n  includePaths: /src\n", 'expected relative paths, got the absolute path "/src"', 8),
        ("- to: /app\n  stageDependencies:\n    install: /x\n", "expected relative paths", 9),
        ("- to: /app\n  stageDependencies:\n    instal: x\n", 'did you mean "install"?', 9),
        ("- to: /app\n  includePaths: {a: 1}\n", "expected a string or a list of strings", 8),
        ("- to: /app\n  branch: main\n", "`branch` is only for remote git mappings", 8),
        ("- to: /app\n  commit: abc\n", "`commit` is only for remote git mappings", 8),
        ("- url: https://x/y.git\n  to: /a\n  tag: v1\n  commit: abc\n", "only one of `branch`, `tag` or `commit`",
         10),
        ("- url: https://x/y.git\n  to: /a\n  branch: main\n", 'follows branch "main"', 9),
        ("- url: https://x/y.git\n  to: /a\n", "follows the default branch", 7),
        ("- url: ''\n  to: /a\n", "must not be empty", 7),
    ])
    def test_git_rules(self, mapping, message, line):
        err = error("image: app\nfrom: alpine\ngit:\n" + mapping)
        assert message in err.message
        assert err.line == line

    def test_null_path(self):
        err = error("image: app\nfrom: alpine\ngit:\n- to: ~\n")
        assert "expected an absolute path, got nothing (null)" in err.message and err.line == 7

    def test_remote_branch_with_acknowledgement(self):
        mapping = image("image: app\nfrom: alpine\ngit:\n- url: https://x/y.git\n  to: /a\n  branch: dev\n"
                        "  herebyIAdmitThatBranchMightBreakReproducibility: true\n").git[0]
        assert mapping.branch == "dev"

    def test_branch_hint_names_the_alternatives(self):
        err = error("image: app\nfrom: alpine\ngit:\n- url: https://x/y.git\n  to: /a\n")
        assert "tag" in err.hint and "herebyIAdmitThatBranchMightBreakReproducibility: true" in err.hint


class TestBuilders:
    def test_shell_string_or_list(self):
        shell = image("image: app\nfrom: alpine\nshell:\n  beforeInstall: apk add git\n  install:\n  - make\n"
                      "  - make install\n  cacheVersion: 3\n  setupCacheVersion: x\n").shell
        assert shell.before_install == ("apk add git",) and shell.install == ("make", "make install")
        assert shell.setup == () and shell.commands("install") == ("make", "make install")
        assert shell.cache_version == "3" and shell.stage_cache_version("setup") == "x"

    def test_shell_command_must_be_text(self):
        err = error("image: app\nfrom: alpine\nshell:\n  install:\n  - {a: b}\n")
        assert "expected a string or a list of strings" in err.message and err.line == 7

    def test_ansible_tasks_keep_order_and_plain_values(self):
        tasks = image("""\
            image: app
            from: alpine
            ansible:
              install:
              - name: first
                file: {path: /x, mode: 0755, state: directory}
              - name: second
                shell: echo 1.10
                args: {chdir: /app}
            """).ansible.install
        assert [t["name"] for t in tasks] == ["first", "second"]
        assert list(tasks[0]) == ["name", "file"]
        assert type(tasks[0]["file"]["mode"]) is int and tasks[0]["file"]["mode"] == 0o755
        assert tasks[1]["args"] == {"chdir": "/app"}

    def test_ansible_task_must_be_a_mapping(self):
        err = error("image: app\nfrom: alpine\nansible:\n  install:\n  - name: a\n    shell: x\n  - just text\n")
        assert "Ansible task #2 must be a mapping" in err.message and err.line == 10

    def test_ansible_stage_must_be_a_list(self):
        assert "expected a list of Ansible tasks" in error(
            "image: app\nfrom: alpine\nansible:\n  install: {shell: x}\n").message

    def test_shell_and_ansible_together(self):
        err = error("image: app\nfrom: alpine\nshell: {install: a}\nansible:\n  install: []\n")
        assert "cannot use the shell and ansible builders at the same time" in err.message and err.line == 7


class TestImports:
    def config(self, entry: str):
        return load("artifact: builder\nfrom: golang\n---\nimage: app\nfrom: alpine\nimport:\n" + entry)

    def test_import_fields(self):
        imp = self.config("- artifact: builder\n  add: /out/bin/\n  to: /usr/local/bin\n  after: install\n"
                          "  includePaths: [app]\n  owner: app\n  stage: setup\n").get("app").imports[0]
        assert imp.source_name == "builder" and imp.source_is_artifact
        assert imp.add == "/out/bin" and imp.to == "/usr/local/bin" and imp.stage == "setup"
        assert imp.stage_name == "importsAfterInstall" and imp.include_paths == ("app",) and imp.owner == "app"

    def test_to_defaults_to_add(self):
        imp = self.config("- artifact: builder\n  add: /out\n  before: setup\n").get("app").imports[0]
        assert imp.to == "/out" and imp.stage_name == "importsBeforeSetup"

    @pytest.mark.parametrize("entry, message", [
        ("- add: /out\n  after: install\n", "needs its source: `image: NAME` or `artifact: NAME`"),
        ("- artifact: builder\n  image: x\n  add: /out\n  after: install\n", "only one source"),
        ("- artifact: builder\n  add: /out\n", "needs its place: `before: install|setup`"),
        ("- artifact: builder\n  add: /out\n  before: install\n  after: setup\n", "only one of `before"),
        ("- artifact: builder\n  add: /out\n  after: build\n", 'invalid import stage `after` "build": expected '
                                                               "install or setup"),
        ("- artifact: builder\n  add: /out\n  after: install\n  stage: final\n", 'invalid source `stage` "final": '
                                                                                  "expected beforeInstall, install, "
                                                                                  "beforeSetup or setup"),
        ("- artifact: builder\n  add: out\n  after: install\n", "import[0].add of image \"app\": expected an "
                                                                "absolute path"),
        ("- artifact: builder\n  after: install\n", 'missing required key "add" in import[0] of image "app"'),
        ("- artifact: builder\n  add: /o\n  to: rel\n  after: install\n", "expected an absolute path"),
    ])
    def test_import_rules(self, entry, message):
        with pytest.raises(ConfigError) as info:
            self.config(entry)
        assert message in info.value.message
        assert info.value.line >= 9


class TestMounts:
    def test_mount_kinds(self):
        mounts = image("image: app\nfrom: alpine\nmount:\n- from: tmp_dir\n  to: /var/cache/apt\n"
                       "- from: build_dir\n  to: /root/.cache/\n- fromPath: ~/.m2\n  to: /root/.m2\n").mount
        assert [m.kind for m in mounts] == ["tmp_dir", "build_dir", "custom_dir"]
        assert mounts[1].to == "/root/.cache" and mounts[2].from_path == "~/.m2"

    @pytest.mark.parametrize("entries, message, line", [
        ("- from: tmp_dir\n  fromPath: /x\n  to: /a\n", "not both", 8),
        ("- to: /a\n", "needs `from: tmp_dir|build_dir` or `fromPath: PATH`", 7),
        ("- from: home_dir\n  to: /a\n", 'invalid mount `from` "home_dir": expected tmp_dir or build_dir', 7),
        ("- from: tmp_dir\n  to: a\n", "expected an absolute path", 8),
        ("- from: tmp_dir\n  to: /a\n- from: build_dir\n  to: /a/\n", "both mount at \"/a\"", 10),
    ])
    def test_mount_rules(self, entries, message, line):
        err = error("image: app\nfrom: alpine\nmount:\n" + entries)
        assert message in err.message and err.line == line


class TestDocker:
    def test_instructions(self):
        docker = image("""\
            image: app
            from: alpine
            docker:
              VOLUME: /data
              EXPOSE: ["80", 443/tcp, 53/udp, 8000-8010]
              ENV:
                GO_VERSION: 1.10
                DEBUG: true
                EMPTY:
              LABEL: {team: core}
              CMD: [nginx, -g, daemon off;]
              WORKDIR: /app
              USER: app
              HEALTHCHECK: CMD curl -f http://localhost/
            """).docker
        assert docker.volume == ("/data",)
        assert docker.expose == ("80", "443/tcp", "53/udp", "8000-8010")
        assert docker.env == {"GO_VERSION": "1.10", "DEBUG": "true", "EMPTY": ""}
        assert docker.label == {"team": "core"}
        assert docker.cmd == '["nginx", "-g", "daemon off;"]' and docker.entrypoint is None
        assert (docker.workdir, docker.user) == ("/app", "app")
        assert docker.healthcheck == "CMD curl -f http://localhost/"

    def test_entrypoint_without_cmd_sets_empty_cmd(self):
        docker = image("image: app\nfrom: alpine\ndocker:\n  ENTRYPOINT: [/entry.sh]\n").docker
        assert docker.entrypoint == '["/entry.sh"]' and docker.cmd == "[]"

    def test_shell_form_and_empty_list(self):
        docker = image("image: app\nfrom: alpine\ndocker:\n  CMD: []\n  ENTRYPOINT: run --fast\n").docker
        assert docker.cmd == "[]" and docker.entrypoint == "run --fast"

    def test_expose_number_is_accepted(self):
        assert image("image: app\nfrom: alpine\ndocker:\n  EXPOSE: 80\n").docker.expose == ("80",)

    @pytest.mark.parametrize("docker, message", [
        ("EXPOSE: http", 'invalid EXPOSE value "http"'),
        ("EXPOSE: 80/icmp", 'invalid EXPOSE value "80/icmp"'),
        ("EXPOSE: '70000'", "between 1 and 65535"),
        ("EXPOSE: 90-80", "ranges ascending"),
        ("ENV: [A=1]", "expected a mapping of names to strings"),
        ("ENV: {A: {b: 1}}", 'the value of "A" must be a string'),
        ("ENV: {'A B': x}", 'invalid environment variable name "A B"'),
        ("LABEL: {a: [1]}", 'the value of "a" must be a string'),
        ("CMD: {a: b}", "expected a command string or a list of strings"),
        ("CMD: [a, [b]]", "an item is not a string"),
        ("STOPSIGNAL: SIGTERM", "STOPSIGNAL is not supported"),
        ("ONBUILD: RUN x", "ONBUILD is not supported"),
        ("Workdir: /x", 'did you mean "WORKDIR"?'),
    ])
    def test_docker_rules(self, docker, message):
        err = error(f"image: app\nfrom: alpine\ndocker:\n  {docker}\n")
        assert message in err.message
        assert err.line == 7


class TestDependencies:
    def test_dependencies(self):
        config = load("image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: base\n"
                      "  before: setup\n  imports:\n  - type: ImageName\n    targetEnv: BASE_NAME\n"
                      "  - type: ImageDigest\n    targetEnv: BASE_DIGEST\n")
        dep = config.get("app").dependencies[0]
        assert dep.image == "base" and dep.before == "setup"
        assert [(i.type, i.target_env) for i in dep.imports] == [("ImageName", "BASE_NAME"),
                                                                ("ImageDigest", "BASE_DIGEST")]

    @pytest.mark.parametrize("entry, message", [
        ("- image: base\n", "needs its place"),
        ("- image: base\n  before: setup\n  after: install\n", "only one of"),
        ("- image: base\n  before: build\n", 'invalid dependency stage `before` "build"'),
        ("- before: setup\n", 'missing required key "image" in dependencies[0]'),
        ("- image: base\n  after: setup\n  imports:\n  - type: ImageSize\n    targetEnv: X\n",
         'invalid dependency import `type` "ImageSize": expected ImageName, ImageID, ImageRepo, ImageTag or '
         "ImageDigest"),
        ("- image: base\n  after: setup\n  imports:\n  - type: ImageName\n", "needs `targetEnv: NAME`"),
        ("- image: base\n  after: setup\n  imports:\n  - type: ImageName\n    targetBuildArg: X\n",
         "`targetBuildArg` is for Dockerfile images"),
        ("- image: base\n  after: setup\n  imports:\n  - {type: ImageName, targetEnv: X}\n"
         "  - {type: ImageTag, targetEnv: X}\n", '"X" is used twice'),
    ])
    def test_dependency_rules(self, entry, message):
        err = error("image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n" + entry)
        assert message in err.message
        assert err.line >= 10
