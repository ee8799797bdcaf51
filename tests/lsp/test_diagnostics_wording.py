"""Diagnostics people can read (issue 14): for one bug, one Error on the failing
function's name in plain words, one Warning where the bug most likely is, a few
faded Hints, and no scores or formula names in any message.

One real server for the module (the real engine, VS Code's capabilities); each
end-to-end test debugs a small file of its own. The rules that need no run (how
many suspects, which lines never get a hint) are checked on `diagnostics.build`
with reports made by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument
from pytest_lsp import ClientServerConfig, LanguageClient

from mgdebug.analysis.functions import analyze_module
from mgdebug.debugger.report import FailureEvidence, FunctionReport, Report, Suspect
from mgdebug.server.lsp import diagnostics
from mgdebug.server.lsp.documents import ingest
from mgdebug.server.lsp.settings import parse_settings

from .conftest import (
    SERVER_COMMAND,
    _act_like_an_editor,
    open_file,
    server_env,
    wait_for_diagnostics,
)

ON_SERVER = pytest.mark.asyncio(loop_scope="module")  # the module's one server

RUN_TIMEOUT = 120.0
DOCS = "https://github.com/mgdebug/mgdebug#diagnostics"
CODES = {"failing-function", "likely-location", "suspicious-line", "could-not-run"}
INTERNAL = ("score", "metallaxis", "ochiai", "muse", "block")

TOTAL = '''\
def total(xs):
    """Sum of xs.

    >>> total([1, 2, 3])
    6
    >>> total([])
    0
    """
    s = 0
    for x in xs[1:]:
        s += x
    return s
'''
FIRST = '''\
def first(xs):
    """
    >>> first([])
    0
    """
    return xs[1]
'''
DOUBLE = "def double(x):\n    r = x + x + 1\n    return r\n"
TEST_DOUBLE = "from mod import double\n\n\ndef test_double():\n    assert double(2) == 4\n"


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=server_env(False)),
)
async def editor(lsp_client: LanguageClient):
    _act_like_an_editor(lsp_client)  # answers the refresh requests VS Code's capabilities invite
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=pytest_lsp.client_capabilities("visual-studio-code"))
    )
    yield lsp_client
    await lsp_client.shutdown_session()


def settled(found: list[types.Diagnostic]) -> bool:
    """The run is over: a failing function, and no fix search still under way."""
    return any(d.code == "failing-function" for d in found) and not any(
        "searching for a checked fix" in d.message for d in found
    )


async def debugged(client: LanguageClient, path: Path, text: str) -> tuple[str, list]:
    path.write_text(text)
    uri = open_file(client, str(path))
    return uri, await wait_for_diagnostics(client, uri, settled, RUN_TIMEOUT)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def total(editor: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    """The issue's file: a 4-line function whose loop skips the first element."""
    return await debugged(editor, tmp_path_factory.mktemp("total") / "total.py", TOTAL)


def by_severity(found: list[types.Diagnostic], severity: types.DiagnosticSeverity) -> list:
    return [d for d in found if d.severity == severity]


@ON_SERVER
async def test_one_bug_gets_one_error_on_the_name_one_warning_and_faded_hints(total) -> None:
    uri, found = total
    (error,) = by_severity(found, types.DiagnosticSeverity.Error)
    assert error.code == "failing-function"
    assert error.range == types.Range(types.Position(0, 4), types.Position(0, 9)), "`total`"
    assert error.message == "`total([1, 2, 3])` returned 5; the docstring expects 6"
    (related,) = error.related_information or []
    assert related.location.uri == uri and related.location.range.start.line == 3, "the doctest"

    (warning,) = by_severity(found, types.DiagnosticSeverity.Warning)
    assert warning.code == "likely-location" and warning.range.start.line == 9
    assert warning.message.startswith("likely bug here: a checked fix changes this line: ")
    assert "`x` never takes 1 here although the failing call passes [1, 2, 3]" in warning.message
    hints = by_severity(found, types.DiagnosticSeverity.Hint)
    assert {d.code for d in hints} <= {"suspicious-line"}
    assert 1 + len(hints) <= 3 and len(found) == 2 + len(hints), "nothing else is marked"
    assert 8 not in [d.range.start.line for d in hints], "`s = 0` only initialises"


@ON_SERVER
async def test_messages_carry_no_scores_and_every_code_links_to_the_readme(total) -> None:
    _uri, found = total
    for d in found:
        assert not any(word in d.message.lower() for word in INTERNAL), d.message
        assert d.source == "mgdebug" and d.code in CODES
        assert d.code_description is not None and d.code_description.href == DOCS
        assert d.tags is None, "neither Unnecessary nor Deprecated is true of a suspect"
    (warning,) = by_severity(found, types.DiagnosticSeverity.Warning)
    assert warning.data["score"] > 0 and "metallaxis" in warning.data["reason"], "for tools"
    assert warning.data["function"] == "total", "what the quick fixes match on"


@ON_SERVER
async def test_the_hover_keeps_the_evidence_the_message_leaves_out(
    editor: LanguageClient, total
) -> None:
    uri, _found = total
    hover = await editor.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(9, 4))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "suspect 1 of `total`, score " in hover.contents.value
    assert "metallaxis" in hover.contents.value


@ON_SERVER
async def test_an_exception_is_said_as_raised_with_what_was_expected(
    editor: LanguageClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    uri, found = await debugged(editor, tmp_path_factory.mktemp("first") / "first.py", FIRST)
    (error,) = by_severity(found, types.DiagnosticSeverity.Error)
    assert error.message == (
        "`first([])` raised IndexError: list index out of range; the docstring expects 0"
    )
    (warning,) = by_severity(found, types.DiagnosticSeverity.Warning)
    assert warning.range.start.line == 5
    assert "the failing call `first([])` raises IndexError" in warning.message


@ON_SERVER
async def test_a_failing_pytest_test_is_named_with_pytest_s_own_line(
    editor: LanguageClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("pytests")
    (folder / "test_mod.py").write_text(TEST_DOUBLE)
    _uri, found = await debugged(editor, folder / "mod.py", DOUBLE)
    (error,) = by_severity(found, types.DiagnosticSeverity.Error)
    assert error.message == "`test_double` fails: assert 5 == 4"
    (related,) = error.related_information or []
    assert related.location.uri == from_fs_path(str(folder / "test_mod.py"))
    assert related.location.range.start.line == 3, "the test function"


@ON_SERVER
async def test_the_plain_fix_is_the_first_quick_fix_and_long_forms_say_they_are_the_same(
    editor: LanguageClient, total
) -> None:
    uri, found = total
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri),
        range=types.Range(types.Position(9, 0), types.Position(9, 0)),
        context=types.CodeActionContext(diagnostics=found),
    )
    titles = [a.title for a in await editor.text_document_code_action_async(params) or []]
    fixes = [t for t in titles if "passes 2/2 expectations" in t]
    assert fixes[0] == "mgdebug: delete `[1:]` on line 10 (passes 2/2 expectations)"
    longer = [t for t in fixes if "xs[:]" in t or "`0`" in t]
    assert longer and all(t.startswith("mgdebug: other checked fix: ") for t in longer), fixes
    assert all("written with the identity slice" in t for t in longer)


@ON_SERVER
async def test_the_max_suspects_setting_republishes_the_open_files_without_a_run(
    editor: LanguageClient, total
) -> None:
    uri, _found = total

    def only_the_error(found: list[types.Diagnostic]) -> bool:
        return [d.severity for d in found] == [types.DiagnosticSeverity.Error]

    try:
        editor.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"settings": {"maxSuspects": 0}})
        )
        found = await wait_for_diagnostics(editor, uri, only_the_error, 30)
        assert found[0].code == "failing-function"
    finally:
        editor.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"settings": {"maxSuspects": 3}})
        )
    found = await wait_for_diagnostics(editor, uri, lambda f: len(f) > 1, 30)
    assert len(by_severity(found, types.DiagnosticSeverity.Warning)) == 1


# -- the rules on reports made by hand (no run) ------------------------------------

PATH = "/project/total.py"


def hand_report(scores: dict[int, float]) -> Report:
    """`total` failing, blamed, with suspects on the given 1-based lines, best first."""
    failure = FailureEvidence("e", "total([1, 2, 3]) → 6", PATH, 4, "doctest", "fail", "6", "5", "")
    function = FunctionReport(
        "total", 1, 12, "fail", passed=1, failed=1, blamed=True, failures=[failure]
    )
    suspects = [
        Suspect("total", line, score, f"judged on 1 failing run(s); evidence {score}", summary="x")
        for line, score in scores.items()
    ]
    return Report(path=PATH, functions=[function], suspects=suspects)


def marks(scores: dict[int, float], max_suspects: int = 3) -> list[tuple[int, str]]:
    snapshot = ingest(hand_report(scores), analyze_module(TOTAL, PATH))
    doc = TextDocument("file:///project/total.py", TOTAL)
    found = diagnostics.build(doc, snapshot, None, max_suspects=max_suspects)
    return [(d.range.start.line + 1, d.severity.name) for d in found]  # type: ignore[union-attr]


def test_max_suspects_counts_the_warning_and_zero_leaves_only_the_error() -> None:
    scores = {10: 0.9, 11: 0.8, 12: 0.7}
    assert marks(scores, 3) == [(1, "Error"), (10, "Warning"), (11, "Hint"), (12, "Hint")]
    assert marks(scores, 2) == [(1, "Error"), (10, "Warning"), (11, "Hint")]
    assert marks(scores, 0) == [(1, "Error")]


def test_a_line_that_only_initialises_gets_no_hint_unless_it_scores_as_high_as_the_top() -> None:
    assert (9, "Hint") not in marks({10: 0.8, 9: 0.79, 11: 0.5})
    assert (9, "Hint") in marks({10: 0.8, 9: 0.8, 11: 0.5})
    assert (9, "Warning") in marks({9: 0.8, 10: 0.5}), "the top line is shown whatever it holds"


def test_the_max_suspects_setting_takes_0_to_20_and_a_bad_value_falls_back_to_3() -> None:
    assert parse_settings({"maxSuspects": 0})[0].maxSuspects == 0
    assert parse_settings({})[0].maxSuspects == diagnostics.DEFAULT_MAX_SUSPECTS == 3
    for bad in (-1, 21, True, "3", 2.5):
        settings, problems = parse_settings({"maxSuspects": bad})
        assert settings.maxSuspects == 3 and len(problems) == 1 and "maxSuspects" in problems[0]


def evidence(
    description: str,
    kind: str,
    status: str,
    expected: str | None,
    actual: str | None,
    message: str = "",
) -> FailureEvidence:
    return FailureEvidence("e", description, PATH, 4, kind, status, expected, actual, message)


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (
            evidence("spin(1) == 1", "main", "timeout", None, None, "timed out after 10 s"),
            "`spin(1)` did not finish in time; the assertion expects 1",
        ),
        (
            evidence("assert is_even(4)", "main", "fail", None, "AssertionError"),
            "`assert is_even(4)` fails",
        ),
        (
            evidence("show(2)", "doctest", "fail", "", "4"),
            "`show(2)` returned 4; the docstring expects no output",
        ),
        (
            evidence("f(1) == 2", "model", "fail", "2", "3"),
            "`f(1)` returned 3; a model-written case expects 2",
        ),
        (
            evidence("pytest t.py::test_f[1-2]", "pytest", "fail", None, None, "E   ValueError: x"),
            "`test_f[1-2]` fails: ValueError: x",
        ),
    ],
)
def test_each_kind_of_failure_says_what_was_called_what_came_back_and_what_was_expected(
    failure: FailureEvidence, words: str
) -> None:
    assert diagnostics.failure_words(failure) == words
