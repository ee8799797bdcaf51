"""Which model steps each `--strategy` runs, so the seeds' methods can be compared with ours.

- "mgdebug" (the default): generated expectations, block verdicts on the real
  trace, intent simulation, checked model fixes with the real trace and the
  verdicts in the prompt, explanations.
- "mgdebugger" (the paper's loop): generated expectations, simulation, fixes
  bottom-up — and no real trace in any prompt (the paper's model never sees one).
- "ldb": the entry function's real trace, block verdicts, regenerate; no
  generated expectations and no simulation.

Every strategy checks every model fix in the sandbox the same way: only what
the model is shown and asked differs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Steps:
    cases: bool  # expectations for untested functions (and for a file with none)
    verdicts: bool  # LDB block verdicts on the real failing run
    simulate: bool  # intent simulation aligned with the real run
    fix: bool  # model fixes, checked, with LDB's retry loop
    explain: bool  # a two-sentence "why" per failing function
    trace_in_prompts: bool  # the real trace and the verdicts go into the fix prompt
    entry_trace: bool  # verdicts on the expectation's own function (LDB), not the blamed one
    decompose: bool  # a long function with no helpers is split and debugged as a tree
    decompose_first: bool  # the paper's order: split first; else only when a direct fix fails


STRATEGIES: dict[str, Steps] = {
    "mgdebug": Steps(True, True, True, True, True, True, False, True, False),
    "mgdebugger": Steps(True, False, True, True, True, False, False, True, True),
    "ldb": Steps(False, True, False, True, True, True, True, False, False),
}


def steps_of(strategy: str) -> Steps:
    """The steps of `strategy`; an unknown name runs the default's."""
    return STRATEGIES.get(strategy, STRATEGIES["mgdebug"])
