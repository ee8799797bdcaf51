"""What leaves the machine (redaction) and where the model comes from (configuration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mgdebug.debugger.llm.config import ModelConfigError, resolve_model_config
from mgdebug.debugger.llm.redact import redact


@pytest.mark.parametrize(
    "secret",
    [
        "sk-abcdefghijklmnopqrstuvwxyz012345",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_" + "a1B2c3D4e5" * 4,
        "xoxb-1234567890-abcdefghij",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    ],
)
def test_known_key_shapes_are_redacted(secret: str) -> None:
    text, count = redact(f"TOKEN = {secret!r}\n")
    assert secret not in text and count == 1


def test_a_random_literal_named_like_a_secret_is_redacted_but_ordinary_strings_stay() -> None:
    code = (
        'db_password = "Zx9!qT7#mL2$vB8k"\n'
        'password_prompt = "please type your password"\n'
        'path = "/usr/share/dict/words"\n'
    )
    text, count = redact(code)
    assert count == 1
    assert 'db_password = "<redacted>"' in text
    assert "please type your password" in text and "/usr/share/dict/words" in text


def test_nothing_configured_means_no_model(tmp_path: Path) -> None:
    assert resolve_model_config(tmp_path, environ={}) is None


def test_flags_win_over_environment_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mgdebug.model]\nname = "from-file"\nurl = "http://localhost:11434/v1"\n'
    )
    env = {"MGDEBUG_MODEL": "from-env"}
    assert resolve_model_config(tmp_path, environ={}).name == "from-file"  # type: ignore[union-attr]
    assert resolve_model_config(tmp_path, environ=env).name == "from-env"  # type: ignore[union-attr]
    chosen = resolve_model_config(tmp_path, name="from-flag", environ=env)
    assert chosen is not None and chosen.name == "from-flag"
    assert chosen.url == "http://localhost:11434/v1" and chosen.api_key == ""
    assert resolve_model_config(tmp_path, name="x", disabled=True, environ=env) is None


def test_a_remote_endpoint_without_a_key_is_refused_with_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ModelConfigError, match="MGDEBUG_API_KEY"):
        resolve_model_config(tmp_path, name="gpt-4o-mini", environ={})
    chosen = resolve_model_config(tmp_path, name="gpt-4o-mini", environ={"OPENAI_API_KEY": "k"})
    assert chosen is not None and chosen.api_key == "k" and "api_key" not in repr(chosen)


def test_the_mgdebug_key_wins_and_never_shows_in_repr(tmp_path: Path) -> None:
    env = {"MGDEBUG_API_KEY": "secret-one", "OPENAI_API_KEY": "secret-two"}
    chosen = resolve_model_config(tmp_path, name="m", url="https://example.invalid/v1", environ=env)
    assert chosen is not None and chosen.api_key == "secret-one"
    assert "secret" not in repr(chosen)


def test_a_url_that_is_not_http_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelConfigError, match="not an http"):
        resolve_model_config(tmp_path, name="m", url="localhost:11434", environ={})
