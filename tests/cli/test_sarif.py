"""`mgdebug FILE --sarif`: the real CLI's log is valid SARIF 2.1.0 and says what the report says.

Validated against the OASIS SARIF 2.1.0 schema (tests/data/sarif-schema-2.1.0.json;
where it comes from: tests/data/sarif-schema-2.1.0.SOURCE.md). The buggy file
has an astral character before the bug on its line, so a fix's columns prove
they count UTF-16 code units, as SARIF's default `columnKind` does.
"""

from __future__ import annotations

import doctest
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from .conftest import CliRun, run_mgdebug

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

BUGGY = '''\
def total(xs):
    """Sum of the items.

    >>> total([1, 2, 3])
    6
    """
    result = 0
    tag, rest = "é🙂", xs[1:]
    for x in rest:
        result += x
    return result
'''

PASSING = '''\
def double(x):
    """Twice x.

    >>> double(2)
    4
    """
    return 2 * x
'''

SYNTAX_ERROR = 'x = "é🙂" ]\n'
FILES = ("buggy", "passing", "broken")  # also run: "pytest", "shifted"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CliRun]:
    """Each file's --sarif run, run once for the module."""
    folder = tmp_path_factory.mktemp("sarif")
    (folder / "buggy.py").write_text(BUGGY, encoding="utf-8")
    (folder / "passing.py").write_text(PASSING, encoding="utf-8")
    (folder / "broken.py").write_text(SYNTAX_ERROR, encoding="utf-8")
    out = {name: run_mgdebug(f"{name}.py", "--sarif", cwd=folder) for name in FILES}
    judged = folder / "pytest"  # a function judged by a pytest test beside it
    judged.mkdir()
    (judged / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (judged / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    out["pytest"] = run_mgdebug("pytest/calc.py", "--sarif", "--no-search", cwd=folder)
    shifted = folder / "shifted"  # the same file, its lines two further down
    shifted.mkdir()
    (shifted / "buggy.py").write_text("\n\n" + BUGGY, encoding="utf-8")
    out["shifted"] = run_mgdebug("buggy.py", "--sarif", cwd=shifted)
    return out


def the_run(cli: CliRun) -> dict[str, Any]:
    log = cli.json()
    assert len(log["runs"]) == 1
    run: dict[str, Any] = log["runs"][0]
    return run


@pytest.mark.parametrize("name", [*FILES, "pytest"])
def test_the_log_is_valid_sarif_2_1_0(runs: dict[str, CliRun], name: str) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    errors = sorted(Draft4Validator(schema).iter_errors(runs[name].json()), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_exit_status_is_the_reports(runs: dict[str, CliRun]) -> None:
    assert runs["buggy"].code == 1  # a checked fix is shown, as the text report says
    assert runs["passing"].code == 0
    assert runs["broken"].code == 2
    invocations = {name: the_run(runs[name])["invocations"][0] for name in ("buggy", "broken")}
    assert invocations["buggy"]["executionSuccessful"] is True
    assert invocations["broken"]["executionSuccessful"] is False  # nothing could run


def test_the_driver_names_mgdebug_and_one_rule_per_kind_of_finding(
    runs: dict[str, CliRun],
) -> None:
    from mgdebug.server.cli import installed_version

    driver = the_run(runs["passing"])["tool"]["driver"]
    assert driver["name"] == "mgdebug"
    assert driver["version"] == installed_version()
    assert [r["id"] for r in driver["rules"]] == [
        "failing-function",
        "likely-bug-location",
        "could-not-run",
        "syntax-error",
    ]
    assert all(r["shortDescription"]["text"] for r in driver["rules"])


def test_a_passing_file_has_no_results(runs: dict[str, CliRun]) -> None:
    assert the_run(runs["passing"])["results"] == []


def test_failing_function_is_an_error_on_its_name_in_plain_words(runs: dict[str, CliRun]) -> None:
    results = the_run(runs["buggy"])["results"]
    (error,) = [r for r in results if r["level"] == "error"]
    assert error["ruleId"] == "failing-function"
    assert error["message"]["text"] == (
        "`total` fails: `total([1, 2, 3])` returned 5; the docstring expects 6"
    )
    location = error["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "buggy.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 1, "startColumn": 5}  # `total` in `def total`
    related = error["relatedLocations"][0]["physicalLocation"]["region"]
    assert related["startLine"] == 4  # the doctest example


def test_a_failing_pytest_test_names_the_call_and_the_test(runs: dict[str, CliRun]) -> None:
    cli = runs["pytest"]
    assert cli.code == 3  # localized only: no checked fix
    (error,) = [r for r in the_run(cli)["results"] if r["level"] == "error"]
    assert error["message"]["text"] == (
        "`add` fails: `add(2, 3)` returned -1; the test `test_add` expects 5"
    )
    (related,) = error["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"] == {
        "uri": "pytest/test_calc.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert error["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pytest/calc.py"


def test_top_suspect_is_a_warning_and_the_rest_are_notes(runs: dict[str, CliRun]) -> None:
    results = the_run(runs["buggy"])["results"]
    suspects = [r for r in results if r["ruleId"] == "likely-bug-location"]
    assert [r["level"] for r in suspects] == ["warning"] + ["note"] * (len(suspects) - 1)
    top = suspects[0]
    assert top["locations"][0]["physicalLocation"]["region"] == {"startLine": 8, "startColumn": 5}
    assert top["message"]["text"].startswith("Likely bug location in `total`: ")


def apply_replacements(text: str, replacements: list[dict[str, Any]]) -> str:
    """A SARIF fix applied as a viewer applies it: 1-based lines, 1-based UTF-16 columns."""
    lines = text.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        units = lines[line - 1].encode("utf-16-le")[: 2 * (column - 1)]
        return sum(len(x) for x in lines[: line - 1]) + len(units.decode("utf-16-le"))

    for replacement in sorted(
        replacements,
        key=lambda r: (r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"]),
        reverse=True,
    ):
        region = replacement["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        text = text[:start] + replacement["insertedContent"]["text"] + text[end:]
    return text


def passes_its_doctest(source: str) -> bool:
    """Our own test file, run as `python -m doctest` would (trusted code: it is this test's)."""
    namespace: dict[str, Any] = {"__name__": "fixed"}
    try:
        exec(compile(source, "fixed.py", "exec"), namespace)
    except SyntaxError:
        return False
    test = doctest.DocTestFinder().find(namespace["total"], "total", globs=namespace)[0]
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda _: None)
    return runner.failures == 0 and runner.tries > 0


def test_fixes_are_checked_fixes_with_utf16_columns(runs: dict[str, CliRun]) -> None:
    assert not passes_its_doctest(BUGGY)
    results = the_run(runs["buggy"])["results"]
    sarif_fixes = [fix for r in results for fix in r.get("fixes", [])]
    assert sarif_fixes
    for fix in sarif_fixes:
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"] == {"uri": "buggy.py", "uriBaseId": "%SRCROOT%"}
        assert "checked: passed the 1 expectation that ran" in fix["description"]["text"]
        # Applied as SARIF says, each one fixes the file: the astral character before
        # `xs[1:]` would put a code-point column one unit short.
        fixed = apply_replacements(BUGGY, change["replacements"])
        assert fixed != BUGGY and passes_its_doctest(fixed), fix["description"]["text"]


def test_fingerprints_are_stable_when_lines_move(runs: dict[str, CliRun]) -> None:
    def fingerprints(name: str) -> list[tuple[str, str]]:
        return [
            (r["ruleId"], r["partialFingerprints"]["mgdebug/v1"])
            for r in the_run(runs[name])["results"]
        ]

    here, there = fingerprints("buggy"), fingerprints("shifted")
    assert len({f for _, f in here}) == len(here) > 2  # no two findings share one
    assert here == there  # the same findings, two lines further down: the same alerts


def test_syntax_error_column_counts_utf16_code_units(runs: dict[str, CliRun]) -> None:
    (result,) = the_run(runs["broken"])["results"]
    assert result["ruleId"] == "syntax-error" and result["level"] == "error"
    # The compiler's column is 10 in code points (stderr); `é🙂` is 3 UTF-16 units.
    assert "broken.py:1:10: syntax error" in runs["broken"].stderr
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 11,
    }


def test_sarif_and_json_together_are_a_usage_error() -> None:
    cli = run_mgdebug("whatever.py", "--sarif", "--json")
    assert cli.code == 2
    assert "not allowed with argument" in cli.stderr
    assert cli.stdout == ""
