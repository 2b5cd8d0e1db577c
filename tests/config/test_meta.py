"""The meta section: configVersion, project, deploy, cleanup.keepPolicies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.config.support import error, load

IMAGE = "---\nimage: app\nfrom: alpine\n"


def meta_of(text: str):
    return load(text + IMAGE, meta=False).meta


def meta_error(text: str):
    return error(text + IMAGE, meta=False)


def test_project_and_version():
    meta = meta_of("project: my-app\nconfigVersion: 1\n")
    assert meta.project == "my-app" and meta.config_version == 1
    assert meta.deploy is None and meta.cleanup is None
    assert str(meta.source) == "werf.yaml:1"


def test_config_version_must_be_1():
    err = meta_error("project: a\nconfigVersion: 2\n")
    assert err.line == 2
    assert "`configVersion: 1` is the only supported version, got 2" in err.message


def test_config_version_must_be_a_number():
    err = meta_error('project: a\nconfigVersion: "1"\n')
    assert "configVersion of the meta section: expected a whole number" in err.message


def test_project_is_required():
    err = meta_error("configVersion: 1\n")
    assert 'missing required key "project" in the meta section' in err.message
    assert err.line == 1


@pytest.mark.parametrize("name, reason", [
    ("My-App", "lowercase letters"),
    ("-app", "start and end with a letter or digit"),
    ("app-", "start and end"),
    ("app_1", "lowercase letters, digits and dashes"),
    ("a" * 51, "at most 50 characters"),
    ('""', "must not be empty"),
])
def test_project_name_rules(name, reason):
    err = meta_error(f"project: {name}\nconfigVersion: 1\n")
    assert "bad project name" in err.message and reason in err.message
    assert err.line == 1


@pytest.mark.parametrize("name", ["a", "app", "my-app-2", "0", "a" * 50])
def test_valid_project_names(name):
    assert meta_of(f"project: {name}\nconfigVersion: 1\n").project == name


def test_project_name_override_replaces_the_written_name():
    config = load(IMAGE, project_name_override="other-name")
    assert config.meta.project == "other-name"


def test_invalid_project_name_override_is_refused():
    err = error(IMAGE, project_name_override="Bad Name")
    assert "--project-name" in err.message and "Bad Name" in err.message


def test_deploy_templates():
    meta = meta_of("project: a\nconfigVersion: 1\ndeploy:\n  helmRelease: '[[ project ]]-[[ env ]]'\n"
                   "  helmReleaseSlug: false\n  namespace: '[[ env ]]'\n  namespaceSlug: true\n")
    assert meta.deploy.helm_release == "[[ project ]]-[[ env ]]"
    assert meta.deploy.helm_release_slug is False and meta.deploy.namespace_slug is True


def test_deploy_values_must_not_be_empty():
    err = meta_error("project: a\nconfigVersion: 1\ndeploy:\n  helmRelease: ''\n")
    assert err.line == 4 and "deploy.helmRelease of the meta section: must not be empty" in err.message


def test_deploy_unknown_key_suggests():
    err = meta_error("project: a\nconfigVersion: 1\ndeploy:\n  helmRelese: x\n")
    assert 'unknown key "helmRelese" in deploy of the meta section; did you mean "helmRelease"?' in err.message


CLEANUP = """\
project: a
configVersion: 1
cleanup:
  keepPolicies:
  - references:
      tag: /.*/
      limit:
        last: 10
  - references:
      branch: /^(main|staging)$/
    imagesPerReference:
      last: 2
      in: 168h
  - references:
      branch: feature/x.y
      limit:
        in: 72h
        operator: Or
    imagesPerReference:
      last: -1
"""


def test_keep_policies():
    policies = meta_of(CLEANUP).cleanup.keep_policies
    assert len(policies) == 3
    tags, branches, literal = policies
    assert tags.references.kind == "tag" and tags.references.limit.last == 10
    assert tags.references.limit.operator is None
    assert branches.references.pattern.search("main") and not branches.references.pattern.search("mainline")
    assert branches.images_per_reference.in_ == timedelta(hours=168)
    assert branches.images_per_reference.operator == "And"    # both `last` and `in` given
    assert literal.references.pattern.match("feature/x.y") and not literal.references.pattern.match("feature/xzy")
    assert literal.references.limit.operator == "Or" and literal.images_per_reference.last == -1


@pytest.mark.parametrize("references, message", [
    ("{}", "need `branch: NAME|/REGEX/` or `tag: NAME|/REGEX/`"),
    ("{branch: a, tag: b}", "only one of `branch` or `tag`"),
    ("{branch: '/(/'}", "invalid regular expression"),
])
def test_reference_rules(references, message):
    err = meta_error(f"project: a\nconfigVersion: 1\ncleanup:\n  keepPolicies:\n  - references: {references}\n")
    assert message in err.message
    assert err.line == 5


def test_policy_needs_references():
    err = meta_error("project: a\nconfigVersion: 1\ncleanup:\n  keepPolicies:\n  - imagesPerReference: {last: 1}\n")
    assert "must have a `references` section" in err.message and err.line == 5


@pytest.mark.parametrize("limit, message", [
    ("{in: 7d}", "168h for 7 days"),
    ("{in: 10}", "expected a duration"),
    ("{operator: Xor}", 'invalid operator "Xor": expected And or Or'),
    ("{last: -2}", "-1 for no limit"),
    ("{last: many}", "expected a whole number"),
])
def test_limit_rules(limit, message):
    err = meta_error("project: a\nconfigVersion: 1\ncleanup:\n  keepPolicies:\n  - references: {branch: main}\n"
                     f"    imagesPerReference: {limit}\n")
    assert message in err.message
    assert err.line == 6
