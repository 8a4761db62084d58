"""The uvicorn WebSocket protocol both services serve with: websockets' sans-I/O one,
answering invalid UTF-8 in a text frame with a plain protocol close.

uvicorn's own class decodes a text message only when handing it to the app; on invalid
UTF-8 it logs the UnicodeDecodeError with a full traceback at ERROR and closes with a
bare 1007. Any client can fill the logs with those. Here the same close (1007, now with
a reason) goes out without a traceback: a client's bad bytes are not a server fault.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

CLOSE_INVALID_PAYLOAD = 1007
INVALID_UTF8_REASON = "invalid UTF-8 in a text frame"


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol with a quiet close for invalid UTF-8."""

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                b"".join(self.frames).decode()
            except UnicodeDecodeError:
                self.frames = []
                self.conn.send_close(CLOSE_INVALID_PAYLOAD, INVALID_UTF8_REASON)
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()
