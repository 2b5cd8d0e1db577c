"""Doublestar globs: what `stageDependencies`, `includePaths` and `excludePaths` patterns match."""

import pytest

from werf_core.git.doublestar import DirState, GlobSyntaxError, compile_glob, expand_braces


@pytest.mark.parametrize("pattern, path", [
    ("*.py", "app.py"),
    ("*.py", ".hidden.py"),               # no dot-file special case
    ("src/*.py", "src/app.py"),
    ("src/**/*.py", "src/app.py"),        # ** matches zero directories
    ("src/**/*.py", "src/a/b/c/app.py"),
    ("**/*.py", "app.py"),
    ("**/*.py", "deep/down/app.py"),
    ("**", "anything/at/all"),
    ("a/**", "a"),                        # trailing ** also matches the directory itself
    ("a/**", "a/b/c"),
    ("a/**/b", "a/b"),
    ("a/**/b", "a/x/y/b"),
    ("file?.txt", "file1.txt"),
    ("[abc].txt", "b.txt"),
    ("[a-c].txt", "c.txt"),
    ("[!a].txt", "b.txt"),
    ("[^a].txt", "b.txt"),
    ("*.{py,txt}", "notes.txt"),
    ("{src,lib}/**/*.go", "lib/x/y.go"),
    ("a{b,c{d,e}}", "ace"),
    ("\\*.txt", "*.txt"),                 # escaped star is literal
    ("src", "src/deep/file"),             # P/**/* rule: everything below a match
    ("*.d", "conf.d/x/y"),                # a glob naming a directory covers its contents
    ("a**b", "axxb"),                     # ** inside a component acts like *
    ("name with space", "name with space"),
])
def test_glob_matches(pattern, path):
    assert compile_glob(pattern).matches(path)


@pytest.mark.parametrize("pattern, path", [
    ("*.py", "src/app.py"),               # * never crosses /
    ("src/*.py", "src/a/app.py"),
    ("src/**/*.py", "src2/app.py"),
    ("src/**/*.py", "src/app.pyc"),
    ("a/**/b", "a/xb"),
    ("file?.txt", "file10.txt"),
    ("file?.txt", "file/.txt"),
    ("[abc].txt", "d.txt"),
    ("[!a].txt", "a.txt"),
    ("*.{py,txt}", "notes.md"),
    ("\\*.txt", "a.txt"),
    ("src", "src2"),
    ("src", "src2/file"),
    ("a**b", "a/b"),
    ("a/b", "a"),
])
def test_glob_does_not_match(pattern, path):
    assert not compile_glob(pattern).matches(path)


def test_brace_expansion_keeps_order_and_drops_duplicates():
    assert expand_braces("x{a,b,a}y") == ["xay", "xby"]
    assert expand_braces("{a,b}/{c,d}") == ["a/c", "a/d", "b/c", "b/d"]
    assert expand_braces("plain") == ["plain"]


@pytest.mark.parametrize("pattern", ["[abc", "{a,b", "x/[a"])
def test_broken_patterns_raise_a_clear_error(pattern):
    with pytest.raises(GlobSyntaxError, match="unclosed"):
        compile_glob(pattern)


@pytest.mark.parametrize("pattern, directory, state", [
    ("src/**/*.py", (), DirState.PARTIAL),
    ("src/**/*.py", ("src",), DirState.PARTIAL),
    ("src/**/*.py", ("src", "deep"), DirState.PARTIAL),
    ("src/**/*.py", ("lib",), DirState.NONE),
    ("src/**/*.py", ("src2",), DirState.NONE),
    ("src/*", ("src",), DirState.ALL),          # every child matches src/*, deeper paths via "or below"
    ("src/**", ("src",), DirState.ALL),
    ("src/**/*", ("src",), DirState.ALL),
    ("src/*/*", ("src",), DirState.PARTIAL),    # src/file does not match
    ("src", ("src",), DirState.ALL),
    ("src", ("src", "a"), DirState.ALL),
    ("*.d", ("conf.d",), DirState.ALL),
    ("*.d", ("conf",), DirState.NONE),
    ("**/*.py", ("x.py",), DirState.ALL),        # a directory named like the glob: everything below matches
    ("**/*.py", ("a", "b"), DirState.PARTIAL),
    ("**", ("a", "b"), DirState.ALL),
    ("{a,b}/x", ("b",), DirState.PARTIAL),
    ("{a,b}/x", ("c",), DirState.NONE),
])
def test_directory_state(pattern, directory, state):
    assert compile_glob(pattern).directory_state(directory) == state
