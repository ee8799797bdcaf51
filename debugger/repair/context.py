"""What the caller knows beyond the source: constants from the spec and types from the trace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class CandidateContext:
    """Hints that widen or narrow the edits.

    `constants`: literal values found in the docstring and tests; a literal in
    the code may be swapped for one of the same type.
    `observed_types`: function qualname -> variable name -> type name seen in
    the trace ("int", "list", ...); a variable is only replaced by another of
    the same observed type.
    """

    constants: Sequence[object] = ()
    observed_types: dict[str, dict[str, str]] = field(default_factory=dict)
