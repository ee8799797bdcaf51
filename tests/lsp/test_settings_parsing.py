"""Reading the editor's loose JSON into `Settings` (server/lsp/settings.py), without a server.

One bad value costs only that value: it takes the default and gives one
message; the other values are kept. (The `python` setting's own checks are in
test_interpreter_setting.py.)
"""

from __future__ import annotations

from typing import Any

import pytest

from mgdebug.server.lsp.settings import (
    Settings,
    parse_initialization_options,
    parse_settings,
    problems_message,
)

CHANGED = Settings(
    enable=False, run="onType", timeBudget=5.0, inlayValues=True, runCode=False, python="/p"
)


def test_no_settings_are_the_defaults() -> None:
    assert parse_settings(None) == (Settings(), [])
    assert parse_settings({}) == (Settings(), [])


def test_good_values_are_taken() -> None:
    raw = {
        "enable": False,
        "run": "onType",
        "timeBudget": 5,
        "inlayValues": True,
        "runCode": False,
        "python": "/p",
    }
    settings, problems = parse_settings(raw)
    assert (settings, problems) == (CHANGED, [])
    assert isinstance(settings.timeBudget, float)


def test_a_partial_update_changes_only_what_it_names() -> None:
    settings, problems = parse_settings({"run": "onOpen"}, CHANGED)
    assert problems == []
    assert settings == Settings(
        enable=False, run="onOpen", timeBudget=5.0, inlayValues=True, runCode=False, python="/p"
    )


BUDGET = "`timeBudget` should be a number of seconds between 0 and 3600, got "
PYTHON = "`python` should be the path of a Python interpreter, or null, got "


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("enable", "yes", "`enable` should be true or false, got 'yes'"),
        ("run", "always", '`run` should be "onSave" or "onOpen" or "onType", got \'always\''),
        ("timeBudget", 0, BUDGET + "0"),
        ("timeBudget", 3601, BUDGET + "3601"),
        ("timeBudget", "30", BUDGET + "'30'"),
        ("timeBudget", True, BUDGET + "True"),  # JSON true is no number of seconds
        ("inlayValues", 1, "`inlayValues` should be true or false, got 1"),
        ("runCode", None, "`runCode` should be true or false, got None"),
        ("python", "/bin/py\0thon", PYTHON + "'/bin/py\\x00thon'"),
    ],
)
def test_a_bad_value_gives_one_message_and_the_default(name: str, bad: Any, message: str) -> None:
    # From a base where every value differs from the default, to see the fallback.
    settings, problems = parse_settings({name: bad}, CHANGED)
    assert problems == [message]
    assert getattr(settings, name) == getattr(Settings(), name)
    others = {k: v for k, v in vars(settings).items() if k != name}
    assert others == {k: v for k, v in vars(CHANGED).items() if k != name}


def test_each_bad_value_gives_its_own_message_and_good_ones_are_kept() -> None:
    settings, problems = parse_settings({"enable": "no", "run": "onOpen", "timeBudget": -1})
    assert len(problems) == 2
    assert problems[0].startswith("`enable`") and problems[1].startswith("`timeBudget`")
    assert (settings.enable, settings.run, settings.timeBudget) == (True, "onOpen", 30.0)


def test_the_time_budget_bounds_are_inclusive_of_an_hour() -> None:
    assert parse_settings({"timeBudget": 3600})[0].timeBudget == 3600.0
    assert parse_settings({"timeBudget": 0.5})[0].timeBudget == 0.5


def test_unknown_keys_are_ignored_without_a_message() -> None:
    # A newer client may send settings this server does not know.
    assert parse_settings({"futureSetting": 1, "run": "onOpen"}) == (
        Settings(run="onOpen"),
        [],
    )


def test_the_client_cannot_set_workspace_trust_through_settings() -> None:
    settings, problems = parse_settings({"workspaceTrusted": False})
    assert settings.workspaceTrusted and problems == []


def test_settings_that_are_not_an_object_keep_the_base_with_one_message() -> None:
    settings, problems = parse_settings(["run", "onType"], CHANGED)
    assert settings == CHANGED
    assert problems == ["settings must be an object, got list"]


def test_initialization_options_carry_settings_and_trust() -> None:
    settings, problems = parse_initialization_options(
        {"settings": {"run": "onType"}, "workspaceTrusted": False}
    )
    assert problems == []
    assert (settings.run, settings.workspaceTrusted) == ("onType", False)
    assert not settings.may_run_code
    assert "not trusted" in settings.not_running_reason


def test_missing_initialization_options_are_the_defaults_and_trusted() -> None:
    assert parse_initialization_options(None) == (Settings(), [])
    assert parse_initialization_options({}) == (Settings(), [])


def test_an_unclear_trust_answer_is_not_trust() -> None:
    settings, problems = parse_initialization_options({"workspaceTrusted": "yes"})
    assert settings.workspaceTrusted is False
    assert problems == ["`workspaceTrusted` should be true or false, got 'yes'"]


def test_bad_initialization_options_give_one_message() -> None:
    assert parse_initialization_options("run") == (
        Settings(),
        ["initializationOptions must be an object, got str"],
    )


def test_bad_settings_inside_initialization_options_are_reported() -> None:
    settings, problems = parse_initialization_options({"settings": {"enable": 0}})
    assert settings.enable is True
    assert problems == ["`enable` should be true or false, got 0"]


def test_code_runs_only_when_enabled_allowed_and_trusted() -> None:
    assert Settings().may_run_code and Settings().not_running_reason == ""
    assert not Settings(runCode=False).may_run_code
    assert "`runCode` is off" in Settings(runCode=False).not_running_reason
    assert not Settings(enable=False).may_run_code


def test_all_problems_go_to_the_user_in_one_message() -> None:
    message = problems_message(["`a` should be x, got 1", "`b` should be y, got 2"])
    assert message == (
        "mgdebug: ignored bad settings, using defaults for them: "
        "`a` should be x, got 1; `b` should be y, got 2"
    )
