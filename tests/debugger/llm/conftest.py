from __future__ import annotations

from collections.abc import Iterator

import pytest

from .scripted_openai import ScriptedOpenAI


@pytest.fixture
def endpoint() -> Iterator[ScriptedOpenAI]:
    server = ScriptedOpenAI().start()
    yield server
    server.stop()
