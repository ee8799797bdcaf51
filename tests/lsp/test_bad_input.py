"""Bad input: broken JSON-RPC, unknown methods, unopened, binary and huge documents,
and hostile code. The server answers as the protocol says and keeps serving."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import threading
import time
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcMethodNotFound
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from .conftest import SERVER_COMMAND, open_file, server_env, wait_for_diagnostics


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def request(msg_id: int, method: str, params: Any) -> bytes:
    return frame(
        json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()
    )


def read_message(stdout: Any) -> dict[str, Any]:
    length = 0
    while (line := stdout.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stdout.read(length))


def read_response(stdout: Any, msg_id: Any) -> dict[str, Any]:
    """The response with `msg_id`, skipping notifications such as logMessage."""
    while True:
        message = read_message(stdout)
        if "method" not in message and message.get("id") == msg_id:
            return message


def test_malformed_json_rpc_gets_errors_and_the_server_goes_on() -> None:
    server = subprocess.Popen(
        SERVER_COMMAND,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=server_env(True),
    )
    assert server.stdin and server.stdout
    try:
        server.stdin.write(frame(b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "par'))
        server.stdin.write(b"this line is not a header\r\n")
        server.stdin.write(frame(b"\xff\xfe not utf-8"))
        server.stdin.write(frame(b"[1, 2, 3]"))
        server.stdin.write(request(2, "textDocument/hover", {"textDocument": 42}))
        server.stdin.write(request(3, "initialize", {"processId": None, "capabilities": {}}))
        server.stdin.flush()
        assert read_response(server.stdout, None)["error"]["code"] == -32700  # ParseError
        assert read_response(server.stdout, None)["error"]["code"] == -32700
        assert read_response(server.stdout, None)["error"]["code"] == -32600  # InvalidRequest
        assert read_response(server.stdout, 2)["error"]["code"] == -32602  # InvalidParams
        assert "capabilities" in read_response(server.stdout, 3)["result"]
        server.stdin.write(request(4, "shutdown", None))
        server.stdin.flush()
        assert read_response(server.stdout, 4)["result"] is None
        server.stdin.write(frame(b'{"jsonrpc": "2.0", "method": "exit"}'))
        server.stdin.flush()
        assert server.wait(10) == 0
    finally:
        if server.poll() is None:
            server.kill()


async def test_unknown_method_is_method_not_found(fake_client: LanguageClient) -> None:
    with pytest.raises(JsonRpcMethodNotFound):
        await fake_client.protocol.send_request_async("mgdebug/noSuchThing", {})
    fake_client.protocol.notify("mgdebug/noSuchNotification", {})  # ignored, as the spec says
    lenses = await fake_client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier("file:///nowhere.py"))
    )
    assert lenses is None, "and the server still answers"


async def test_requests_for_documents_never_opened(fake_client: LanguageClient, tmp_path) -> None:
    path = tmp_path / "never.py"
    path.write_bytes(b"\x00\x01 binary on disk")
    uri = from_fs_path(str(path)) or ""
    document = types.TextDocumentIdentifier(uri)
    here = types.Position(0, 0)
    everywhere = types.Range(here, types.Position(5, 0))
    assert await fake_client.text_document_hover_async(types.HoverParams(document, here)) is None
    assert await fake_client.text_document_code_lens_async(types.CodeLensParams(document)) is None
    assert (
        await fake_client.text_document_code_action_async(
            types.CodeActionParams(document, everywhere, types.CodeActionContext(diagnostics=[]))
        )
        is None
    )
    assert (
        await fake_client.text_document_inlay_hint_async(
            types.InlayHintParams(document, everywhere)
        )
        is None
    )
    with pytest.raises(JsonRpcException) as error:
        await fake_client.workspace_execute_command_async(
            types.ExecuteCommandParams("mgdebug.debugFunction", [uri, 0])
        )
    assert error.value.code == -32602 and "not open" in error.value.message
    with pytest.raises(JsonRpcException) as error:
        await fake_client.workspace_execute_command_async(
            types.ExecuteCommandParams("mgdebug.fixFunction", ["no uri and no line"])
        )
    assert error.value.code == -32602


@pytest.mark.parametrize(
    "content",
    ["binary", "huge"],
)
async def test_binary_and_huge_buffers_are_declined(
    fake_client: LanguageClient, tmp_path, content: str
) -> None:
    path = tmp_path / "big.py"
    path.write_text("")
    text = "x = 1\n" * 400_000 if content == "huge" else "def f():\n    return '\x00\x01'\n"
    uri = open_file(fake_client, str(path), text=text)
    started = time.monotonic()
    (notice,) = await wait_for_diagnostics(fake_client, uri, bool, 10)
    assert notice.code == "not-debugged" and content in notice.message.replace("characters", "huge")
    hover = await fake_client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))
    )
    assert hover is None and time.monotonic() - started < 10


HOSTILE = '''import os


def spin(n):
    """
    >>> spin(1)
    1
    """
    while True:
        n += 1


def fork_bomb(n):
    """
    >>> fork_bomb(1)
    1
    """
    while True:
        os.fork()


def vandal(n):
    """
    >>> vandal(1)
    1
    """
    os.remove("victim.txt")
    return n
'''


async def test_hostile_code_does_not_stop_the_server(client: LanguageClient, tmp_path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("still here")
    path = tmp_path / "hostile.py"
    path.write_text(HOSTILE)
    uri = open_file(client, str(path))
    other = tmp_path / "other.py"
    other.write_text("")
    other_uri = open_file(client, str(other), text="def broken(:\n")
    # while the hostile run goes on, the server still answers and still checks syntax
    await wait_for_diagnostics(client, other_uri, bool, 10)
    for _ in range(3):
        started = time.monotonic()
        await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(8, 8))
        )
        assert time.monotonic() - started < 2.0
        await asyncio.sleep(0.5)
    found = await wait_for_diagnostics(
        client, uri, lambda d: any(x.code == "failing-function" for x in d), 240
    )
    names = {d.data["function"] for d in found if d.code == "failing-function"}
    assert names >= {"spin"}
    assert victim.read_text() == "still here"


def _junk(rng: random.Random, n: int) -> bytes:
    """One framed message that is wrong in one of many ways; a request when it has an id."""
    kinds = [
        lambda: b'{"jsonrpc": "2.0", "id": %d, "method": "textDocument/hover", "par' % n,
        lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))),
        lambda: json.dumps(rng.choice([[1, 2], 3, "s", None, True, {}])).encode(),
        lambda: json.dumps(
            {"jsonrpc": "2.0", "id": rng.choice([{"a": 1}, [1], 1.5e300, True]), "method": "x"}
        ).encode(),
        lambda: json.dumps(
            {"jsonrpc": "2.0", "id": n, "method": rng.choice(METHODS), "params": _garbage(rng)}
        ).encode(),
        lambda: json.dumps({"jsonrpc": "2.0", "method": rng.choice(METHODS)}).encode(),
        lambda: json.dumps({"jsonrpc": "1.0", "id": n, "method": "shutdown"}).encode(),
        lambda: json.dumps({"id": n, "result": _garbage(rng)}).encode(),
        lambda: b"[" * 5000 + b"]" * 5000,
        lambda: json.dumps(
            {"jsonrpc": "2.0", "id": n, "method": "$/unknown/" + "x" * 5000}
        ).encode(),
    ]
    return frame(rng.choice(kinds)())


METHODS = [
    "textDocument/hover",
    "textDocument/codeAction",
    "codeAction/resolve",
    "textDocument/codeLens",
    "textDocument/inlayHint",
    "workspace/executeCommand",
    "textDocument/didOpen",
    "textDocument/didChange",
    "workspace/didChangeConfiguration",
    "$/cancelRequest",
    "initialize",
]


def _garbage(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            42,
            "text",
            [],
            {"textDocument": {"uri": 7}},
            {"textDocument": {"uri": "file:///nowhere.py"}, "position": {"line": -1}},
            {"command": "mgdebug.fixFunction", "arguments": [{"x": []}]},
            {"settings": {"model": {"name": 5, "url": ["x"]}, "runCode": "maybe"}},
            {"id": {"nested": [1, 2, {"deep": None}]}},
        ]
    )


def test_a_fuzzed_stream_leaves_the_server_answering_and_its_documents_open(tmp_path) -> None:
    """600 malformed messages, then the server still answers and remembers an open document."""
    path = tmp_path / "m.py"
    path.write_text("def f(x):\n    return x\n")
    uri = from_fs_path(str(path))
    server = subprocess.Popen(
        SERVER_COMMAND,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=server_env(False),
    )
    assert server.stdin and server.stdout
    # Read while writing: the answers to the junk would otherwise fill the pipe and
    # block the server, and with it the writes of this test.
    answers: dict[Any, dict[str, Any]] = {}
    reader = threading.Thread(target=_collect, args=(server.stdout, answers), daemon=True)
    reader.start()
    rng = random.Random(12)
    opened = {
        "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": path.read_text()}
    }
    try:
        server.stdin.write(request(1, "initialize", {"processId": None, "capabilities": {}}))
        server.stdin.write(frame(b'{"jsonrpc": "2.0", "method": "initialized", "params": {}}'))
        server.stdin.write(notification("textDocument/didOpen", opened))
        for n in range(1000, 1600):
            server.stdin.write(_junk(rng, n))
        server.stdin.write(request(2, "initialize", {"processId": None, "capabilities": {}}))
        position = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 4}}
        server.stdin.write(request(3, "textDocument/hover", position))
        server.stdin.flush()
        deadline = time.monotonic() + 60
        while 3 not in answers and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.05)
        assert "capabilities" in answers[1]["result"]
        again = answers[2]["error"]
        assert again["code"] == -32600 and "already initialized" in again["message"]
        assert "error" not in answers[3], answers[3]  # the document is still known
        junk_requests = [n for n in answers if isinstance(n, int) and 1000 <= n < 1600]
        assert len(junk_requests) > 100  # the junk requests with a readable id were answered
        assert server.poll() is None
    finally:
        server.kill()
        server.wait()


def notification(method: str, params: Any) -> bytes:
    return frame(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode())


def _collect(stdout: Any, answers: dict[Any, dict[str, Any]]) -> None:
    while True:
        try:
            message = read_message(stdout)
        except (ValueError, OSError):
            return
        if "method" not in message:
            answers[message.get("id")] = message
