"""How the language server feels on a big file: a scripted LSP client measures it.

Not a timed test: it prints a table. On a generated 2,000-line file with 100
functions (every 10th one buggy, every function doctested, some calling others):
initialize → first diagnostics; codeAction latency from cache (p50/p99); one
edited function → updated diagnostics (only it and its callers re-run);
the server's RSS; and jedi-language-server's hover and code action on the same
file for scale (if `jedi-language-server` is installed).

    python benchmarks/lsp_bench.py [--functions 100] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

TARGETS = {"codeAction p99": "≤ 50 ms", "edit → diagnostics": "≤ 1 s", "server RSS": "≤ 300 MB"}


def generate(functions: int) -> str:
    """`functions` functions of 20 lines each; every 10th has `>=` where `>` is meant."""
    parts = []
    for i in range(functions):
        k = i % 7 + 1
        op = ">=" if i % 10 == 3 else ">"
        calls = f"f{i - 1}(xs) * 0 + " if i % 5 == 4 else ""
        expected = sum(x for x in (1, 8, k, 9) if x > k)
        parts.append(
            f'''def f{i}(xs):
    """Sum of the items above {k}.

    >>> f{i}([1, 8, {k}, 9])
    {expected}
    >>> f{i}([])
    0
    """
    total = 0
    for x in xs:
        if x {op} {k}:
            total += x
    return {calls}total


# padding keeps every function at twenty lines
# so that edits are easy to place
# and the file is exactly as long as promised
# ...

'''
        )
    return "".join(parts)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("lsp-bench", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.published = asyncio.Event()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)
            self.published.set()

        for method in (
            types.WINDOW_WORK_DONE_PROGRESS_CREATE,
            types.WORKSPACE_CODE_LENS_REFRESH,
            types.WORKSPACE_INLAY_HINT_REFRESH,
        ):
            self.feature(method)(lambda params: None)
        for method in (types.PROGRESS, types.WINDOW_LOG_MESSAGE, types.WINDOW_SHOW_MESSAGE):
            self.feature(method)(lambda params: None)

    async def wait_diagnostics(self, uri: str, predicate: Any, timeout: float) -> float:
        started = time.monotonic()
        while not predicate(self.diagnostics.get(uri)):
            self.published.clear()
            remaining = timeout - (time.monotonic() - started)
            if remaining <= 0:
                raise TimeoutError(f"no matching diagnostics in {timeout}s")
            try:
                await asyncio.wait_for(self.published.wait(), remaining)
            except asyncio.TimeoutError:
                continue
        return time.monotonic() - started


async def session(command: list[str], root: Path) -> tuple[Client, float]:
    client = Client()
    await client.start_io(*command)
    started = time.monotonic()
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True)
            ),
            root_uri=from_fs_path(str(root)),
        )
    )
    client.initialized(types.InitializedParams())
    return client, started


def open_doc(client: Client, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", version, text))
    )


async def timed_requests(
    client: Client, uri: str, lines: int, requests: int, kind: str
) -> list[float]:
    rng = random.Random(7)
    doc = types.TextDocumentIdentifier(uri)
    times = []
    for _ in range(requests):
        line = rng.randrange(lines)
        started = time.perf_counter()
        if kind == "hover":  # on a function's name: a position every server can answer
            position = types.Position(line - line % 20, 5)
            await client.text_document_hover_async(types.HoverParams(doc, position))
        else:
            where = types.Range(types.Position(line, 0), types.Position(line, 0))
            await client.text_document_code_action_async(
                types.CodeActionParams(doc, where, types.CodeActionContext(diagnostics=[]))
            )
        times.append((time.perf_counter() - started) * 1000)
    return times


def failing(diagnostics: list[types.Diagnostic] | None) -> set[int]:
    return {d.range.start.line for d in diagnostics or [] if d.code == "failing-function"}


async def bench_mgdebug(path: Path, text: str, requests: int) -> list[tuple[str, str]]:
    rows = []
    command = [sys.executable, "-m", "mgdebug.server", "lsp"]
    client, started = await session(command, path.parent)
    uri = from_fs_path(str(path)) or ""
    try:
        open_doc(client, uri, text)
        await client.wait_diagnostics(uri, lambda d: bool(failing(d)), 1800)
        rows.append(("initialize → first diagnostics", f"{time.monotonic() - started:.1f} s"))
        rows.append(("failing functions found", str(len(failing(client.diagnostics[uri])))))
        lines = len(text.splitlines())
        times = await timed_requests(client, uri, lines, requests, "codeAction")
        rows.append(
            (
                "codeAction p50 / p99",
                f"{percentile(times, 0.5):.1f} / {percentile(times, 0.99):.1f} ms",
            )
        )
        # fix the bug in f3 (lines 0-based 60..79): its diagnostic must go away
        before = failing(client.diagnostics[uri])
        fixed = text.replace("if x >= 4:", "if x > 4:", 1)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(2, uri),
                [types.TextDocumentContentChangeWholeDocument(text=fixed)],
            )
        )
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
        )
        seconds = await client.wait_diagnostics(uri, lambda d: failing(d) == before - {60}, 600)
        rows.append(
            ("edit one function → updated diagnostics", f"{seconds:.2f} s (incl. 0.1 s debounce)")
        )
        assert client._server is not None
        rows.append(("server RSS", f"{rss_mb(client._server.pid):.0f} MB"))
    finally:
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return rows


async def bench_jedi(path: Path, text: str, requests: int) -> list[tuple[str, str]]:
    jedi = shutil.which("jedi-language-server")
    if jedi is None:
        return [("jedi-language-server", "not installed (pip install jedi-language-server)")]
    client, _ = await session([jedi], path.parent)
    uri = from_fs_path(str(path)) or ""
    try:
        open_doc(client, uri, text)
        lines = len(text.splitlines())
        hover = await timed_requests(client, uri, lines, requests, "hover")
        action = await timed_requests(client, uri, lines, requests, "codeAction")
        assert client._server is not None
        return [
            (
                "jedi-language-server hover p50 / p99",
                f"{percentile(hover, 0.5):.1f} / {percentile(hover, 0.99):.1f} ms",
            ),
            (
                "jedi-language-server codeAction p50 / p99",
                f"{percentile(action, 0.5):.1f} / {percentile(action, 0.99):.1f} ms",
            ),
            ("jedi-language-server RSS", f"{rss_mb(client._server.pid):.0f} MB"),
        ]
    finally:
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    text = generate(args.functions)
    with tempfile.TemporaryDirectory(prefix="mgdebug-lsp-bench-") as folder:
        path = Path(folder) / "generated.py"
        path.write_text(text)
        rows = [("file", f"{len(text.splitlines())} lines, {args.functions} functions")]
        rows += await bench_mgdebug(path, text, args.requests)
        rows += await bench_jedi(path, text, args.requests)
    width = max(len(name) for name, _ in rows)
    print(f"{'measure'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 30}")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    print("targets: " + ", ".join(f"{k} {v}" for k, v in TARGETS.items()))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    asyncio.run(main())
