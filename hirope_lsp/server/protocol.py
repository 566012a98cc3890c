"""pygls' LSP protocol, changed in one respect: a request whose params do not fit its type is answered.

pygls turns every message into lsprotocol's type for its method before dispatching it. When the
params do not fit (a position that is a string, a missing text document), it logs the failure and
drops the message, so the client waits forever for a response to that request. Here such a request
gets the error response JSON-RPC prescribes, InvalidParams (-32602), naming what did not fit, and
the server carries on with the next message. A notification that does not fit is still dropped
(and logged): there is no one to answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _RejectedRequest:
    """A request whose params did not fit its method's type."""

    id: int | str
    method: str
    reason: str
    jsonrpc: str = "2.0"


class HiropeProtocol(LanguageServerProtocol):
    """LanguageServerProtocol that answers requests with malformed params with InvalidParams."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" in data and isinstance(data.get("method"), str):
                cause = error.__cause__ or error
                return _RejectedRequest(data["id"], data["method"], _first_line(cause))
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _RejectedRequest):
            logger.warning("invalid params for %s (request %s): %s", message.method, message.id, message.reason)
            error = JsonRpcInvalidParams(f"invalid params for {message.method}: {message.reason}")
            self._send_response(message.id, error=error.to_response_error())
            return
        super().handle_message(message)


def _first_line(error: BaseException) -> str:
    """The first line of an error's message (cattrs' messages run to a whole tree of sub-errors)."""
    exceptions = getattr(error, "exceptions", None)
    if exceptions:  # an ExceptionGroup from cattrs: its leaves say what did not fit
        return "; ".join(_first_line(inner) for inner in exceptions)
    note = "; ".join(getattr(error, "__notes__", []))
    text = str(error).split("\n", 1)[0]
    return f"{text} ({note})" if note else text
