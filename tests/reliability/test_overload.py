"""More speech than the transcriber can decode: nothing lost, admitted streams bounded.

A real transcriber process (tiny.en, one decode thread) and a real ingest server take
participants who join one after another, each speaking real recorded speech at SPEED
times real time (each is the load of SPEED live streams). They keep joining until
REFUSED_ENOUGH of them have been refused (at most MAX_STREAMS): however fast the machine,
the load goes beyond what one decode thread keeps up with, and no further. The overload
policy (docs/overload.md) sheds partials, decodes finals more cheaply, and once over
capacity makes ingest refuse new streams with 1013; a refused client retries, as the web
app does, and speaks its whole audio once admitted. Pass: every stream gets a final for
every clip it spoke, in order, none twice; the streams admitted at their first attempt
keep their final latency within a generous multiple of the policy's bound; and the
refusals said why.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import websockets
from confluent_kafka import Consumer, TopicPartition
from websockets.exceptions import ConnectionClosed

from tests.helpers.ingest import START, Member, create_meeting, running_ingest
from tests.helpers.transcriber import (
    SAMPLE_RATE,
    SegmentReader,
    Timeline,
    clips,
    concatenate,
    start_group_at_end,
    start_transcriber,
    stop,
    transcriber_env,
)
from vori.events import TRANSCRIBER_LOAD, TranscriberLoad, TranscriptSegment, decode
from vori.settings import KafkaSettings, Settings

MAX_STREAMS = 24
REFUSED_ENOUGH = 2
CLIPS = 14  # clips of real speech per participant (about 100 s): streams overlap
SPEED = 2.0  # each stream sends its audio this many times faster than real time
JOIN_EVERY_S = 2.0  # a ramp slow enough that few join while the lag builds up
RETRY_S = 1.0
FRAME_MS = 100
# The policy refuses new streams when the speech arriving needs 80 % of the decode time
# for its finals (REFUSE_UTILISATION), at 3 s of lag (REFUSE_S) or 3 s of queue wait;
# the streams admitted meanwhile (a stream's first utterance closes a few seconds after
# it joins) are the overshoot that admitted streams wait out. The target is p95 <= 5 s
# with live streams; here each stream is SPEED live ones at once (so that one process's
# test client and ingest suffice) and the machine is shared with other sessions' tests,
# so the bound only catches lag that keeps growing: every participant admitted would
# grow it for the whole run. At 5x, a dozen streams admitted in the second before the
# door closed grew it to p95 29 s on a loaded machine: admission cannot shed load it has
# let in, so the test's overshoot must stay near what live streams would bring.
P95_BOUND_S = 25.0


@dataclass
class Speaker:
    """One participant's run: how often refused, when admitted, what the server said."""

    member: Member
    timeline: Timeline
    refusals: list[tuple[int, str]] = field(default_factory=list)
    stream_id: str | None = None
    stopped_at: int | None = None
    admitted_at: datetime | None = None
    joined: bool = False


async def _speak(url: str, speaker: Speaker, deadline: float) -> None:
    """Join, retrying while refused; then stream the whole timeline and stop cleanly."""
    pcm = speaker.timeline.samples.astype("<i2").tobytes()
    step = SAMPLE_RATE * FRAME_MS // 1000 * 2
    while True:
        assert time.monotonic() < deadline, f"{speaker.member.name} was never admitted"
        ws = await websockets.connect(url, max_size=2**20)
        await ws.send(json.dumps({**START, "token": speaker.member.token}))
        try:
            ready = json.loads(await ws.recv())
        except ConnectionClosed:
            speaker.refusals.append((ws.close_code or 0, ws.close_reason or ""))
            await asyncio.sleep(RETRY_S)
            continue
        break
    assert ready["type"] == "ready", ready
    assert ready["position"] == 0
    speaker.stream_id = ready["stream_id"]
    speaker.admitted_at = datetime.now(UTC)
    replies: list[dict[str, object]] = []

    async def read() -> None:
        async for message in ws:
            replies.append(json.loads(message))

    reader = asyncio.create_task(read())
    started = time.monotonic()
    for index, offset in enumerate(range(0, len(pcm), step)):
        due = started + index * FRAME_MS / 1000 / SPEED
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        await ws.send(pcm[offset : offset + step])
    await ws.send(json.dumps({"type": "stop"}))
    async with asyncio.timeout(60):
        await reader
    stopped = [r for r in replies if r.get("type") == "stopped"]
    assert stopped, f"{speaker.member.name}: no stopped reply ({ws.close_code} {ws.close_reason})"
    speaker.stopped_at = int(stopped[0]["position"])  # type: ignore[call-overload]


async def _meeting(url: str, speakers: list[Speaker], deadline: float) -> None:
    async def join(index: int, speaker: Speaker) -> None:
        await asyncio.sleep(index * JOIN_EVERY_S)
        if sum(1 for s in speakers if s.refusals) >= REFUSED_ENOUGH:
            return  # over capacity has been shown: no more load
        speaker.joined = True
        await _speak(url, speaker, deadline)

    await asyncio.gather(*(join(i, s) for i, s in enumerate(speakers)))


def _load_reports(kafka: KafkaSettings, since: dict[int, int]) -> list[TranscriberLoad]:
    """Every load report published after the offsets `since`."""
    consumer = Consumer(
        {"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"test-load-{time.time_ns()}"}
    )
    try:
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(TRANSCRIBER_LOAD, p), timeout=10)[1]
            for p in since
        }
        consumer.assign([TopicPartition(TRANSCRIBER_LOAD, p, o) for p, o in since.items()])
        reports: list[TranscriberLoad] = []
        pending = {p for p in since if ends[p] > since[p]}
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error() is not None:
                continue
            event = decode(TRANSCRIBER_LOAD, message.value(), message.headers())
            assert isinstance(event, TranscriberLoad)
            reports.append(event)
            if (message.offset() or 0) >= ends[message.partition() or 0] - 1:
                pending.discard(message.partition() or 0)
        return reports
    finally:
        consumer.close()


def _load_offsets(kafka: KafkaSettings) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": "test-load"})
    try:
        partitions = consumer.list_topics(TRANSCRIBER_LOAD, timeout=10).topics[TRANSCRIBER_LOAD]
        return {
            p: consumer.get_watermark_offsets(TopicPartition(TRANSCRIBER_LOAD, p), timeout=10)[1]
            for p in partitions.partitions
        }
    finally:
        consumer.close()


def _latency(final: TranscriptSegment) -> float:
    timing = final.timing
    assert timing.produced_at is not None
    assert timing.audio_end_capture_time is not None
    return (timing.produced_at - timing.audio_end_capture_time).total_seconds()


def _seconds(moment: datetime | None, since: datetime) -> float | None:
    return None if moment is None else round((moment - since).total_seconds(), 1)


def _complete(finals: list[TranscriptSegment], speaker: Speaker) -> bool:
    """A final with text overlaps every clip the speaker spoke."""
    mine = [f for f in finals if f.stream_id == speaker.stream_id and f.text.strip()]
    return all(
        any(f.start_sample < end and f.end_sample > start for f in mine)
        for _clip, start, end in speaker.timeline.spans
    )


# A load ramp of about 100 s: `make test-reliability` runs it, `make test` does not (the
# overload policy's decisions are unit-tested in tests/unit/test_overload_policy.py).
@pytest.mark.skipif(
    os.environ.get("VORI_FAULTS") != "full",
    reason="a load ramp: make test-reliability (VORI_FAULTS=full)",
)
def test_streams_beyond_capacity_lose_nothing_and_admitted_ones_stay_bounded(
    settings: Settings, speech_dir: Path, unique: str, tmp_path: Path
) -> None:
    lj = sorted(clips(speech_dir, "en/ljspeech").values(), key=lambda c: c.id)
    names = [f"speaker{i}" for i in range(MAX_STREAMS)]
    members = create_meeting(settings, *names)
    speakers = [
        Speaker(m, concatenate([lj[(CLIPS * i + k) % len(lj)] for k in range(CLIPS)], pause_s=0.8))
        for i, m in enumerate(members)
    ]
    group = f"overload-{unique}"
    start_group_at_end(settings.kafka, group)
    since = _load_offsets(settings.kafka)
    log = tmp_path / "transcriber.log"
    env = transcriber_env(
        settings,
        group,
        VORI_TRANSCRIBER__DECODE_WORKERS="1",
        VORI_TRANSCRIBER__CPU_THREADS="1",
    )
    reader = SegmentReader(settings.kafka)
    process = start_transcriber(env, log)
    try:
        with running_ingest(settings) as ingest:
            # The model loads and the ingest process's load watcher joins its group.
            time.sleep(8.0)
            assert process.poll() is None, log.read_text()
            started = time.monotonic()
            asyncio.run(_meeting(ingest.url(members[0].meeting_id), speakers, started + 150))
            speakers = [s for s in speakers if s.joined]
            sent_s = time.monotonic() - started
        finals = reader.wait_for_finals(
            lambda fs: all(_complete(fs, s) for s in speakers), timeout_s=120
        )
        drained_s = time.monotonic() - started
        time.sleep(2.5)  # two more load reports: caught up again
    finally:
        stop(process)
        reader.close()

    reports = [r for r in _load_reports(settings.kafka, since) if r.instance]
    ours = {
        r.instance
        for r in reports
        if any(m.meeting_id == members[0].meeting_id for m in r.meetings)
    }
    reports = [r for r in reports if r.instance in ours]
    first_try = [s for s in speakers if not s.refusals]
    refused = [s for s in speakers if s.refusals]
    latencies = {
        s.member.name: [_latency(f) for f in finals if f.stream_id == s.stream_id] for s in speakers
    }
    admitted = sorted(x for s in first_try for x in latencies[s.member.name])
    late = sorted(x for s in refused for x in latencies[s.member.name])

    began = min(s.admitted_at for s in speakers if s.admitted_at is not None)
    over_at = min((r.at for r in reports if r.over_capacity), default=None)

    def pct(values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) if values else float("nan")

    summary = (
        f"{len(speakers)} streams at {SPEED}x ({len(speakers) * SPEED:.0f} live-stream "
        "equivalents), "
        f"sent in {sent_s:.0f} s, all finals by {drained_s:.0f} s; "
        f"{len(first_try)} admitted at once, {len(refused)} refused "
        f"({sum(len(s.refusals) for s in refused)} refusals) then admitted; "
        f"admitted final latency p50 {pct(admitted, 50):.1f} s p95 {pct(admitted, 95):.1f} s "
        f"max {max(admitted, default=float('nan')):.1f} s; refused-then-admitted p50 "
        f"{pct(late, 50):.1f} s p95 {pct(late, 95):.1f} s; max reported lag "
        f"{max((r.lag_s for r in reports), default=0):.1f} s, levels "
        f"{sorted({r.level for r in reports})}; over capacity first at "
        f"{_seconds(over_at, began)} s, "
        f"streams admitted at {[_seconds(s.admitted_at, began) for s in speakers]} s; log {log}"
    )
    print(summary)

    # Nothing lost, nothing doubled, in order.
    for speaker in speakers:
        assert speaker.stopped_at == len(speaker.timeline.samples), summary
        assert _complete(finals, speaker), f"{speaker.member.name} misses a clip; {summary}"
        mine = [f for f in finals if f.stream_id == speaker.stream_id]
        ids = [f.id for f in mine]
        assert len(ids) == len(set(ids)), f"duplicate finals of {speaker.member.name}"
        starts = [f.start_sample for f in mine]
        assert starts == sorted(starts), f"finals of {speaker.member.name} out of order"
    # Beyond capacity, the door closed with a code and a reason, and opened again.
    assert refused, f"no stream was refused: was the transcriber ever over capacity? {summary}"
    for code, reason in (r for s in refused for r in s.refusals):
        assert code == 1013, (code, reason)
        assert "over capacity" in reason, reason
        assert "s behind" in reason, reason
    assert "over_capacity" in {r.level for r in reports}, summary
    assert reports[-1].level == "normal", f"not caught up: {reports[-1]}; {summary}"
    # The streams let in at once stay within the bound.
    assert admitted, summary
    assert pct(admitted, 95) <= P95_BOUND_S, summary
    assert statistics.median(admitted) <= P95_BOUND_S / 2, summary
