"""A pytest file on its own gets advice for a test file, not "add a docstring example"."""

from __future__ import annotations

from pathlib import Path

from mgdebug.debugger.engine import debug_source

TESTS = "from shapes import clamp\n\n\ndef test_clamp():\n    assert clamp(5, 1, 3) == 3\n"


def test_a_test_file_is_told_what_judges_what_and_its_tests_get_no_docstring_advice(
    tmp_path: Path,
) -> None:
    path = tmp_path / "test_shapes.py"
    path.write_text(TESTS)
    report = debug_source(TESTS, str(path))
    assert not any("test_clamp` has no expectations" in m for m in report.messages)
    assert any(
        m.startswith("a pytest file: its tests judge the code they import") for m in report.messages
    )


def test_a_helper_in_a_test_file_still_gets_the_usual_advice(tmp_path: Path) -> None:
    source = TESTS + "\n\ndef make_box(n):\n    return [n]\n"
    path = tmp_path / "test_shapes.py"
    path.write_text(source)
    report = debug_source(source, str(path))
    assert any(m.startswith("`make_box` has no expectations") for m in report.messages)
