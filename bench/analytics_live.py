"""Benchmark of the live analytics job: from a final segment's arrival in Kafka to its
speaker's totals in PostgreSQL.

It starts its own Kafka and PostgreSQL (as bench/ingest.py does) and the live job as a
separate process (`python -m vori analytics-live`, default settings unless given), waits
for the job's first micro-batch, then publishes the utterances of a real ICSI meeting as
final segments (one stream per speaker, the corpus's own times and text) at a steady rate.
A poller reads `analytics_live_speakers` every 50 ms; a segment's delay is the time from
just before it was published to the first read whose count for its speaker includes it.
At the end the stored totals are checked against the sums of what was published.

    .venv/bin/python -m bench.analytics_live --segments 50 --rate 1

Target (issue 11): totals within 5 s of a segment's arrival.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.ingest import start_engines
from vori.audio import SAMPLE_RATE
from vori.db.engine import create_db_engine
from vori.db.tables import AnalyticsLiveSpeaker, Meeting, User
from vori.events import TranscriptSegment
from vori.kafka.producer import EventProducer
from vori.settings import Settings

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
MEETING = REPO.parent / "shared" / "data" / "meetings" / "icsi" / "Bed002.json"
TARGET_S = 5.0


def icsi_segments(path: Path, meeting_id: str, count: int) -> list[TranscriptSegment]:
    """The first `count` ICSI utterances as final segments, one stream per speaker."""
    turns = json.loads(path.read_text())["transcript"]
    segments: list[TranscriptSegment] = []
    ids: set[str] = set()
    for turn in turns:
        participant = turn["speaker"]
        stream = f"{meeting_id}:{participant}:mic"
        start, end = float(turn["start"]), float(turn["end"])
        if not turn["text"].strip() or f"{stream}:{int(start * SAMPLE_RATE)}" in ids:
            continue  # the job counts neither an empty final nor an id twice
        ids.add(f"{stream}:{int(start * SAMPLE_RATE)}")
        if len(segments) == count:
            break
        segments.append(
            TranscriptSegment(
                id=f"{stream}:{int(start * SAMPLE_RATE)}",
                meeting_id=meeting_id,
                stream_id=stream,
                participant_id=participant,
                speaker=participant,
                final=True,
                start=start,
                end=end,
                start_sample=int(start * SAMPLE_RATE),
                end_sample=int(end * SAMPLE_RATE),
                text=turn["text"],
            )
        )
    return segments


def store_meeting(settings: Settings, meeting_id: str) -> None:
    """The meeting's row (and its owner's): the job writes only totals of stored meetings."""
    engine = create_db_engine(settings, pool_size=1, max_overflow=0)
    try:
        with Session(engine) as session, session.begin():
            owner = User(
                id=f"usr-{meeting_id}"[:40],
                email=f"{meeting_id}@bench.invalid",
                display_name="Bench",
                password_hash="-",
            )
            session.add(owner)
            session.flush()
            session.add(Meeting(id=meeting_id, title="bench", language="en", owner_id=owner.id))
    finally:
        engine.dispose()


class Poller:
    """Reads a meeting's live totals every `interval_s` and times each awaited count."""

    def __init__(self, settings: Settings, meeting_id: str, interval_s: float = 0.05) -> None:
        self.engine = create_db_engine(settings, pool_size=1, max_overflow=0)
        self.meeting_id = meeting_id
        self.interval_s = interval_s
        self.awaited: dict[int, tuple[str, int, float]] = {}  # index -> speaker, count, sent
        self.delays: dict[int, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def counts(self) -> dict[str, int]:
        with Session(self.engine) as session:
            rows = session.execute(
                select(AnalyticsLiveSpeaker.participant_id, AnalyticsLiveSpeaker.segments).where(
                    AnalyticsLiveSpeaker.meeting_id == self.meeting_id
                )
            ).all()
        return {participant: segments for participant, segments in rows}

    def _run(self) -> None:
        while not self.stop.is_set():
            counts, now = self.counts(), time.monotonic()
            with self.lock:
                for index, (speaker, count, sent) in list(self.awaited.items()):
                    if counts.get(speaker, 0) >= count:
                        self.delays[index] = now - sent
                        del self.awaited[index]
            time.sleep(self.interval_s)


def _wait_until(condition: Any, timeout_s: float, what: str, job: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        if job.poll() is not None:
            raise SystemExit(f"the live job exited with {job.returncode} while waiting for {what}")
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    settings, env, engines = start_engines(workdir)
    env = {**env, "VORI_LOG_LEVEL": "INFO"}
    if args.trigger is not None:
        env["VORI_ANALYTICS__LIVE_TRIGGER_S"] = str(args.trigger)
    producer = EventProducer(settings.kafka)
    job = None
    try:
        started = time.monotonic()
        job = subprocess.Popen([sys.executable, "-m", "vori", "analytics-live"], cwd=REPO, env=env)
        store_meeting(settings, "bench-warm-up")
        warm = icsi_segments(args.meeting, "bench-warm-up", 1)
        for segment in warm:
            producer.publish(segment)
        producer.flush(30)
        warm_poller = Poller(settings, "bench-warm-up")
        _wait_until(lambda: warm_poller.counts(), 240, "the first micro-batch", job)
        first_batch_s = time.monotonic() - started
        warm_poller.engine.dispose()

        meeting_id = f"bench-live-{os.getpid()}"
        store_meeting(settings, meeting_id)
        segments = icsi_segments(args.meeting, meeting_id, args.segments)
        poller = Poller(settings, meeting_id)
        poller.thread.start()
        seen: Counter[str] = Counter()
        period = 1.0 / args.rate
        next_at = time.monotonic()
        for index, segment in enumerate(segments):
            time.sleep(max(0.0, next_at - time.monotonic()))
            assert segment.participant_id is not None
            seen[segment.participant_id] += 1
            sent = time.monotonic()
            with poller.lock:
                poller.awaited[index] = (segment.participant_id, seen[segment.participant_id], sent)
            producer.publish(segment)
            producer.flush(10)
            next_at += period
        _wait_until(lambda: not poller.awaited, 60, "the last segment's totals", job)
        poller.stop.set()
        poller.thread.join()

        stored = {}
        with Session(poller.engine) as session:
            for row in session.scalars(
                select(AnalyticsLiveSpeaker).where(AnalyticsLiveSpeaker.meeting_id == meeting_id)
            ):
                stored[row.participant_id] = (row.segments, round(row.talk_s, 3), row.words)
        poller.engine.dispose()
        published: dict[str, tuple[int, float, int]] = {}
        for segment in segments:
            assert segment.participant_id is not None
            n, talk, words = published.get(segment.participant_id, (0, 0.0, 0))
            published[segment.participant_id] = (
                n + 1,
                talk + max(0.0, segment.end - segment.start),
                words + len(segment.text.split()),
            )
        expected = {k: (n, round(t, 3), w) for k, (n, t, w) in published.items()}
    finally:
        if job is not None and job.poll() is None:
            job.terminate()
            job.wait(60)
        for engine in reversed(engines):
            engine.stop()

    delays = [poller.delays[i] for i in sorted(poller.delays)]
    ordered = sorted(delays)
    return {
        "segments": len(delays),
        "rate_per_s": args.rate,
        "trigger_s": args.trigger
        if args.trigger is not None
        else settings.analytics.live_trigger_s,
        "meeting": args.meeting.name,
        "start_to_first_batch_s": round(first_batch_s, 2),
        "delay_s": {
            "median": round(statistics.median(delays), 3),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
            "max": round(ordered[-1], 3),
            "min": round(ordered[0], 3),
            "mean": round(statistics.fmean(delays), 3),
        },
        "within_target": sum(d <= TARGET_S for d in delays),
        "target_s": TARGET_S,
        "totals_match_published": stored == expected,
        "speakers": len(expected),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--segments", type=int, default=50)
    parser.add_argument("--rate", type=float, default=1.0, help="Segments published per second.")
    parser.add_argument(
        "--trigger",
        type=float,
        default=None,
        help="VORI_ANALYTICS__LIVE_TRIGGER_S (default: its default).",
    )
    parser.add_argument("--meeting", type=Path, default=MEETING, help="An ICSI meeting JSON.")
    parser.add_argument("--out", type=Path, default=RESULTS / "analytics-live.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vori-bench-live-") as tmp:
        result = run(args, Path(tmp))
    result.update(
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
    )
    delay = result["delay_s"]
    print(
        f"{'segments':>9} {'rate/s':>7} {'trigger s':>9} {'median s':>9} {'p95 s':>7} {'max s':>7}"
        f" {'<= 5 s':>7} {'totals ok':>9}"
    )
    print(
        f"{result['segments']:>9} {result['rate_per_s']:>7g} {result['trigger_s']:>9g}"
        f" {delay['median']:>9.2f} {delay['p95']:>7.2f} {delay['max']:>7.2f}"
        f" {result['within_target']:>3}/{result['segments']:<3}"
        f" {result['totals_match_published']!s:>9}"
    )
    print(
        f"job start to first micro-batch: {result['start_to_first_batch_s']} s; "
        f"load average {result['load_average_1m']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")


if __name__ == "__main__":
    main()
