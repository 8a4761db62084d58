"""Upload transcription speed, alone and beside live streams, and what it costs live finals.

    .venv/bin/python -m bench.upload [--upload-s 300] [--streams 4] [--seconds 40]
        [--quick]

Starts its own Kafka broker and PostgreSQL (bench.ingest's engines), one `vori
stream-ingest`, one `vori transcriber` (the live lane, tiny.en) and one `vori
transcriber-batch` (its defaults: nice 10, one decode thread, waits while the live
transcriber reports overload), with a local recordings store. Then:

1. upload alone: a FLAC of the shared English clips (`--upload-s` of audio, in 3 parts
   in the store) is announced on `recordings.uploaded`; speed = audio seconds per wall
   second from the announcement to `recording_transcribed`;
2. live alone: `--streams` WebSocket streams of real speech in real time (bench.load's
   clients, meetings of 4), end of speech -> final p50/p95;
3. both: the same upload again (a new id) and, at once, the same live streams; the live
   finals' p50/p95, how far the upload got while they ran, and its speed to the end.

Prints a table, writes bench/results/upload[-quick].json, and never fails: a phase that
breaks is reported as such. The machine is shared: the load average is in the output.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.ingest import _engines, _wait_http  # noqa: E402
from bench.load import Sampler, run_step  # noqa: E402
from bench.transcriber import english_clips  # noqa: E402
from tests.helpers.kafka import consumer_at_end  # noqa: E402
from tests.helpers.ports import free_port  # noqa: E402
from tests.helpers.transcriber import (  # noqa: E402
    SAMPLE_RATE,
    SegmentReader,
    start_group_at_end,
    start_transcriber,
    stop,
)
from vori.events import (  # noqa: E402
    MEETING_EVENTS,
    MeetingEvent,
    RecordingUploaded,
    decode,
)
from vori.kafka import EventProducer  # noqa: E402
from vori.objectstore import LocalObjectStore  # noqa: E402
from vori.settings import KafkaSettings  # noqa: E402


@dataclass
class UploadRun:
    """One upload's transcription."""

    phase: str
    audio_s: float
    wall_s: float | None = None  # announcement -> recording_transcribed
    audio_s_per_s: float | None = None
    progress_during_live: float | None = None  # share done when the live streams ended
    audio_s_per_s_during_live: float | None = None
    batch_cores: float | None = None
    outcome: str = "timed out"


@dataclass
class LiveRun:
    """The live streams' finals in one phase."""

    phase: str
    streams: int
    final_p50_s: float
    final_p95_s: float
    clips_without_final: int
    refused_1013: int
    machine_busy_pct: float
    cpu_cores: dict[str, float] = field(default_factory=dict)


class Progress:
    """The batch lane's events on meeting.events from the current end on."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.consumer, _ends = consumer_at_end(kafka, [MEETING_EVENTS], "bench-upload")
        self.events: list[tuple[float, MeetingEvent]] = []

    def poll(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.consumer.poll(0.1)
            if message is None or message.error() is not None:
                continue
            event = decode(MEETING_EVENTS, message.value(), message.headers())
            if isinstance(event, MeetingEvent) and event.upload_id:
                self.events.append((event.at.timestamp(), event))  # when it was reported

    def done(self, upload_id: str) -> tuple[float, MeetingEvent] | None:
        for at, event in self.events:
            if event.upload_id == upload_id and event.type in (
                "recording_transcribed",
                "recording_failed",
            ):
                return at, event
        return None

    def progress(self, upload_id: str, by: float) -> float:
        """The share reported done by epoch time `by`."""
        values = [
            e.progress or 0.0 for at, e in self.events if e.upload_id == upload_id and at <= by
        ]
        return max(values, default=0.0)


def _recording(path: Path, seconds: float) -> float:
    """The shared English clips end to end, 1 s apart, up to `seconds`; returns its length."""
    pool = english_clips()
    rng = np.random.default_rng(3)
    parts: list[np.ndarray] = []
    total, k = 0, 0
    while total < seconds * SAMPLE_RATE:
        audio = pool[k % len(pool)].samples()
        pause = rng.normal(0, 20, SAMPLE_RATE).astype(np.int16)
        parts += [audio, pause]
        total += len(audio) + len(pause)
        k += 1
    sf.write(path, np.concatenate(parts), SAMPLE_RATE)
    return total / SAMPLE_RATE


def _announce(settings: Any, store: LocalObjectStore, path: Path, upload_id: str) -> None:
    data = path.read_bytes()
    prefix = f"uploads/bench/{upload_id}/"
    cuts = np.linspace(0, len(data), 4).astype(int)
    keys = []
    for index in range(3):
        key = f"{prefix}part-{index:05d}"
        store.put(key, data[cuts[index] : cuts[index + 1]], "application/octet-stream")
        keys.append(key)
    producer = EventProducer(settings.kafka)
    producer.publish(
        RecordingUploaded(
            upload_id=upload_id,
            meeting_id=f"bench-upload-{upload_id}",
            prefix=prefix,
            parts=keys,
            size_bytes=len(data),
            filename=path.name,
            language="en",
            uploaded_by="bench",
            uploader_name="Bench",
        )
    )
    producer.flush(30)


def _wait_done(progress: Progress, upload_id: str, timeout_s: float) -> float | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        progress.poll(0.5)
        done = progress.done(upload_id)
        if done is not None:
            return done[0] if done[1].type == "recording_transcribed" else None
    return None


def _live(step: Any, phase: str) -> LiveRun:
    return LiveRun(
        phase=phase,
        streams=step.streams,
        final_p50_s=step.final_p50_s,
        final_p95_s=step.final_p95_s,
        clips_without_final=step.clips_without_final,
        refused_1013=step.refused_1013,
        machine_busy_pct=step.machine_busy_pct,
        cpu_cores=step.cpu_cores,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upload-s", type=float, default=300.0, help="Audio in the upload.")
    parser.add_argument("--streams", type=int, default=4, help="Live streams beside it.")
    parser.add_argument("--seconds", type=float, default=40.0, help="Speech per live stream.")
    parser.add_argument("--timeout-s", type=float, default=600.0, help="Longest upload wait.")
    parser.add_argument("--nice", type=int, help="The batch process's niceness (its setting).")
    parser.add_argument("--quick", action="store_true", help="a 90 s upload, 20 s live")
    args = parser.parse_args()
    if args.quick:
        args.upload_s, args.seconds, args.timeout_s = 90.0, 20.0, 240.0
    began = time.monotonic()
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="vori-upload-bench-"))
    settings, env, engines = _engines(workdir)
    store_dir = workdir / "recordings"
    store = LocalObjectStore(store_dir)
    recording = workdir / "upload.flac"
    audio_s = _recording(recording, args.upload_s)
    uploads: list[UploadRun] = []
    lives: list[LiveRun] = []
    errors: list[str] = []
    ingest_port = free_port()
    common = {**env, "VORI_DATA_DIR": str(REPO / ".vori"), "PYTHONPATH": str(REPO)}
    ingest = subprocess.Popen(
        [sys.executable, "-m", "vori", "stream-ingest"],
        cwd=REPO,
        env={**common, "VORI_INGEST__PORT": str(ingest_port)},
    )
    group = f"bench-upload-live-{time.monotonic_ns()}"
    start_group_at_end(settings.kafka, group)
    log = (workdir / "services.log").open("ab")
    live = start_transcriber(
        {**common, "VORI_TRANSCRIBER__GROUP_ID": group, "VORI_TRANSCRIBER__METRICS_PORT": "0"},
        workdir / "transcriber.log",
    )
    batch = subprocess.Popen(
        [sys.executable, "-m", "vori", "transcriber-batch"],
        cwd=REPO,
        env={
            **common,
            "VORI_LOG_LEVEL": "INFO",
            "VORI_RECORDINGS__DIR": str(store_dir),
            "VORI_TRANSCRIBER_BATCH__GROUP_ID": f"bench-batch-{time.monotonic_ns()}",
            "VORI_TRANSCRIBER_BATCH__METRICS_PORT": "0",
            **({"VORI_TRANSCRIBER_BATCH__NICE": str(args.nice)} if args.nice is not None else {}),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_http(f"http://127.0.0.1:{ingest_port}/healthz")
        reader = SegmentReader(settings.kafka)
        progress = Progress(settings.kafka)
        pids = {"transcriber": [live.pid], "stream-ingest": [ingest.pid], "batch": [batch.pid]}
        time.sleep(10)  # imports, model loads, group joins
        # Warm-up: the first decodes after a start are slow and are not what is measured.
        run_step(settings, ingest_port, reader, group, pids, 1, 1, 8.0)

        # 1. the upload alone
        upload_id = f"alone-{uuid.uuid4().hex[:8]}"
        sampler = Sampler({"batch": [batch.pid]})
        started = time.time()
        _announce(settings, store, recording, upload_id)
        finished = _wait_done(progress, upload_id, args.timeout_s)
        cores, _rss, _busy, _wall = sampler.finish()
        run = UploadRun("alone", round(audio_s, 1), batch_cores=cores["batch"])
        if finished is not None:
            run.wall_s = round(finished - started, 1)
            run.audio_s_per_s = round(audio_s / run.wall_s, 2)
            run.outcome = "transcribed"
        uploads.append(run)
        print(asdict(run), flush=True)

        # 2. live alone
        step = run_step(settings, ingest_port, reader, group, pids, args.streams, 1, args.seconds)
        lives.append(_live(step, "live alone"))
        print(asdict(lives[-1]), flush=True)
        time.sleep(3)

        # 3. both at once
        upload_id = f"beside-{uuid.uuid4().hex[:8]}"
        sampler = Sampler({"batch": [batch.pid]})
        started = time.time()
        _announce(settings, store, recording, upload_id)
        step = run_step(settings, ingest_port, reader, group, pids, args.streams, 1, args.seconds)
        live_end = time.time()
        lives.append(_live(step, "live beside the upload"))
        print(asdict(lives[-1]), flush=True)
        finished = _wait_done(progress, upload_id, args.timeout_s)
        during = progress.progress(upload_id, live_end)
        cores, _rss, _busy, _wall = sampler.finish()
        run = UploadRun(
            "beside live streams",
            round(audio_s, 1),
            progress_during_live=round(during, 3),
            audio_s_per_s_during_live=round(
                during * audio_s / (min(live_end, finished or live_end) - started), 2
            ),
            batch_cores=cores["batch"],
        )
        if finished is not None:
            run.wall_s = round(finished - started, 1)
            run.audio_s_per_s = round(audio_s / run.wall_s, 2)
            run.outcome = "transcribed"
        uploads.append(run)
        print(asdict(run), flush=True)
    except Exception as exc:  # a benchmark reports what broke; it never fails
        errors.append(repr(exc))
        print(f"benchmark phase failed: {exc!r}", file=sys.stderr)
    finally:
        for process in (batch, live):
            stop(process)
        ingest.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            ingest.wait(30)
        for engine in reversed(engines):
            engine.stop()
    load_after = os.getloadavg()
    _print(uploads, lives, load_before, load_after, errors)
    name = "upload" + ("-quick" if args.quick else "") + (f"-nice{args.nice}" if args.nice else "")
    out = REPO / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "cores": psutil.cpu_count(),
                "load_avg_before": load_before,
                "load_avg_after": load_after,
                "wall_s": round(time.monotonic() - began),
                "args": vars(args),
                "uploads": [asdict(u) for u in uploads],
                "live": [asdict(x) for x in lives],
                "errors": errors,
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


def _print(
    uploads: list[UploadRun],
    lives: list[LiveRun],
    before: tuple[float, ...],
    after: tuple[float, ...],
    errors: list[str],
) -> None:
    print(f"\nload average before {before}, after {after}; {psutil.cpu_count()} cores")
    print(
        "\n| upload | audio s | wall s | audio s per s | done while live | s/s while live "
        "| batch cores | outcome |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for u in uploads:
        print(
            f"| {u.phase} | {u.audio_s} | {u.wall_s} | {u.audio_s_per_s} "
            f"| {u.progress_during_live if u.progress_during_live is not None else '-'} "
            f"| {u.audio_s_per_s_during_live if u.audio_s_per_s_during_live is not None else '-'} "
            f"| {u.batch_cores} | {u.outcome} |"
        )
    print(
        "\n| live | streams | final p50 s | final p95 s | no final | 1013 | machine busy % "
        "| cores (live tr / ingest / batch) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for x in lives:
        c = x.cpu_cores
        print(
            f"| {x.phase} | {x.streams} | {x.final_p50_s} | {x.final_p95_s} "
            f"| {x.clips_without_final} | {x.refused_1013} | {x.machine_busy_pct} "
            f"| {c.get('transcriber')} / {c.get('stream-ingest')} / {c.get('batch')} |"
        )
    for error in errors:
        print(f"error: {error}")


if __name__ == "__main__":
    main()
