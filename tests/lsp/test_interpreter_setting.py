"""The language server runs code in the interpreter its `python` setting names (issue 8, §3).

The VS Code extension fills the setting from the Python extension's selected
interpreter; here the client sends it as an editor would, and the file
imports a package only that interpreter has.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from user_venv import HAVE_SYSTEM_PYTHON, USER_FILE, make_user_venv

from .conftest import open_file, wait_for_diagnostics

RUN_TIMEOUT = 180.0

pytestmark = pytest.mark.skipif(not HAVE_SYSTEM_PYTHON, reason="needs /usr/bin/python3")


@pytest.fixture(scope="module")
def user_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(make_user_venv(tmp_path_factory.mktemp("lspvenv") / "env") / "bin" / "python")


def settled(diagnostics: list[types.Diagnostic]) -> bool:
    return any(
        d.code == "failing-function" and "searching for a checked fix" not in d.message
        for d in diagnostics
    )


async def test_python_setting_runs_the_file_in_that_interpreter(
    client: LanguageClient, tmp_path: Path, user_python: str
) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"settings": {"python": user_python}})
    )
    path = tmp_path / "zoo.py"
    path.write_text(USER_FILE)
    uri = open_file(client, str(path))
    found = await wait_for_diagnostics(client, uri, settled, RUN_TIMEOUT)
    text = "\n".join(d.message for d in found)
    assert "zebra_units" not in text, text  # imported: the run got as far as the wrong value
    assert "7" in text, text


def test_python_setting_is_checked_like_the_others() -> None:
    from mgdebug.server.lsp.settings import parse_settings

    settings, problems = parse_settings({"python": "/v/bin/python"})
    assert (settings.python, problems) == ("/v/bin/python", [])
    cleared, problems = parse_settings({"python": None}, settings)
    assert (cleared.python, problems) == ("", [])
    bad, problems = parse_settings({"python": 3}, settings)
    assert bad.python == ""  # a bad value takes the default, as every setting does
    assert problems == ["`python` should be the path of a Python interpreter, or null, got 3"]
