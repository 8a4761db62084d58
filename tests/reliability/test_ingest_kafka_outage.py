"""Kafka stops for 20 s in the middle of a real-time stream: ingest stops reading the
socket (bounded memory), and when Kafka is back the stream continues with nothing lost."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.ingest import (
    create_meeting,
    ingest_settings,
    load_pcm,
    running_ingest,
    samples_of,
    stream_frames,
)
from tests.helpers.ports import free_port
from vori.cli.uplink import AudioUplink
from vori.events import stream_id_for
from vori.kafka import ensure_topics
from vori.local.kafka_broker import KafkaBroker
from vori.settings import Settings

OUTAGE_S = 20.0
INFLIGHT_BOUND = 65_536  # 2 s of audio: the outage must hit it


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    """A broker of this test only: stopping the session's broker would break other tests."""
    broker = KafkaBroker(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    broker.start(timeout_s=120)
    try:
        yield broker
    finally:
        broker.stop()


def _gauge(metrics: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", metrics, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))


def test_kafka_outage_pauses_the_stream_and_loses_nothing(
    settings: Settings, speech_dir: Path, own_broker: KafkaBroker
) -> None:
    kafka = settings.kafka.model_copy(update={"bootstrap_servers": own_broker.bootstrap_servers})
    ensure_topics(kafka)
    local = ingest_settings(settings, max_inflight_bytes=INFLIGHT_BOUND).model_copy(
        update={"kafka": kafka}
    )
    clips = sorted((speech_dir / "en/ljspeech").glob("*.wav"))[:4]
    pcm = b"".join(load_pcm(clip) for clip in clips)  # ~30 s of real speech
    [member] = create_meeting(settings, "Erin")

    async def scenario(url: str, base: str) -> tuple[AudioUplink, float, float]:
        uplink = AudioUplink(url, member.token, pcm, speed=1.0)
        streaming = asyncio.create_task(uplink.run())
        await asyncio.sleep(3.0)
        assert uplink.acked > 0
        await asyncio.to_thread(own_broker.stop)
        outage_started = time.monotonic()
        acked_at_outage = uplink.acked
        worst_inflight = 0.0
        async with httpx.AsyncClient(base_url=base) as http:
            while time.monotonic() - outage_started < OUTAGE_S:
                metrics = (await http.get("/metrics")).text
                worst_inflight = max(worst_inflight, _gauge(metrics, "vori_ingest_inflight_bytes"))
                await asyncio.sleep(0.5)
            paused = _gauge(
                (await http.get("/metrics")).text, "vori_ingest_backpressure_pauses_total"
            )
        assert uplink.acked - acked_at_outage < 16_000, "nothing is acked while Kafka is away"
        await asyncio.to_thread(own_broker.start, 120)
        final = await asyncio.wait_for(streaming, 180)
        assert final == len(pcm) // 2
        return uplink, worst_inflight, paused

    with running_ingest(local) as server:
        uplink, worst_inflight, paused = asyncio.run(
            scenario(server.url(member.meeting_id), server.base)
        )

    assert paused >= 1, "the stream must have stopped reading its socket"
    # In-flight audio stays within the bound (plus the one frame that crossed it).
    assert worst_inflight <= INFLIGHT_BOUND + 6400
    assert uplink.reconnects == 0, "the stream continues on the same connection"
    frames = stream_frames(kafka, stream_id_for(member.meeting_id, member.user_id), 60)
    audio = [f for f in frames if not f.end_of_stream]
    assert samples_of(audio) == pcm
    assert [f.seq for f in frames] == list(range(len(frames)))
    assert frames[-1].end_of_stream
