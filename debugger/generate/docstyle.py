"""Docstring styles: which one a file (or its project) uses, and docstring text in it.

A generated docstring should read like its neighbours. The style is voted on
by the docstrings already in the file — Google (`Args:` / `Returns:`), NumPy
(underlined `Parameters` / `Returns`) or reST (`:param x:` / `:returns:`) —
and, when the file has none that say, by a few other modules of its folder.
Google is the default: it is the most common, and reads well bare.

`render_sections` writes the sections a function's docstring lacks, in the
chosen style, without the summary line (docstring_writer.py places it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Style = Literal["google", "numpy", "rest"]
STYLES: tuple[Style, ...] = ("google", "numpy", "rest")

_SIGNS: dict[Style, re.Pattern[str]] = {
    "google": re.compile(r"^\s*(Args|Arguments|Returns|Raises|Yields|Examples?):\s*$", re.M),
    "numpy": re.compile(r"^\s*(Parameters|Returns|Raises|Yields|Examples?)\s*\n\s*-{3,}\s*$", re.M),
    "rest": re.compile(r"^\s*:(param|returns?|rtype|raises?|type)\b[^:]*:", re.M),
}
_SIBLINGS_READ = 8  # other modules of the folder read when the file itself does not say
_SIBLING_BYTES = 200_000


def style_votes(texts: Iterable[str]) -> dict[Style, int]:
    """How many of `texts` (docstrings or whole modules) use each style."""
    votes: dict[Style, int] = dict.fromkeys(STYLES, 0)
    for text in texts:
        for style in STYLES:
            if _SIGNS[style].search(text):
                votes[style] += 1
    return votes


def detect_style(docstrings: Sequence[str], path: str | None = None) -> Style:
    """The style of `docstrings` (the file's), else of the modules beside `path`; else Google."""
    votes = style_votes(docstrings)
    if not any(votes.values()) and path:
        votes = style_votes(_sibling_texts(path))
    best = max(STYLES, key=lambda s: votes[s])
    return best if votes[best] else "google"


def _sibling_texts(path: str) -> Iterable[str]:
    folder = os.path.dirname(os.path.abspath(path))
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    read = 0
    for name in names:
        full = os.path.join(folder, name)
        if not name.endswith(".py") or full == os.path.abspath(path) or read >= _SIBLINGS_READ:
            continue
        try:
            with open(full, encoding="utf-8", errors="replace") as handle:
                yield handle.read(_SIBLING_BYTES)
        except OSError:
            continue
        read += 1


@dataclass
class Param:
    name: str
    type: str = ""  # as annotated, or observed ("list of int"); "" unknown
    description: str = ""


@dataclass
class DocParts:
    """What a docstring says, before it is laid out in a style."""

    summary: str
    params: list[Param] = field(default_factory=list)
    returns: str | None = None  # the return type ("" if unknown); None: returns nothing
    returns_description: str = ""
    raises: list[tuple[str, str]] = field(default_factory=list)  # (exception, when)
    examples: list[str] = field(default_factory=list)  # doctest blocks, unindented


def missing_parts(existing: str, parts: DocParts) -> DocParts:
    """`parts` without what the existing docstring already documents."""
    if not existing.strip():
        return parts
    # A docstring that already has a parameters section is the author's: left as it is.
    has_params = bool(re.search(r"^\s*(Args|Arguments|Parameters)\b|:param\b", existing, re.M))
    params = [] if has_params else parts.params
    has_returns = bool(re.search(r"^\s*Returns?\b|:returns?:|:rtype:", existing, re.M))
    has_raises = bool(re.search(r"^\s*Raises\b|:raises?\b", existing, re.M))
    raises = [] if has_raises else parts.raises
    examples = [] if ">>>" in existing else parts.examples
    return DocParts(
        summary="",
        params=params,
        returns=None if has_returns else parts.returns,
        returns_description=parts.returns_description,
        raises=raises,
        examples=examples,
    )


def render_sections(style: Style, parts: DocParts) -> list[str]:
    """The sections of `parts` in `style`, as lines without indentation, blank-line separated."""
    sections: list[list[str]] = []
    if parts.params:
        sections.append(_params(style, parts.params))
    if parts.returns is not None:
        sections.append(_returns(style, parts.returns, parts.returns_description))
    if parts.raises:
        sections.append(_raises(style, parts.raises))
    if parts.examples:
        sections.append(_examples(style, parts.examples))
    lines: list[str] = []
    for section in sections:
        if lines:
            lines.append("")
        lines.extend(section)
    return lines


def _heading(style: Style, title: str) -> list[str]:
    if style == "numpy":
        return [title, "-" * len(title)]
    return [f"{title}:"]


def _params(style: Style, params: Sequence[Param]) -> list[str]:
    if style == "rest":
        lines = []
        for p in params:
            lines.append(f":param {p.name}: {p.description}".rstrip())
            if p.type:
                lines.append(f":type {p.name}: {p.type}")
        return lines
    if style == "numpy":
        lines = _heading(style, "Parameters")
        for p in params:
            lines.append(f"{p.name} : {p.type}" if p.type else p.name)
            if p.description:
                lines.append(f"    {p.description}")
        return lines
    lines = _heading(style, "Args")
    for p in params:
        typed = f" ({p.type})" if p.type else ""
        lines.append(f"    {p.name}{typed}: {p.description}".rstrip())
    return lines


def _returns(style: Style, type_: str, description: str) -> list[str]:
    if style == "rest":
        lines = [f":returns: {description}".rstrip()]
        return lines + ([f":rtype: {type_}"] if type_ else [])
    if style == "numpy":
        return [*_heading(style, "Returns"), type_ or "object"] + (
            [f"    {description}"] if description else []
        )
    text = f"{type_}: {description}" if type_ and description else type_ or description
    return [*_heading(style, "Returns"), f"    {text}".rstrip()]


def _raises(style: Style, raises: Sequence[tuple[str, str]]) -> list[str]:
    if style == "rest":
        return [f":raises {name}: {when}".rstrip() for name, when in raises]
    if style == "numpy":
        lines = _heading(style, "Raises")
        for name, when in raises:
            lines += [name] + ([f"    {when}"] if when else [])
        return lines
    return _heading(style, "Raises") + [f"    {name}: {when}".rstrip() for name, when in raises]


def _examples(style: Style, examples: Sequence[str]) -> list[str]:
    # reST has no examples field: a plain paragraph of doctest blocks is what Sphinx shows.
    lines = ["Examples:"] if style == "rest" else _heading(style, "Examples")
    for block in examples:
        lines.extend(
            ("    " + line if style == "google" and line else line) for line in block.split("\n")
        )
    return lines
