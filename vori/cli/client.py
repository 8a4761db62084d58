"""The `vori` command-line client: log in, manage meetings, stream or upload an audio file,
listen.

It speaks only the public wire contract (docs/protocol.md): the gateway's REST API and
events WebSocket, and the ingest service's audio WebSocket, which it resumes from the
server's durable position after a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from vori.audio import BYTES_PER_SAMPLE, CHANNELS, ENCODING, SAMPLE_RATE
from vori.cli.upload import RecordingUpload, UploadError
from vori.settings import Settings

# Refusals that a retry cannot fix: bad format, bad token, no such meeting.
FATAL_CLOSE_CODES = {4400, 4401, 4404}
CONFLICT = 4409
EVENTS_PATH = "/api/v1/meetings/{meeting_id}/events"
AUDIO_PATH = "/ingest/v1/meetings/{meeting_id}/audio"
# After the audio, the transcript is printed once no event came for this long.
QUIET_S = 5.0


class ClientError(Exception):
    """Something the user must fix; the message says what."""


# -- login state ------------------------------------------------------------------------


def credentials_path(settings: Settings) -> Path:
    """Where logins are kept: settings.client.token_file or the user's config dir."""
    if settings.client.token_file is not None:
        return settings.client.token_file
    import platformdirs

    return platformdirs.user_config_path("vori") / "credentials.json"


def gateway_url(settings: Settings) -> str:
    return (
        settings.client.gateway_url
        or settings.gateway.public_url
        or f"http://{settings.host}:{settings.gateway.port}"
    ).rstrip("/")


@dataclass
class Login:
    """A saved login: which gateway, as whom, with which token."""

    gateway_url: str
    email: str
    access_token: str


def save_login(path: Path, login: Login) -> None:
    """Store a login (readable by the user only) and make it the default."""
    data = _read_logins(path)
    data.setdefault("logins", {})[login.email] = login.__dict__
    data["default"] = login.email
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)


def load_login(path: Path, who: str | None = None) -> Login:
    """The default login, or the one saved for `who` (an e-mail address)."""
    data = _read_logins(path)
    email = who or data.get("default")
    found = data.get("logins", {}).get(email) if email else None
    if found is None:
        hint = f" as {who}" if who else ""
        raise ClientError(f"not logged in{hint}: run `vori login` first")
    return Login(**found)


def _read_logins(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ClientError(f"{path} is not valid JSON ({exc}); delete it and log in again") from None
    return data


# -- REST -------------------------------------------------------------------------------


class Api:
    """The gateway's REST API as the logged-in user."""

    def __init__(self, base_url: str, token: str | None = None, timeout_s: float = 30) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach the gateway at {self.http.base_url}: {exc}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ClientError(f"{method} {path}: {response.status_code} {detail}")
        return response

    def token(self, email: str, password: str) -> str:
        form = {"username": email, "password": password}
        return str(self._call("POST", "/api/v1/auth/token", data=form).json()["access_token"])

    def create_meeting(self, title: str, language: str) -> dict[str, Any]:
        body = {"title": title, "language": language}
        return dict(self._call("POST", "/api/v1/meetings", json=body).json())

    def meetings(self) -> list[dict[str, Any]]:
        data: Any = self._call("GET", "/api/v1/meetings").json()
        if isinstance(data, dict):
            data = data.get("items", data.get("meetings", []))
        return [dict(item) for item in data]

    def meeting(self, meeting_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/api/v1/meetings/{meeting_id}").json())

    def add_member(self, meeting_id: str, email: str) -> dict[str, Any]:
        body = {"email": email}
        return dict(self._call("POST", f"/api/v1/meetings/{meeting_id}/members", json=body).json())

    def end_meeting(self, meeting_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/api/v1/meetings/{meeting_id}/end").json())

    def transcript(self, meeting_id: str, fmt: str = "txt") -> str:
        path = f"/api/v1/meetings/{meeting_id}/transcript"
        return self._call("GET", path, params={"format": fmt}).text

    def audio_url(self, meeting_id: str) -> str:
        """The meeting's audio WebSocket URL, as the gateway's /api/v1/config says."""
        config = self._call("GET", "/api/v1/config").json()
        template = str(config.get("audio_path_template", AUDIO_PATH))
        return str(config["audio_ws_url"]).rstrip("/") + template.format(meeting_id=meeting_id)


# -- audio ------------------------------------------------------------------------------


def decode_pcm(path: Path) -> bytes:
    """Any audio file PyAV can read, as 16 kHz mono PCM s16le bytes."""
    import numpy as np
    from faster_whisper.audio import decode_audio

    if not path.is_file():
        raise ClientError(f"{path}: no such file")
    try:
        samples = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many types; the user needs only the message
        raise ClientError(f"{path}: cannot decode audio ({exc})") from None
    # decode_audio divides s16 by 32768; multiplying back restores the exact samples.
    scaled = np.clip(np.round(samples * 32768.0), -32768, 32767)
    return bytes(scaled.astype("<i2").tobytes())


class UplinkRefusedError(ClientError):
    """The ingest service refused the stream for good (close code and reason)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"ingest refused the stream: {code} {reason}")
        self.code = code
        self.reason = reason


@dataclass
class AudioUplink:
    """Sends PCM to the audio WebSocket in real time (or `speed` times faster; 0: unpaced)
    and resumes from the server's durable position whenever the connection drops."""

    url: str
    token: str
    pcm: bytes
    speed: float = 1.0
    frame_ms: int = 20
    give_up_after_s: float = 120.0
    on_ack: Callable[[int], None] | None = None
    on_sent: Callable[[int], None] | None = None
    on_status: Callable[[str], None] | None = None
    stream_id: str | None = None
    acked: int = 0
    reconnects: int = 0
    connection: Any = field(default=None, repr=False)
    _clock: tuple[float, int] | None = field(default=None, repr=False)

    @property
    def total_samples(self) -> int:
        return len(self.pcm) // BYTES_PER_SAMPLE

    async def run(self) -> int:
        """Stream everything, then stop; returns the server's final position."""
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        failing_since: float | None = None
        while True:
            try:
                return await self._connection()
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else 1006
                reason = exc.rcvd.reason if exc.rcvd else "connection lost"
                if code in FATAL_CLOSE_CODES:
                    raise UplinkRefusedError(code, reason) from None
                problem = f"{code} {reason}".strip()
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                problem = str(exc) or type(exc).__name__
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since > self.give_up_after_s:
                raise ClientError(f"audio connection lost for good: {problem}")
            self.reconnects += 1
            self._status(f"audio connection dropped ({problem}); resuming")
            await asyncio.sleep(min(2.0, 0.1 * 2 ** min(self.reconnects, 5)))

    async def _connection(self) -> int:
        import websockets

        async with websockets.connect(
            self.url,
            open_timeout=10,
            ping_interval=20,
            ping_timeout=90,
            max_size=2**20,
            compression=None,  # PCM barely compresses
        ) as ws:
            self.connection = ws
            start: dict[str, Any] = {
                "type": "start",
                "token": self.token,
                "sample_rate": SAMPLE_RATE,
                "encoding": ENCODING,
                "channels": CHANNELS,
            }
            if self.stream_id is not None:
                start["stream_id"] = self.stream_id
            await ws.send(json.dumps(start))
            ready = json.loads(await ws.recv())
            if ready.get("type") != "ready":
                raise ClientError(f"expected ready, got {ready!r}")
            self.stream_id = ready["stream_id"]
            position = int(ready["position"])
            self.acked = max(self.acked, position)
            if self._clock is None:
                self._clock = (time.monotonic(), position)
            reader = asyncio.create_task(self._read(ws))
            try:
                await self._send_from(ws, position, reader)
                await ws.send(json.dumps({"type": "stop"}))
                return await reader
            finally:
                reader.cancel()

    async def _send_from(self, ws: Any, position: int, reader: asyncio.Task[int]) -> None:
        step = SAMPLE_RATE * self.frame_ms // 1000
        assert self._clock is not None
        started_at, first = self._clock
        while position < self.total_samples:
            if reader.done():
                reader.result()  # raises what ended the connection
                raise ClientError("the server closed the stream early")
            if self.speed > 0:
                due = started_at + (position - first) / (SAMPLE_RATE * self.speed)
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            end = min(position + step, self.total_samples)
            await ws.send(self.pcm[position * BYTES_PER_SAMPLE : end * BYTES_PER_SAMPLE])
            position = end
            if self.on_sent is not None:
                self.on_sent(position)

    async def _read(self, ws: Any) -> int:
        from websockets.exceptions import ConnectionClosedOK

        async for raw in ws:
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "ack":
                self.acked = max(self.acked, int(message["position"]))
                if self.on_ack is not None:
                    self.on_ack(self.acked)
            elif kind == "stopped":
                self.acked = int(message["position"])
                return self.acked
        raise ConnectionClosedOK(ws.close_rcvd, ws.close_sent)

    def _status(self, text: str) -> None:
        if self.on_status is not None:
            self.on_status(text)


# -- live events ------------------------------------------------------------------------


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


# -- commands ---------------------------------------------------------------------------

AsLogin = Annotated[str | None, typer.Option("--as", help="Act as this saved login (e-mail).")]


def register(app: typer.Typer, load: Callable[[], Settings]) -> None:
    """Add the client commands to the `vori` CLI."""
    meeting_app = typer.Typer(help="Create, list, show and end meetings.", no_args_is_help=True)
    app.add_typer(meeting_app, name="meeting")

    def session(who: str | None) -> tuple[Settings, Login, Api]:
        settings = load()
        login = load_login(credentials_path(settings), who)
        return settings, login, Api(login.gateway_url, login.access_token)

    @app.command()
    @_reports_errors
    def login(
        email: Annotated[str, typer.Option(prompt=True, help="Your account's e-mail.")],
        password: Annotated[
            str, typer.Option(prompt=True, hide_input=True, envvar="VORI_PASSWORD")
        ],
        gateway: Annotated[str | None, typer.Option(help="Gateway URL.")] = None,
    ) -> None:
        """Log in to a vori gateway and keep the token for the other commands."""
        settings = load()
        base = (gateway or gateway_url(settings)).rstrip("/")
        token = Api(base).token(email, password)
        path = credentials_path(settings)
        save_login(path, Login(base, email, token))
        typer.echo(f"logged in as {email} at {base} (token in {path})")

    @meeting_app.command("create")
    @_reports_errors
    def meeting_create(
        title: str,
        language: Annotated[str, typer.Option(help="en, ko or auto.")] = "en",
        who: AsLogin = None,
    ) -> None:
        """Create a meeting; prints its id."""
        meeting = session(who)[2].create_meeting(title, language)
        typer.echo(meeting["id"])

    @meeting_app.command("list")
    @_reports_errors
    def meeting_list(who: AsLogin = None) -> None:
        """List the meetings you are a member of."""
        for meeting in session(who)[2].meetings():
            state = "ended" if meeting.get("ended_at") else "open"
            language = meeting.get("language", "")
            typer.echo(f"{meeting['id']}  {language:4} {state:5}  {meeting['title']}")

    @meeting_app.command("show")
    @_reports_errors
    def meeting_show(meeting_id: str, who: AsLogin = None) -> None:
        """Show a meeting's details."""
        typer.echo(json.dumps(session(who)[2].meeting(meeting_id), indent=2, default=str))

    @meeting_app.command("add")
    @_reports_errors
    def meeting_add(meeting_id: str, email: str, who: AsLogin = None) -> None:
        """Add a member to a meeting by e-mail."""
        session(who)[2].add_member(meeting_id, email)
        typer.echo(f"added {email}")

    @meeting_app.command("end")
    @_reports_errors
    def meeting_end(meeting_id: str, who: AsLogin = None) -> None:
        """End a meeting."""
        session(who)[2].end_meeting(meeting_id)
        typer.echo(f"ended {meeting_id}")

    @app.command()
    @_reports_errors
    def stream(
        file: Annotated[Path, typer.Argument(help="Any audio file (converted to 16 kHz mono).")],
        meeting: Annotated[str, typer.Option("--meeting", help="Meeting id.")],
        speed: Annotated[
            float, typer.Option(help="Times real time; 0 sends as fast as possible.")
        ] = 1.0,
        who: AsLogin = None,
        wait: Annotated[
            float, typer.Option(help="Seconds to wait for the last finals after the audio.")
        ] = 20.0,
    ) -> None:
        """Stream an audio file into a meeting, print the live transcript, then the stored one."""
        if speed < 0:
            raise ClientError("--speed must be 0 (unpaced) or more")
        settings, login_, api = session(who)
        pcm = decode_pcm(file)
        url = _audio_url(settings, api, meeting)
        typer.echo(
            f"streaming {file.name}: {len(pcm) / BYTES_PER_SAMPLE / SAMPLE_RATE:.1f} s of audio",
            err=True,
        )
        view = LiveView()
        uplink = AudioUplink(
            url, login_.access_token, pcm, speed=speed, on_status=lambda s: typer.echo(s, err=True)
        )
        position = asyncio.run(
            _stream_and_watch(uplink, events_url(login_.gateway_url, meeting), view, wait)
        )
        typer.echo(
            f"sent {position / SAMPLE_RATE:.1f} s ({uplink.reconnects} reconnects); transcript:",
            err=True,
        )
        typer.echo(api.transcript(meeting, "txt"))

    @app.command()
    @_reports_errors
    def upload(
        file: Annotated[Path, typer.Argument(help="A recording in any format PyAV decodes.")],
        meeting: Annotated[str, typer.Option("--meeting", help="Meeting id.")],
        end: Annotated[
            bool, typer.Option("--end", help="End the meeting once it is transcribed (owner).")
        ] = False,
        resume: Annotated[
            str | None, typer.Option(help="Continue this upload (its id) instead of a new one.")
        ] = None,
        wait: Annotated[
            float, typer.Option(help="Seconds to follow the transcription; 0: do not wait.")
        ] = 3600.0,
        who: AsLogin = None,
    ) -> None:
        """Upload a recording into a meeting (resumable), then follow its transcription."""
        if not file.is_file():
            raise ClientError(f"{file}: no such file")
        _settings, login_, _api = session(who)
        with httpx.Client(
            base_url=login_.gateway_url,
            headers={"Authorization": f"Bearer {login_.access_token}"},
            timeout=120,
        ) as http:
            uploader = RecordingUpload(
                http, meeting, file, on_status=lambda text: typer.echo(text, err=True)
            )
            try:
                state = uploader.state(resume) if resume else uploader.begin(end=end)
                typer.echo(f"upload {state.upload_id}: {file.name}, {state.size} bytes", err=True)
                state = uploader.send(state)
                typer.echo(f"uploaded ({uploader.retries} retries); {state.status}", err=True)
                if wait > 0:
                    state = uploader.follow(state.upload_id, wait)
            except UploadError as exc:
                raise ClientError(str(exc)) from None
        typer.echo(state.upload_id)
        if state.status == "failed":
            raise ClientError(f"transcription failed: {state.error}")

    @app.command()
    @_reports_errors
    def listen(
        meeting: Annotated[str, typer.Option("--meeting", help="Meeting id.")], who: AsLogin = None
    ) -> None:
        """Print a meeting's live events until it ends (Ctrl-C to leave)."""
        _settings, login_, _api = session(who)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                follow_events(
                    events_url(login_.gateway_url, meeting), login_.access_token, LiveView()
                )
            )


def _audio_url(settings: Settings, api: Api, meeting_id: str) -> str:
    if settings.client.ingest_url:
        base = settings.client.ingest_url.rstrip("/")
        return base + AUDIO_PATH.format(meeting_id=meeting_id)
    return api.audio_url(meeting_id)


async def _stream_and_watch(uplink: AudioUplink, events: str, view: LiveView, wait_s: float) -> int:
    """Stream while printing events; after the audio, wait until finals stop arriving."""
    stop = asyncio.Event()
    watcher = asyncio.create_task(follow_events(events, uplink.token, view, stop))
    try:
        position = await uplink.run()
        audio_end = time.monotonic()
        # The last finals come a moment after the audio ends: wait for some quiet.
        while time.monotonic() < audio_end + wait_s and not watcher.done():
            if time.monotonic() - max(view.last_event_at, audio_end) > QUIET_S:
                break
            await asyncio.sleep(0.2)
        return position
    finally:
        stop.set()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, ClientError):
            await watcher


def _reports_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Turn ClientError into one line on stderr and exit status 1."""
    import functools

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except ClientError as exc:
            typer.echo(f"vori: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper
