"""With a model (the scripted OpenAI server): its inputs, and its specification as tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm.scripted_openai import Reply, ScriptedOpenAI  # tests/debugger/llm, a package

from mgdebug.debugger.generate.docstrings import write_checked_docstring
from mgdebug.debugger.generate.observe import GenerateRequest
from mgdebug.debugger.generate.testgen import generate_tests
from mgdebug.debugger.llm.config import ModelConfig
from mgdebug.debugger.options import DebugOptions, ModelOptions
from mgdebug.debugger.sandbox.pool import Sandbox

from .conftest import module_folder, python

SOURCE = '''def first(values: list[int]) -> int:
    """The first value, or 0 for an empty list."""
    return values[0]
'''
CASES = {
    "cases": [{"call": "first([4, 5])", "expected": "4"}, {"call": "first([])", "expected": "0"}]
}


@pytest.fixture(scope="module")
def model() -> Iterator[DebugOptions]:
    server = ScriptedOpenAI(responder=lambda body: Reply(json.dumps(CASES))).start()
    config = ModelConfig(name="scripted-model", url=server.url, timeout=5, retries=0)
    yield DebugOptions(model=ModelOptions(config=config, use_cache=False))
    server.stop()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return module_folder(tmp_path_factory, "model", "firsts.py", SOURCE)


@pytest.fixture(scope="module")
def box(folder: Path) -> Iterator[Sandbox]:
    with Sandbox(str(folder / "firsts.py")) as sandbox:
        yield sandbox


def test_a_specification_the_code_violates_is_an_xfail_and_a_likely_bug(
    folder: Path, box: Sandbox, model: DebugOptions
) -> None:
    path = folder / "firsts.py"
    result = generate_tests(GenerateRequest(SOURCE, str(path), box, model))
    assert result.new_text is not None
    text = result.new_text
    assert "# Specification tests proposed by a model" in text
    assert "pytest.param([4, 5], 4, id='model-0')," in text
    bug = "the model reads `first([])` as 0; the code raises IndexError: list index out of range"
    assert f"marks=pytest.mark.xfail(reason='likely bug: {bug}')" in text
    assert result.likely_bugs == [("first", bug)]
    assert any(m.startswith("likely bug in `first`") for m in result.messages)
    Path(result.path).write_text(text, encoding="utf-8")
    ran = python("-m", "pytest", "-q", "-p", "no:cacheprovider", Path(result.path).name, cwd=folder)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 xfailed" in ran.stdout
    Path(result.path).unlink()


def test_the_models_inputs_become_examples_with_outputs_from_running(
    folder: Path, box: Sandbox, model: DebugOptions
) -> None:
    path = folder / "firsts.py"
    result = write_checked_docstring(GenerateRequest(SOURCE, str(path), box, model), "first")
    assert result.source is not None
    assert "        >>> first([4, 5])\n        4\n" in result.source
    # the model said 0; the example shows what the code does
    assert ">>> first([])\n        Traceback (most recent call last):" in result.source
