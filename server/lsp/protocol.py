"""JSON-RPC manners pygls leaves out: every request gets an answer.

pygls drops a request whose params do not fit the method's type (it only
logs), and answers malformed JSON with a pop-up instead of a ParseError. An
editor then waits forever for the response. Here a request that cannot be
read is answered with InvalidParams or InvalidRequest under its own id, and
text that is not JSON with ParseError under id null, as JSON-RPC 2.0 says.
A request id that is neither a number nor a string is an InvalidRequest
(answered under id null), and a second `initialize` is refused: pygls would
run it again, resetting the workspace and forgetting every open document (and
accept a new trust claim). Cancellation (`$/cancelRequest`) also reaches the
debugging run the request is waiting on, which a cancelled asyncio task alone
cannot stop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


@dataclass
class _Unreadable:
    """A message that parsed as JSON but not as the request it claims to be."""

    id: Any
    method: str
    error: JsonRpcException


class MgdebugProtocol(LanguageServerProtocol):
    # what else a `$/cancelRequest` stops (the session's runs); set by server.py
    on_cancel: Callable[[int | str], None] | None = None

    _initialize_seen = False

    def structure_message(self, data: dict[str, Any]) -> Any:
        msg_id = data.get("id")
        if msg_id is not None and (isinstance(msg_id, bool) or not isinstance(msg_id, int | str)):
            return _Unreadable(
                None,
                str(data.get("method", "")),
                JsonRpcInvalidRequest("id must be a number or a string"),
            )
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data:  # a request: it must get an answer
                error = JsonRpcInvalidParams(f"Invalid params for {data['method']!r}")
                return _Unreadable(data["id"], str(data["method"]), error)
            log.warning("dropped an unreadable notification %r: %s", data.get("method"), exc)
            return _Unreadable(None, str(data.get("method", "")), exc)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Unreadable):
            if message.id is not None:
                self._send_error(message.id, message.error)
            return
        if not hasattr(message, "jsonrpc"):  # JSON, but not JSON-RPC (an array, a number...)
            msg_id = message.get("id") if isinstance(message, dict) else None
            self._send_error(msg_id, JsonRpcInvalidRequest())
            return
        if getattr(message, "method", None) == "initialize" and hasattr(message, "id"):
            if self._initialize_seen:
                error = JsonRpcInvalidRequest("the server is already initialized")
                self._send_error(message.id, error)
                return
            self._initialize_seen = True
        super().handle_message(message)

    def send_parse_error(self, detail: str) -> None:
        self._send_error(None, JsonRpcParseError(f"Parse error: {detail}"))

    def _send_error(self, msg_id: Any, error: JsonRpcException) -> None:
        # `msg_id` may be null: JSON-RPC's answer when the id could not be read
        self._send_response(msg_id, error=error.to_response_error())

    def _handle_cancel_notification(self, msg_id: int | str) -> None:
        super()._handle_cancel_notification(msg_id)
        if self.on_cancel is not None:
            self.on_cancel(msg_id)
