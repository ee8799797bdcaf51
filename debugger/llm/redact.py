"""Secrets out of prompts: string literals that look like keys are replaced before sending.

A prompt holds the user's code, and code carries secrets more often than it
should (a test fixture's token, a hard-coded key). What is redacted: literals
with a known key shape (OpenAI, AWS, GitHub, Slack, Google, JWTs, PEM private
keys) and long random-looking literals assigned to a name that says
key/token/secret/password. The replacement keeps the literal's quotes so the
code still parses and the model still sees a string there.
"""

from __future__ import annotations

import math
import re
from collections import Counter

REDACTED = "<redacted>"

_KNOWN_SHAPES = re.compile(
    r"(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{30,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
)
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)
_NAMED = re.compile(
    r"(?P<name>\b\w*(?:key|token|secret|passw(?:or)?d|pwd|credential|auth)\w*\b)"
    r"(?P<between>\s*[:=]\s*)(?P<quote>['\"])(?P<value>[^'\"\n]{12,})(?P=quote)",
    re.IGNORECASE,
)


def _random_looking(value: str) -> bool:
    """High entropy and no spaces: a credential, not a sentence or a file name."""
    if " " in value or len(value) < 12:
        return False
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return entropy >= 3.5


def redact(text: str) -> tuple[str, int]:
    """`text` with secret-looking literals replaced, and how many were replaced."""
    count = 0

    def shape(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return REDACTED

    text = _PEM.sub(shape, text)
    text = _KNOWN_SHAPES.sub(shape, text)

    def named(match: re.Match[str]) -> str:
        nonlocal count
        if not _random_looking(match.group("value")) or match.group("value") == REDACTED:
            return match.group(0)
        count += 1
        quote = match.group("quote")
        return f"{match.group('name')}{match.group('between')}{quote}{REDACTED}{quote}"

    text = _NAMED.sub(named, text)
    return text, count
