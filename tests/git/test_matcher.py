"""The path matcher of git mappings: which repository files a mapping takes (add / includePaths / excludePaths)."""

import posixpath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from werf_core.git.doublestar import DirState
from werf_core.git.matcher import PathMatcher, clean_path
from werf_core.git.tree import MODE_FILE, MODE_TREE, TreeEntry, TreeListing


def taken(matcher, paths):
    return [p for p in paths if matcher.matches(p)]


FILES = ["README.md", "src/app.py", "src/lib/util.py", "src/lib/data.json", "src2/other.py", "srcfile",
         "docs/index.md", "docs/api/ref.md", "tests/test_app.py", ".env"]


def test_without_patterns_everything_under_add_is_taken():
    assert taken(PathMatcher(), FILES) == FILES
    assert taken(PathMatcher("/src"), FILES) == ["src/app.py", "src/lib/util.py", "src/lib/data.json"]


def test_add_is_a_directory_prefix_not_a_name_prefix():
    m = PathMatcher("src")
    assert not m.matches("src2/other.py")
    assert not m.matches("srcfile")


@pytest.mark.parametrize("add", ["/src", "src", "src/", "/src/", "./src", "src/./", "/src//"])
def test_add_spellings_are_normalised(add):
    assert PathMatcher(add).add == "src"
    assert taken(PathMatcher(add), FILES) == ["src/app.py", "src/lib/util.py", "src/lib/data.json"]


@pytest.mark.parametrize("add", ["/", "", ".", "./"])
def test_root_add_spellings(add):
    assert PathMatcher(add).add == ""


def test_include_patterns_are_relative_to_add():
    m = PathMatcher("/src", include_paths=("lib",))
    assert taken(m, FILES) == ["src/lib/util.py", "src/lib/data.json"]
    assert not PathMatcher("/src", include_paths=("src/lib",)).matches("src/lib/util.py")


def test_include_directory_prefix_does_not_take_name_prefixes():
    m = PathMatcher(include_paths=("src",))
    assert taken(m, FILES) == ["src/app.py", "src/lib/util.py", "src/lib/data.json"]


@pytest.mark.parametrize("pattern", ["src/", "./src", "src/.", "src//", "./src/"])
def test_trailing_slashes_and_dot_prefixes_in_patterns(pattern):
    assert taken(PathMatcher(include_paths=(pattern,)), FILES) == ["src/app.py", "src/lib/util.py",
                                                                   "src/lib/data.json"]


def test_exclude_wins_over_include():
    m = PathMatcher(include_paths=("src",), exclude_paths=("src/lib/*.json",))
    assert taken(m, FILES) == ["src/app.py", "src/lib/util.py"]


def test_doublestar_include_crosses_directories():
    m = PathMatcher(include_paths=("**/*.py",))
    assert taken(m, FILES) == ["src/app.py", "src/lib/util.py", "src2/other.py", "tests/test_app.py"]


def test_glob_naming_a_directory_takes_its_contents():
    assert taken(PathMatcher(include_paths=("d*",)), FILES) == ["docs/index.md", "docs/api/ref.md"]


def test_excluding_everything():
    assert taken(PathMatcher(exclude_paths=("**",)), FILES) == []
    assert taken(PathMatcher(exclude_paths=(".",)), FILES) == []


def test_dot_include_means_everything():
    assert taken(PathMatcher("src", include_paths=(".",)), FILES) == taken(PathMatcher("src"), FILES)


def test_paths_outside_add_never_match_even_if_patterns_would():
    m = PathMatcher("docs", include_paths=("**",))
    assert not m.matches("src/app.py")
    assert m.relative("src/app.py") is None


def test_add_naming_a_single_file():
    m = PathMatcher("/src/app.py")
    assert taken(m, FILES) == ["src/app.py"]
    assert m.relative("src/app.py") == "."
    assert not m.matches("src/app.pyc")
    assert m.directory_state("src") == DirState.PARTIAL
    assert m.directory_state("src/lib") == DirState.NONE
    assert m.directory_state("docs") == DirState.NONE


def test_hidden_files_are_matched_by_star():
    assert PathMatcher(include_paths=("*",)).matches(".env")


@pytest.mark.parametrize("directory, state", [
    ("", DirState.PARTIAL),
    ("src", DirState.PARTIAL),
    ("src/lib", DirState.PARTIAL),
    ("docs", DirState.ALL),
    ("docs/api", DirState.ALL),
    ("tests", DirState.NONE),
    ("src2", DirState.PARTIAL),
    ("vendor", DirState.PARTIAL),   # may hold *.py files
])
def test_directory_states_for_pruning(directory, state):
    m = PathMatcher(include_paths=("**/*.py", "docs"), exclude_paths=("tests",))
    assert m.directory_state(directory) == state


def test_directory_state_prunes_directories_a_literal_include_cannot_reach():
    m = PathMatcher(include_paths=("src/lib", "docs/*.md"))
    assert m.directory_state("vendor") == DirState.NONE
    assert m.directory_state("src/other") == DirState.NONE
    assert m.directory_state("docs") == DirState.PARTIAL


def test_directory_state_respects_add():
    m = PathMatcher("src/lib")
    assert m.directory_state("") == DirState.PARTIAL
    assert m.directory_state("src") == DirState.PARTIAL
    assert m.directory_state("src/lib") == DirState.ALL
    assert m.directory_state("src2") == DirState.NONE
    assert m.directory_state("src/lib2") == DirState.NONE


def test_clean_path_matches_go_path_clean():
    assert clean_path("") == "."
    assert clean_path("/") == "/"
    assert clean_path("//a//b/") == "/a/b"
    assert clean_path("a/./b/../c") == "a/c"
    assert clean_path("./") == "."


# ---------------------------------------------------------------- properties
NAMES = ["a", "b", "ab", "a.py", "b.txt", "c"]
PATTERNS = ["a", "b", "ab", "a/b", "a/", "./a", "*", "**", "*.py", "**/*.txt", "a/**", "a/*", "a*", "[ab]",
            "{a,c}/**/b", "**/b/*", "c/**/a.py", "?", "b/**/*", "*/a", ".", "a/b/c"]

paths = st.lists(st.sampled_from(NAMES), min_size=1, max_size=4).map("/".join)


@st.composite
def matchers(draw):
    add = draw(st.one_of(st.just(""), paths))
    return PathMatcher(add,
                       tuple(draw(st.lists(st.sampled_from(PATTERNS), max_size=3))),
                       tuple(draw(st.lists(st.sampled_from(PATTERNS), max_size=3))))


@settings(max_examples=400, deadline=None)
@given(matchers(), paths)
def test_directory_state_never_contradicts_file_matching(matcher, path):
    """NONE means no file below matches, ALL means every file below matches — for every ancestor directory."""
    is_match = matcher.matches(path)
    directory = posixpath.dirname(path)
    while True:
        state = matcher.directory_state(directory)
        if state == DirState.NONE:
            assert not is_match, (matcher, path, directory)
        if state == DirState.ALL:
            assert is_match, (matcher, path, directory)
        if directory == "":
            break
        directory = posixpath.dirname(directory)


def listing_of(files):
    entries, dirs = [], set()
    for f in files:
        parent = posixpath.dirname(f)
        while parent:
            dirs.add(parent)
            parent = posixpath.dirname(parent)
    for d in sorted(dirs):
        entries.append(TreeEntry(d, MODE_TREE, "t" * 40))
    for f in files:
        entries.append(TreeEntry(f, MODE_FILE, "f" * 40))
    return TreeListing("c" * 40, entries)


def consistent_files(candidates):
    """Drop files that would also be directories of other files (git trees cannot hold both)."""
    result = []
    for f in sorted(set(candidates)):
        if any(other.startswith(f + "/") for other in candidates) or any(f.startswith(r + "/") for r in result):
            continue
        result.append(f)
    return result


@settings(max_examples=200, deadline=None)
@given(matchers(), st.lists(paths, min_size=1, max_size=25))
def test_pruned_tree_walk_takes_exactly_the_matching_files(matcher, candidates):
    files = consistent_files(candidates)
    walked = sorted(e.path for e in listing_of(files).walk([matcher]))
    assert walked == sorted(f for f in files if matcher.matches(f))
