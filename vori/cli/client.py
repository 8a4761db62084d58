"""The `vori` command-line client: log in, manage meetings, stream or upload an audio file,
listen.

It speaks only the public wire contract (docs/protocol.md): the gateway's REST API and
events WebSocket, and the ingest service's audio WebSocket, which it resumes from the
server's durable position after a dropped connection. This module holds the commands;
their parts are vori.cli.logins (saved logins), vori.cli.api (REST), vori.cli.uplink (the
audio) and vori.cli.live (the live events).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from vori.audio import BYTES_PER_SAMPLE, SAMPLE_RATE
from vori.cli.api import AUDIO_PATH, Api
from vori.cli.live import LiveView, events_url, follow_events
from vori.cli.logins import (
    ClientError,
    Login,
    credentials_path,
    gateway_url,
    load_login,
    save_login,
)
from vori.cli.uplink import AudioUplink, decode_pcm
from vori.cli.upload import RecordingUpload, UploadError
from vori.settings import Settings

# After the audio, the transcript is printed once no event came for this long.
QUIET_S = 5.0


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
        email: Annotated[
            str | None,
            typer.Option(help="Your account's e-mail; asked for at a terminal when not given."),
        ] = None,
        password: Annotated[
            str | None,
            typer.Option(
                envvar="VORI_PASSWORD",
                show_envvar=True,
                help="Your password; asked for at a terminal, without echo, when neither "
                "this nor VORI_PASSWORD is given.",
            ),
        ] = None,
        gateway: Annotated[str | None, typer.Option(help="Gateway URL.")] = None,
    ) -> None:
        """Log in to a vori gateway and keep the token for the other commands."""
        email = email or _ask("E-mail", "--email")
        password = password or _ask("Password", "--password or VORI_PASSWORD", hidden=True)
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
        room: Annotated[
            bool,
            typer.Option(
                "--room",
                help="A room recording (several people on one microphone): tell the voices "
                "apart as 'Room 1', 'Room 2', ... instead of naming every line after you.",
            ),
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
                state = uploader.state(resume) if resume else uploader.begin(end=end, room=room)
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
    def retranscribe(
        meeting: Annotated[str, typer.Option("--meeting", help="Meeting id.")],
        model: Annotated[str, typer.Option(help="An installed model: base or tiny.en.")] = "base",
        language: Annotated[
            str | None, typer.Option(help="en or ko; default the meeting's language.")
        ] = None,
        wait: Annotated[
            float, typer.Option(help="Seconds to follow the job; 0: do not wait.")
        ] = 3600.0,
        who: AsLogin = None,
    ) -> None:
        """Transcribe a past meeting's archived audio again with another model (owner); the
        new transcript replaces the old one once done."""
        _settings, _login, api = session(who)
        job = api.retranscribe(meeting, model, language)
        typer.echo(f"re-transcription {job['job_id']} of {len(job['streams'])} streams", err=True)
        deadline = time.monotonic() + wait
        shown = ""
        while wait > 0 and job["status"] not in ("replaced", "failed"):
            if time.monotonic() > deadline:
                raise ClientError(f"{job['job_id']} is still {job['status']} after {wait:.0f} s")
            time.sleep(1.0)
            job = api.retranscription(meeting, job["job_id"])
            line = f"re-transcription: {job['status']} {job['progress']:.0%}"
            if line != shown:
                typer.echo(line, err=True)
                shown = line
        typer.echo(job["job_id"])
        if job["status"] == "failed":
            raise ClientError(f"re-transcription failed: {job['error']}")

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


def _ask(label: str, how: str, *, hidden: bool = False) -> str:
    """A value the user left out, asked for at the terminal; with no terminal to ask on
    (a script, a pipe) the command says which option gives it instead of waiting."""
    if not sys.stdin.isatty():
        raise ClientError(f"{label.lower()} missing and no terminal to ask on: give {how}")
    value: str = typer.prompt(label, hide_input=hidden)
    return value


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
