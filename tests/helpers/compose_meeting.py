"""A user's meeting through a compose stack: the deployment's settings, and a microphone
client that streams real speech in real time and resumes after its socket drops.

The client follows the wire contract (docs/protocol.md): `start` (with `stream_id` when
resuming), `ready` with the durable position, binary PCM frames from that position on,
`stop`, `stopped`. A dropped socket is retried every 0.5 s; the audio that a real
microphone captured meanwhile is sent as soon as the stream is back.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import websockets
from websockets.exceptions import ConnectionClosed

from tests.e2e.api import Account, Api
from tests.helpers.compose import COMPOSE_FILE, required_variables
from tests.helpers.compose_stack import ComposeStack
from vori.settings import KafkaSettings

RATE = 16000
FRAME_S = 0.1
DOMAIN = "vori.example.com"


def operator_env() -> dict[str, str]:
    """What an operator's .env holds (.env.example): the domain, Caddy's own CA, and a
    fresh secret for every other variable the compose file requires."""
    given = {"VORI_DOMAIN": DOMAIN, "VORI_TLS": "internal"}
    required = required_variables(COMPOSE_FILE.read_text())
    return {name: given.get(name) or secrets.token_hex(32) for name in sorted(required)}


# The services of docker-compose.yml that do not run as processes here, and why.
EXCLUDED = {
    "proxy": "DNS-discovered upstreams and ports 80/443; its routes are read from the Caddyfile",
    "prometheus": "monitoring, not on the meeting's path",
    "grafana": "monitoring, not on the meeting's path",
    "analytics-live": "a Spark JVM is more than this machine spares in the test's time",
    "analytics-batch": "its Spark runs are more than this machine spares in the test's time",
    "minio": "no MinIO server on this machine (recordings have their own tests)",
}
# The operator's override for meetings of read-out requests rather than commitments: the
# rules alone decide what is a task (the detector's threshold is tuned on real meetings).
RULES_ONLY = {"services": {"summarizer": {"environment": {"VORI_SUMMARIZER__DETECTOR": "false"}}}}


def compose_stack(
    workdir: Path, kafka: KafkaSettings, kafka_port: int, postgres_port: int
) -> ComposeStack:
    """The compose file's vori services against the session's broker and database server."""
    return ComposeStack(
        workdir=workdir,
        operator_env=operator_env(),
        engines={"kafka": kafka_port, "postgres": postgres_port},
        excluded={k: v for k, v in EXCLUDED.items()},
        kafka=kafka,
    )


@dataclass
class Microphone:
    """One participant's stream: its audio, and what happened to the socket."""

    account: Account
    samples: np.ndarray  # int16 mono 16 kHz
    drop_every_s: float | None = None  # a flaky network: the connection is cut this often
    reconnects: int = 0
    stopped_position: int | None = None
    closes: list[str] = field(default_factory=list)


def audio_url(api: Api, stack: ComposeStack, account: Account, meeting_id: str) -> str:
    """The audio WebSocket `/api/v1/config` names, reached where the TLS proxy routes it."""
    config = api.json(account, "GET", "/api/v1/config")
    public = f"{config['audio_ws_url']}{config['audio_path_template']}"
    path = urlsplit(public.format(meeting_id=meeting_id)).path
    assert public.startswith(f"wss://{DOMAIN}/"), public  # the proxy
    return stack.entry_route(path).replace("http://", "ws://") + path


async def stream(url: str, mic: Microphone, give_up_s: float = 90) -> None:
    """Stream `mic` in real time from the start; resume after any drop; stop at the end."""
    pcm = mic.samples.astype("<i2").tobytes()
    step = int(FRAME_S * RATE) * 2
    began = time.monotonic()
    stream_id: str | None = None
    deadline = began + len(pcm) / 2 / RATE + give_up_s
    while True:
        try:
            async with websockets.connect(url, max_size=2**20, open_timeout=5) as ws:
                start: dict[str, Any] = {"type": "start", "token": mic.account.token}
                start |= {"sample_rate": RATE, "encoding": "pcm_s16le", "channels": 1}
                if stream_id is not None:
                    start["stream_id"] = stream_id
                await ws.send(json.dumps(start))
                ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert ready["type"] == "ready", ready
                stream_id = ready["stream_id"]
                offset = ready["position"] * 2
                connected = time.monotonic()
                while offset < len(pcm):
                    if mic.drop_every_s and time.monotonic() - connected > mic.drop_every_s:
                        ws.transport.abort()  # the network drops: no close, no `stop`
                    # A microphone has captured up to now; send what it has, in real time.
                    captured = int((time.monotonic() - began) / FRAME_S + 1) * step
                    if offset >= captured:
                        await asyncio.sleep(FRAME_S / 2)
                        continue
                    await ws.send(pcm[offset : offset + step])
                    offset += step
                await ws.send(json.dumps({"type": "stop"}))
                while True:
                    message = await asyncio.wait_for(ws.recv(), 60)
                    if isinstance(message, str) and json.loads(message)["type"] == "stopped":
                        mic.stopped_position = json.loads(message)["position"]
                        return
        except (ConnectionClosed, OSError, TimeoutError) as exc:
            mic.closes.append(f"{time.monotonic() - began:.1f}s {type(exc).__name__}: {exc}")
            if time.monotonic() > deadline:
                raise
            mic.reconnects += 1
            await asyncio.sleep(0.5)


async def stream_all(url: str, mics: list[Microphone]) -> None:
    """Every participant at once, as in a meeting."""
    await asyncio.gather(*(stream(url, mic) for mic in mics))
