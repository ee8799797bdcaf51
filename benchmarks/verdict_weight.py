"""How much block verdicts should count in the line ranking (model_evidence.VERDICT_WEIGHT).

    python benchmarks/verdict_weight.py            # QuixBugs, ~6 min on 2 cores

QuixBugs, localize-only, `--strategy ldb` (verdicts are the only model
evidence), against model_oracle.py's oracle (verdicts "wrong" exactly for the
blocks holding lines the reference changes) and its noisy oracle (half its
answers "all correct"). One engine run per program and setting; the final
`Localization.rerank`'s evidence is captured and the ranking recomputed for
each weight, so the mutation evidence is the same for every weight. Prints
top-1 and top-3 of the buggy lines per weight.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import quixbugs  # noqa: E402
from model_oracle import Oracle, references  # noqa: E402
from run_bench import run_one  # noqa: E402
from scripted_openai import ScriptedOpenAI  # noqa: E402 - on sys.path via model_oracle

from mgdebug.debugger.llm.config import ModelConfig  # noqa: E402
from mgdebug.debugger.localize.blame import Evidence, Localization  # noqa: E402
from mgdebug.debugger.options import DebugOptions, ModelOptions  # noqa: E402

WEIGHTS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]


def main() -> None:
    captured: list[tuple[Localization, list[Evidence]]] = []
    original = Localization.rerank

    def spy(self: Localization, evidence: Any) -> None:
        captured.append((self, list(evidence)))
        original(self, evidence)

    Localization.rerank = spy  # type: ignore[method-assign]
    programs = quixbugs()
    refs = references("quixbugs", programs)
    for mode in ("oracle", "noisy"):
        server = ScriptedOpenAI(responder=Oracle(refs, mode)).start()  # type: ignore[arg-type]
        config = ModelConfig(name="oracle", url=server.url, timeout=20, retries=0)
        model = ModelOptions(config=config, strategy="ldb", use_cache=False, max_calls=4)
        options = DebugOptions(search_fixes=False, model=model)
        top1 = dict.fromkeys(WEIGHTS, 0)
        top3 = dict.fromkeys(WEIGHTS, 0)
        ranked = 0
        for program in programs:
            captured.clear()
            run_one(program, options)
            if not captured:
                continue
            loc, evidence = captured[-1]
            ranked += 1
            for weight in WEIGHTS:
                weighed = [
                    replace(e, weight=weight) if e.source == "model" else e for e in evidence
                ]
                original(loc, weighed)
                lines = [s.line for s in loc.suspects]
                top1[weight] += bool(lines) and lines[0] in program.buggy_lines
                top3[weight] += any(line in program.buggy_lines for line in lines[:3])
        server.stop()
        print(f"{mode}: {ranked} programs ranked")
        for weight in WEIGHTS:
            print(f"  W={weight:.1f}: top-1 {top1[weight]}/{ranked}  top-3 {top3[weight]}/{ranked}")


if __name__ == "__main__":
    main()
