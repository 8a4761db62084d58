"""Where streamed Korean loses against offline: the transcriber's core vs `transcribe()`.

    .venv/bin/python bench/korean_gap.py [--split tune|report|all] [--streams 4]
        [--pause 1.0] [--config NAME:KEY=VALUE,... ...] [--clips] [--dealings]

No Kafka: the shared Korean clips (ko/naver; tune = clips 0-24, report = 25-49 in id
order) are laid end to end with pauses of room noise on `--streams` tracks, fed as
100 ms frames through the transcriber's own StreamTranscriber (segmenter) and ModelLane
(decoder, policy, hallucination guard, prompt context) with the settings in force, and
through faster-whisper's `transcribe()` (beam 5, the same `base` model) on exactly the
same tracks. Text is given to the clip its segment overlaps most; CER is over characters
with spaces and punctuation removed. `--clips` prints every clip whose CER differs;
`--config` compares transcriber settings (env names under VORI_TRANSCRIBER__).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from faster_whisper import WhisperModel  # noqa: E402

from bench.machine import describe  # noqa: E402
from tests.helpers.transcriber import SAMPLE_RATE, Clip, clips, concatenate, frames_of  # noqa: E402
from transcriber.decoder import WhisperDecoder  # noqa: E402
from transcriber.lane import FinalResult, ModelLane, PromptContext, Result, Work  # noqa: E402
from transcriber.metrics import TranscriberMetrics  # noqa: E402
from transcriber.pcm import to_float  # noqa: E402
from transcriber.segmenter import SegmenterConfig  # noqa: E402
from transcriber.stream import FinalJob, StreamInfo, StreamTranscriber  # noqa: E402
from vori.settings import Settings, load_settings  # noqa: E402
from vori.whisper_models import resolve_model  # noqa: E402

SPEECH = REPO.parent / "shared" / "data" / "speech"
Span = tuple[str, int, int]  # clip id, start and end sample in its track
TrackAudio = tuple[np.ndarray, list[Span]]


def korean_clips(split: str) -> list[Clip]:
    """The ko/naver clips in id order: tune = the first 25, report = the last 25."""
    pool = sorted(clips(SPEECH, "ko/naver").values(), key=lambda c: c.id)
    if split == "tune":
        return pool[:25]
    if split == "report":
        return pool[25:]
    return pool


def cer_text(text: str) -> str:
    """Characters that count for Korean CER: letters and digits, no spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LN")


@dataclass
class TrackText:
    """What one system wrote on one track, segment by segment (start, end in samples)."""

    segments: list[tuple[int, int, str]] = field(default_factory=list)


def per_clip(spans: list[Span], text: TrackText) -> dict[str, str]:
    """Each segment's text goes to the clip it overlaps most (else the nearest clip)."""
    out = {c: "" for c, _, _ in spans}  # words keep their leading spaces
    for start, end, words in text.segments:
        best = max(spans, key=lambda s: (min(end, s[2]) - max(start, s[1]), -abs(start - s[1])))
        if min(end, best[2]) - max(start, best[1]) <= 0:
            middle = (start + end) / 2
            best = min(spans, key=lambda s: abs((s[1] + s[2]) / 2 - middle))
        out[best[0]] += words
    return out


def cer(refs: list[str], hyps: list[str]) -> float:
    pairs = zip(refs, hyps, strict=True)
    edits = sum(Levenshtein.distance(cer_text(r), cer_text(h)) for r, h in pairs)
    return edits / max(sum(len(cer_text(r)) for r in refs), 1)


def track_cer(tracks: list[TrackAudio], texts: list[TrackText], by_id: dict[str, Clip]) -> float:
    """CER of each track's whole text against its clips' references, in order."""
    refs = [" ".join(by_id[c].text for c, _, _ in spans) for _, spans in tracks]
    hyps = ["".join(w for _, _, w in sorted(t.segments, key=lambda x: x[0])) for t in texts]
    return cer(refs, hyps)


def tracks_of(pool: list[Clip], streams: int, pause_s: float) -> list[TrackAudio]:
    """Clips dealt round-robin to `streams` tracks, each laid end to end with pauses."""
    out = []
    for i in range(streams):
        timeline = concatenate(pool[i::streams], pause_s=pause_s)
        out.append((timeline.samples, timeline.spans))
    return out


def streamed(
    settings: Settings, decoder: WhisperDecoder, tracks: list[TrackAudio], language: str = "ko"
) -> tuple[list[TrackText], list[dict[str, object]]]:
    """Every track through StreamTranscriber and ModelLane, finals only, as the worker does."""
    t = settings.transcriber
    results: queue.SimpleQueue[Result] = queue.SimpleQueue()
    lane = ModelLane("model", lambda: decoder, t, results, TranscriberMetrics())
    config = SegmenterConfig.from_settings(t)
    if language not in t.vad_relative_floor_languages:
        config = replace(config, relative_floor_db=None)  # as Partitions.config_for does
    submitted = 0
    for i, (samples, _spans) in enumerate(tracks):
        meeting = f"{language}-{i}"
        info = StreamInfo(f"{meeting}:p:mic", meeting, "p", "p", language)
        stream = StreamTranscriber.new(info, config, 0)
        context = PromptContext("")
        for frame in frames_of(samples, meeting_id=meeting, participant_id="p", language=language):
            for closed in stream.feed(frame, datetime.now(UTC)):
                lane.submit_final(Work(i, stream, context, closed))
                submitted += 1
    texts = [TrackText() for _ in tracks]
    details: list[dict[str, object]] = []
    while submitted:
        result = results.get(timeout=600)
        if not isinstance(result, FinalResult):
            continue
        submitted -= 1
        job = result.work.job
        assert isinstance(job, FinalJob)
        verdict = result.verdict
        segment = result.segment
        text = segment.text if segment is not None else ""
        if segment is not None and segment.words:
            texts[result.work.partition].segments.extend(
                (round(w.start * SAMPLE_RATE), round(w.end * SAMPLE_RATE), w.word)
                for w in segment.words
            )
        else:
            texts[result.work.partition].segments.append((job.start, job.end, text))
        details.append(
            {
                "track": result.work.partition,
                "start_s": round(job.start / SAMPLE_RATE, 2),
                "end_s": round(job.end / SAMPLE_RATE, 2),
                "text": text,
                "dropped": None if verdict is None or verdict.keep else verdict.reason,
                "raw": verdict.text if verdict is not None else "",
            }
        )
    lane.stop()
    if lane.failure is not None:
        raise RuntimeError("decode lane failed") from lane.failure
    return texts, details


def offline(model: WhisperModel, tracks: list[TrackAudio], language: str = "ko") -> list[TrackText]:
    """faster-whisper `transcribe()` on each whole track, as bench/transcriber.py runs it."""
    out = []
    for samples, _spans in tracks:
        segments, _ = model.transcribe(
            to_float(samples), language=language, beam_size=5, word_timestamps=True
        )
        text = TrackText()
        for s in segments:
            text.segments.extend(
                (round(w.start * SAMPLE_RATE), round(w.end * SAMPLE_RATE), w.word)
                for w in s.words or []
            )
        out.append(text)
    return out


def offline_per_clip(model: WhisperModel, pool: list[Clip], language: str = "ko") -> dict[str, str]:
    """`transcribe()` on each clip's own file: the best case, with no stream around it."""
    out = {}
    for clip in pool:
        segments, _ = model.transcribe(to_float(clip.samples()), language=language, beam_size=5)
        out[clip.id] = "".join(s.text for s in segments)
    return out


DEALINGS = [(2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0), (4, 0.7), (4, 1.5)]  # streams, pause s


def settings_with(env: dict[str, str]) -> Settings:
    """The settings in force with these environment variables set on top."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return load_settings()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def decoder_for(settings: Settings, path: str, model: str | None = None) -> WhisperDecoder:
    t = settings.transcriber
    return WhisperDecoder(
        path,
        model or t.model_multilingual,
        compute_type="int8",
        cpu_threads=t.cpu_threads,
        workers=t.decode_workers,
        encoder_margin_s=t.encoder_margin_s,
        partial_margin_s=t.partial_encoder_margin_s,
    )


Score = Callable[[list[TrackAudio], list[TrackText]], float]


def over_dealings(
    pool: list[Clip],
    configs: list[tuple[str, dict[str, str]]],
    path: str,
    *,
    language: str = "ko",
    model: str | None = None,
    score: Score | None = None,
    metric: str = "CER",
) -> list[dict[str, object]]:
    """Streamed error rate (`score`; CER by default) of each config on several dealings of
    the same clips: one dealing's rate moves by about 2 points when a boundary moves by a
    frame, so compare means."""
    by_id = {c.id: c for c in pool}
    rate: Score = score or (lambda tracks, texts: track_cer(tracks, texts, by_id))
    dealt = [tracks_of(pool, n, pause) for n, pause in DEALINGS]
    key = metric.lower()
    out: list[dict[str, object]] = []
    for label, env in configs:
        settings = settings_with(env)
        decoder = decoder_for(settings, path, model)
        rates = []
        for tracks in dealt:
            texts, _details = streamed(settings, decoder, tracks, language)
            rates.append(round(rate(tracks, texts), 4))
        mean = round(float(np.mean(rates)), 4)
        print(
            f"{label}: mean {metric} {mean:.4f}, {min(rates):.3f}-{max(rates):.3f} {rates}",
            flush=True,
        )
        out.append({"config": label, "env": env, f"mean_{key}": mean, f"{key}s": rates})
    return out


def parse_config(text: str) -> tuple[str, dict[str, str]]:
    label, _, body = text.partition(":")
    pairs = [p.split("=", 1) for p in body.split(",") if p]
    return label, {f"VORI_TRANSCRIBER__{k.upper()}": v for k, v in pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["tune", "report", "all"], default="tune")
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--pause", type=float, default=1.0)
    parser.add_argument("--config", nargs="*", default=[])
    parser.add_argument("--clips", action="store_true", help="print the clips that differ")
    parser.add_argument(
        "--dealings",
        action="store_true",
        help="streamed CER only, mean over six dealings (2-5 streams, pauses 0.7-1.5 s)",
    )
    parser.add_argument("--out", default=None, help="write the JSON here")
    args = parser.parse_args()

    pool = korean_clips(args.split)
    by_id = {c.id: c for c in pool}
    tracks = tracks_of(pool, args.streams, args.pause)
    base = load_settings()
    path = str(resolve_model(base.transcriber.model_multilingual, base.data_dir / "models"))
    configs = [parse_config(c) for c in args.config] or [("default", {})]
    if args.dealings:
        results = over_dealings(pool, configs, path)
        if args.out:
            dealings = [{"streams": n, "pause_s": p} for n, p in DEALINGS]
            summary = {"split": args.split, "dealings": dealings, "configs": results}
            Path(args.out).write_text(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    started = time.perf_counter()
    model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=2)
    off = offline(model, tracks)
    off_s = time.perf_counter() - started
    files = offline_per_clip(model, pool)
    del model
    spans = [s for _, track_spans in tracks for s in track_spans]
    off_clip: dict[str, str] = {}
    for (_samples, track_spans), text in zip(tracks, off, strict=True):
        off_clip.update(per_clip(track_spans, text))
    ids = [c for c, _, _ in spans]
    refs = [by_id[c].text for c in ids]
    off_cer = track_cer(tracks, off, by_id)
    off_clip_cer = cer(refs, [off_clip[c] for c in ids])
    files_cer = cer(refs, [files[c] for c in ids])
    report: dict[str, object] = {
        "split": args.split,
        "clips": len(ids),
        "streams": args.streams,
        "pause_s": args.pause,
        "offline": {
            "cer": round(off_cer, 4),
            "cer_per_clip": round(off_clip_cer, 4),
            "cer_clip_files": round(files_cer, 4),
            "seconds": round(off_s, 1),
        },
        "configs": [],
        "load_avg": round(os.getloadavg()[0], 1),
        "machine": describe(),
    }
    print(
        f"offline transcribe() on the tracks: CER {off_cer:.4f} (per clip {off_clip_cer:.4f}, "
        f"{off_s:.0f} s); on each clip's file: {files_cer:.4f}",
        flush=True,
    )
    for label, env in configs:
        settings = settings_with(env)
        decoder = decoder_for(settings, path)
        started = time.perf_counter()
        texts, details = streamed(settings, decoder, tracks)
        seconds = time.perf_counter() - started
        st_clip: dict[str, str] = {}
        for (_samples, track_spans), text in zip(tracks, texts, strict=True):
            st_clip.update(per_clip(track_spans, text))
        st_cer = track_cer(tracks, texts, by_id)
        st_clip_cer = cer(refs, [st_clip[c] for c in ids])
        worse: list[dict[str, str | float]] = []
        for c in ids:
            a = cer([by_id[c].text], [st_clip[c]])
            b = cer([by_id[c].text], [off_clip[c]])
            f = cer([by_id[c].text], [files[c]])
            if a != b or a != f:
                worse.append(
                    {
                        "clip": c,
                        "ref": by_id[c].text,
                        "streamed": st_clip[c],
                        "offline": off_clip[c],
                        "file": files[c],
                        "cer": round(a, 3),
                        "offline_cer": round(b, 3),
                        "file_cer": round(f, 3),
                    }
                )
        dropped = [d for d in details if d["dropped"]]
        print(
            f"{label}: streamed CER {st_cer:.4f} (per clip {st_clip_cer:.4f}) "
            f"vs offline {off_cer:.4f} "
            f"({len(details)} finals, {len(dropped)} dropped, {seconds:.0f} s)",
            flush=True,
        )
        if args.clips:
            for w in sorted(worse, key=lambda w: float(w["file_cer"]) - float(w["cer"])):
                print(
                    f"  {w['clip']} {w['cer']:.2f} vs {w['offline_cer']:.2f} "
                    f"(its file {w['file_cer']:.2f})\n"
                    f"    ref: {w['ref']}\n    str: {w['streamed']}\n"
                    f"    off: {w['offline']}\n    file: {w['file']}"
                )
            for d in dropped:
                print(f"  dropped ({d['dropped']}): {d['raw']!r} at {d['start_s']}-{d['end_s']}")
        configs_out = report["configs"]
        assert isinstance(configs_out, list)
        configs_out.append(
            {
                "config": label,
                "env": env,
                "cer": round(st_cer, 4),
                "cer_per_clip": round(st_clip_cer, 4),
                "seconds": round(seconds, 1),
                "finals": len(details),
                "finals_detail": sorted(details, key=lambda d: (d["track"], d["start_s"])),
                "clips_differing": worse,
            }
        )
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
