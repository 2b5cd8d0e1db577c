"""Parsing, BuildKit's word processing, .dockerignore and planning: pure logic, no engine."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from werf_core.dockerfile.errors import DockerfileError
from werf_core.dockerfile.ignore import DockerIgnore
from werf_core.dockerfile.parser import parse_dockerfile
from werf_core.dockerfile.plan import load_plan
from werf_core.dockerfile.words import Lexer, WordError

BASE = {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["sh"]}


def plan(text: str, *, args=None, target=None, base=None, secrets=frozenset(), platform=None):
    return load_plan(text, "Dockerfile", build_args=args or {}, target=target,
                     base_config=lambda ref, platform: dict(base if base is not None else BASE), secrets=secrets,
                     platform=platform)


# ---------------------------------------------------------------------- parser
def test_continuations_comments_and_lines():
    parsed = parse_dockerfile("FROM a\nRUN echo 1 \\\n  # inner comment\n  && echo 2\nCOPY x y\n", "D")
    assert [(i.keyword, i.line) for i in parsed.instructions] == [("FROM", 1), ("RUN", 2), ("COPY", 5)]
    assert parsed.instructions[1].args == "echo 1   && echo 2"


def test_escape_directive_and_late_directive_is_a_comment():
    parsed = parse_dockerfile("# escape=`\nFROM a\nRUN echo `\n b\n", "D")
    assert parsed.escape == "`" and parsed.instructions[1].args == "echo  b"
    late = parse_dockerfile("FROM a\n# escape=`\nRUN echo \\\n b\n", "D")
    assert late.escape == "\\" and late.instructions[1].args == "echo  b"


def test_duplicate_directive_is_refused():
    with pytest.raises(DockerfileError, match="D:2: only one escape parser directive"):
        parse_dockerfile("# escape=`\n# escape=\\\nFROM a\n", "D")


def test_syntax_directive_is_recorded():
    assert parse_dockerfile("# syntax=docker/dockerfile:1\nFROM a\n", "D").directives == \
        {"syntax": "docker/dockerfile:1"}


def test_unknown_instruction_names_the_line():
    with pytest.raises(DockerfileError, match=r"^Dockerfile:3: unknown instruction: FORM"):
        parse_dockerfile("FROM a\nRUN x\nFORM b\n", "Dockerfile")


def test_heredocs():
    text = "FROM a\nRUN <<EOF\necho one\nFROM not-an-instruction\nEOF\nCOPY <<-\"X\" /f\n\tbody $V\n\tX\nENV A=1\n"
    parsed = parse_dockerfile(text, "D")
    assert [(i.keyword, i.line) for i in parsed.instructions] == [("FROM", 1), ("RUN", 2), ("COPY", 6),
                                                                   ("ENV", 9)]
    run, copy = parsed.instructions[1], parsed.instructions[2]
    assert run.heredocs[0].content == "echo one\nFROM not-an-instruction\n" and run.heredocs[0].expand
    assert copy.heredocs[0].content == "body $V\n" and not copy.heredocs[0].expand


def test_unterminated_heredoc():
    with pytest.raises(DockerfileError, match="D:2: unterminated heredoc <<EOF"):
        parse_dockerfile("FROM a\nRUN <<EOF\necho\n", "D")


def test_flags_are_split():
    ins = parse_dockerfile("FROM a\nCOPY --from=b --chown=1:2 x y\n", "D").instructions[1]
    assert ins.flags == (("from", "b"), ("chown", "1:2")) and ins.args == "x y"


# ---------------------------------------------------------------------- words
@pytest.mark.parametrize("text, expected", [
    ("$A", "x y"), ('"$A"', "x y"), ("'$A'", "$A"), ("\\$A", "$A"), ("${A}z", "x yz"),
    ("${E:-d}", "d"), ("${E-d}", ""), ("${U-d}", "d"), ("${A:+set}", "set"), ("${E:+set}", ""), ("${E+set}", "set"),
    ('"a\\"b"', 'a"b'), ("$", "$"), ("a$", "a$"), ("${A:-$U}", "x y"), ("${U:-${A}}", "x y"),
])
def test_word(text, expected):
    assert Lexer().word(text, {"A": "x y", "E": ""}) == expected


def test_words_split_unquoted_expansions():
    assert Lexer().words('$A "$A" b', {"A": "x y"}) == ["x", "y", "x y", "b"]


@pytest.mark.parametrize("text", ["${", "${A", "${A:*x}", "'open", '"open', "${U:?needed}", "${}"])
def test_bad_words(text):
    with pytest.raises(WordError):
        Lexer().word(text, {})


def test_backtick_escape():
    assert Lexer(escape="`").word("a`$b\\c", {"b": "B"}) == "a$b\\c"


@given(st.text(alphabet="abc xyz_", max_size=30))
def test_plain_text_is_unchanged_by_word(text):
    assert Lexer().word(text, {}) == text


# ---------------------------------------------------------------------- .dockerignore
@pytest.mark.parametrize("path, excluded", [
    ("x.md", True), ("README.md", False), ("sub/x.md", False), ("a/b/c.log", True), ("c.log", True),
    ("build/f", True), ("build", True), ("docs/x", True), ("docs/a/b/x", True), ("abc", True), ("abbc", False),
    ("keep/file", False), ("/x.md", False),
])
def test_dockerignore(path, excluded):
    ignore = DockerIgnore(["# comment", "", "*.md", "!README.md", "**/*.log", "/build/", "docs/**/x", "a?c"])
    assert ignore.excluded(path.lstrip("/") if path != "/x.md" else "y/x.md") is excluded


def test_dockerignore_exception_inside_excluded_directory():
    ignore = DockerIgnore(["logs", "!logs/keep.log"])
    assert ignore.excluded("logs/a.log") and not ignore.excluded("logs/keep.log")


# ---------------------------------------------------------------------- planning
def test_arg_before_from_and_build_args():
    result = plan("ARG BASE=img\nARG V=1\nFROM ${BASE}:$V AS b\nARG V\nRUN echo $V\n", args={"V": "2"})
    stage = result.target
    assert stage.base_image == "img:2" and stage.name == "b"
    run = stage.steps[0].run
    assert run is not None and "V=2" in run.env


def test_global_arg_is_not_visible_without_redeclaration():
    result = plan("ARG V=1\nFROM img\nENV X=${V:-unset}\n")
    assert "X=unset" in result.target.config["Env"]


def test_env_overrides_arg_and_substitution_uses_base_env():
    result = plan("FROM img\nARG X=a\nENV X=b\nENV Y=$X P=$PATH:/x\n")
    assert result.target.config["Env"] == ["PATH=/usr/bin:/bin", "X=b", "Y=b", "P=/usr/bin:/bin:/x"]


def test_run_digest_text_changes_with_a_build_arg_only_when_in_scope():
    def texts(args):
        return [s.text for s in plan("FROM img\nRUN a\nARG V\nRUN b\n", args=args).target.steps]
    first, second = texts({"V": "1"}), texts({"V": "2"})
    assert first[0] == second[0] and first[1] != second[1]


def test_entrypoint_resets_cmd_unless_cmd_set_before_in_the_stage():
    assert plan("FROM img\nENTRYPOINT [\"e\"]\n").target.config["Cmd"] is None
    assert plan("FROM img\nCMD [\"c\"]\nENTRYPOINT [\"e\"]\n").target.config["Cmd"] == ["c"]
    shell = plan("FROM img\nSHELL [\"/bin/bash\", \"-c\"]\nCMD run me\n").target.config
    assert shell["Cmd"] == ["/bin/bash", "-c", "run me"] and shell["Shell"] == ["/bin/bash", "-c"]


def test_target_and_needed_stages():
    text = "FROM img AS a\nRUN a\nFROM img AS unused\nRUN u\nFROM a AS b\nCOPY --from=0 /x /y\nFROM img AS c\n"
    result = plan(text, target="b")
    assert [s.name for s in result.stages] == ["a", "b"] and result.target.base_stage == 0


def test_missing_target_and_stage_order():
    with pytest.raises(DockerfileError, match="target stage 'nope' could not be found"):
        plan("FROM img AS a\n", target="nope")
    with pytest.raises(DockerfileError, match="Dockerfile:2: stage 'later' is used before it is defined"):
        plan("FROM img AS first\nCOPY --from=later /x /y\nFROM img AS later\n", target="first")


def test_onbuild_triggers_of_the_base_run_after_from():
    base = {**BASE, "OnBuild": ["ENV T=1", "RUN echo trig"]}
    result = plan("FROM img\nENV U=2\n", base=base)
    assert [s.keyword for s in result.target.steps] == ["ENV", "RUN", "ENV"]
    assert "OnBuild" not in result.target.config or not result.target.config["OnBuild"]


@pytest.mark.parametrize("text, message", [
    ("RUN x\nFROM img\n", "Dockerfile:1: RUN before the first FROM"),
    ("FROM img\nRUN --mount=type=ssh x\n", "Dockerfile:2: RUN --mount=type=ssh needs an SSH agent"),
    ("FROM img\nRUN --mount=type=cache,target=/c x\n", "Dockerfile:2: RUN --mount=type=cache is not supported"),
    ("FROM img\nRUN --mount=type=secret,id=tok,required=true x\n", "Dockerfile:2: RUN --mount=type=secret,id=tok: no such"),
    ("FROM img\nCOPY --frum=a x y\n", "Dockerfile:2: unknown flag --frum for COPY"),
    ("FROM img\nENV A=${B\n", "Dockerfile:2: unsupported modifier (end of text) in substitution"),
    ("FROM img\nENV A=${B:?required}\n", "Dockerfile:2: B: required"),
    ("FROM $NOPE\n", "Dockerfile:1: FROM '$NOPE' names no image"),
    ("FROM img\nADD http://example.com/x /x\n", "Dockerfile:2: ADD http://example.com/x: remote sources"),
    ("FROM img\nCOPY x\n", "Dockerfile:2: COPY requires at least two arguments"),
    ("FROM --platform=arm64 img\n", "Dockerfile:1: FROM --platform=arm64: platform 'arm64' must look like OS/ARCH"),
    ("FROM img\nRUN --mount=type=secret,id=tok,bogus=1 x\n", "Dockerfile:2: RUN --mount=type=secret: unknown option"),
    ("FROM img\nRUN --mount=type=secret,id=tok,uid=root x\n", "Dockerfile:2: RUN --mount=type=secret: uid=root is not"),
    ("FROM img\nRUN --mount=type=secret,id=tok,env=A-B x\n", "Dockerfile:2: RUN --mount=type=secret: env=A-B is not"),
    ("FROM img\nHEALTHCHECK --interval=soon CMD x\n", "Dockerfile:2: HEALTHCHECK --interval=soon"),
    ("FROM img\nEXPOSE 80/bogus\n", "Dockerfile:2: invalid port"),
    ("FROM img\nSHELL /bin/sh\n", "Dockerfile:2: SHELL requires the arguments in JSON form"),
    ("FROM img\nONBUILD FROM x\n", "Dockerfile:2: FROM is not allowed as an ONBUILD trigger"),
])
def test_bad_dockerfiles_name_the_line(text, message):
    with pytest.raises(DockerfileError) as caught:
        plan(text)
    assert message in caught.value.message


def test_secret_mount_when_configured():
    run = plan("FROM img\nRUN --mount=type=secret,id=tok cat /run/secrets/tok\n",
               secrets=frozenset({"tok"})).target.steps[0].run
    assert run is not None and run.secrets[0].target == "/run/secrets/tok"


def test_secret_mount_options():
    run = plan("FROM img\nWORKDIR /w\nRUN --mount=type=secret,id=tok,dst=rel/t,mode=0440,uid=5,gid=6 "
               "--mount=type=secret,id=tok,env=TOKEN --mount=type=secret,id=other x\n",
               secrets=frozenset({"tok"})).target.steps[-1].run
    assert run is not None
    first, second = run.secrets          # `other` is optional and not configured: not mounted (BuildKit)
    assert (first.target, first.mode, first.uid, first.gid, first.env) == ("/w/rel/t", 0o440, 5, 6, None)
    assert (second.target, second.env) == (None, "TOKEN")


def test_platform_args_and_stage_platforms():
    from werf_core.platforms import Platform, host_platform
    text = ("FROM --platform=$BUILDPLATFORM img AS build\nARG TARGETARCH\nARG BUILDARCH\n"
            "RUN echo $TARGETARCH $BUILDARCH\nFROM img\nARG TARGETPLATFORM\nENV P=$TARGETPLATFORM\n"
            "COPY --from=build /x /x\n")
    planned = plan(text, platform=Platform.parse("linux/arm64/v8"))
    build, final = planned.stages
    assert build.platform == str(host_platform()) and final.platform == "linux/arm64"
    assert "TARGETARCH=arm64" in build.steps[0].run.env and f"BUILDARCH={host_platform().architecture}" in \
        build.steps[0].run.env
    assert "P=linux/arm64" in final.config["Env"]
    assert plan("FROM img\nRUN x\n").target.platform == str(host_platform())


def test_copy_destination_rules():
    steps = plan("FROM img\nWORKDIR /w\nCOPY a b\nCOPY a c/\nCOPY a b2 d\nCOPY *.txt e\n").target.steps
    copies = [s.copy for s in steps if s.copy]
    # a wildcard goes *into* e only when it matches several files (or e is a directory): decided when built
    assert [(c.dest, c.dest_is_dir) for c in copies] == [("/w/b", False), ("/w/c", True), ("/w/d", True),
                                                         ("/w/e", False)]


def test_heredoc_run_and_copy():
    steps = plan("FROM img\nARG V=v\nRUN <<EOF\necho $V\nEOF\nCOPY <<EOF /f\nvalue $V\nEOF\n").target.steps
    assert steps[0].run is not None and steps[0].run.argv[-1] == "echo $V\n"
    assert steps[1].copy is not None and steps[1].copy.heredocs[0].content == "value v\n"
    quoted = plan("FROM img\nCOPY <<EOF /f\nsay 'hi' \"$0\" \\n\nEOF\n").target.steps[0].copy
    assert quoted is not None and quoted.heredocs[0].content == "say 'hi' \"\" \\n\n"


# ---------------------------------------------------------------------- build context
def test_context_checksum_is_the_same_from_git_or_the_files(tmp_path):
    import subprocess

    from werf_core.conveyor.dockerfile_image import tracked_blobs
    from werf_core.dockerfile.context import BuildContext, git_blob_id
    (tmp_path / "ctx" / "sub").mkdir(parents=True)
    (tmp_path / "ctx" / "a.txt").write_text("a\n")
    (tmp_path / "ctx" / "sub" / "b.txt").write_text("b\n")
    (tmp_path / "ctx" / ".dockerignore").write_text("*.log\n")
    (tmp_path / "ctx" / "x.log").write_text("ignored\n")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True, env=env)
    tracked = tracked_blobs(tmp_path / "ctx")
    assert tracked["a.txt"] == git_blob_id(b"a\n") and tracked["sub/b.txt"] == git_blob_id(b"b\n")
    with_git = BuildContext.open(tmp_path / "ctx", tracked)
    without = BuildContext.open(tmp_path / "ctx")
    entries = with_git.entries((".",), "/app", True)
    assert [e.source for e in entries] == [".dockerignore", "a.txt", "sub", "sub/b.txt"]
    before = with_git.checksum(entries)
    assert before == without.checksum(without.entries((".",), "/app", True))
    # a working-tree edit of a tracked file is seen (it is no longer clean)
    (tmp_path / "ctx" / "a.txt").write_text("edited\n")
    assert "a.txt" not in tracked_blobs(tmp_path / "ctx")
    after = BuildContext.open(tmp_path / "ctx", tracked_blobs(tmp_path / "ctx")).checksum(entries)
    assert after != before and after == without.checksum(entries)


def test_context_refuses_missing_sources_and_links_leaving_it(tmp_path):
    from werf_core.dockerfile.context import BuildContext, ContextError
    (tmp_path / "ctx").mkdir()
    (tmp_path / "secret").write_text("outside\n")
    (tmp_path / "ctx" / "link").symlink_to(tmp_path / "secret")
    context = BuildContext.open(tmp_path / "ctx")
    with pytest.raises(ContextError, match="not found"):
        context.entries(("missing",), "/x", False)
    with pytest.raises(ContextError, match="outside the build context"):
        context.entries(("link",), "/x", False)
    with pytest.raises(ContextError, match="not found"):     # `..` never leaves the context: ../secret is /secret
        context.entries(("../secret",), "/x", False)
