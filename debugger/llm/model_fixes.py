"""Fixes written by the model, as candidates for the one sandbox check (LDB's loop).

A conversation per blamed function: the first request carries the function,
the failing expectations (expected vs actual) and the evidence (block
verdicts, the top suspect lines); each answer is parsed strictly and spliced
into the user's file so only the changed functions move. A candidate that
fails its check goes back as a follow-up with the new failures, up to the
caller's budget. Nothing here decides whether a fix is good: the caller runs
every candidate against every expectation, exactly like the edit search's.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from mgdebug.analysis.model import ModuleInfo

from .answers import AnswerError, code_answer
from .client import ModelClient, ModelError
from .prompts import FIX, FIX_AGAIN, FIX_UNUSABLE, SYSTEM
from .splice import Splice, splice_functions


@dataclass(frozen=True)
class Failure:
    """One failing expectation as the prompt states it."""

    description: str  # "total([1, 2, 3]) == 6"
    expected: str | None
    actual: str | None

    def line(self) -> str:
        return f"- {self.description}: expected {self.expected}, got {self.actual}"


def render_failures(failures: Sequence[Failure], limit: int = 8) -> str:
    shown = [f.line() for f in failures[:limit]]
    if len(failures) > limit:
        shown.append(f"- ... and {len(failures) - limit} more")
    return "\n".join(shown)


@dataclass
class FixConversation:
    """The exchange about one function; `propose()` first, then `retry()` per failed check."""

    client: ModelClient
    source: str
    module: ModuleInfo
    function_source: str
    failures: Sequence[Failure]
    evidence: str = ""  # block verdicts and suspect lines, already worded
    cancel: threading.Event | None = None
    messages: list[dict[str, str]] = field(default_factory=list)
    # Why the last answer could not be used ("" when it could): the follow-up then
    # says so instead of claiming the fix was run.
    unusable: str = ""

    def propose(self) -> Splice | None:
        prompt = FIX.format(
            function=self.function_source.rstrip(),
            failures=render_failures(self.failures),
            evidence=f"\nWhat the real run shows:\n{self.evidence}\n" if self.evidence else "",
        )
        self.messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": prompt},
        ]
        return self._ask()

    def retry(self, failures: Sequence[Failure]) -> Splice | None:
        """Tell the model its last fix failed these expectations and ask again."""
        if not self.messages or self.messages[-1]["role"] != "assistant":
            return self.propose()  # the last request got no answer: ask it again
        if self.unusable:
            follow_up = FIX_UNUSABLE.format(problem=self.unusable)
        else:
            follow_up = FIX_AGAIN.format(failures=render_failures(failures))
        self.messages.append({"role": "user", "content": follow_up})
        return self._ask()

    def _ask(self) -> Splice | None:
        """A spliced candidate, or None when the answer is unusable (counted)."""
        try:
            answer = self.client.complete(self.messages, cancel=self.cancel)
        except ModelError as error:
            if error.kind == "cancelled":
                raise
            return None
        self.messages.append({"role": "assistant", "content": answer.text})
        try:
            spliced = splice_functions(self.source, self.module, code_answer(answer.text))
        except AnswerError as error:
            self.client.note_parse_failure(str(error))
            self.unusable = str(error)
            return None
        self.unusable = ""
        return spliced
