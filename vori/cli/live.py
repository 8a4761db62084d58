"""The `vori` client's view of a meeting's live events: the gateway's events WebSocket,
resumed with `since`, printed as a transcript (partials rewrite one line in place)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from vori.cli.logins import ClientError

EVENTS_PATH = "/api/v1/meetings/{meeting_id}/events"


def _segment(event: dict[str, Any]) -> dict[str, Any]:
    """The segment inside a transcript event, whether nested or flat."""
    inner = event.get("segment") or event.get("data")
    return dict(inner) if isinstance(inner, dict) else event


def _clock_time(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


class LiveView:
    """Prints a meeting's live events: partials rewrite one line in place, finals stay."""

    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        self.tty = bool(getattr(self.out, "isatty", lambda: False)())
        self._partial = False
        self.finals: dict[str, str] = {}
        self.last_event_at = time.monotonic()

    def show(self, event: dict[str, Any]) -> None:
        self.last_event_at = time.monotonic()
        kind = str(event.get("type", ""))
        if kind in ("transcript.partial", "transcript.final"):
            segment = _segment(event)
            speaker = segment.get("speaker") or "unknown"
            at = _clock_time(float(segment.get("start", 0)))
            line = f"[{at}] {speaker}: {segment.get('text', '')}"
            if kind == "transcript.final":
                self.finals[str(segment.get("id"))] = line
                self._line(line, final=True)
            elif self.tty:
                self._line(line + " …", final=False)
        elif kind in ("participant.joined", "participant.left"):
            participant = event.get("participant")
            who = participant.get("name") if isinstance(participant, dict) else None
            who = who or "someone"
            self._line(f"-- {who} {kind.split('.')[1]}", final=True)
        elif kind == "meeting.ended":
            self._line("-- meeting ended", final=True)

    def _line(self, text: str, *, final: bool) -> None:
        if self.tty:
            self.out.write("\r\033[2K" + text + ("\n" if final else ""))
        else:
            self.out.write(text + "\n")
        self.out.flush()


async def follow_events(
    url: str, token: str, view: LiveView, stop: asyncio.Event | None = None
) -> None:
    """Print a meeting's events until `stop` is set or the meeting ends; resumes with `since`."""
    import websockets
    from websockets.exceptions import ConnectionClosed

    since: int | None = None
    while stop is None or not stop.is_set():
        try:
            async with websockets.connect(url, open_timeout=10) as ws:
                auth: dict[str, Any] = {"type": "auth", "token": token}
                if since is not None:
                    auth["since"] = since
                await ws.send(json.dumps(auth))
                async for raw in ws:
                    event = json.loads(raw)
                    if isinstance(event.get("seq"), int):
                        since = event["seq"]
                    view.show(event)
                    if event.get("type") == "meeting.ended" and stop is None:
                        return
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code in (4401, 4403, 4404):
                raise ClientError(f"events refused: {exc.rcvd.code} {exc.rcvd.reason}") from None
        except (OSError, TimeoutError):
            pass
        await asyncio.sleep(1.0)


def events_url(base: str, meeting_id: str) -> str:
    scheme, _, rest = base.partition("://")
    return (
        ("wss" if scheme == "https" else "ws")
        + "://"
        + rest
        + EVENTS_PATH.format(meeting_id=meeting_id)
    )
