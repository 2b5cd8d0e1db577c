"""Docker-tag slugs of branch and tag names, as werf v1.1's `slug.DockerTag` makes them.

A name that already is a valid docker tag (`^[\\w][\\w.-]*$`, at most 128 bytes) is used as it is. Any other name is
slugged: letters are lowercased, separators (`/`, `.`, `_`, spaces, brackets, ...) become `-`, everything else is
dropped, runs of `-` collapse and `-` is trimmed from both ends; then `-<murmur3 hash of the original name>` is
appended, so two different names never share a tag even when they slug alike (`feature/a` vs `feature_a`). The slug
part is cut so that the whole tag stays within 128 bytes.

ASCII names (nearly every real branch name) give exactly werf's tags. For other letters werf carries a large
transliteration table; we transliterate on our own (Unicode decomposition strips accents, a small table covers
Cyrillic and letters without a decomposition), so a rare non-ASCII letter may slug differently from werf.
"""

from __future__ import annotations

import re
import unicodedata

from werf_core.hashing import murmur_hash

DOCKER_TAG_MAX_BYTES = 128
_VALID_DOCKER_TAG = re.compile(r"[\w][\w.-]*", re.ASCII)
_SEPARATOR = "-"

# ASCII characters that werf turns into a separator; other ASCII punctuation is dropped.
_ASCII_SEPARATORS = frozenset(" &(){}-_[],.;:=+<>~/")

# Letters that Unicode decomposition does not reduce to ASCII.
_EXTRA_LETTERS = {
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ħ": "h", "ı": "i",
    "ŋ": "n", "ŧ": "t", "ĸ": "k", "µ": "u",
}
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i", "й": "j",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "h", "ц": "c", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "є": "ye", "і": "i", "ї": "yi", "ґ": "g",
}


def is_valid_docker_tag(name: str) -> bool:
    return bool(_VALID_DOCKER_TAG.fullmatch(name)) and len(name.encode()) <= DOCKER_TAG_MAX_BYTES


def docker_tag(name: str) -> str:
    """`name` itself when it is a valid docker tag (or empty), otherwise its slug with a hash suffix."""
    if name == "" or is_valid_docker_tag(name):
        return name
    return _slug_with_hash(name, DOCKER_TAG_MAX_BYTES)


def slugify(text: str) -> str:
    """Lowercase ASCII letters and digits joined by single `-`, no `-` at either end."""
    mapped = "".join(_map_char(ch) for ch in text)
    return re.sub(r"-{2,}", _SEPARATOR, mapped).strip(_SEPARATOR)


def _slug_with_hash(name: str, max_bytes: int) -> str:
    slug = slugify(name)
    suffix = murmur_hash(name)  # hex without zero padding, so 1-8 characters
    if not slug:
        return suffix
    # werf cuts the slug without trimming a `-` left at the cut, giving e.g. "abc--1a2b3c4d"; keep that, so our
    # tags for long names match the ones werf made.
    room = max_bytes - len(suffix) - len(_SEPARATOR)
    return slug[:room] + _SEPARATOR + suffix


def _map_char(ch: str) -> str:
    if ch.isascii():
        if ch.isalnum():
            return ch.lower()
        return _SEPARATOR if ch in _ASCII_SEPARATORS else ""
    lower = ch.lower()
    if lower in _CYRILLIC:
        return _CYRILLIC[lower]
    if lower in _EXTRA_LETTERS:
        return _EXTRA_LETTERS[lower]
    decomposed = unicodedata.normalize("NFKD", ch)
    if decomposed == ch:
        return ""  # no ASCII form (Greek, CJK, symbols): dropped, as werf drops letters it cannot map
    return "".join(_map_char(part) for part in decomposed if part != ch)
