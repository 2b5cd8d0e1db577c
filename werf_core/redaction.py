"""One redaction function for every message werf-prefect prints, logs, raises or stores: `redact(text)`.

Secrets reach messages through URLs more than anything else: a remote git URL with a token in it
(`https://user:TOKEN@host/...`, `https://TOKEN@host/...`, `ssh://user:PASSWORD@host/...`, `...?private_token=X`)
ends up in a git error, a config error snippet, a log line. `redact` removes

- the user-info part of URLs (`scheme://***@host`; only an ssh user name without password stays, it is no secret),
- secret-looking query parameters (`?token=***`, `&X-Amz-Signature=***`, ...),
- well-known token formats (GitHub `ghp_…`/`github_pat_…`, GitLab `glpat-…`, Slack, AWS access keys, Prefect API
  keys, private-key blocks), `Authorization:` header values, docker config `"auth"` values,
  `*PASSWORD*=`/`*TOKEN*=`/`*SECRET*=` environment-style assignments,
- and every exact value registered with `register_secret` (credentials this process loaded itself).

Used by `WerfError` (so every user-facing error), the progress printers, the Prefect progress logger and, through
`install_log_redaction`, every log record of the process. Over-redacting is accepted; leaking is not.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit, urlunsplit

__all__ = ["MASK", "redact", "redact_url", "url_credentials", "strip_url_credentials", "register_secret",
           "install_log_redaction", "url_has_credentials", "plausible_user_name"]

MASK = "***"
_MIN_REGISTERED_SECRET = 6        # shorter values would mask ordinary words

# scheme://USERINFO@ — userinfo runs to the last '@' of the token (passwords with a raw '@' are common)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^\s\"'<>`]*)@")
# a documented address format, not a credential: kubernetes://NAMESPACE[:CONTEXT][@PATH] (upper-case placeholders)
_PLACEHOLDER = re.compile(r"[A-Z_]+(?:\[:[A-Z_]+\])*\[?")
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;#](?:[\w.-]*(?:token|secret|password|passwd|pwd|apikey|api_key|api-key|key|auth|signature|"
    r"credential|sig|code|session)[\w.-]*)=)(?P<value>(?:(?!:(?:\s|$))[^&;#\s\"'<>`])*)", re.IGNORECASE)
_TOKENS = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|gl(?:pat|dt|rt|oas|ptt|cbt|ft|imt|agent|soat)-"
    r"[A-Za-z0-9_-]{16,}|xox[abposr]-[A-Za-z0-9-]{8,}|(?:AKIA|ASIA)[0-9A-Z]{16}|pnu_[A-Za-z0-9]{20,}|"
    r"npm_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{30,})")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
                          re.DOTALL)
_AUTH_HEADER = re.compile(r"(?P<key>\b(?:proxy-)?authorization\s*[:=]\s*(?:(?:bearer|basic|token|digest)\s+)?)"
                          r"(?P<value>[^\s\"',;]+)", re.IGNORECASE)
_JSON_AUTH = re.compile(r"(?P<key>\"(?:auth|password|identitytoken|registrytoken|token|secret)\"\s*:\s*\")"
                        r"(?P<value>(?:[^\"\\]|\\.)*)\"", re.IGNORECASE)
_ENV_ASSIGNMENT = re.compile(r"(?P<key>\b[A-Z0-9_]*(?:PASSWORD|PASSWD|TOKEN|SECRET|API_KEY|PRIVATE_KEY)[A-Z0-9_]*=)"
                             r"(?P<value>[^\s\"']+)")

_SSH_SCHEMES = ("ssh://", "git+ssh://", "ssh+git://")

_registered: set[str] = set()
_registered_pattern: re.Pattern[str] | None = None
_registered_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Redact this exact value from now on, wherever it appears (credentials this process loaded)."""
    global _registered_pattern
    if not value or len(value) < _MIN_REGISTERED_SECRET:
        return
    with _registered_lock:
        if value in _registered:
            return
        _registered.add(value)
        # longest first, so a secret containing another one is masked as a whole
        ordered = sorted(_registered, key=len, reverse=True)
        _registered_pattern = re.compile("|".join(re.escape(v) for v in ordered))


def _masked_user(scheme: str, userinfo: str) -> str:
    if scheme.lower() in _SSH_SCHEMES and re.fullmatch(r"[A-Za-z0-9._-]{1,64}", userinfo):
        return userinfo                     # an ssh user name (git@) is not a secret
    if "[" in userinfo and _PLACEHOLDER.fullmatch(userinfo):
        return userinfo                     # a format in a hint, e.g. NAMESPACE[:CONTEXT][
    return MASK


def _userinfo(match: re.Match[str]) -> str:
    scheme, userinfo = match.group("scheme"), match.group("userinfo")
    head, slash, rest = userinfo.partition("/")
    if slash and ":" not in head:
        # the last '@' lies in the path (https://host/a@b): only an '@' in the authority marks user-info
        tail = _URL_USERINFO.sub(_userinfo, rest + "@") if "://" in rest else rest + "@"
        if "@" in head:
            user, host = head.rsplit("@", 1)
            return f"{scheme}{_masked_user(scheme, user)}@{host}/{tail}"
        return f"{scheme}{head}/{tail}"
    return f"{scheme}{_masked_user(scheme, userinfo)}@"


def redact(text: str) -> str:
    """`text` with every credential masked as `***` (see the module docstring for what is recognised)."""
    if not text:
        return text
    if "@" in text and "://" in text:
        text = _URL_USERINFO.sub(_userinfo, text)
    if "=" in text:
        text = _SECRET_QUERY.sub(lambda m: m.group("key") + MASK, text)
        text = _ENV_ASSIGNMENT.sub(lambda m: m.group("key") + MASK, text)
    text = _TOKENS.sub(MASK, text)
    if "PRIVATE KEY-----" in text:
        text = _PRIVATE_KEY.sub(f"-----BEGIN PRIVATE KEY----- {MASK}", text)
    lowered = text.lower()
    if "authorization" in lowered:
        text = _AUTH_HEADER.sub(lambda m: m.group("key") + MASK, text)
    if '"' in text and ":" in text:
        text = _JSON_AUTH.sub(lambda m: f'{m.group("key")}{MASK}"', text)
    pattern = _registered_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return text


# ---------------------------------------------------------------- URLs
def _split(url: str) -> SplitResult | None:
    if "://" not in url:
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None


_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_HEX_OR_B64 = re.compile(r"^(?:[0-9a-fA-F]{20,}|[A-Za-z0-9+/=_-]{33,})$")


def plausible_user_name(user: str) -> bool:
    """A user name alone in a URL (`https://alice@host/...`) is no secret; a token used as one
    (`https://ghp_…@github.com/...`, 40 hex digits) is."""
    return bool(_USER_NAME.match(user)) and not _HEX_OR_B64.match(user) and not _TOKENS.search(user)


def url_credentials(url: str) -> tuple[str, str] | None:
    """(username, password) embedded in a URL (`https://user:pw@host/...`; a token alone as user name, as in
    GitHub's `https://TOKEN@github.com/...`, is returned as the password), or None. A plausible user name without a
    password (`https://alice@host`, `ssh://git@host`) is not a credential."""
    parts = _split(url)
    if parts is None or "@" not in parts.netloc:
        return None
    userinfo = parts.netloc.rsplit("@", 1)[0]
    user, sep, password = userinfo.partition(":")
    from urllib.parse import unquote
    user, password = unquote(user), unquote(password)
    if not sep:
        if parts.scheme.lower() in ("ssh", "git+ssh", "ssh+git") or plausible_user_name(user):
            return None
        return ("git", user) if user else None
    return user, password


def url_has_credentials(url: str) -> bool:
    """A password, a token as user name, a secret-looking query parameter or a known token format."""
    if url_credentials(url) is not None or _SECRET_QUERY.search(url) or _TOKENS.search(url):
        return True
    parts = _split(url)
    if parts is not None and "@" in parts.netloc:
        return False        # a plausible user name only (redact masks it anyway, to be safe)
    return redact(url) != url


def strip_url_credentials(url: str) -> str:
    """The URL without user-info password/token (an ssh user name stays) — what may be stored or shown."""
    parts = _split(url)
    if parts is None or "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    keep = ""
    if ":" not in userinfo and (parts.scheme.lower() in ("ssh", "git+ssh", "ssh+git")
                                or plausible_user_name(userinfo)):
        keep = userinfo + "@"
    return urlunsplit(parts._replace(netloc=keep + host))


def redact_url(url: str) -> str:
    """A URL as it may be shown: credentials masked (`https://***@host/...`), secret query values masked."""
    return redact(url)


# ---------------------------------------------------------------- logging
_installed = False
_install_lock = threading.Lock()


def install_log_redaction() -> None:
    """Redact every log record this process creates, whatever logger or handler (Prefect's API log handler too).

    Done in the record factory, so it happens once per record before any handler or filter sees it; the exception
    text is formatted and redacted here as well (formatters reuse `record.exc_text`).
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


_FORMATTER = logging.Formatter()


def _redacted_arg(value: object) -> object:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


def _redact_record(record: logging.LogRecord) -> None:
    # arguments are redacted one by one and stay arguments: some formatters (uvicorn's access log) unpack them
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redacted_arg(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _redacted_arg(arg) for key, arg in record.args.items()}
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to logging's own error reporting
        return
    cleaned = redact(message)
    if cleaned != message:             # a secret only formed by formatting: keep the redacted text alone
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
