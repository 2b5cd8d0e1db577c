"""Git mappings from werf.yaml values: names, paramshash (werf v1.1's formula), stage dependency globs."""

import hashlib
from types import SimpleNamespace

import pytest

from werf_core.git.mapping import GitMapping, repository_id_from_url


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("url, repo_id", [
    ("https://github.com/werf/werf.git", "werf/werf"),
    ("https://github.com/werf/werf", "werf/werf"),
    ("git@github.com:werf/werf.git", "werf/werf"),
    ("ssh://git@github.com/werf/werf.git", "werf/werf"),
    ("https://gitlab.example.com/group/subgroup/project.git", "subgroup/project"),
    ("https://github.com/werf/werf.git/", "werf/werf"),
    ("file:///srv/git/team/app", "team/app"),
    ("/srv/git/team/app/", "team/app"),
    ("just-a-name", "just-a-name"),
])
def test_repository_id_from_url(url, repo_id):
    assert repository_id_from_url(url) == repo_id


def test_local_mapping_name_and_paramshash_of_the_simplest_mapping():
    m = GitMapping(to="/app")
    assert m.name == "own_own"
    assert not m.is_remote
    # fullName ::: to ::: add("" for "/") ::: includes ::: excludes ::: owner ::: group ::: branch ::: tag ::: commit
    assert m.paramshash() == sha256("own_own:::/app" + ":::" * 8)


def test_paramshash_concatenates_lists_without_separators():
    m = GitMapping(to="/app", add="/src", include_paths=["a.txt", "b.txt"], exclude_paths=["tests"],
                   owner="app", group="www")
    assert m.paramshash() == sha256("own_own:::/app:::src:::a.txtb.txt:::tests:::app:::www:::::::::")


def test_remote_paramshash_uses_repository_id_twice_and_the_ref():
    m = GitMapping(to="/src", url="https://github.com/werf/werf.git", tag="v1.1.0")
    assert m.name == "werf/werf_werf/werf"
    assert m.paramshash() == sha256("werf/werf_werf/werf:::/src" + ":::" * 7 + "v1.1.0:::")


def test_paramshash_changes_with_every_parameter():
    base = dict(to="/app", add="/src", include_paths=["x"], exclude_paths=["y"], owner="o", group="g")
    hashes = {GitMapping(**base).paramshash()}
    for key, value in [("to", "/other"), ("add", "/lib"), ("include_paths", ["z"]), ("exclude_paths", ["z"]),
                       ("owner", "p"), ("group", "h")]:
        hashes.add(GitMapping(**{**base, key: value}).paramshash())
    assert len(hashes) == 7


def test_paths_are_cleaned_like_werf_config_does():
    m = GitMapping(to="/app/", add="/src/", include_paths=["./lib/"], exclude_paths=["tests//"])
    assert (m.to, m.add, m.include_paths, m.exclude_paths) == ("/app", "/src", ("lib",), ("tests",))
    assert m.paramshash() == GitMapping(to="/app", add="/src", include_paths=["lib"],
                                        exclude_paths=["tests"]).paramshash()


def test_stage_dependencies_are_kept_per_stage_in_config_order():
    m = GitMapping(to="/app", stage_dependencies={"setup": ["b", "a"], "install": "package.json"})
    assert m.stage_dependency_globs("install") == ("package.json",)
    assert m.stage_dependency_globs("setup") == ("b", "a")
    assert m.stage_dependency_globs("beforeSetup") == ()


def test_stage_dependencies_reject_unknown_stages():
    with pytest.raises(ValueError, match="beforeInstall"):
        GitMapping(to="/app", stage_dependencies={"beforeInstall": ["x"]})
    with pytest.raises(ValueError, match="no stage"):
        GitMapping(to="/app").stage_dependency_globs("gitArchive")


def test_from_config_with_werf_yaml_keys():
    m = GitMapping.from_config({"add": "/", "to": "/app", "includePaths": "src", "excludePaths": ["src/tests"],
                                "owner": "app", "stageDependencies": {"install": "package.json",
                                                                      "beforeSetup": ["**/*.py"]}})
    assert m.include_paths == ("src",)
    assert m.exclude_paths == ("src/tests",)
    assert m.owner == "app" and m.group == ""
    assert m.stage_dependency_globs("beforeSetup") == ("**/*.py",)


def test_from_config_with_a_model_object():
    deps = SimpleNamespace(install=["Gemfile"], before_setup=None, setup="app/**")
    entry = SimpleNamespace(add="/", to="/src", include_paths=["app"], exclude_paths=[], owner=None, group=None,
                            url="git@github.com:acme/tools.git", branch="main", tag=None, commit=None,
                            stage_dependencies=deps)
    m = GitMapping.from_config(entry)
    assert m.is_remote and m.name == "acme/tools_acme/tools"
    assert m.branch == "main" and m.tag == "" and m.owner == ""
    assert m.stage_dependency_globs("install") == ("Gemfile",)
    assert m.stage_dependency_globs("setup") == ("app/**",)


def test_from_config_with_a_pydantic_model():
    import pydantic

    class Deps(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(populate_by_name=True)
        install: list[str] = []
        before_setup: list[str] = pydantic.Field(default=[], alias="beforeSetup")

    class Git(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(populate_by_name=True)
        to: str
        add: str = "/"
        include_paths: list[str] = pydantic.Field(default=[], alias="includePaths")
        stage_dependencies: Deps | None = pydantic.Field(default=None, alias="stageDependencies")

    m = GitMapping.from_config(Git(to="/app", includePaths=["src"],
                                   stageDependencies=Deps(beforeSetup=["*.lock"])))
    assert m.include_paths == ("src",)
    assert m.stage_dependency_globs("beforeSetup") == ("*.lock",)


def test_matcher_uses_add_and_patterns():
    m = GitMapping(to="/app", add="/src", include_paths=["lib"]).matcher()
    assert m.matches("src/lib/x.py") and not m.matches("src/main.py") and not m.matches("lib/x.py")


def test_from_config_with_the_werf_yaml_schema_model():
    from werf_core.config.schema import git as schema
    entry = schema.GitMapping.model_validate({
        "url": "https://github.com/werf/werf.git", "tag": "v1.1.0", "add": "/docs", "to": "/docs",
        "includePaths": ["pages"], "excludePaths": "pages/drafts", "owner": "www",
        "stageDependencies": {"install": "Gemfile", "beforeSetup": ["pages/**/*.md"]}})
    m = GitMapping.from_config(entry)
    assert (m.url, m.tag, m.add, m.to, m.owner) == ("https://github.com/werf/werf.git", "v1.1.0", "/docs", "/docs",
                                                   "www")
    assert (m.include_paths, m.exclude_paths) == (("pages",), ("pages/drafts",))
    assert m.stage_dependency_globs("install") == ("Gemfile",)
    assert m.stage_dependency_globs("beforeSetup") == ("pages/**/*.md",)
    assert m.stage_dependency_globs("setup") == ()
    assert m.paramshash() == GitMapping(to="/docs", add="/docs", url="https://github.com/werf/werf.git",
                                        tag="v1.1.0", include_paths=["pages"], exclude_paths=["pages/drafts"],
                                        owner="www").paramshash()
