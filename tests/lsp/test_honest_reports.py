"""Reports that do not overclaim, in the editor: "could not run" for a module that
cannot be imported, and progress that reaches 100% (real engine, VS Code and Neovim).
"""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient
from support import UNTESTED_HELPER

from .conftest import open_file, wait_for_diagnostics
from .test_untested_helper import RUN_TIMEOUT, settled

MISSING = '''\
import mgdebug_absent_dependency


def double(x):
    """
    >>> double(2)
    4
    """
    return x * 2
'''


async def test_module_that_cannot_be_imported_gets_one_notice_and_no_blame(
    client: LanguageClient, tmp_path
) -> None:
    path = tmp_path / "uses_absent.py"
    path.write_text(MISSING)
    uri = open_file(client, str(path))
    found = await wait_for_diagnostics(client, uri, bool, RUN_TIMEOUT)

    assert [d.code for d in found] == ["could-not-run"]
    (notice,) = found
    assert notice.range.start.line == 0
    assert notice.severity == types.DiagnosticSeverity.Warning
    assert notice.message.startswith("could not run `double`: `mgdebug_absent_dependency`")
    assert "is not installed in" in notice.message


async def test_progress_of_a_debug_command_reaches_100_percent(
    client: LanguageClient, tmp_path
) -> None:
    path = tmp_path / "helper.py"
    path.write_text(UNTESTED_HELPER)
    uri = open_file(client, str(path))
    await wait_for_diagnostics(client, uri, settled, RUN_TIMEOUT)
    before = set(client.progress_reports)

    await client.workspace_execute_command_async(
        types.ExecuteCommandParams("mgdebug.debugFunction", [uri, 4])
    )
    (token,) = set(client.progress_reports) - before
    reports = client.progress_reports[token]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    percents = [r.percentage for r in reports[1:-1] if isinstance(r, types.WorkDoneProgressReport)]
    assert percents and percents[-1] == 100, percents
