"""The model stage the engine calls: one `ModelRun` per debugging run with a model configured.

The engine stays the spine — real runs, bottom-up blame, the one checked-fix
path — and calls into a `ModelRun` at four seams: expectations for what has
none (after `analyse` and after `run`), evidence for the line ranking
(`locate`), model fixes merged with the search's (`repair`), and
explanations. Each seam is a no-op when its step is not part of the strategy
(strategies.py), when the call budget is spent, or once the endpoint proved
unusable; a failing endpoint never fails the run: the offline result stands
and `ModelSummary.message` says why in one line.

The budget counts requests sent (answered or failed); answers from the cache
are free. Cancellation reaches the HTTP request (`complete(cancel=...)`); a
cancelled model call sets `cancelled` and every later seam returns at once,
so the engine's own cancellation check ends the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from mgdebug.analysis.model import Expectation, ModuleInfo

from ..baseline import Baseline, Controls
from ..localize.blame import Evidence, Localization
from ..options import ModelOptions
from ..report import ModelSummary, Report, Suspect
from .client import ModelClient, ModelError
from .strategies import Steps, steps_of

T = TypeVar("T")
# Consecutive failed requests after which the endpoint counts as unusable for
# the run (timeouts and 5xx do not mark the client unavailable by themselves).
MAX_FAILURES_IN_A_ROW = 2


class ModelRun:
    """The model half of one run: its client, budget, steps done and the summary."""

    def __init__(
        self, client: ModelClient, options: ModelOptions, cancel: threading.Event | None
    ) -> None:
        self.client = client
        self.options = options
        self.cancel = cancel
        self.steps: Steps = steps_of(options.strategy)
        self.done: list[str] = []  # steps that produced something, in order
        self.cancelled = False
        self.budget_hit = False
        self.failures_in_a_row = 0
        self.model_fix_found = False
        # What the evidence step found, for the suspects' `model_reason` and the fix prompt.
        self.line_reasons: dict[int, list[str]] = {}
        self.evidence_text = ""

    # -- the budget and the one way a step asks ------------------------------------

    def sent(self) -> int:
        usage = self.client.usage
        return usage.calls + usage.failed

    def left(self) -> int:
        return max(0, self.options.max_calls - self.sent())

    @property
    def usable(self) -> bool:
        return (
            not self.cancelled
            and self.client.unavailable is None
            and self.failures_in_a_row < MAX_FAILURES_IN_A_ROW
        )

    def can_ask(self, calls: int = 1) -> bool:
        """Whether a step needing `calls` requests may start (budget, endpoint, cancel)."""
        if not self.usable:
            return False
        if self.left() < calls:
            self.budget_hit = True
            return False
        return True

    def ask(self, step: str, action: Callable[[], T]) -> T | None:
        """Run one model step; None when it failed (counted, the run goes on offline)."""
        if not self.can_ask():
            return None
        before = self.client.usage.failed
        try:
            result = action()
        except ModelError as error:
            if error.kind == "cancelled":
                self.cancelled = True
            else:
                self.failures_in_a_row += 1
            return None
        if self.client.usage.failed > before:
            self.failures_in_a_row += 1  # a step that swallowed its own errors
        else:
            self.failures_in_a_row = 0
        if result and step not in self.done:
            self.done.append(step)
        return result

    # -- the seams the engine calls ------------------------------------------------

    def cases_for_file(
        self, module: ModuleInfo, path: str, narrow: Sequence[str]
    ) -> list[Expectation]:
        """Model-written expectations for a file with none of its own."""
        if not self.steps.cases:
            return []
        from .model_evidence import cases_for_file

        return cases_for_file(self, module, path, narrow)

    def judge_untested(self, baseline: Baseline, controls: Controls, report: Report) -> Baseline:
        """The baseline with model expectations for the untested functions in the blamed scope.

        The returned baseline judges blame and ranks fixes; the checks still
        require only the user's expectations (`baseline` itself).
        """
        if not self.steps.cases or not baseline.failing:
            return baseline
        from .model_evidence import judge_untested

        return judge_untested(self, baseline, controls, report)

    def localize(self, baseline: Baseline, report: Report) -> Localization:
        """Blame with model expectations weighed below the user's (see model_evidence)."""
        from .model_evidence import localize_judged

        return localize_judged(baseline, report.functions)

    def line_evidence(self, baseline: Baseline, loc: Localization) -> list[Evidence]:
        """Block verdicts and the first divergence from the simulated intent, as evidence."""
        from .model_evidence import line_evidence

        return line_evidence(self, baseline, loc)

    def annotate(self, suspects: Sequence[Suspect]) -> None:
        from .model_evidence import annotate

        annotate(self, suspects)

    def repair(
        self,
        baseline: Baseline,
        judged: Baseline,
        controls: Controls,
        loc: Localization,
        report: Report,
    ) -> None:
        """Model fixes, checked, merged with the search's fixes into one ranked list."""
        if not self.steps.fix:
            return
        from .model_repair import repair

        repair(self, baseline, judged, controls, loc, report)

    def explain(self, baseline: Baseline, report: Report) -> None:
        if not self.steps.explain:
            return
        from .explain import explain_failures

        explain_failures(self, baseline, report)

    def simulate_instead(self, baseline: Baseline, report: Report) -> None:
        """The code cannot run here: the model's simulation of the intent, marked simulated."""
        if not self.steps.simulate:
            return
        from .model_evidence import simulate_instead

        simulate_instead(self, baseline, report)

    # -- the end -------------------------------------------------------------------

    def summary(self) -> ModelSummary:
        config = self.client.config
        return ModelSummary(
            name=config.name,
            endpoint=config.endpoint,
            strategy=self.options.strategy,
            usage=self.client.usage.to_json(),
            message=self.message(),
            steps=list(self.done),
        )

    def message(self) -> str:
        """One line for the user when the model could not help; "" when it could."""
        usage = self.client.usage
        if self.cancelled:
            return "the model requests were cancelled"
        if self.client.unavailable is not None:
            return f"{self.client.unavailable}; the offline result stands"
        if usage.failed and not usage.calls and not usage.cached:
            return f"{usage.errors[0]}; the offline result stands"
        if self.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            return f"the model stopped answering ({usage.errors[-1]}); the rest ran offline"
        if self.budget_hit:
            return (
                f"the model budget of {self.options.max_calls} calls was spent before every "
                "step ran; raise --model-budget for more"
            )
        if usage.parse_failures and not self.done:
            return (
                f"the model's answers were unusable ({usage.parse_failures} could not be "
                "parsed); the offline result stands"
            )
        return ""

    def finish(self, report: Report) -> None:
        """Close the client and put the summary into the report."""
        try:
            report.model = self.summary()
        finally:
            self.client.close()


def open_model_run(options: ModelOptions, cancel: threading.Event | None) -> ModelRun | None:
    """The run's model half, or None when no model is configured (nothing changes then)."""
    if options.config is None:
        return None
    from .connect import open_client

    client = open_client(options)
    if client is None:
        return None
    return ModelRun(client, options, cancel)
