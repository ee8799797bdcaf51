"""Project mode in the editor (issue 13): a red test in tests/ whose bug is in pkg/util.py,
reached through pkg/service.py.

One real server over stdio for the module and one small project in a temp folder;
the one debug run (`mgdebug.debugTest` on `test_bill`) is shared by the tests after
it, which run in file order: the fix is refused while util.py is stale, then applied.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import SERVER_COMMAND, open_file, replace_text, server_env, wait_for
from .test_features import apply, quick_fixes

pytestmark = pytest.mark.asyncio(loop_scope="module")

SERVICE = """from pkg.util import add_tax, total_of


def bill(prices, rate=0.1):
    return round(add_tax(total_of(prices), rate), 2)
"""
UTIL = """def add_tax(amount, rate):
    return amount + amount * rate


def total_of(prices):
    s = 0
    for p in prices[1:]:
        s += p
    return s
"""
TESTS = """from pkg.service import bill


def test_bill():
    assert bill([10, 20]) == 33.0


class TestBill:
    def test_empty(self):
        assert bill([]) == 0
"""
BUG_LINE = 6  # 0-based: `for p in prices[1:]:`, line 7
NODE = "tests/test_service.py::test_bill"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "service.py").write_text(SERVICE)
    (root / "pkg" / "util.py").write_text(UTIL)
    (root / "tests").mkdir()
    (root / "tests" / "test_service.py").write_text(TESTS)
    return root


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=server_env(False)),
)
async def editor(lsp_client: LanguageClient):
    lsp_client.applied_edits = []  # type: ignore[attr-defined]

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        lsp_client.applied_edits.append(params)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        pass

    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=pytest_lsp.client_capabilities("visual-studio-code"))
    )
    yield lsp_client
    await lsp_client.shutdown_session()


def uri(path: Path) -> str:
    return from_fs_path(str(path)) or str(path)


async def execute(client: LanguageClient, command: str, *args: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(args))
    )


async def lenses(client: LanguageClient, file_uri: str) -> list[types.CodeLens]:
    found = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(file_uri))
    )
    return found or []


@pytest.fixture(scope="module")
def test_uri(editor: LanguageClient, project: Path) -> str:
    """The test file, open in the editor."""
    return open_file(editor, str(project / "tests" / "test_service.py"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def debugged(editor: LanguageClient, test_uri: str) -> dict[str, Any]:
    """The one project run: `mgdebug.debugTest` on the failing test, as its lens would."""
    answer: dict[str, Any] = await execute(editor, "mgdebug.debugTest", test_uri, NODE)
    return answer


async def test_each_test_function_gets_a_debug_this_test_lens(
    editor: LanguageClient, test_uri: str
) -> None:
    found = [
        lens
        for lens in await lenses(editor, test_uri)
        if lens.command and lens.command.command == "mgdebug.debugTest"
    ]
    assert [(lens.range.start.line, lens.command.title) for lens in found if lens.command] == [
        (3, "▶ debug this test"),
        (8, "▶ debug this test"),
    ]
    assert [list(lens.command.arguments or []) for lens in found if lens.command] == [
        [test_uri, NODE],
        [test_uri, "tests/test_service.py::TestBill::test_empty"],
    ]


async def test_debugging_a_test_marks_the_line_in_the_module_where_the_bug_is(
    editor: LanguageClient, project: Path, test_uri: str, debugged: dict[str, Any]
) -> None:
    assert debugged["location"] == "pkg/util.py:7", debugged
    util_uri = uri(project / "pkg" / "util.py")
    # published for util.py although the editor never opened it
    marks = await wait_for(lambda: editor.diagnostics.get(util_uri), what="util.py marks")
    top = next(d for d in marks if d.code == "likely-location")
    assert top.range.start.line == BUG_LINE
    assert top.message.startswith("likely bug here: ")
    assert "`test_bill` fails: assert 22.0 == 33.0" in top.message
    assert top.related_information is not None
    test_link = top.related_information[0]
    assert test_link.location.uri == test_uri
    assert test_link.location.range.start.line == 3  # `def test_bill():`
    assert test_link.message == "`test_bill` fails: assert 22.0 == 33.0"


async def test_the_failing_test_gets_an_error_naming_where_the_bug_is(
    editor: LanguageClient, project: Path, test_uri: str, debugged: dict[str, Any]
) -> None:
    def error() -> types.Diagnostic | None:
        found = [d for d in editor.diagnostics.get(test_uri, []) if d.code == "failing-function"]
        return next((d for d in found if "most likely in" in d.message), None)

    item = await wait_for(error, what="the test's error")
    assert item.severity == types.DiagnosticSeverity.Error
    assert item.message == (
        "`test_bill` fails: assert 22.0 == 33.0; the bug is most likely in pkg/util.py:7"
    )
    assert (item.range.start.line, item.range.start.character) == (3, 4)  # `test_bill`
    assert item.related_information is not None
    assert item.related_information[0].location.uri == uri(project / "pkg" / "util.py")
    assert item.related_information[0].location.range.start.line == BUG_LINE
    fix_lenses = [
        (lens.range.start.line, lens.command.command)
        for lens in await lenses(editor, test_uri)
        if lens.command and lens.command.title == "Apply best fix"
    ]
    assert fix_lenses == [(3, "mgdebug.applyProjectFix")]  # on the failing test only


async def test_debug_project_runs_every_test_of_the_folders_project(project: Path) -> None:
    from mgdebug.server.lsp.project_commands import project_target

    target = project_target((), [uri(project / "tests")])
    assert (target.root, target.args, target.describe()) == (project, (), "all tests")


async def test_a_fix_for_a_file_changed_on_disk_since_the_run_is_refused(
    editor: LanguageClient, project: Path, debugged: dict[str, Any]
) -> None:
    util = project / "pkg" / "util.py"
    applied = len(editor.applied_edits)  # type: ignore[attr-defined]
    util.write_text("# edited elsewhere\n" + UTIL)
    try:
        answer = await execute(editor, "mgdebug.applyProjectFix", uri(project))
    finally:
        util.write_text(UTIL)
    assert answer["applied"] is False
    assert "pkg/util.py changed on disk since the run read it" in answer["message"]
    assert len(editor.applied_edits) == applied  # type: ignore[attr-defined]


async def test_the_best_fix_of_an_unopened_module_is_an_unversioned_workspace_edit(
    editor: LanguageClient, project: Path, debugged: dict[str, Any]
) -> None:
    answer = await execute(editor, "mgdebug.applyProjectFix", uri(project))
    assert answer["applied"] is True, answer
    edit = editor.applied_edits[-1].edit  # type: ignore[attr-defined]
    (change,) = edit.document_changes
    assert change.text_document.uri == uri(project / "pkg" / "util.py")
    assert change.text_document.version is None  # the file is not open: its disk text
    assert "for p in prices" in apply(UTIL, edit)


async def test_the_quick_fix_in_the_module_makes_the_test_pass_and_saving_clears_the_marks(
    editor: LanguageClient, project: Path, test_uri: str, debugged: dict[str, Any]
) -> None:
    util = project / "pkg" / "util.py"
    util_uri = open_file(editor, str(util))
    await wait_for(lambda: editor.diagnostics.get(util_uri), what="util.py marks, open")
    actions = [a for a in await quick_fixes(editor, util_uri, BUG_LINE) if a.edit]
    assert actions, "no quick fix on the likely line"
    (change,) = actions[0].edit.document_changes  # type: ignore[union-attr]
    assert change.text_document.uri == util_uri
    assert change.text_document.version == 1  # the open buffer, the text the run read
    fixed = apply(UTIL, actions[0].edit)  # type: ignore[arg-type]
    util.write_text(fixed)
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", NODE],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    replace_text(editor, util_uri, fixed, 2)
    editor.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(util_uri))
    )

    def cleared() -> bool:
        ours = editor.diagnostics.get(util_uri, []) + editor.diagnostics.get(test_uri, [])
        return not any(isinstance(d.data, dict) and "project" in d.data for d in ours)

    await wait_for(cleared, what="the marks cleared")
