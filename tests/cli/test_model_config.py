"""Model settings on the command line: what wins, and what a setting that cannot work says.

A bad setting is a usage error (exit 2, one line on stderr, no traceback)
raised before any code runs; `--no-model` beats anything configured; and
neither `--help` nor an offline run imports the `openai` package.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from .model_runs import SECRET_KEY, closed_port_url, no_retries, run_cli

PASSING = '''def add(a, b):
    """
    >>> add(1, 2)
    3
    """
    return a + b
'''


@pytest.fixture
def passing(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    target = folder / "add.py"
    target.write_text(PASSING, encoding="utf-8")
    return target


def _one_clear_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("mgdebug: ") and "Traceback" not in stderr
    return lines[0]


def test_a_remote_url_without_a_key_is_a_usage_error_naming_the_variable(passing: Path) -> None:
    run = run_cli(
        str(passing),
        "--model",
        "gpt-4o-mini",
        "--model-url",
        "https://api.example.com/v1",
        cwd=passing.parent,
    )
    assert run.code == 2 and run.stdout == ""
    assert "needs an API key: set MGDEBUG_API_KEY" in _one_clear_line(run.stderr)


def test_openai_itself_without_a_key_is_a_usage_error(passing: Path) -> None:
    run = run_cli(str(passing), "--model", "gpt-4o-mini", cwd=passing.parent)
    assert run.code == 2
    assert "api.openai.com needs an API key" in _one_clear_line(run.stderr)


def test_a_url_without_a_model_name_is_a_usage_error(passing: Path) -> None:
    env = {"MGDEBUG_MODEL_URL": "http://localhost:11434/v1"}
    run = run_cli(str(passing), cwd=passing.parent, env=env)
    assert run.code == 2
    assert "no model name: pass --model NAME" in _one_clear_line(run.stderr)


def test_a_bad_model_table_in_pyproject_is_a_usage_error(passing: Path) -> None:
    (passing.parent / "pyproject.toml").write_text(
        '[tool.mgdebug.model]\nname = "m"\nurl = "http://localhost:1/v1"\ntimeout = "soon"\n',
        encoding="utf-8",
    )
    run = run_cli(str(passing), cwd=passing.parent)
    assert run.code == 2
    assert "timeout must be a non-negative number" in _one_clear_line(run.stderr)


def test_a_cloned_projects_remote_url_never_receives_the_users_key(passing: Path) -> None:
    (passing.parent / "pyproject.toml").write_text(
        '[tool.mgdebug.model]\nname = "m"\nurl = "https://collector.example/v1"\n',
        encoding="utf-8",
    )
    run = run_cli(str(passing), cwd=passing.parent, env={"MGDEBUG_API_KEY": SECRET_KEY})
    assert run.code == 2 and SECRET_KEY not in run.stdout + run.stderr
    assert "sends your API key only to a URL you set yourself" in _one_clear_line(run.stderr)


def test_no_model_beats_a_configuration_from_the_environment(passing: Path) -> None:
    # This configuration cannot work (remote, no key): without --no-model it is exit 2.
    env = {"MGDEBUG_MODEL": "gpt-4o-mini", "MGDEBUG_MODEL_URL": "https://api.example.com/v1"}
    assert run_cli(str(passing), cwd=passing.parent, env=env).code == 2
    run = run_cli(str(passing), "--no-model", "--json", cwd=passing.parent, env=env)
    assert run.code == 0, run.stderr
    assert run.json()["model"] is None


def test_an_offline_json_report_keeps_the_model_key_as_null(passing: Path) -> None:
    run = run_cli(str(passing), "--json", cwd=passing.parent)
    assert run.code == 0
    report = run.json()
    assert "model" in report and report["model"] is None


def test_an_offline_text_report_never_mentions_a_model(passing: Path) -> None:
    run = run_cli(str(passing), cwd=passing.parent)
    assert run.code == 0
    assert "model" not in run.stdout.lower()


def test_a_missing_gguf_file_is_a_usage_error(passing: Path) -> None:
    run = run_cli(str(passing), "--model-path", "nowhere.gguf", cwd=passing.parent)
    assert run.code == 2
    assert "nowhere.gguf" in _one_clear_line(run.stderr)


@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is not None, reason="llama-cpp-python is installed"
)
def test_a_gguf_file_without_llama_cpp_says_which_extra_to_install(passing: Path) -> None:
    (passing.parent / "tiny.gguf").write_bytes(b"GGUF")
    run = run_cli(str(passing), "--model-path", "tiny.gguf", cwd=passing.parent)
    assert run.code == 2
    assert "pip install 'mgdebug[local]'" in _one_clear_line(run.stderr)


def test_a_gguf_path_in_the_environment_is_resolved_and_checked(passing: Path) -> None:
    env = {"MGDEBUG_MODEL_PATH": str(passing.parent / "absent.gguf")}
    run = run_cli(str(passing), cwd=passing.parent, env=env)
    assert run.code == 2
    assert "absent.gguf (from $MGDEBUG_MODEL_PATH) is not a file" in _one_clear_line(run.stderr)


def test_a_gguf_file_and_an_endpoint_given_together_are_refused(passing: Path) -> None:
    run = run_cli(
        str(passing),
        "--model-path",
        "x.gguf",
        "--model",
        "m",
        "--model-url",
        closed_port_url(),
        cwd=passing.parent,
    )
    assert run.code == 2
    assert "keep one" in _one_clear_line(run.stderr)


@pytest.mark.parametrize("flag, value", [("--model-budget", "-1"), ("--model-rounds", "0")])
def test_model_counts_must_be_whole_and_in_range(passing: Path, flag: str, value: str) -> None:
    run = run_cli(str(passing), flag, value, cwd=passing.parent)
    assert run.code == 2
    assert f"argument {flag}: must be at least" in run.stderr


ENVIRONMENT_PROBE = '''import os


def secret_names():
    """
    >>> secret_names()
    []
    """
    return sorted(k for k in os.environ if "KEY" in k or k.startswith("MGDEBUG"))
'''


def test_the_key_reaches_neither_the_json_report_nor_the_code_under_test(tmp_path: Path) -> None:
    no_retries(tmp_path)
    target = tmp_path / "probe.py"
    target.write_text(ENVIRONMENT_PROBE, encoding="utf-8")
    env = {"MGDEBUG_API_KEY": SECRET_KEY, "OPENAI_API_KEY": SECRET_KEY}
    run = run_cli(
        str(target),
        "--json",
        "--model",
        "m",
        "--model-url",
        closed_port_url(),
        cwd=tmp_path,
        env=env,
    )
    # Exit 0: the doctest saw no key (nor any MGDEBUG_ setting) in its environment.
    assert run.code == 0, run.stdout + run.stderr
    assert SECRET_KEY not in run.stdout + run.stderr


def test_help_names_the_model_flags_and_neither_help_nor_an_offline_run_imports_openai(
    passing: Path,
) -> None:
    probe = (
        "import sys\n"
        "from mgdebug.server import cli\n"
        "try:\n"
        "    cli.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "after_help = 'openai' in sys.modules\n"
        f"code = cli.main([{str(passing)!r}, '--no-color'])\n"
        "print('openai after help:', after_help, 'after run:', 'openai' in sys.modules, code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=passing.parent,
    )
    assert "openai after help: False after run: False 0" in done.stdout, done.stderr
    for flag in (
        "--model NAME",
        "--model-url URL",
        "--model-path FILE",
        "--no-model",
        "--model-check",
        "--model-budget N",
        "--show-prompts",
        "--no-cache",
        "--strategy {mgdebug,mgdebugger,ldb}",
    ):
        assert flag in done.stdout


def test_a_gguf_path_in_pyproject_is_relative_to_that_file(passing: Path, tmp_path: Path) -> None:
    project = passing.parent
    (project / "pyproject.toml").write_text(
        '[tool.mgdebug.model]\npath = "models/absent.gguf"\n', encoding="utf-8"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = run_cli(str(passing), cwd=elsewhere)
    assert run.code == 2
    line = _one_clear_line(run.stderr)
    assert "models/absent.gguf (from " in line and "pyproject.toml) is not a file" in line
    if importlib.util.find_spec("llama_cpp") is None:
        (project / "models").mkdir()
        (project / "models" / "absent.gguf").write_bytes(b"GGUF")
        found = run_cli(str(passing), cwd=elsewhere)
        assert found.code == 2  # found where pyproject.toml says; llama-cpp-python is missing
        assert "pip install 'mgdebug[local]'" in _one_clear_line(found.stderr)
