"""The model layer on ../shared/bench: scripted models and a real endpoint, side by side.

    python benchmarks/model_bench.py quixbugs                     # all 40, every setting
    python benchmarks/model_bench.py mbpp --limit 50 --budget 10
    python benchmarks/model_bench.py quixbugs --model-url http://localhost:11434/v1 \\
        --model qwen2.5-coder:7b                                  # adds a real endpoint
    python benchmarks/model_bench.py quixbugs --programs gcd hanoi --settings offline oracle

Settings, each over the same bugs with the same protocol as run_bench.py
(visible tests drive the tool, hidden tests judge its top-ranked fix):
offline (no model: the baseline), oracle (the scripted HTTP server answers
with the reference program), noisy (the buggy program back half the time),
garbage (prose, no code), and `--model NAME --model-url URL` if given.
model_oracle.py has the scripted models. Every setting starts with an empty
answer cache, so no setting reuses another's answers.

One table: pass@1 on hidden tests of the bugs whose visible tests fail, wrong
fixes shown (plausible: visible tests pass, hidden fail), calls and tokens per
bug, and the seconds a model adds beyond its own time (run − model − offline,
median per bug). Targets (issue 10): oracle ≥ 95%, noisy ≥ 85%, garbage no
fewer correct and no extra wrong than offline, ≤ 1 s added per bug.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import Program, mbpp, passes, quixbugs  # noqa: E402
from model_oracle import Mode, Oracle, Reference, references  # noqa: E402
from run_bench import Outcome, run_one  # noqa: E402
from scripted_openai import ScriptedOpenAI  # noqa: E402 - on sys.path via model_oracle

from mgdebug.debugger.llm.config import ModelConfig, resolve_model_config  # noqa: E402
from mgdebug.debugger.options import DebugOptions, ModelOptions  # noqa: E402

SCRIPTED: tuple[Mode, ...] = ("oracle", "noisy", "garbage")


def _load_model_layer() -> None:
    """Import every module of debugger/llm now (the engine imports them at first use).

    The oracle read prompts.py at start-up; the rest of the layer must come from
    the same moment's sources, not from files edited while a long run goes on.
    """
    import importlib
    import pkgutil

    from mgdebug.debugger import llm

    for module in pkgutil.iter_modules(llm.__path__):
        if module.name != "local":  # the [local] extra's backend: llama-cpp-python
            importlib.import_module(f"{llm.__name__}.{module.name}")


_load_model_layer()


@dataclass
class Setting:
    name: str
    config: ModelConfig | None  # None: offline
    oracle: Oracle | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def offline(self) -> bool:
        return self.name == "offline"


@contextmanager
def scripted(oracle: Oracle) -> Iterator[ModelConfig]:
    server = ScriptedOpenAI(responder=oracle).start()
    try:
        yield ModelConfig(name=f"scripted-{oracle.mode}", url=server.url, timeout=30.0)
    finally:
        server.stop()


@contextmanager
def fresh_cache() -> Iterator[None]:
    """An empty answer cache for one setting (children inherit the environment)."""
    before = os.environ.get("XDG_CACHE_HOME")
    with tempfile.TemporaryDirectory(prefix="mgdebug-model-bench-") as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = before


def run_setting(
    programs: list[Program],
    options: DebugOptions,
    jobs: int,
    progress: Callable[[Outcome], None],
) -> list[Outcome]:
    with fresh_cache():
        if jobs <= 1:
            outcomes = []
            for program in programs:
                outcomes.append(run_one(program, options))
                progress(outcomes[-1])
            return outcomes
        context = multiprocessing.get_context("spawn")  # the server's threads stay here
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            outcomes = list(pool.map(run_one, programs, [options] * len(programs)))
        for outcome in outcomes:
            progress(outcome)
        return outcomes


def _usage(o: Outcome, key: str) -> float:
    value = o.model.get("usage", {}).get(key, 0) if o.model else 0
    return float(value) if isinstance(value, int | float) else 0.0


def _percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "0/0"


def summary_row(
    setting: Setting, judged: set[str], offline: dict[str, Outcome] | None
) -> list[str]:
    """One line of the table; `judged`: ids of the bugs pass@1 is over."""
    outs = setting.outcomes
    n = len(outs) or 1
    scored = [o for o in outs if o.id in judged]
    correct = sum(o.verdict == "correct" for o in scored)
    wrong = sum(o.verdict == "plausible" for o in scored)
    by_model = sum(o.verdict in ("correct", "plausible") and o.origin == "model" for o in outs)
    lost = gained_wrong = 0
    added: list[float] = []
    if offline is not None:
        for o in outs:
            base = offline.get(o.id)
            if base is None:
                continue
            lost += base.verdict == "correct" and o.verdict != "correct"
            gained_wrong += o.verdict == "plausible" and base.verdict != "plausible"
            added.append(o.seconds - _usage(o, "seconds") - base.seconds)
    tokens = sum(_usage(o, "prompt_tokens") + _usage(o, "completion_tokens") for o in outs)
    added.sort()
    return [
        setting.name,
        _percent(correct, len(scored)),
        str(wrong),
        str(sum(o.verdict == "correct" for o in outs if o.id not in judged)),
        str(by_model),
        f"{lost} / {gained_wrong}" if offline is not None and not setting.offline else "–",
        str(sum(o.verdict == "error" for o in outs)),
        f"{sum(_usage(o, 'calls') for o in outs) / n:.1f}",
        f"{tokens / n:.0f}",
        str(int(sum(_usage(o, "parse_failures") for o in outs))),
        f"{sum(_usage(o, 'seconds') for o in outs) / n:.2f}",
        f"{statistics.median(added):+.2f} / {added[int(0.9 * (len(added) - 1))]:+.2f}"
        if added and not setting.offline
        else "–",
    ]


HEADER = [
    "setting",
    "pass@1 (judged)",
    "wrong shown",
    "fixed (not judged)",
    "top fix by model",
    "lost / extra wrong vs offline",
    "errors",
    "calls/bug",
    "tokens/bug",
    "parse failures",
    "model s/bug",
    "added s/bug median / p90",
]


def table(suite: str, settings: list[Setting], judged: set[str]) -> str:
    offline = next((s for s in settings if s.offline), None)
    base = {o.id: o for o in offline.outcomes} if offline else None
    n = len(settings[0].outcomes) if settings else 0
    rows = [
        f"## {suite}: {n} programs, {len(judged)} judged (visible tests fail; the reference "
        "passes visible and hidden)",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    rows += ["| " + " | ".join(summary_row(s, judged, base)) + " |" for s in settings]
    return "\n".join(rows)


def shortfalls(settings: list[Setting], judged: set[str]) -> str:
    """Per model setting, the judged bugs without a correct top fix: for the diagnosis."""
    lines = []
    for s in settings:
        if s.offline:
            continue
        for o in s.outcomes:
            if o.id in judged and o.verdict != "correct":
                message = o.model.get("message", "") if o.model else ""
                usage = o.model.get("usage", {}) if o.model else {}
                lines.append(
                    f"- {s.name} {o.id}: {o.verdict} {o.origin} {o.fix} "
                    f"calls={usage.get('calls', 0)} parse_failures="
                    f"{usage.get('parse_failures', 0)} {message} {' '.join(o.notes)}".rstrip()
                )
    return "\n".join(lines)


# The docstring's examples are visible tests too: the tool runs them as doctests.
DOCTESTS = "\nimport doctest, sys\nsys.exit(1 if doctest.testmod().failed else 0)\n"


def visible_tests(program: Program) -> str:
    return program.visible + DOCTESTS


def visible_fail(program: Program) -> bool:
    """The visible tests (asserts and docstring examples) fail on the buggy program."""
    return not passes(program.source, visible_tests(program), timeout=5.0)


def load(suite: str, limit: int | None, ids: list[str] | None) -> list[Program]:
    programs = quixbugs() if suite == "quixbugs" else mbpp()
    if ids:
        programs = [p for p in programs if p.id in ids]
    return programs[:limit] if limit else programs


def judged_bugs(refs: list[Reference]) -> tuple[set[str], set[str]]:
    """(judged, left out): bugs whose visible tests fail, split by whether a fix can be judged.

    Left out: the reference itself fails the visible or the hidden tests. Some
    QuixBugs docstring examples are not valid doctests (`levenshtein(electron,
    neutron)`, dicts printed over several lines); an MBPP hidden test's own
    `def check(candidate)` can shadow the program's `check` (MBPP/56).
    """
    failing = {r.program.id for r in refs if visible_fail(r.program)}
    unfixable = {
        r.program.id
        for r in refs
        if r.program.id in failing
        and not (
            passes(r.reference_file, visible_tests(r.program))
            and passes(r.reference_file, r.program.hidden)
        )
    }
    return failing - unfixable, failing & unfixable


def run(args: argparse.Namespace, programs: list[Program], refs: list[Reference]) -> list[Setting]:
    settings: list[Setting] = []
    names = args.settings or ["offline", *SCRIPTED, "model"]

    def progress(o: Outcome) -> None:
        if args.verbose:
            calls = o.model.get("usage", {}).get("calls", 0) if o.model else 0
            print(
                f"  {o.id:32} {o.verdict:14} {o.origin:6} {o.seconds:6.2f}s "
                f"calls={calls} {o.fix} {' '.join(o.notes)}",
                file=sys.stderr,
                flush=True,
            )

    def options(config: ModelConfig | None) -> DebugOptions:
        model = ModelOptions(
            config=config,
            strategy=args.strategy,
            max_calls=args.model_budget,
            use_cache=False,
        )
        return DebugOptions(search_seconds=args.budget, model=model)

    for name in names:
        if name == "model" and not args.model:
            continue
        print(f"# {name}", file=sys.stderr, flush=True)
        if name == "offline":
            setting = Setting(name, None)
            setting.outcomes = run_setting(programs, options(None), args.jobs, progress)
        elif name == "model":
            config = resolve_model_config(Path.cwd(), name=args.model, url=args.model_url)
            setting = Setting(f"model {args.model}", config)
            setting.outcomes = run_setting(programs, options(config), args.jobs, progress)
        else:
            oracle = Oracle(refs, name)  # type: ignore[arg-type]
            with scripted(oracle) as config:
                setting = Setting(name, config, oracle)
                setting.outcomes = run_setting(programs, options(config), args.jobs, progress)
        settings.append(setting)
    return settings


def replay(paths: list[str]) -> list[Setting]:
    """Settings read back from `--json-out` files; a later file's setting replaces an earlier's."""
    found: dict[str, Setting] = {}
    for path in paths:
        for name, outcomes in json.loads(Path(path).read_text()).items():
            found[name] = Setting(name, None, outcomes=[Outcome(**o) for o in outcomes])
    return list(found.values())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("suite", choices=["quixbugs", "mbpp"])
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--programs", nargs="*", help="program ids")
    p.add_argument("--budget", type=float, default=30.0, help="fix search seconds")
    p.add_argument("--model-budget", type=int, default=20, help="model calls per run")
    p.add_argument("--strategy", choices=["mgdebug", "mgdebugger", "ldb"], default="mgdebug")
    p.add_argument("--jobs", type=int, default=1, help="programs debugged at once")
    p.add_argument(
        "--settings", nargs="*", choices=["offline", *SCRIPTED, "model"], help="default: all"
    )
    p.add_argument("--model", help="a real endpoint's model name (adds the `model` setting)")
    p.add_argument("--model-url", help="its OpenAI-compatible base URL")
    p.add_argument("--verbose", action="store_true", help="one line per program on stderr")
    p.add_argument("--json-out", help="write every setting's per-program outcomes here")
    p.add_argument(
        "--replay", nargs="*", help="print the table of --json-out files instead of running"
    )
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    programs = load(args.suite, args.limit, args.programs)
    refs = references(args.suite, programs)
    judged, unfixable = judged_bugs(refs)
    settings = replay(args.replay) if args.replay else run(args, programs, refs)
    print(table(args.suite, settings, judged))
    if unfixable:
        print(
            f"\nNot judged: {len(unfixable)} bug(s) whose tests the reference fails too: "
            + " ".join(sorted(unfixable))
        )
    for s in settings:
        if s.oracle is not None:
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(s.oracle.kinds.items()))
            print(
                f"\n{s.name} answered: {kinds or 'nothing'}; unidentified {s.oracle.unidentified}"
            )
    missing = shortfalls(settings, judged)
    if missing:
        print("\nBugs whose visible tests fail and got no correct top fix, per model setting:")
        print(missing)
    if args.json_out:
        data = {s.name: [o.__dict__ for o in s.outcomes] for s in settings}
        Path(args.json_out).write_text(json.dumps(data, indent=1, default=str))


if __name__ == "__main__":
    main()
