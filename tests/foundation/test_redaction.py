"""One redaction function for every message: URLs with credentials, secret query values, known token formats."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from werf_core.conveyor.progress import JsonProgress, TextProgress
from werf_core.errors import ConfigError, GitError, WerfError
from werf_core.redaction import (
    install_log_redaction,
    redact,
    register_secret,
    strip_url_credentials,
    url_credentials,
    url_has_credentials,
)

MARKER = "mk" + uuid.uuid4().hex        # a unique token: nothing recognises it but its position


@pytest.mark.parametrize("template", [
    "https://user:{m}@git.example.com/acme/app.git",
    "https://{m}@github.com/acme/app.git",
    "https://x-access-token:{m}@github.com/acme/app.git",
    "http://{m}:x-oauth-basic@git.example.com/app.git",
    "ssh://git:{m}@git.example.com:2222/acme/app.git",
    "git+ssh://deploy:{m}@host/app",
    "https://user:p@ss{m}@host/app.git",                       # a raw '@' in the password
    "https://user:pa/ss{m}@host/app.git",                      # a raw '/' in the password
    "https://git.example.com/app.git?private_token={m}",
    "https://git.example.com/app.git?ref=main&access_token={m}#frag",
    "https://s3.example.com/x.tar?X-Amz-Signature={m}&X-Amz-Credential={m}",
    "see https://host/x?next=https://{m}@evil.example.com/z",
    "fatal: unable to access 'https://oauth2:{m}@gitlab.example.com/g/p.git/': 403",
    "Authorization: Bearer {m}",
    '{{"auths": {{"registry.example.com": {{"auth": "{m}"}}}}}}',
    "WERF_GIT_HTTP_PASSWORD={m} werf build",
    "-----BEGIN OPENSSH PRIVATE KEY-----\n{m}\n-----END OPENSSH PRIVATE KEY-----",
])
def test_credentials_are_masked_wherever_they_are_in_a_text(template):
    text = template.format(m=MARKER)
    shown = redact(f"error: {text} (exit 128)")
    assert MARKER not in shown and "***" in shown
    assert shown.startswith("error: ") and shown.endswith(" (exit 128)")


@pytest.mark.parametrize("token", ["ghp_" + "a1B2" * 9, "github_pat_11ABCDEFG0" + "x" * 40, "glpat-" + "Ab3_" * 5,
                                   "xoxb-1234567890-abcdefghij", "AKIAIOSFODNN7EXAMPLE", "pnu_" + "z" * 36])
def test_well_known_token_formats_are_masked_anywhere(token):
    assert token not in redact(f"echo {token} > /tmp/x")


@pytest.mark.parametrize("text", [
    "ssh://git@github.com/acme/app.git", "git@github.com:acme/app.git", "https://github.com/acme/app.git",
    "https://host:8443/a/b.git", "stage app/install 1a2b3c4d5e6f built in 1.00s", "refs/heads/feature@x",
    "commit 0123456789abcdef0123456789abcdef01234567", "https://host/group/a@b/repo.git",
])
def test_harmless_text_stays_as_it_is(text):
    assert redact(text) == text


def test_url_helpers():
    assert url_credentials(f"https://u:{MARKER}@h/x") == ("u", MARKER)
    assert url_credentials(f"https://{MARKER}@h/x") == ("git", MARKER)
    assert url_credentials("https://ghp_" + "a1B2" * 9 + "@h/x") is not None
    assert url_credentials("https://" + "0123456789abcdef" * 2 + "@h/x") is not None
    assert url_credentials("https://alice@h/x") is None and not url_has_credentials("https://alice@h/x")
    assert url_credentials("ssh://git@h/x") is None and url_credentials("git@h:x") is None
    assert url_credentials("https://u:p%40ss@h/x") == ("u", "p@ss")
    assert strip_url_credentials(f"https://u:{MARKER}@h:8443/x.git") == "https://h:8443/x.git"
    assert strip_url_credentials(f"ssh://git:{MARKER}@h/x") == "ssh://h/x"
    assert strip_url_credentials("ssh://git@h/x") == "ssh://git@h/x"
    assert strip_url_credentials("https://alice@h/x") == "https://alice@h/x"
    assert url_has_credentials(f"https://h/x?token={MARKER}") and url_has_credentials(f"https://{MARKER}@h/x")
    assert not url_has_credentials("ssh://git@h/x") and not url_has_credentials("/srv/git/app")


def test_errors_are_redacted_when_made():
    url = f"https://ci:{MARKER}@git.example.com/app.git"
    for err in (WerfError(f"cannot clone {url}", hint=f"try `git ls-remote {url}`"),
                GitError(f"cannot fetch {url}"),
                ConfigError("bad git mapping", path="werf.yaml", line=7, snippet=f"git:\n- url: {url}")):
        assert MARKER not in err.render() and MARKER not in str(err) and MARKER not in repr(err)
        assert "https://***@git.example.com/app.git" in err.render()


def test_progress_output_is_redacted():
    class Job:
        image, stage, digest = "app", "install", "0" * 56
    text, lines = io.StringIO(), io.StringIO()
    for progress in (TextProgress(text), JsonProgress(lines)):
        progress.stage_output(Job(), f"Cloning into 'x'... https://u:{MARKER}@host/x.git")
        progress.warning(f"remote https://{MARKER}@host/x.git is slow")
        progress.info(f"WERF_GIT_HTTP_PASSWORD={MARKER}")
    assert MARKER not in text.getvalue() and MARKER not in lines.getvalue()
    assert all(json.loads(line) for line in lines.getvalue().splitlines())


def test_every_log_record_is_redacted_including_tracebacks(caplog):
    install_log_redaction()
    logger = logging.getLogger("werf_prefect.test_redaction")
    with caplog.at_level(logging.INFO, logger="werf_prefect.test_redaction"):
        logger.info("cloning %s", f"https://u:{MARKER}@host/x.git")
        try:
            raise RuntimeError(f"git failed for https://{MARKER}@host/x.git")
        except RuntimeError:
            logger.exception("unexpected")
    formatted = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "cloning https://***@host/x.git" in formatted and "RuntimeError" in formatted
    assert MARKER not in formatted and MARKER not in caplog.text


def test_registered_secrets_are_masked_exactly():
    secret = "reg-" + uuid.uuid4().hex
    assert redact(f"value {secret}!") == f"value {secret}!"
    register_secret(secret)
    assert redact(f"value {secret}!") == "value ***!"
    register_secret("short")      # too short to mask safely: ignored
    assert redact("a short word") == "a short word"


@settings(max_examples=200, deadline=None)
@given(user=st.text(st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="@/\"'<>`"), min_size=1,
                    max_size=12),
       password=st.text(st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="\"'<>`"),
                        min_size=8, max_size=30),
       scheme=st.sampled_from(["https", "http", "ssh", "git"]), prefix=st.sampled_from(["", "x ", "'", "url=("]))
def test_no_password_survives_in_a_url(user, password, scheme, prefix):
    assume(password not in f"{prefix}{scheme}://" and password not in "host.example.com/app.git and more")
    text = f"{prefix}{scheme}://{user}:{password}@host.example.com/app.git and more"
    assert f":{password}@" not in redact(text)
    assert password not in redact(text).split("host.example.com", 1)[0]
