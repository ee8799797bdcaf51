"""A real HTTP server speaking the OpenAI Chat Completions API, scripted by a test.

The model is the one part of mgdebug that cannot be reached from here, so
tests start this server on a free loopback port and point the real `openai`
client at it: requests, retries, timeouts, cancellation and parsing all go
through the same code as with Ollama or vLLM. Each reply is taken from a
script (or computed by a `responder`); every request is recorded.
"""

from __future__ import annotations

import json
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: a chat completion with `content`, or an HTTP error `status`."""

    content: str = ""
    status: int = 200
    delay: float = 0.0  # seconds before answering (the client may give up or cancel)
    raw: str | None = None  # a body sent as is (malformed JSON, HTML error pages)
    prompt_tokens: int = 10
    completion_tokens: int = 5


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    aborted: bool = False  # the client closed the connection before the reply


@dataclass
class ScriptedOpenAI:
    """Start with `start()`; `url` is the base URL to give the client (…/v1)."""

    replies: list[Reply] = field(default_factory=list)
    responder: Callable[[dict[str, Any]], Reply] | None = None
    models: list[str] = field(default_factory=lambda: ["scripted-model"])
    requests: list[Recorded] = field(default_factory=list)

    def start(self) -> ScriptedOpenAI:
        script = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    data = [{"id": m, "object": "model", "owned_by": "test"} for m in script.models]
                    self._send(200, json.dumps({"object": "list", "data": data}))
                else:
                    self._send(404, json.dumps({"error": {"message": "no such path"}}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                record = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                script.requests.append(record)
                reply = script.next_reply(body)
                if reply.delay and self._client_leaves_within(reply.delay):
                    record.aborted = True
                    return
                if reply.raw is not None:
                    self._send(reply.status, reply.raw)
                elif reply.status != 200:
                    error = {"error": {"message": f"scripted {reply.status}", "type": "test"}}
                    self._send(reply.status, json.dumps(error))
                else:
                    self._send(200, json.dumps(_completion(body, reply)))

            def _client_leaves_within(self, seconds: float) -> bool:
                """Wait `seconds`, watching for the client to hang up (a cancelled request)."""
                end = time.monotonic() + seconds
                while (left := end - time.monotonic()) > 0:
                    ready, _, _ = select.select([self.connection], [], [], min(left, 0.05))
                    if ready and not self.connection.recv(1, 2):  # MSG_PEEK: EOF means gone
                        return True
                return False

            def _send(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def next_reply(self, body: dict[str, Any]) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        if self.responder is not None:
            return self.responder(body)
        return Reply(status=500)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "scripted-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }
