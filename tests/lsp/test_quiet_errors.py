"""No tracebacks from mgdebug's internals in the editor's output channel (the server's
stderr): an error is one line there, with a one-line notice to the user; the whole
traceback only with MGDEBUG_LOG_LEVEL=DEBUG (issue 14).

The end-to-end test runs the real server with an engine that fails the way a
sandbox worker's broken pipe used to reach the user: from deep inside a run.
"""

from __future__ import annotations

import logging

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from mgdebug.server.lsp.logs import OneLineFormatter

from .conftest import SERVER_COMMAND, open_file, server_env, wait_for

BROKEN_ENGINE = "tests.lsp.test_quiet_errors:broken_engine"


def broken_engine(source: str, path: str, *args: object, **kwargs: object) -> None:
    """An engine whose sandbox lost its worker: the error a run used to print in full."""

    def send() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    send()


def record(message: str, exc: BaseException | None = None) -> logging.LogRecord:
    info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("mgdebug.x", logging.ERROR, __file__, 1, message, (), info)


def test_an_error_with_its_traceback_is_one_line() -> None:
    try:
        raise BrokenPipeError(32, "Broken pipe")
    except BrokenPipeError as exc:
        line = OneLineFormatter().format(record("debugging failed", exc))
    assert "\n" not in line
    assert line == "ERROR:mgdebug.x:debugging failed (BrokenPipeError: [Errno 32] Broken pipe)"


def test_a_message_of_many_lines_is_its_first_and_a_count() -> None:
    line = OneLineFormatter().format(record("Unable to deserialize\nTraceback ...\n  File x"))
    assert line.startswith("ERROR:mgdebug.x:Unable to deserialize [2 more line(s)")
    assert "\n" not in line


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env={**server_env(False), "MGDEBUG_LSP_ENGINE": BROKEN_ENGINE},
    ),
)
async def broken(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=pytest_lsp.client_capabilities("visual-studio-code"))
    )
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_a_failed_run_is_one_line_in_the_output_and_one_notice(
    broken: LanguageClient, tmp_path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "any.py"
    path.write_text("def f(x):\n    '''\n    >>> f(1)\n    1\n    '''\n    return x\n")
    open_file(broken, str(path))

    def notices() -> list[str]:
        return [m.message for m in broken.messages if "debugging failed" in m.message]

    (notice,) = await wait_for(notices, 30, "the notice of the failed run")
    assert notice == (
        "mgdebug: debugging failed: BrokenPipeError: [Errno 32] Broken pipe (see the output)"
    )
    seen: list[str] = []

    def logged() -> bool:
        seen.append(capfd.readouterr().err)
        return "BrokenPipeError" in "".join(seen)

    await wait_for(logged, 10, "the log line")
    lines = "".join(seen).splitlines()
    assert not any("Traceback" in line or 'File "' in line for line in lines), lines
    assert len([line for line in lines if "BrokenPipeError" in line]) == 1, lines
