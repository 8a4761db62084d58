"""The segmenter's VAD engines side by side: CPU per audio second, and the comparison file.

    .venv/bin/python bench/vad.py [--minutes 10] [--repeats 3]
        [--transcriber A.json B.json ...] [--hallucination H.json] [--out PATH]

Micro-bench: `--minutes` of real speech (every shared clip, English then Korean, 1 s of
low room noise between clips, cut to length) classified frame by frame by a fresh
classifier of each engine (webrtcvad mode 2 on 30 ms frames, Silero VAD v6 on 32 ms
frames), and fed through the whole segmenter in 100 ms chunks as the transcriber does;
process CPU time, engines interleaved, medians of `--repeats`. Also: the share of
frames each calls speech, and the utterances each segmenter opens on one stream of all
the shared non-speech stretches (bench/hallucination.py's, at recorded level and raised
to -35 dBFS), with no decoding.

`--transcriber` / `--hallucination`: the JSON files bench/transcriber.py (`--vad webrtc
silero`) and bench/hallucination.py (`--vad webrtc silero --segmenter-only`) wrote; their
rows for both engines are copied into the output (bench/results/vad-compare.json), each
transcriber run with how far its utterances end after each clip's speech ends (the
tracks rebuilt from the same seeds; a function of the segmentation alone, not of load).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.hallucination import all_clips, nonspeech_of, scaled  # noqa: E402
from tests.helpers.speech_data import find_speech_dir  # noqa: E402
from transcriber.pcm import SAMPLE_RATE  # noqa: E402
from transcriber.segmenter import Checkpoint, Closed, Segmenter, SegmenterConfig  # noqa: E402
from transcriber.vad import classifier_factory  # noqa: E402

ENGINES = {
    "webrtc": SegmenterConfig(),
    "silero": SegmenterConfig(vad_engine="silero", frame_ms=32),
}
CHUNK = SAMPLE_RATE // 10


def speech_audio(speech: Path, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(11)
    parts, total = [], 0
    for _, cs in sorted(all_clips(speech).items()):
        for clip in cs:
            for piece in (clip.samples(), rng.normal(0, 20, SAMPLE_RATE).astype(np.int16)):
                parts.append(piece)
                total += len(piece)
            if total >= seconds * SAMPLE_RATE:
                return np.concatenate(parts)[: int(seconds * SAMPLE_RATE)]
    return np.concatenate(parts)


def classify(engine: str, audio: np.ndarray) -> tuple[float, float]:
    """(CPU seconds, share of frames called speech) of one fresh classifier over `audio`."""
    config = ENGINES[engine]
    classifier = classifier_factory(config)()
    fs = config.frame_samples
    started = time.process_time()
    voiced = sum(classifier.is_speech(audio[i : i + fs]) for i in range(0, len(audio) - fs, fs))
    return time.process_time() - started, voiced / (len(audio) // fs)


def segment(engine: str, audio: np.ndarray) -> tuple[float, list[tuple[int, int]]]:
    """(CPU seconds, utterances) of the whole segmenter over `audio` in 100 ms chunks."""
    config = ENGINES[engine]
    segmenter = Segmenter(config, Checkpoint(0), classifier_factory(config)())
    events = []
    started = time.process_time()
    for i in range(0, len(audio), CHUNK):
        events += segmenter.feed(i, audio[i : i + CHUNK])
    events += segmenter.finish()
    spent = time.process_time() - started
    return spent, [(e.utterance.start, e.utterance.end) for e in events if isinstance(e, Closed)]


def nonspeech_stream(speech: Path) -> dict[str, np.ndarray]:
    """All shared non-speech stretches as one stream, at recorded level and AGC-raised."""
    runs = [r for cs in all_clips(speech).values() for c in cs for r in nonspeech_of(c.samples())]
    return {
        "raw": np.concatenate(runs),
        "agc": np.concatenate([scaled(r, -35.0) for r in runs]),
    }


def end_after_speech(scenario: str, finals: dict[str, list[list[int]]]) -> dict[str, float]:
    """p50/p95 seconds from each clip's speech end to the end of the final covering it."""
    from bench.korean_gap import korean_clips
    from bench.transcriber import all_english_clips, dealt_tracks, speech_end

    folders = all_english_clips()
    mfa = folders.pop("mfa")
    pools = {
        "en-mfa": (mfa, "en"),
        "en-other": ([c for cs in folders.values() for c in cs], "en"),
        "ko-all": (korean_clips("all"), "ko"),
    }
    clips, language = pools[scenario]
    lags = []
    tracks = dealt_tracks(len(finals), clips, language)
    for track, spans in zip(tracks, finals.values(), strict=True):
        for _, start, end in track.spans:
            said = speech_end(track.samples, start, end)
            cover = [e for s, e in spans if s <= said <= e + SAMPLE_RATE // 2]
            if cover:
                lags.append((cover[0] - said) / SAMPLE_RATE)
    return {
        "end_after_speech_p50_s": round(float(np.percentile(lags, 50)), 2),
        "end_after_speech_p95_s": round(float(np.percentile(lags, 95)), 2),
    }


def compare_rows(transcriber: list[Path], hallucination: Path | None) -> dict[str, object]:
    rows = []
    for path in transcriber:
        data = json.loads(path.read_text())
        for run, text in zip(data["runs"], data["texts"], strict=True):
            lag = end_after_speech(run["scenario"], text["finals"])
            rows.append({"file": path.name, "at": data["at"], **run, **lag})
    out: dict[str, object] = {"transcriber_runs": rows}
    if hallucination is not None:
        table = json.loads(hallucination.read_text())["table"]
        out["nonspeech_segmenter"] = {
            key: {k: v for k, v in row.items() if not k.startswith("examples")}
            for key, row in table.items()
            if key.startswith("nonspeech-segmenter")
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--transcriber", type=Path, nargs="*", default=[])
    parser.add_argument("--hallucination", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/vad-compare.json")
    args = parser.parse_args()
    speech = find_speech_dir()
    if speech is None:
        raise SystemExit("no shared speech data (../shared/data/speech)")
    load_before = os.getloadavg()
    audio = speech_audio(speech, args.minutes * 60)
    audio_s = len(audio) / SAMPLE_RATE
    cpu: dict[str, dict[str, list[float]]] = {e: {"classify": [], "segment": []} for e in ENGINES}
    share: dict[str, float] = {}
    utterances: dict[str, int] = {}
    for _ in range(args.repeats):
        for engine in ENGINES:
            spent, share[engine] = classify(engine, audio)
            cpu[engine]["classify"].append(spent)
            spent, found = segment(engine, audio)
            cpu[engine]["segment"].append(spent)
            utterances[engine] = len(found)
    nonspeech = nonspeech_stream(speech)
    opened = {
        engine: {
            level: {
                "seconds": round(len(samples) / SAMPLE_RATE, 1),
                "utterances": len(found := segment(engine, samples)[1]),
                "utterance_s": round(sum(e - s for s, e in found) / SAMPLE_RATE, 1),
            }
            for level, samples in nonspeech.items()
        }
        for engine in ENGINES
    }
    load_after = os.getloadavg()
    micro = {
        engine: {
            "audio_s": round(audio_s, 1),
            "classify_cpu_s_per_audio_s": round(statistics.median(t["classify"]) / audio_s, 5),
            "segmenter_cpu_s_per_audio_s": round(statistics.median(t["segment"]) / audio_s, 5),
            "us_per_frame": round(
                1e6
                * statistics.median(t["classify"])
                / (len(audio) // ENGINES[engine].frame_samples),
                1,
            ),
            "speech_frame_share": round(share[engine], 3),
            "utterances": utterances[engine],
            "nonspeech_stream": opened[engine],
        }
        for engine, t in cpu.items()
    }
    print(f"\nVAD micro-bench: {audio_s / 60:.1f} min of shared speech, medians of {args.repeats}")
    print(
        "| engine | classify CPU s / audio s | µs per frame | segmenter CPU s / audio s "
        "| speech frames | utterances | non-speech (raw / AGC): utterances opened |"
    )
    print("|---|---|---|---|---|---|---|")
    for engine, m in micro.items():
        ns = m["nonspeech_stream"]
        print(
            f"| {engine} | {m['classify_cpu_s_per_audio_s']} | {m['us_per_frame']} "
            f"| {m['segmenter_cpu_s_per_audio_s']} | {m['speech_frame_share']} "
            f"| {m['utterances']} | {ns['raw']['utterances']} of {ns['raw']['seconds']} s / "
            f"{ns['agc']['utterances']} of {ns['agc']['seconds']} s |"
        )
    print(f"load average before {load_before}, after {load_after}")
    out = {
        "micro": micro,
        "load_before": load_before,
        "load_after": load_after,
        "at": datetime.now(UTC).isoformat(),
        **compare_rows(args.transcriber, args.hallucination),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
