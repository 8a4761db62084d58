"""From a meeting's end to its final summary, with the last words still being transcribed.

    .venv/bin/python bench/meeting_end.py [--language ko] [--streams 4] [--repeats 2]
        [--end-after -0.5] [--stop-within 5] [--config NAME:KEY=VALUE,... ...]

One meeting of `--streams` participants (the shared speech clips dealt round-robin, as
bench/transcriber.py `--dealt` does, each stream padded with room noise to the same
length) streams in real time through Kafka into `vori transcriber` and `vori summarizer`
(child processes on a local broker and PostgreSQL; rules and detector, no LLM). As ingest
announces them, each stream has `participant_joined` with its `stream_id`. The owner ends
the meeting `--end-after` seconds after the end of the last clip (the clips end in up to
a second of line noise after their words: -0.5 s ends it as the last words are said or
just after); the owner's stream (the first) ends then, the others go on streaming and get
their end-of-stream markers spread over `--stop-within` seconds (ingest stops open streams
of an ended meeting at its next access check, every 5 s).

Per run: seconds from the end to the first final summary read from Kafka, how many final
summaries the meeting got (within `--window` s of the end), and how many finals with text
were read after the first final summary (words the final summary went without). `--config`
sets summarizer variables (`VORI_SUMMARIZER__` + KEY) per configuration, side by side in
one run, e.g. `'grace:FINAL_WAIT_S=0' 'wait:'`. Prints a table, writes JSON
(bench/results/meeting-end.json by default).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from confluent_kafka import Consumer, TopicPartition

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.ingest import start_engines  # noqa: E402
from bench.korean_gap import korean_clips  # noqa: E402
from bench.transcriber import (  # noqa: E402
    FRAME_MS,
    Track,
    all_english_clips,
    dealt_tracks,
    track_frame,
)
from tests.helpers.transcriber import SAMPLE_RATE, start_transcriber, start_vori, stop  # noqa: E402
from vori.events import (  # noqa: E402
    MEETING_SUMMARIES,
    TRANSCRIPT_SEGMENTS,
    MeetingEvent,
    MeetingSummary,
    TranscriptSegment,
    decode,
)
from vori.kafka import EventProducer  # noqa: E402
from vori.settings import Settings  # noqa: E402


@dataclass
class Run:
    config: str
    repeat: int
    end_to_final_s: float | None  # None: no final summary within the window
    final_summaries: int
    finals: int  # finals with text the meeting got
    finals_after_final_summary: int
    last_final_after_end_s: float | None


def meeting_tracks(language: str, streams: int) -> list[Track]:
    """One meeting: the clips dealt to `streams` participants, padded with room noise."""
    pool = korean_clips("all") if language == "ko" else all_english_clips()["mfa"]
    dealt = dealt_tracks(streams, pool, language)
    meeting = f"bench-end-{time.monotonic_ns()}"
    length = max(len(t.samples) for t in dealt) + 10 * SAMPLE_RATE  # streams go on past the end
    rng = np.random.default_rng(7)
    tracks = []
    for i, track in enumerate(dealt):
        pad = rng.normal(0, 20, length - len(track.samples)).astype(np.int16)
        samples = np.concatenate([track.samples, pad])
        tracks.append(
            replace(
                track,
                stream=f"{meeting}:p{i}:mic",
                meeting=meeting,
                participant=f"p{i}",
                samples=samples,
            )
        )
    return tracks


def last_word_s(tracks: list[Track]) -> float:
    return max(end for t in tracks for _id, _start, end in t.spans) / SAMPLE_RATE


def stream_meeting(settings: Settings, tracks: list[Track], args: argparse.Namespace) -> float:
    """Join, stream in real time, end the meeting `--end-after` s after the last word, and
    go on streaming each stream until ingest would stop it; returns when the end was sent."""
    producer = EventProducer(settings.kafka)
    meeting = tracks[0].meeting
    for t in tracks:
        producer.publish(
            MeetingEvent(
                type="participant_joined",
                meeting_id=meeting,
                participant_id=t.participant,
                participant_name=t.participant,
                stream_id=t.stream,
                language=t.language,
            )
        )
    producer.flush(30)
    step = SAMPLE_RATE * FRAME_MS // 1000
    end_index = int((last_word_s(tracks) + args.end_after) * 1000 / FRAME_MS)
    spread = args.stop_within / max(1, len(tracks) - 1)
    # The owner's stream (0) stops before the end is sent; the others at ingest's checks.
    stops = [end_index + round(i * spread * 1000 / FRAME_MS) for i in range(len(tracks))]
    t0 = time.time()
    ended_at = 0.0
    for index in range(max(stops) + 1):
        time.sleep(max(0.0, t0 + (index + 1) * FRAME_MS / 1000 - time.time()))
        for t, stop_index in zip(tracks, stops, strict=True):
            if index < stop_index:
                producer.publish(
                    track_frame(t, index, t.samples[index * step : (index + 1) * step])
                )
            elif index == stop_index:
                producer.publish(track_frame(t, index, np.zeros(0, dtype=np.int16), end=True))
        if index == end_index:
            producer.publish(MeetingEvent(type="ended", meeting_id=meeting))
            producer.flush(30)
            ended_at = time.time()
    producer.flush(30)
    return ended_at


class Reader:
    """Final segments and summaries of one meeting, with the wall-clock time they were read."""

    def __init__(self, settings: Settings, meeting: str) -> None:
        self.meeting = meeting
        self.consumer = Consumer(
            {
                "bootstrap.servers": settings.kafka.bootstrap_servers,
                "group.id": f"bench-end-{time.monotonic_ns()}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
            }
        )
        assignment = []
        for topic in (TRANSCRIPT_SEGMENTS, MEETING_SUMMARIES):
            for p in self.consumer.list_topics(topic, timeout=30).topics[topic].partitions:
                tp = TopicPartition(topic, p)
                tp.offset = self.consumer.get_watermark_offsets(tp, timeout=30)[1]
                assignment.append(tp)
        self.consumer.assign(assignment)
        self.finals: list[float] = []
        self.summaries: list[float] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.stopped.is_set():
            message = self.consumer.poll(0.2)
            if message is None or message.error() is not None:
                continue
            event = decode(message.topic() or "", message.value(), message.headers())
            now = time.time()
            if getattr(event, "meeting_id", None) != self.meeting:
                continue
            if isinstance(event, TranscriptSegment) and event.final and event.text.strip():
                self.finals.append(now)
            elif isinstance(event, MeetingSummary) and event.kind == "final":
                self.summaries.append(now)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(10)
        self.consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--language", choices=["ko", "en"], default="ko")
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--end-after", type=float, default=-0.5)
    parser.add_argument("--stop-within", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=40.0)
    parser.add_argument("--config", nargs="*", default=["grace:FINAL_WAIT_S=0", "wait:"])
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/meeting-end.json")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="vori-bench-end-"))
    settings, env, engines = start_engines(workdir)
    processes = []
    runs: list[Run] = []
    try:
        env |= {
            "VORI_TRANSCRIBER__METRICS_PORT": "0",
            "VORI_SUMMARIZER__METRICS_PORT": "0",
            "VORI_SUMMARIZER__LLM": "off",
            "VORI_LOG_LEVEL": "INFO",
            # The joined `base` weights stay here between runs: a fresh data folder would
            # join them again while the first meeting streams.
            "VORI_DATA_DIR": str(REPO / ".vori"),
        }
        transcriber = start_transcriber(env, workdir / "transcriber.log")
        processes.append(transcriber)
        time.sleep(8)  # imports and model load
        for repeat in range(args.repeats):
            for config in args.config:
                name, _, body = config.partition(":")
                extra = dict(p.split("=", 1) for p in body.split(",") if p)
                summarizer_env = env | {
                    f"VORI_SUMMARIZER__{k.upper()}": v for k, v in extra.items()
                }
                summarizer_env["VORI_SUMMARIZER__GROUP_ID"] = f"bench-end-{name}-{repeat}"
                summarizer = start_vori(
                    "summarizer", summarizer_env, workdir / f"summarizer-{name}.log"
                )
                processes.append(summarizer)
                time.sleep(8)
                tracks = meeting_tracks(args.language, args.streams)
                reader = Reader(settings, tracks[0].meeting)
                ended_at = stream_meeting(settings, tracks, args)
                time.sleep(max(0.0, ended_at + args.window - time.time()))
                reader.close()
                stop(summarizer)
                processes.remove(summarizer)
                first = reader.summaries[0] if reader.summaries else None
                runs.append(
                    Run(
                        config=name,
                        repeat=repeat,
                        end_to_final_s=round(first - ended_at, 2) if first else None,
                        final_summaries=len(reader.summaries),
                        finals=len(reader.finals),
                        finals_after_final_summary=sum(f > first for f in reader.finals)
                        if first
                        else len(reader.finals),
                        last_final_after_end_s=round(max(reader.finals) - ended_at, 2)
                        if reader.finals
                        else None,
                    )
                )
                print(asdict(runs[-1]), flush=True)
    finally:
        for process in processes:
            stop(process)
        for engine in engines:
            engine.stop()
    print(
        f"\n{args.language}, {args.streams} streams, end {args.end_after} s after the last word,"
        f" streams stopped within {args.stop_within} s"
    )
    print("| config | end → first final summary s | final summaries | finals after it / finals |")
    print("|---|---|---|---|")
    for name in dict.fromkeys(r.config for r in runs):
        mine = [r for r in runs if r.config == name]
        times = [r.end_to_final_s for r in mine if r.end_to_final_s is not None]
        print(
            f"| {name} | {', '.join(f'{t:.2f}' for t in times)}"
            f" (median {statistics.median(times) if times else float('nan'):.2f})"
            f" | {', '.join(str(r.final_summaries) for r in mine)}"
            f" | {', '.join(f'{r.finals_after_final_summary} / {r.finals}' for r in mine)} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {"args": vars(args) | {"out": str(args.out)}, "runs": [asdict(r) for r in runs]}
    args.out.write_text(json.dumps(record, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
